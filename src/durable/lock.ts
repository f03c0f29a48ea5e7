/**
 * File locks that survive kill -9: each holder writes its pid into its lock
 * file, and a lock whose pid is gone is stale and broken by the next comer.
 *
 * A lock directory holds one `exclusive` file and any number of `shared-*`
 * files. Writers of new objects (add, fetch, checkout...) hold a shared lock;
 * deleters (gc, prune) hold the exclusive one and wait for the shared ones to
 * drain. A shared holder that sees an exclusive lock backs off, so the two
 * never wait on each other.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors.js';
import { processAlive } from './atomicWrite.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface LockOptions {
  /** How long to wait for the lock before failing, in ms (default 60 s). */
  timeoutMs?: number;
  /** What the holder is doing, shown to whoever waits. */
  command?: string;
}

/** A held lock; release it exactly once. */
export interface Lock {
  release(): void;
}

const EXCLUSIVE = 'exclusive';

function isAlive(info: LockInfo | null): boolean {
  if (!info) return false;
  if (info.host !== os.hostname()) return true; // cannot tell; assume alive
  return processAlive(info.pid);
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** A lock file whose writer died before finishing it, or whose pid is gone. */
function isStale(file: string): boolean {
  const info = readLock(file);
  if (info) return !isAlive(info);
  // Unreadable: a holder killed between create and write. Give it a moment.
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 2000;
  } catch {
    return false;
  }
}

function breakIfStale(file: string): boolean {
  if (!isStale(file)) return false;
  // Rename first so two processes breaking the same stale lock cannot both win.
  const moved = `${file}.stale-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    fs.renameSync(file, moved);
    fs.rmSync(moved, { force: true });
  } catch {
    /* someone else broke it */
  }
  return true;
}

function writeLockFile(file: string, command: string): boolean {
  const info: LockInfo = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeFileSync(fd, JSON.stringify(info));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function liveHolders(dir: string, prefix: string, except?: string): LockInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const holders: LockInfo[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || name.includes('.stale-')) continue;
    const file = path.join(dir, name);
    if (file === except || breakIfStale(file)) continue;
    const info = readLock(file);
    if (info) holders.push(info);
  }
  return holders;
}

function describe(holders: LockInfo[]): string {
  return holders.map((h) => `${h.command} (pid ${h.pid})`).join(', ');
}

function timeoutError(dir: string, holders: LockInfo[]): ConflictError {
  return new ConflictError(`the cache is locked by ${describe(holders) || 'another cairn process'}`, {
    hint: `wait for it to finish and retry; a lock left by a killed process is broken automatically (${dir})`,
    data: { holders },
  });
}

/** Take a shared lock: many at once, none while an exclusive lock is held. */
export async function lockShared(dir: string, options: LockOptions = {}): Promise<Lock> {
  fs.mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const file = path.join(dir, `shared-${process.pid}-${randomBytes(4).toString('hex')}`);
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const exclusive = path.join(dir, EXCLUSIVE);
    if (!fs.existsSync(exclusive) || breakIfStale(exclusive)) {
      writeLockFile(file, options.command ?? 'cairn');
      if (!fs.existsSync(exclusive) || breakIfStale(exclusive)) return releasing(file);
      fs.rmSync(file, { force: true }); // an exclusive holder came first: back off
    }
    if (Date.now() > deadline) throw timeoutError(dir, liveHolders(dir, EXCLUSIVE));
    await sleep(delay);
  }
}

/** Take the exclusive lock: waits for other exclusive and all shared holders. */
export async function lockExclusive(dir: string, options: LockOptions = {}): Promise<Lock> {
  fs.mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const file = path.join(dir, EXCLUSIVE);
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (writeLockFile(file, options.command ?? 'cairn')) break;
    if (!breakIfStale(file)) {
      if (Date.now() > deadline) throw timeoutError(dir, liveHolders(dir, EXCLUSIVE));
      await sleep(delay);
    }
  }
  const lock = releasing(file);
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const shared = liveHolders(dir, 'shared-');
    if (shared.length === 0) return lock;
    if (Date.now() > deadline) {
      lock.release();
      throw timeoutError(dir, shared);
    }
    await sleep(delay);
  }
}

function releasing(file: string): Lock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      fs.rmSync(file, { force: true });
    },
  };
}

/** Run `fn` while holding a lock, releasing it however `fn` ends. */
export async function withLock<T>(take: Promise<Lock>, fn: () => Promise<T>): Promise<T> {
  const lock = await take;
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
