/**
 * Experiment worktrees: `../exp-NAME` on branch `exp/NAME`, for a variant
 * that changes code or data. Created with every artifact checked out from the
 * shared cache (nothing to configure), listed with what is not yet safe, and
 * removed only when nothing would be lost. The verbs are
 * src/commands/worktree{New,List,Remove}.ts; this module holds the names,
 * places and git facts they share.
 */
import fs from 'node:fs';
import path from 'node:path';
import { branchExists, deleteBranch, nearestTag } from '../git/git.js';
import { worktreePrune, worktreeRemove } from '../git/worktrees.js';
import type { Repo } from '../repo/repo.js';

export const BRANCH_PREFIX = 'exp/';
export const FOLDER_PREFIX = 'exp-';

/** Where new worktrees go: beside the main worktree. */
export function worktreeBase(repo: Pick<Repo, 'root' | 'mainRoot'>): string {
  return path.dirname(repo.mainRoot ?? repo.root);
}

/**
 * Check an experiment name: letters, digits, `.`, `_`, `-`, at most one `/`
 * (one level), no `..`, no leading dot or dash. Returns a reason or null. Pure.
 */
export function invalidNameReason(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 100) return 'it is longer than 100 characters';
  if (/\s/.test(name)) return 'it contains whitespace';
  if (name.includes('..')) return 'it contains ".."';
  if (name.split('/').length > 2) return 'it has more than one "/" (one level of grouping at most)';
  for (const part of name.split('/')) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part)) return `"${part}" must start with a letter or digit and hold only letters, digits, ".", "_", "-"`;
    if (part.endsWith('.lock') || part.endsWith('.')) return `"${part}" may not end with ".lock" or "."`;
  }
  return null;
}

/** `exp/NAME` and `../exp-NAME` (a `/` in NAME becomes `-` in the folder). */
export function experimentPlaces(repo: Pick<Repo, 'root' | 'mainRoot'>, name: string): { branch: string; dir: string } {
  return { branch: BRANCH_PREFIX + name, dir: path.join(worktreeBase(repo), FOLDER_PREFIX + name.replace(/\//g, '-')) };
}

/** Undo a worktree creation that failed: the worktree (when `created`), its folder, and the new branch. */
export async function rollback(repo: Repo, dir: string, branch: string | null, created: boolean): Promise<void> {
  if (created) await worktreeRemove(repo.root, dir, { ifPresent: true });
  if (created && fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  await worktreePrune(repo.root);
  if (branch && (await branchExists(repo.root, branch))) await deleteBranch(repo.root, branch);
}

/** The newest experiment tag reachable from `head`, or null. */
export async function lastTag(cwd: string, head: string, prefix: string): Promise<string | null> {
  return nearestTag(cwd, head, [`${prefix}[0-9]*`, 'exp-*-v[0-9]*']);
}
