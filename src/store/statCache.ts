/**
 * The stat cache: (path, size, mtime ns, ctime ns, inode) → hash, in a
 * better-sqlite3 database under each worktree's git dir. A file whose stat
 * signature matches is not hashed again; any change to its content moves
 * mtime or ctime at nanosecond resolution, or its inode (see statSignature
 * for hard-linked files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

type Db = Database.Database;

// Loaded on first use: commands that never open the stat cache (tags, next)
// should not pay for the native module at start-up.
let DatabaseClass: typeof Database | null = null;
function openDatabase(file: string): Db {
  return new (loadStatCacheModule())(file);
}

/**
 * Load the native SQLite module now: to do it while waiting on something else
 * (status loads it while git lists the pointers), instead of after.
 */
export function loadStatCacheModule(): typeof Database {
  DatabaseClass ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return DatabaseClass;
}

/** Files modified this recently are not trusted to the cache ("racy" entries). */
const RACY_WINDOW_NS = 200_000_000n;

/**
 * The signature of a file's stat: what must stay equal for its hash to be
 * reused. The ctime is left out for a file with several hard links (a
 * `hardlink`-mode checkout shares its inode with the cache object): each link
 * made or removed elsewhere (worktree new, rm) moves it, while a write to the
 * bytes still moves the mtime. git's `core.trustctime = false`, for those files only.
 */
export function statSignature(st: fs.BigIntStats): string {
  return exactStatSignature(st, st.nlink > 1n ? 'linked' : st.ctimeNs);
}

/** size:mtime:ctime:inode, the ctime always in (or `ctime` in its place). */
export function exactStatSignature(st: fs.BigIntStats, ctime: bigint | string = st.ctimeNs): string {
  return `${st.size}:${st.mtimeNs}:${ctime}:${st.ino}`;
}

export interface StatRecord {
  /** Path relative to the worktree root, POSIX separators. */
  path: string;
  stat: fs.BigIntStats;
  hash: string;
  /** Written by cairn itself from verified bytes: cache it even if just modified. */
  trusted?: boolean;
  /**
   * A hard link to a cache object, `stat` being the object's: its signature
   * leaves the ctime out even if the stat was taken before the link was made.
   */
  hardLinked?: boolean;
}

export class StatCache {
  private constructor(
    private readonly db: Db,
    private readonly getStmt: Database.Statement<[string], { sig: string; hash: string }>,
  ) {}

  /** Open (or create) the stat cache at `file`; a damaged one is rebuilt empty. */
  static open(file: string): StatCache {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      return StatCache.openAt(file);
    } catch {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
      return StatCache.openAt(file);
    }
  }

  private static openAt(file: string): StatCache {
    const db = openDatabase(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS stat (path TEXT PRIMARY KEY, sig TEXT NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS dir_digests (path TEXT PRIMARY KEY, digest TEXT NOT NULL, manifest TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS present (manifest TEXT PRIMARY KEY, generation TEXT NOT NULL) WITHOUT ROWID;
    `);
    return new StatCache(db, db.prepare('SELECT sig, hash FROM stat WHERE path = ?'));
  }

  /** The cached hash of `relPath` if its stat still matches, else null. */
  lookup(relPath: string, stat: fs.BigIntStats): string | null {
    const row = this.getStmt.get(relPath);
    return row && row.sig === statSignature(stat) ? row.hash : null;
  }

  /** Every entry under a folder (`prefix/`): path → [sig, hash], in one query. */
  under(prefix: string): Map<string, [string, string]> {
    const lo = prefix.endsWith('/') ? prefix : prefix + '/';
    const hi = lo.slice(0, -1) + '0'; // '0' sorts right after '/'
    const rows = this.db.prepare('SELECT path, sig, hash FROM stat WHERE path >= ? AND path < ?').raw(true).all(lo, hi) as [string, string, string][];
    const out = new Map<string, [string, string]>();
    for (const [p, sig, hash] of rows) out.set(p, [sig, hash]);
    return out;
  }

  /**
   * The manifest hash last computed for a folder whose files' stat
   * signatures digest to `digest`, or null.
   */
  dirManifest(rel: string, digest: string): string | null {
    const row = this.db.prepare('SELECT digest, manifest FROM dir_digests WHERE path = ?').get(rel) as { digest: string; manifest: string } | undefined;
    return row && row.digest === digest ? row.manifest : null;
  }

  recordDir(rel: string, digest: string, manifest: string): void {
    this.db.prepare('INSERT OR REPLACE INTO dir_digests (path, digest, manifest) VALUES (?, ?, ?)').run(rel, digest, manifest);
  }

  /** True when every object of this manifest was seen in the cache during `generation`. */
  isComplete(manifest: string, generation: string): boolean {
    const row = this.db.prepare('SELECT generation FROM present WHERE manifest = ?').get(manifest) as { generation: string } | undefined;
    return row?.generation === generation;
  }

  markComplete(manifest: string, generation: string): void {
    this.db.prepare('INSERT OR REPLACE INTO present (manifest, generation) VALUES (?, ?)').run(manifest, generation);
  }

  /** True when a file with this stat is too fresh to be trusted to the cache. */
  static isRacy(stat: fs.BigIntStats): boolean {
    return stat.mtimeNs >= StatCache.racyFrom();
  }

  /** The mtime (ns) from which a file is racy now: for a loop over many files, instead of isRacy on each. */
  static racyFrom(): bigint {
    return BigInt(Date.now()) * 1_000_000n - RACY_WINDOW_NS;
  }

  /** Remember hashes; entries modified within the racy window are skipped. */
  record(records: StatRecord[]): void {
    if (records.length === 0) return;
    const put = this.db.prepare('INSERT OR REPLACE INTO stat (path, sig, hash) VALUES (?, ?, ?)');
    const drop = this.db.prepare('DELETE FROM stat WHERE path = ?');
    const racyFrom = StatCache.racyFrom();
    this.db.transaction(() => {
      for (const r of records) {
        const sig = r.hardLinked ? exactStatSignature(r.stat, 'linked') : statSignature(r.stat);
        // A copy cairn just wrote is as racy as any file: a write in the same
        // timestamp tick that keeps the size would keep the stat too, and the
        // change would never be hashed. Only a hard link to a (read-only)
        // cache object is trusted at once.
        if ((r.trusted && r.hardLinked) || r.stat.mtimeNs < racyFrom) put.run(r.path, sig, r.hash);
        else drop.run(r.path);
      }
    })();
  }

  /** Forget paths (and everything under them). */
  forget(relPath: string): void {
    const lo = relPath + '/';
    const hi = relPath + '0';
    this.db.prepare('DELETE FROM stat WHERE path = ? OR (path >= ? AND path < ?)').run(relPath, lo, hi);
    this.db.prepare('DELETE FROM dir_digests WHERE path = ?').run(relPath);
  }

  close(): void {
    this.db.close();
  }
}
