/**
 * DuckDB through @duckdb/node-api, for merging: opening files (loaded
 * lazily, it costs >100 ms to import), reading a catalog's shape, and
 * turning lock failures into cairn errors.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';
import { ConflictError, IntegrityError } from '../errors.js';
import { sqlString } from './sql.js';
import type { DatabaseShape, TableShape } from './mergePlan.js';

export interface DuckHandle {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  /** Parameters as DuckDB binds them (bytes become BLOB values). */
  params(values: readonly unknown[] | undefined): unknown[] | undefined;
  close(): void;
}

/** What SQL on a DuckDB instance may touch besides its own database file. */
export interface DuckOpenOptions {
  readOnly?: boolean;
  /** Exact files cairn itself reads or writes through SQL: parquet inputs and outputs, attached sources. */
  files?: readonly string[];
  /** Folders whose files cairn itself reads and writes (a merge's scratch folder). */
  folders?: readonly string[];
}

/**
 * Settings given at creation: no extension is installed or loaded behind
 * cairn's back (a view naming `https://...` would otherwise fetch httpfs).
 */
const NO_EXTENSIONS = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
} as const;

/**
 * Open a DuckDB database file (or ':memory:') as data, not as a program
 * (SECURITY.md rule 5): a results database comes from someone else, and a view in
 * it could read any file the user can (`read_text('/etc/passwd')`) or load
 * httpfs. So external access is off and the configuration locked before
 * the first query; only the database itself, its temp folder and the
 * `files` and `folders` named here stay reachable. A file another process
 * writes is a ConflictError.
 */
export async function openDuck(file: string, options: DuckOpenOptions = {}): Promise<DuckHandle> {
  const { DuckDBInstance, blobValue } = await import('@duckdb/node-api');
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, options.readOnly ? { ...NO_EXTENSIONS, access_mode: 'READ_ONLY' } : NO_EXTENSIONS);
  } catch (err) {
    throw lockError(err, file) ?? err;
  }
  let conn: DuckDBConnection | undefined;
  try {
    conn = await instance.connect();
    await lockDown(conn, options);
  } catch (err) {
    conn?.closeSync();
    instance.closeSync();
    throw err;
  }
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

/**
 * Allow the named files and folders, then turn external access off and lock
 * the configuration. Lists cannot be given at creation (the C API takes
 * strings only), hence SET, in this order: once locked, nothing changes.
 */
async function lockDown(conn: DuckDBConnection, options: DuckOpenOptions): Promise<void> {
  const list = (items: readonly string[]): string => `[${items.map(sqlString).join(', ')}]`;
  if (options.files?.length) await conn.run(`SET allowed_paths = ${list(options.files)}`);
  if (options.folders?.length) {
    await conn.run(`SET allowed_directories = ${list(options.folders.map((d) => (d.endsWith(path.sep) ? d : d + path.sep)))}`);
  }
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** The files a DuckDB database is made of, for `files` when it is attached. */
export function duckFiles(file: string): string[] {
  return [file, `${file}.wal`];
}

/**
 * A query refused because it reached for a file or an extension (a view
 * over read_text, read_csv, a URL...), as an IntegrityError, else null.
 */
export function externalAccessError(err: unknown, file: string, table?: string): IntegrityError | null {
  const message = err instanceof Error ? err.message : String(err);
  const refused = /^Permission Error:/.test(message) || /^[A-Za-z ]*Error:[^\n]*\bextension\b/i.test(message);
  if (!refused) return null;
  const what = table === undefined ? `a view in ${file}` : `${JSON.stringify(table)} in ${file} is a view that`;
  return new IntegrityError(`${what} reads files or extensions outside the database; cairn reads results databases as data only`, {
    hint: 'results databases are opened with external access off: keep the rows in real tables (CREATE TABLE ... AS SELECT ... in DuckDB, if you trust that view), or name another table with --table',
    data: { file, ...(table === undefined ? {} : { table }) },
    cause: err,
  });
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
