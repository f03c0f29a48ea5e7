import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeFailure, mergeResults, UsageError } from '../../src/index.js';
import { tempDir } from '../helpers/repo.js';
import { bytesOf, makeDatabase, makeParquet, readColumns, readRows, type TableSpec } from '../helpers/resultFiles.js';
import { base, branch, conflicting, rerun } from '../helpers/xetrack.js';

const only = (specs: TableSpec[]): TableSpec => specs.find((t) => t.name === 'default')!;

async function parquets(target: TableSpec, ...sources: TableSpec[]) {
  const dir = tempDir('cairn-parquet-');
  const t = await makeParquet(path.join(dir, 'results.parquet'), target);
  const s = await Promise.all(sources.map((spec, i) => makeParquet(path.join(dir, `exp-${i}.parquet`), spec)));
  return { dir, target: t, sources: s };
}

describe('parquet merge', () => {
  it('adds new rows and a new column, aligned by name; re-running adds nothing', async () => {
    const f = await parquets(only(base()), only(branch()));
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, repo: null });
    expect(r.kind).toBe('parquet');
    expect(r.tables.map((t) => [t.table, t.sourceRows, t.added, t.duplicates, t.conflicts])).toEqual([['parquet', 7, 3, 4, 0]]);
    expect(r.tables[0]!.columnsAdded).toEqual([
      { name: 'f1', type: 'DOUBLE' },
      { name: 'epochs', type: 'BIGINT' },
    ]);
    expect(await readColumns(f.target, 'parquet')).toEqual(['timestamp', 'track_id', 'model', 'lr', 'acc', 'version', 'f1', 'epochs']);
    const rows = await readRows(f.target, 'parquet');
    expect(rows).toHaveLength(7);
    expect(rows.filter((x) => x.f1 === null)).toHaveLength(5);

    const again = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, repo: null });
    expect(again.tables.map((t) => [t.added, t.duplicates])).toEqual([[0, 7]]);
    expect(await readRows(f.target, 'parquet')).toHaveLength(7);
  });

  it('rebase by key keeps the base rows of other keys', async () => {
    const f = await parquets(only(base()), only(rerun()));
    const before = bytesOf(f.target);
    const dry = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, strategy: 'rebase', key: ['version'], repo: null });
    expect(dry.refused).toBe('confirmation');
    expect(bytesOf(f.target).equals(before)).toBe(true);

    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, strategy: 'rebase', key: ['version'], yes: true, repo: null });
    expect(r.tables.map((t) => [t.deleted, t.added])).toEqual([[2, 3]]);
    const rows = await readRows(f.target, 'parquet');
    expect(rows.map((x) => `${x.version}:${x.acc}`).sort()).toEqual(['e0.1.0:0.81', 'e0.1.0:0.83', 'e0.2.0:0.86', 'e0.2.0:0.87', 'e0.2.0:0.88']);
    expect(bytesOf(r.backup!.path).equals(before)).toBe(true);
  });

  it("conflicts: fail writes nothing, keep keeps, replace takes the source's values", async () => {
    const f = await parquets(only(base()), only(conflicting()));
    const before = bytesOf(f.target);
    const failed = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, repo: null });
    expect(failed.refused).toBe('conflicts');
    expect(failed.conflicts.map((c) => c.columns)).toEqual([[{ column: 'acc', target: 0.83, source: 0.99 }]]);
    expect(mergeFailure(failed)!.exitCode).toBe(6);
    expect(bytesOf(f.target).equals(before)).toBe(true);

    const out = path.join(f.dir, 'kept.parquet');
    const kept = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, onConflict: 'keep', output: out, repo: null });
    expect(kept.tables.map((t) => [t.added, t.duplicates, t.conflicts, t.replaced])).toEqual([[1, 1, 1, 0]]);
    expect((await readRows(out, 'parquet')).map((x) => x.acc).sort()).toEqual([0.5, 0.7, 0.81, 0.83, 0.85]);
    expect(bytesOf(f.target).equals(before)).toBe(true);

    const replaced = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, onConflict: 'replace', repo: null });
    expect(replaced.tables.map((t) => [t.added, t.duplicates, t.conflicts, t.replaced])).toEqual([[1, 1, 1, 1]]);
    expect((await readRows(f.target, 'parquet')).map((x) => x.acc).sort()).toEqual([0.5, 0.7, 0.81, 0.85, 0.99]);
  });

  it('two sources in one run are merged in order', async () => {
    const f = await parquets(only(base()), only(branch()), only(branch()));
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: f.sources, repo: null });
    expect(r.tables.map((t) => [t.added, t.duplicates, t.columnsAdded.length])).toEqual([
      [3, 4, 2],
      [0, 7, 0],
    ]);
    expect(await readRows(f.target, 'parquet')).toHaveLength(7);
  });

  it('refuses a database source for a parquet target', async () => {
    const f = await parquets(only(base()));
    const db = await makeDatabase(path.join(f.dir, 'exp.db'), 'sqlite', branch());
    const err = await mergeResults({ cwd: f.dir, target: f.target, sources: [db], repo: null }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/is a SQLite database; a parquet target takes parquet sources$/);
  });
});
