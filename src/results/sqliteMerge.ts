/**
 * Merging into a SQLite target: the target itself, inside one transaction
 * (`job.inPlace`), or a private temp copy of it (-o, a new target). SQLite sources
 * are attached read-only, so SQLite itself does the anti-join in one pass;
 * DuckDB sources are streamed into temp tables first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { lockedBy } from './targetGuard.js';
import { quoteIdent } from './database.js';
import { duckValueForSqlite, mapColumnType } from './columnTypes.js';
import { openDuck, readDuckShape, type DuckHandle } from './duckdb.js';
import { foldName, planMerge, sourceColumnOf, type DatabaseShape, type TableShape, type TableStep } from './mergePlan.js';
import {
  applyRows,
  applySchema,
  rowidVisible,
  type ConflictCounter,
  type EngineJob,
  type EngineOutcome,
  type SourceTables,
  type SqlSession,
} from './mergeSteps.js';
import { attachFile, attachReadOnly, loadSqlite, readSqliteShape, type SqliteDatabase } from './sqlite.js';

/** Page cache for the target (KiB): the anti-join's index and the table's hot pages fit. */
const TARGET_CACHE_KIB = 262_144;
const SOURCE_CACHE_KIB = 65_536;
/** Read through mmap: fewer copies than read(2) for a scan of a large source. */
const MMAP_BYTES = 1 << 30;
/** The original target, attached read-only: the rows to compare with (see SqlSession.before). */
const BEFORE = 'cairn_before';

export async function mergeIntoSqlite(job: EngineJob): Promise<EngineOutcome> {
  const Database = await loadSqlite();
  const inPlace = job.inPlace;
  const db = new Database(job.file, inPlace ? { fileMustExist: true, timeout: inPlace.waitMs } : { fileMustExist: true });
  const readers: DuckHandle[] = [];
  try {
    const journal = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
    if (!inPlace) {
      if (journal === 'wal') db.pragma('journal_mode = DELETE');
      // A private copy: atomicity comes from the rename that publishes it, so no
      // journal and no syncs here, only the one fsync before that rename.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
    }
    // In place, the target keeps its journal mode and sync level: its own journal makes the merge all-or-nothing.
    db.pragma(`cache_size = -${TARGET_CACHE_KIB}`);
    db.pragma('temp_store = MEMORY');
    db.pragma(`mmap_size = ${MMAP_BYTES}`);

    const sources: (SourceTables & { shapeOf: DatabaseShape })[] = [];
    for (const [i, src] of job.sources.entries()) {
      if (src.kind === 'sqlite') sources.push(attachSqliteSource(db, src.label, src.file, i, job.scratch));
      else if (src.kind === 'duckdb') {
        const handle = await openDuck(src.file, { readOnly: true });
        readers.push(handle);
        sources.push(await stagedDuckSource(db, handle, src.label, i));
      } else {
        throw new UsageError(`${src.label} is a parquet file; a SQLite target takes SQLite or DuckDB sources`, {
          hint: 'merge parquet files into a parquet target',
        });
      }
    }

    // The original target, to compare with, exists only beside a private copy.
    const hasBefore = !inPlace && job.target !== undefined && attachReadOnly(db, job.target, BEFORE);
    if (hasBefore) db.pragma(`${quoteIdent(BEFORE)}.mmap_size = ${MMAP_BYTES}`);
    if (inPlace) {
      // Other connections keep reading (and, in WAL mode, keep their snapshots); writers wait for the commit.
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw lockedBy(job.file, 'a SQLite connection is writing it', err);
        throw err;
      }
      await inPlace.beforeWrite(journal);
    } else {
      db.exec('BEGIN');
    }
    const target = readSqliteShape(db, 'main');
    const plan = planMerge(
      target,
      sources.map((s) => ({ label: s.label, shape: s.shapeOf })),
      job.settings,
    );
    const session = sqliteSession(db);
    session.before = (name) => {
      const table = target.tables.find((t) => t.name === name);
      if (!hasBefore || !table || !rowidVisible(table, target.withoutRowid)) return null;
      return { relation: `${quoteIdent(BEFORE)}.${quoteIdent(name)}`, columns: new Set(table.columns.map((c) => foldName(c.name))) };
    };
    await applySchema(session, plan);
    const after = readSqliteShape(db, 'main');
    const shapeOf = (name: string): TableShape => after.tables.find((t) => t.name === name) ?? { name, columns: [] };
    session.hasRowid = (name) => rowidVisible(shapeOf(name), after.withoutRowid);
    const outcome: EngineOutcome = { plan, ...(await applyRows(session, plan, sources, shapeOf, () => after.tables)) };
    if (inPlace && !(await inPlace.decide(outcome))) {
      db.exec('ROLLBACK');
      return outcome;
    }
    try {
      db.exec('COMMIT');
    } catch (err) {
      // In rollback-journal mode a commit waits for readers to finish, up to the busy timeout.
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw lockedBy(job.file, 'a SQLite connection is reading it', err);
      throw err;
    }
    // main only: without a schema the pragma would reach the read-only attached files too.
    if (!inPlace && journal === 'wal') db.pragma('main.journal_mode = WAL');
    return outcome;
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    for (const r of readers) r.close();
  }
}

function sqliteSession(db: SqliteDatabase): SqlSession {
  return {
    dialect: 'sqlite',
    table: (name) => `main.${quoteIdent(name)}`,
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
    all: async (sql, params = []) =>
      db
        .prepare(sql)
        .safeIntegers(true)
        .all(...params) as Record<string, unknown>[],
    conflictCounter: rowCounter(db, 'cairn_conflict'),
    fillCounter: rowCounter(db, 'cairn_fill'),
  };
}

/** A function callable from SQL that notes the source rows it is called for, and returns 0. */
function rowCounter(db: SqliteDatabase, name: string): ConflictCounter {
  const rows = new Set<unknown>();
  let unnamed = 0;
  db.function(name, { deterministic: false, directOnly: true }, (rowid: unknown) => {
    if (rowid === null) unnamed++;
    else rows.add(rowid);
    return 0;
  });
  return {
    call: (rowid) => `${name}(${rowid})`,
    reset() {
      rows.clear();
      unnamed = 0;
    },
    count: () => rows.size + unnamed,
    countExcept: (other) => {
      const theirs = other.ids();
      let n = unnamed;
      for (const r of rows) if (!theirs.has(r)) n++;
      return n;
    },
    ids: () => rows,
  };
}

function attachSqliteSource(db: SqliteDatabase, label: string, file: string, index: number, scratch: string) {
  const schema = `cairn_src${index}`;
  if (!attachReadOnly(db, file, schema)) {
    // URI file names are off in this process: attach a private copy instead.
    const copy = path.join(scratch, `source-${index}.sqlite`);
    fs.copyFileSync(file, copy);
    // A source in WAL mode keeps committed rows in its -wal file until a checkpoint.
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    attachFile(db, copy, schema);
  }
  db.pragma(`${quoteIdent(schema)}.cache_size = -${SOURCE_CACHE_KIB}`);
  db.pragma(`${quoteIdent(schema)}.mmap_size = ${MMAP_BYTES}`);
  const shape = readSqliteShape(db, schema);
  const table = (step: TableStep): TableShape => shape.tables.find((t) => t.name === step.sourceTable)!;
  return {
    label,
    shapeOf: shape,
    relation: async (step: TableStep) => `${quoteIdent(schema)}.${quoteIdent(step.sourceTable)}`,
    shape: table,
    hasRowid: (step: TableStep) => rowidVisible(table(step), shape.withoutRowid),
    identityOrder: (step: TableStep) => identityOrder(db, schema, step),
  };
}

/** Rows sampled from the start of a source to tell whether it is in identity order. */
const ORDER_SAMPLE = 10_000;

/**
 * ORDER BY the identity through an index of the source whose leading
 * columns are the identity, when the source's first rows (as stored: NOT
 * INDEXED, or SQLite would read the covering index) are out of that order;
 * a source in order already is best read as it is stored.
 */
function identityOrder(db: SqliteDatabase, schema: string, step: TableStep): string | null {
  if (step.identityRule === 'row' || step.identity.length === 0) return null;
  const wanted = new Set(step.identity.map((c) => foldName(sourceColumnOf(step, c))));
  const indexes = db.prepare('SELECT name FROM pragma_index_list(?, ?)').pluck().all(step.sourceTable, schema) as string[];
  const info = db.prepare('SELECT name FROM pragma_index_info(?, ?) ORDER BY seqno');
  const columns = indexes
    .map((index) => (info.pluck().all(index, schema) as (string | null)[]).slice(0, wanted.size))
    .find((cols) => cols.length === wanted.size && cols.every((c) => c !== null && wanted.has(foldName(c))));
  if (!columns) return null;
  const q = columns.map((c) => quoteIdent(c!));
  const lags = q.map((c, i) => `lag(${c}) OVER () AS ${quoteIdent(`p${i}`)}`).join(', ');
  const outOfOrder = db
    .prepare(
      `SELECT count(*) FROM (SELECT ${q.join(', ')}, ${lags} FROM (SELECT ${q.join(', ')} FROM ${quoteIdent(schema)}.${quoteIdent(step.sourceTable)} NOT INDEXED LIMIT ${ORDER_SAMPLE})) ` +
        `WHERE (${q.map((_, i) => quoteIdent(`p${i}`)).join(', ')}) > (${q.join(', ')})`,
    )
    .pluck()
    .get() as number;
  return outOfOrder > 0 ? q.map((c) => `s.${c}`).join(', ') : null;
}

/** A DuckDB source whose tables are copied into SQLite temp tables when a step first needs them. */
async function stagedDuckSource(db: SqliteDatabase, handle: DuckHandle, label: string, index: number) {
  const [row] = (await handle.conn.runAndReadAll('SELECT current_database() AS db')).getRowObjectsJS();
  const catalog = String(row!.db);
  const shape = await readDuckShape(handle.conn, catalog);
  const staged = new Map<string, string>();
  const table = (step: TableStep): TableShape => shape.tables.find((t) => t.name === step.sourceTable)!;
  return {
    label,
    shapeOf: shape,
    shape: table,
    hasRowid: () => true,
    async relation(step: TableStep): Promise<string> {
      const done = staged.get(step.sourceTable);
      if (done) return done;
      const name = `temp.${quoteIdent(`cairn_stage_${index}_${staged.size}`)}`;
      const columns = table(step).columns;
      const defs = columns.map((c) => `${quoteIdent(c.name)} ${mapColumnType('duckdb', 'sqlite', c.type)}`.trimEnd());
      db.prepare(`CREATE TABLE ${name} (${defs.join(', ')})`).run();
      const insert = db.prepare(`INSERT INTO ${name} VALUES (${columns.map(() => '?').join(', ')})`);
      const select = columns.map((c) => duckValueForSqlite(quoteIdent(c.name), c.type)).join(', ');
      const result = await handle.conn.stream(`SELECT ${select} FROM ${quoteIdent(catalog)}.main.${quoteIdent(step.sourceTable)}`);
      for await (const rows of result.yieldRowsJs()) {
        for (const r of rows) insert.run(...r.map(toSqliteValue));
      }
      staged.set(step.sourceTable, name);
      return name;
    },
  };
}

function toSqliteValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}
