/**
 * Results files for the merge tests, built from plain table specs: the same rows as a
 * SQLite database, a DuckDB database, or parquet files. Built with the real
 * engines; nothing is mocked.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { openResults } from '../../src/results/database.js';

export type TestEngine = 'sqlite' | 'duckdb';

export interface ColumnSpec {
  name: string;
  sqlite: string;
  duckdb: string;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  rows: unknown[][];
  /** Column names of the primary key. */
  pk?: string[];
  /** Raw SQL added inside CREATE TABLE (a CHECK, say). */
  extra?: Partial<Record<TestEngine, string>>;
  /** Table options after the column list (e.g. STRICT for SQLite). */
  options?: Partial<Record<TestEngine, string>>;
  /** Indexes to create, each a list of column names. */
  indexes?: string[][];
}

const q = (name: string): string => '"' + name.replace(/"/g, '""') + '"';

function duckLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return `unhex('${Buffer.from(v).toString('hex')}')`;
  return "'" + String(v).replace(/'/g, "''") + "'";
}

function createSql(engine: TestEngine, t: TableSpec): string {
  const defs = t.columns.map((c) => `${q(c.name)} ${c[engine]}`.trimEnd());
  if (t.pk) defs.push(`PRIMARY KEY (${t.pk.map(q).join(', ')})`);
  if (t.extra?.[engine]) defs.push(t.extra[engine]!);
  return `CREATE TABLE ${q(t.name)} (${defs.join(', ')})${t.options?.[engine] ? ' ' + t.options[engine] : ''}`;
}

/** Write `tables` to a new database file of `engine`. */
export async function makeDatabase(file: string, engine: TestEngine, tables: TableSpec[]): Promise<string> {
  fs.rmSync(file, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (engine === 'sqlite') {
    const db = new Database(file);
    for (const t of tables) {
      db.exec(createSql('sqlite', t));
      const insert = db.prepare(`INSERT INTO ${q(t.name)} VALUES (${t.columns.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const row of t.rows) insert.run(...row);
      })();
      t.indexes?.forEach((cols, i) => db.exec(`CREATE INDEX ${q(`${t.name}_i${i}`)} ON ${q(t.name)} (${cols.map(q).join(', ')})`));
    }
    db.close();
    return file;
  }
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  for (const t of tables) {
    await conn.run(createSql('duckdb', t));
    if (t.rows.length) await conn.run(`INSERT INTO ${q(t.name)} VALUES ${t.rows.map((r) => `(${r.map(duckLiteral).join(', ')})`).join(', ')}`);
    for (const [i, cols] of (t.indexes ?? []).entries()) await conn.run(`CREATE INDEX ${q(`${t.name}_i${i}`)} ON ${q(t.name)} (${cols.map(q).join(', ')})`);
  }
  conn.closeSync();
  instance.closeSync();
  return file;
}

/** Write one table as a parquet file. */
export async function makeParquet(file: string, table: TableSpec): Promise<string> {
  fs.rmSync(file, { force: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(createSql('duckdb', { ...table, name: 't', pk: undefined }));
  if (table.rows.length) await conn.run(`INSERT INTO t VALUES ${table.rows.map((r) => `(${r.map(duckLiteral).join(', ')})`).join(', ')}`);
  await conn.run(`COPY t TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
  return file;
}

/** Every row of a table (parquet: table 'parquet'), values as plain JS. */
export async function readRows(file: string, table: string): Promise<Record<string, unknown>[]> {
  const reader = await openResults(file);
  try {
    return (await reader.rows(table)).rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) out[k] = v instanceof Uint8Array ? Buffer.from(v) : v;
      return out;
    });
  } finally {
    reader.close();
  }
}

/** Column names of a table, in order. */
export async function readColumns(file: string, table: string): Promise<string[]> {
  const reader = await openResults(file);
  try {
    return (await reader.columns(table)).map((c) => c.name);
  } finally {
    reader.close();
  }
}

export async function readTables(file: string): Promise<string[]> {
  const reader = await openResults(file);
  try {
    return await reader.tables();
  } finally {
    reader.close();
  }
}

/** A file's bytes, to check that it did not change. */
export function bytesOf(file: string): Buffer {
  return fs.readFileSync(file);
}
