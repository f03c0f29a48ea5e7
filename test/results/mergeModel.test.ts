/**
 * The engines against a model of the merge rules, on random small tables
 * with NULL ids and duplicate ids: a source row is added when no target row
 * (as it was before the merge) has its identity, a conflict when one with
 * that identity has other values, a duplicate otherwise. NULL equals NULL.
 * Every engine fills: a value against a NULL is no conflict, and the
 * target's NULL takes the source's value.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/index.js';
import { tempDir } from '../helpers/repo.js';
import { makeDatabase, makeParquet, readRows, type TableSpec } from '../helpers/resultFiles.js';

interface Row {
  id: number | null;
  v: number | null;
}

function model(target: Row[], source: Row[]) {
  const counts = { added: 0, duplicates: 0, conflicts: 0, filled: 0 };
  const added: Row[] = [];
  // For each target row, the values source rows would fill its NULL with.
  const fillers = target.map(() => new Set<number>());
  for (const s of source) {
    const matches = target.filter((t) => t.id === s.id);
    const conflict = (t: Row) => t.v !== null && s.v !== null && t.v !== s.v;
    if (matches.length === 0) {
      added.push(s);
      counts.added++;
    } else if (matches.some(conflict)) counts.conflicts++;
    else if (s.v !== null && matches.some((t) => t.v === null)) {
      counts.filled++;
      target.forEach((t, i) => t.id === s.id && t.v === null && fillers[i]!.add(s.v!));
    } else counts.duplicates++;
  }
  // Two source rows filling one NULL with different values: either may win.
  const ambiguous = fillers.some((f) => f.size > 1);
  const rows = [...target.map((t, i) => (fillers[i]!.size ? { ...t, v: [...fillers[i]!][0]! } : t)), ...added];
  return { counts, rows, ambiguous };
}

const rowArb = fc.record({ id: fc.option(fc.integer({ min: 0, max: 4 })), v: fc.option(fc.integer({ min: 0, max: 2 })) });
const tableArb = fc.array(rowArb, { maxLength: 8 });

const spec = (rows: Row[]): TableSpec => ({
  name: 'runs',
  columns: [
    { name: 'id', sqlite: 'INTEGER', duckdb: 'BIGINT' },
    { name: 'v', sqlite: 'INTEGER', duckdb: 'BIGINT' },
  ],
  rows: rows.map((r) => [r.id, r.v]),
});

const key = (r: Record<string, unknown>): string => `${r.id ?? 'null'}/${r.v ?? 'null'}`;

describe.each([
  ['sqlite', 40],
  ['duckdb', 12],
  ['parquet', 12],
] as const)('%s engine agrees with the model', (engine, runs) => {
  it('counts and resulting rows, then idempotence', async () => {
    const dir = tempDir('cairn-model-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(tableArb, tableArb, async (targetRows, sourceRows) => {
        n++;
        const file = (name: string) => path.join(dir, `${n}-${name}.${engine === 'parquet' ? 'parquet' : engine === 'duckdb' ? 'duckdb' : 'db'}`);
        const make = (name: string, rows: Row[]) =>
          engine === 'parquet' ? makeParquet(file(name), spec(rows)) : makeDatabase(file(name), engine, [spec(rows)]);
        const target = await make('t', targetRows);
        const source = await make('s', sourceRows);
        const table = engine === 'parquet' ? 'parquet' : 'runs';
        const expected = model(targetRows, sourceRows);

        // --on-conflict fail: refused exactly when the model sees a conflict.
        const out = file('o');
        const failed = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], output: out, repo: null });
        expect(failed.refused).toBe(expected.counts.conflicts > 0 ? 'conflicts' : null);
        expect(failed.tables[0]!.added).toBe(expected.counts.added);
        expect(failed.tables[0]!.conflicts).toBe(expected.counts.conflicts);

        const r = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], onConflict: 'keep', repo: null });
        const t = r.tables[0]!;
        expect({ added: t.added, duplicates: t.duplicates, conflicts: t.conflicts, filled: t.filled }).toEqual(expected.counts);
        if (!expected.ambiguous) expect((await readRows(target, table)).map(key).sort()).toEqual(expected.rows.map((x) => key(x)).sort());

        const again = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], onConflict: 'keep', repo: null });
        expect(again.tables[0]!.added).toBe(0);
      }),
      { numRuns: runs },
    );
  });
});
