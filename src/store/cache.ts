/**
 * The content-addressed object store: `objects/<h[0:2]>/<h[2:]>`, read-only
 * files named by the SHA-256 of their bytes. Objects are written to `tmp/`,
 * flushed, verified, and only then renamed to their final name; writing the
 * same object twice (from two worktrees at once) is a harmless rename.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { IntegrityError, NotFoundError } from '../errors.js';
import { fsyncDir, fsyncFile, removeTemp, sweepStaleTemps, tempPathBeside, TEMP_MARKER, uniqueSuffix, writeFileAtomic } from '../durable/atomicWrite.js';
import { CHUNK_SIZE, HASH_PREFIX, hashBytes, hashFile, hashHex } from './hash.js';
import { VerifiedObjects } from './verified.js';
import { copyFileBytes } from './copy.js';
import type { LinkType } from './linkType.js';

export type { LinkType } from './linkType.js';

/** An object now in the cache: its hash (`sha256:<hex>`) and size in bytes. */
export interface StoredObject {
  hash: string;
  size: number;
}

export type ObjectCheck = 'ok' | 'missing' | 'corrupt';

/** A workspace file taken into the cache by {@link Cache.adoptFile}, with its stat from before it was hashed. */
export interface AdoptedFile extends StoredObject {
  stat: fs.BigIntStats;
}

/** Files at or below this size are read and written in one call. */
export const SMALL_FILE = CHUNK_SIZE;
/** Above this many objects, one filesystem-wide flush beats an fsync per file. */
const BATCH_SYNCFS_THRESHOLD = 16;

/**
 * The object store of one repository, shared by all its worktrees: stores
 * bytes under their hash, reads and materializes them verified. Writes are
 * durable and safe to run from several processes at once.
 */
export class Cache {
  readonly dir: string;
  /** Large objects already hashed, by stat (see verified.ts). */
  readonly verified: VerifiedObjects;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.verified = new VerifiedObjects(path.join(this.dir, 'verified.db'));
  }

  get objectsDir(): string {
    return path.join(this.dir, 'objects');
  }

  get tmpDir(): string {
    return path.join(this.dir, 'tmp');
  }

  get locksDir(): string {
    return path.join(this.dir, 'locks');
  }

  objectPath(hash: string): string {
    const hex = hashHex(hash);
    return path.join(this.objectsDir, hex.slice(0, 2), hex.slice(2));
  }

  has(hash: string): boolean {
    return fs.existsSync(this.objectPath(hash));
  }

  private tmpReady = false;

  /** Remove the temp files in `tmp/` of cairn processes that are gone (a kill, a Ctrl-C); returns how many. */
  sweepTemps(): number {
    return sweepStaleTemps(this.tmpDir);
  }

  /** A fresh temp file name in `tmp/`, recognisable by pid so gc can clear stale ones. */
  tempPath(): string {
    if (!this.tmpReady) {
      fs.mkdirSync(this.tmpDir, { recursive: true });
      this.tmpReady = true;
    }
    return path.join(this.tmpDir, `${TEMP_MARKER}${uniqueSuffix()}`);
  }

  /**
   * Which of these objects the cache lacks. Many at once are answered by
   * listing the object folders (256 readdirs) instead of one stat each.
   */
  missing(hashes: Iterable<string>): Set<string> {
    const wanted = [...new Set(hashes)];
    const out = new Set<string>();
    if (wanted.length <= 256) {
      for (const h of wanted) if (!this.has(h)) out.add(h);
      return out;
    }
    const listing = new Map<string, Set<string>>();
    for (const h of wanted) {
      const hex = hashHex(h);
      const prefix = hex.slice(0, 2);
      let names = listing.get(prefix);
      if (!names) {
        try {
          names = new Set(fs.readdirSync(path.join(this.objectsDir, prefix)));
        } catch {
          names = new Set();
        }
        listing.set(prefix, names);
      }
      if (!names.has(hex.slice(2))) out.add(h);
    }
    return out;
  }

  /**
   * A token that changes whenever objects are deleted (by gc). Facts about
   * the cache's contents remembered elsewhere are valid only for the
   * generation they were learned in.
   */
  generation(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'generation'), 'utf8').trim();
    } catch {
      return '0';
    }
  }

  /** Start a new generation: call before deleting any object. */
  bumpGeneration(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path.join(this.dir, 'generation'), `${Date.now()}-${uniqueSuffix()}\n`);
  }

  /** Rename a flushed temp file to its object name; `before`: see VerifiedObjects.record. */
  private publish(tmp: string, hash: string, size = 0, before?: fs.BigIntStats): void {
    const final = this.objectPath(hash);
    try {
      fs.mkdirSync(path.dirname(final), { recursive: true });
      fs.renameSync(tmp, final);
    } catch (err) {
      removeTemp(tmp);
      throw err;
    }
    fsyncDir(path.dirname(final));
    if (size > SMALL_FILE) this.verified.record(hash, final, before);
  }

  /**
   * Store a file of any size, hashing it while it is copied into the cache
   * (one read pass). With `expected`, bytes that do not match are refused.
   */
  storeFile(src: string, options: { expected?: string; onBytes?: (n: number) => void } = {}): Promise<StoredObject> {
    return this.storeStream(fs.createReadStream(src, { highWaterMark: CHUNK_SIZE }), options);
  }

  /**
   * Store the bytes of a stream (a file, a download): written to a temp
   * file while hashed, flushed, checked against `expected`, then published.
   */
  async storeStream(source: NodeJS.ReadableStream, options: { expected?: string; onBytes?: (n: number) => void } = {}): Promise<StoredObject> {
    const tmp = this.tempPath();
    const h = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        h.update(chunk);
        size += chunk.length;
        options.onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    // The stream owns its descriptor: on an error (ENOSPC) it closes it itself,
    // and a second close here could close a descriptor reused meanwhile.
    try {
      await pipeline(source, hasher, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o444, highWaterMark: CHUNK_SIZE }));
      fsyncFile(tmp);
    } catch (err) {
      removeTemp(tmp);
      throw err;
    }
    const hash = HASH_PREFIX + h.digest('hex');
    return this.finishTemp(tmp, hash, size, options.expected);
  }

  /**
   * Store a copy of a local file that should hold `expected` (another
   * object store's object): a reflink where the filesystem shares blocks,
   * then the bytes that landed are hashed; elsewhere the bytes are hashed on
   * their way in, in one pass (a kernel copy then a second read to hash was
   * 0.4-0.5 s slower per GiB pulled from a folder remote here).
   * With `replace`, an object already under that name (found damaged) is
   * replaced by the verified copy instead of kept.
   */
  async storeCopy(src: string, expected: string, onBytes?: (n: number) => void, options: { replace?: boolean } = {}): Promise<StoredObject> {
    if (!options.replace && this.has(expected)) return { hash: expected, size: fs.statSync(this.objectPath(expected)).size };
    const tmp = this.tempPath();
    try {
      await fs.promises.copyFile(src, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE_FORCE);
    } catch {
      // No reflink here (or the source is unreadable, which the copy then reports).
      fs.rmSync(tmp, { force: true });
      return this.storeFile(src, { expected, onBytes });
    }
    try {
      const { hash, size } = await hashFile(tmp, onBytes);
      fsyncFile(tmp);
      fs.chmodSync(tmp, 0o444);
      return this.finishTemp(tmp, hash, size, expected);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Store a copy of `src`, an object of another local store of ours (the
   * repository's cache, on push to a folder remote): the kernel copies it
   * while its bytes are hashed beside the copy, so the cost is the slower of
   * the two, not their sum. The source is read twice, so it must not change
   * in between: its stat (inode, size, mtime, ctime, which no write can
   * leave as they were) is the same before and after, or nothing is stored.
   * Not for a store others can write to (a remote): there the bytes that
   * landed are the ones hashed ({@link storeCopy}).
   */
  async storeCopyOfOwn(src: string, expected: string, onBytes?: (n: number) => void, options: { replace?: boolean } = {}): Promise<StoredObject> {
    if (!options.replace && this.has(expected)) return { hash: expected, size: fs.statSync(this.objectPath(expected)).size };
    const before = fs.statSync(src, { bigint: true });
    const tmp = this.tempPath();
    try {
      const [, { hash, size }] = await Promise.all([
        fs.promises.copyFile(src, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE),
        hashFile(src, onBytes),
      ]);
      const after = fs.statSync(src, { bigint: true });
      if (!sameFileState(before, after) || fs.statSync(tmp).size !== size) {
        throw new IntegrityError(`${src} changed while it was copied`, { hint: 'run the command again', data: { file: src } });
      }
      fsyncFile(tmp);
      fs.chmodSync(tmp, 0o444);
      return this.finishTemp(tmp, hash, size, expected);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Store bytes already in memory (manifests, small files). Durable. */
  storeBytes(data: Uint8Array, expected?: string): StoredObject {
    const hash = hashBytes(data);
    if (expected && expected !== hash) throw mismatch(expected, hash);
    if (this.has(hash)) return { hash, size: data.length };
    const tmp = this.tempPath();
    try {
      const fd = fs.openSync(tmp, 'wx', 0o444);
      try {
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      removeTemp(tmp);
      throw err;
    }
    this.publish(tmp, hash);
    return { hash, size: data.length };
  }

  /**
   * Take a workspace file into the cache without copying its bytes: hard-link
   * it into `tmp/`, make it read-only, hash it there, publish it. The user's
   * path keeps its bytes at every instant (the file is linked, never moved),
   * so a kill anywhere leaves at worst a temp link that gc sweeps. `hardlink`
   * then leaves the workspace file as a link to the object; for `symlink` the
   * caller calls {@link linkWorkspace} once a pointer names the object (a
   * symlink to an object nothing names would lose the bytes to gc).
   * Falls back to a copy across filesystems.
   */
  async adoptFile(src: string, link: 'hardlink' | 'symlink', onBytes?: (n: number) => void): Promise<AdoptedFile> {
    const tmp = this.tempPath();
    try {
      fs.linkSync(src, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EXDEV' || (err as NodeJS.ErrnoException).code === 'EPERM') {
        const stat = fs.statSync(src, { bigint: true });
        return { ...(await this.storeFile(src, { onBytes })), stat };
      }
      throw err;
    }
    let hash: string;
    let size: number;
    let before: fs.BigIntStats;
    let kept: fs.BigIntStats | null = null;
    try {
      fs.chmodSync(tmp, 0o444);
      // The user's file may still be written to while it is hashed: its stat
      // from before is what the record must match (see VerifiedObjects.record).
      before = fs.statSync(tmp, { bigint: true });
      ({ hash, size } = await hashFile(tmp, onBytes));
      fsyncFile(tmp);
      const final = this.objectPath(hash);
      // An object already there is linked to only when intact: else the bytes
      // just hashed (the user's file) replace it, and nothing good is lost.
      if (fs.existsSync(final) && !sameInode(final, tmp)) {
        const st = objectStat(final, hash);
        if ((size > SMALL_FILE && this.verified.has(hash, st)) || (await this.checkObject(hash)) === 'ok') kept = st;
      }
      if (kept || sameInode(final, tmp)) removeTemp(tmp);
      else this.publish(tmp, hash, size, before);
    } catch (err) {
      removeTemp(tmp);
      throw err;
    }
    if (link === 'hardlink') await linkInto(this.objectPath(hash), src, 'hardlink', before);
    // Recorded (again: a link moves the object's ctime) with the stat from before hashing.
    this.verified.recordLater(hash, this.objectPath(hash), kept ?? before);
    return { hash, size, stat: before };
  }

  /**
   * Replace the workspace file `dest`, adopted by {@link adoptFile}, by a link
   * to its object. A file that changed since it was hashed (another inode, or
   * another size or mtime) is left as it is: status will show it modified.
   */
  async linkWorkspace(adopted: AdoptedFile, dest: string, link: 'hardlink' | 'symlink'): Promise<void> {
    await linkInto(this.objectPath(adopted.hash), dest, link, adopted.stat);
  }

  private finishTemp(tmp: string, hash: string, size: number, expected?: string): StoredObject {
    if (expected && expected !== hash) {
      removeTemp(tmp);
      throw mismatch(expected, hash);
    }
    this.publish(tmp, hash, size);
    return { hash, size };
  }

  /** Start a batch of small-object writes that share one flush. */
  batch(): ObjectBatch {
    return new ObjectBatch(this);
  }

  /** Read an object's bytes, verifying them against its name. */
  readObject(hash: string): Buffer {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.objectPath(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingObject(hash);
      throw err;
    }
    const actual = hashBytes(data);
    if (actual !== hash) throw this.corrupt(hash, actual, this.objectPath(hash));
    return data;
  }

  /** The error for a damaged object, whose record (if any) is dropped so that nothing trusts it by stat. */
  private corrupt(hash: string, actual: string, file: string): IntegrityError {
    this.verified.forget([hash]);
    return corruptObject(hash, actual, file);
  }

  /** Rehash one object (a damaged one loses its verified record). */
  async checkObject(hash: string): Promise<ObjectCheck> {
    const file = this.objectPath(hash);
    try {
      const st = fs.statSync(file);
      const actual = st.size <= SMALL_FILE ? hashBytes(fs.readFileSync(file)) : (await hashFile(file)).hash;
      if (actual === hash) return 'ok';
      this.verified.forget([hash]);
      return 'corrupt';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
  }

  /** Every object name in the cache (hashes), by walking `objects/`. */
  listObjects(): string[] {
    return listObjectHashes(this.objectsDir);
  }

  /**
   * Put a verified copy (or link) of an object at `dest`, through a temp file
   * beside it, so `dest` is never half-written. Refuses an object whose bytes
   * do not match its name: an object is trusted when its stat is the one it
   * was hashed with (verified.ts), for a link even if only its ctime moved
   * (each link made or removed moves it); a small object to be copied is
   * always read and hashed, as its bytes are read anyway.
   *
   * Resolves to the object's stat (taken before linking) when `dest` is a
   * hard link to it: the same inode, so the same size, mtime and inode as
   * `dest` has now (only the ctime and link count moved). Else null.
   */
  async materialize(hash: string, dest: string, options: MaterializeOptions): Promise<fs.BigIntStats | null> {
    const obj = this.objectPath(hash);
    const mode = options.executable ? 0o755 : 0o644;
    const link = options.executable && options.link === 'hardlink' ? 'copy' : options.link;
    const linking = link === 'hardlink' || link === 'symlink';
    // A new link appears whole, so where nothing is in the way links go straight to `dest`.
    const direct = options.fresh && linking;
    const tmp = direct ? dest : tempPathBeside(dest);
    let size = options.size;
    if (size === undefined) {
      try {
        size = fs.statSync(obj).size;
      } catch (err) {
        throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? missingObject(hash) : err;
      }
    }
    // Recorded afterwards (with the next ones, in one write): an object just
    // hashed, or a large one linked when its full stat matched (the link moves its ctime).
    let record = false;
    try {
      // Linking needs the object's stat (to trust it unread, or to record it after hashing).
      const stat = linking || size > SMALL_FILE ? objectStat(obj, hash) : null;
      if (size <= SMALL_FILE && linking && this.verified.has(hash, stat!, { ctime: false })) {
        // A small object hashed before, unchanged since but for links made to
        // it: linked without being read (a checkout of 10,000 files reads none).
        linkObject(obj, tmp, link);
      } else if (size <= SMALL_FILE) {
        // Small objects: one read, verified in memory, then written or linked.
        let data: Buffer;
        try {
          data = fs.readFileSync(obj);
        } catch (err) {
          throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? missingObject(hash) : err;
        }
        const actual = hashBytes(data);
        if (actual !== hash) throw this.corrupt(hash, actual, obj);
        if (linking) {
          linkObject(obj, tmp, link);
          record = true;
        } else fs.writeFileSync(tmp, data, { mode, flag: 'wx' });
      } else {
        const exact = this.verified.has(hash, stat!);
        if (exact || (linking && this.verified.has(hash, stat!, { ctime: false }))) {
          // Hashed before and unchanged since: link it, or let the kernel copy (or reflink) it.
          record = exact && linking;
          if (linking) linkObject(obj, tmp, link);
          else await copyFileBytes(obj, tmp, mode);
        } else if (linking) {
          const { hash: actual } = await hashFile(obj);
          if (actual !== hash) throw this.corrupt(hash, actual, obj);
          record = true;
          linkObject(obj, tmp, link);
        } else {
          const actual = await copyHashing(obj, tmp, mode);
          if (actual !== hash) throw this.corrupt(hash, actual, obj);
          record = true;
        }
      }
      if (!direct) fs.renameSync(tmp, dest);
      if (record) this.verified.recordLater(hash, obj, stat!);
      return link === 'hardlink' ? stat : null;
    } catch (err) {
      if (!direct || (err as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

/** Link the object `obj` at `at` (a hard link, or a symbolic link to its absolute path). */
function linkObject(obj: string, at: string, link: 'hardlink' | 'symlink'): void {
  if (link === 'hardlink') fs.linkSync(obj, at);
  else fs.symlinkSync(obj, at);
}

export interface MaterializeOptions {
  link: LinkType;
  executable?: boolean;
  /** Nothing exists at the destination (links can then be made in place). */
  fresh?: boolean;
  /** The object's size when known (a manifest says it): saves a stat. */
  size?: number;
}

/**
 * Small objects written together: each goes to a temp file in its final
 * folder, then one flush covers them all before any is renamed to its final
 * name. Synchronous on purpose: measured here, creating files spread over the
 * 256 object folders one after another beats both one temp folder (10x) and
 * concurrent writes through the thread pool (2-4x).
 */
export class ObjectBatch {
  private pending: { tmp: string; hash: string }[] = [];
  private seen = new Set<string>();
  private dirs = new Set<string>();

  constructor(private readonly cache: Cache) {}

  /**
   * Stage bytes; returns their hash. Objects already cached cost one stat,
   * and are kept unless `replace` (an object found damaged is replaced).
   */
  add(data: Uint8Array, expected?: string, options: { replace?: boolean } = {}): StoredObject {
    const hash = hashBytes(data);
    if (expected && expected !== hash) throw mismatch(expected, hash);
    if (!this.seen.has(hash) && (options.replace || !this.cache.has(hash))) {
      const final = this.cache.objectPath(hash);
      const dir = path.dirname(final);
      if (!this.dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.dirs.add(dir);
      }
      const tmp = path.join(dir, `${TEMP_MARKER}${uniqueSuffix()}`);
      // Pending before the write: a write that fails half-way (ENOSPC) is removed by abort().
      this.pending.push({ tmp, hash });
      fs.writeFileSync(tmp, data, { mode: 0o444, flag: 'wx' });
    }
    this.seen.add(hash);
    return { hash, size: data.length };
  }

  get size(): number {
    return this.pending.length;
  }

  /** Flush every staged object, then publish them all. */
  commit(): void {
    if (this.pending.length === 0) return;
    flushAll(
      this.cache.objectsDir,
      this.pending.map((p) => p.tmp),
    );
    for (const { tmp, hash } of this.pending) fs.renameSync(tmp, this.cache.objectPath(hash));
    if (this.pending.length > BATCH_SYNCFS_THRESHOLD) flushAll(this.cache.objectsDir, []);
    else for (const dir of new Set(this.pending.map((p) => path.dirname(p.tmp)))) fsyncDir(dir);
    this.pending = [];
    this.seen.clear(); // published: the cache answers from now on (and a later `replace` must write again)
  }

  /** Drop staged temp files (after an error). */
  abort(): void {
    for (const { tmp } of this.pending) removeTemp(tmp);
    this.pending = [];
    this.seen.clear();
  }
}

/**
 * Make written files durable. Many files: one syncfs(2) through coreutils
 * `sync -f` (one call instead of thousands of fsyncs); few: fsync each.
 */
function flushAll(dirOnFs: string, files: string[]): void {
  if (files.length === 0 || files.length > BATCH_SYNCFS_THRESHOLD) {
    try {
      execFileSync('sync', ['-f', dirOnFs], { stdio: 'ignore' });
      return;
    } catch {
      /* no coreutils sync: fall through to one fsync per file */
    }
  }
  for (const file of files) fsyncFile(file);
  if (files.length === 0) fsyncDir(dirOnFs);
}

/** The stat of an object file, or a missing-object error. */
function objectStat(file: string, hash: string): fs.BigIntStats {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st) throw missingObject(hash);
  return st;
}

/** Copy `src` to a new file `dest`, hashing on the way; returns the hash of the bytes copied. */
async function copyHashing(src: string, dest: string, mode: number): Promise<string> {
  const h = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      h.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(fs.createReadStream(src, { highWaterMark: CHUNK_SIZE }), hasher, fs.createWriteStream(dest, { flags: 'wx', mode, highWaterMark: CHUNK_SIZE }));
  return HASH_PREFIX + h.digest('hex');
}

/**
 * Replace `dest` with a link to the object `obj`, atomically. With `hashed`
 * (the stat `dest` had when its bytes were hashed), a `dest` that is neither
 * the object's inode nor still that file is left alone.
 */
async function linkInto(obj: string, dest: string, link: 'hardlink' | 'symlink', hashed?: fs.BigIntStats): Promise<void> {
  // Already a hard link of the object (adopted in place): a rename of one link
  // over another of the same inode does nothing and would leave the temp behind.
  if (link === 'hardlink' && sameInode(obj, dest)) return;
  if (hashed && !sameInode(obj, dest)) {
    const now = fs.lstatSync(dest, { bigint: true, throwIfNoEntry: false });
    if (!now || now.ino !== hashed.ino || now.dev !== hashed.dev || now.size !== hashed.size || now.mtimeNs !== hashed.mtimeNs) return;
  }
  const tmp = tempPathBeside(dest);
  try {
    if (link === 'hardlink') fs.linkSync(obj, tmp);
    else fs.symlinkSync(obj, tmp);
    fs.renameSync(tmp, dest);
  } catch (err) {
    removeTemp(tmp);
    throw err;
  }
}

/** The same file with the same content as far as its stat can tell: a write moves mtime and ctime, and ctime cannot be set back. */
function sameFileState(a: fs.BigIntStats, b: fs.BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function sameInode(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a, { bigint: true });
    const sb = fs.lstatSync(b, { bigint: true });
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

export function listObjectHashes(objectsDir: string): string[] {
  const hashes: string[] = [];
  let prefixes: string[];
  try {
    prefixes = fs.readdirSync(objectsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  for (const prefix of prefixes.sort()) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const rest of fs.readdirSync(path.join(objectsDir, prefix)).sort()) {
      if (/^[0-9a-f]{62}$/.test(rest)) hashes.push(HASH_PREFIX + prefix + rest);
    }
  }
  return hashes;
}

export function missingObject(hash: string): NotFoundError {
  return new NotFoundError(`object ${hash} is not in the cache`, {
    hint: 'fetch it from a remote (cairn pull), or re-add the file it came from',
    data: { hash },
  });
}

export function corruptObject(hash: string, actual: string, file: string): IntegrityError {
  return new IntegrityError(`object ${hash} is corrupt: its bytes hash to ${actual}`, {
    hint: `delete ${file} and fetch it again (cairn pull), or re-add the original file; cairn verify lists every damaged object`,
    data: { hash, actual, file },
  });
}

function mismatch(expected: string, actual: string): IntegrityError {
  return new IntegrityError(`content hashes to ${actual}, expected ${expected}`, {
    hint: 'the file changed while it was read, or its source is corrupt; retry',
    data: { expected, actual },
  });
}
