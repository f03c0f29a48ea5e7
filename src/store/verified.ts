/**
 * Large objects cairn has hashed, with the stat they had then
 * (`<cache>/verified.db`). Objects are read-only and never rewritten in place,
 * so an object whose size, mtime, ctime and inode are unchanged still holds
 * the bytes that were hashed: checkout can copy or link it without reading it
 * again (a link may be made when only the ctime moved: see `has`). Damage
 * that leaves the stat alone (bit rot) is found by `cairn verify`, which
 * always rehashes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { exactStatSignature } from './statCache.js';

// Loaded on first use, like the stat cache: most commands never need it.
let DatabaseClass: typeof Database | null = null;

export class VerifiedObjects {
  private db: Database.Database | null = null;

  constructor(private readonly file: string) {}

  private open(): Database.Database {
    if (this.db) return this.db;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const open = (): Database.Database => {
      DatabaseClass ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
      const db = new DatabaseClass(this.file);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec('CREATE TABLE IF NOT EXISTS verified (hash TEXT PRIMARY KEY, sig TEXT NOT NULL) WITHOUT ROWID');
      return db;
    };
    try {
      this.db = open();
    } catch {
      // A damaged record only costs rehashing: start again.
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(this.file + suffix, { force: true });
      this.db = open();
    }
    return this.db;
  }

  /**
   * Was this object hashed while it had exactly this stat? With `ctime:
   * false` the ctime may have moved (every hard link made or removed moves
   * it): only for linking an object, never for copying its bytes.
   */
  has(hash: string, stat: fs.BigIntStats, options: { ctime?: boolean } = {}): boolean {
    const row = this.open().prepare('SELECT sig FROM verified WHERE hash = ?').get(hash) as { sig: string } | undefined;
    if (!row) return false;
    if (options.ctime ?? true) return row.sig === exactStatSignature(stat);
    // The recorded ctime, whatever it was, in place of the current one.
    return row.sig === exactStatSignature(stat, row.sig.split(':')[2]);
  }

  record(hash: string, file: string): void {
    try {
      const st = fs.statSync(file, { bigint: true });
      this.open().prepare('INSERT OR REPLACE INTO verified (hash, sig) VALUES (?, ?)').run(hash, exactStatSignature(st));
    } catch {
      /* not recorded: it will be hashed next time */
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}

