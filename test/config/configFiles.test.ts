/**
 * The config files as the repository delivers them (SECURITY.md, rule 5):
 * FIFOs, symlinks (to /dev/zero, to a file or folder outside), oversized
 * files, a symlinked `.cairn`, a committed config.local.json. Each command
 * runs with a timeout of a few seconds and a victim folder outside the
 * repository whose bytes are checked before and after.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, linkedWorktree, tempDir, type TestRepo } from '../helpers/repo.js';
import { loadConfig } from '../../src/config/config.js';
import { IntegrityError, UnsafeError } from '../../src/errors.js';

/** A command that must not hang: killed after this long. */
const TIMEOUT_MS = 5000;

async function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ exitCode: number; output: string }> {
  const r = await cairn(args, { cwd, env, timeoutMs: TIMEOUT_MS });
  expect(r.timedOut, `cairn ${args.join(' ')} hung`).toBe(false);
  return { exitCode: r.exitCode, output: `${r.stdout}${r.stderr}` };
}

async function initialised(): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  repo.commit('init');
  return repo;
}

/** A folder outside the repository with a victim file and a config.json, and a way to check neither changed. */
function victimFolder(): { dir: string; file: string; unchanged: () => void } {
  const dir = tempDir('cairn-victim-');
  const file = path.join(dir, 'victim.txt');
  fs.writeFileSync(file, 'victim: must never change');
  fs.writeFileSync(path.join(dir, 'config.json'), '{}\n');
  const listing = (): string[] =>
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => `${f}:${fs.readFileSync(path.join(dir, f), 'utf8')}`);
  const before = listing();
  return { dir, file, unchanged: () => expect(listing()).toEqual(before) };
}

function replaceWith(repo: TestRepo, rel: string, make: (file: string) => void): void {
  const file = path.join(repo.dir, rel);
  fs.rmSync(file, { recursive: true, force: true });
  make(file);
}

const mkfifo = (file: string): void => {
  execFileSync('mkfifo', [file]);
};

describe.each([
  ['.cairn/config.json', 'config.json'],
  ['.cairn/config.local.json', 'config.local.json'],
])('%s that is not a regular file', (rel) => {
  it.each([['status'], ['tags'], ['next'], ['remote', 'list']])('a FIFO: cairn %s refuses it at once (exit 7)', async (...args) => {
    const repo = await initialised();
    const victim = victimFolder();
    replaceWith(repo, rel, mkfifo);
    const r = await run(args, repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain(`refusing to read ${rel}: it is a FIFO, not a regular file`);
    victim.unchanged();
  });

  it('a symlink to /dev/zero: refused (exit 7), memory does not grow', async () => {
    const repo = await initialised();
    replaceWith(repo, rel, (f) => fs.symlinkSync('/dev/zero', f));
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain(`refusing to read ${rel}: ${rel} is a symlink`);
  });

  it('a symlink to a FIFO outside the repository: refused without opening it (exit 7)', async () => {
    const repo = await initialised();
    const victim = victimFolder();
    const fifo = path.join(victim.dir, 'fifo');
    mkfifo(fifo);
    replaceWith(repo, rel, (f) => fs.symlinkSync(fifo, f));
    const r = await run(['tag', '--dry-run', '--no-db'], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain('is a symlink');
  });

  it('a symlink to a valid config outside the repository: refused, not read (exit 7)', async () => {
    const repo = await initialised();
    const victim = victimFolder();
    replaceWith(repo, rel, (f) => fs.symlinkSync(path.join(victim.dir, 'config.json'), f));
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain(`refusing to read ${rel}: ${rel} is a symlink`);
    victim.unchanged();
  });

  it('larger than 1 MiB: refused without parsing it (exit 8)', async () => {
    const repo = await initialised();
    repo.write(rel, `{"metrics": {"names": [${Array(300_000).fill('"f1"').join(',')}]}}`);
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(8);
    expect(r.output).toContain(`refusing to read ${rel}: it is `);
    expect(r.output).toContain('more than the 1048576 allowed');
  });

  it('a folder: refused (exit 8)', async () => {
    const repo = await initialised();
    replaceWith(repo, rel, (f) => fs.mkdirSync(f));
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(8);
    expect(r.output).toContain(`refusing to read ${rel}: it is a folder`);
  });
});

describe('a committed .cairn symlink', () => {
  it('to a folder outside: every command refuses before reading or writing (exit 7)', async () => {
    const repo = await initialised();
    const victim = victimFolder();
    replaceWith(repo, '.cairn', (f) => fs.symlinkSync(victim.dir, f));
    const store = path.join(tempDir(), 'store');
    for (const args of [['status'], ['remote', 'add', 'x', store], ['remote', 'remove', 'x'], ['next'], ['explore', 'list']]) {
      const r = await run(args, repo.dir);
      expect(r.exitCode, `${args.join(' ')}\n${r.output}`).toBe(7);
      expect(r.output).toContain('.cairn on the way to .cairn/config.json is a symlink');
    }
    expect(fs.existsSync(store)).toBe(false);
    victim.unchanged();
  });

  it('to a folder inside the repository: still refused (exit 7)', async () => {
    const repo = await initialised();
    fs.renameSync(path.join(repo.dir, '.cairn'), path.join(repo.dir, 'real-cairn'));
    fs.symlinkSync('real-cairn', path.join(repo.dir, '.cairn'));
    const before = repo.read('real-cairn/config.json');
    const r = await run(['remote', 'add', 'x', path.join(tempDir(), 'store')], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(repo.read('real-cairn/config.json')).toBe(before);
  });

  it('a .cairn that is a file: refused (exit 7), not "not initialised"', async () => {
    const repo = await initialised();
    replaceWith(repo, '.cairn', (f) => fs.writeFileSync(f, 'x'));
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain('.cairn on the way to .cairn/config.json is not a folder');
  });
});

describe('writing a config file', () => {
  it('remote add refuses a symlinked config.json before creating the remote folder', async () => {
    const repo = await initialised();
    const victim = victimFolder();
    replaceWith(repo, '.cairn/config.json', (f) => fs.symlinkSync(path.join(victim.dir, 'config.json'), f));
    const store = path.join(tempDir(), 'store');
    const r = await run(['remote', 'add', 'x', store], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(fs.existsSync(store)).toBe(false);
    expect(fs.lstatSync(path.join(repo.dir, '.cairn/config.json')).isSymbolicLink()).toBe(true);
    victim.unchanged();
  });

  it('remote add into a valid config keeps it valid; the next command reads it', async () => {
    const repo = await initialised();
    repo.write('.cairn/config.json', JSON.stringify({ metrics: { primary: 'f1' } }));
    await cairnOk(['remote', 'add', 'origin', path.join(tempDir(), 'store'), '--default', '--shared'], { cwd: repo.dir });
    expect(JSON.parse(repo.read('.cairn/config.json'))).toMatchObject({ metrics: { primary: 'f1' }, remote: 'origin' });
    await cairnOk(['status'], { cwd: repo.dir });
  });

  it('remote add refuses a name JavaScript objects already answer to (it could never be read back)', async () => {
    const repo = await initialised();
    const before = repo.read('.cairn/config.json');
    const r = await run(['remote', 'add', 'constructor', path.join(tempDir(), 'store')], repo.dir);
    expect(r.exitCode, r.output).toBe(2);
    expect(repo.read('.cairn/config.json')).toBe(before);
  });
});

describe('config.local.json that git tracks', () => {
  it('is refused (exit 7) until it is untracked; the local cache.dir then works', async () => {
    const repo = await initialised();
    const cacheDir = path.join(tempDir(), 'cache');
    repo.write('.cairn/config.local.json', JSON.stringify({ cache: { dir: cacheDir } }));
    repo.git('add', '-f', '.cairn/config.local.json');
    repo.git('commit', '-qm', 'a local config someone committed');
    const r = await run(['status'], repo.dir);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.output).toContain('.cairn/config.local.json is tracked by git');
    repo.write('data.txt', 'x\n');
    expect((await run(['add', 'data.txt'], repo.dir)).exitCode).toBe(7);
    expect(fs.existsSync(cacheDir)).toBe(false);
    repo.git('rm', '-q', '--cached', '.cairn/config.local.json');
    await cairnOk(['add', 'data.txt'], { cwd: repo.dir });
    expect(fs.readdirSync(path.join(cacheDir, 'objects')).length).toBeGreaterThan(0);
  });

  it("the main worktree's local file, used by a linked worktree, is checked the same way and named by its path", async () => {
    const repo = await initialised();
    const linked = linkedWorktree(repo);
    repo.write('.cairn/config.local.json', JSON.stringify({ transfer: { jobs: 'many' } }));
    const r = await run(['status'], linked.dir);
    expect(r.exitCode, r.output).toBe(8);
    expect(r.output).toContain(`${path.join(repo.dir, '.cairn/config.local.json')}: transfer.jobs must be an integer`);
    repo.write('.cairn/config.local.json', JSON.stringify({ transfer: { jobs: 2 } }));
    repo.git('add', '-f', '.cairn/config.local.json');
    const tracked = await run(['status'], linked.dir);
    expect(tracked.exitCode, tracked.output).toBe(7);
    expect(tracked.output).toContain('is tracked by git');
  });
});

describe('cache.dir', () => {
  it('in the committed config: refused (exit 7) before anything is written there', async () => {
    const repo = await initialised();
    const victim = victimFolder();
    repo.write('.cairn/config.json', JSON.stringify({ cache: { dir: victim.dir } }));
    repo.write('data.txt', 'x\n');
    for (const args of [['add', 'data.txt'], ['gc', '--yes'], ['status']]) {
      const r = await run(args, repo.dir);
      expect(r.exitCode, r.output).toBe(7);
      expect(r.output).toContain('.cairn/config.json sets cache.dir, and that file is committed');
    }
    victim.unchanged();
  });

  it("from CAIRN_CACHE_DIR it is the user's choice", async () => {
    const repo = await initialised();
    const cacheDir = path.join(tempDir(), 'cache');
    repo.write('data.txt', 'x\n');
    await cairnOk(['add', 'data.txt'], { cwd: repo.dir, env: { CAIRN_CACHE_DIR: cacheDir } });
    expect(fs.existsSync(path.join(cacheDir, 'objects'))).toBe(true);
  });
});

describe("exit codes: the repository's files exit 8, the user's environment exits 2", () => {
  it.each([
    [{ versions: { prefix: 5 } }, ['next'], 'versions.prefix must be a string'],
    [{ versions: { prefix: '-e' } }, ['tags'], 'versions.prefix may only hold'],
    [{ metrics: null }, ['explore', 'list'], 'metrics must be an object (it is null)'],
    [{ results: { db: 5 } }, ['tag', '--dry-run'], 'results.db must be a string'],
    [{ merge: { id: 'track_id' } }, ['merge', 'a.db', 'b.db'], 'merge.id must be a list of names'],
  ])('%j: cairn %j exits 8', async (cfg, args, words) => {
    const repo = await initialised();
    repo.write('.cairn/config.json', JSON.stringify(cfg));
    const r = await run(args, repo.dir);
    expect(r.exitCode, r.output).toBe(8);
    expect(r.output).toContain(`.cairn/config.json: ${words}`);
  });

  it('a bad CAIRN_VERSIONS_PREFIX is a usage error (exit 2) naming the variable', async () => {
    const repo = await initialised();
    const r = await run(['next'], repo.dir, { CAIRN_VERSIONS_PREFIX: '-x' });
    expect(r.exitCode, r.output).toBe(2);
    expect(r.output).toContain('CAIRN_VERSIONS_PREFIX may only hold');
  });
});

describe('loadConfig (library)', () => {
  it('merges the checked layers: defaults < committed < local < environment', async () => {
    const repo = await initialised();
    repo.write('.cairn/config.json', JSON.stringify({ remotes: { s: { url: 's3://bucket/p' } }, metrics: { primary: 'f1' }, transfer: { jobs: 2 } }));
    repo.write('.cairn/config.local.json', JSON.stringify({ remotes: { s: { accessKeyId: 'a', secretAccessKey: 'b' } }, transfer: { jobs: 3 } }));
    const cfg = await loadConfig(repo.dir, repo.dir, { CAIRN_TRANSFER_JOBS: '4' });
    expect(cfg.remotes.s).toEqual({ url: 's3://bucket/p', accessKeyId: 'a', secretAccessKey: 'b' });
    expect(cfg.metrics).toEqual({ primary: 'f1', minimize: false });
    expect(cfg.transfer.jobs).toBe(4);
    expect(cfg.models.production).toBe('model.bin');
  });

  it('throws typed errors, never a TypeError', async () => {
    const repo = await initialised();
    repo.write('.cairn/config.json', '{"models": {"production": "../../.bashrc"}}');
    await expect(loadConfig(repo.dir, repo.dir, {})).rejects.toBeInstanceOf(IntegrityError);
    repo.write('.cairn/config.json', '{"remotes": {"s": {"url": "s3://bucket", "secretAccessKey": "x"}}}');
    await expect(loadConfig(repo.dir, repo.dir, {})).rejects.toBeInstanceOf(UnsafeError);
  });
});
