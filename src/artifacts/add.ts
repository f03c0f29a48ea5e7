/**
 * `cairn add`: hash files and directories into the cache, write their
 * pointers, ignore them in git and stage the pointers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { gitAdd, lsFiles } from '../git/git.js';
import { repoRelative, type Repo } from '../repo/repo.js';
import { sweepStaleTemps, writeFileAtomic } from '../durable/atomicWrite.js';
import { lockShared, withLock } from '../durable/lock.js';
import { SMALL_FILE, type LinkType } from '../store/cache.js';
import { renderManifest, type ManifestEntry } from '../store/manifest.js';
import {
  artifactPathOf,
  pointerPathOf,
  POINTER_SUFFIX,
  renderPointer,
  type Pointer,
} from '../store/pointer.js';
import { statSignature } from '../store/statCache.js';
import { unsafePathReason } from '../trust/pathNames.js';
import type { Progress } from '../progress.js';
import { IO_CONCURRENCY, mapLimit } from '../concurrency.js';
import { checkConfined } from '../trust/confine.js';
import { MAX_POINTER_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';
import { checkIgnoreFile, ignoreArtifact } from './gitignore.js';
import { findPointerFiles, isWithin, modeOf, walkDir, WorkspaceObserver } from './workspace.js';

/** Options of {@link addArtifacts}: the files and folders to add, relative to `cwd`. */
export interface AddOptions {
  /** Folder the paths are relative to. */
  cwd: string;
  paths: string[];
  progress?: Progress;
  /** Stage pointers and .gitignore files with git (default true). */
  stage?: boolean;
}

/** One artifact {@link addArtifacts} recorded: its repo-relative path and pointer path, and the content its pointer now names. */
export interface AddedArtifact {
  path: string;
  pointer: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
  files?: number;
  /** False when the artifact was already recorded with this content. */
  changed: boolean;
}

/** Validate what the user asked to add, before anything is written. */
async function resolveTargets(repo: Repo, options: AddOptions): Promise<{ rel: string; kind: 'file' | 'dir' }[]> {
  if (options.paths.length === 0) throw new UsageError('nothing to add', { hint: 'cairn add <file-or-folder>...' });
  const existing = (await findPointerFiles(repo)).map(artifactPathOf);
  const targets: { rel: string; kind: 'file' | 'dir' }[] = [];
  for (const userPath of options.paths) {
    const rel = repoRelative(repo, options.cwd, userPath);
    if (rel === '') throw new UsageError('cannot add the whole work tree', { hint: 'add the data folders or files inside it' });
    const reason = unsafePathReason(rel);
    if (reason) throw new UnsafeError(`cannot add ${userPath}: ${reason}`, { hint: 'rename the file' });
    if (rel.endsWith(POINTER_SUFFIX)) {
      throw new UsageError(`${userPath} is a pointer file`, { hint: `add the artifact itself: cairn add ${artifactPathOf(userPath)}` });
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(repo.root, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(`no such file or directory: ${userPath}`, { hint: 'check the path; cairn add takes files and folders' });
      }
      throw err;
    }
    if (st.isSymbolicLink()) {
      throw new UsageError(`${userPath} is a symlink`, { hint: 'add the file it points to instead' });
    }
    if (!st.isFile() && !st.isDirectory()) throw new UsageError(`${userPath} is not a regular file or folder`);
    const outer = existing.find((a) => a !== rel && isWithin(rel, a));
    if (outer) {
      throw new UsageError(`${userPath} is inside the tracked folder ${outer}`, { hint: `re-add the whole folder: cairn add ${outer}` });
    }
    const inner = existing.filter((a) => a !== rel && isWithin(a, rel));
    if (inner.length) {
      throw new UsageError(`${userPath} contains tracked artifacts: ${inner.slice(0, 5).join(', ')}`, {
        hint: 'untrack them first (cairn untrack <path>), then add the folder',
      });
    }
    // Before the first write: the pointer and the .gitignore beside it are files cairn will replace.
    checkConfined(repo.root, pointerPathOf(rel), `write the pointer of ${rel}`, { leaf: true });
    checkIgnoreFile(repo.root, rel);
    targets.push({ rel, kind: st.isDirectory() ? 'dir' : 'file' });
  }
  const inGit = await lsFiles(repo.root, targets.map((t) => `:(literal)${t.rel}`));
  if (inGit.length) {
    throw new UsageError(`already tracked by git: ${inGit.slice(0, 5).join(', ')}`, {
      hint: `stop tracking it in git first: git rm -r --cached ${inGit[0]}`,
    });
  }
  return targets;
}

/** Add files and directories as artifacts. */
export async function addArtifacts(repo: Repo, options: AddOptions): Promise<AddedArtifact[]> {
  const targets = await resolveTargets(repo, options);
  const link = repo.config.cache.link;
  return withLock(lockShared(repo.cache.locksDir, { command: 'cairn add' }), async () => {
    for (const dir of new Set(targets.map((t) => path.dirname(path.join(repo.root, t.rel))))) sweepStaleTemps(dir);
    const observer = new WorkspaceObserver(repo, options.progress);
    const added: AddedArtifact[] = [];
    const toStage: string[] = [];
    try {
      for (const target of targets) {
        const pointer =
          target.kind === 'file'
            ? await storeFileArtifact(repo, observer, target.rel, link, options.progress)
            : await storeDirArtifact(repo, observer, target.rel, link, options.progress);
        const pointerRel = pointerPathOf(target.rel);
        const text = renderPointer(pointer);
        const pointerAbs = path.join(repo.root, pointerRel);
        const read = readUntrustedFile(pointerAbs, MAX_POINTER_BYTES);
        const previous = read.kind === 'text' ? read.text : null;
        if (previous !== text) writeFileAtomic(pointerAbs, text);
        const ignore = ignoreArtifact(repo.root, target.rel);
        toStage.push(pointerRel, ...(ignore ? [ignore] : []));
        added.push({
          path: target.rel,
          pointer: pointerRel,
          kind: pointer.kind,
          hash: pointer.hash,
          size: pointer.size,
          ...(pointer.kind === 'dir' ? { files: pointer.files } : {}),
          changed: previous !== text,
        });
        observer.flush();
      }
    } finally {
      observer.close();
      repo.cache.verified.flush();
    }
    if (options.stage ?? true) await gitAdd(repo.root, toStage.map((p) => `:(literal)${p}`));
    return added;
  });
}

async function storeFileArtifact(
  repo: Repo,
  observer: WorkspaceObserver,
  rel: string,
  link: LinkType,
  progress?: Progress,
): Promise<Pointer> {
  const abs = path.join(repo.root, rel);
  const st = fs.lstatSync(abs, { bigint: true });
  const name = path.posix.basename(rel);
  const known = observer.statCache.lookup(rel, st);
  if (known && repo.cache.has(known)) return { cairn: 1, kind: 'file', path: name, hash: known, size: Number(st.size) };
  progress?.start(`hashing ${rel}`, Number(st.size), 'B');
  try {
    const stored = await storeOne(repo, abs, st, link, (n) => progress?.tick(n));
    // Copies keep the stat read before hashing; links changed the inode's ctime, so stat again.
    if (link === 'copy' || link === 'reflink') observer.remember(rel, stored.hash, st);
    else if (link === 'hardlink') observer.remember(rel, stored.hash);
    return { cairn: 1, kind: 'file', path: name, hash: stored.hash, size: stored.size };
  } finally {
    progress?.stop();
  }
}

async function storeOne(
  repo: Repo,
  abs: string,
  st: fs.BigIntStats,
  link: LinkType,
  onBytes: (n: number) => void,
): Promise<{ hash: string; size: number }> {
  if (link === 'hardlink' || link === 'symlink') return repo.cache.adoptFile(abs, link, onBytes);
  if (st.size <= BigInt(SMALL_FILE)) {
    const data = fs.readFileSync(abs);
    onBytes(data.length);
    return repo.cache.storeBytes(data);
  }
  return repo.cache.storeFile(abs, { onBytes });
}

async function storeDirArtifact(
  repo: Repo,
  observer: WorkspaceObserver,
  rel: string,
  link: LinkType,
  progress?: Progress,
): Promise<Pointer> {
  const abs = path.join(repo.root, rel);
  const walked = walkDir(abs);
  const bad = walked.filter((e) => e.kind !== 'file');
  if (bad.length) {
    throw new UsageError(`${rel} holds entries that are not regular files: ${bad.slice(0, 5).map((e) => e.path).join(', ')}`, {
      hint: 'cairn stores regular files only; replace symlinks by the files they point to',
    });
  }
  for (const e of walked) {
    const reason = unsafePathReason(e.path);
    if (reason) throw new UnsafeError(`cannot add ${rel}/${e.path}: ${reason}`, { hint: 'rename the file' });
  }
  const cached = observer.statCache.under(rel);
  const stats = walked.map((e) => fs.lstatSync(path.join(abs, e.path), { bigint: true }));
  progress?.start(`hashing ${rel}`, stats.reduce((s, st) => s + Number(st.size), 0), 'B');
  const batch = repo.cache.batch();
  const entries = new Array<ManifestEntry>(walked.length);
  const small = link === 'copy' || link === 'reflink';
  try {
    // Small files are read and staged concurrently; large ones stream one at a time.
    await mapLimit(walked, IO_CONCURRENCY, async (e, i) => {
      const st = stats[i]!;
      const fileRel = `${rel}/${e.path}`;
      const hit = cached.get(fileRel);
      const known = hit && hit[0] === statSignature(st) ? hit[1] : null;
      let hash: string;
      if (known && repo.cache.has(known)) {
        hash = known;
        progress?.tick(Number(st.size));
      } else if (small && st.size <= BigInt(SMALL_FILE)) {
        const data = fs.readFileSync(path.join(abs, e.path));
        hash = batch.add(data).hash;
        progress?.tick(data.length);
        observer.remember(fileRel, hash, st);
      } else {
        hash = (await storeOne(repo, path.join(abs, e.path), st, link, (n) => progress?.tick(n))).hash;
        if (link === 'hardlink') observer.remember(fileRel, hash);
        else if (link !== 'symlink') observer.remember(fileRel, hash, st);
      }
      entries[i] = { path: e.path, hash, size: Number(st.size), mode: modeOf(st) };
    });
    batch.commit();
  } catch (err) {
    batch.abort();
    throw err;
  } finally {
    progress?.stop();
  }
  const manifest = repo.cache.storeBytes(Buffer.from(renderManifest(entries), 'utf8'));
  const size = entries.reduce((s, e) => s + e.size, 0);
  return { cairn: 1, kind: 'dir', path: path.posix.basename(rel), hash: manifest.hash, files: entries.length, size };
}
