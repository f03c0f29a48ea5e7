/**
 * Results databases, read-only: SQLite (better-sqlite3), DuckDB files and
 * parquet (@duckdb/node-api, loaded lazily: it costs >100 ms to import).
 * The kind is detected from the file's bytes, never from its name.
 */
import fs from 'node:fs';
import { IntegrityError, NotFoundError, UsageError } from '../errors.js';
import { externalAccessError, openDuck } from './duckdb.js';
import { quoteIdent, sqlString } from './sql.js';

export { quoteIdent, sqlString } from './sql.js';

/** The kinds of results files cairn reads and merges. */
export type ResultsKind = 'sqlite' | 'duckdb' | 'parquet';

export interface Column {
  name: string;
  /** The engine's declared type, upper case ('' when SQLite has none). */
  type: string;
}

export interface TableData {
  columns: Column[];
  rows: Record<string, unknown>[];
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** What kind of results file this is, from its first and last bytes. */
export function detectKind(file: string): ResultsKind {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`no such results file: ${file}`, { hint: 'check the path (a tracked database may need cairn checkout)' });
    }
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new UsageError(`${file} is a folder, not a results file`, { hint: 'name a SQLite or DuckDB database or a parquet file' });
    }
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) {
      throw new UsageError(`${file} is a folder, not a results file`, { hint: 'name a SQLite or DuckDB database or a parquet file' });
    }
    const size = st.size;
    const head = Buffer.alloc(16);
    fs.readSync(fd, head, 0, 16, 0);
    if (head.equals(SQLITE_MAGIC)) return 'sqlite';
    if (head.subarray(8, 12).toString('latin1') === 'DUCK') return 'duckdb';
    if (head.subarray(0, 4).toString('latin1') === 'PAR1' && size >= 8) {
      const tail = Buffer.alloc(4);
      fs.readSync(fd, tail, 0, 4, size - 4);
      if (tail.toString('latin1') === 'PAR1') return 'parquet';
    }
  } finally {
    fs.closeSync(fd);
  }
  throw new UsageError(`${file} is neither a SQLite database, a DuckDB database nor a parquet file`, {
    hint: 'results files are detected from their contents; check that this is the file you meant',
  });
}

/** The pseudo-table name for a parquet file's rows. */
export const PARQUET_TABLE = 'parquet';

/** Plain JS values: DuckDB bigints become numbers when they fit, dates become strings. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v !== null && typeof v === 'object' && 'toString' in v && typeof (v as object).toString === 'function') {
    const s = String(v);
    const n = Number(s);
    return s !== '' && Number.isFinite(n) && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s) ? n : s;
  }
  return v;
}

/** A read-only handle on a results file. */
export interface ResultsReader {
  kind: ResultsKind;
  tables(): Promise<string[]>;
  columns(table: string): Promise<Column[]>;
  /** All rows of a table (`where` is built by the caller from quoted identifiers and `?` placeholders). */
  rows(table: string, where?: { sql: string; params: unknown[] }): Promise<TableData>;
  close(): void;
}

function unknownTable(file: string, table: string, tables: string[]): NotFoundError {
  return new NotFoundError(`no table ${JSON.stringify(table)} in ${file}`, {
    hint: tables.length ? `tables there: ${tables.join(', ')}` : 'the database has no tables',
    data: { table, tables },
  });
}

/**
 * SQLite refuses `load_extension()` in SQL (better-sqlite3 enables only the
 * C API, which cairn never calls) and in views and triggers: a database
 * that tries is an IntegrityError.
 */
export function extensionRefused(err: unknown, file: string, table?: string): IntegrityError | null {
  const e = err as { code?: string; message?: string };
  if (!e?.code?.startsWith('SQLITE_') || !/^not authorized$|unsafe use of load_extension/.test(e.message ?? '')) return null;
  const what = table === undefined ? `${file} has a view or trigger that tries` : `${JSON.stringify(table)} in ${file} is a view that tries`;
  return new IntegrityError(`${what} to load an SQLite extension; cairn reads results databases as data only`, {
    hint:
      table === undefined ? 'drop that view or trigger (cairn never loads extensions)' : 'keep the rows in a real table, or name another table with --table',
    data: { file, ...(table === undefined ? {} : { table }) },
    cause: err,
  });
}

async function openSqlite(file: string): Promise<ResultsReader> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  /** Compiling a view runs its checks: one that loads an extension is an IntegrityError. */
  const read = <T>(table: string, query: () => T): T => {
    try {
      return query();
    } catch (err) {
      throw extensionRefused(err, file, table) ?? err;
    }
  };
  const tables = async (): Promise<string[]> =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
      (r) => r.name,
    );
  const columns = async (table: string): Promise<Column[]> => {
    const all = await tables();
    if (!all.includes(table)) throw unknownTable(file, table, all);
    return read(table, () => db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; type: string }[]).map((c) => ({
      name: c.name,
      type: c.type.toUpperCase(),
    }));
  };
  return {
    kind: 'sqlite',
    tables,
    columns,
    async rows(table, where) {
      const cols = await columns(table);
      const sql = `SELECT * FROM ${quoteIdent(table)}${where ? ` WHERE ${where.sql}` : ''}`;
      const rows = read(table, () => db.prepare(sql).all(...(where?.params ?? [])) as Record<string, unknown>[]);
      return { columns: cols, rows };
    },
    close: () => db.close(),
  };
}

async function openDuckReader(file: string, kind: 'duckdb' | 'parquet'): Promise<ResultsReader> {
  // A parquet file is read through an in-memory database allowed that one file.
  const handle = kind === 'duckdb' ? await openDuck(file, { readOnly: true }) : await openDuck(':memory:', { files: [file] });
  const { conn } = handle;
  const source = (table: string): string => (kind === 'parquet' ? `read_parquet(${sqlString(file)})` : quoteIdent(table));
  /** Run a query on `table`; a view reaching outside the database is an IntegrityError. */
  const read = async (table: string, sql: string, params?: unknown[]) => {
    try {
      return await conn.runAndReadAll(sql, params as never);
    } catch (err) {
      throw externalAccessError(err, file, table) ?? err;
    }
  };
  const tables = async (): Promise<string[]> => {
    if (kind === 'parquet') return [PARQUET_TABLE];
    const r = await conn.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
    return r.getRowObjectsJS().map((row) => String(row.table_name));
  };
  const columns = async (table: string): Promise<Column[]> => {
    const all = await tables();
    if (!all.includes(table)) throw unknownTable(file, table, all);
    const r = await read(table, `DESCRIBE SELECT * FROM ${source(table)}`);
    return r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type).toUpperCase() }));
  };
  return {
    kind,
    tables,
    columns,
    async rows(table, where) {
      const cols = await columns(table);
      const r = await read(table, `SELECT * FROM ${source(table)}${where ? ` WHERE ${where.sql}` : ''}`, where?.params ?? []);
      const rows = r.getRowObjectsJS().map((row) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row)) out[k] = plainValue(v);
        return out;
      });
      return { columns: cols, rows };
    },
    close: () => handle.close(),
  };
}

/** Open a results file read-only. */
export async function openResults(file: string): Promise<ResultsReader> {
  const kind = detectKind(file);
  return kind === 'sqlite' ? openSqlite(file) : openDuckReader(file, kind);
}
