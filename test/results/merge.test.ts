import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError, mergeFailure, mergeResults, NotFoundError, UnsafeError, type MergeResult, type TableSummary } from '../../src/index.js';
import { tempDir } from '../helpers/repo.js';
import { bytesOf, makeDatabase, readColumns, readRows, readTables, type TestEngine } from '../helpers/resultFiles.js';
import { base, branch, conflicting, H1, H2, pickleSmallInt, rerun, T2, T5 } from '../helpers/xetrack.js';

const EXT: Record<TestEngine, string> = { sqlite: 'db', duckdb: 'duckdb' };

async function files(target: TestEngine, source: TestEngine, make = { target: base, source: branch }) {
  const dir = tempDir('cairn-merge-');
  const t = await makeDatabase(path.join(dir, `results.${EXT[target]}`), target, make.target());
  const s = await makeDatabase(path.join(dir, `exp.${EXT[source]}`), source, make.source());
  return { dir, target: t, source: s };
}

/** The per-table numbers of a result, for exact comparison. */
function counts(r: MergeResult): Record<string, Partial<TableSummary>> {
  const out: Record<string, Partial<TableSummary>> = {};
  for (const t of r.tables) {
    out[t.table] = {
      sourceRows: t.sourceRows,
      added: t.added,
      duplicates: t.duplicates,
      conflicts: t.conflicts,
      filled: t.filled,
      replaced: t.replaced,
      deleted: t.deleted,
      updated: t.updated,
    };
  }
  return out;
}

const row = (n: Partial<TableSummary>): Partial<TableSummary> => ({ conflicts: 0, filled: 0, replaced: 0, deleted: 0, updated: 0, ...n });

/** A DuckDB blob reads back as base64 through the reader, a SQLite one as bytes. */
const bytes = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'base64'));

const PAIRS: [TestEngine, TestEngine][] = [
  ['sqlite', 'sqlite'],
  ['sqlite', 'duckdb'],
  ['duckdb', 'duckdb'],
  ['duckdb', 'sqlite'],
];

describe.each(PAIRS)('merge into %s from %s', (targetEngine, sourceEngine) => {
  const newColumnTypes = targetEngine === 'sqlite' ? ['REAL', 'INTEGER'] : ['DOUBLE', 'BIGINT'];

  it('adds the rows of new identities, skips re-logged ones, adds new columns and tables, merges assets', async () => {
    const f = await files(targetEngine, sourceEngine);
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(r.applied).toBe(true);
    expect(r.refused).toBeNull();
    expect(r.tables.map((t) => t.table)).toEqual(['default', 'events', 'metrics', 'predictions', 'assets', 'keys', 'counts']);
    expect(counts(r)).toEqual({
      default: row({ sourceRows: 7, added: 3, duplicates: 4 }),
      events: row({ sourceRows: 2, added: 2, duplicates: 0 }),
      metrics: row({ sourceRows: 2, added: 1, duplicates: 1 }),
      predictions: row({ sourceRows: 5, added: 2, duplicates: 3 }),
      assets: row({ sourceRows: 2, added: 1, duplicates: 1 }),
      keys: row({ sourceRows: 3, added: 2, duplicates: 1 }),
      // No row of this file holds an asset hash: counts keep the target's value, a new asset brings the source's.
      counts: row({ sourceRows: 2, added: 1, duplicates: 1 }),
    });
    const def = r.tables.find((t) => t.table === 'default')!;
    expect(def.identity).toEqual(['track_id', 'timestamp']);
    expect(def.identityRule).toBe('xetrack');
    expect(def.columnsAdded).toEqual([
      { name: 'f1', type: newColumnTypes[0] },
      { name: 'epochs', type: newColumnTypes[1] },
    ]);
    expect(r.tables.find((t) => t.table === 'metrics')!.identityRule).toBe('row');
    expect(r.tables.find((t) => t.table === 'events')!.created).toBe(true);
    expect(r.totals).toEqual({ added: 12, duplicates: 11, conflicts: 0, filled: 0, replaced: 0, deleted: 0, updated: 0, columnsAdded: 2, tablesCreated: 1 });

    // Columns aligned by name, old rows NULL in the new columns, nothing dropped.
    expect(await readColumns(f.target, 'default')).toEqual(['timestamp', 'track_id', 'model', 'lr', 'acc', 'version', 'f1', 'epochs']);
    const rows = await readRows(f.target, 'default');
    expect(rows).toHaveLength(7);
    expect(rows.filter((x) => x.f1 === null)).toHaveLength(5);
    expect(
      rows
        .filter((x) => x.track_id === null)
        .map((x) => x.acc)
        .sort(),
    ).toEqual([0.4, 0.5]);
    expect(rows.find((x) => x.track_id === 'run-c' && x.epochs === 5)).toMatchObject({ model: 'cnn', acc: 0.91, f1: 0.89 });
    expect(await readRows(f.target, 'events')).toHaveLength(2);

    // Assets deduplicated by hash; counts are derived from the rows (none reference these hashes).
    expect((await readRows(f.target, 'assets')).map((a) => bytes(a.value).toString()).sort()).toEqual(['asset-one', 'asset-two']);
    const countsRows = await readRows(f.target, 'counts');
    expect(Object.fromEntries(countsRows.map((c) => [c.key, bytes(c.value).toString('hex')]))).toEqual({
      [H1]: pickleSmallInt(1).toString('hex'),
      [H2]: pickleSmallInt(1).toString('hex'),
    });
  });

  it('is idempotent: merging the same source again adds nothing and changes no count', async () => {
    const f = await files(targetEngine, sourceEngine);
    await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    const again = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
    expect(again.totals).toEqual({ added: 0, duplicates: 23, conflicts: 0, filled: 0, replaced: 0, deleted: 0, updated: 0, columnsAdded: 0, tablesCreated: 0 });
    expect(counts(again).counts).toEqual(row({ sourceRows: 2, added: 0, duplicates: 2 }));
    expect(await readRows(f.target, 'default')).toHaveLength(7);
    expect((await readRows(f.target, 'counts')).map((c) => bytes(c.value).toString('hex')).sort()).toEqual([
      pickleSmallInt(1).toString('hex'),
      pickleSmallInt(1).toString('hex'),
    ]);
  });

  it("two sources in one run: the second sees the first one's rows and columns", async () => {
    const f = await files(targetEngine, sourceEngine);
    const second = await makeDatabase(path.join(f.dir, `copy.${EXT[sourceEngine]}`), sourceEngine, branch());
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source, second], repo: null });
    expect(r.tables.filter((t) => t.source === second && t.table === 'default').map((t) => [t.added, t.duplicates, t.columnsAdded.length])).toEqual([
      [0, 7, 0],
    ]);
    expect(await readRows(f.target, 'default')).toHaveLength(7);
  });

  describe('conflicts', () => {
    const make = { target: base, source: conflicting };

    it('fail (default): reports each conflict with its identity and differing columns, writes nothing', async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const before = bytesOf(f.target);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
      expect(r.applied).toBe(false);
      expect(r.refused).toBe('conflicts');
      expect(counts(r).default).toEqual(row({ sourceRows: 3, added: 1, duplicates: 1, conflicts: 1 }));
      expect(r.conflicts).toHaveLength(1);
      expect(r.conflicts[0]!.table).toBe('default');
      expect(r.conflicts[0]!.identity.track_id).toBe('run-a');
      expect(String(r.conflicts[0]!.identity.timestamp)).toMatch(/^2024-01-01[ T]10:05:00/);
      expect(r.conflicts[0]!.columns).toEqual([{ column: 'acc', target: 0.83, source: 0.99 }]);
      const err = mergeFailure(r)!;
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.exitCode).toBe(6);
      expect(err.message).toMatch(/1 conflicting row in "default"/);
      expect(bytesOf(f.target).equals(before)).toBe(true);
    });

    it("keep: the target's values stay, the new row is added", async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], onConflict: 'keep', repo: null });
      expect(r.applied).toBe(true);
      expect(counts(r).default).toEqual(row({ sourceRows: 3, added: 1, duplicates: 1, conflicts: 1 }));
      expect(r.backup).toBeNull();
      const rows = await readRows(f.target, 'default');
      expect(rows).toHaveLength(5);
      expect(
        rows
          .filter((x) => x.track_id === 'run-a')
          .map((x) => x.acc)
          .sort(),
      ).toEqual([0.81, 0.83]);
    });

    it("replace: the source's values win, and the prior state is kept as a backup", async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const before = bytesOf(f.target);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], onConflict: 'replace', repo: null });
      expect(counts(r).default).toEqual(row({ sourceRows: 3, added: 1, duplicates: 1, conflicts: 1, replaced: 1 }));
      const rows = await readRows(f.target, 'default');
      expect(rows).toHaveLength(5);
      expect(
        rows
          .filter((x) => x.track_id === 'run-a')
          .map((x) => x.acc)
          .sort(),
      ).toEqual([0.81, 0.99]);
      expect(r.backup!.path).toMatch(/\.before-merge-\d{8}T\d{6}Z$/);
      expect(bytesOf(r.backup!.path).equals(before)).toBe(true);
    });

    it('--id picks the identity: by version alone, every base row of e0.1.0 conflicts', async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], id: ['version', 'track_id'], repo: null });
      expect(r.tables[0]!.identityRule).toBe('id');
      expect(counts(r).default).toEqual(row({ sourceRows: 3, added: 1, duplicates: 0, conflicts: 2 }));
    });
  });

  describe('rebase', () => {
    const make = { target: base, source: rerun };

    it('without --yes: reports what would change, leaves the target byte-identical', async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const before = bytesOf(f.target);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], strategy: 'rebase', key: ['version'], repo: null });
      expect(r.applied).toBe(false);
      expect(r.refused).toBe('confirmation');
      expect(counts(r).default).toEqual(row({ sourceRows: 3, added: 3, duplicates: 0, deleted: 2 }));
      const err = mergeFailure(r)!;
      expect(err).toBeInstanceOf(UnsafeError);
      expect(err.message).toBe('rebase would delete 2 rows and insert 3; nothing was written');
      expect(bytesOf(f.target).equals(before)).toBe(true);
    });

    it("with --yes: the key's rows are replaced, unmatched rows stay, the prior state is kept", async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const before = bytesOf(f.target);
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], strategy: 'rebase', key: ['version'], yes: true, repo: null });
      expect(r.applied).toBe(true);
      expect(r.tables[0]).toMatchObject({ mode: 'rebase', key: ['version'], identity: null, deleted: 2, added: 3 });
      const rows = await readRows(f.target, 'default');
      expect(rows.map((x) => `${x.version}:${x.acc}`).sort()).toEqual(['e0.1.0:0.81', 'e0.1.0:0.83', 'e0.2.0:0.86', 'e0.2.0:0.87', 'e0.2.0:0.88']);
      expect(bytesOf(r.backup!.path).equals(before)).toBe(true);
    });

    it('checks the key in the target and every source before writing', async () => {
      const f = await files(targetEngine, sourceEngine, make);
      const before = bytesOf(f.target);
      const err = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], strategy: 'rebase', key: ['run'], yes: true, repo: null }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err.message).toMatch(/^unknown key column "run" in table "default" of /);
      expect(err.hint).toMatch(/columns there: "timestamp", "track_id"/);
      expect(bytesOf(f.target).equals(before)).toBe(true);
    });

    it('a failure midway (a value the target refuses) leaves the target byte-identical', async () => {
      const dir = tempDir('cairn-merge-');
      const strictTarget = base()
        .slice(0, 1)
        .map((t) => ({
          ...t,
          extra: { sqlite: 'CHECK (acc <= 1)', duckdb: 'CHECK (acc <= 1)' },
        }));
      const target = await makeDatabase(path.join(dir, `results.${EXT[targetEngine]}`), targetEngine, strictTarget);
      const bad = rerun().map((t) => ({ ...t, rows: [...t.rows, ['2024-02-01 00:00:00', 'run-e', 'bert', 0.01, 1.5, 'e0.2.0']] }));
      const source = await makeDatabase(path.join(dir, `exp.${EXT[sourceEngine]}`), sourceEngine, bad);
      const before = bytesOf(target);
      const err = await mergeResults({ cwd: dir, target, sources: [source], strategy: 'rebase', key: ['version'], yes: true, repo: null }).catch((e) => e);
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/^the merge failed: .*CHECK.*; .* is unchanged$/is);
      expect(bytesOf(target).equals(before)).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual([path.basename(source), path.basename(target)].sort());
    });
  });

  it('a type error on insert leaves the target byte-identical', async () => {
    const dir = tempDir('cairn-merge-');
    const strict = base()
      .slice(0, 1)
      .map((t) => ({ ...t, options: { sqlite: 'STRICT' } }));
    const target = await makeDatabase(path.join(dir, `results.${EXT[targetEngine]}`), targetEngine, strict);
    const wrong = conflicting().map((t) => ({
      ...t,
      columns: t.columns.map((c) => (c.name === 'acc' ? { name: 'acc', sqlite: 'TEXT', duckdb: 'VARCHAR' } : c)),
      rows: [...t.rows, ['2024-03-01 00:00:00', 'run-x', 'bert', 0.1, 'high', 'e0.4.0']],
    }));
    const source = await makeDatabase(path.join(dir, `exp.${EXT[sourceEngine]}`), sourceEngine, wrong);
    const before = bytesOf(target);
    const err = await mergeResults({ cwd: dir, target, sources: [source], onConflict: 'keep', repo: null }).catch((e) => e);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/^the merge failed: .*(REAL|DOUBLE|high).*; .* is unchanged$/is);
    expect(bytesOf(target).equals(before)).toBe(true);
  });

  it('hostile table and column names are quoted, never run', async () => {
    const dir = tempDir('cairn-merge-');
    const evil = 'x"; DROP TABLE "default"; --';
    const hostile = [
      {
        name: evil,
        columns: [
          { name: `va'l;ue "q"`, sqlite: 'TEXT', duckdb: 'VARCHAR' },
          { name: 'é字', sqlite: 'REAL', duckdb: 'DOUBLE' },
        ],
        rows: [["'); DROP TABLE metrics; --", 1.5]],
      },
    ];
    const target = await makeDatabase(path.join(dir, `results.${EXT[targetEngine]}`), targetEngine, [...base().slice(0, 3), { ...hostile[0]!, rows: [] }]);
    const source = await makeDatabase(path.join(dir, `exp.${EXT[sourceEngine]}`), sourceEngine, hostile);
    const r = await mergeResults({ cwd: dir, target, sources: [source], repo: null });
    expect(r.tables.map((t) => [t.table, t.added])).toEqual([[evil, 1]]);
    expect((await readTables(target)).sort()).toEqual(['default', 'metrics', 'predictions', evil].sort());
    expect(await readRows(target, evil)).toEqual([{ [`va'l;ue "q"`]: "'); DROP TABLE metrics; --", é字: 1.5 }]);
  });

  it('-o writes elsewhere and leaves the target as it is', async () => {
    const f = await files(targetEngine, sourceEngine);
    const before = bytesOf(f.target);
    const out = path.join(f.dir, `merged.${EXT[targetEngine]}`);
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], output: out, repo: null });
    expect(r.output).toBe(out);
    expect(bytesOf(f.target).equals(before)).toBe(true);
    expect(await readRows(out, 'default')).toHaveLength(7);
    expect((await readTables(out)).sort()).toEqual(['assets', 'counts', 'default', 'events', 'keys', 'metrics', 'predictions']);
  });

  it('--table narrows the merge', async () => {
    const f = await files(targetEngine, sourceEngine);
    const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], tables: ['predictions', 'metrics'], repo: null });
    expect(r.tables.map((t) => [t.table, t.added])).toEqual([
      ['metrics', 1],
      ['predictions', 2],
    ]);
    expect(await readRows(f.target, 'default')).toHaveLength(4);
  });
});

describe('SQLite sources read in identity order', () => {
  it('an indexed source out of order gives the same result as one in order', async () => {
    const dir = tempDir('cairn-merge-');
    const ids = Array.from({ length: 12_000 }, (_, i) => i);
    // Source row 8000 differs from the target's: one conflict. NULL ids equal NULL ids.
    const spec = (rows: number[], indexes?: string[][], source = false) => ({
      name: 'runs',
      columns: [
        { name: 'id', sqlite: 'INTEGER', duckdb: 'BIGINT' },
        { name: 'v', sqlite: 'INTEGER', duckdb: 'BIGINT' },
      ],
      rows: rows.map((i) => [i % 3000 === 7 ? null : i, source && i === 8000 ? -1 : i % 5]),
      indexes,
    });
    const shuffled = [...ids.slice(6000)].sort((a, b) => ((a * 7919) % 6007) - ((b * 7919) % 6007));
    const results = [];
    for (const order of [ids.slice(6000), shuffled]) {
      const target = await makeDatabase(path.join(dir, `t-${results.length}.db`), 'sqlite', [spec(ids.slice(0, 9000), [['id']])]);
      const source = await makeDatabase(path.join(dir, `s-${results.length}.db`), 'sqlite', [spec(order, [['id']], true)]);
      const r = await mergeResults({ cwd: dir, target, sources: [source], id: ['id'], onConflict: 'keep', repo: null });
      results.push([r.tables[0]!.added, r.tables[0]!.duplicates, r.tables[0]!.conflicts, (await readRows(target, 'runs')).length]);
    }
    expect(results).toEqual([
      [2999, 3000, 1, 11_999],
      [2999, 3000, 1, 11_999],
    ]);
  });
});

describe('NULL identities', () => {
  it('a NULL id equals a NULL id: re-merging rows with NULL ids adds nothing', async () => {
    const dir = tempDir('cairn-merge-');
    const spec = [
      {
        name: 'runs',
        columns: [
          { name: 'run_id', sqlite: 'TEXT', duckdb: 'VARCHAR' },
          { name: 'score', sqlite: 'REAL', duckdb: 'DOUBLE' },
        ],
        rows: [
          [null, 0.5],
          ['r1', 0.6],
        ],
      },
    ];
    const target = await makeDatabase(path.join(dir, 't.db'), 'sqlite', [{ ...spec[0]!, rows: [['r1', 0.6]] }]);
    const source = await makeDatabase(path.join(dir, 's.db'), 'sqlite', spec);
    const first = await mergeResults({ cwd: dir, target, sources: [source], id: ['run_id'], repo: null });
    expect([first.totals.added, first.totals.duplicates]).toEqual([1, 1]);
    const second = await mergeResults({ cwd: dir, target, sources: [source], id: ['run_id'], repo: null });
    expect([second.totals.added, second.totals.duplicates]).toEqual([0, 2]);
    expect(await readRows(target, 'runs')).toHaveLength(2);
  });
});

describe('SQLite targets in WAL mode', () => {
  it('include the rows still in the write-ahead log, and stay in WAL mode', async () => {
    const f = await files('sqlite', 'sqlite');
    const { default: Database } = await import('better-sqlite3');
    const writer = new Database(f.target);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare('INSERT INTO metrics VALUES (?, ?, ?)').run('e0.9.0', 'f1', 0.99);
    expect(fs.statSync(`${f.target}-wal`).size).toBeGreaterThan(0);
    try {
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
      expect(r.tables.find((t) => t.table === 'metrics')).toMatchObject({ added: 1, duplicates: 1 });
    } finally {
      writer.close();
    }
    const check = new Database(f.target, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(check.prepare('SELECT version FROM metrics ORDER BY version').pluck().all()).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0', 'e0.9.0']);
    check.close();
  });
});

describe('SQLite sources in WAL mode', () => {
  it('are read with the rows still in their write-ahead log, and left as they were', async () => {
    const f = await files('sqlite', 'sqlite');
    const { default: Database } = await import('better-sqlite3');
    const writer = new Database(f.source);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare('INSERT INTO metrics VALUES (?, ?, ?)').run('e0.8.0', 'f1', 0.97);
    const before = { db: bytesOf(f.source), wal: bytesOf(`${f.source}-wal`) };
    try {
      const r = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null });
      expect(r.tables.find((t) => t.table === 'metrics')).toMatchObject({ added: 2, duplicates: 1 });
      expect(bytesOf(f.source).equals(before.db)).toBe(true);
      expect(bytesOf(`${f.source}-wal`).equals(before.wal)).toBe(true);
    } finally {
      writer.close();
    }
  });
});

describe('guards', () => {
  it('refuses a target another SQLite connection is writing', async () => {
    const f = await files('sqlite', 'sqlite');
    const { default: Database } = await import('better-sqlite3');
    const writer = new Database(f.target);
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare('INSERT INTO metrics VALUES (?, ?, ?)').run('e9', 'f1', 0.1);
    try {
      const err = await mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null, waitMs: 200 }).catch((e) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.message).toMatch(/is locked by another writer \(a SQLite connection is writing it\)$/);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('two merges into one target take turns: no row is lost', async () => {
    const f = await files('sqlite', 'sqlite', { target: base, source: branch });
    const other = await makeDatabase(path.join(f.dir, 'rerun.db'), 'sqlite', rerun());
    await Promise.all([
      mergeResults({ cwd: f.dir, target: f.target, sources: [f.source], repo: null }),
      mergeResults({ cwd: f.dir, target: f.target, sources: [other], repo: null }),
    ]);
    const rows = await readRows(f.target, 'default');
    expect(rows).toHaveLength(10);
    expect(
      rows
        .filter((x) => x.timestamp === T5)
        .map((x) => x.track_id)
        .sort(),
    ).toEqual(['run-c', 'run-e']);
    expect(rows.filter((x) => x.timestamp === T2)).toHaveLength(1);
  });
});
