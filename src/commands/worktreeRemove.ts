/**
 * `cairn worktree rm NAME`: remove an experiment worktree, refusing while
 * something would be lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { deleteBranch, unsharedCommits } from '../git/git.js';
import type { Repo } from '../repo/repo.js';
import { listWorktrees, worktreeRemove, type WorktreeInfo } from '../git/worktrees.js';
import { plural } from '../display.js';
import { experimentPlaces } from '../worktrees/worktrees.js';
import { readExplorations } from '../worktrees/registry.js';
import { inspectWorktree } from './inspectWorktree.js';

/** Options of {@link removeWorktree}: `force` discards what would be lost; `deleteBranch` also deletes `exp/NAME`. */
export interface RemoveWorktreeOptions {
  name: string;
  force?: boolean;
  deleteBranch?: boolean;
}

/** The worktree {@link removeWorktree} removed, whether its branch went too, and what `force` discarded. */
export interface RemoveWorktreeResult {
  name: string;
  path: string;
  branch: string | null;
  branchDeleted: boolean;
  /** What --force discarded (the reasons that were overridden). */
  discarded: string[];
}

/** Find the worktree of experiment NAME (by branch `exp/NAME`, else by folder `exp-NAME`). */
async function findExperiment(repo: Repo, name: string): Promise<WorktreeInfo> {
  const places = experimentPlaces(repo, name);
  const all = await listWorktrees(repo.root);
  const found = all.find((w) => w.branch === `refs/heads/${places.branch}`) ?? all.find((w) => path.resolve(w.path) === path.resolve(places.dir));
  if (!found) {
    throw new NotFoundError(`no experiment worktree named ${JSON.stringify(name)}`, { hint: 'cairn worktree list shows them' });
  }
  if (found === all[0]) throw new UnsafeError('refusing to remove the main worktree', { hint: 'name an experiment worktree' });
  return found;
}

/** Remove an experiment worktree, refusing (with every reason) while something would be lost. */
export async function removeWorktree(repo: Repo, options: RemoveWorktreeOptions): Promise<RemoveWorktreeResult> {
  const wt = await findExperiment(repo, options.name);
  if (readExplorations(repo).some((e) => path.resolve(e.path) === path.resolve(wt.path))) {
    throw new UsageError(`${wt.path} is an exploration worktree`, { hint: 'remove it with cairn explore cleanup' });
  }
  const branch = wt.branch?.replace(/^refs\/heads\//, '') ?? null;
  const reasons: string[] = [];
  if (fs.existsSync(wt.path)) reasons.push(...(await inspectWorktree(repo, wt, Object.keys(repo.config.remotes).length > 0)).problems);
  const unshared = branch ? await unsharedCommits(repo.root, branch) : [];
  if (unshared.length) {
    reasons.push(
      `${plural(unshared.length, 'commit')} on ${branch} ${unshared.length === 1 ? 'is' : 'are'} reachable from no tag and no other branch (tag ${unshared.length === 1 ? 'it' : 'them'} with cairn tag, or merge the branch)`,
    );
  }
  if (reasons.length && !options.force) {
    throw new UnsafeError(`refusing to remove ${wt.path}:\n  - ${reasons.join('\n  - ')}`, {
      hint: 'deal with each reason above, or pass --force to discard it all',
      data: { reasons },
    });
  }
  await worktreeRemove(repo.root, wt.path);
  // Reaching here, the branch tip is reachable from a tag or another branch (or --force said so).
  let branchDeleted = false;
  if (options.deleteBranch && branch) {
    await deleteBranch(repo.root, branch);
    branchDeleted = true;
  }
  return { name: options.name, path: wt.path, branch, branchDeleted, discarded: options.force ? reasons : [] };
}
