import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addArtifacts, checkout, openRepo, status } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { tracedCairn, traceUnavailable } from '../helpers/readTrace.js';

/**
 * Files under `dir` that cairn read through `fs.readFileSync` or
 * `fs.createReadStream` while `fn` ran (in this process). Enough to see that
 * a file *was* read; to prove that nothing was, see {@link contentReads}.
 */
async function readsDuring(dir: string, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const record = (p: unknown) => {
    const s = String(p);
    const rel = path.relative(dir, s);
    // Workspace files only: pointers, .gitignore and the cache (manifests) are not hashing.
    if (s.startsWith(dir) && !rel.startsWith('.git/') && !rel.endsWith('.cairn') && !rel.endsWith('.gitignore')) seen.push(rel);
  };
  const readFileSync = fs.readFileSync.bind(fs) as (p: unknown, o?: unknown) => unknown;
  const createReadStream = fs.createReadStream.bind(fs) as (p: unknown, o?: unknown) => fs.ReadStream;
  const rf = vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) => {
    record(p);
    return readFileSync(p, o);
  }) as typeof fs.readFileSync);
  const rs = vi.spyOn(fs, 'createReadStream').mockImplementation(((p: fs.PathLike, o?: unknown) => {
    record(p);
    return createReadStream(p, o);
  }) as typeof fs.createReadStream);
  try {
    await fn();
  } finally {
    rf.mockRestore();
    rs.mockRestore();
  }
  return seen;
}

afterEach(() => vi.restoreAllMocks());

/** Workspace files whose mtime is set 10 s back: outside the racy window, so the hashes an add takes are cached (no sleep needed). */
function writeSettled(repo: TestRepo, files: Record<string, string | Buffer>): void {
  const past = new Date(Date.now() - 10_000);
  for (const [rel, bytes] of Object.entries(files)) fs.utimesSync(repo.write(rel, bytes), past, past);
}

/** The tracked files (and the cache objects holding their bytes) that `cairn <args>` read, by every way a process can read. */
async function contentReads(repo: TestRepo, args: string[]): Promise<string[]> {
  const r = await openRepo(repo.dir);
  const watched = new Map<string, string>();
  for (const rel of ['data/a.txt', 'data/b.txt', 'model.bin']) {
    const abs = path.join(repo.dir, rel);
    if (!fs.existsSync(abs)) continue;
    watched.set(abs, rel);
    const hash = 'sha256:' + execFileSync('sha256sum', [abs], { encoding: 'utf8' }).split(' ')[0];
    watched.set(r.cache.objectPath(hash), `the object of ${rel}`);
  }
  const run = tracedCairn(args, repo.dir);
  expect(run.status, run.stderr).toBe(0);
  return [...run.read].flatMap((f) => (watched.has(f) ? [watched.get(f)!] : []));
}

describe('the stat cache', () => {
  async function tracked() {
    const repo = gitRepo();
    await init(repo.dir);
    writeSettled(repo, { 'data/a.txt': 'aaaa', 'data/b.txt': 'bbbb', 'model.bin': Buffer.alloc(2 * 1024 * 1024, 1) });
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data', 'model.bin'] });
    return { repo, r };
  }

  it.skipIf(traceUnavailable)('lets status and a re-add of unchanged artifacts read no tracked bytes, by any means (strace)', async () => {
    const { repo } = await tracked();
    expect(await contentReads(repo, ['status'])).toEqual([]);
    const pointers = [repo.read('data.cairn'), repo.read('model.bin.cairn')];
    expect(await contentReads(repo, ['add', 'data', 'model.bin'])).toEqual([]);
    expect([repo.read('data.cairn'), repo.read('model.bin.cairn')]).toEqual(pointers);
    // The trace sees reads: a changed file is read (hashed) by the next status.
    writeSettled(repo, { 'data/b.txt': 'BBBB' });
    expect(await contentReads(repo, ['status'])).toEqual(['data/b.txt']);
  });

  it.skipIf(traceUnavailable)('in hardlink mode, links made and removed elsewhere (worktree new, rm) make status read no tracked bytes', async () => {
    const repo = gitRepo();
    await init(repo.dir);
    repo.write('.cairn/config.json', JSON.stringify({ cache: { link: 'hardlink' } }));
    writeSettled(repo, { 'data/a.txt': 'aaaa', 'model.bin': Buffer.alloc(2 * 1024 * 1024, 1) });
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data', 'model.bin'] });
    const elsewhere = tempDir();
    for (const f of ['data/a.txt', 'model.bin']) fs.linkSync(path.join(repo.dir, f), path.join(elsewhere, path.basename(f)));
    fs.rmSync(path.join(elsewhere, 'a.txt')); // each link and unlink moved the shared inode's ctime
    expect(await contentReads(repo, ['status'])).toEqual([]);
    // A write to a linked file still shows (the mtime moves).
    fs.chmodSync(path.join(repo.dir, 'data/a.txt'), 0o644);
    fs.writeFileSync(path.join(repo.dir, 'data/a.txt'), 'AAAA');
    const [data] = await status(r, { cwd: repo.dir, paths: ['data'] });
    expect(data!.state).toBe('modified');
  });

  it('does not trust a copy that checkout has just written (a same-size write in the same clock tick would keep its stat)', async () => {
    const { repo, r } = await tracked();
    fs.rmSync(path.join(repo.dir, 'data/a.txt'));
    await checkout(r, { cwd: repo.dir, paths: ['data'] });
    // Right after the write, the file is racy: status must look at its bytes, not at a stat recorded by checkout.
    const reads = await readsDuring(repo.dir, () => status(r, { cwd: repo.dir }));
    expect(reads).toContain('data/a.txt');
  });

  it('notices a change that keeps the size and the mtime seconds', async () => {
    const { repo, r } = await tracked();
    const file = path.join(repo.dir, 'data/a.txt');
    const before = fs.statSync(file);
    fs.writeFileSync(file, 'AAAA'); // same size
    const secs = Math.floor(before.mtimeMs / 1000);
    fs.utimesSync(file, secs + 0.5, secs + 0.25); // same whole second, other fraction
    expect(Math.floor(fs.statSync(file).mtimeMs / 1000)).toBe(secs);
    const [data] = await status(r, { cwd: repo.dir, paths: ['data'] });
    expect(data!.state).toBe('modified');
    expect(data!.changes!.changed).toEqual(['a.txt']);
  });

  it('notices a change even when the exact mtime (ns) is restored', async () => {
    const { repo, r } = await tracked();
    const file = path.join(repo.dir, 'data/b.txt');
    const ns = fs.statSync(file, { bigint: true }).mtimeNs;
    fs.writeFileSync(file, 'BBBB');
    const stamp = `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
    execFileSync('touch', ['-m', '-d', stamp, file]);
    expect(fs.statSync(file, { bigint: true }).mtimeNs).toBe(ns);
    const [data] = await status(r, { cwd: repo.dir, paths: ['data'] });
    expect(data!.state).toBe('modified');
  });

  it('notices a replaced file (new inode) with identical stat times', async () => {
    const { repo, r } = await tracked();
    const file = path.join(repo.dir, 'model.bin');
    const st = fs.statSync(file);
    const tmp = file + '.new';
    fs.writeFileSync(tmp, Buffer.alloc(2 * 1024 * 1024, 2));
    fs.utimesSync(tmp, st.atime, st.mtime);
    fs.renameSync(tmp, file);
    const [model] = await status(r, { cwd: repo.dir, paths: ['model.bin'] });
    expect(model!.state).toBe('modified');
  });
});

describe('a tracked folder changing while status looks at it', () => {
  /** Run status with `change` done the moment its second look at `trigger` begins. */
  async function statusWhile(trigger: string, change: (dir: string) => void): Promise<string> {
    const repo = gitRepo();
    await init(repo.dir);
    repo.write('d/top.txt', 'top\n');
    for (let i = 0; i < 3; i++) repo.write(`d/sub/f${i}.txt`, `f${i}\n`);
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['d'] });
    repo.write('d/top.txt', 'changed\n'); // so that status takes its slow path (a second look at every file)
    const target = path.join(repo.dir, trigger);
    const lstatSync = fs.lstatSync.bind(fs) as (p: fs.PathLike, o?: unknown) => unknown;
    let looks = 0;
    const spy = vi.spyOn(fs, 'lstatSync').mockImplementation(((p: fs.PathLike, o?: unknown) => {
      if (String(p) === target && ++looks === 2) change(repo.dir);
      return lstatSync(p, o);
    }) as typeof fs.lstatSync);
    try {
      const [st] = await status(await openRepo(repo.dir), { cwd: repo.dir });
      return `${st!.state}${st!.note ? ` (${st!.note})` : ''}`;
    } finally {
      spy.mockRestore();
    }
  }

  it('a subfolder replaced by a file: reported modified, no crash', async () => {
    const state = await statusWhile('d/sub/f0.txt', (dir) => {
      fs.rmSync(path.join(dir, 'd', 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'd', 'sub'), 'now a file\n');
    });
    expect(state).toMatch(/^modified/);
  });

  it('a file deleted: reported modified, not as "not a regular file"', async () => {
    const state = await statusWhile('d/sub/f1.txt', (dir) => fs.rmSync(path.join(dir, 'd', 'sub', 'f1.txt')));
    expect(state).toBe('modified');
  });
});

describe('walking a folder artifact', () => {
  it('sorts in UTF-8 byte order, with and without characters where UTF-16 order differs', async () => {
    const { walkDir } = await import('../../src/artifacts/workspace.js');
    const byBytes = (names: string[]) => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const names of [
      ['b', 'a.txt', 'a/b', 'a-b', 'A', 'z'],
      ['b', 'a.txt', 'a/b', '\u{1F600}', '\uE000', '\uFFFD', 'z'],
    ]) {
      const dir = tempDir();
      for (const n of names) {
        fs.mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
        fs.writeFileSync(path.join(dir, n), n);
      }
      const walked = walkDir(dir).map((e) => e.path);
      expect(walked).toEqual(byBytes(names));
      // Unsorted, the same entries (in readdir order).
      expect(byBytes(walkDir(dir, { sorted: false }).map((e) => e.path))).toEqual(walked);
    }
  });

  it('status sees a file changed in a folder whose listing order changed', async () => {
    const test = gitRepo();
    const dir = test.dir;
    await init(dir);
    writeSettled(test, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`data/f${i}`, `v${i}`])));
    const repo = await openRepo(dir);
    await addArtifacts(repo, { cwd: dir, paths: ['data'] });
    expect((await status(repo, { cwd: dir }))[0]!.workspace).toBe('unchanged');
    // Rewrite the folder (another readdir order), one file with other bytes of the same size.
    for (let i = 49; i >= 0; i--) {
      const bytes = fs.readFileSync(path.join(dir, 'data', `f${i}`));
      fs.rmSync(path.join(dir, 'data', `f${i}`));
      fs.writeFileSync(path.join(dir, 'data', `f${i}`), i === 7 ? 'w7' : bytes);
    }
    expect((await status(repo, { cwd: dir }))[0]!.workspace).toBe('modified');
  });
});
