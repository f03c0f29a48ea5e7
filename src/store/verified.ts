/**
 * Objects cairn has hashed, with the stat they had then
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
import { exactStatSignature, StatCache } from './statCache.js';

// Loaded on first use, like the stat cache: most commands never need it.
let DatabaseClass: typeof Database | null = null;

/** After this many single lookups, every record is read at once ... */
const BULK_AFTER = 64;
/** ... unless there are more records than this (1M rows took 2.4 s to read). */
const BULK_MAX_ROWS = 200_000;

export class VerifiedObjects {
  private db: Database.Database | null = null;
  private select: Database.Statement | null = null;
  private lookups = 0;
  /** Every record, once many lookups were asked for (kept up to date by flush). */
  private all: Map<string, string> | null = null;
  /** Records not yet written: hash → stat signature. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly file: string) {}

  /** Open verified.db now if it exists (first use opens it anyway): to do it while waiting on something else. */
  warm(): void {
    if (!this.db && fs.existsSync(this.file)) this.open();
  }

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
    const sig = this.pending.get(hash) ?? this.lookup(hash);
    if (sig === undefined) return false;
    if (options.ctime ?? true) return sig === exactStatSignature(stat);
    // The recorded ctime, whatever it was, in place of the current one.
    return sig === exactStatSignature(stat, sig.split(':')[2]);
  }

  /**
   * The recorded signature. A few are looked up one by one; past that (a
   * checkout of many files), every record is read at once, which is ten
   * times faster than 10,000 single lookups, unless the table is so large
   * that reading it all would cost more.
   */
  private lookup(hash: string): string | undefined {
    if (this.all) return this.all.get(hash);
    if (++this.lookups === BULK_AFTER) {
      const db = this.open();
      const { n } = db.prepare('SELECT count(*) AS n FROM verified').get() as { n: number };
      if (n <= BULK_MAX_ROWS) {
        this.all = new Map(db.prepare('SELECT hash, sig FROM verified').raw().all() as [string, string][]);
        return this.all.get(hash);
      }
    }
    this.select ??= this.open().prepare('SELECT sig FROM verified WHERE hash = ?');
    return (this.select.get(hash) as { sig: string } | undefined)?.sig;
  }

  /**
   * Record that `file` holds the object `hash`, written at once. `before` is
   * the file's stat taken before its bytes were read and hashed; without it
   * the file is one cairn wrote itself from bytes it hashed. See recordLater.
   */
  record(hash: string, file: string, before?: fs.BigIntStats): void {
    if (this.note(hash, file, before)) this.flush();
  }

  /**
   * Record it with others, in one write: at the next flush(), after 1,000
   * records, or when the process exits. Nothing is recorded when the file
   * changed after `before` was taken (its size, mtime or inode moved: a write
   * landed while it was hashed), or when it was modified so recently that a
   * write could still land without moving its mtime. A record not written
   * costs only a rehash later.
   */
  recordLater(hash: string, file: string, before?: fs.BigIntStats): void {
    if (!this.note(hash, file, before)) return;
    if (this.pending.size >= 1000) this.flush();
    else flushOnExit(this);
  }

  private note(hash: string, file: string, before?: fs.BigIntStats): boolean {
    let st: fs.BigIntStats | undefined;
    try {
      st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    } catch {
      return false;
    }
    if (!st) return false;
    if (before && (st.size !== before.size || st.mtimeNs !== before.mtimeNs || st.ino !== before.ino || StatCache.isRacy(st))) {
      return false;
    }
    this.pending.set(hash, exactStatSignature(st));
    return true;
  }

  /** Drop the records of objects that are gone or were found damaged. */
  forget(hashes: Iterable<string>): void {
    const list = [...hashes];
    for (const hash of list) {
      this.pending.delete(hash);
      this.all?.delete(hash);
    }
    if (list.length === 0 || !fs.existsSync(this.file)) return;
    try {
      const db = this.open();
      const del = db.prepare('DELETE FROM verified WHERE hash = ?');
      db.transaction(() => {
        for (const hash of list) del.run(hash);
      })();
    } catch {
      /* a record left behind no longer matches a rewritten object's stat */
    }
  }

  /** Drop every record but those of `objects` (for gc: what the cache still holds). */
  retainOnly(objects: ReadonlySet<string>): void {
    if (!fs.existsSync(this.file)) return;
    let recorded: string[];
    try {
      recorded = (this.open().prepare('SELECT hash FROM verified').raw().all() as [string][]).map(([hash]) => hash);
    } catch {
      return;
    }
    this.forget(recorded.filter((hash) => !objects.has(hash)));
  }

  /** Write the pending records (dropped if the cache folder has gone meanwhile). */
  flush(): void {
    if (this.pending.size === 0) return;
    const records = [...this.pending];
    this.pending.clear();
    unpending.delete(this);
    for (const [hash, sig] of records) this.all?.set(hash, sig);
    if (!fs.existsSync(path.dirname(this.file))) return;
    try {
      const db = this.open();
      const insert = db.prepare('INSERT OR REPLACE INTO verified (hash, sig) VALUES (?, ?)');
      db.transaction(() => {
        for (const [hash, sig] of records) insert.run(hash, sig);
      })();
    } catch {
      /* not recorded: those objects will be hashed next time */
    }
  }

  close(): void {
    this.flush();
    this.select = null;
    this.all = null;
    this.lookups = 0;
    this.db?.close();
    this.db = null;
  }
}

/** Record sets with records not yet written, written when the process exits. */
const unpending = new Set<VerifiedObjects>();
let exitHooked = false;

function flushOnExit(records: VerifiedObjects): void {
  unpending.add(records);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const r of [...unpending]) r.flush();
  });
}
