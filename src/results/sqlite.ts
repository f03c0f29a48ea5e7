/**
 * SQLite through better-sqlite3, for merging: loading it with URI file names
 * on (so sources attach read-only), attaching, and reading a schema's shape.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { quoteIdent } from './database.js';
import type { DatabaseShape, TableShape } from './mergePlan.js';

export type SqliteDatabase = BetterSqlite3.Database;
type SqliteConstructor = typeof BetterSqlite3;

/**
 * better-sqlite3, with URI file names turned on. The addon reads
 * SQLITE_USE_URI once, when the first database of the process opens; when
 * something opened one earlier, attachReadOnly falls back to a private copy.
 */
export async function loadSqlite(): Promise<SqliteConstructor> {
  process.env.SQLITE_USE_URI ??= '1';
  return (await import('better-sqlite3')).default;
}

/** A `file:` URI that opens `file` read-only (`?`, `#` and `%` escaped). */
export function readOnlyUri(file: string): string {
  return 'file:' + file.replace(/%/g, '%25').replace(/\?/g, '%3F').replace(/#/g, '%23') + '?mode=ro';
}

/**
 * Attach `file` read-only as `schema`. Returns false when URI file names are
 * off in this process (the caller then attaches a copy instead).
 */
export function attachReadOnly(db: SqliteDatabase, file: string, schema: string): boolean {
  try {
    db.prepare(`ATTACH ? AS ${quoteIdent(schema)}`).run(readOnlyUri(file));
    // Touch the schema so a file that is not SQLite fails here, not midway.
    db.prepare(`SELECT count(*) FROM ${quoteIdent(schema)}.sqlite_master`).get();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_CANTOPEN') {
      try {
        db.prepare(`DETACH ${quoteIdent(schema)}`).run();
      } catch {
        /* was not attached */
      }
      return false;
    }
    throw err;
  }
}

/** Attach a file this process owns (a private copy), read-write. */
export function attachFile(db: SqliteDatabase, file: string, schema: string): void {
  db.prepare(`ATTACH ? AS ${quoteIdent(schema)}`).run(file);
}

/** The tables and views of one schema of a connection, with their columns. */
export function readSqliteShape(db: SqliteDatabase, schema: string): DatabaseShape & { withoutRowid: Set<string> } {
  const list = db.prepare('SELECT name, type, wr FROM pragma_table_list WHERE schema = ?').all(schema) as {
    name: string;
    type: string;
    wr: number;
  }[];
  const columns = db.prepare('SELECT name, type, pk FROM pragma_table_info(?, ?) ORDER BY cid');
  const tables: TableShape[] = [];
  const withoutRowid = new Set<string>();
  for (const t of list.filter((t) => t.type === 'table' || t.type === 'view').sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (t.wr) withoutRowid.add(t.name);
    const cols = columns.all(t.name, schema) as { name: string; type: string; pk: number }[];
    tables.push({ name: t.name, view: t.type === 'view', columns: cols.map((c) => ({ name: c.name, type: c.type ?? '', pk: c.pk })) });
  }
  return { engine: 'sqlite', tables, withoutRowid };
}
