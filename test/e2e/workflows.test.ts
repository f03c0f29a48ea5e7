/**
 * The README's "Three workflows", run through the built CLI on results that
 * real xetrack wrote (fixtures/xetrack) instead of hand-made tables. A
 * "training run" is the fixture database of that run put where the README's
 * train.py writes (copied in as the worker's file, or, for a run logging into
 * an existing results database, its rows merged in), plus a model file.
 * Each workflow ends with a clean `git status`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { copyFixture, sqliteRows, XETRACK_FIXTURES } from '../helpers/fixtureDbs.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';

const DB = 'results/experiments.db';

/** The README's config (committed before anything else), and a train.py to change in a variant. */
async function project(): Promise<TestRepo> {
  const repo = gitRepo({ 'train.py': 'model = "logreg"\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  repo.write('.cairn/config.json', JSON.stringify({ remotes: {}, results: { db: DB }, metrics: { primary: 'f1' } }, null, 2) + '\n');
  return repo;
}

const run = (repo: TestRepo, args: string[]) => cairnOk(args, { cwd: repo.dir });
const json = async (repo: TestRepo, args: string[]) => JSON.parse((await run(repo, [...args, '--json'])).stdout);

/** A run that logs into `results/experiments.db` (the rows of `fixture`) and writes models/out/<run>.pt. */
async function train(repo: TestRepo, fixture: string, runId: string): Promise<void> {
  const target = path.join(repo.dir, DB);
  if (fs.existsSync(target)) await run(repo, ['merge', DB, path.join(XETRACK_FIXTURES, fixture)]);
  else copyFixture(fixture, target);
  repo.write(`models/out/${runId}.pt`, `weights of ${runId}`);
}

function trailers(repo: TestRepo, tag: string): string {
  return repo.git('for-each-ref', '--format=%(contents)', `refs/tags/${tag}`);
}

/** Every row explore list shows is one row of the database, as logged. */
async function expectRealRows(repo: TestRepo): Promise<void> {
  const rows = sqliteRows(path.join(repo.dir, DB));
  for (const e of (await json(repo, ['explore', 'list'])).experiments as {
    tag: string;
    resultsRows: { best: { run: string; timestamp: string; metrics: object; params: object } };
  }[]) {
    const best = e.resultsRows.best;
    const row = rows.find((r) => r.track_id === best.run && r.timestamp === best.timestamp);
    expect(row, e.tag).toBeDefined();
    for (const [k, v] of Object.entries({ ...best.metrics, ...best.params })) expect(row![k], `${e.tag} ${k}`).toEqual(v);
  }
}

/** Sequential experiments, up to and including the first tag. */
async function baseline(repo: TestRepo): Promise<void> {
  fs.appendFileSync(path.join(repo.dir, '.gitignore'), '/models/out/\n');
  repo.git('add', '.gitignore', '.cairn/config.json');
  expect((await run(repo, ['next'])).stdout).toBe('e0.1.0\n');
  await train(repo, 'baseline.db', 'vivid-panda-3190');
  await run(repo, ['add', DB]);
  await run(repo, ['model', 'add', 'models/out/vivid-panda-3190.pt', '--run', 'vivid-panda-3190']);
  repo.git('commit', '-q', '-m', 'baseline');
  const tagged = await run(repo, ['tag', 'e0.1.0', '-m', 'baseline']);
  expect(tagged.stdout).toContain(`results: ${DB}#default (the only results table; 10 rows of e0.1.0)`);
}

describe("the README's three workflows on xetrack's databases", () => {
  it('sequential experiments on one branch', async () => {
    const repo = await project();
    await baseline(repo);
    const e010 = trailers(repo, 'e0.1.0');
    expect(e010).toContain('Cairn-Run: vivid-panda-3190');
    expect(e010).toContain('Cairn-Metric: f1=0.7879369886976642'); // epoch 8, not the last row
    expect(e010).toContain(`Cairn-Results: ${DB}#default`);

    const version = (await run(repo, ['next'])).stdout.trim();
    expect(version).toBe('e0.2.0');
    await train(repo, 'sweep-b.db', 'marten-noble-7683'); // a run of e0.2.0 logging into the same database
    await run(repo, ['add', DB]);
    await run(repo, ['model', 'add', 'models/out/marten-noble-7683.pt', '--run', 'marten-noble-7683']);
    repo.git('commit', '-q', '-m', 'lower lr');
    await run(repo, ['tag', version, '-m', 'lower lr']);
    expect(trailers(repo, 'e0.2.0')).toContain('Cairn-Metric: f1=0.7896351342083594');

    const diff = await run(repo, ['explore', 'diff', 'e0.1.0', 'e0.2.0']);
    expect(diff.stdout).toContain('f1: 0.7879369886976642 -> 0.7896351342083594');
    await expectRealRows(repo);
    expect(sqliteRows(path.join(repo.dir, DB))).toHaveLength(15);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('a parallel sweep on one branch: three workers, one merge, one tag, the best run promoted', async () => {
    const repo = await project();
    await baseline(repo);
    const version = (await run(repo, ['next'])).stdout.trim();
    fs.appendFileSync(path.join(repo.dir, '.gitignore'), '/results/sweep-*.db\n');
    repo.git('add', '.gitignore');
    const workers = {
      '0.05': ['sweep-a.db', 'calm-heron-5334'],
      '0.2': ['sweep-b.db', 'marten-noble-7683'],
      '0.8': ['sweep-c.db', 'calm-brave-8062'],
    } as const;
    for (const [lr, [fixture, runId]] of Object.entries(workers)) {
      copyFixture(fixture, path.join(repo.dir, `results/sweep-${lr}.db`));
      repo.write(`models/out/${runId}.pt`, `weights of ${runId}`);
    }
    const sweepFiles = fs
      .readdirSync(path.join(repo.dir, 'results'))
      .filter((f) => f.startsWith('sweep-'))
      .sort()
      .map((f) => `results/${f}`);
    // The README's merge, no flags: xetrack's assets, keys and counts merge by meaning.
    const merge = [DB, ...sweepFiles];
    await run(repo, ['merge', ...merge]);
    const before = fs.readFileSync(path.join(repo.dir, DB));
    await run(repo, ['merge', ...merge]); // re-running adds nothing
    expect(fs.readFileSync(path.join(repo.dir, DB)).equals(before)).toBe(true);
    for (const [, runId] of Object.values(workers)) await run(repo, ['model', 'add', `models/out/${runId}.pt`, '--run', runId]);
    await run(repo, ['add', DB]);
    repo.git('commit', '-q', '-m', 'lr sweep');
    await run(repo, ['tag', version, '-m', 'lr sweep']);
    const e020 = trailers(repo, 'e0.2.0');
    expect(e020).toContain('Cairn-Run: marten-noble-7683');
    expect(e020).toContain('Cairn-Metric: f1=0.7896351342083594');

    const promoted = await run(repo, ['model', 'promote', '--version', version]);
    expect(promoted.stdout).toContain('promoted run marten-noble-7683 (e0.2.0) to models/production/model.bin, f1=0.7896351342083594');
    expect(promoted.stdout).toContain(`results: ${DB}#default`);
    repo.git('commit', '-q', '-m', 'promote');
    expect(JSON.parse(repo.read('models/production/PROVENANCE.json'))).toMatchObject({
      run: 'marten-noble-7683',
      version: 'e0.2.0',
      metric: { name: 'f1', value: 0.7896351342083594 },
    });
    expect(sqliteRows(path.join(repo.dir, DB))).toHaveLength(25);
    await expectRealRows(repo);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it("the sweep's merge, exactly as the README writes it, exits 0 (xetrack's keys rows differ per worker)", async () => {
    const repo = await project();
    for (const [lr, fixture] of [
      ['0.05', 'sweep-a.db'],
      ['0.2', 'sweep-b.db'],
      ['0.8', 'sweep-c.db'],
    ])
      copyFixture(fixture!, path.join(repo.dir, `results/sweep-${lr}.db`));
    const r = await cairn(['merge', DB, 'results/sweep-0.05.db', 'results/sweep-0.2.db', 'results/sweep-0.8.db'], { cwd: repo.dir });
    expect(r.exitCode).toBe(0);
  });

  it('worktree variants: tag in the worktree, merge its results from the branch, remove it', async () => {
    const repo = await project();
    await baseline(repo);
    const store = tempDir('cairn-store-');
    await run(repo, ['remote', 'add', 'store', store, '--default']); // every worktree of the clone sees it
    await run(repo, ['worktree', 'new', 'l2']);
    const wt = repoAt(path.join(path.dirname(repo.dir), 'exp-l2'));
    wt.write('train.py', 'model = "logreg"\nl2 = 0.01\n');
    copyFixture('variant.db', path.join(wt.dir, DB)); // the run logged exp-l2-v1's rows into the worktree's copy
    await run(wt, ['add', DB]);
    wt.git('commit', '-q', '-am', 'l2');
    await run(wt, ['tag', 'exp-l2-v1']);
    expect(trailers(repo, 'exp-l2-v1')).toContain('Cairn-Metric: f1=0.8000027193656012');
    expect(trailers(repo, 'exp-l2-v1')).toContain('Cairn-Run: noble-badger-8083');
    await run(wt, ['push', '--all-commits']);

    await run(repo, ['merge', DB, `exp/l2:${DB}`]);
    const merged = sqliteRows(path.join(repo.dir, DB));
    expect(merged).toHaveLength(16);
    const variant = sqliteRows(path.join(XETRACK_FIXTURES, 'variant.db'));
    const key = (r: Record<string, unknown>) => `${r.track_id} ${r.timestamp}`;
    expect(new Map(merged.map((r) => [key(r), r]))).toEqual(new Map(variant.map((r) => [key(r), r])));
    await run(repo, ['add', DB]);
    repo.git('commit', '-q', '-m', 'merge l2 results');
    await run(repo, ['worktree', 'rm', 'l2', '--delete-branch']);
    expect(fs.existsSync(wt.dir)).toBe(false);

    const listed = (await json(repo, ['explore', 'list', '--sort', 'f1'])).experiments as {
      tag: string;
      resultsRows: { best: { run: string; metrics: { f1: number } } };
    }[];
    expect(listed.map((e) => [e.tag, e.resultsRows.best.run, e.resultsRows.best.metrics.f1])).toEqual([
      ['exp-l2-v1', 'noble-badger-8083', 0.8000027193656012],
      ['e0.1.0', 'vivid-panda-3190', 0.7879369886976642],
    ]);
    await expectRealRows(repo);
    expect(repo.git('status', '--porcelain')).toBe('');
  });
});
