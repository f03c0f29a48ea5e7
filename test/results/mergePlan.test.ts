import { describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { mapColumnType, plainType } from '../../src/results/columnTypes.js';
import { checkSettings, planMerge, type DatabaseShape, type MergeSettings, type TableShape } from '../../src/results/mergePlan.js';
import { mergeSettings } from '../../src/results/merge.js';
import { parseRevPath, revPathFromRoot } from '../../src/results/mergeSource.js';

const table = (name: string, cols: [string, string][], extra: Partial<TableShape> = {}): TableShape => ({
  name,
  columns: cols.map(([n, type]) => ({ name: n, type, pk: 0 })),
  ...extra,
});
const db = (engine: 'sqlite' | 'duckdb', ...tables: TableShape[]): DatabaseShape => ({ engine, tables });
const merge: MergeSettings = { strategy: 'merge', onConflict: 'fail', key: ['version'] };

const target = db(
  'sqlite',
  table('default', [
    ['timestamp', 'TEXT'],
    ['track_id', 'TEXT'],
    ['acc', 'REAL'],
    ['version', 'TEXT'],
  ]),
  table('metrics', [
    ['name', 'TEXT'],
    ['value', 'REAL'],
  ]),
);
const source = db(
  'sqlite',
  table('Default', [
    ['TRACK_ID', 'TEXT'],
    ['timestamp', 'TEXT'],
    ['f1', 'REAL'],
    ['acc', 'REAL'],
    ['version', 'TEXT'],
  ]),
  table('metrics', [
    ['value', 'REAL'],
    ['name', 'TEXT'],
  ]),
  table('events', [['what', 'TEXT']], {}),
  table('v_best', [['acc', 'REAL']], { view: true }),
  table('sqlite_sequence', [['name', 'TEXT']]),
  table('counts', [
    ['key', 'TEXT'],
    ['value', 'BLOB'],
  ]),
);

describe('planMerge (pure)', () => {
  it('aligns tables and columns by name (case-insensitively), picks identities, adds columns and tables', () => {
    const plan = planMerge(target, [{ label: 'exp.db', shape: source }], merge);
    const steps = plan.sources[0]!.steps;
    // Row tables in byte order, views and internal tables left out, asset tables last.
    expect(steps.map((s) => [s.table, s.sourceTable, s.role])).toEqual([
      ['default', 'Default', 'rows'],
      ['events', 'events', 'rows'],
      ['metrics', 'metrics', 'rows'],
      ['counts', 'counts', 'counts'],
    ]);
    const [def, events, metrics, counts] = steps;
    expect(def).toMatchObject({
      columns: ['track_id', 'timestamp', 'f1', 'acc', 'version'],
      sourceColumns: ['TRACK_ID', 'timestamp', 'f1', 'acc', 'version'],
      identity: ['track_id', 'timestamp'],
      identityRule: 'xetrack',
      compare: ['f1', 'acc', 'version'],
      addColumns: [{ name: 'f1', type: 'REAL' }],
      create: null,
      mode: 'merge',
    });
    expect(events).toMatchObject({ create: [{ name: 'what', type: 'TEXT', pk: 0 }], identityRule: 'row', identity: ['what'], compare: [] });
    expect(metrics).toMatchObject({ identityRule: 'row', identity: ['value', 'name'], addColumns: [] });
    expect(counts).toMatchObject({ identity: ['key'], identityRule: 'asset', create: [{ name: 'key' }, { name: 'value' }] });
  });

  it('a later source sees the columns and tables an earlier one adds', () => {
    const plan = planMerge(
      target,
      [
        { label: 'a', shape: source },
        { label: 'b', shape: source },
      ],
      merge,
    );
    const second = plan.sources[1]!.steps;
    expect(second.find((s) => s.table === 'default')!.addColumns).toEqual([]);
    expect(second.find((s) => s.table === 'events')!.create).toBeNull();
  });

  it("--id wins over xetrack's identity; a missing --id column is a NotFoundError", () => {
    const plan = planMerge(target, [{ label: 'exp.db', shape: source }], { ...merge, id: ['version'], tables: ['default'] });
    expect(plan.sources[0]!.steps[0]).toMatchObject({ identity: ['version'], identityRule: 'id', compare: ['track_id', 'timestamp', 'f1', 'acc'] });
    const err = (() => {
      try {
        planMerge(target, [{ label: 'exp.db', shape: source }], { ...merge, id: ['run'] });
      } catch (e) {
        return e as NotFoundError;
      }
    })()!;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('unknown id column "run" in table "Default" of exp.db');
    expect(err.hint).toMatch(/^columns there: "TRACK_ID", "timestamp", "f1", "acc", "version"; choose --id/);
  });

  it('rebase needs its key in the target and in every source', () => {
    const plan = planMerge(target, [{ label: 'exp.db', shape: source }], { ...merge, strategy: 'rebase', tables: ['default', 'counts'] });
    expect(plan.sources[0]!.steps.map((s) => [s.table, s.mode, s.key])).toEqual([
      ['default', 'rebase', ['version']],
      ['counts', 'merge', []],
    ]);
    expect(() => planMerge(target, [{ label: 'exp.db', shape: source }], { ...merge, strategy: 'rebase' })).toThrowError(
      /^unknown key column "version" in table "events" of exp.db$/,
    );
    const noKeyInTarget = db('sqlite', table('default', [['acc', 'REAL']]));
    expect(() => planMerge(noKeyInTarget, [{ label: 'exp.db', shape: source }], { ...merge, strategy: 'rebase', tables: ['default'] })).toThrowError(
      /^unknown key column "version" in table "default" of the target$/,
    );
  });

  it('--table names that no source has, and views in the target, are refused', () => {
    expect(() => planMerge(target, [{ label: 'exp.db', shape: source }], { ...merge, tables: ['nope'] })).toThrowError(/^no table "nope" in any source$/);
    const withView = db('sqlite', table('events', [['what', 'TEXT']], { view: true }));
    expect(() => planMerge(withView, [{ label: 'exp.db', shape: source }], { ...merge, tables: ['events'] })).toThrowError(UsageError);
  });

  it('hostile names are data, not SQL: they pass through planning unchanged', () => {
    const evil = 'x"; DROP TABLE "default"; --';
    const shape = db(
      'sqlite',
      table(evil, [
        [`va'l;ue "q"`, 'TEXT'],
        ['é字', 'REAL'],
      ]),
    );
    const plan = planMerge(db('sqlite'), [{ label: 's', shape }], merge);
    expect(plan.sources[0]!.steps[0]).toMatchObject({ table: evil, columns: [`va'l;ue "q"`, 'é字'] });
  });

  it('checkSettings refuses unknown modes and empty names', () => {
    expect(() => checkSettings({ ...merge, strategy: 'squash' as never })).toThrowError(/unknown merge strategy "squash"/);
    expect(() => checkSettings({ ...merge, onConflict: 'ours' as never })).toThrowError(/unknown --on-conflict mode "ours"/);
    expect(() => checkSettings({ ...merge, id: [''] })).toThrowError(/invalid name given to --id/);
    expect(() => checkSettings({ ...merge, strategy: 'rebase', key: [] })).toThrowError(/rebase needs at least one key column/);
  });
});

describe('mergeSettings: flags over merge.* config over defaults', () => {
  const config = { strategy: 'rebase' as const, id: ['run'], key: ['ver'], tables: ['default'] };
  it('takes config when no flag is given', () => {
    expect(mergeSettings({ cwd: '/', target: 't', sources: ['s'] }, config)).toEqual({
      strategy: 'rebase',
      onConflict: 'fail',
      tables: ['default'],
      id: ['run'],
      key: ['ver'],
    });
  });
  it('flags win; empty flag lists do not erase config', () => {
    expect(mergeSettings({ cwd: '/', target: 't', sources: ['s'], strategy: 'merge', id: [], key: ['k'], tables: ['x'] }, config)).toEqual({
      strategy: 'merge',
      onConflict: 'fail',
      tables: ['x'],
      id: ['run'],
      key: ['k'],
    });
  });
  it('defaults: merge, version', () => {
    expect(mergeSettings({ cwd: '/', target: 't', sources: ['s'] })).toEqual({
      strategy: 'merge',
      onConflict: 'fail',
      tables: undefined,
      id: undefined,
      key: ['version'],
    });
  });
});

describe('column types', () => {
  it('keeps plain types within an engine and maps families across', () => {
    expect(mapColumnType('sqlite', 'sqlite', 'VARCHAR(20)')).toBe('VARCHAR(20)');
    expect(mapColumnType('sqlite', 'sqlite', 'INT); DROP TABLE x; --')).toBe('');
    expect(mapColumnType('duckdb', 'duckdb', 'DECIMAL(10,2)')).toBe('DECIMAL(10,2)');
    expect(mapColumnType('duckdb', 'duckdb', "ENUM('a', 'b')")).toBe('VARCHAR');
    expect(mapColumnType('duckdb', 'sqlite', 'TIMESTAMP')).toBe('TEXT');
    expect(mapColumnType('duckdb', 'sqlite', 'BOOLEAN')).toBe('INTEGER');
    expect(mapColumnType('duckdb', 'sqlite', 'DOUBLE')).toBe('REAL');
    expect(mapColumnType('sqlite', 'duckdb', 'INTEGER')).toBe('BIGINT');
    expect(mapColumnType('sqlite', 'duckdb', '')).toBe('VARCHAR');
    expect(mapColumnType('sqlite', 'duckdb', 'FLOAT')).toBe('DOUBLE');
    expect(plainType('duckdb', 'INTEGER[]')).toBe('INTEGER[]');
  });
});

describe('REV:path parsing', () => {
  it('splits at the first colon; plain paths are not revisions', () => {
    expect(parseRevPath('exp/cnn:results/experiments.db')).toEqual({ rev: 'exp/cnn', path: 'results/experiments.db' });
    expect(parseRevPath('e0.2.0:a:b.db')).toEqual({ rev: 'e0.2.0', path: 'a:b.db' });
    expect(parseRevPath('results.db')).toBeNull();
    expect(parseRevPath(':x')).toBeNull();
    expect(parseRevPath('main:')).toBeNull();
  });
  it('paths are from the root unless they start with ./ or ../; escaping is refused', () => {
    expect(revPathFromRoot('/r', '/r/sub', 'results/x.db')).toBe('results/x.db');
    expect(revPathFromRoot('/r', '/r/sub', './x.db')).toBe('sub/x.db');
    expect(() => revPathFromRoot('/r', '/r', '../outside.db')).toThrowError(/outside the repository/);
  });
});
