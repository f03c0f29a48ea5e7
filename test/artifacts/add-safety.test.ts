/**
 * `add` never loses a user's file: not inside a git-ignored folder, not for
 * names that look like cairn's temp files, not when adds run side by side,
 * not when a file grows while it is read, not on a full disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { openRepo } from '../../src/index.js';
import { hashBytes } from '../../src/store/hash.js';

/** Every file below `dir` (relative paths), for "nothing was written" checks. */
function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function manifestOf(repo: TestRepo, pointerRel: string): Promise<{ path: string; hash: string; size: number }[]> {
  const pointer = JSON.parse(repo.read(pointerRel));
  const r = await openRepo(repo.dir);
  return JSON.parse(r.cache.readObject(pointer.hash).toString('utf8'));
}

describe.each([
  ['a folder rule', 'ignored/\n', 'ignored/data.bin', '.gitignore:1:ignored/'],
  ['a rule on pointer files', 'ignored/*.cairn\n', 'ignored/data.bin', '.gitignore:1:ignored/*.cairn'],
  ['a rule on the .gitignore beside it', 'ignored/.gitignore\n', 'ignored/data.bin', '.gitignore:1:ignored/.gitignore'],
])('add where git ignores what it must stage (%s)', (_name, rules, target, rule) => {
  it('refuses with exit 7 before writing anything, naming the rule', async () => {
    const repo = gitRepo({ '.gitignore': rules });
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    repo.write(target, bytes);
    const cache = path.join(repo.dir, '.git/cairn/cache');
    const before = listTree(cache);
    const r = await cairn(['add', target], { cwd: repo.dir, env: { CAIRN_CACHE_LINK: 'symlink' } });
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr).toContain(rule);
    expect(r.stderr).toMatch(/ignored by git/);
    expect(r.stderr).toMatch(/hint:.*(\.gitignore|move)/i);
    // Nothing written: no object, no pointer, no .gitignore edit, the file as it was.
    expect(listTree(cache)).toEqual(before);
    expect(repo.exists(`${target}.cairn`)).toBe(false);
    expect(repo.exists(path.posix.join(path.posix.dirname(target), '.gitignore'))).toBe(false);
    expect(repo.read('.gitignore')).toBe(rules);
    const st = fs.lstatSync(path.join(repo.dir, target));
    expect(st.isFile()).toBe(true);
    expect(hashBytes(fs.readFileSync(path.join(repo.dir, target)))).toBe(hashBytes(bytes));
  });
});

describe('names that contain .cairn-tmp-', () => {
  it("are user files: stored by add, kept by status, checkout and gc; only cairn's own stale temp files are swept", async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const user: Record<string, string> = {
      'data/a.txt': 'a\n',
      'data/my.cairn-tmp-notes.txt': 'my notes\n',
      'data/x.cairn-tmp-1-abc/inner.txt': 'inner\n',
      // A folder in the exact shape of a temp name, with a dead pid: still the user's.
      'data/.y.cairn-tmp-999999999-abcdef01-0/keep.txt': 'keep\n',
      'notes.cairn-tmp-draft.txt': 'draft beside an added file\n',
      'b.bin': 'b\n',
    };
    for (const [rel, text] of Object.entries(user)) repo.write(rel, text);
    // cairn's own leftovers from a killed process: these go.
    const staleBeside = repo.write('.b.bin.cairn-tmp-999999999-abcdef01-0', 'partial');
    const cacheTmp = path.join(repo.dir, '.git/cairn/cache/tmp');
    fs.mkdirSync(path.join(cacheTmp, '.cairn-tmp-999999999-abcdef01-1'), { recursive: true });
    fs.writeFileSync(path.join(cacheTmp, '.cairn-tmp-999999999-abcdef01-1', 'f'), 'a folder cairn never makes');

    const add = await cairn(['add', 'data', 'b.bin'], { cwd: repo.dir });
    expect(add.exitCode, add.stderr).toBe(0);
    expect(fs.existsSync(staleBeside)).toBe(false);
    const stored = (await manifestOf(repo, 'data.cairn')).map((e) => e.path);
    expect(stored).toEqual(['.y.cairn-tmp-999999999-abcdef01-0/keep.txt', 'a.txt', 'my.cairn-tmp-notes.txt', 'x.cairn-tmp-1-abc/inner.txt']);
    repo.commit('add');

    const st = JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir })).stdout);
    expect(st.artifacts.map((a: { state: string }) => a.state)).toEqual(['unchanged', 'unchanged']);
    fs.rmSync(path.join(repo.dir, 'data/a.txt'));
    fs.rmSync(path.join(repo.dir, 'data/my.cairn-tmp-notes.txt'));
    await cairnOk(['checkout'], { cwd: repo.dir });
    const gc = await cairn(['gc', '--yes'], { cwd: repo.dir });
    expect(gc.exitCode, gc.stderr).toBe(0);
    for (const [rel, text] of Object.entries(user)) expect(repo.read(rel), rel).toBe(text);
    expect(fs.existsSync(path.join(cacheTmp, '.cairn-tmp-999999999-abcdef01-1', 'f'))).toBe(true);
  });
});

describe('concurrent adds in one folder', () => {
  it('keep every .gitignore line and stage every pointer (8 processes)', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const names = Array.from({ length: 8 }, (_, i) => `f${i}.bin`);
    for (const name of names) repo.write(`data/${name}`, Buffer.alloc(64 * 1024, name.charCodeAt(1)));
    const runs = await Promise.all(names.map((name) => cairn(['add', `data/${name}`], { cwd: repo.dir })));
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const ignored = repo.read('data/.gitignore').split('\n');
    for (const name of names) expect(ignored, name).toContain(`/${name}`);
    const staged = repo.git('diff', '--cached', '--name-only').split('\n');
    for (const name of names) expect(staged, name).toContain(`data/${name}.cairn`);
    expect(staged).toContain('data/.gitignore');
    const porcelain = repo.git('status', '--porcelain', '--untracked-files=all');
    expect(porcelain.split('\n').filter((l) => l.startsWith('??') || l.startsWith(' M'))).toEqual([]);
  });
});

describe("git's index locked by another git process", () => {
  it('add waits for the lock to go and stages; a lock that stays is a clear error after the data is safe', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const lock = path.join(repo.dir, '.git/index.lock');
    repo.write('a.bin', 'a\n');
    fs.writeFileSync(lock, '');
    const running = cairn(['add', 'a.bin'], { cwd: repo.dir });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    fs.rmSync(lock);
    const r = await running;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(repo.git('diff', '--cached', '--name-only').split('\n')).toContain('a.bin.cairn');

    repo.write('b.bin', 'b\n');
    fs.writeFileSync(lock, '');
    const stuck = await cairn(['add', 'b.bin'], { cwd: repo.dir });
    fs.rmSync(lock);
    expect(stuck.exitCode).toBe(6);
    expect(stuck.stderr).toMatch(/another git process keeps the index locked/);
    expect(stuck.stderr).toMatch(/git add -- b\.bin\.cairn \.gitignore \(if no git command is running, a crashed one left .*index\.lock: remove it\)/);
    expect(repo.read('.gitignore')).toContain('/b.bin');
    expect(repo.exists('b.bin.cairn')).toBe(true);
  });
});

describe('re-adding a folder added in symlink mode', () => {
  it('takes its symlinks into the cache as the objects they name (a changed file, or an add interrupted half-way)', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const env = { CAIRN_CACHE_LINK: 'symlink' };
    repo.write('data/a.txt', 'a\n');
    repo.write('data/b.txt', 'b\n');
    await cairnOk(['add', 'data'], { cwd: repo.dir, env });
    expect(fs.lstatSync(path.join(repo.dir, 'data/a.txt')).isSymbolicLink()).toBe(true);
    fs.rmSync(path.join(repo.dir, 'data/a.txt'));
    repo.write('data/a.txt', 'a, changed\n');
    const r = await cairn(['add', 'data'], { cwd: repo.dir, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const entries = await manifestOf(repo, 'data.cairn');
    expect(entries.map((e) => [e.path, e.hash, e.size])).toEqual([
      ['a.txt', hashBytes('a, changed\n'), 11],
      ['b.txt', hashBytes('b\n'), 2],
    ]);
    const st = JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir, env })).stdout);
    expect(st.artifacts.map((a: { state: string }) => a.state)).toEqual(['unchanged']);
  });
});

describe('a file that grows while add reads it', () => {
  it('gets the size of the bytes stored in the manifest', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('data/small.txt', 'small\n');
    const big = repo.write('data/big.bin', Buffer.alloc(96 * 1024 * 1024, 1));
    // Another process appends while add runs.
    const appender = spawn(
      'node',
      ['-e', `const fs=require('fs');const b=Buffer.alloc(4096,2);setInterval(()=>fs.appendFileSync(${JSON.stringify(big)},b),1)`],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const r = await cairn(['add', 'data'], { cwd: repo.dir });
      expect(r.exitCode, r.stderr).toBe(0);
    } finally {
      appender.kill('SIGKILL');
    }
    const entry = (await manifestOf(repo, 'data.cairn')).find((e) => e.path === 'big.bin')!;
    const r = await openRepo(repo.dir);
    expect(fs.statSync(r.cache.objectPath(entry.hash)).size).toBe(entry.size);
    const v = JSON.parse((await cairn(['verify', '--json'], { cwd: repo.dir })).stdout);
    expect(v.corrupt).toEqual([]);
  });
});

describe('add on a full disk', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const dir of mounts) execFileSync('umount', [dir]);
  });

  /** A 5 MB tmpfs for the cache, or null where mounting is not allowed. */
  function smallDisk(): string | null {
    const dir = tempDir('cairn-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      return null;
    }
    mounts.push(dir);
    return dir;
  }

  it.each([
    ['a 10 MB file', { 'big.bin': 10 * 1024 * 1024 }, 'big.bin'],
    ['a folder of small files', Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`data/f${i}.bin`, 600 * 1024])), 'data'],
  ])('fails clearly on %s and leaves no temp file in the cache', async (_name, files, target) => {
    const disk = smallDisk();
    if (!disk) {
      console.warn('skipped: mount -t tmpfs is not permitted here');
      return;
    }
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    let seed = 1;
    for (const [rel, size] of Object.entries(files)) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 512) data.writeUInt32LE((seed++ * 2654435761) >>> 0, i);
      repo.write(rel, data);
    }
    const r = await cairn(['add', target], { cwd: repo.dir, env: { CAIRN_CACHE_DIR: disk } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no space left on device/);
    expect(r.stderr).toMatch(/hint: free some disk space/);
    expect(listTree(disk).filter((n) => n.includes('cairn-tmp'))).toEqual([]);
    expect(repo.exists(`${target}.cairn`)).toBe(false);
  });
});
