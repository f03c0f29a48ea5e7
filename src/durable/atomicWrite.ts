/**
 * Durable file replacement (docs/DATA-SAFETY.md): write to a temp name in the same
 * folder, flush, rename into place, flush the folder. A kill at any moment
 * leaves either the old file or the new one, never a mix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// node:crypto takes ~5 ms to load: only processes that write pay for it.
const require = createRequire(import.meta.url);
function randomHex(bytes: number): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(bytes).toString('hex');
}

/** The marker in every temp name cairn creates, so stale ones can be recognised. */
export const TEMP_MARKER = '.cairn-tmp-';

let processToken: string | undefined;
let counter = 0;

/** Is a process of this machine still running? */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A suffix unique to this process and call: `<pid>-<random>-<n>` (gc reads the pid back). */
export function uniqueSuffix(): string {
  processToken ??= randomHex(4);
  return `${process.pid}-${processToken}-${(counter++).toString(36)}`;
}

/** A fresh temp path beside `target` (same folder, so rename is atomic). */
export function tempPathBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARKER}${uniqueSuffix()}`);
}

/**
 * The exact names cairn gives its temp files: `.<name>.cairn-tmp-<pid>-<8 hex>-<n>`
 * beside a target (tempPathBeside), `.cairn-tmp-<pid>-<8 hex>-<n>` in the cache
 * (`<n>` in base 36), and the `-journal`, `-wal` and `-shm` files SQLite keeps
 * beside a temp database (a merge). A user's `notes.cairn-tmp-draft.txt` is
 * not one of them.
 */
const TEMP_NAME = /^(?:\.[^/]+)?\.cairn-tmp-(\d+)-[0-9a-f]{8}-[0-9a-z]+(?:-journal|-wal|-shm)?$/;

/** True for names made by tempPathBeside or the cache's temp files, and no others. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Temp files older than this are stale even if their pid was reused. */
const STALE_AFTER_MS = 24 * 3600 * 1000;

/**
 * The temp files in `dir` (not below it) left by processes that are gone —
 * the pid in the name no longer runs — or made more than a day ago (by their
 * ctime: a temp hard link to a user's old file keeps that file's mtime).
 * Only files and symlinks with cairn's exact temp names: cairn never makes a
 * temp folder, so a folder is never one.
 */
export function staleTempsIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st || !(st.isFile() || st.isSymbolicLink())) continue;
    if (!processAlive(Number(m[1])) || Date.now() - st.ctimeMs > STALE_AFTER_MS) out.push(file);
  }
  return out;
}

/** Remove one temp file; never a folder (unlink refuses those), and one already gone is fine. */
export function removeTemp(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  }
}

/** Remove stale temp files in `dir`; returns how many went. */
export function sweepStaleTemps(dir: string): number {
  const stale = staleTempsIn(dir);
  for (const file of stale) removeTemp(file);
  return stale.length;
}

/** fsync a directory so a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip the fsyncs (for files that can be rebuilt, such as workspace copies). */
  durable?: boolean;
}

/** Replace `target` with `data` atomically. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const durable = options.durable ?? true;
  const tmp = tempPathBeside(target);
  const fd = fs.openSync(tmp, 'wx', options.mode ?? 0o644);
  try {
    try {
      fs.writeFileSync(fd, data);
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (durable) fsyncDir(path.dirname(target));
}

/** Flush a file's data to disk. */
export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Move an already-written temp file into place, durably. */
export function publishFile(tmp: string, target: string): void {
  fsyncFile(tmp);
  fs.renameSync(tmp, target);
  fsyncDir(path.dirname(target));
}

/**
 * Produce `target` through a temp file beside it, written by `write(tmp)`,
 * then flushed (unless `durable: false`, for copies cairn can make again)
 * and renamed into place; the temp file goes on any failure.
 */
export async function replaceFileAtomic(target: string, write: (tmp: string) => void | Promise<void>, options: { durable?: boolean } = {}): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPathBeside(target);
  try {
    await write(tmp);
    if (options.durable ?? true) publishFile(tmp, target);
    else fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
