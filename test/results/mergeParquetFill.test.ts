/**
 * Parquet targets fill as SQLite and DuckDB ones do (issue 16 item 2): a
 * compared column NULL in the target and holding a value in the source is a
 * fill (the value is taken, counted in `filled`); a source NULL against a
 * target value keeps the target's value; neither is a conflict.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeFailure, mergeResults } from '../../src/index.js';
import { cairn } from '../helpers/cli.js';
import { tempDir } from '../helpers/repo.js';
import { bytesOf, makeParquet, readRows, type TableSpec } from '../helpers/resultFiles.js';

const T1 = '2024-01-01 10:00:00';
const T2 = '2024-01-01 11:00:00';

const runs = (rows: unknown[][]): TableSpec => ({
  name: 'default',
  columns: [
    { name: 'timestamp', sqlite: 'TEXT', duckdb: 'TIMESTAMP' },
    { name: 'track_id', sqlite: 'TEXT', duckdb: 'VARCHAR' },
    { name: 'lr', sqlite: 'REAL', duckdb: 'DOUBLE' },
    { name: 'test_f1', sqlite: 'REAL', duckdb: 'DOUBLE' },
  ],
  rows,
});

async function files(target: TableSpec, source: TableSpec) {
  const dir = tempDir('cairn-parquet-fill-');
  return {
    dir,
    target: await makeParquet(path.join(dir, 'results.parquet'), target),
    source: await makeParquet(path.join(dir, 'exp.parquet'), source),
  };
}

const byRun = async (file: string) => Object.fromEntries((await readRows(file, 'parquet')).map((r) => [String(r.track_id), r.test_f1]));

describe('parquet merge: filling, not conflicting', () => {
  it('a target NULL takes the source value: exit 0, filled 1, no conflict', async () => {
    const f = await files(
      runs([
        [T1, 'run-a', 0.01, null],
        [T2, 'run-b', 0.1, 0.7],
      ]),
      runs([[T1, 'run-a', 0.01, 0.81]]),
    );
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(mergeFailure(r)).toBeNull();
    expect(r.applied).toBe(true);
    expect(r.tables[0]).toMatchObject({ added: 0, duplicates: 0, conflicts: 0, filled: 1, replaced: 0 });
    expect(r.totals.filled).toBe(1);
    expect(await byRun(f.target)).toEqual({ 'run-a': 0.81, 'run-b': 0.7 });
    expect(await readRows(f.target, 'parquet')).toHaveLength(2);
  });

  it('a source NULL against a target value: the value stays, nothing filled, no conflict', async () => {
    const f = await files(runs([[T1, 'run-a', 0.01, 0.81]]), runs([[T1, 'run-a', 0.01, null]]));
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(mergeFailure(r)).toBeNull();
    expect(r.tables[0]).toMatchObject({ added: 0, duplicates: 1, conflicts: 0, filled: 0 });
    expect(await byRun(f.target)).toEqual({ 'run-a': 0.81 });
  });

  it('a true conflict (both sides hold different values) still refuses with exit 6; keep keeps, replace takes only non-NULL values', async () => {
    const f = await files(runs([[T1, 'run-a', 0.01, 0.81]]), runs([[T1, 'run-a', null, 0.99]]));
    const before = bytesOf(f.target);
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(r.refused).toBe('conflicts');
    expect(mergeFailure(r)!.exitCode).toBe(6);
    expect(r.tables[0]).toMatchObject({ conflicts: 1, filled: 0 });
    expect(r.conflicts.map((c) => c.columns)).toEqual([[{ column: 'test_f1', target: 0.81, source: 0.99 }]]);
    expect(bytesOf(f.target).equals(before)).toBe(true);

    const replaced = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], onConflict: 'replace', repo: null });
    expect(replaced.tables[0]).toMatchObject({ conflicts: 1, replaced: 1, filled: 0 });
    // The source's NULL lr leaves the target's value.
    expect((await readRows(f.target, 'parquet')).map((x) => [x.lr, x.test_f1])).toEqual([[0.01, 0.99]]);
  });

  it('a fill beside a conflict in other rows: keep fills and keeps; replace fills and replaces', async () => {
    const target = runs([
      [T1, 'run-a', 0.01, null],
      [T2, 'run-b', 0.1, 0.7],
    ]);
    const source = runs([
      [T1, 'run-a', 0.01, 0.81],
      [T2, 'run-b', 0.1, 0.75],
    ]);
    const f = await files(target, source);
    const out = path.join(f.dir, 'kept.parquet');
    const kept = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], onConflict: 'keep', output: out, repo: null });
    expect(kept.tables[0]).toMatchObject({ added: 0, duplicates: 0, conflicts: 1, filled: 1, replaced: 0 });
    expect(await byRun(out)).toEqual({ 'run-a': 0.81, 'run-b': 0.7 });
    const replaced = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], onConflict: 'replace', repo: null });
    expect(replaced.tables[0]).toMatchObject({ added: 0, duplicates: 0, conflicts: 1, filled: 1, replaced: 1 });
    expect(await byRun(f.target)).toEqual({ 'run-a': 0.81, 'run-b': 0.75 });
  });

  it('re-running the merge changes nothing: filled 0 the second time', async () => {
    const f = await files(
      runs([
        [T1, 'run-a', 0.01, null],
        [T2, 'run-b', null, 0.7],
      ]),
      runs([
        [T1, 'run-a', 0.01, 0.81],
        [T2, 'run-b', 0.1, null],
        ['2024-01-02 09:00:00', 'run-c', 0.2, 0.9],
      ]),
    );
    const first = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(first.tables[0]).toMatchObject({ added: 1, duplicates: 0, conflicts: 0, filled: 2 });
    const rows = (await readRows(f.target, 'parquet')).map((x) => `${x.track_id}:${x.lr}:${x.test_f1}`).sort();
    expect(rows).toEqual(['run-a:0.01:0.81', 'run-b:0.1:0.7', 'run-c:0.2:0.9']);
    const again = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(again.tables[0]).toMatchObject({ added: 0, duplicates: 3, conflicts: 0, filled: 0 });
    expect((await readRows(f.target, 'parquet')).map((x) => `${x.track_id}:${x.lr}:${x.test_f1}`).sort()).toEqual(rows);
  });

  it('a column only the source has fills the rows of the same identity; a target column named file_row_number is data like any other', async () => {
    const col = (name: string, duckdb: string) => ({ name, sqlite: '', duckdb });
    const dir = tempDir('cairn-parquet-fill-');
    const target = await makeParquet(path.join(dir, 'results.parquet'), {
      name: 't',
      columns: [col('id', 'BIGINT'), col('file_row_number', 'BIGINT'), col('v', 'DOUBLE')],
      rows: [
        [1, 7, null],
        [1, 8, 0.5],
        [2, 9, 0.6],
      ],
    });
    const source = await makeParquet(path.join(dir, 'exp.parquet'), {
      name: 't',
      columns: [col('id', 'BIGINT'), col('v', 'DOUBLE'), col('note', 'VARCHAR'), col('file_row_number', 'BIGINT')],
      rows: [
        [1, 0.5, 'x', null],
        [3, 0.9, 'new', 10],
      ],
    });
    const r = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], repo: null });
    expect(mergeFailure(r)).toBeNull();
    expect(r.tables[0]).toMatchObject({ added: 1, duplicates: 0, conflicts: 0, filled: 1 });
    const rows = (await readRows(target, 'parquet')).map((x) => `${x.id}:${x.file_row_number}:${x.v}:${x.note}`).sort();
    expect(rows).toEqual(['1:7:0.5:x', '1:8:0.5:x', '2:9:0.6:null', '3:10:0.9:new']);
    const again = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], repo: null });
    expect(again.tables[0]).toMatchObject({ added: 0, duplicates: 2, conflicts: 0, filled: 0 });
  });

  it('the CLI prints filled, in the table and in --json (built CLI)', async () => {
    const f = await files(runs([[T1, 'run-a', 0.01, null]]), runs([[T1, 'run-a', 0.01, 0.81]]));
    await makeParquet(path.join(f.dir, 'results2.parquet'), runs([[T1, 'run-a', 0.01, null]]));
    const r = await cairn(['merge', 'results.parquet', 'exp.parquet'], { cwd: f.dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {2}parquet +exp\.parquet +0 +0 +0 +1 +0 +0 *$/m);
    const j = await cairn(['merge', 'results2.parquet', 'exp.parquet', '--json'], { cwd: f.dir });
    expect(j.exitCode).toBe(0);
    expect(JSON.parse(j.stdout).totals).toMatchObject({ added: 0, duplicates: 0, conflicts: 0, filled: 1 });
  });
});
