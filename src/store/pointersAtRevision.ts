/**
 * The cairn pointers a git revision holds, read from git's object database
 * (no checkout): src/git/ lists the tree and reads the blobs, this parses
 * them as pointers.
 */
import path from 'node:path';
import { listTree, readBlobs, type TreeEntry } from '../git/revision.js';
import { artifactPathOf, isPointerPath, parsePointer, type Pointer } from './pointer.js';

export interface PointerAt {
  /** The pointer file's path from the worktree root. */
  pointerPath: string;
  /** The artifact's path from the worktree root. */
  path: string;
  pointer: Pointer;
}

/** Every pointer file committed at `rev`, parsed and validated. */
export async function pointersAt(cwd: string, rev: string): Promise<PointerAt[]> {
  return pointersIn(cwd, await listTree(cwd, rev), rev);
}

/** The pointer files among a tree listing of `rev` (see listTree), parsed and validated. */
export async function pointersIn(cwd: string, tree: TreeEntry[], rev: string): Promise<PointerAt[]> {
  const entries = tree.filter((e) => e.type === 'blob' && isPointerPath(e.path));
  const blobs = await readBlobs(
    cwd,
    entries.map((e) => e.object),
  );
  return entries.map((e, i) => ({
    pointerPath: e.path,
    path: artifactPathOf(e.path),
    pointer: parsePointer(blobs[i]!.toString('utf8'), `${rev}:${e.path}`, path.posix.basename(artifactPathOf(e.path))),
  }));
}
