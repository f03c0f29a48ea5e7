/** git worktrees: list, add, remove, prune (`git worktree`). */
import { splitNul } from './git.js';
import { git } from './run.js';

/** One worktree as `git worktree list --porcelain` describes it; `branch` is the full ref name (`refs/heads/...`). */
export interface WorktreeInfo {
  path: string;
  head: string | null;
  branch: string | null;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  prunable: boolean;
}

/** `git worktree list --porcelain`, parsed: the main worktree first. */
export async function listWorktrees(cwd: string): Promise<WorktreeInfo[]> {
  const { stdout } = await git(['worktree', 'list', '--porcelain', '-z'], { cwd, readOnly: true });
  const out: WorktreeInfo[] = [];
  let cur: WorktreeInfo | null = null;
  for (const line of splitNul(stdout)) {
    if (line.startsWith('worktree ')) {
      cur = { path: line.slice(9), head: null, branch: null, bare: false, detached: false, locked: false, prunable: false };
      out.push(cur);
    } else if (!cur) continue;
    else if (line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (line.startsWith('branch ')) cur.branch = line.slice(7);
    else if (line === 'bare') cur.bare = true;
    else if (line === 'detached') cur.detached = true;
    else if (line.startsWith('locked')) cur.locked = true;
    else if (line.startsWith('prunable')) cur.prunable = true;
  }
  return out;
}

/** Add a worktree at `dir` checked out at `commit`: on a new branch `branch`, or detached when there is none. */
export async function worktreeAdd(cwd: string, dir: string, commit: string, options: { branch?: string } = {}): Promise<void> {
  const on = options.branch ? ['-b', options.branch] : ['--detach'];
  await git(['worktree', 'add', '--quiet', ...on, '--', dir, commit], { cwd });
}

/**
 * Remove a worktree, its changes and lock included (`--force --force`).
 * With `ifPresent`, a folder git does not know as a worktree is no error.
 */
export async function worktreeRemove(cwd: string, dir: string, options: { ifPresent?: boolean } = {}): Promise<void> {
  await git(['worktree', 'remove', '--force', '--force', '--', dir], { cwd, okCodes: options.ifPresent ? [128] : [] });
}

/** Forget worktrees whose folders are gone (`git worktree prune`). */
export async function worktreePrune(cwd: string): Promise<void> {
  await git(['worktree', 'prune'], { cwd });
}
