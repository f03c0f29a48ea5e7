/**
 * Merging into a DuckDB target (a private temp copy of it). DuckDB sources
 * are attached read-only; SQLite sources are read with better-sqlite3 and
 * appended into in-memory staging tables (DuckDB cannot attach SQLite here).
 */
import type { DuckDBAppender } from '@duckdb/node-api';
import { UsageError } from '../errors.js';
import { plural } from '../display.js';
import { quoteIdent, sqlString } from './database.js';
import { mapColumnType } from './columnTypes.js';
import { duckFiles, duckRows, openDuck, readDuckShape, type DuckHandle } from './duckdb.js';
import { planMerge, type DatabaseShape, type TableShape, type TableStep } from './mergePlan.js';
import { applyRows, applySchema, type EngineJob, type EngineOutcome, type SourceTables, type SqlSession } from './mergeSteps.js';
import { loadSqlite, readSqliteShape, type SqliteDatabase } from './sqlite.js';

const STAGE = 'cairn_stage';

export async function mergeIntoDuckdb(job: EngineJob): Promise<EngineOutcome> {
  const handle = await openDuck(job.file, { files: job.sources.filter((s) => s.kind === 'duckdb').flatMap((s) => duckFiles(s.file)) });
  const readers: SqliteDatabase[] = [];
  try {
    const { conn } = handle;
    const [row] = await duckRows(conn, 'SELECT current_database() AS db');
    const catalog = String(row!.db);
    await conn.run(`ATTACH ':memory:' AS ${STAGE}`);

    const sources: (SourceTables & { shapeOf: DatabaseShape })[] = [];
    for (const [i, src] of job.sources.entries()) {
      if (src.kind === 'duckdb') sources.push(await attachDuckSource(handle, src.label, src.file, i));
      else if (src.kind === 'sqlite') {
        const Database = await loadSqlite();
        const db = new Database(src.file, { readonly: true, fileMustExist: true });
        readers.push(db);
        sources.push(stagedSqliteSource(handle, db, src.label, i));
      } else {
        throw new UsageError(`${src.label} is a parquet file; a DuckDB target takes DuckDB or SQLite sources`, {
          hint: 'merge parquet files into a parquet target',
        });
      }
    }

    const target = await readDuckShape(conn, catalog);
    const plan = planMerge(
      target,
      sources.map((s) => ({ label: s.label, shape: s.shapeOf })),
      job.settings,
    );
    const session = duckSession(handle, catalog);
    // DuckDB refuses to commit rows into a table whose schema changed in the
    // same transaction: schema first, then the rows in one transaction.
    await applySchema(session, plan);
    // Staging writes another database: done before the transaction, which may write only one.
    for (const sp of plan.sources) await sources[sp.source]!.prepare?.(sp.steps);
    const after = await readDuckShape(conn, catalog);
    const shapeOf = (name: string): TableShape => after.tables.find((t) => t.name === name) ?? { name, columns: [] };
    await conn.run('BEGIN TRANSACTION');
    try {
      const outcome = await applyRows(session, plan, sources, shapeOf, () => after.tables);
      await conn.run('COMMIT');
      await conn.run('CHECKPOINT');
      return { plan, ...outcome };
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    handle.close();
    for (const db of readers) db.close();
  }
}

function duckSession(handle: DuckHandle, catalog: string): SqlSession {
  return {
    dialect: 'duckdb',
    table: (name) => `${quoteIdent(catalog)}.main.${quoteIdent(name)}`,
    run: async (sql, params) => Number((await handle.conn.run(sql, handle.params(params) as never)).rowsChanged),
    all: async (sql, params) => {
      if (!params?.length) return duckRows(handle.conn, sql);
      const reader = await handle.conn.runAndReadAll(sql, handle.params(params) as never);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
  };
}

async function attachDuckSource(handle: DuckHandle, label: string, file: string, index: number) {
  const schema = `cairn_src${index}`;
  await handle.conn.run(`ATTACH ${sqlString(file)} AS ${quoteIdent(schema)} (READ_ONLY)`);
  const shape = await readDuckShape(handle.conn, schema);
  const table = (step: TableStep): TableShape => shape.tables.find((t) => t.name === step.sourceTable)!;
  return {
    label,
    shapeOf: shape,
    shape: table,
    hasRowid: () => true,
    relation: async (step: TableStep) => `${quoteIdent(schema)}.main.${quoteIdent(step.sourceTable)}`,
  };
}

/** A SQLite source whose tables are appended into DuckDB staging tables when a step first needs them. */
function stagedSqliteSource(handle: DuckHandle, db: SqliteDatabase, label: string, index: number) {
  const shape = readSqliteShape(db, 'main');
  const staged = new Map<string, string>();
  const table = (step: TableStep): TableShape => shape.tables.find((t) => t.name === step.sourceTable)!;
  return {
    label,
    shapeOf: shape as DatabaseShape,
    shape: (step: TableStep): TableShape => {
      const t = table(step);
      return { ...t, columns: t.columns.map((c) => ({ ...c, type: mapColumnType('sqlite', 'duckdb', c.type) })) };
    },
    hasRowid: () => true,
    async prepare(steps: TableStep[]): Promise<void> {
      for (const step of steps) await this.relation(step);
    },
    async relation(step: TableStep): Promise<string> {
      const done = staged.get(step.sourceTable);
      if (done) return done;
      const name = `s${index}_${staged.size}`;
      const columns = table(step).columns.map((c) => ({ name: c.name, type: mapColumnType('sqlite', 'duckdb', c.type) }));
      await handle.conn.run(`CREATE TABLE ${STAGE}.main.${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
      const appender = await handle.conn.createAppender(name, 'main', STAGE);
      try {
        const rows = db
          .prepare(`SELECT * FROM main.${quoteIdent(step.sourceTable)}`)
          .raw(true)
          .safeIntegers(true);
        for (const r of rows.iterate() as Iterable<unknown[]>) {
          r.forEach((v, i) => appendValue(appender, columns[i]!, v, step.sourceTable, label));
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      const relation = `${STAGE}.main.${quoteIdent(name)}`;
      staged.set(step.sourceTable, relation);
      return relation;
    },
  };
}

/** Append one SQLite value to a DuckDB column of the type its declared type maps to. */
function appendValue(a: DuckDBAppender, column: { name: string; type: string }, v: unknown, table: string, label: string): void {
  if (v === null || v === undefined) return a.appendNull();
  switch (column.type) {
    case 'BIGINT':
      if (typeof v === 'bigint') return a.appendBigInt(v);
      if (typeof v === 'number' && Number.isInteger(v)) return a.appendBigInt(BigInt(v));
      break;
    case 'DOUBLE':
      if (typeof v === 'number') return a.appendDouble(v);
      if (typeof v === 'bigint') return a.appendDouble(Number(v));
      break;
    case 'BOOLEAN':
      if (typeof v === 'number' || typeof v === 'bigint') return a.appendBoolean(Number(v) !== 0);
      break;
    case 'BLOB':
      if (v instanceof Uint8Array) return a.appendBlob(v);
      if (typeof v === 'string') return a.appendBlob(Buffer.from(v, 'utf8'));
      break;
    default:
      if (typeof v === 'string') return a.appendVarchar(v);
      if (typeof v === 'number' || typeof v === 'bigint') return a.appendVarchar(String(v));
  }
  const shown = v instanceof Uint8Array ? plural(v.length, 'byte') : JSON.stringify(String(v)).slice(0, 40);
  throw new UsageError(
    `value ${shown} in column ${JSON.stringify(column.name)} of table ${JSON.stringify(table)} (${label}) does not fit DuckDB type ${column.type}`,
    {
      hint: 'SQLite lets a column hold values of any type, DuckDB does not: fix the value, or merge into a SQLite target',
    },
  );
}
