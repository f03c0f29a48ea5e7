import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { fileDigest, gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';

const PKG = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'));

async function initialised(): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  return repo;
}

describe('the CLI as a user runs it', () => {
  it('prints its version and help', async () => {
    const v = await cairn(['--version'], { cwd: tempDir() });
    expect(v).toMatchObject({ exitCode: 0, stdout: `${PKG.version}\n` });
    const h = await cairn(['--help'], { cwd: tempDir() });
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('Exit codes');
  });

  it('suggests the nearest command for a typo (usage exit code 2)', async () => {
    const r = await cairn(['stauts'], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/hint: did you mean status\?/);
  });

  it('init is idempotent and -C selects the folder', async () => {
    const repo = gitRepo();
    const outside = tempDir();
    const first = await cairnOk(['-C', repo.dir, 'init'], { cwd: outside });
    expect(first.stdout).toContain('initialised cairn');
    const again = await cairnOk(['-C', repo.dir, 'init'], { cwd: outside });
    expect(again.stdout).toContain('already initialised');
    expect(repo.read('.cairn/.gitignore')).toContain('config.local.json');
  });

  it('add, status --json, checkout round trip', async () => {
    const repo = await initialised();
    repo.write('data/train.csv', 'a,b\n1,2\n');
    const add = await cairnOk(['add', 'data'], { cwd: repo.dir });
    expect(add.stdout).toMatch(/^added data \(1 file, 8 B, [0-9a-f]{12}\) -> data\.cairn$/m);
    const st = JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir })).stdout);
    expect(st.artifacts).toEqual([expect.objectContaining({ path: 'data', state: 'unchanged', kind: 'dir', files: 1 })]);
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    expect((await cairnOk(['status'], { cwd: repo.dir })).stdout).toContain('missing from workspace:  data');
    const co = await cairnOk(['checkout'], { cwd: repo.dir });
    expect(co.stdout).toContain('checked out 1 file,');
    expect(repo.read('data/train.csv')).toBe('a,b\n1,2\n');
  });

  it('adds from a subfolder with paths relative to it', async () => {
    const repo = await initialised();
    repo.write('sub/dir/file.bin', 'bytes');
    await cairnOk(['add', 'file.bin'], { cwd: path.join(repo.dir, 'sub/dir') });
    expect(repo.exists('sub/dir/file.bin.cairn')).toBe(true);
    expect(repo.read('sub/dir/.gitignore')).toBe('/file.bin\n');
  });

  it('prints no progress bar when piped', async () => {
    const repo = await initialised();
    repo.write('big.bin', Buffer.alloc(40 * 1024 * 1024, 9));
    const r = await cairnOk(['add', 'big.bin'], { cwd: repo.dir, env: { CAIRN_NO_PROGRESS: '' } });
    expect(r.stderr).toBe('');
  });
});

describe('bad input gets a clear error, the right exit code, and loses nothing', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await initialised();
  });

  it('outside a git repository: exit 3', async () => {
    const r = await cairn(['status'], { cwd: tempDir() });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('not a git repository');
    expect(r.stderr).toContain('hint:');
  });

  it('in a repository without cairn init: exit 3 with the fix', async () => {
    const r = await cairn(['add', 'README.md'], { cwd: gitRepo().dir });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('run cairn init');
  });

  it('-C to a folder that does not exist: exit 4', async () => {
    const r = await cairn(['-C', '/nonexistent/nowhere', 'status'], { cwd: tempDir() });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('no such directory');
  });

  it('a missing file: exit 4', async () => {
    const r = await cairn(['add', 'nope.bin'], { cwd: repo.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('no such file or directory: nope.bin');
  });

  it('a path outside the repository: exit 7, nothing written', async () => {
    const outside = path.join(path.dirname(repo.dir), 'outside.bin');
    fs.writeFileSync(outside, 'secret');
    const r = await cairn(['add', '../outside.bin'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('outside the repository');
    expect(fs.existsSync(outside + '.cairn')).toBe(false);
  });

  it('a path inside .git: exit 7', async () => {
    const r = await cairn(['add', '.git/config'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
  });

  it('a file git already tracks: exit 2 with the git command to run', async () => {
    const r = await cairn(['add', 'README.md'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('git rm -r --cached README.md');
  });

  it('a corrupt pointer: exit 8, names the pointer', async () => {
    const bad = await initialised();
    bad.write('broken.bin.cairn', '{"cairn": 1, "kind": ');
    const r = await cairn(['status'], { cwd: bad.dir });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('invalid pointer broken.bin.cairn: it is not JSON');
  });

  it('a pointer with a ../ path: exit 7, never followed', async () => {
    const bad = await initialised();
    const victim = path.join(path.dirname(bad.dir), 'victim.txt');
    fs.writeFileSync(victim, 'keep me');
    bad.write('victim.txt.cairn', JSON.stringify({ cairn: 1, kind: 'file', path: '../victim.txt', hash: 'sha256:' + 'a'.repeat(64), size: 1 }));
    for (const cmd of [['status'], ['checkout', '--force']]) {
      const r = await cairn(cmd, { cwd: bad.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('is unsafe (it climbs out with ..)');
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me');
  });

  it('a missing cache object: checkout exits 4 and says how to get it', async () => {
    const r0 = await initialised();
    r0.write('w.bin', 'weights');
    await cairnOk(['add', 'w.bin'], { cwd: r0.dir });
    const hash = JSON.parse(r0.read('w.bin.cairn')).hash.slice(7);
    fs.rmSync(path.join(r0.dir, '.git/cairn/cache/objects', hash.slice(0, 2), hash.slice(2)), { force: true });
    fs.rmSync(path.join(r0.dir, 'w.bin'));
    const r = await cairn(['checkout'], { cwd: r0.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('not in the cache');
    expect(r.stderr).toContain('cairn pull');
    expect(r0.exists('w.bin')).toBe(false);
    const v = await cairn(['verify'], { cwd: r0.dir });
    expect(v.exitCode).toBe(8);
    expect(v.stdout).toContain('missing:');
  });

  it('a tampered cache object: verify and checkout exit 8, workspace untouched', async () => {
    const r0 = await initialised();
    r0.write('w.bin', 'weights');
    await cairnOk(['add', 'w.bin'], { cwd: r0.dir });
    const hash = JSON.parse(r0.read('w.bin.cairn')).hash.slice(7);
    const obj = path.join(r0.dir, '.git/cairn/cache/objects', hash.slice(0, 2), hash.slice(2));
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'WEIGHTS'); // same size, other bytes
    const v = await cairn(['verify'], { cwd: r0.dir });
    expect(v.exitCode).toBe(8);
    expect(v.stdout).toContain(`corrupt: ${hash.slice(0, 12)} (${obj})`);
    fs.rmSync(path.join(r0.dir, 'w.bin'));
    const c = await cairn(['checkout'], { cwd: r0.dir });
    expect(c.exitCode).toBe(8);
    expect(c.stderr).toContain('is corrupt');
    expect(r0.exists('w.bin')).toBe(false);
    expect(fs.readdirSync(r0.dir).filter((n) => n.includes('cairn-tmp'))).toEqual([]);
  });

  it('a tampered large object is caught even after checkout has vouched for it once', async () => {
    for (const link of ['copy', 'hardlink']) {
      const r0 = await initialised();
      r0.write('.cairn/config.json', JSON.stringify({ cache: { link } }));
      r0.write('big.bin', Buffer.alloc(3 * 1024 * 1024, 1));
      await cairnOk(['add', 'big.bin'], { cwd: r0.dir });
      fs.rmSync(path.join(r0.dir, 'big.bin'));
      await cairnOk(['checkout'], { cwd: r0.dir }); // fast path: hashed when stored
      fs.rmSync(path.join(r0.dir, 'big.bin'));
      const hash = JSON.parse(r0.read('big.bin.cairn')).hash.slice(7);
      const obj = path.join(r0.dir, '.git/cairn/cache/objects', hash.slice(0, 2), hash.slice(2));
      const mtime = fs.statSync(obj).mtime;
      fs.chmodSync(obj, 0o644);
      const fd = fs.openSync(obj, 'r+');
      fs.writeSync(fd, Buffer.from([2]), 0, 1, 1024);
      fs.closeSync(fd);
      fs.chmodSync(obj, 0o444);
      fs.utimesSync(obj, mtime, mtime); // even with the mtime put back, ctime moved
      const c = await cairn(['checkout'], { cwd: r0.dir });
      expect(c.exitCode, link).toBe(8);
      expect(c.stderr).toContain('is corrupt');
      expect(r0.exists('big.bin')).toBe(false);
    }
  });

  it('checkout refuses to overwrite changes that are not in the cache, unless --force', async () => {
    const r0 = await initialised();
    r0.write('data/a.txt', 'original');
    await cairnOk(['add', 'data'], { cwd: r0.dir });
    r0.write('data/a.txt', 'precious edit');
    r0.write('data/extra.txt', 'new file');
    const before = fileDigest(path.join(r0.dir, 'data/a.txt'));
    const r = await cairn(['checkout'], { cwd: r0.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('data/a.txt has changes that are not in the cache');
    expect(r.stderr).toContain('--force');
    expect(fileDigest(path.join(r0.dir, 'data/a.txt'))).toBe(before);
    expect(r0.read('data/extra.txt')).toBe('new file');
    await cairnOk(['checkout', '--force'], { cwd: r0.dir });
    expect(r0.read('data/a.txt')).toBe('original');
    expect(r0.exists('data/extra.txt')).toBe(false);
  });

  it('checkout replaces content that is already cached without --force', async () => {
    const r0 = await initialised();
    r0.write('m.bin', 'v1');
    await cairnOk(['add', 'm.bin'], { cwd: r0.dir });
    const v1 = r0.read('m.bin.cairn');
    r0.write('m.bin', 'v2');
    await cairnOk(['add', 'm.bin'], { cwd: r0.dir });
    r0.write('m.bin.cairn', v1); // like git checkout of an older pointer
    await cairnOk(['checkout'], { cwd: r0.dir });
    expect(r0.read('m.bin')).toBe('v1');
  });

  it('untrack of something that is not an artifact: exit 4', async () => {
    const r = await cairn(['untrack', 'README.md'], { cwd: repo.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('no artifact at README.md');
  });

  it('add of a pointer file itself: exit 2', async () => {
    const r0 = await initialised();
    r0.write('x.bin', 'x');
    await cairnOk(['add', 'x.bin'], { cwd: r0.dir });
    const r = await cairn(['add', 'x.bin.cairn'], { cwd: r0.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('cairn add x.bin');
  });

  it('--json errors are JSON on stdout', async () => {
    const r = await cairn(['status', '--json'], { cwd: tempDir() });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_NOT_A_REPO', exitCode: 3 });
  });
});
