import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifacts, addRemote, mergeResults, NotFoundError, openRepo, push, UsageError } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { bytesOf, makeDatabase, readRows } from '../helpers/resultFiles.js';
import { base, branch, rerun } from '../helpers/xetrack.js';

const DB = 'results/experiments.db';

/**
 * main has the base results tracked as an artifact; branch exp/cnn was made
 * in a linked worktree, logged its own results, committed them, and the
 * worktree was removed: the branch's database exists only in the cache.
 */
async function project(): Promise<{ main: TestRepo; branchHash: string }> {
  const main = gitRepo();
  await init(main.dir);
  await makeDatabase(path.join(main.dir, DB), 'sqlite', base());
  await addArtifacts(await openRepo(main.dir), { cwd: main.dir, paths: [DB] });
  main.commit('baseline results');

  const wtDir = path.join(path.dirname(main.dir), 'exp-cnn');
  main.git('worktree', 'add', '-q', '-b', 'exp/cnn', wtDir);
  const wt = repoAt(wtDir);
  await makeDatabase(path.join(wtDir, DB), 'sqlite', branch());
  const [added] = await addArtifacts(await openRepo(wtDir), { cwd: wtDir, paths: [DB] });
  await makeDatabase(path.join(wtDir, 'small/plain.db'), 'sqlite', rerun());
  wt.git('add', '-f', 'small/plain.db');
  wt.commit('cnn results');
  main.git('worktree', 'remove', '--force', wtDir);
  expect(fs.existsSync(wtDir)).toBe(false);
  return { main, branchHash: added!.hash };
}

describe('REV:path sources', () => {
  it("merges a branch's committed results from the cache, with no worktree", async () => {
    const { main, branchHash } = await project();
    const r = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`] });
    expect(r.applied).toBe(true);
    expect(r.sources).toEqual([{ spec: `exp/cnn:${DB}`, kind: 'sqlite', file: DB, rev: 'exp/cnn', hash: branchHash }]);
    expect(r.tables.find((t) => t.table === 'default')).toMatchObject({ source: `exp/cnn:${DB}`, added: 3, duplicates: 4 });
    expect(r.totals.added).toBe(12);
    expect(await readRows(path.join(main.dir, DB), 'default')).toHaveLength(7);
    // HEAD, the index and the worktree list are as they were.
    expect(main.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(main.git('status', '--porcelain')).toBe('');
  });

  it('paths starting with ./ are relative to the current folder, as in git', async () => {
    const { main } = await project();
    const r = await mergeResults({ cwd: path.join(main.dir, 'results'), target: 'experiments.db', sources: ['exp/cnn:./experiments.db'] });
    expect(r.totals.added).toBe(12);
  });

  it('reads a git-tracked (not artifact) file from the revision', async () => {
    const { main } = await project();
    const r = await mergeResults({ cwd: main.dir, target: DB, sources: ['exp/cnn:small/plain.db'], tables: ['default'] });
    expect(r.tables.map((t) => [t.table, t.added, t.duplicates])).toEqual([['default', 3, 0]]);
  });

  it('a missing object names the fetch to run; a fetchObject seam can bring it', async () => {
    const { main, branchHash } = await project();
    const repo = await openRepo(main.dir);
    const object = repo.cache.objectPath(branchHash);
    const saved = fs.readFileSync(object);
    fs.rmSync(object);
    const before = bytesOf(path.join(main.dir, DB));
    const err = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`] }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe(`exp/cnn:${DB}: its content (${branchHash}) is not in the local cache`);
    expect(err.hint).toBe('fetch it first: cairn pull --rev exp/cnn');
    expect(bytesOf(path.join(main.dir, DB)).equals(before)).toBe(true);

    const fetched: string[] = [];
    const r = await mergeResults({
      cwd: main.dir,
      target: DB,
      sources: [`exp/cnn:${DB}`],
      fetchObject: async (hash, rev) => {
        fetched.push(`${rev} ${hash}`);
        repo.cache.storeBytes(saved, hash);
      },
    });
    expect(fetched).toEqual([`exp/cnn ${branchHash}`]);
    expect(r.totals.added).toBe(12);
  });

  it('a missing object comes from the default remote when there is one', async () => {
    const { main, branchHash } = await project();
    const repo = await openRepo(main.dir);
    await addRemote(repo, { name: 'origin', url: tempDir('cairn-remote-'), makeDefault: true });
    const withRemote = await openRepo(main.dir);
    await push(withRemote, { revs: ['exp/cnn'] });
    fs.rmSync(withRemote.cache.objectPath(branchHash));
    const r = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`] });
    expect(r.totals.added).toBe(12);
    expect(withRemote.cache.has(branchHash)).toBe(true);

    // Not on the remote either: the error says so and what to do.
    fs.rmSync(withRemote.cache.objectPath(branchHash));
    fs.rmSync(path.join(withRemote.config.remotes.origin!.url, 'objects', branchHash.slice(7, 9), branchHash.slice(9)));
    const err = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`] }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.hint).toMatch(/^nor could it be fetched \(.*\): push it from the machine that has it \(cairn push\), then retry$/);
  });

  it('an unknown revision or path is a NotFoundError', async () => {
    const { main } = await project();
    const noRev = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/nope:${DB}`] }).catch((e) => e);
    expect(noRev).toBeInstanceOf(NotFoundError);
    expect(noRev.message).toBe("unknown revision 'exp/nope'");
    const noPath = await mergeResults({ cwd: main.dir, target: DB, sources: ['exp/cnn:results/nope.db'] }).catch((e) => e);
    expect(noPath).toBeInstanceOf(NotFoundError);
    expect(noPath.message).toBe('results/nope.db does not exist at exp/cnn');
    const folder = await mergeResults({ cwd: main.dir, target: DB, sources: ['exp/cnn:small'] }).catch((e) => e);
    expect(folder).toBeInstanceOf(NotFoundError);
  });

  it('the target as committed elsewhere is a fine source; the target itself is not', async () => {
    const { main } = await project();
    const self = await mergeResults({ cwd: main.dir, target: DB, sources: [DB] }).catch((e) => e);
    expect(self).toBeInstanceOf(UsageError);
    expect(self.message).toBe(`source ${DB} is the target itself`);
    const r = await mergeResults({ cwd: main.dir, target: DB, sources: [`main:${DB}`] });
    expect(r.totals.added).toBe(0);
  });

  it('a rebase keeps the prior state in the cache, named by its hash', async () => {
    const { main } = await project();
    const before = bytesOf(path.join(main.dir, DB));
    const r = await mergeResults({
      cwd: main.dir,
      target: DB,
      sources: [`exp/cnn:${DB}`],
      strategy: 'rebase',
      key: ['version'],
      tables: ['default'],
      yes: true,
    });
    expect(r.tables.map((t) => [t.deleted, t.added])).toEqual([[4, 7]]);
    const repo = await openRepo(main.dir);
    expect(r.backup!.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.backup!.path).toBe(repo.cache.objectPath(r.backup!.hash!));
    expect(bytesOf(r.backup!.path).equals(before)).toBe(true);
  });

  it('defaults come from merge.* in .cairn/config.json; flags win', async () => {
    const { main } = await project();
    main.write('.cairn/config.json', JSON.stringify({ merge: { strategy: 'rebase', key: ['version'], tables: ['default'] } }, null, 2) + '\n');
    const dry = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`] });
    expect([dry.strategy, dry.refused, dry.tables.map((t) => t.table)]).toEqual(['rebase', 'confirmation', ['default']]);
    const merged = await mergeResults({ cwd: main.dir, target: DB, sources: [`exp/cnn:${DB}`], strategy: 'merge', tables: ['metrics'] });
    expect([merged.strategy, merged.applied, merged.tables.map((t) => [t.table, t.added])]).toEqual(['merge', true, [['metrics', 1]]]);
  });
});
