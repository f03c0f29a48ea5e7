/**
 * `cairn worktree list`: every worktree, with what removing it would lose and
 * whether its results are merged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../repo/repo.js';
import { listWorktrees } from '../git/worktrees.js';
import { mergeResults } from '../results/merge.js';
import { confinedFile } from '../trust/confine.js';
import { BRANCH_PREFIX, lastTag } from '../worktrees/worktrees.js';
import { readExplorations } from '../worktrees/registry.js';
import { inspectWorktree } from './inspectWorktree.js';

/** One worktree as {@link listExperimentWorktrees} reports it: its kind, and what removing it would lose. `branch` is the short name. */
export interface WorktreeEntry {
  path: string;
  branch: string | null;
  head: string | null;
  kind: 'main' | 'experiment' | 'exploration' | 'other';
  /** Uncommitted git changes or modified artifacts. */
  dirty: boolean;
  /** The newest experiment tag reachable from its HEAD. */
  lastTag: string | null;
  /** Objects its artifacts need that the default remote lacks (null: no remote). */
  notPushed: number | null;
  /** Are its results rows already in the main worktree's database? */
  resultsMerged: 'yes' | 'no' | 'unknown';
}

/** Every worktree (main included) with what would be lost by removing it. */
export async function listExperimentWorktrees(repo: Repo): Promise<WorktreeEntry[]> {
  const explorations = new Set(readExplorations(repo).map((e) => path.resolve(e.path)));
  const hasRemote = Object.keys(repo.config.remotes).length > 0;
  const out: WorktreeEntry[] = [];
  const all = await listWorktrees(repo.root);
  for (const [i, wt] of all.entries()) {
    if (wt.bare) continue;
    const branch = wt.branch?.replace(/^refs\/heads\//, '') ?? null;
    const kind: WorktreeEntry['kind'] =
      i === 0 ? 'main' : explorations.has(path.resolve(wt.path)) ? 'exploration' : branch?.startsWith(BRANCH_PREFIX) ? 'experiment' : 'other';
    const entry: WorktreeEntry = { path: wt.path, branch, head: wt.head, kind, dirty: false, lastTag: null, notPushed: null, resultsMerged: 'unknown' };
    if (fs.existsSync(wt.path)) {
      const inspected = await inspectWorktree(repo, wt, hasRemote);
      entry.dirty = inspected.dirty;
      entry.notPushed = inspected.notPushed;
    }
    if (wt.head) entry.lastTag = await lastTag(repo.root, wt.head, repo.config.versions.prefix);
    if (kind !== 'main' && fs.existsSync(wt.path)) entry.resultsMerged = await resultsMerged(repo, all[0]!.path, wt.path);
    out.push(entry);
  }
  return out;
}

/**
 * Are the rows of a worktree's results database all in the main worktree's
 * one (same path; identity as `cairn merge` sees it)? Found by a dry-run merge.
 */
async function resultsMerged(repo: Repo, mainPath: string, wtPath: string): Promise<WorktreeEntry['resultsMerged']> {
  const rel = repo.config.results.db ?? 'results.db';
  try {
    const purpose = 'compare the results databases';
    const [target, source] = [confinedFile(mainPath, rel, purpose), confinedFile(wtPath, rel, purpose)];
    if (!fs.existsSync(target) || !fs.existsSync(source)) return 'unknown';
    const r = await mergeResults({ cwd: mainPath, target, sources: [source], repo, dryRun: true, onConflict: 'keep', strategy: 'merge', waitMs: 2000 });
    // Merged: the merge would add no row, fill no NULL and meet no conflict (keys and counts follow the rows).
    return r.totals.added + r.totals.filled + r.totals.conflicts === 0 ? 'yes' : 'no';
  } catch {
    return 'unknown'; // not a results file, or locked: say so rather than guess
  }
}
