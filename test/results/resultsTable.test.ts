/**
 * Which results table `cairn tag` reads, on databases real xetrack wrote
 * (fixtures/xetrack): the rule of src/results/resultsTable.ts, shown in
 * the output; ties for the best row broken by the rows, not their order.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { copyFixture, sqliteRows, unionOfFixtures } from '../helpers/fixtureDbs.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { chooseTable, type TableInfo } from '../../src/results/resultsTable.js';

/** A repository with `fixture` committed as results.db at its root (and an optional config). */
async function withResults(fixture: string, config?: object): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  if (config) repo.write('.cairn/config.json', JSON.stringify({ remotes: {}, ...config }, null, 2) + '\n');
  copyFixture(fixture, path.join(repo.dir, 'results.db'));
  await cairnOk(['add', 'results.db'], { cwd: repo.dir });
  repo.commit('results');
  return repo;
}

const tagJson = async (repo: TestRepo, args: string[]) => JSON.parse((await cairnOk(['tag', ...args, '--dry-run', '--json'], { cwd: repo.dir })).stdout);

describe('cairn tag on custom-table.db (default and predictions both have version and f1)', () => {
  it('takes the one table holding rows of the version, and says so', async () => {
    const repo = await withResults('custom-table.db');
    const r = await cairnOk(['tag', 'e0.2.0', '--metric', 'f1'], { cwd: repo.dir });
    expect(r.stdout).toContain('results: results.db#predictions (the only table with rows of e0.2.0; 3 rows of e0.2.0)');
    expect(repo.git('for-each-ref', '--format=%(contents)', 'refs/tags/e0.2.0')).toContain('Cairn-Results: results.db#predictions');
    const again = await withResults('custom-table.db');
    const t = await tagJson(again, ['e0.2.0', '--metric', 'f1']);
    expect(t.results).toMatchObject({ table: 'predictions', chosenBy: 'rows', rows: 3, location: 'results.db#predictions' });
    expect(t).toMatchObject({ run: 'happy-witty-5602', metrics: { f1: 0.8218026870312577 }, params: { split: 'val' } });
  });

  it('asks (exit 2, naming both) when both tables hold rows of the version; --table, the metric or results.table decide', async () => {
    const repo = await withResults('custom-table.db');
    const r = await cairn(['tag', 'e0.1.0', '--metric', 'f1'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('several tables in');
    expect(r.stderr).toContain('hold rows of e0.1.0: default, predictions');
    expect(r.stderr).toContain('--table');
    expect(repo.git('tag', '-l')).toBe('');

    const byFlag = await tagJson(repo, ['e0.1.0', '--metric', 'f1', '--table', 'default']);
    expect(byFlag.results).toMatchObject({ table: 'default', chosenBy: 'flag', rows: 4 });
    expect(byFlag).toMatchObject({ run: 'rapid-daring-7007', metrics: { f1: 0.7303377224843112 } });
    // Only predictions has latency_ms.
    const byMetric = await tagJson(repo, ['e0.1.0', '--metric', 'latency_ms', '--minimize']);
    expect(byMetric.results).toMatchObject({ table: 'predictions', chosenBy: 'columns', rows: 3 });

    const configured = await withResults('custom-table.db', { results: { table: 'predictions' }, metrics: { primary: 'f1' } });
    const byConfig = await tagJson(configured, ['e0.1.0']);
    expect(byConfig.results).toMatchObject({ table: 'predictions', chosenBy: 'config' });
    expect(byConfig).toMatchObject({ run: 'otter-rapid-1594', metrics: { f1: 0.7880359871757122 } });
  });

  it('a version no table holds: exit 4 naming the tables looked in; a results.table that does not exist: exit 4 naming the tables', async () => {
    const repo = await withResults('custom-table.db');
    const r = await cairn(['tag', 'e0.3.0', '--metric', 'f1'], { cwd: repo.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('no rows of e0.3.0');
    expect(r.stderr).toContain('looked in default, predictions');
    const named = await cairn(['tag', 'e0.2.0', '--metric', 'f1', '--table', 'default'], { cwd: repo.dir });
    expect(named.exitCode).toBe(4);
    expect(named.stderr).toContain('no rows for e0.2.0 in');
    expect(named.stderr).toContain('hint: its rows are in predictions: choose that table with --table predictions');
    const wrong = await withResults('custom-table.db', { results: { table: 'nosuch' } });
    const w = await cairn(['tag', 'e0.1.0', '--metric', 'f1'], { cwd: wrong.dir });
    expect(w.exitCode).toBe(4);
    expect(w.stderr).toContain('no table "nosuch"');
    expect(w.stderr).toContain('assets, counts, default, keys, predictions');
  });
});

describe('cairn tag on baseline.db (one results table beside the asset tables)', () => {
  it('takes the best row (epoch 8), not the last, from the only results table', async () => {
    const repo = await withResults('baseline.db');
    const t = await tagJson(repo, ['e0.1.0', '--metric', 'f1']);
    expect(t.results).toMatchObject({ table: 'default', chosenBy: 'only', rows: 10 });
    expect(t).toMatchObject({ run: 'vivid-panda-3190', metrics: { f1: 0.7879369886976642, loss: 0.23668178607584384 }, params: { lr: 0.1, epoch: 8 } });
  });
});

describe('--db with --no-db', () => {
  it('is refused in either order (exit 2), and nothing is tagged', async () => {
    const repo = await withResults('baseline.db');
    for (const args of [
      ['--db', 'results.db', '--no-db'],
      ['--no-db', '--db=results.db'],
    ]) {
      const r = await cairn(['tag', 'e0.1.0', ...args], { cwd: repo.dir });
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('--db FILE and --no-db contradict each other');
    }
    expect(repo.git('tag', '-l')).toBe('');
  });
});

describe('ties for the best row', () => {
  it('go to the same row whatever order the sweep files were merged in (earliest timestamp)', async () => {
    // --metric lr: every row of a run ties; the three runs of e0.2.0 logged 5 rows each.
    const picked: unknown[] = [];
    for (const [order, reverseRows] of [
      [['sweep-a.db', 'sweep-b.db', 'sweep-c.db'], false],
      [['sweep-c.db', 'sweep-b.db', 'sweep-a.db'], true],
    ] as const) {
      const repo = gitRepo();
      await cairnOk(['init'], { cwd: repo.dir });
      repo.commit('init');
      const db = unionOfFixtures(path.join(tempDir(), 'merged.db'), [...order], { reverseRows });
      const t = await tagJson(repo, ['e0.2.0', '--db', db, '--metric', 'lr']);
      picked.push([t.run, t.metrics, t.params]);
    }
    expect(picked[0]).toEqual(picked[1]);
    const rows = sqliteRows(path.join(import.meta.dirname, '../../fixtures/xetrack/sweep-c.db'));
    const earliest = rows.reduce((a, b) => (String(a.timestamp) < String(b.timestamp) ? a : b));
    expect(picked[0]).toEqual(['calm-brave-8062', expect.objectContaining({ lr: 0.8, f1: earliest.f1 }), expect.objectContaining({ epoch: earliest.epoch })]);
    expect(earliest.epoch).toBe(0);
  });
});

describe('chooseTable (the rule, pure)', () => {
  const col = (...names: string[]) => names.map((name) => ({ name, type: 'TEXT' }));
  const rules = { versionColumns: ['version'], runColumns: ['track_id'] };
  const assets: TableInfo[] = ['assets', 'keys', 'counts'].map((name) => ({ name, columns: col('key', 'value') }));
  it('never takes an asset table, and prefers flag, then the tag, then the config', async () => {
    const tables = [...assets, { name: 'default', columns: col('track_id', 'version', 'f1') }];
    const holdsRows = () => true;
    expect(await chooseTable('f', tables, { needs: {}, rules, holdsRows })).toMatchObject({ kind: 'chosen', table: 'default', by: 'only' });
    const two = [...tables, { name: 'runs', columns: col('track_id', 'version', 'f1') }];
    expect(await chooseTable('f', two, { needs: {}, rules, holdsRows })).toEqual({ kind: 'ambiguous', candidates: ['default', 'runs'] });
    expect(await chooseTable('f', two, { recorded: 'runs', config: 'default', needs: {}, rules, holdsRows })).toMatchObject({ table: 'runs', by: 'tag' });
    expect(await chooseTable('f', two, { recorded: 'gone', config: 'default', needs: {}, rules, holdsRows })).toMatchObject({ table: 'default', by: 'config' });
    expect(await chooseTable('f', two, { flag: 'keys', recorded: 'runs', needs: {}, rules, holdsRows })).toMatchObject({ table: 'keys', by: 'flag' });
    await expect(chooseTable('f', two, { flag: 'nope', needs: {}, rules, holdsRows })).rejects.toThrow('no table "nope" in f');
    expect(await chooseTable('f', two, { needs: { version: ['e1'] }, rules, holdsRows: (t) => t.name === 'runs' })).toMatchObject({
      table: 'runs',
      by: 'rows',
    });
    expect(await chooseTable('f', two, { needs: { version: ['e1'] }, rules, holdsRows: () => false })).toEqual({
      kind: 'noRows',
      candidates: ['default', 'runs'],
    });
    expect(await chooseTable('f', assets, { needs: { version: ['e1'] }, rules, holdsRows })).toEqual({ kind: 'none', tables: [] });
  });
});
