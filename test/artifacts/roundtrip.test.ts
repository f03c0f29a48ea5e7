import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifacts, checkout, openRepo, status } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import { listObjectHashes } from '../../src/store/cache.js';
import { gitRepo, linkedWorktree, type TestRepo } from '../helpers/repo.js';

async function setup(where: 'main' | 'linked'): Promise<{ main: TestRepo; wt: TestRepo }> {
  const main = gitRepo();
  await init(main.dir);
  main.commit('cairn init');
  const wt = where === 'main' ? main : linkedWorktree(main);
  return { main, wt };
}

function populate(wt: TestRepo): void {
  wt.write('data/a.txt', 'alpha\n');
  wt.write('data/empty.txt', '');
  wt.write('data/nested/deeper/b.bin', Buffer.from([0, 1, 2, 255]));
  wt.write('data/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  wt.write('data/café/naïve 文字.txt', 'unicode\n');
  wt.write('model.bin', Buffer.alloc(3 * 1024 * 1024, 7)); // above the small-file limit
}

describe.each(['main', 'linked'] as const)('add, status, checkout in the %s worktree', (where) => {
  it('round-trips files and directories through the shared cache', async () => {
    const { main, wt } = await setup(where);
    populate(wt);
    const repo = await openRepo(wt.dir);
    expect(repo.cache.dir).toBe(path.join(main.dir, '.git', 'cairn', 'cache'));

    const added = await addArtifacts(repo, { cwd: wt.dir, paths: ['data', 'model.bin'] });
    expect(added.map((a) => [a.path, a.kind, a.changed])).toEqual([
      ['data', 'dir', true],
      ['model.bin', 'file', true],
    ]);
    expect(added[0]!.files).toBe(5);
    expect(wt.read('.gitignore').split('\n')).toEqual(expect.arrayContaining(['/data', '/model.bin']));
    expect(wt.git('diff', '--cached', '--name-only').split('\n').filter(Boolean).sort()).toEqual(['.gitignore', 'data.cairn', 'model.bin.cairn']);
    expect((await status(repo, { cwd: wt.dir })).map((s) => s.state)).toEqual(['unchanged', 'unchanged']);

    const before = {
      a: wt.read('data/a.txt'),
      b: fs.readFileSync(path.join(wt.dir, 'data/nested/deeper/b.bin')),
      u: wt.read('data/café/naïve 文字.txt'),
      m: fs.readFileSync(path.join(wt.dir, 'model.bin')),
    };
    fs.rmSync(path.join(wt.dir, 'data'), { recursive: true });
    fs.rmSync(path.join(wt.dir, 'model.bin'));
    expect((await status(repo, { cwd: wt.dir })).map((s) => s.state)).toEqual(['missingWorkspace', 'missingWorkspace']);

    const result = await checkout(repo, { cwd: wt.dir });
    expect(result.written.sort()).toEqual(
      ['data/a.txt', 'data/café/naïve 文字.txt', 'data/empty.txt', 'data/nested/deeper/b.bin', 'data/run.sh', 'model.bin'].sort(),
    );
    expect(wt.read('data/a.txt')).toBe(before.a);
    expect(fs.readFileSync(path.join(wt.dir, 'data/nested/deeper/b.bin'))).toEqual(before.b);
    expect(wt.read('data/café/naïve 文字.txt')).toBe(before.u);
    expect(fs.readFileSync(path.join(wt.dir, 'model.bin')).equals(before.m)).toBe(true);
    expect(wt.read('data/empty.txt')).toBe('');
    expect(fs.statSync(path.join(wt.dir, 'data/run.sh')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(wt.dir, 'data/a.txt')).mode & 0o777).toBe(0o644);
    expect((await status(repo, { cwd: wt.dir })).map((s) => s.state)).toEqual(['unchanged', 'unchanged']);
  });

  it('shares one cache between worktrees: the same content is stored once', async () => {
    const { main, wt } = await setup(where);
    main.write('data.csv', 'x,y\n1,2\n');
    await addArtifacts(await openRepo(main.dir), { cwd: main.dir, paths: ['data.csv'] });
    const cache = path.join(main.dir, '.git', 'cairn', 'cache', 'objects');
    const count = listObjectHashes(cache).length;
    const other = where === 'main' ? linkedWorktree(main, 'other') : wt;
    other.write('copy.csv', 'x,y\n1,2\n');
    await addArtifacts(await openRepo(other.dir), { cwd: other.dir, paths: ['copy.csv'] });
    expect(listObjectHashes(cache).length).toBe(count);
  });

  it('reports a modified file, a modified folder and content missing from the cache', async () => {
    const { wt } = await setup(where);
    populate(wt);
    const repo = await openRepo(wt.dir);
    await addArtifacts(repo, { cwd: wt.dir, paths: ['data', 'model.bin'] });
    wt.write('data/a.txt', 'changed\n');
    wt.write('data/new.txt', 'new\n');
    fs.rmSync(path.join(wt.dir, 'data/empty.txt'));
    const [dir] = await status(repo, { cwd: wt.dir, paths: ['data'] });
    expect(dir!.state).toBe('modified');
    expect(dir!.changes).toEqual({ added: ['new.txt'], removed: ['empty.txt'], changed: ['a.txt'] });

    fs.chmodSync(path.join(wt.dir, 'data/run.sh'), 0o644);
    expect((await status(repo, { cwd: wt.dir, paths: ['data'] }))[0]!.changes!.changed).toContain('run.sh');

    const pointer = JSON.parse(wt.read('model.bin.cairn'));
    const obj = repo.cache.objectPath(pointer.hash);
    fs.chmodSync(obj, 0o644);
    fs.rmSync(obj);
    expect((await status(repo, { cwd: wt.dir, paths: ['model.bin'] }))[0]!.state).toBe('missingCache');
  });
});
