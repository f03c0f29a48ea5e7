/**
 * xetrack-shaped results databases built by the tests: SQLite (better-sqlite3)
 * and DuckDB files. Names are quoted, values bound.
 */
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';

export interface ResultRow {
  track_id?: string;
  run_id?: string;
  timestamp?: string;
  version?: string;
  [column: string]: string | number | null | undefined;
}

/** A SQLite database with one table of rows (columns from the union of the rows' keys). */
export function sqliteResults(file: string, table: string, rows: ResultRow[]): void {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const db = new Database(file);
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  db.exec(`CREATE TABLE IF NOT EXISTS ${q(table)} (${columns.map(q).join(', ')})`);
  const insert = db.prepare(`INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  // One transaction for all rows: one fsync, not one per row (a 1,000-row fixture took seconds).
  db.transaction(() => {
    for (const r of rows) insert.run(...columns.map((c) => r[c] ?? null));
  })();
  db.close();
}

export interface TableSpec {
  name: string;
  /** [column name, SQL type]. */
  columns: [string, string][];
  rows: unknown[][];
}

const q = (name: string): string => '"' + name.replace(/"/g, '""') + '"';

function createSql(t: TableSpec): string {
  return `CREATE TABLE ${q(t.name)} (${t.columns.map(([n, type]) => `${q(n)} ${type}`).join(', ')})`;
}

function insertSql(t: TableSpec): string {
  return `INSERT INTO ${q(t.name)} VALUES (${t.columns.map(() => '?').join(', ')})`;
}

/** A SQLite database with the given tables (typed columns, any names). */
export function sqliteTables(file: string, tables: TableSpec[]): string {
  const db = new Database(file);
  for (const t of tables) {
    db.exec(createSql(t));
    const insert = db.prepare(insertSql(t));
    db.transaction(() => {
      for (const row of t.rows) insert.run(...row);
    })();
  }
  db.close();
  return file;
}

/** A DuckDB database with the given tables. */
export async function duckTables(file: string, tables: TableSpec[]): Promise<string> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  for (const t of tables) {
    await conn.run(createSql(t));
    // All rows in one statement (one parse, one commit), values still bound.
    if (t.rows.length) {
      const tuple = `(${t.columns.map(() => '?').join(', ')})`;
      await conn.run(`INSERT INTO ${q(t.name)} VALUES ${t.rows.map(() => tuple).join(', ')}`, t.rows.flat() as never);
    }
  }
  conn.closeSync();
  instance.closeSync();
  return file;
}

/** A results file in either engine. */
export function resultsFile(kind: 'sqlite' | 'duckdb', file: string, tables: TableSpec[]): Promise<string> {
  return kind === 'sqlite' ? Promise.resolve(sqliteTables(file, tables)) : duckTables(file, tables);
}

/** xetrack-shaped rows: several runs of one or more versions. */
export function xetrackTable(
  rows: { version: string; track: string; lr: number; model: string; f1: number | null; loss: number | null }[],
  name = 'default',
): TableSpec {
  return {
    name,
    columns: [
      ['timestamp', 'TEXT'],
      ['track_id', 'TEXT'],
      ['version', 'TEXT'],
      ['lr', 'DOUBLE'],
      ['model', 'TEXT'],
      ['f1', 'DOUBLE'],
      ['val_loss', 'DOUBLE'],
      ['function_name', 'TEXT'],
    ],
    rows: rows.map((r, i) => [`2024-01-0${i + 1}T00:00:00`, r.track, r.version, r.lr, r.model, r.f1, r.loss, 'train']),
  };
}
