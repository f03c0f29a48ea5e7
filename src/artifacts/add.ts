/**
 * `cairn add`: hash files and directories into the cache, write their
 * pointers, ignore them in git and stage the pointers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { gitAdd, GitError, ignoredPaths, lsFiles } from '../git/git.js';
import { repoRelative, type Repo } from '../repo/repo.js';
import { sweepStaleTemps, writeFileAtomic } from '../durable/atomicWrite.js';
import { lockExclusive, lockShared, withLock, type Lock } from '../durable/lock.js';
import { SMALL_FILE, type AdoptedFile, type LinkType, type StoredObject } from '../store/cache.js';
import { MODE_FILE, renderManifest, type ManifestEntry } from '../store/manifest.js';
import { artifactPathOf, pointerPathOf, POINTER_SUFFIX, renderPointer, type Pointer } from '../store/pointer.js';
import { statSignature } from '../store/statCache.js';
import { unsafePathReason } from '../trust/pathNames.js';
import type { Progress } from '../progress.js';
import { IO_CONCURRENCY, mapLimit } from '../concurrency.js';
import { checkConfined } from '../trust/confine.js';
import { MAX_POINTER_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';
import { checkIgnoreFile, ignoreArtifact, ignoreFileOf } from './gitignore.js';
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
  const inGit = await lsFiles(
    repo.root,
    targets.map((t) => `:(literal)${t.rel}`),
  );
  if (inGit.length) {
    throw new UsageError(`already tracked by git: ${inGit.slice(0, 5).join(', ')}`, {
      hint: `stop tracking it in git first: git rm -r --cached ${inGit[0]}`,
    });
  }
  await refuseIgnored(
    repo,
    targets.map((t) => t.rel),
  );
  return targets;
}

/**
 * Refuse, before anything is written, an artifact whose pointer or
 * `.gitignore` git ignores: git would not stage them, status and gc would not
 * see the pointer, and gc would then delete the only copy of the data.
 */
async function refuseIgnored(repo: Repo, rels: string[]): Promise<void> {
  const wanted = new Map<string, string>();
  for (const rel of rels) {
    wanted.set(pointerPathOf(rel), rel);
    wanted.set(ignoreFileOf(rel), rel);
  }
  const [rule] = await ignoredPaths(repo.root, [...wanted.keys()]);
  if (!rule) return;
  const rel = wanted.get(rule.path)!;
  const what = rule.path === pointerPathOf(rel) ? `its pointer ${rule.path}` : `${rule.path}, where cairn records it,`;
  throw new UnsafeError(
    `cannot add ${rel}: ${what} is ignored by git (${rule.source}:${rule.line}:${rule.pattern}), so it could not be staged and cairn gc would delete the data`,
    {
      hint: `change that rule in ${rule.source} so git does not ignore ${rule.path} (a rule "dir/" hides everything below dir; "dir/*" with "!dir/*.cairn" keeps pointers visible), or move the file out of the ignored folder`,
      data: { path: rel, ignored: rule.path, source: rule.source, line: rule.line, pattern: rule.pattern },
    },
  );
}

/** Edits of `.gitignore` files and of git's index, one cairn process at a time per worktree. */
function lockStaging(repo: Repo): Promise<Lock> {
  return lockExclusive(path.join(repo.stateDir, 'locks', 'staging'), { command: 'cairn add (staging)' });
}

/** A workspace file adopted in `symlink` mode, to become a symlink to its object once a pointer names it. */
interface PendingSymlink {
  abs: string;
  adopted: AdoptedFile;
}

/** Add files and directories as artifacts. */
export async function addArtifacts(repo: Repo, options: AddOptions): Promise<AddedArtifact[]> {
  const targets = await resolveTargets(repo, options);
  const link = repo.config.cache.link;
  return withLock(lockShared(repo.cache.locksDir, { command: 'cairn add' }), async () => {
    // Temp files of adds that were killed or interrupted (Ctrl-C): in the cache, and beside the targets.
    repo.cache.sweepTemps();
    for (const dir of new Set(targets.map((t) => path.dirname(path.join(repo.root, t.rel))))) sweepStaleTemps(dir);
    const observer = new WorkspaceObserver(repo, options.progress);
    const added: AddedArtifact[] = [];
    const toStage: string[] = [];
    try {
      for (const target of targets) {
        const symlinks: PendingSymlink[] = [];
        const pointer =
          target.kind === 'file'
            ? await storeFileArtifact(repo, observer, target.rel, link, symlinks, options.progress)
            : await storeDirArtifact(repo, observer, target.rel, link, symlinks, options.progress);
        const pointerRel = pointerPathOf(target.rel);
        const text = renderPointer(pointer);
        const pointerAbs = path.join(repo.root, pointerRel);
        const { previous, ignore } = await withLock(lockStaging(repo), async () => {
          // The .gitignore line first: a kill between the two leaves the data
          // ignored (never committed by `git add -A`) rather than unignored.
          const ignore = ignoreArtifact(repo.root, target.rel);
          const read = readUntrustedFile(pointerAbs, MAX_POINTER_BYTES);
          const previous = read.kind === 'text' ? read.text : null;
          if (previous !== text) writeFileAtomic(pointerAbs, text);
          return { previous, ignore };
        });
        // Only now that the pointer names the objects may the files become links to them.
        for (const { abs, adopted } of symlinks) await repo.cache.linkWorkspace(adopted, abs, 'symlink');
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
    if (options.stage ?? true) await withLock(lockStaging(repo), () => stage(repo, toStage));
    return added;
  });
}

/** `git add` the pointers and .gitignore files; a lock git keeps holding is reported with what is left to do. */
async function stage(repo: Repo, paths: string[]): Promise<void> {
  try {
    await gitAdd(
      repo.root,
      paths.map((p) => `:(literal)${p}`),
    );
  } catch (err) {
    if (!(err instanceof GitError) || !/index\.lock/.test(String(err.data.stderr))) throw err;
    throw new ConflictError('could not stage the pointers: another git process keeps the index locked', {
      hint: `the data is stored and the pointers are written; stage them once the other git command is done: git add -- ${paths.join(' ')} (if no git command is running, a crashed one left ${path.join(repo.gitDir, 'index.lock')}: remove it)`,
      data: { paths },
      cause: err,
    });
  }
}

async function storeFileArtifact(
  repo: Repo,
  observer: WorkspaceObserver,
  rel: string,
  link: LinkType,
  symlinks: PendingSymlink[],
  progress?: Progress,
): Promise<Pointer> {
  const abs = path.join(repo.root, rel);
  const st = fs.lstatSync(abs, { bigint: true });
  const name = path.posix.basename(rel);
  const known = observer.statCache.lookup(rel, st);
  if (known && repo.cache.has(known)) return { cairn: 1, kind: 'file', path: name, hash: known, size: Number(st.size) };
  progress?.start(`hashing ${rel}`, Number(st.size), 'B');
  try {
    const stored = await storeOne(repo, abs, st, link, symlinks, (n) => progress?.tick(n));
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
  symlinks: PendingSymlink[],
  onBytes: (n: number) => void,
): Promise<StoredObject> {
  if (link === 'hardlink' || link === 'symlink') {
    const adopted = await repo.cache.adoptFile(abs, link, onBytes);
    if (link === 'symlink') symlinks.push({ abs, adopted });
    return adopted;
  }
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
  symlinks: PendingSymlink[],
  progress?: Progress,
): Promise<Pointer> {
  const abs = path.join(repo.root, rel);
  const walked = walkDir(abs);
  // Symlinks into the cache (a folder added in `symlink` mode, perhaps by an
  // add that was interrupted half-way) stand for their objects.
  const linkedObjects = new Map<number, string>();
  walked.forEach((e, i) => {
    const hash = e.kind === 'symlink' ? observer.symlinkedObject(path.join(abs, e.path)) : null;
    if (hash && repo.cache.has(hash)) linkedObjects.set(i, hash);
  });
  const bad = walked.filter((e, i) => e.kind !== 'file' && !linkedObjects.has(i));
  if (bad.length) {
    throw new UsageError(
      `${rel} holds entries that are not regular files: ${bad
        .slice(0, 5)
        .map((e) => e.path)
        .join(', ')}`,
      {
        hint: 'cairn stores regular files only; replace symlinks by the files they point to',
      },
    );
  }
  for (const e of walked) {
    const reason = unsafePathReason(e.path);
    if (reason) throw new UnsafeError(`cannot add ${rel}/${e.path}: ${reason}`, { hint: 'rename the file' });
  }
  const cached = observer.statCache.under(rel);
  const stats = walked.map((e) => fs.lstatSync(path.join(abs, e.path), { bigint: true }));
  progress?.start(
    `hashing ${rel}`,
    stats.reduce((s, st) => s + Number(st.size), 0),
    'B',
  );
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
      // The size recorded is that of the bytes stored, not the stat's: a file
      // that grew while it was read would otherwise look modified forever.
      let stored: StoredObject;
      const linked = linkedObjects.get(i);
      if (linked) {
        stored = { hash: linked, size: fs.statSync(repo.cache.objectPath(linked)).size };
        entries[i] = { path: e.path, ...stored, mode: MODE_FILE };
        return;
      }
      if (known && repo.cache.has(known)) {
        stored = { hash: known, size: Number(st.size) };
        progress?.tick(Number(st.size));
      } else if (small && st.size <= BigInt(SMALL_FILE)) {
        const data = fs.readFileSync(path.join(abs, e.path));
        stored = batch.add(data);
        progress?.tick(data.length);
        observer.remember(fileRel, stored.hash, st);
      } else {
        stored = await storeOne(repo, path.join(abs, e.path), st, link, symlinks, (n) => progress?.tick(n));
        if (link === 'hardlink') observer.remember(fileRel, stored.hash);
        else if (link !== 'symlink') observer.remember(fileRel, stored.hash, st);
      }
      entries[i] = { path: e.path, hash: stored.hash, size: stored.size, mode: modeOf(st) };
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
