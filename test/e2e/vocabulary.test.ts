/**
 * The words a git or DVC user types: aliases, `cairn version`, `cairn` alone,
 * and what an unbuilt checkout says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/repo.js';

describe('command vocabulary', () => {
  it('cairn alone prints its usage on stderr and exits 1, as git does', async () => {
    const r = await cairn([], { cwd: tempDir() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Usage: cairn');
  });

  it('cairn version prints the version, as cairn --version does', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')) as { version: string };
    expect((await cairnOk(['version'], { cwd: tempDir() })).stdout).toBe(`${pkg.version}\n`);
    expect((await cairnOk(['--version'], { cwd: tempDir() })).stdout).toBe(`${pkg.version}\n`);
  });

  it('takes remote rm, worktree add/remove and ls for every list', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const remote = path.join(tempDir(), 'remote');
    await cairnOk(['remote', 'add', 'r', remote], { cwd: repo.dir });
    expect((await cairnOk(['remote', 'ls'], { cwd: repo.dir })).stdout).toContain('r  ');
    await cairnOk(['remote', 'rm', 'r'], { cwd: repo.dir });
    expect((await cairnOk(['remote', 'ls'], { cwd: repo.dir })).stdout).toContain('no remotes');
    repo.commit('remote gone');
    await cairnOk(['worktree', 'add', 'alias'], { cwd: repo.dir });
    expect((await cairnOk(['worktree', 'ls'], { cwd: repo.dir })).stdout).toContain('exp/alias');
    await cairnOk(['worktree', 'remove', 'alias'], { cwd: repo.dir });
    expect((await cairnOk(['worktree', 'ls'], { cwd: repo.dir })).stdout).not.toContain('exp/alias');
    for (const group of ['remote', 'worktree', 'explore', 'model', 'backup', 'config']) {
      const [ls, list] = [await cairn([group, 'ls'], { cwd: repo.dir }), await cairn([group, 'list'], { cwd: repo.dir })];
      expect(ls.exitCode, `${group} ls: ${ls.stderr}`).toBe(0);
      expect(ls.stdout, `${group} ls`).toBe(list.stdout);
    }
    const typo = await cairn(['remote', 'ls', 'extra'], { cwd: repo.dir });
    expect(typo.exitCode).toBe(2);
  });

  it('an unbuilt checkout says to run npm install, not a module stack trace', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(BIN, path.join(dir, 'bin', 'cairn.js'));
    fs.copyFileSync(path.join(path.dirname(BIN), '..', 'package.json'), path.join(dir, 'package.json'));
    let stderr = '';
    let status = 0;
    try {
      execFileSync('node', [path.join(dir, 'bin', 'cairn.js'), 'status'], { cwd: dir, stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: Buffer }).stderr);
      status = (err as { status: number }).status;
    }
    expect(status).toBe(1);
    expect(stderr).toContain('run npm install');
    expect(stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });

  it('status --exit-code and -q exit 1 when anything is not up to date, and status names the next step', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('a.txt', 'a\n');
    repo.write('b.txt', 'b\n');
    await cairnOk(['add', 'a.txt', 'b.txt'], { cwd: repo.dir });
    repo.commit('data');
    const clean = await cairn(['status', '--exit-code'], { cwd: repo.dir });
    expect(clean.exitCode).toBe(0);
    expect(clean.stdout).toContain('all 2 artifacts up to date');
    expect(await cairn(['status', '-q'], { cwd: repo.dir })).toMatchObject({ exitCode: 0, stdout: '' });
    // With --remote, not pushed is not up to date either; after a push it is.
    await cairnOk(['remote', 'add', 'store', path.join(tempDir(), 'store'), '--default'], { cwd: repo.dir });
    expect((await cairn(['status', '--remote', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(1);
    expect((await cairn(['status', '--remote', '-q'], { cwd: repo.dir })).exitCode).toBe(1);
    expect((await cairn(['status', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(0);
    await cairnOk(['push'], { cwd: repo.dir });
    expect((await cairn(['status', '--remote', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(0);

    repo.write('a.txt', 'changed\n');
    fs.rmSync(path.join(repo.dir, 'b.txt'));
    const plain = await cairn(['status'], { cwd: repo.dir });
    expect(plain.exitCode).toBe(0); // without --exit-code, a report is not a failure
    expect(plain.stdout).toContain('cairn add a.txt records the changes');
    expect(plain.stdout).toContain('cairn checkout restores the missing files');
    expect((await cairn(['status', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(1);
    expect(await cairn(['status', '-q'], { cwd: repo.dir })).toMatchObject({ exitCode: 1, stdout: '' });

    // After a clone, the objects are elsewhere: the hint is pull.
    const clone = path.join(tempDir(), 'clone');
    execFileSync('git', ['clone', '-q', repo.dir, clone]);
    const cloned = await cairn(['status'], { cwd: clone });
    expect(cloned.stdout).toContain('cairn pull fetches what the cache lacks');
  });
});

describe('remotes belong to the clone, as git remotes do', () => {
  it('a remote added in a linked worktree is seen from main, and worktree rm has nothing to refuse over', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    await cairnOk(['worktree', 'new', 'cnn'], { cwd: repo.dir });
    const wt = path.join(path.dirname(repo.dir), 'exp-cnn');
    const store = path.join(tempDir(), 'store');
    const added = await cairnOk(['remote', 'add', 'store', store, '--default'], { cwd: wt });
    expect(added.stdout).toContain('for every worktree of this clone');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: wt, encoding: 'utf8' })).toBe('');
    const fromMain = await cairnOk(['remote', 'list', '--json'], { cwd: repo.dir });
    expect(JSON.parse(fromMain.stdout).remotes).toEqual([expect.objectContaining({ name: 'store', default: true })]);
    // Used from main: a push there goes to the remote the worktree added.
    repo.write('data.bin', 'data\n');
    await cairnOk(['add', 'data.bin'], { cwd: repo.dir });
    repo.commit('data');
    expect((await cairnOk(['push'], { cwd: repo.dir })).stdout).toContain('pushed 1 object');
    expect((await cairn(['worktree', 'rm', 'cnn'], { cwd: repo.dir })).exitCode).toBe(0);
    await cairnOk(['remote', 'rm', 'store'], { cwd: repo.dir });
    expect((await cairnOk(['remote', 'list'], { cwd: repo.dir })).stdout).toContain('no remotes');
  });

  it('--shared writes the committed config (staged), for everyone who clones', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const store = path.join(tempDir(), 'store');
    const r = await cairnOk(['remote', 'add', 'team', store, '--default', '--shared'], { cwd: repo.dir });
    expect(r.stdout).toContain('commit it to share the remote');
    expect(JSON.parse(repo.read('.cairn/config.json'))).toMatchObject({ remote: 'team', remotes: { team: { url: store } } });
    expect(repo.git('diff', '--cached', '--name-only')).toContain('.cairn/config.json');
    repo.commit('share the remote');
    const clone = path.join(tempDir(), 'clone');
    execFileSync('git', ['clone', '-q', repo.dir, clone]);
    expect(JSON.parse((await cairnOk(['remote', 'list', '--json'], { cwd: clone })).stdout).remotes).toEqual([expect.objectContaining({ name: 'team' })]);
  });
});

describe('cairn config', () => {
  it('sets, gets, lists and unsets keys through the schema, committed (staged) or --local', async () => {
    const repo = gitRepo();
    const init = await cairnOk(['init'], { cwd: repo.dir });
    expect(init.stdout).toContain('cairn config set metrics.primary');
    repo.commit('init');
    await cairnOk(['config', 'set', 'metrics.primary', 'f1'], { cwd: repo.dir });
    await cairnOk(['config', 'set', 'metrics.minimize', 'true'], { cwd: repo.dir });
    await cairnOk(['config', 'set', 'merge.id', '["track_id","timestamp"]'], { cwd: repo.dir });
    expect(JSON.parse(repo.read('.cairn/config.json'))).toMatchObject({ metrics: { primary: 'f1', minimize: true }, merge: { id: ['track_id', 'timestamp'] } });
    expect(repo.git('diff', '--cached', '--name-only')).toContain('.cairn/config.json');
    expect((await cairnOk(['config', 'get', 'metrics.primary'], { cwd: repo.dir })).stdout).toBe('f1\n');
    await cairnOk(['config', 'set', 'cache.link', 'hardlink', '--local'], { cwd: repo.dir });
    expect(JSON.parse(repo.read('.cairn/config.local.json'))).toEqual({ cache: { link: 'hardlink' } });
    const list = await cairnOk(['config', 'list'], { cwd: repo.dir });
    expect(list.stdout).toContain('cache.link=hardlink');
    expect(list.stdout).toContain('metrics.primary=f1');
    await cairnOk(['config', 'unset', 'metrics.minimize'], { cwd: repo.dir });
    expect(JSON.parse(repo.read('.cairn/config.json')).metrics).toEqual({ primary: 'f1' });

    // Bad input: a typo (exit 2, naming the keys), a wrong type (exit 8, nothing written), an unset key (exit 4), cache.dir committed (exit 7).
    const before = repo.read('.cairn/config.json');
    const typo = await cairn(['config', 'set', 'metrics.primry', 'f1'], { cwd: repo.dir });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('metrics takes primary, minimize, names');
    expect((await cairn(['config', 'set', 'metrics.primary', '[1]'], { cwd: repo.dir })).exitCode).toBe(8);
    expect((await cairn(['config', 'set', 'cache.dir', '/elsewhere'], { cwd: repo.dir })).exitCode).toBe(7);
    expect(repo.read('.cairn/config.json')).toBe(before);
    expect((await cairn(['config', 'get', 'results.db'], { cwd: repo.dir })).exitCode).toBe(4);
  });
});
