/**
 * DuckDB through @duckdb/node-api, for merging: opening files (loaded
 * lazily, it costs >100 ms to import), reading a catalog's shape, and
 * turning lock failures into cairn errors.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ConflictError } from '../errors.js';
import { sqlString } from './database.js';
import type { DatabaseShape, TableShape } from './mergePlan.js';

export interface DuckHandle {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  /** Parameters as DuckDB binds them (bytes become BLOB values). */
  params(values: readonly unknown[] | undefined): unknown[] | undefined;
  close(): void;
}

/** Open a DuckDB database file (or ':memory:'). A file another process writes is a ConflictError. */
export async function openDuck(file: string, options: { readOnly?: boolean } = {}): Promise<DuckHandle> {
  const { DuckDBInstance, blobValue } = await import('@duckdb/node-api');
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (err) {
    throw lockError(err, file) ?? err;
  }
  const conn = await instance.connect();
  let closed = false;
  return {
    instance,
    conn,
    params: (values) => values?.map((v) => (v instanceof Uint8Array ? blobValue(v) : v)),
    close() {
      if (closed) return;
      closed = true;
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** A DuckDB "could not set lock" failure as a ConflictError, else null. */
export function lockError(err: unknown, file: string): ConflictError | null {
  const message = err instanceof Error ? err.message : String(err);
  if (!/could not set lock|conflicting lock/i.test(message)) return null;
  const holder = /held in (.+?) \(PID (\d+)\)/.exec(message);
  return new ConflictError(`${file} is locked by another writer${holder ? ` (${holder[1]}, pid ${holder[2]})` : ''}`, {
    hint: 'wait for the process that has it open to finish (or close it), then retry',
    cause: err,
  });
}

/** Plain rows from a query (bigints stay bigints, blobs become Buffers). */
export async function duckRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = v instanceof Uint8Array ? Buffer.from(v) : v;
    return out;
  });
}

/** The tables and views of a catalog's main schema, with their columns and primary keys. */
export async function readDuckShape(conn: DuckDBConnection, catalog: string): Promise<DatabaseShape> {
  const c = sqlString(catalog);
  const tables = await duckRows(
    conn,
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = ${c} AND table_schema = 'main' ORDER BY table_name`,
  );
  const columns = await duckRows(
    conn,
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_catalog = ${c} AND table_schema = 'main' ORDER BY table_name, ordinal_position`,
  );
  const keys = await duckRows(
    conn,
    `SELECT table_name, constraint_column_names AS cols FROM duckdb_constraints() WHERE database_name = ${c} AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'`,
  );
  const shapes: TableShape[] = tables.map((t) => {
    const name = String(t.table_name);
    const pk = (keys.find((k) => k.table_name === name)?.cols as string[] | undefined) ?? [];
    return {
      name,
      view: t.table_type === 'VIEW',
      columns: columns
        .filter((col) => col.table_name === name)
        .map((col) => ({ name: String(col.column_name), type: String(col.data_type), pk: pk.indexOf(String(col.column_name)) + 1 })),
    };
  });
  return { engine: 'duckdb', tables: shapes };
}
