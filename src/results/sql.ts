/**
 * Quoting for the SQL cairn builds over results files (SQLite and DuckDB
 * alike). Apart from database.ts so that duckdb.ts, which database.ts
 * opens, needs no import back.
 */
import { UsageError } from '../errors.js';

/** Quote an SQL identifier; identifiers with NUL are refused. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new UsageError('an SQL identifier may not contain a NUL character', { hint: 'rename the table or column' });
  return '"' + name.replace(/"/g, '""') + '"';
}

/** An SQL string literal (for file paths given to DuckDB table functions). */
export function sqlString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}
