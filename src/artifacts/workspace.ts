/**
 * Finding artifacts and observing their workspace copies. Observing is cheap
 * when nothing changed: a file whose stat signature is in the stat cache is
 * not read again.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CairnError, IntegrityError, NotFoundError, UnsafeError } from '../errors.js';
import { lsFiles } from '../git/git.js';
import type { Repo } from '../repo/repo.js';
import { isTempName } from '../durable/atomicWrite.js';
import { hashBytes, hashFile, HASH_PREFIX } from '../store/hash.js';
import { SMALL_FILE } from '../store/cache.js';
import { compareUtf8, MODE_EXEC, MODE_FILE, renderManifest, type ManifestEntry } from '../store/manifest.js';
import { artifactPathOf, isPointerPath, parsePointer, POINTER_SUFFIX, type Pointer } from '../store/pointer.js';
import { StatCache, statSignature, type StatRecord } from '../store/statCache.js';
import type { Progress } from '../progress.js';
import { CONFIG_DIR } from '../config/config.js';
import { Confinement, escapeError } from '../trust/confine.js';
import { unsafePathReason } from '../trust/pathNames.js';
import { MAX_POINTER_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';

/** A pointer file and the artifact it names; paths relative to the worktree root. */
export interface Artifact {
  pointerPath: string;
  path: string;
  pointer: Pointer;
}

/** Every pointer file in the worktree that git tracks or would track (not ignored). */
export async function findPointerFiles(repo: Pick<Repo, 'root'>): Promise<string[]> {
  const files = await lsFiles(repo.root, [`*${POINTER_SUFFIX}`], { others: true });
  // A pointer git knows that cannot be seen is gone (deleted), unless a
  // symlinked folder on the way hides it: kept, so reading it refuses loudly.
  const confinement = new Confinement(repo.root);
  return files
    .filter((f) => isPointerPath(f) && (fs.lstatSync(path.join(repo.root, f), { throwIfNoEntry: false }) !== undefined || confinement.escapeOf(f) !== null))
    .sort();
}

/**
 * Read and validate one pointer file. The pointer is committed input: it must
 * be a small regular file (not a symlink, FIFO or device) at a path that is
 * safe to act on, reached through real folders only.
 */
export function readPointerFile(repo: Pick<Repo, 'root'>, pointerPath: string, confinement: Confinement = new Confinement(repo.root)): Pointer {
  const artifactPath = artifactPathOf(pointerPath);
  const reason = unsafePathReason(pointerPath) ?? (artifactPath === CONFIG_DIR ? `it would replace cairn's own ${CONFIG_DIR}/ folder` : null);
  if (reason) {
    throw new UnsafeError(`refusing pointer ${pointerPath}: ${reason}`, {
      hint: `a repository may not name this path; remove the pointer (git rm --cached ${pointerPath}) and check where it came from`,
      data: { pointer: pointerPath },
    });
  }
  const escape = confinement.escapeOf(pointerPath);
  if (escape) throw escapeError(pointerPath, escape, `read pointer ${pointerPath}`);
  const read = readUntrustedFile(path.join(repo.root, pointerPath), MAX_POINTER_BYTES);
  if (read.kind !== 'text') {
    const why = read.kind === 'missing' ? 'is missing' : read.why;
    const error = read.kind === 'refused' && read.unsafe ? UnsafeError : IntegrityError;
    throw new error(`invalid pointer ${pointerPath}: it ${why}`, {
      hint: `replace it with the pointer from git (git checkout -- ${pointerPath}), or remove it`,
      data: { pointer: pointerPath },
    });
  }
  return parsePointer(read.text, pointerPath, path.posix.basename(artifactPath));
}

/** True when `p` equals `dir` or lies beneath it ('' is the whole worktree). */
export function isWithin(p: string, dir: string): boolean {
  return dir === '' || p === dir || p.startsWith(dir + '/');
}

/**
 * The artifacts selected by repo-relative paths (all of them when none are
 * given). A path selects the artifact it names, its pointer, every artifact
 * below a folder, or the directory artifact it lies in. An invalid pointer
 * throws, unless `onInvalid` is given: then it is reported there and skipped.
 */
export async function loadArtifacts(
  repo: Pick<Repo, 'root'>,
  selectors: string[] = [],
  onInvalid?: (invalid: InvalidPointer, error: CairnError) => void,
): Promise<Artifact[]> {
  const pointerFiles = await findPointerFiles(repo);
  const all = pointerFiles.map((pointerPath) => ({ pointerPath, path: artifactPathOf(pointerPath) }));
  let chosen = all;
  if (selectors.length > 0) {
    const keep = new Set<string>();
    for (const sel of selectors) {
      const matches = all.filter((a) => a.pointerPath === sel || isWithin(a.path, sel) || sel.startsWith(a.path + '/'));
      if (matches.length === 0) {
        throw new NotFoundError(`no artifact at ${sel || '.'}`, {
          hint: 'cairn status lists the tracked artifacts; cairn add <path> tracks a new one',
          data: { path: sel },
        });
      }
      for (const m of matches) keep.add(m.pointerPath);
    }
    chosen = all.filter((a) => keep.has(a.pointerPath));
  }
  const confinement = new Confinement(repo.root);
  if (!onInvalid) return chosen.map((a) => ({ ...a, pointer: readPointerFile(repo, a.pointerPath, confinement) }));
  const out: Artifact[] = [];
  for (const a of chosen) {
    try {
      out.push({ ...a, pointer: readPointerFile(repo, a.pointerPath, confinement) });
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      onInvalid({ pointer: a.pointerPath, message: err.message }, err);
    }
  }
  return out;
}

/** A pointer file that could not be read, as reported by {@link loadArtifacts} when asked to go on. */
export interface InvalidPointer {
  pointer: string;
  message: string;
}

export type FileObservation = { kind: 'missing' } | { kind: 'other'; what: string } | { kind: 'file'; hash: string; size: number; mode: number };

export type DirObservation =
  | { kind: 'missing' }
  | { kind: 'other'; what: string }
  | {
      kind: 'dir';
      /** The hash the folder's manifest would have now. */
      manifestHash: string;
      /** The entries, unless a stat-only fast path vouched for `manifestHash`. */
      entries: ManifestEntry[] | null;
      /** Entries that are neither regular files nor links into the cache. */
      oddities: string[];
    };

/**
 * Observes workspace files, hashing only what the stat cache cannot vouch
 * for, and remembers new hashes until `flush()`.
 */
export class WorkspaceObserver {
  private readonly records: StatRecord[] = [];
  readonly statCache: StatCache;

  constructor(
    private readonly repo: Repo,
    private readonly progress?: Progress,
  ) {
    this.statCache = StatCache.open(path.join(repo.stateDir, 'state.db'));
  }

  /** Hash of a regular file at `rel`, from the stat cache when its stat matches. */
  async hashOf(rel: string, st: fs.BigIntStats, cached?: { sig: string; hash: string }): Promise<string> {
    const known = cached ? (cached.sig === statSignature(st) ? cached.hash : null) : this.statCache.lookup(rel, st);
    if (known) return known;
    const abs = path.join(this.repo.root, rel);
    const hash = st.size <= BigInt(SMALL_FILE) ? hashBytes(fs.readFileSync(abs)) : (await hashFile(abs, (n) => this.progress?.tick(n))).hash;
    this.records.push({ path: rel, stat: st, hash });
    return hash;
  }

  /**
   * Remember a hash cairn computed itself. `stat` must have been taken before
   * the bytes were read; without it the file is stat'ed now. `trusted` is for
   * files cairn has just written from a verified object: they are cached even
   * inside the racy window. `hardLinked`: `rel` is a hard link to a cache
   * object, and `stat` that object's.
   */
  remember(rel: string, hash: string, stat?: fs.BigIntStats, options: { trusted?: boolean; hardLinked?: boolean } = {}): void {
    try {
      const st = stat ?? fs.lstatSync(path.join(this.repo.root, rel), { bigint: true });
      this.records.push({ path: rel, stat: st, hash, trusted: options.trusted ?? false, hardLinked: options.hardLinked ?? false });
    } catch {
      /* gone again: nothing to remember */
    }
  }

  /** The hash an in-cache symlink stands for (symlink link mode), or null. */
  symlinkedObject(abs: string): string | null {
    let target: string;
    try {
      target = fs.readlinkSync(abs);
    } catch {
      return null;
    }
    const rel = path.relative(this.repo.cache.objectsDir, path.resolve(path.dirname(abs), target));
    const m = /^([0-9a-f]{2})[/\\]([0-9a-f]{62})$/.exec(rel);
    return m ? HASH_PREFIX + m[1] + m[2] : null;
  }

  async observeFile(rel: string): Promise<FileObservation> {
    const abs = path.join(this.repo.root, rel);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(abs, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        return { kind: 'missing' };
      }
      throw err;
    }
    if (st.isSymbolicLink()) {
      const hash = this.symlinkedObject(abs);
      if (!hash) return { kind: 'other', what: 'a symlink' };
      return { kind: 'file', hash, size: Number(fs.statSync(abs).size), mode: MODE_FILE };
    }
    if (st.isDirectory()) return { kind: 'other', what: 'a directory' };
    if (!st.isFile()) return { kind: 'other', what: 'not a regular file' };
    return { kind: 'file', hash: await this.hashOf(rel, st), size: Number(st.size), mode: modeOf(st) };
  }

  /**
   * Every file below a directory artifact. When every file's stat signature
   * is as it was last time, the manifest hash computed then is reused and no
   * entry is looked at (`entries: null`), unless `full` asks for them.
   */
  async observeDir(rel: string, options: { full?: boolean } = {}): Promise<DirObservation> {
    const abs = path.join(this.repo.root, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        return { kind: 'missing' };
      }
      throw err;
    }
    if (!st.isDirectory()) return { kind: 'other', what: st.isSymbolicLink() ? 'a symlink' : 'a file' };
    // Walked in readdir order, sorted only if the slow path below needs the
    // entries: the fingerprint is a cache key, so another order (a folder
    // rewritten) only costs a slow look, never a wrong answer.
    const walked = walkDir(abs, { sorted: false });
    const fingerprint = fingerprintOf(abs, walked);
    let racy = fingerprint.racy;
    const known = this.statCache.dirManifest(rel, fingerprint.digest);
    if (known && !options.full) return { kind: 'dir', manifestHash: known, entries: null, oddities: [] };

    sortWalked(walked);
    const racyFrom = StatCache.racyFrom();
    const cached = this.statCache.under(rel);
    const entries: ManifestEntry[] = [];
    const oddities: string[] = [];
    for (const entry of walked) {
      if (entry.kind !== 'file') {
        const hash = entry.kind === 'symlink' ? this.symlinkedObject(path.join(abs, entry.path)) : null;
        if (hash) entries.push({ path: entry.path, hash, size: Number(fs.statSync(path.join(abs, entry.path)).size), mode: MODE_FILE });
        else oddities.push(entry.path);
        continue;
      }
      // Looked at again: a file may have gone, or become something else, since the first pass.
      let fst: fs.BigIntStats | undefined;
      try {
        fst = fs.lstatSync(joinPosix(abs, entry.path), { bigint: true, throwIfNoEntry: false });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      }
      if (!fst || !fst.isFile()) {
        racy = true; // the folder is changing: nothing is cached, the next look decides
        if (fst) oddities.push(entry.path); // now a folder or a symlink
        continue; // gone: left out, as if the walk had not seen it
      }
      racy ||= fst.mtimeNs >= racyFrom;
      const fileRel = `${rel}/${entry.path}`;
      const hit = cached.get(fileRel);
      const hash = await this.hashOf(fileRel, fst, hit ? { sig: hit[0], hash: hit[1] } : { sig: '', hash: '' });
      entries.push({ path: entry.path, hash, size: Number(fst.size), mode: modeOf(fst) });
    }
    const manifestHash = hashBytes(renderManifest(entries));
    if (!racy && oddities.length === 0) this.statCache.recordDir(rel, fingerprint.digest, manifestHash);
    return { kind: 'dir', manifestHash, entries, oddities };
  }

  /** Store the hashes learned so far in the stat cache. */
  flush(): void {
    this.statCache.record(this.records.splice(0));
  }

  close(): void {
    this.flush();
    this.statCache.close();
  }
}

export function modeOf(st: fs.BigIntStats | fs.Stats): number {
  return (Number(st.mode) & 0o111) !== 0 ? MODE_EXEC : MODE_FILE;
}

export interface WalkEntry {
  /** POSIX path relative to the walked folder. */
  path: string;
  kind: 'file' | 'symlink' | 'other';
}

/**
 * Files below a folder (not following symlinks), skipping cairn's own temp
 * files (exact names only: a user's `x.cairn-tmp-notes` is kept, and so is
 * any folder), sorted in manifest order. A plain readdir walk: measured 2-4x faster
 * here than fast-glob's '**', and nothing here needs glob patterns.
 */
export function walkDir(abs: string, options: { sorted?: boolean } = {}): WalkEntry[] {
  const out: WalkEntry[] = [];
  let wide = false;
  const visit = (dir: string, prefix: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      if (isTempName(d.name) && !d.isDirectory()) continue;
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      wide ||= WIDE_CHAR.test(d.name);
      if (d.isDirectory()) visit(path.join(dir, d.name), rel);
      else out.push({ path: rel, kind: d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other' });
    }
  };
  visit(abs, '');
  if (options.sorted === false) return out;
  return sortWalked(out, wide);
}

/**
 * Sort walked entries into manifest order, in place. Without characters from
 * U+D800 up, UTF-16 order (the engine's own string compare) is UTF-8 byte
 * order, and 2-3x faster a sort than compareUtf8.
 */
function sortWalked(entries: WalkEntry[], wide = entries.some((e) => WIDE_CHAR.test(e.path))): WalkEntry[] {
  return wide ? entries.sort((a, b) => compareUtf8(a.path, b.path)) : entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The digest of a folder's files and their stat signatures (see
 * statSignature), and whether any file is racy. Binary, and in one update:
 * per file, a line of text with five numbers in it cost a third more than the
 * lstat itself. Laid out so that no two listings share a byte stream: the
 * count, then per entry five 64-bit numbers (size, mtime, ctime or -1 for a
 * file with several links, inode, mode; zeros for a non-file), then one kind
 * byte each, then the paths, which cannot hold a NUL, joined by NULs.
 */
function fingerprintOf(abs: string, walked: WalkEntry[]): { digest: string; racy: boolean } {
  const racyFrom = StatCache.racyFrom();
  let racy = false;
  const sigs = new BigInt64Array(walked.length * 5);
  const kinds = new Uint8Array(walked.length);
  const names = new Array<string>(walked.length);
  for (let i = 0; i < walked.length; i++) {
    const entry = walked[i]!;
    names[i] = entry.path;
    kinds[i] = KIND_BYTE[entry.kind];
    if (entry.kind !== 'file') continue;
    const st = fs.lstatSync(joinPosix(abs, entry.path), { bigint: true });
    racy ||= st.mtimeNs >= racyFrom;
    const o = i * 5;
    sigs[o] = st.size;
    sigs[o + 1] = st.mtimeNs;
    sigs[o + 2] = st.nlink > 1n ? -1n : st.ctimeNs;
    sigs[o + 3] = st.ino;
    sigs[o + 4] = st.mode;
  }
  const digest = createHash('sha256').update(`${walked.length}\n`).update(new Uint8Array(sigs.buffer)).update(kinds).update(names.join('\0')).digest('hex');
  return { digest, racy };
}

const KIND_BYTE: Record<WalkEntry['kind'], number> = { file: 1, symlink: 2, other: 3 };

/** A character where UTF-16 and UTF-8 orders can differ (surrogates and U+E000..U+FFFF). */
const WIDE_CHAR = /[\ud800-\uffff]/;

/** `dir/rel` for a POSIX `rel` from {@link walkDir} (path.join normalises: ~5% of a status of 10,000 files). */
function joinPosix(dir: string, rel: string): string {
  return path.sep === '/' ? `${dir}/${rel}` : path.join(dir, rel);
}
