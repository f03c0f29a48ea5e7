/**
 * The databases real xetrack 0.7.0 wrote (fixtures/xetrack/, see its README):
 * copied into temp repos (the committed copies are never opened for writing)
 * and read back with plain SQLite to check what cairn reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const XETRACK_FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'xetrack');

/** Copy fixtures/xetrack/<name> to `dest` (folders made), writable. */
export function copyFixture(name: string, dest: string): string {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(path.join(XETRACK_FIXTURES, name), dest);
  fs.chmodSync(dest, 0o644);
  return dest;
}

/** Every row of `table`, read-only, as better-sqlite3 returns them. */
export function sqliteRows(file: string, table = 'default'): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/**
 * A database holding the `default` rows of `sources` (fixture names), each
 * source's rows inserted in the order given (each file's rows last first with
 * `reverseRows`): the same rows in another order. Columns are the union; a
 * row lacks a column as NULL.
 */
export function unionOfFixtures(dest: string, sources: string[], options: { table?: string; reverseRows?: boolean } = {}): string {
  const table = options.table ?? 'default';
  const all = sources.map((s) => sqliteRows(path.join(XETRACK_FIXTURES, s), table)).map((rows) => (options.reverseRows ? rows.reverse() : rows));
  const columns = [...new Set(all.flat().flatMap((r) => Object.keys(r)))];
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const db = new Database(dest);
  try {
    db.exec(`CREATE TABLE ${q(table)} (${columns.map(q).join(', ')}, PRIMARY KEY (track_id, timestamp))`);
    const insert = db.prepare(`INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    // One transaction for all rows: one journal sync, not one per row.
    db.transaction(() => {
      for (const rows of all) for (const r of rows) insert.run(...columns.map((c) => r[c] ?? null));
    })();
  } finally {
    db.close();
  }
  return dest;
}
