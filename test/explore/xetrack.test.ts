/**
 * `cairn explore list` on databases real xetrack wrote (fixtures/xetrack):
 * the table chosen per tag (the rule of src/results/resultsTable.ts),
 * databases without a version column, every row shown one real row, ties
 * independent of merge order, and bad input refused.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { copyFixture, sqliteRows, unionOfFixtures } from '../helpers/fixtureDbs.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';

type Listed = {
  tag: string;
  metrics: Record<string, unknown>;
  resultsRows?: {
    results: string;
    table: string;
    chosenBy: string;
    rows: number;
    best: { run?: string; timestamp?: string; metrics: Record<string, unknown>; params: Record<string, unknown> } | null;
  };
};

async function listJson(repo: TestRepo, args: string[] = []): Promise<{ experiments: Listed[]; notes: string[] }> {
  return JSON.parse((await cairnOk(['explore', 'list', ...args, '--json'], { cwd: repo.dir })).stdout);
}

/** A repo whose root results.db is `db` (a fixture name or a path), committed, then `tags` made with `cairn tag`. */
async function project(db: string, tags: string[][], config?: object): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  if (config) repo.write('.cairn/config.json', JSON.stringify({ remotes: {}, ...config }, null, 2) + '\n');
  if (db.endsWith('.db') && !path.isAbsolute(db)) copyFixture(db, path.join(repo.dir, 'results.db'));
  else copyFixture(path.relative(path.resolve(import.meta.dirname, '../../fixtures/xetrack'), db), path.join(repo.dir, 'results.db'));
  await cairnOk(['add', 'results.db'], { cwd: repo.dir });
  repo.commit('results');
  for (const args of tags) await cairnOk(['tag', ...args], { cwd: repo.dir });
  return repo;
}

describe('the table, per tag (custom-table.db: e0.2.0 has rows only in predictions)', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await project('custom-table.db', [
      ['e0.1.0', '--table', 'default', '--metric', 'f1'],
      ['e0.2.0', '--metric', 'f1'],
    ]);
  });

  it('each tag is joined with the table it recorded, with or without --db; the output says which', async () => {
    for (const args of [
      ['--sort', 'f1'],
      ['--db', 'results.db', '--sort', 'f1'],
    ]) {
      const { experiments } = await listJson(repo, args);
      expect(experiments.map((e) => [e.tag, e.resultsRows?.results, e.resultsRows?.chosenBy, e.resultsRows?.rows])).toEqual([
        ['e0.2.0', 'results.db#predictions', 'tag', 3],
        ['e0.1.0', 'results.db#default', 'tag', 4],
      ]);
      expect(experiments[0]!.resultsRows!.best).toMatchObject({ run: 'happy-witty-5602', metrics: { f1: 0.8218026870312577 } });
    }
    const human = await cairnOk(['explore', 'list', '--sort', 'f1'], { cwd: repo.dir });
    expect(human.stdout).toContain('results: results.db#predictions for e0.2.0; results.db#default for e0.1.0');
    expect((await cairnOk(['explore', 'show', 'e0.2.0'], { cwd: repo.dir })).stdout).toContain('results: results.db#predictions');
  });

  it('tags that recorded no table: the one holding the version rows, a note naming the candidates when both do; --table decides', async () => {
    const plain = await project('custom-table.db', [
      ['e0.1.0', '--no-db'],
      ['e0.2.0', '--no-db'],
    ]);
    const { experiments, notes } = await listJson(plain, ['--db', 'results.db', '--sort', 'f1']);
    const e010 = experiments.find((e) => e.tag === 'e0.1.0')!;
    const e020 = experiments.find((e) => e.tag === 'e0.2.0')!;
    expect(e020.resultsRows).toMatchObject({ results: 'results.db#predictions', chosenBy: 'rows', rows: 3 });
    expect(e010.resultsRows).toBeUndefined();
    expect(notes).toContain('e0.1.0: several tables of results.db hold its rows (default, predictions): choose one with --table');
    const chosen = await listJson(plain, ['--table', 'default', '--sort', 'f1']);
    expect(chosen.experiments.map((e) => [e.tag, e.resultsRows?.results, e.resultsRows?.rows])).toEqual([
      ['e0.1.0', 'results.db#default', 4],
      ['e0.2.0', 'results.db#default', 0],
    ]);
  });
});

describe('a database without a version column (no-version.db, the common xetrack use)', () => {
  it('lists the experiments from their tags and says which columns it could not join on', async () => {
    const repo = await project('no-version.db', [['e0.1.0', '--no-db', '-m', 'logreg']]);
    const other = path.join(tempDir(), 'runs.db');
    copyFixture('no-version.db', other);
    for (const args of [[], ['--db', other]]) {
      const r = await cairnOk(['explore', 'list', ...args], { cwd: repo.dir });
      expect(r.stdout).toMatch(/^e0\.1\.0 .* logreg$/m);
      expect(r.stderr).toContain('note: could not join');
      expect(r.stderr).toContain('no table has a version column (version or experiment_version)');
      expect(r.stderr).toContain('default (track_id, timestamp, model, lr, epoch, f1, loss, accuracy)');
      const listed = await listJson(repo, args);
      expect(listed.experiments.map((e) => e.tag)).toEqual(['e0.1.0']);
      expect(listed.notes.join('\n')).toContain('version or experiment_version');
    }
    const named = await cairnOk(['explore', 'list', '--table', 'default'], { cwd: repo.dir });
    expect(named.stderr).toContain('could not join results.db#default on version or experiment_version: it has no such column');
  });
});

describe('the default results file', () => {
  it('a results.db in the config that does not exist yet leaves the listing as the tags record it, with a note', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('.cairn/config.json', JSON.stringify({ remotes: {}, results: { db: 'results/experiments.db' } }, null, 2) + '\n');
    repo.commit('config');
    await cairnOk(['tag', 'e0.1.0', '--no-db'], { cwd: repo.dir });
    const r = await cairnOk(['explore', 'list'], { cwd: repo.dir });
    expect(r.stdout).toMatch(/^e0\.1\.0 /m);
    expect(r.stderr).toContain('results/experiments.db (results.db in the config) does not exist');
    copyFixture('baseline.db', path.join(repo.dir, 'results/experiments.db'));
    const joined = await listJson(repo, ['--sort', 'f1']);
    expect(joined.experiments[0]!.resultsRows).toMatchObject({
      results: 'results/experiments.db#default',
      rows: 10,
      best: { run: 'vivid-panda-3190', metrics: { f1: 0.7879369886976642 } },
    });
  });
});

describe('rows reported as they were logged (baseline + the three sweep files)', () => {
  let repo: TestRepo;
  let db: string;
  beforeAll(async () => {
    db = unionOfFixtures(path.join(tempDir(), 'experiments.db'), ['baseline.db', 'sweep-a.db', 'sweep-b.db', 'sweep-c.db']);
    repo = await project(db, [
      ['e0.1.0', '--metric', 'f1'],
      ['e0.2.0', '--metric', 'f1'],
    ]);
  });

  /** The real row of the database that a shown row claims to be: every value shown equals that row's. */
  function realRow(version: string, shown: { run?: string; timestamp?: string; metrics: Record<string, unknown>; params: Record<string, unknown> }) {
    const rows = sqliteRows(db).filter((r) => r.version === version && (shown.run === undefined || r.track_id === shown.run));
    const matching = rows.filter(
      (r) =>
        Object.entries({ ...shown.metrics, ...shown.params }).every(([k, v]) => r[k] === v || String(r[k]) === String(v)) &&
        (shown.timestamp === undefined || r.timestamp === shown.timestamp),
    );
    return matching;
  }

  it.each([[['--sort', 'lr']], [['--sort', 'f1']], [['--sort', 'loss', '--minimize']], [['--sort', 'epoch']], [['--sort', 'accuracy']]])(
    'explore list %j: the JSON and the table show one real row per experiment',
    async (args) => {
      const { experiments } = await listJson(repo, args);
      expect(experiments).toHaveLength(2);
      for (const e of experiments) {
        const best = e.resultsRows!.best!;
        expect(best.timestamp, e.tag).toBeDefined();
        expect(realRow(e.tag, best), `${e.tag} ${JSON.stringify(best)}`).toHaveLength(1);
      }
      const human = (await cairnOk(['explore', 'list', ...args], { cwd: repo.dir })).stdout.split('\n');
      const header = human[0]!;
      const lines = human.slice(1).filter((l) => /^e\d/.test(l));
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        const cell = (name: string, next: string) => line.slice(header.indexOf(name), header.indexOf(next)).trim();
        const metrics = Object.fromEntries(
          cell('METRICS', 'ROWS')
            .split(' ')
            .map((kv) => kv.split('=')),
        );
        const found = realRow(cell('VERSION', 'DATE'), { run: cell('RUN', 'METRICS'), metrics, params: {} });
        expect(found.length, line).toBeGreaterThan(0);
      }
    },
  );

  it('--sort lr shows the lr of the row whose f1 it shows (the bug: lr of one row beside the f1 of another)', async () => {
    const { experiments } = await listJson(repo, ['--sort', 'lr']);
    const e020 = experiments.find((e) => e.tag === 'e0.2.0')!;
    expect(e020.metrics.f1).toBe(0.7896351342083594); // the tag's own best row: sweep-b, lr 0.2
    expect(e020.resultsRows!.best).toMatchObject({ run: 'calm-brave-8062', metrics: { lr: 0.8 } });
    expect(e020.resultsRows!.best!.metrics.f1).not.toBe(0.7896351342083594);
    const line = (await cairnOk(['explore', 'list', '--sort', 'lr'], { cwd: repo.dir })).stdout.split('\n').find((l) => l.startsWith('e0.2.0'))!;
    expect(line).toContain('calm-brave-8062');
    expect(line).not.toContain('f1=0.7896351342083594');
  });

  it('without a metric, several rows have no best row: the JSON says null and a note says why', async () => {
    const { experiments, notes } = await listJson(repo);
    expect(experiments.map((e) => [e.tag, e.resultsRows?.rows, e.resultsRows?.best])).toEqual([
      ['e0.1.0', 10, null],
      ['e0.2.0', 15, null],
    ]);
    expect(notes.join('\n')).toContain('no metric picks the best of several rows: pass --sort METRIC or set metrics.primary');
  });

  it('ties go to the same row whatever order the files were merged in', async () => {
    const reversed = unionOfFixtures(path.join(tempDir(), 'reversed.db'), ['sweep-c.db', 'sweep-b.db', 'sweep-a.db', 'baseline.db'], { reverseRows: true });
    const other = await project(reversed, [
      ['e0.1.0', '--no-db'],
      ['e0.2.0', '--no-db'],
    ]);
    for (const sort of ['lr', 'batch_size']) {
      const a = (await listJson(repo, ['--sort', sort])).experiments.map((e) => e.resultsRows!.best);
      const b = (await listJson(other, ['--sort', sort])).experiments.map((e) => e.resultsRows!.best);
      expect(b, sort).toEqual(a);
    }
    // lr ties across all five rows of calm-brave-8062: the earliest wins (epoch 0).
    const best = (await listJson(other, ['--sort', 'lr'])).experiments.find((e) => e.tag === 'e0.2.0')!.resultsRows!.best!;
    expect(best.params.epoch).toBe(0);
  });

  it('bad input: --limit that is not a whole number of at least 1, --sort naming nothing (exit 2)', async () => {
    for (const limit of ['abc', '-1', '0', '1.5', '']) {
      const r = await cairn(['explore', 'list', '--limit', limit], { cwd: repo.dir });
      expect(r.exitCode, limit).toBe(2);
      expect(r.stdout, limit).toBe('');
      expect(r.stderr).toContain('--limit');
    }
    expect((await listJson(repo, ['--limit', '1'])).experiments).toHaveLength(1);
    const r = await cairn(['explore', 'list', '--sort', 'nosuch'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no column or recorded metric is named "nosuch"');
    for (const name of ['f1', 'lr', 'loss', 'batch_size']) expect(r.stderr).toMatch(new RegExp(`hint: there are: .*\\b${name}\\b`));
    const j = await cairn(['explore', 'list', '--sort', 'nosuch', '--json'], { cwd: repo.dir });
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
  });

  it('--sort loss ranks the highest first with a note; --minimize ranks the lowest first without one', async () => {
    const high = await cairnOk(['explore', 'list', '--sort', 'loss'], { cwd: repo.dir });
    expect(high.stderr).toContain('note: ranked by the HIGHEST loss first; pass --minimize if lower is better');
    const low = await cairnOk(['explore', 'list', '--sort', 'loss', '--minimize', '--json'], { cwd: repo.dir });
    expect(low.stderr).toBe('');
    const listed = JSON.parse(low.stdout) as { experiments: Listed[]; sort: unknown };
    expect(listed.sort).toEqual({ metric: 'loss', minimize: true });
    const losses = listed.experiments.map((e) => e.resultsRows!.best!.metrics.loss as number);
    expect(losses).toEqual([...losses].sort((x, y) => x - y));
    expect(losses[0]).toBe(Math.min(...sqliteRows(db).map((r) => r.loss as number)));
  });
});
