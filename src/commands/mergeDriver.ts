/**
 * `cairn merge-driver %O %A %B %P`: git's merge driver for `*.cairn` pointer
 * files (registered by `cairn init` and `cairn hooks install`; see
 * src/hooks/mergeDriver.ts). git calls it when both sides changed a pointer,
 * in `git merge`, `git rebase` and `git cherry-pick` alike.
 *
 * - Both sides point at a results database (SQLite, DuckDB, parquet, read
 *   from the bytes): their rows are merged by cairn's merge rules (`cairn
 *   merge`, strategy merge, conflicts refused) into a new cache object, and
 *   the merged pointer is what git records. The workspace copy follows when
 *   it held our side unchanged.
 * - Anything else that both sides changed is a conflict: the pointer gets
 *   git's conflict markers (status then says "in merge conflict" with the
 *   steps), and the driver exits 1 so that git stops.
 *
 * Combines the store, pointer and results domains: a command, not a domain.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CairnError, UsageError } from '../errors.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { parsePointer, renderPointer, POINTER_SUFFIX, type FilePointer, type Pointer } from '../store/pointer.js';
import { hashFile } from '../store/hash.js';
import { detectKind } from '../results/database.js';
import { mergeResults } from '../results/merge.js';
import { mergeFailure } from '../results/mergeResult.js';
import { checkConfined } from '../trust/confine.js';
import { MAX_POINTER_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';
import { shortHash } from '../display.js';

/** The files git hands the driver: `%O` ancestor, `%A` ours (the result is written here), `%B` theirs, `%P` the path. */
export interface MergeDriverOptions {
  cwd: string;
  ancestor: string;
  ours: string;
  theirs: string;
  /** The pointer's repo-relative path (git's %P). */
  path: string;
}

/** What {@link runMergeDriver} did: took one side, merged two databases into a new object, or left a conflict. */
export interface MergeDriverResult {
  outcome: 'taken' | 'merged' | 'conflict';
  message: string;
  /** The pointer written to `ours` (merged or taken), when not a conflict. */
  pointer?: Pointer;
  /** Whether the workspace copy of the artifact now holds the merged bytes. */
  workspaceUpdated?: boolean;
}

/** What to do with three pointer texts. Pure. */
export type PointerMergePlan =
  | { kind: 'take'; text: string; side: 'ours' | 'theirs' }
  | { kind: 'mergeResults'; ours: FilePointer; theirs: FilePointer }
  | { kind: 'conflict'; reason: string };

/**
 * Decide what the merge driver does with the three texts of a pointer: take a
 * side when only one changed (or both agree), merge when both point at a
 * file (a results database, checked from its bytes later), else a conflict.
 */
export function planPointerMerge(ancestor: string, ours: string, theirs: string, where: string): PointerMergePlan {
  if (ours === theirs) return { kind: 'take', text: ours, side: 'ours' };
  if (ours === ancestor) return { kind: 'take', text: theirs, side: 'theirs' };
  if (theirs === ancestor) return { kind: 'take', text: ours, side: 'ours' };
  let a: Pointer;
  let b: Pointer;
  try {
    a = parsePointer(ours, where);
    b = parsePointer(theirs, where);
  } catch (err) {
    return { kind: 'conflict', reason: `a side is not a valid pointer (${(err as Error).message})` };
  }
  if (a.hash === b.hash) return { kind: 'take', text: ours, side: 'ours' };
  if (a.kind === 'file' && b.kind === 'file' && a.path === b.path) return { kind: 'mergeResults', ours: a, theirs: b };
  return {
    kind: 'conflict',
    reason: `both sides changed ${a.kind === 'dir' || b.kind === 'dir' ? 'the folder' : 'the file'}, and only results databases merge`,
  };
}

/** The pointer text git leaves in the work tree when the driver cannot merge. */
export function conflictText(ours: string, theirs: string): string {
  const end = (s: string) => (s.endsWith('\n') ? s : s + '\n');
  return `<<<<<<< ours\n${end(ours)}=======\n${end(theirs)}>>>>>>> theirs\n`;
}

function readSide(file: string, side: string): string {
  const read = readUntrustedFile(file, MAX_POINTER_BYTES);
  if (read.kind === 'text') return read.text;
  // git hands the driver three files that exist (an empty ancestor when there is none): anything else is a misuse.
  throw new UsageError(`merge-driver: the ${side} file ${file} ${read.kind === 'missing' ? 'does not exist' : `is refused: it ${read.why}`}`, {
    hint: 'git runs cairn merge-driver %O %A %B %P itself (registered by cairn init); it is not meant to be run by hand',
  });
}

/** Run the driver: write the result to `options.ours`; a conflict leaves markers there. */
export async function runMergeDriver(options: MergeDriverOptions): Promise<MergeDriverResult> {
  const [ancestor, ours, theirs] = [readSide(options.ancestor, 'ancestor'), readSide(options.ours, 'ours'), readSide(options.theirs, 'theirs')];
  const plan = planPointerMerge(ancestor, ours, theirs, options.path);
  if (plan.kind === 'take') {
    fs.writeFileSync(options.ours, plan.text);
    return { outcome: 'taken', message: `${options.path}: took ${plan.side === 'ours' ? 'our' : 'their'} side (the other did not change it)` };
  }
  const conflict = (reason: string): MergeDriverResult => {
    fs.writeFileSync(options.ours, conflictText(ours, theirs));
    return { outcome: 'conflict', message: `${options.path}: ${reason}` };
  };
  if (plan.kind === 'conflict') return conflict(plan.reason);
  let repo: Repo;
  try {
    repo = await openRepo(options.cwd);
  } catch (err) {
    return conflict(`cannot open the repository (${(err as Error).message})`);
  }
  for (const [side, p] of [
    ['ours', plan.ours],
    ['theirs', plan.theirs],
  ] as const) {
    if (!repo.cache.has(p.hash))
      return conflict(`${side} side's object ${shortHash(p.hash)} is not in the cache (cairn fetch --all-branches, then merge again)`);
  }
  const kindOf = (hash: string): string | null => {
    try {
      return detectKind(repo.cache.objectPath(hash));
    } catch {
      return null; // not a results file
    }
  };
  const kinds = [kindOf(plan.ours.hash), kindOf(plan.theirs.hash)];
  if (kinds[0] === null || kinds[0] !== kinds[1]) {
    return conflict('both sides changed it, and it is not a results database on both (only those merge)');
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-merge-driver-'));
  try {
    const name = plan.ours.path;
    const target = path.join(scratch, name);
    const source = path.join(scratch, `theirs-${name}`);
    fs.copyFileSync(repo.cache.objectPath(plan.ours.hash), target);
    fs.copyFileSync(repo.cache.objectPath(plan.theirs.hash), source);
    fs.chmodSync(target, 0o644);
    try {
      const result = await mergeResults({ cwd: scratch, target, sources: [source], repo: null, strategy: 'merge', onConflict: 'fail' });
      const failure = mergeFailure(result);
      if (failure || !result.applied) throw failure ?? new CairnError('the merge wrote nothing');
    } catch (err) {
      if (err instanceof CairnError) return conflict(`the two databases do not merge: ${err.message.split('\n')[0]}`);
      throw err;
    }
    const stored = await repo.cache.storeFile(target);
    const pointer: FilePointer = { cairn: 1, kind: 'file', path: name, hash: stored.hash, size: stored.size };
    fs.writeFileSync(options.ours, renderPointer(pointer));
    const workspaceUpdated = await followInWorkspace(repo, options.path, plan.ours.hash, stored.hash);
    return {
      outcome: 'merged',
      message: `${options.path}: merged the rows of both sides (${shortHash(stored.hash)})${workspaceUpdated ? '' : '; run cairn checkout to update the workspace copy'}`,
      pointer,
      workspaceUpdated,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Replace the workspace copy with the merged bytes when it held our side unchanged (nothing is lost: our side is in the cache). */
async function followInWorkspace(repo: Repo, pointerPath: string, oursHash: string, mergedHash: string): Promise<boolean> {
  if (!pointerPath.endsWith(POINTER_SUFFIX)) return false;
  const rel = pointerPath.slice(0, -POINTER_SUFFIX.length);
  try {
    checkConfined(repo.root, rel, `update ${rel}`);
  } catch {
    return false;
  }
  const abs = path.join(repo.root, rel);
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (st && (!st.isFile() || (await hashFile(abs)).hash !== oursHash)) return false;
  await repo.cache.materialize(mergedHash, abs, {
    link: repo.config.cache.link === 'copy' || repo.config.cache.link === 'reflink' ? repo.config.cache.link : 'copy',
    executable: false,
    fresh: !st,
  });
  return true;
}
