/**
 * xetrack-shaped results databases built by the tests.
 */
import Database from 'better-sqlite3';

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
  for (const r of rows) insert.run(...columns.map((c) => r[c] ?? null));
  db.close();
}
