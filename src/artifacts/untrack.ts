/**
 * `cairn untrack`: stop tracking an artifact, keeping its file. A workspace
 * copy that is a link into the cache is replaced by a real, writable copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { gitAdd, removeFromIndex } from '../git/git.js';
import { repoRelative, type Repo } from '../repo/repo.js';
import { checkConfined } from '../trust/confine.js';
import { checkIgnoreFile, unignoreArtifact } from './gitignore.js';
import { readManifest } from './inspect.js';
import { loadArtifacts, walkDir, type Artifact } from './workspace.js';

/** Options of {@link untrack}: the artifact (or its pointer), relative to `cwd`. */
export interface UntrackOptions {
  cwd: string;
  path: string;
}

/** The artifact {@link untrack} stopped tracking, with its (now deleted) pointer path. */
export interface UntrackResult {
  path: string;
  pointer: string;
  /** Files that were links into the cache and are now independent copies. */
  unlinked: number;
}

/** Replace links into the cache (hardlink or symlink mode) by plain copies. */
async function detachFromCache(repo: Repo, artifact: Artifact): Promise<number> {
  const abs = path.join(repo.root, artifact.path);
  const files: { abs: string; hash: string; mode: number }[] = [];
  if (artifact.pointer.kind === 'file') {
    files.push({ abs, hash: artifact.pointer.hash, mode: 0o644 });
  } else {
    const manifest = readManifest(repo.cache, artifact.pointer) ?? [];
    const byPath = new Map(manifest.map((e) => [e.path, e]));
    if (fs.existsSync(abs)) {
      for (const w of walkDir(abs)) {
        const e = byPath.get(w.path);
        if (e) files.push({ abs: path.join(abs, w.path), hash: e.hash, mode: e.mode });
      }
    }
  }
  let unlinked = 0;
  for (const f of files) {
    const st = fs.lstatSync(f.abs, { throwIfNoEntry: false });
    if (!st || !repo.cache.has(f.hash)) continue;
    const linked = st.isSymbolicLink() || (st.nlink > 1 && st.ino === fs.statSync(repo.cache.objectPath(f.hash)).ino);
    if (!linked) continue;
    await repo.cache.materialize(f.hash, f.abs, { link: 'copy', executable: f.mode === 0o755 });
    unlinked++;
  }
  return unlinked;
}

/**
 * Stop tracking an artifact but keep its file or folder: links into the cache
 * become plain copies, the pointer is deleted and unstaged, and the artifact's
 * `.gitignore` entry is removed (and staged). Throws UsageError when the path
 * is not an artifact.
 */
export async function untrack(repo: Repo, options: UntrackOptions): Promise<UntrackResult> {
  const rel = repoRelative(repo, options.cwd, options.path);
  const [artifact] = (await loadArtifacts(repo, [rel])).filter((a) => a.path === rel || a.pointerPath === rel);
  if (!artifact) {
    throw new UsageError(`${options.path} is not an artifact`, { hint: 'name the artifact itself (the file or folder beside its .cairn pointer)' });
  }
  // Every write below goes inside the artifact and to its .gitignore: check both before the first.
  checkConfined(repo.root, artifact.path, `untrack ${artifact.path}`);
  checkIgnoreFile(repo.root, artifact.path);
  const unlinked = await detachFromCache(repo, artifact);
  await removeFromIndex(repo.root, [artifact.pointerPath]);
  fs.rmSync(path.join(repo.root, artifact.pointerPath), { force: true });
  const ignore = unignoreArtifact(repo.root, artifact.path);
  if (ignore) await gitAdd(repo.root, [`:(literal)${ignore}`]);
  return { path: artifact.path, pointer: artifact.pointerPath, unlinked };
}
