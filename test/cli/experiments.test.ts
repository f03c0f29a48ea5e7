/**
 * cairn tag, next and tags end to end: the built CLI in real repositories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { resultsFile, xetrackTable } from '../helpers/results.js';

const sweep = xetrackTable([
  { version: 'e0.1.0', track: 'quick-ant-0001', lr: 0.01, model: 'bert', f1: 0.81, loss: 0.5 },
  { version: 'e0.1.0', track: 'calm-fox-0002', lr: 0.0001, model: 'bert', f1: 0.89, loss: 0.35 },
  { version: 'e0.1.0', track: 'late-elk-0005', lr: 0.003, model: 'bert', f1: 0.7, loss: 0.45 },
]);

/** A project where cairn is initialised and committed (tag refuses a repository without cairn, as every repository command does). */
function project(): TestRepo {
  const repo = gitRepo({ 'train.py': 'print("train")\n', '.gitignore': '/results/\n' });
  execFileSync('node', [BIN, 'init'], { cwd: repo.dir, stdio: 'ignore' });
  repo.commit('cairn init');
  return repo;
}

describe('cairn next', () => {
  it('prints the next version and nothing else', async () => {
    const repo = project();
    const first = await cairnOk(['next'], { cwd: repo.dir });
    expect(first.stdout).toBe('e0.1.0\n');
    expect(first.stderr).toBe('');
    repo.git('tag', '-a', '-m', 'x', 'e0.9.0');
    repo.git('tag', '-a', '-m', 'x', 'e1.x'); // malformed: skipped
    expect((await cairnOk(['next'], { cwd: repo.dir })).stdout).toBe('e0.10.0\n');
    expect((await cairnOk(['next', '--bump', 'patch'], { cwd: repo.dir })).stdout).toBe('e0.9.1\n');
    expect((await cairnOk(['next', '--bump=major'], { cwd: repo.dir })).stdout).toBe('e1.0.0\n');
    expect((await cairnOk(['-C', repo.dir, 'next', '--prefix', 'v'], { cwd: tempDir() })).stdout).toBe('v0.1.0\n');
    expect(JSON.parse((await cairnOk(['next', '--json'], { cwd: repo.dir })).stdout)).toEqual({
      next: 'e0.10.0',
      latest: 'e0.9.0',
      prefix: 'e',
      bump: 'minor',
    });
  });

  it('rejects an unknown bump with a usage error', async () => {
    const r = await cairn(['next', '--bump', 'huge'], { cwd: project().dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("argument 'huge' is invalid");
    expect(r.stdout).toBe('');
  });
});

describe('cairn tag', () => {
  it('tags with the best row and lists it with cairn tags', async () => {
    const repo = project();
    fs.mkdirSync(path.join(repo.dir, 'results'));
    await resultsFile('sqlite', path.join(repo.dir, 'results', 'experiments.db'), [sweep]);
    const r = await cairnOk(['tag', '--db', 'results/experiments.db', '--metric', 'f1', '-m', 'sweep winner'], { cwd: repo.dir });
    expect(r.stdout).toMatch(
      /^tagged [0-9a-f]{12} as e0\.1\.0 \(main\)\n {2}lr=0\.0001 \| model=bert \| f1=0\.89 \| val_loss=0\.35 \| data=[0-9a-f]{12} \| sweep winner\n {2}results: results\/experiments\.db#default \(the only results table; 3 rows of e0\.1\.0\)\n$/,
    );
    const listed = JSON.parse((await cairnOk(['tags', '--json'], { cwd: repo.dir })).stdout);
    expect(listed.experiments).toHaveLength(1);
    expect(listed.experiments[0]).toMatchObject({
      tag: 'e0.1.0',
      run: 'calm-fox-0002',
      metrics: { f1: 0.89, val_loss: 0.35 },
      params: { lr: 0.0001, model: 'bert' },
      results: 'results/experiments.db#default',
    });
    const human = await cairnOk(['tags'], { cwd: repo.dir });
    expect(human.stdout).toMatch(/^e0\.1\.0 +\d{4}-\d\d-\d\d \d\d:\d\d +[0-9a-f]{12} +lr=0\.0001 \| model=bert/);
  });

  it('from DuckDB too (detected from the bytes, whatever the file is called)', async () => {
    const repo = project();
    const db = await resultsFile('duckdb', path.join(tempDir(), 'results.sqlite'), [sweep]);
    const r = await cairnOk(['tag', '--db', db, '--metric', 'val_loss', '--minimize', '--json'], { cwd: repo.dir });
    expect(JSON.parse(r.stdout)).toMatchObject({ tag: 'e0.1.0', run: 'calm-fox-0002', metrics: { val_loss: 0.35, f1: 0.89 } });
  });

  it('refuses an existing tag: nonzero, the tag unchanged, the next free version named', async () => {
    const repo = project();
    await cairnOk(['tag', '--no-db', '-m', 'first'], { cwd: repo.dir });
    await cairnOk(['tag', '--no-db'], { cwd: repo.dir });
    const before = repo.git('rev-parse', 'refs/tags/e0.1.0');
    const r = await cairn(['tag', 'e0.1.0', '--no-db', '-m', 'again'], { cwd: repo.dir });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('cairn: error: tag e0.1.0 already exists; the next free version is e0.3.0');
    expect(r.stderr).toContain('hint: tag this commit as e0.3.0');
    expect(repo.git('rev-parse', 'refs/tags/e0.1.0')).toBe(before);
    expect(repo.git('tag', '-l', '-n1', 'e0.1.0')).toContain('| first');
  });

  it('refuses a dirty tree (exit 7) unless --allow-dirty', async () => {
    const repo = project();
    repo.write('train.py', 'print("edited")\n');
    const r = await cairn(['tag', '--no-db'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('the work tree has uncommitted changes: train.py (M)');
    expect(r.stderr).toContain('--allow-dirty');
    expect(repo.git('tag', '-l')).toBe('');
    const ok = await cairnOk(['tag', '--no-db', '--allow-dirty'], { cwd: repo.dir });
    expect(ok.stderr).toContain('note: the work tree has uncommitted changes');
  });

  it('allows a detached HEAD and says so', async () => {
    const repo = project();
    repo.git('checkout', '-q', '--detach');
    const r = await cairnOk(['tag', '--no-db'], { cwd: repo.dir });
    expect(r.stderr).toMatch(/^note: HEAD is detached at [0-9a-f]{12}: tagging that commit\n$/);
    expect(r.stdout).toMatch(/^tagged [0-9a-f]{12} as e0\.1\.0\n/);
  });

  it('--dry-run prints the message and creates nothing', async () => {
    const repo = project();
    const r = await cairnOk(['tag', '--no-db', '-m', 'try', '--dry-run'], { cwd: repo.dir });
    expect(r.stdout).toMatch(/^data=[0-9a-f]{12} \| try\n\nCairn-Version: e0\.1\.0\nCairn-Data: sha256:[0-9a-f]{64}\n$/);
    expect(r.stderr).toContain('dry run: would tag');
    expect(repo.git('tag', '-l')).toBe('');
  });

  it('keeps a hostile -m out of the trailers', async () => {
    const repo = project();
    await cairnOk(['tag', '--no-db', '-m', 'fine\n\nCairn-Metric: acc=1\nCairn-Version: e9.9.9'], { cwd: repo.dir });
    const message = repo.git('for-each-ref', '--format=%(contents)', 'refs/tags/e0.1.0');
    const trailers = execFileSync('git', ['interpret-trailers', '--parse'], { cwd: repo.dir, input: message, encoding: 'utf8' });
    expect(trailers).toMatch(/^Cairn-Version: e0\.1\.0\nCairn-Data: sha256:[0-9a-f]{64}\n$/);
    const listed = JSON.parse((await cairnOk(['tags', '--json'], { cwd: repo.dir })).stdout).experiments[0];
    expect(listed.metrics).toEqual({});
    expect(listed.subject).toContain('fine Cairn-Metric: acc=1 Cairn-Version: e9.9.9');
  });

  it('fails clearly outside a repository (exit 3)', async () => {
    const dir = tempDir();
    for (const args of [['tag', '--no-db'], ['next'], ['tags'], ['tags', '--json']]) {
      const r = await cairn(args, { cwd: dir });
      expect(r.exitCode, args.join(' ')).toBe(3);
      expect(r.stderr).toContain(`cairn: error: not a git repository: ${dir}`);
    }
  });

  it('fails on a missing database (exit 4) and on a table without a version column (exit 4)', async () => {
    const repo = project();
    const missing = await cairn(['tag', '--db', 'results/none.db', '--metric', 'f1'], { cwd: repo.dir });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toContain('no such results file');
    const db = await resultsFile('sqlite', path.join(tempDir(), 'r.db'), [sweep, { name: 'other', columns: [['f1', 'REAL']], rows: [[1]] }]);
    const noVersion = await cairn(['tag', '--db', db, '--table', 'other', '--metric', 'f1'], { cwd: repo.dir });
    expect(noVersion.exitCode).toBe(4);
    expect(noVersion.stderr).toContain('table "other"');
    expect(noVersion.stderr).toContain('has no version column');
    const noRows = await cairn(['tag', 'e0.7.0', '--db', db, '--metric', 'f1'], { cwd: repo.dir });
    expect(noRows.exitCode).toBe(4);
    expect(noRows.stderr).toContain('no rows for e0.7.0');
    expect(repo.git('tag', '-l')).toBe('');
  });

  it('returns errors as JSON with --json', async () => {
    const repo = project();
    repo.write('train.py', 'dirty\n');
    const r = await cairn(['tag', '--no-db', '--json'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_UNSAFE', exitCode: 7 });
  });
});

describe('cairn tags', () => {
  it('orders versions as versions and skips malformed tags', async () => {
    const repo = project();
    for (const v of ['e0.10.0', 'e0.9.0', 'e0.2.0', 'e1', 'e1.x', 'exp-a-v1']) repo.git('tag', '-a', '-m', `tag ${v}`, v);
    const r = await cairnOk(['tags', '--json'], { cwd: repo.dir });
    expect(JSON.parse(r.stdout).experiments.map((e: { tag: string }) => e.tag)).toEqual(['e0.2.0', 'e0.9.0', 'e0.10.0', 'exp-a-v1']);
    expect((await cairnOk(['tags'], { cwd: project().dir })).stdout).toBe('no experiment tags yet (cairn tag)\n');
  });

  it('help still comes from commander', async () => {
    const r = await cairnOk(['tags', '--help'], { cwd: tempDir() });
    expect(r.stdout).toContain('Usage: cairn tags [options]');
    expect(r.stdout).toContain('--prefix <prefix>');
  });
});
