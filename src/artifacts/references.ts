/**
 * Which objects a set of revisions and worktrees needs: the pointers they
 * hold, and for directories the manifest and every file it lists. Used by
 * push, fetch, gc, and the worktree safety checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CairnError } from '../errors.js';
import { blobsInCommits, refNames, stagedObjects } from '../git/git.js';
import { readBlobs } from '../git/revision.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import type { Cache } from '../store/cache.js';
import { artifactPathOf, isPointerPath, parsePointer, POINTER_SUFFIX, type Pointer } from '../store/pointer.js';
import { readManifest } from './inspect.js';
import { loadArtifacts } from './workspace.js';

export interface PointerRef {
  pointer: Pointer;
  /** Where it was found: `workspace:<path>`, `<rev>:<path>`, `index:<path>`. */
  where: string;
}

export interface ReferenceScope {
  /** The pointers in this worktree's files (default: yes, unless `revs` are given). */
  workspace?: boolean;
  revs?: string[];
  allTags?: boolean;
  allBranches?: boolean;
  /** Every commit reachable from any ref (as DVC's --all-commits). */
  allCommits?: boolean;
}

/** The pointers a scope covers. With no scope flags, the workspace. */
export async function collectPointers(repo: Repo, scope: ReferenceScope): Promise<PointerRef[]> {
  const out: PointerRef[] = [];
  const revs = [...(scope.revs ?? [])];
  if (scope.allTags) revs.push(...(await refNames(repo.root, ['refs/tags'])));
  if (scope.allBranches) revs.push(...(await refNames(repo.root, ['refs/heads'])));
  // The workspace is always in scope, except when revisions alone were named (--rev), as with DVC.
  const workspace = scope.workspace ?? (scope.revs ?? []).length === 0;
  if (workspace) {
    for (const a of await loadArtifacts(repo)) out.push({ pointer: a.pointer, where: `workspace:${a.pointerPath}` });
  }
  for (const rev of [...new Set(revs)]) {
    for (const p of await pointersAt(repo.root, rev)) out.push({ pointer: p.pointer, where: `${rev}:${p.pointerPath}` });
  }
  if (scope.allCommits) out.push(...(await pointersInCommits(repo.root, ['--all'])));
  return out;
}

/**
 * The pointers staged in a worktree's index (what the next commit will hold).
 * With `gitDir` (a linked worktree's folder under `<common dir>/worktrees/`,
 * and `cwd` that folder) the index is read from there, so a worktree whose
 * folder was moved away or unmounted still counts.
 */
export async function stagedPointers(cwd: string, options: { gitDir?: string } = {}): Promise<PointerRef[]> {
  const entries = (await stagedObjects(cwd, `*${POINTER_SUFFIX}`, options)).filter((e) => isPointerPath(e.path));
  const blobs = await readBlobs(
    cwd,
    entries.map((e) => e.object),
  );
  return entries.map((e, i) => ({
    pointer: parsePointer(blobs[i]!.toString('utf8'), `index:${e.path}`, path.posix.basename(artifactPathOf(e.path))),
    where: `index:${e.path}`,
  }));
}

/**
 * Every pointer blob in the commits that `git rev-list <revs>` walks (e.g.
 * `--all --reflog`, or `HEAD --not --remotes`), read with one rev-list and
 * one cat-file, however long the history. Pointer blobs that do not parse
 * are skipped.
 */
export async function pointersInCommits(cwd: string, revs: string[]): Promise<PointerRef[]> {
  const blobs = new Map<string, string>();
  for (const { object, path: file } of await blobsInCommits(cwd, revs)) if (isPointerPath(file)) blobs.set(object, file);
  const ids = [...blobs.keys()];
  const data = await readBlobs(cwd, ids);
  const out: PointerRef[] = [];
  ids.forEach((id, i) => {
    const file = blobs.get(id)!;
    try {
      out.push({ pointer: parsePointer(data[i]!.toString('utf8'), `history:${file}`, path.posix.basename(artifactPathOf(file))), where: `history:${file}` });
    } catch (err) {
      // History cannot be mended: a pointer that was committed broken (a merge
      // conflict, a hand edit) names no object, so it is passed over.
      if (!(err instanceof CairnError)) throw err;
    }
  });
  return out;
}

export interface ObjectSet {
  /** Every object needed: hash → size (-1 when unknown: a manifest not in the cache). */
  objects: Map<string, number>;
  /** Directory manifests that are not in the cache, so their files are unknown. */
  unknownManifests: Map<string, string>;
  /** Manifests among `objects` (transfers order them after their files). */
  manifests: Set<string>;
}

/** Expand pointers into the objects they need, reading manifests from the cache. */
export function expandObjects(cache: Cache, refs: PointerRef[]): ObjectSet {
  const set: ObjectSet = { objects: new Map(), unknownManifests: new Map(), manifests: new Set() };
  const seenDirs = new Set<string>();
  for (const { pointer, where } of refs) {
    if (pointer.kind === 'file') {
      set.objects.set(pointer.hash, pointer.size);
      continue;
    }
    if (seenDirs.has(pointer.hash)) continue;
    seenDirs.add(pointer.hash);
    set.manifests.add(pointer.hash);
    const manifest = readManifest(cache, pointer);
    if (!manifest) {
      set.objects.set(pointer.hash, -1);
      set.unknownManifests.set(pointer.hash, where);
      continue;
    }
    set.objects.set(pointer.hash, fs.statSync(cache.objectPath(pointer.hash)).size);
    for (const e of manifest) set.objects.set(e.hash, e.size);
  }
  return set;
}
