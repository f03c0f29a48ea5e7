import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { sqliteResults } from '../helpers/results.js';
import { rankRuns } from '../../src/models/ranking.js';

async function project(): Promise<{ repo: TestRepo; db: string; models: string }> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  const models = tempDir();
  for (const run of ['r1', 'r2', 'r3', 'r4']) fs.writeFileSync(path.join(models, `${run}.pt`), `weights of ${run}`);
  const db = path.join(tempDir(), 'results.db');
  sqliteResults(db, 'metrics', [
    { run_id: 'r1', version: 'e0.1.0', f1: 0.7, loss: 0.9 },
    { run_id: 'r2', version: 'e0.2.0', f1: 0.6, loss: 0.4 },
    { run_id: 'r2', version: 'e0.2.0', f1: 0.95, loss: 0.5 }, // r2's best row
    { run_id: 'r3', version: 'e0.2.0', f1: null, loss: 0.2 },
    { run_id: 'r4', version: 'e0.2.0', f1: 0.8, loss: 0.3 },
  ]);
  return { repo, db, models };
}

describe('ranking (pure)', () => {
  it('counts a run once by its best row, NULLs last, ties by name', () => {
    const rows = [
      { run: 'a', m: 1 },
      { run: 'a', m: 5 },
      { run: 'b', m: null },
      { run: 'c', m: 5 },
      { run: 'd', m: 'n/a' },
    ];
    expect(rankRuns(rows, 'run', 'm', false).map((r) => [r.run, r.value])).toEqual([
      ['a', 5],
      ['c', 5],
      ['b', null],
      ['d', null],
    ]);
    expect(rankRuns(rows, 'run', 'm', true).map((r) => r.run)).toEqual(['a', 'c', 'b', 'd']);
    expect(rankRuns(rows, 'run', 'm', true)[0]!.value).toBe(1);
  });
});

describe('model candidates', () => {
  it('add, promote by run, promote the best of a version with --minimize, list', async () => {
    const { repo, db, models } = await project();
    for (const run of ['r1', 'r2', 'r3', 'r4']) await cairnOk(['model', 'add', path.join(models, `${run}.pt`), '--run', run], { cwd: repo.dir });
    expect(fs.readdirSync(path.join(repo.dir, 'models/candidates')).sort()).toEqual(['r1.pt', 'r2.pt', 'r3.pt', 'r4.pt']);
    expect(JSON.parse(repo.read('models/candidates.cairn'))).toMatchObject({ kind: 'dir', files: 4 });
    expect(repo.git('diff', '--cached', '--name-only')).toContain('models/candidates.cairn');

    const byRun = JSON.parse((await cairnOk(['model', 'promote', '--run', 'r1', '--db', db, '--metric', 'f1', '--json'], { cwd: repo.dir })).stdout);
    expect(byRun).toMatchObject({ run: 'r1', version: 'e0.1.0', metric: { name: 'f1', value: 0.7 } });
    expect(repo.read('models/production/model.bin')).toBe('weights of r1');
    const prov = JSON.parse(repo.read('models/production/PROVENANCE.json'));
    expect(prov).toMatchObject({ run: 'r1', version: 'e0.1.0', source: { path: 'models/candidates/r1.pt' } });
    expect(prov.source.hash).toBe(JSON.parse(repo.read('models/production/model.bin.cairn')).hash);
    expect(repo.git('diff', '--cached', '--name-only')).toContain('models/production/PROVENANCE.json');

    const best = JSON.parse(
      (await cairnOk(['model', 'promote', '--version', 'e0.2.0', '--metric', 'loss', '--minimize', '--db', db, '--json'], { cwd: repo.dir })).stdout,
    );
    expect(best).toMatchObject({ run: 'r3', metric: { name: 'loss', value: 0.2 } });
    expect(repo.read('models/production/model.bin')).toBe('weights of r3');

    const list = JSON.parse((await cairnOk(['model', 'list', '--db', db, '--metric', 'f1', '--json'], { cwd: repo.dir })).stdout);
    expect(list.production.provenance.run).toBe('r3');
    expect(list.candidates.map((c: { run: string; value: number | null }) => [c.run, c.value])).toEqual([
      ['r1', 0.7],
      ['r2', 0.95],
      ['r3', null],
      ['r4', 0.8],
    ]);
  });

  it('prune keeps the best K runs (two rows count once, NULL last); pruned models stay retrievable from an earlier tag', async () => {
    const { repo, db, models } = await project();
    for (const run of ['r1', 'r2', 'r3', 'r4']) await cairnOk(['model', 'add', path.join(models, `${run}.pt`), '--run', run], { cwd: repo.dir });
    repo.commit('four candidates');
    repo.git('tag', '-a', 'e0.2.0', '-m', 'all candidates');
    const dry = JSON.parse((await cairnOk(['model', 'prune', '--keep', '2', '--db', db, '--metric', 'f1', '--dry-run', '--json'], { cwd: repo.dir })).stdout);
    expect(dry.kept.map((c: { run: string }) => c.run)).toEqual(['r2', 'r4']);
    expect(dry.removed.map((c: { run: string }) => c.run)).toEqual(['r1', 'r3']);
    expect(fs.readdirSync(path.join(repo.dir, 'models/candidates'))).toHaveLength(4);

    await cairnOk(['model', 'prune', '--keep', '2', '--db', db, '--metric', 'f1'], { cwd: repo.dir });
    expect(fs.readdirSync(path.join(repo.dir, 'models/candidates')).sort()).toEqual(['r2.pt', 'r4.pt']);
    expect(JSON.parse(repo.read('models/candidates.cairn')).files).toBe(2);
    repo.commit('pruned');
    await cairnOk(['gc', '--yes'], { cwd: repo.dir });

    const out = path.join(tempDir(), 'r3.pt');
    await cairnOk(['explore', 'get', 'e0.2.0', 'models/candidates/r3.pt', '-o', out], { cwd: repo.dir });
    expect(fs.readFileSync(out, 'utf8')).toBe('weights of r3');
  });

  it('bad input: run ID with a slash, overwrite without --force, missing candidate, database without the metric', async () => {
    const { repo, db, models } = await project();
    const slash = await cairn(['model', 'add', path.join(models, 'r1.pt'), '--run', 'a/b'], { cwd: repo.dir });
    expect(slash.exitCode).toBe(2);
    expect(slash.stderr).toContain('invalid run ID "a/b"');
    expect(repo.exists('models')).toBe(false);

    await cairnOk(['model', 'add', path.join(models, 'r1.pt'), '--run', 'r1'], { cwd: repo.dir });
    const dup = await cairn(['model', 'add', path.join(models, 'r2.pt'), '--run', 'r1'], { cwd: repo.dir });
    expect(dup.exitCode).toBe(5);
    expect(repo.read('models/candidates/r1.pt')).toBe('weights of r1');
    await cairnOk(['model', 'add', path.join(models, 'r2.pt'), '--run', 'r1', '--force'], { cwd: repo.dir });
    expect(repo.read('models/candidates/r1.pt')).toBe('weights of r2');

    await cairnOk(['model', 'promote', '--run', 'r1', '--db', db, '--metric', 'f1'], { cwd: repo.dir });
    const production = repo.read('models/production/model.bin');
    const missing = await cairn(['model', 'promote', '--run', 'r4', '--db', db, '--metric', 'f1'], { cwd: repo.dir });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toContain('run r4 has no candidate model');
    expect(repo.read('models/production/model.bin')).toBe(production);

    const noMetric = await cairn(['model', 'prune', '--keep', '1', '--db', db, '--metric', 'accuracy'], { cwd: repo.dir });
    expect(noMetric.exitCode).toBe(4);
    expect(noMetric.stderr).toContain('no table in');
    expect(noMetric.stderr).toContain('"accuracy"');
    const both = await cairn(['model', 'promote', '--db', db, '--metric', 'f1'], { cwd: repo.dir });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('exactly one of --run');
  });
});
