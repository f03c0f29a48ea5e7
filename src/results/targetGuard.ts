/**
 * Keeping other writers away from a merge's target: a cairn lock beside the
 * output (two merges into one file take turns), and the engine's own lock on
 * the target while it is copied (a SQLite write lock, a DuckDB file lock),
 * so the copy is consistent and a process writing the file is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../errors.js';
import { lockExclusive, type Lock } from '../durable/lock.js';
import type { ResultsKind } from './database.js';
import { openDuck } from './duckdb.js';
import { loadSqlite } from './sqlite.js';

export interface Guard {
  release(): void;
}

/** The folder of the cairn lock for writes to `output`. */
export function lockDirFor(output: string): string {
  return path.join(path.dirname(output), `.${path.basename(output)}.cairn-lock`);
}

/** The error for a target another process holds. */
export function lockedBy(file: string, who: string, cause?: unknown): ConflictError {
  return new ConflictError(`${file} is locked by another writer (${who})`, {
    hint: 'wait for it to finish and retry (--wait SECONDS waits longer); a lock left by a killed cairn is broken automatically',
    cause,
  });
}

/** Take the cairn lock for writing `output`; waits up to `waitMs`. */
export async function lockOutput(output: string, waitMs: number): Promise<Guard> {
  const dir = lockDirFor(output);
  let lock: Lock | null = null;
  while (!lock) {
    try {
      lock = await lockExclusive(dir, { timeoutMs: waitMs, command: 'cairn merge' });
    } catch (err) {
      // The previous holder removed the folder between our mkdir and our lock file: try again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw lockFailure(err, output);
    }
  }
  const held = lock;
  return {
    release() {
      held.release();
      try {
        fs.rmdirSync(dir);
      } catch {
        /* another merge is waiting on it, or it is already gone */
      }
    },
  };
}

function lockFailure(err: unknown, output: string): unknown {
  if (!(err instanceof ConflictError)) return err;
  const holders = (err.data.holders as { command: string; pid: number }[] | undefined) ?? [];
  return lockedBy(output, holders.map((h) => `${h.command}, pid ${h.pid}`).join('; ') || 'another cairn process', err);
}

/**
 * Hold the engine's lock on `file` until released: no other process can
 * commit to it meanwhile. Refuses a file another process is writing.
 */
export async function guardEngine(file: string, kind: ResultsKind, waitMs: number): Promise<Guard> {
  if (kind === 'parquet') return { release() {} };
  if (kind === 'duckdb') {
    if (fs.existsSync(`${file}.wal`)) {
      throw new ConflictError(`${file} has an unfinished write-ahead log (${path.basename(file)}.wal)`, {
        hint: 'a DuckDB process has it open, or died writing it: close that process (or open the file once with DuckDB to finish the log), then retry',
      });
    }
    const handle = await openDuck(file, { readOnly: true });
    return { release: () => handle.close() };
  }
  const Database = await loadSqlite();
  const db = new Database(file, { fileMustExist: true, timeout: waitMs });
  try {
    if (db.readonly) {
      // A write-protected file (a hard link into the cache, say): a read lock still keeps writers out.
      db.exec('BEGIN');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } else {
      if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal') {
        // Fold the write-ahead log into the file, so that copying the file copies everything.
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
        if (result?.busy) throw lockedBy(file, 'a SQLite connection is using it');
      }
      db.exec('BEGIN IMMEDIATE');
    }
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw lockedBy(file, 'a SQLite connection is writing it', err);
    throw err;
  }
  return {
    release() {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}
