/**
 * The model commands on databases real xetrack wrote (fixtures/xetrack): the
 * results table chosen by the rule shared with tag and explore, the results
 * file found as tag finds it, promote --run and list without a metric.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { copyFixture } from '../helpers/fixtureDbs.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';

const RUNS = ['rapid-daring-7007', 'otter-rapid-1594', 'happy-witty-5602']; // custom-table.db: default e0.1.0; predictions e0.1.0, e0.2.0

/** A repo with a candidate for each run, and `db` (a fixture) at `where` when given. */
async function project(runs: string[], db?: { fixture: string; where: string }, config?: object): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  if (config) repo.write('.cairn/config.json', JSON.stringify({ remotes: {}, ...config }, null, 2) + '\n');
  const models = tempDir();
  for (const run of runs) {
    fs.writeFileSync(path.join(models, `${run}.pt`), `weights of ${run}`);
    await cairnOk(['model', 'add', path.join(models, `${run}.pt`), '--run', run], { cwd: repo.dir });
  }
  if (db) copyFixture(db.fixture, path.join(repo.dir, db.where));
  return repo;
}

const json = async (repo: TestRepo, args: string[]) => JSON.parse((await cairnOk([...args, '--json'], { cwd: repo.dir })).stdout);

describe('model commands on custom-table.db, found as results.db at the root', () => {
  it("promote --run needs no metric: it records the run, its version, and no metric; with one, the run's best value", async () => {
    const repo = await project(RUNS, { fixture: 'custom-table.db', where: 'results.db' });
    const r = await cairnOk(['model', 'promote', '--run', 'happy-witty-5602'], { cwd: repo.dir });
    expect(r.stdout).toContain('promoted run happy-witty-5602 (e0.2.0) to models/production/model.bin\n');
    expect(r.stdout).toContain('results: results.db#predictions (the only table with rows of run happy-witty-5602)');
    expect(JSON.parse(repo.read('models/production/PROVENANCE.json'))).toMatchObject({ run: 'happy-witty-5602', version: 'e0.2.0', metric: null });
    expect(repo.read('models/production/model.bin')).toBe('weights of happy-witty-5602');

    const withMetric = await json(repo, ['model', 'promote', '--run', 'rapid-daring-7007', '--metric', 'f1']);
    expect(withMetric).toMatchObject({
      run: 'rapid-daring-7007',
      version: 'e0.1.0',
      metric: { name: 'f1', value: 0.7303377224843112 },
      results: { location: 'results.db#default' },
    });
  });

  it('promote --version: the one table with rows of the version; both tables hold e0.1.0, so it asks (exit 2) until --table', async () => {
    const repo = await project(RUNS, { fixture: 'custom-table.db', where: 'results.db' });
    const e020 = await json(repo, ['model', 'promote', '--version', 'e0.2.0', '--metric', 'f1']);
    expect(e020).toMatchObject({ run: 'happy-witty-5602', version: 'e0.2.0', metric: { name: 'f1', value: 0.8218026870312577 } });
    expect(e020.results).toEqual({ location: 'results.db#predictions', why: 'the only table with rows of e0.2.0' });

    const asked = await cairn(['model', 'promote', '--version', 'e0.1.0', '--metric', 'f1'], { cwd: repo.dir });
    expect(asked.exitCode).toBe(2);
    expect(asked.stderr).toContain('hold rows of e0.1.0: default, predictions');
    expect(JSON.parse(repo.read('models/production/PROVENANCE.json')).run).toBe('happy-witty-5602');
    const chosen = await json(repo, ['model', 'promote', '--version', 'e0.1.0', '--metric', 'f1', '--table', 'predictions']);
    expect(chosen).toMatchObject({ run: 'otter-rapid-1594', metric: { value: 0.7880359871757122 } });

    const noMetric = await cairn(['model', 'promote', '--version', 'e0.2.0'], { cwd: repo.dir });
    expect(noMetric.exitCode).toBe(2);
    expect(noMetric.stderr).toContain('which metric ranks the runs?');
  });

  it('list works without a metric; runs in two tables: a note, no values, exit 0; --table gives the values', async () => {
    const repo = await project(RUNS, { fixture: 'custom-table.db', where: 'results.db' });
    const plain = await cairnOk(['model', 'list'], { cwd: repo.dir });
    expect(plain.stdout).toContain('candidates:');
    expect(plain.stderr).toContain('note: several tables in');
    expect(plain.stderr).toContain('default, predictions');
    const listed = await json(repo, ['model', 'list']);
    expect(listed).toMatchObject({ metric: null, results: null });
    expect(listed.candidates.map((c: { run: string; value: unknown }) => c.value)).toEqual([null, null, null]);

    const valued = await json(repo, ['model', 'list', '--table', 'predictions', '--metric', 'f1']);
    expect(valued.results).toEqual({ location: 'results.db#predictions', why: '--table' });
    expect(Object.fromEntries(valued.candidates.map((c: { run: string; value: unknown }) => [c.run, c.value]))).toEqual({
      'happy-witty-5602': 0.8218026870312577,
      'otter-rapid-1594': 0.7880359871757122,
      'rapid-daring-7007': null,
    });
    const pruned = await json(repo, ['model', 'prune', '--keep', '1', '--metric', 'f1', '--table', 'predictions', '--dry-run']);
    expect(pruned.kept.map((c: { run: string }) => c.run)).toEqual(['happy-witty-5602']);
  });
});

describe('the results file, as tag finds it', () => {
  it('results.db from the config (baseline.db): promote --run and list without --db', async () => {
    const repo = await project(
      ['vivid-panda-3190'],
      { fixture: 'baseline.db', where: 'results/experiments.db' },
      { results: { db: 'results/experiments.db' } },
    );
    const promoted = await json(repo, ['model', 'promote', '--run', 'vivid-panda-3190']);
    expect(promoted).toMatchObject({ version: 'e0.1.0', metric: null, results: { location: 'results/experiments.db#default', why: 'the only results table' } });
    const listed = await json(repo, ['model', 'list', '--metric', 'f1']);
    expect(listed.candidates).toMatchObject([{ run: 'vivid-panda-3190', value: 0.7879369886976642 }]);
    expect(listed.production.provenance.run).toBe('vivid-panda-3190');
  });

  it('no database anywhere: promote --run still works (no version, no metric); --version asks for one (exit 2)', async () => {
    const repo = await project(['solo']);
    expect(await json(repo, ['model', 'promote', '--run', 'solo'])).toMatchObject({ run: 'solo', version: null, metric: null, results: null });
    expect(await json(repo, ['model', 'list'])).toMatchObject({ metric: null, results: null, candidates: [{ run: 'solo', value: null }] });
    const r = await cairn(['model', 'promote', '--version', 'e0.1.0', '--metric', 'f1'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('which results database holds the runs of e0.1.0?');
  });

  it('a results.db at the root or from the config that is a symlink is refused (exit 7), never read through', async () => {
    const outside = copyFixture('baseline.db', path.join(tempDir(), 'private.db'));
    const atRoot = await project(['vivid-panda-3190']);
    fs.symlinkSync(outside, path.join(atRoot.dir, 'results.db'));
    const viaConfig = await project(['vivid-panda-3190'], undefined, { results: { db: 'results/experiments.db' } });
    fs.symlinkSync(path.dirname(outside), path.join(viaConfig.dir, 'results'));
    for (const repo of [atRoot, viaConfig]) {
      for (const args of [
        ['model', 'list', '--metric', 'f1'],
        ['model', 'promote', '--run', 'vivid-panda-3190'],
      ]) {
        const r = await cairn(args, { cwd: repo.dir });
        expect(r.exitCode, args.join(' ')).toBe(7);
        expect(r.stderr).toContain('refusing to read');
      }
      expect(fs.existsSync(path.join(repo.dir, 'models/production'))).toBe(false);
    }
  });
});
