import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  NotARepoError,
  NotFoundError,
  UnsafeError,
  UsageError,
  addArtifacts,
  listExperiments,
  openRepo,
  parseTagMessage,
  tagExperiment,
  type TagOptions,
} from '../../src/index.js';
import { dataFingerprint } from '../../src/experiments/fingerprint.js';
import { init } from '../../src/artifacts/init.js';
import { pointersAt } from '../../src/store/pointersAtRevision.js';
import { gitRepo, linkedWorktree, tempDir, type TestRepo } from '../helpers/repo.js';
import { resultsFile, sqliteTables, xetrackTable, type TableSpec } from '../helpers/results.js';

/** A project with a results folder git ignores. */
function project(): TestRepo {
  return gitRepo({ 'train.py': 'print("train")\n', '.gitignore': '/results/\n' });
}

async function tag(repo: TestRepo, options: Omit<TagOptions, 'cwd'> = {}) {
  return tagExperiment(await openRepo(repo.dir, { requireInit: false }), { cwd: repo.dir, ...options });
}

/** The tag's message as git stores it. */
function tagMessage(repo: TestRepo, name: string): string {
  return repo.git('for-each-ref', '--format=%(contents)', `refs/tags/${name}`);
}

function tagObject(repo: TestRepo, name: string): string {
  return repo.git('rev-parse', `refs/tags/${name}`).trim();
}

const sweep = xetrackTable([
  { version: 'e0.1.0', track: 'quick-ant-0001', lr: 0.01, model: 'bert', f1: 0.81, loss: 0.5 },
  { version: 'e0.1.0', track: 'calm-fox-0002', lr: 0.0001, model: 'bert', f1: 0.89, loss: 0.35 },
  { version: 'e0.2.0', track: 'other-run-0003', lr: 0.1, model: 'gpt', f1: 0.99, loss: 0.01 },
  { version: 'e0.1.0', track: 'low-owl-0004', lr: 0.001, model: 'bert', f1: null, loss: 0.3 },
  { version: 'e0.1.0', track: 'late-elk-0005', lr: 0.003, model: 'bert', f1: 0.7, loss: 0.45 },
]);

describe.each(['sqlite', 'duckdb'] as const)('tagging from a %s results database', (kind) => {
  async function withResults(tables: TableSpec[] = [sweep]): Promise<{ repo: TestRepo; db: string }> {
    const repo = project();
    fs.mkdirSync(path.join(repo.dir, 'results'));
    const db = await resultsFile(kind, path.join(repo.dir, 'results', 'experiments.db'), tables);
    return { repo, db };
  }

  it('takes the best row of the version, not the newest, and writes §4 trailers', async () => {
    const { repo } = await withResults();
    const result = await tag(repo, { db: 'results/experiments.db', metric: 'f1', message: 'sweep winner' });
    expect(result).toMatchObject({
      tag: 'e0.1.0',
      created: true,
      run: 'calm-fox-0002',
      metrics: { f1: 0.89, val_loss: 0.35 },
      params: { lr: 0.0001, model: 'bert' },
      results: { table: 'default', versionColumn: 'version', rows: 4, metric: 'f1', minimize: false },
    });
    const message = tagMessage(repo, 'e0.1.0');
    expect(message.split('\n')[0]).toBe(`lr=0.0001 | model=bert | f1=0.89 | val_loss=0.35 | data=${result.data.slice(7, 19)} | sweep winner`);
    expect(message).toContain('\nCairn-Results: results/experiments.db#default\n');
    expect(parseTagMessage(message)).toMatchObject({
      version: 'e0.1.0',
      run: 'calm-fox-0002',
      metrics: { f1: 0.89, val_loss: 0.35 },
      params: { lr: 0.0001, model: 'bert' },
      data: result.data,
    });
    expect(repo.git('cat-file', '-t', 'e0.1.0').trim()).toBe('tag');
    expect(repo.git('rev-parse', 'e0.1.0^{commit}')).toBe(repo.git('rev-parse', 'HEAD'));
  });

  it('takes the lowest with --minimize (a loss); NULL metrics never win', async () => {
    const { repo } = await withResults();
    const result = await tag(repo, { db: 'results/experiments.db', metric: 'val_loss', minimize: true });
    expect(result.run).toBe('low-owl-0004');
    expect(Object.keys(result.metrics)).toEqual(['val_loss']);
    expect(result.metrics).toEqual({ val_loss: 0.3 }); // its f1 is NULL: left out
    const best = await tag(repo, { version: 'e0.2.0', db: 'results/experiments.db', metric: 'f1', allowDirty: true });
    expect(best.run).toBe('other-run-0003');
  });

  it('refuses a version with no rows, and creates nothing', async () => {
    const { repo } = await withResults();
    const err = await tag(repo, { version: 'e0.3.0', db: 'results/experiments.db', metric: 'f1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('no rows for e0.3.0');
    expect((err as NotFoundError).hint).toContain('--no-db');
    expect(repo.git('tag', '-l')).toBe('');
  });

  it('refuses several rows with no metric to choose the best', async () => {
    const { repo } = await withResults();
    const err = await tag(repo, { db: 'results/experiments.db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/4 rows for e0.1.0 .* no metric/);
  });

  it('finds the version in experiment_version (xetrack quickstart) and its single row needs no metric', async () => {
    const { repo } = await withResults([
      { name: 'events', columns: [['kind', 'TEXT']], rows: [['start']] },
      {
        name: 'default',
        columns: [
          ['experiment_version', 'TEXT'],
          ['track_id', 'TEXT'],
          ['accuracy', 'DOUBLE'],
          ['batch', 'INTEGER'],
        ],
        rows: [
          ['e0.1.0', 'solo-run-1', 0.5, 32],
          ['e0.2.0', 'x', 0.9, 64],
        ],
      },
    ]);
    const result = await tag(repo, { db: 'results/experiments.db' });
    expect(result).toMatchObject({ run: 'solo-run-1', metrics: { accuracy: 0.5 }, params: { batch: 32 } });
    expect(result.results).toMatchObject({ table: 'default', versionColumn: 'experiment_version' });
  });

  it('refuses a table without a version column, naming its columns', async () => {
    const { repo } = await withResults([
      sweep,
      {
        name: 'metrics',
        columns: [
          ['run', 'TEXT'],
          ['f1', 'DOUBLE'],
        ],
        rows: [['a', 0.5]],
      },
    ]);
    const err = await tag(repo, { db: 'results/experiments.db', table: 'metrics', metric: 'f1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('table "metrics"');
    expect((err as Error).message).toContain('has no version column (looked for version, experiment_version)');
    expect((err as NotFoundError).hint).toContain('run, f1');
    const none = await withResults([{ name: 'metrics', columns: [['f1', 'DOUBLE']], rows: [[0.5]] }]);
    await expect(tag(none.repo, { db: 'results/experiments.db' })).rejects.toThrow(/no table in .* has a version column/);
  });

  it('quotes hostile table and column names: nothing is injected, into SQL or into the trailers', async () => {
    const table = 'runs"; DROP TABLE "default"; --';
    const metric = 'f1"); DROP TABLE "default"; --';
    const param = 'note\nCairn-Metric: injected=1';
    const { repo, db } = await withResults([
      sweep,
      {
        name: table,
        columns: [
          ['version', 'TEXT'],
          [metric, 'DOUBLE'],
          [param, 'TEXT'],
          ["it's", 'INTEGER'],
        ],
        rows: [
          ['e0.1.0', 0.4, 'a', 1],
          ['e0.1.0', 0.6, "b'); DROP TABLE x; --", 2],
        ],
      },
    ]);
    const result = await tag(repo, { db: 'results/experiments.db', table, metric });
    expect(result.metrics).toEqual({ [metric]: 0.6 });
    expect(result.params).toEqual({ [param]: "b'); DROP TABLE x; --", "it's": 2 });
    const message = tagMessage(repo, 'e0.1.0');
    const fromGit = execFileSync('git', ['interpret-trailers', '--parse'], { cwd: repo.dir, input: message, encoding: 'utf8' });
    expect(fromGit).not.toMatch(/^Cairn-Metric: injected/m);
    expect(fromGit.match(/^Cairn-Metric:/gm)).toHaveLength(1);
    expect(parseTagMessage(message)).toMatchObject({ metrics: { [metric]: 0.6 }, params: { [param]: "b'); DROP TABLE x; --" } });
    await expect(tag(repo, { version: 'e0.2.0', db, metric: 'f1; DROP TABLE "default"', allowDirty: true })).rejects.toThrow(NotFoundError);
    // Both tables are still there, with all their rows.
    const check = await listTablesAndRows(kind, db);
    expect(check).toEqual({ default: 5, [table]: 2 });
  });
});

async function listTablesAndRows(kind: 'sqlite' | 'duckdb', file: string): Promise<Record<string, number>> {
  const { openResults } = await import('../../src/results/database.js');
  const reader = await openResults(file);
  const out: Record<string, number> = {};
  for (const t of await reader.tables()) out[t] = (await reader.rows(t)).rows.length;
  reader.close();
  expect(reader.kind).toBe(kind);
  return out;
}

describe('DuckDB single-precision columns', () => {
  it('are written as short as they were meant (0.89, not 0.8899999856948853)', async () => {
    const repo = project();
    const db = await resultsFile('duckdb', path.join(tempDir(), 'r.duckdb'), [
      {
        name: 'default',
        columns: [
          ['version', 'VARCHAR'],
          ['acc', 'FLOAT'],
          ['lr', 'REAL'],
        ],
        rows: [['e0.1.0', 0.89, 0.001]],
      },
    ]);
    const result = await tag(repo, { db, metric: 'acc' });
    const message = tagMessage(repo, 'e0.1.0');
    expect(message).toContain('\nCairn-Metric: acc=0.89\n');
    expect(message).toContain('\nCairn-Param: lr=0.001\n');
    expect(message).toContain(`\nCairn-Results: ${db}#default\n`); // outside the repo: the absolute path
    expect(result.metrics.acc).toBe(Math.fround(0.89));
  });
});

describe('choosing the tag name', () => {
  it('is the next version after the highest, minor by default; e0.1.0 first', async () => {
    const repo = project();
    expect((await tag(repo, { db: false })).tag).toBe('e0.1.0');
    repo.git('tag', '-a', '-m', 'x', 'e0.9.0');
    expect((await tag(repo, { db: false })).tag).toBe('e0.10.0');
    expect((await tag(repo, { db: false, bump: 'patch' })).tag).toBe('e0.10.1');
    expect((await tag(repo, { db: false, bump: 'major' })).tag).toBe('e1.0.0');
    expect((await tag(repo, { db: false, prefix: 'v' })).tag).toBe('v0.1.0');
  });

  it('accepts an explicit version or worktree tag; refuses anything else', async () => {
    const repo = project();
    expect((await tag(repo, { version: 'e2.0.0', db: false })).tag).toBe('e2.0.0');
    expect((await tag(repo, { version: 'exp-cnn-v1', db: false })).tag).toBe('exp-cnn-v1');
    for (const bad of ['e1', 'v1.0.0', 'latest', 'e1.0.0-rc.1']) {
      await expect(tag(repo, { version: bad, db: false }), bad).rejects.toThrow(UsageError);
    }
    await expect(tag(repo, { version: 'e3.0.0', bump: 'major', db: false })).rejects.toThrow(/--bump applies only when no VERSION/);
  });

  it('refuses an existing tag, names the next free version, and leaves the old tag as it was', async () => {
    const repo = project();
    await tag(repo, { db: false, message: 'first' });
    const before = tagObject(repo, 'e0.1.0');
    repo.write('train.py', 'print("v2")\n');
    repo.commit('v2');
    const err = await tag(repo, { version: 'e0.1.0', db: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as Error).message).toBe('tag e0.1.0 already exists; the next free version is e0.2.0');
    expect(tagObject(repo, 'e0.1.0')).toBe(before);
    expect(tagMessage(repo, 'e0.1.0')).toContain('| first');
    await tag(repo, { version: 'exp-a-v1', db: false });
    await expect(tag(repo, { version: 'exp-a-v1', db: false })).rejects.toThrow('the next free version is exp-a-v2');
  });
});

describe('the state of the work tree', () => {
  it('refuses modified tracked files unless allowed, naming them', async () => {
    const repo = project();
    repo.write('train.py', 'print("edited")\n');
    repo.write('untracked.txt', 'not a problem\n');
    const err = await tag(repo, { db: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeError);
    expect((err as Error).message).toBe('the work tree has uncommitted changes: train.py (M)');
    expect((err as UnsafeError).hint).toContain('--allow-dirty');
    expect(repo.git('tag', '-l')).toBe('');
    const allowed = await tag(repo, { db: false, allowDirty: true });
    expect(allowed.created).toBe(true);
    expect(allowed.notes.join('\n')).toContain('train.py');
  });

  it('refuses artifacts modified against their pointers', async () => {
    const repo = project();
    await init(repo.dir);
    repo.write('data.csv', 'x\n1\n');
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['data.csv'] });
    repo.commit('data');
    expect((await tag(repo, { db: false, dryRun: true })).created).toBe(false);
    repo.write('data.csv', 'x\n2\n');
    await expect(tag(repo, { db: false })).rejects.toThrow('uncommitted changes: data.csv (artifact modified)');
  });

  it('refuses a directory artifact with a changed file, not a missing one', async () => {
    const repo = project();
    await init(repo.dir);
    repo.write('data/a.csv', 'x\n1\n');
    repo.write('data/b.csv', 'x\n2\n');
    repo.write('model.bin', 'weights\n');
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['data', 'model.bin'] });
    repo.commit('data');
    fs.rmSync(path.join(repo.dir, 'model.bin'));
    expect((await tag(repo, { db: false, dryRun: true })).created).toBe(false);
    repo.write('data/b.csv', 'x\n3\n');
    await expect(tag(repo, { db: false })).rejects.toThrow('uncommitted changes: data (artifact modified)');
  });

  it('checks the workspace only: a damaged cache does not stop a clean tag', async () => {
    const repo = project();
    await init(repo.dir);
    repo.write('data/a.csv', 'x\n1\n');
    const opened = await openRepo(repo.dir);
    await addArtifacts(opened, { cwd: repo.dir, paths: ['data'] });
    repo.commit('data');
    // The directory's manifest object, garbled: a whole status would read it (and fail); the dirty check never does.
    const manifest = opened.cache.objectPath(JSON.parse(repo.read('data.cairn')).hash);
    fs.chmodSync(manifest, 0o644);
    fs.writeFileSync(manifest, 'not a manifest');
    expect((await tag(repo, { db: false })).created).toBe(true);
  });

  it('allows a detached HEAD and says so', async () => {
    const repo = project();
    const first = repo.git('rev-parse', 'HEAD').trim();
    repo.write('train.py', 'print("later")\n');
    repo.commit('later');
    repo.git('checkout', '-q', '--detach', first);
    const result = await tag(repo, { db: false });
    expect(result).toMatchObject({ tag: 'e0.1.0', commit: first, branch: null, created: true });
    expect(result.notes[0]).toBe(`HEAD is detached at ${first.slice(0, 12)}: tagging that commit`);
    expect(repo.git('rev-parse', 'e0.1.0^{commit}').trim()).toBe(first);
  });

  it('--dry-run returns the message and creates nothing', async () => {
    const repo = project();
    const result = await tag(repo, { db: false, message: 'just looking', dryRun: true });
    expect(result).toMatchObject({ tag: 'e0.1.0', created: false, dryRun: true });
    expect(result.message).toMatch(/^data=[0-9a-f]{12} \| just looking\n\nCairn-Version: e0.1.0\n/);
    expect(repo.git('tag', '-l')).toBe('');
  });

  it('in a plain git repository (no cairn init) leaves no cairn state behind', async () => {
    const repo = project();
    expect((await tag(repo, { db: false })).created).toBe(true);
    expect(fs.existsSync(path.join(repo.dir, '.git', 'cairn'))).toBe(false);
    expect(fs.existsSync(path.join(repo.dir, '.cairn'))).toBe(false);
  });

  it('outside a repository: NotARepoError', async () => {
    await expect(openRepo(tempDir(), { requireInit: false })).rejects.toThrow(NotARepoError);
  });

  it('a missing results file: NotFoundError naming it, and no tag', async () => {
    const repo = project();
    await expect(tag(repo, { db: 'results/nope.db', metric: 'f1' })).rejects.toThrow(/no such results file: .*results\/nope\.db/);
    expect(repo.git('tag', '-l')).toBe('');
  });
});

describe('results from the config', () => {
  it('uses results.db, results.table and metrics.primary; --no-db (db: false) skips them', async () => {
    const repo = project();
    fs.mkdirSync(path.join(repo.dir, 'results'));
    sqliteTables(path.join(repo.dir, 'results', 'runs.db'), [sweep]);
    repo.write(
      '.cairn/config.json',
      JSON.stringify({ results: { db: 'results/runs.db', table: 'default' }, metrics: { primary: 'val_loss', minimize: true } }),
    );
    repo.commit('config');
    const result = await tag(repo, {});
    expect(result).toMatchObject({ run: 'low-owl-0004', results: { metric: 'val_loss', minimize: true } });
    const plain = await tag(repo, { version: 'e0.5.0', db: false });
    expect(plain.results).toBeUndefined();
    expect(plain.metrics).toEqual({});
  });
});

describe('the data fingerprint', () => {
  it('is shared by tags whose pointers are the same, and differs when an artifact changes', async () => {
    const repo = project();
    await init(repo.dir);
    repo.write('data/train.csv', 'a\n1\n');
    repo.write('model.bin', 'weights-1');
    const cairnRepo = await openRepo(repo.dir);
    await addArtifacts(cairnRepo, { cwd: repo.dir, paths: ['data', 'model.bin'] });
    repo.commit('data');
    const first = await tag(repo, { db: false });
    const pointers = await pointersAt(repo.dir, 'HEAD');
    expect(first.data).toBe(dataFingerprint(pointers.map((p) => ({ path: p.path, hash: p.pointer.hash }))));
    repo.write('train.py', 'print("code only")\n');
    repo.commit('code change');
    const second = await tag(repo, { db: false });
    expect(second.data).toBe(first.data);
    repo.write('model.bin', 'weights-2');
    await addArtifacts(cairnRepo, { cwd: repo.dir, paths: ['model.bin'] });
    repo.commit('new model');
    const third = await tag(repo, { db: false });
    expect(third.data).not.toBe(first.data);
    expect(tagMessage(repo, third.tag)).toContain(`Cairn-Data: ${third.data}`);
  });

  it('is independent of the order pointers are listed in', () => {
    const a = { path: 'a', hash: 'sha256:' + '1'.repeat(64) };
    const b = { path: 'b/c', hash: 'sha256:' + '2'.repeat(64) };
    expect(dataFingerprint([a, b])).toBe(dataFingerprint([b, a]));
    expect(dataFingerprint([a, b])).not.toBe(dataFingerprint([a, { ...b, path: 'b/d' }]));
  });
});

describe.each(['main', 'linked'] as const)('in the %s worktree', (where) => {
  it('tags push with plain git push --tags, as annotated tags', async () => {
    const main = project();
    const wt = where === 'main' ? main : linkedWorktree(main);
    fs.mkdirSync(path.join(wt.dir, 'results'));
    sqliteTables(path.join(wt.dir, 'results', 'experiments.db'), [sweep]);
    const result = await tag(wt, { db: 'results/experiments.db', metric: 'f1' });
    const bare = path.join(tempDir(), 'remote.git');
    execFileSync('git', ['init', '-q', '--bare', bare]);
    wt.git('remote', 'add', 'origin', bare);
    wt.git('push', '-q', 'origin', '--tags');
    const remote = (...args: string[]) => execFileSync('git', args, { cwd: bare, encoding: 'utf8' });
    expect(remote('cat-file', '-t', 'e0.1.0').trim()).toBe('tag');
    expect(remote('for-each-ref', '--format=%(contents)', 'refs/tags/e0.1.0')).toBe(result.message + '\n'); // for-each-ref ends each ref with a newline
    // The other worktree sees it too: tags are shared.
    const experiments = await listExperiments(main.dir);
    expect(experiments.map((e) => [e.tag, e.run])).toEqual([['e0.1.0', 'calm-fox-0002']]);
  });
});

describe('a SQLite results file is only read', () => {
  it('keeps its bytes', async () => {
    const repo = project();
    const db = sqliteTables(path.join(tempDir(), 'r.db'), [sweep]);
    const before = fs.readFileSync(db);
    await tag(repo, { db, metric: 'f1' });
    expect(fs.readFileSync(db).equals(before)).toBe(true);
    expect(new Database(db, { readonly: true }).prepare('SELECT count(*) AS n FROM "default"').get()).toEqual({ n: 5 });
  });
});
