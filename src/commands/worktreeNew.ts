/**
 * `cairn worktree new NAME`: `../exp-NAME` on branch `exp/NAME`, its artifacts
 * checked out from the shared cache (src/worktrees/ names and checks it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, NotFoundError, UsageError } from '../errors.js';
import { branchExists, resolveCommit } from '../git/git.js';
import { worktreeAdd } from '../git/worktrees.js';
import { openRepo, type Repo } from '../repo/repo.js';
import type { CheckoutResult } from '../artifacts/checkout.js';
import type { Progress } from '../progress.js';
import { experimentPlaces, invalidNameReason, rollback } from '../worktrees/worktrees.js';
import { checkoutWithFetch } from './checkoutWithFetch.js';

/** Options of {@link newWorktree}: the experiment `name`, the revision to branch from (default HEAD), and a folder to use instead of `../exp-NAME`. */
export interface NewWorktreeOptions {
  name: string;
  from?: string;
  path?: string;
  progress?: Progress;
}

/** The worktree {@link newWorktree} created: its branch (`exp/NAME`), folder, starting revision, and what its checkout wrote. */
export interface NewWorktreeResult {
  name: string;
  branch: string;
  path: string;
  from: string;
  checkout: CheckoutResult;
  /** Objects fetched from the default remote because the cache lacked them. */
  fetched: number;
}

/** Create an experiment worktree; any failure rolls everything back. */
export async function newWorktree(repo: Repo, options: NewWorktreeOptions): Promise<NewWorktreeResult> {
  const reason = invalidNameReason(options.name);
  if (reason) {
    throw new UsageError(`invalid experiment name ${JSON.stringify(options.name)}: ${reason}`, {
      hint: 'use something like cnn, lr-sweep or nlp/bert-large',
    });
  }
  const places = experimentPlaces(repo, options.name);
  const dir = options.path ? path.resolve(repo.root, options.path) : places.dir;
  if (await branchExists(repo.root, places.branch)) {
    throw new AlreadyExistsError(`branch ${places.branch} already exists`, {
      hint: `choose another name, or remove the old one (cairn worktree rm ${options.name} --delete-branch)`,
    });
  }
  if (fs.existsSync(dir)) {
    throw new AlreadyExistsError(`folder ${dir} already exists`, { hint: 'choose another name or pass --path' });
  }
  const from = options.from ?? 'HEAD';
  const commit = await resolveCommit(repo.root, from);
  if (!commit) throw new NotFoundError(`unknown revision '${from}'`, { hint: 'name a branch, tag or commit (git log --oneline)' });

  let created = false;
  try {
    await worktreeAdd(repo.root, dir, commit, { branch: places.branch });
    created = true;
    const wt = await openRepo(dir);
    const { checkout: result, fetched } = await checkoutWithFetch(wt, dir, options.progress);
    return { name: options.name, branch: places.branch, path: dir, from, checkout: result, fetched };
  } catch (err) {
    await rollback(repo, dir, places.branch, created);
    throw err;
  }
}
