/**
 * An interrupted `add` (kill -9, Ctrl-C) never costs the user their bytes:
 * their path holds them (or a link to an object a pointer names) at every
 * instant, so even a `gc --yes` right after the kill finds nothing to lose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, type TestRepo } from '../helpers/repo.js';
import { seededRandom, testSeed } from '../helpers/random.js';
import { hashBytes } from '../../src/store/hash.js';
import { expectObjectsIntact } from '../reliability/harness.js';

const KILLS = Number(process.env.CAIRN_KILLS) || 5;
// Big enough that an add takes a few hundred ms to take the bytes in (the window the kills fall in).
const FILE_SIZE = 64 * 1024 * 1024;
const DIR_FILES = 4;
const DIR_FILE_SIZE = 16 * 1024 * 1024;

function content(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) data.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  data.writeUInt32LE(seed, size - 4);
  return data;
}

/** The files of one round: a big file, or a folder of big files; returns path → sha256. */
function writeRound(repo: TestRepo, shape: 'file' | 'dir', seed: number): Map<string, string> {
  const out = new Map<string, string>();
  const files =
    shape === 'file' ? [['big.bin', FILE_SIZE] as const] : Array.from({ length: DIR_FILES }, (_, i) => [`data/part${i}.bin`, DIR_FILE_SIZE] as const);
  for (const [rel, size] of files) {
    const abs = path.join(repo.dir, rel);
    // A link into the cache is unlinked, never written through (that would change the object).
    fs.rmSync(abs, { force: true });
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const data = content(size, seed * 31 + rel.length);
    fs.writeFileSync(abs, data);
    out.set(rel, hashBytes(data));
  }
  return out;
}

function digestAt(abs: string): string | null {
  try {
    return hashBytes(fs.readFileSync(abs));
  } catch {
    return null;
  }
}

/**
 * Start `cairn add`, wait until it has begun taking the bytes in (its first
 * temp file in the cache), then kill -9 it after `delayMs`. `windowMs`: from
 * that first temp file to the end, for an add that finished.
 */
async function addAndKill(
  cwd: string,
  target: string,
  tmpDir: string,
  env: Record<string, string>,
  delayMs: number,
): Promise<{ outcome: 'killed' | 'finished'; windowMs: number }> {
  const child = spawn('node', [BIN, 'add', target], { cwd, stdio: 'ignore', env: { ...process.env, ...env } });
  let exited = false;
  const done = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  while (!exited && !(fs.existsSync(tmpDir) && fs.readdirSync(tmpDir).length > 0)) await sleep(1);
  const began = Date.now();
  if (!exited) await Promise.race([sleep(delayMs), done]);
  if (exited) return { outcome: 'finished', windowMs: Date.now() - began };
  child.kill('SIGKILL');
  await done;
  return { outcome: 'killed', windowMs: 0 };
}

describe.each([
  ['symlink', 'file'],
  ['symlink', 'dir'],
  ['hardlink', 'file'],
  ['hardlink', 'dir'],
] as const)('kill -9 during a %s add of a %s, then gc --yes', (link, shape) => {
  it(`leaves the user's bytes at their path or recoverable by checkout (${KILLS} kills)`, async () => {
    const seed = testSeed(20261207);
    const random = seededRandom(seed + link.length + shape.length);
    const repo = gitRepo();
    const env = { CAIRN_CACHE_LINK: link };
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const target = shape === 'file' ? 'big.bin' : 'data';
    const tmpDir = path.join(repo.dir, '.git/cairn/cache/tmp');

    // One whole add, timed from its first temp file to its exit: the window the kills fall in.
    writeRound(repo, shape, 0);
    const first = await addAndKill(repo.dir, target, tmpDir, env, 60_000);
    expect(first.outcome).toBe('finished');
    const windowMs = Math.max(20, first.windowMs);

    let killed = 0;
    let attempt = 0;
    for (let round = 1; round <= KILLS; round++) {
      // An add that finished before its kill time is tried again on new bytes, with an earlier kill.
      let expected = new Map<string, string>();
      for (let scale = 1; scale > 0.01; scale /= 2) {
        expected = writeRound(repo, shape, ++attempt);
        // Stratified: kill k lands in the k-th of KILLS slices of the window.
        const at = Math.floor(((round - 1 + random()) / KILLS) * windowMs * scale);
        if ((await addAndKill(repo.dir, target, tmpDir, env, at)).outcome === 'killed') {
          killed++;
          break;
        }
      }
      await cairnOk(['gc', '--yes'], { cwd: repo.dir, env });
      const lost = [...expected].filter(([rel, digest]) => digestAt(path.join(repo.dir, rel)) !== digest);
      if (lost.length) {
        // Not at its path: then a pointer must name it, and checkout must bring it back.
        await cairn(['checkout', target], { cwd: repo.dir, env });
        const still = lost.filter(([rel, digest]) => digestAt(path.join(repo.dir, rel)) !== digest);
        expect(
          still.map(([rel]) => rel),
          `round ${round} (seed ${seed}): bytes lost`,
        ).toEqual([]);
      }
      // Every object under a final name has the bytes its name says (each new one hashed once; `cairn verify` at the end).
      expectObjectsIntact(path.join(repo.dir, '.git/cairn/cache/objects'), `round ${round}`);
    }
    expect(killed).toBe(KILLS);
    const v = JSON.parse((await cairn(['verify', '--json'], { cwd: repo.dir, env })).stdout);
    expect(v.corrupt).toEqual([]);

    // The next add finishes the job: everything recorded, unchanged, no temp left.
    await cairnOk(['add', target], { cwd: repo.dir, env });
    const st = JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir, env })).stdout);
    expect(st.artifacts.map((a: { state: string }) => a.state)).toEqual(['unchanged']);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  });
});

const PTY_RUNNER = `
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], os.environ)
out = b''
sent = False
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b'hashing' in out:
        time.sleep(0.05)
        os.write(fd, b'\\x03')
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write('signal=%d sent=%d' % (os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0, sent))
`;

describe('Ctrl-C during a long add', () => {
  it('restores the cursor and line wrapping, and the next add sweeps the temp files left behind', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const tmpDir = path.join(repo.dir, '.git/cairn/cache/tmp');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.CAIRN_NO_PROGRESS;
    delete env.CI;
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(repo.dir, 'big.bin'), content(256 * 1024 * 1024, i + 1));
      const run = spawnSync('python3', ['-c', PTY_RUNNER, 'node', BIN, 'add', 'big.bin'], { cwd: repo.dir, env, encoding: 'latin1' });
      const out = run.stdout;
      // Interrupted mid-add (killed by SIGINT, 2), not finished before the Ctrl-C.
      expect(run.stderr, out).toBe('signal=2 sent=1');
      expect(out, 'the bar was drawn').toContain('hashing big.bin');
      expect(out).toContain('\x1b[?25l');
      expect(out.lastIndexOf('\x1b[?25h'), 'cursor shown again after it was hidden').toBeGreaterThan(out.lastIndexOf('\x1b[?25l'));
      expect(out.lastIndexOf('\x1b[?7h'), 'line wrapping on again after it was turned off').toBeGreaterThan(out.lastIndexOf('\x1b[?7l'));
      expect(fs.existsSync(path.join(repo.dir, 'big.bin'))).toBe(true);
    }
    // The last interrupted add left its partial object in tmp/ (each one sweeps the ones before).
    expect(fs.readdirSync(tmpDir).length).toBeGreaterThan(0);
    repo.write('small.txt', 'small\n');
    await cairnOk(['add', 'small.txt'], { cwd: repo.dir });
    const left = fs.existsSync(tmpDir) ? fs.readdirSync(tmpDir) : [];
    expect(left).toEqual([]);
  });
});
