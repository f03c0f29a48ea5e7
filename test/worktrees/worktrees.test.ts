import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { fileDigest, gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { listObjectHashes } from '../../src/store/cache.js';
import { sqliteResults } from '../helpers/results.js';

async function project(): Promise<TestRepo> {
  const repo = gitRepo({ 'train.py': 'lr = 0.01\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  repo.write('data/train.csv', 'x,y\n1,2\n');
  repo.write('model.bin', Buffer.alloc(100_000, 1));
  await cairnOk(['add', 'data', 'model.bin'], { cwd: repo.dir });
  repo.commit('baseline');
  repo.git('tag', '-a', 'e0.1.0', '-m', 'baseline');
  return repo;
}

const objects = (repo: TestRepo) => listObjectHashes(path.join(repo.dir, '.git/cairn/cache/objects'));
const worktreeList = (repo: TestRepo) => repo.git('worktree', 'list', '--porcelain');

describe('experiment worktrees', () => {
  it('new -> change code and data -> add -> commit -> tag -> rm, sharing one cache and leaving main untouched', async () => {
    const repo = await project();
    const mainStatus = repo.git('status', '--porcelain');
    const mainModel = fileDigest(path.join(repo.dir, 'model.bin'));
    const before = objects(repo).length;

    const created = JSON.parse((await cairnOk(['worktree', 'new', 'cnn', '--json'], { cwd: repo.dir })).stdout);
    const dir = path.join(path.dirname(repo.dir), 'exp-cnn');
    expect(created).toMatchObject({ branch: 'exp/cnn', path: dir });
    const wt = repoAt(dir);
    expect(wt.read('data/train.csv')).toBe('x,y\n1,2\n');
    expect(fs.statSync(path.join(dir, 'model.bin')).mode & 0o200).toBe(0o200); // writable
    expect(objects(repo).length).toBe(before); // checked out from the shared cache, nothing copied into a second one
    expect(fs.existsSync(path.join(dir, '.git', 'cairn'))).toBe(false);

    wt.write('train.py', 'lr = 0.001\n');
    wt.write('data/train.csv', 'x,y\n1,2\n3,4\n');
    wt.write('model.bin', Buffer.alloc(100_000, 2));
    await cairnOk(['add', 'data', 'model.bin'], { cwd: dir });
    wt.commit('cnn variant');
    wt.git('tag', '-a', 'exp-cnn-v1', '-m', 'cnn');
    expect(objects(repo).length).toBe(before + 3); // new csv, new manifest, new model: stored once, in the shared cache

    const list = JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: repo.dir })).stdout).worktrees;
    expect(list.map((w: { kind: string }) => w.kind)).toEqual(['main', 'experiment']);
    expect(list[1]).toMatchObject({ branch: 'exp/cnn', dirty: false, lastTag: 'exp-cnn-v1' });

    const removed = JSON.parse((await cairnOk(['worktree', 'rm', 'cnn', '--delete-branch', '--json'], { cwd: repo.dir })).stdout);
    expect(removed).toMatchObject({ branchDeleted: true, discarded: [] });
    expect(fs.existsSync(dir)).toBe(false);
    expect(repo.git('branch', '--list', 'exp/*').trim()).toBe('');
    expect(repo.git('status', '--porcelain')).toBe(mainStatus);
    expect(fileDigest(path.join(repo.dir, 'model.bin'))).toBe(mainModel);
    expect(repo.read('train.py')).toBe('lr = 0.01\n');
  });

  it("list says whether a worktree's results rows are already in the main results database", async () => {
    const repo = await project();
    sqliteResults(path.join(repo.dir, 'results.db'), 'default', [{ track_id: 'a', timestamp: 't1', version: 'e0.1.0', f1: 0.5 }]);
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('results');
    await cairnOk(['worktree', 'new', 'rows'], { cwd: repo.dir });
    const dir = path.join(path.dirname(repo.dir), 'exp-rows');
    const merged = async () => JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: repo.dir })).stdout).worktrees[1].resultsMerged;
    expect(await merged()).toBe('yes');
    sqliteResults(path.join(dir, 'results.db'), 'default', [{ track_id: 'b', timestamp: 't2', version: 'exp-rows-v1', f1: 0.7 }]);
    expect(await merged()).toBe('no');
    await cairnOk(['merge', 'results.db', path.join(dir, 'results.db')], { cwd: repo.dir });
    expect(await merged()).toBe('yes');
  });

  it('works from inside a linked worktree: new ones go beside the main one', async () => {
    const repo = await project();
    await cairnOk(['worktree', 'new', 'a'], { cwd: repo.dir });
    const inner = path.join(path.dirname(repo.dir), 'exp-a');
    await cairnOk(['worktree', 'new', 'group/b'], { cwd: inner });
    const b = path.join(path.dirname(repo.dir), 'exp-group-b');
    expect(fs.existsSync(path.join(b, 'model.bin'))).toBe(true);
    const list = JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: b })).stdout).worktrees;
    expect(list.map((w: { branch: string }) => w.branch)).toEqual(['main', 'exp/a', 'exp/group/b']);
    await cairnOk(['worktree', 'rm', 'group/b'], { cwd: inner });
    expect(fs.existsSync(b)).toBe(false);
  });

  describe('rm refuses for each reason, and allows it once the reason is gone', () => {
    it('uncommitted changes', async () => {
      const repo = await project();
      await cairnOk(['worktree', 'new', 'u'], { cwd: repo.dir });
      const wt = repoAt(path.join(path.dirname(repo.dir), 'exp-u'));
      wt.write('train.py', 'lr = 1\n');
      const r = await cairn(['worktree', 'rm', 'u'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('uncommitted changes');
      expect(r.stderr).toContain('train.py');
      expect(wt.read('train.py')).toBe('lr = 1\n');
      wt.git('checkout', '--', 'train.py');
      await cairnOk(['worktree', 'rm', 'u'], { cwd: repo.dir });
    });

    it('artifacts modified and not added', async () => {
      const repo = await project();
      await cairnOk(['worktree', 'new', 'm'], { cwd: repo.dir });
      const dir = path.join(path.dirname(repo.dir), 'exp-m');
      repoAt(dir).write('model.bin', 'retrained, not added');
      const r = await cairn(['worktree', 'rm', 'm'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('artifacts modified and not added: model.bin');
      await cairnOk(['checkout', '--force'], { cwd: dir });
      await cairnOk(['worktree', 'rm', 'm'], { cwd: repo.dir });
    });

    it('commits reachable from no tag and no other branch', async () => {
      const repo = await project();
      await cairnOk(['worktree', 'new', 'c'], { cwd: repo.dir });
      const wt = repoAt(path.join(path.dirname(repo.dir), 'exp-c'));
      wt.write('train.py', 'lr = 2\n');
      wt.commit('untagged work');
      const r = await cairn(['worktree', 'rm', 'c', '--delete-branch'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('1 commit on exp/c is reachable from no tag and no other branch');
      expect(repo.git('branch', '--list', 'exp/c')).toContain('exp/c');
      wt.git('tag', '-a', 'exp-c-v1', '-m', 'tagged');
      await cairnOk(['worktree', 'rm', 'c', '--delete-branch'], { cwd: repo.dir });
      expect(repo.git('branch', '--list', 'exp/c').trim()).toBe('');
      expect(repo.git('tag', '--list', 'exp-c-v1').trim()).toBe('exp-c-v1');
    });

    it('artifacts not on the remote, when one is configured', async () => {
      const repo = await project();
      await cairnOk(['remote', 'add', 'store', path.join(tempDir(), 'store'), '--default'], { cwd: repo.dir });
      repo.commit('remote');
      await cairnOk(['push'], { cwd: repo.dir });
      await cairnOk(['worktree', 'new', 'p'], { cwd: repo.dir });
      const dir = path.join(path.dirname(repo.dir), 'exp-p');
      const wt = repoAt(dir);
      wt.write('model.bin', 'new weights');
      await cairnOk(['add', 'model.bin'], { cwd: dir });
      wt.commit('new model');
      wt.git('tag', '-a', 'exp-p-v1', '-m', 'tagged');
      const r = await cairn(['worktree', 'rm', 'p'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('1 artifact object is not on the remote (cairn push in that worktree)');
      const listed = JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: repo.dir })).stdout).worktrees;
      expect(listed[1].notPushed).toBe(1);
      await cairnOk(['push'], { cwd: dir });
      await cairnOk(['worktree', 'rm', 'p'], { cwd: repo.dir });
    });

    it('artifacts of an older commit of the branch, not only of its tip, must be on the remote', async () => {
      const repo = await project();
      await cairnOk(['remote', 'add', 'store', path.join(tempDir(), 'store'), '--default'], { cwd: repo.dir });
      repo.commit('remote');
      await cairnOk(['push'], { cwd: repo.dir });
      await cairnOk(['worktree', 'new', 'old'], { cwd: repo.dir });
      const dir = path.join(path.dirname(repo.dir), 'exp-old');
      const wt = repoAt(dir);
      for (const version of ['first weights', 'second weights']) {
        wt.write('model.bin', version);
        await cairnOk(['add', 'model.bin'], { cwd: dir });
        wt.commit(version);
      }
      wt.git('tag', '-a', 'exp-old-v1', '-m', 'tagged');
      await cairnOk(['push'], { cwd: dir }); // the tip's objects only
      const r = await cairn(['worktree', 'rm', 'old'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('1 artifact object is not on the remote (cairn push --all-commits in that worktree)');
      const pushed = JSON.parse((await cairnOk(['push', '--all-commits', '--json'], { cwd: dir })).stdout);
      expect(pushed.uploaded).toBe(1); // the first weights, which only HEAD~1 holds
      await cairnOk(['worktree', 'rm', 'old'], { cwd: repo.dir });
    });

    it('--force removes anyway and says what it discarded', async () => {
      const repo = await project();
      await cairnOk(['worktree', 'new', 'f'], { cwd: repo.dir });
      const wt = repoAt(path.join(path.dirname(repo.dir), 'exp-f'));
      wt.write('train.py', 'lr = 3\n');
      wt.commit('work');
      wt.write('notes.txt', 'scratch');
      const r = await cairnOk(['worktree', 'rm', 'f', '--force', '--delete-branch'], { cwd: repo.dir });
      expect(r.stdout).toContain('discarded: uncommitted changes');
      expect(r.stdout).toContain('discarded: 1 commit on exp/f');
      expect(fs.existsSync(wt.dir)).toBe(false);
      expect(repo.git('branch', '--list', 'exp/f').trim()).toBe('');
    });
  });

  describe('new rolls back completely when it fails', () => {
    it('a folder already in the way: no branch, no worktree', async () => {
      const repo = await project();
      fs.mkdirSync(path.join(path.dirname(repo.dir), 'exp-x'));
      const r = await cairn(['worktree', 'new', 'x'], { cwd: repo.dir });
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toContain('already exists');
      expect(repo.git('branch', '--list', 'exp/x').trim()).toBe('');
    });

    it('a checkout that fails midway (object missing, no remote): no branch, no folder, no worktree entry', async () => {
      const repo = await project();
      const before = worktreeList(repo);
      const hash = JSON.parse(repo.read('model.bin.cairn')).hash.slice(7);
      fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects', hash.slice(0, 2), hash.slice(2)));
      const r = await cairn(['worktree', 'new', 'broken'], { cwd: repo.dir });
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain('not in the cache');
      expect(fs.existsSync(path.join(path.dirname(repo.dir), 'exp-broken'))).toBe(false);
      expect(repo.git('branch', '--list', 'exp/broken').trim()).toBe('');
      expect(worktreeList(repo)).toBe(before);
    });
  });

  it.each([
    ['../escape', 2, 'contains ".."'],
    ['a b', 2, 'whitespace'],
    ['a/b/c', 2, 'more than one "/"'],
    ['-rf', 2, 'must start with a letter or digit'],
    ['x.lock', 2, '.lock'],
  ])('refuses the name %j', async (name, code, message) => {
    const repo = await project();
    const r = await cairn(['worktree', 'new', '--', name], { cwd: repo.dir });
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toContain(message);
    expect(repo.git('branch', '--list').trim()).toBe('* main');
  });

  it('refuses an existing name, an unknown --from, an unknown worktree, and outside a repo', async () => {
    const repo = await project();
    await cairnOk(['worktree', 'new', 'dup'], { cwd: repo.dir });
    expect((await cairn(['worktree', 'new', 'dup'], { cwd: repo.dir })).exitCode).toBe(5);
    expect((await cairn(['worktree', 'new', 'y', '--from', 'nope'], { cwd: repo.dir })).exitCode).toBe(4);
    expect((await cairn(['worktree', 'rm', 'ghost'], { cwd: repo.dir })).exitCode).toBe(4);
    expect((await cairn(['worktree', 'list'], { cwd: tempDir() })).exitCode).toBe(3);
  });
});

describe('exploration worktrees', () => {
  it('checkout -> again (no-op) -> worktrees -> cleanup, leaving exp-* and foreign worktrees alone', async () => {
    const repo = await project();
    repo.write('model.bin', Buffer.alloc(100_000, 9));
    await cairnOk(['add', 'model.bin'], { cwd: repo.dir });
    repo.commit('newer');
    await cairnOk(['worktree', 'new', 'keep'], { cwd: repo.dir });
    const foreign = path.join(path.dirname(repo.dir), 'explore-mine');
    repo.git('worktree', 'add', '-q', '--detach', foreign, 'HEAD');
    const head = repo.git('rev-parse', 'HEAD');

    const first = JSON.parse((await cairnOk(['explore', 'checkout', 'e0.1.0', '--json'], { cwd: repo.dir })).stdout);
    const dir = path.join(path.dirname(repo.dir), 'explore-e0.1.0');
    expect(first).toMatchObject({ created: true, path: dir });
    expect(fs.readFileSync(path.join(dir, 'model.bin'))).toEqual(Buffer.alloc(100_000, 1));
    expect(repoAt(dir).git('rev-parse', 'HEAD')).toBe(repo.git('rev-parse', 'e0.1.0^{commit}'));
    const again = await cairnOk(['explore', 'checkout', 'e0.1.0'], { cwd: repo.dir });
    expect(again.stdout).toContain(`e0.1.0 is already open at ${dir}`);

    const listed = JSON.parse((await cairnOk(['explore', 'worktrees', '--json'], { cwd: repo.dir })).stdout).worktrees;
    expect(listed.map((e: { version: string; present: boolean }) => [e.version, e.present])).toEqual([['e0.1.0', true]]);
    await cairnOk(['explore', 'cleanup'], { cwd: repo.dir });
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(repo.dir), 'exp-keep'))).toBe(true);
    expect(fs.existsSync(foreign)).toBe(true);
    expect(repo.git('rev-parse', 'HEAD')).toBe(head);
  });

  it('cleanup refuses while an exploration worktree holds changes, unless --force', async () => {
    const repo = await project();
    await cairnOk(['explore', 'checkout', 'e0.1.0'], { cwd: repo.dir });
    const dir = path.join(path.dirname(repo.dir), 'explore-e0.1.0');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'my analysis');
    const r = await cairn(['explore', 'cleanup'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('notes.txt');
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('my analysis');
    const forced = await cairnOk(['explore', 'cleanup', '--force'], { cwd: repo.dir });
    expect(forced.stdout).toContain('discarded:');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("works when the tag's data is only on the remote", async () => {
    const repo = await project();
    const store = path.join(tempDir(), 'store');
    await cairnOk(['remote', 'add', 'store', store, '--default'], { cwd: repo.dir });
    repo.commit('remote');
    repo.git('tag', '-a', 'e0.2.0', '-m', 'with remote');
    await cairnOk(['push'], { cwd: repo.dir });
    fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects'), { recursive: true, force: true });
    const r = JSON.parse((await cairnOk(['explore', 'checkout', 'e0.2.0', '--json'], { cwd: repo.dir })).stdout);
    expect(r.fetched).toBe(3);
    expect(fs.readFileSync(path.join(r.path, 'model.bin'))).toEqual(Buffer.alloc(100_000, 1));
  });

  it('an unknown version: exit 4, nothing created', async () => {
    const repo = await project();
    const before = worktreeList(repo);
    for (const v of ['e9.9.9', '../evil', '--help']) {
      const r = await cairn(['explore', 'checkout', '--', v], { cwd: repo.dir });
      expect(r.exitCode, v).toBe(4);
      expect(r.stderr).toContain('unknown version');
    }
    expect(worktreeList(repo)).toBe(before);
    expect((await cairn(['explore', 'cleanup', 'e9.9.9'], { cwd: repo.dir })).exitCode).toBe(4);
  });
});
