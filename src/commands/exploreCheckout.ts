/**
 * `cairn explore checkout VERSION`: a disposable worktree `../explore-VERSION`
 * at the tag, with its artifacts (src/worktrees/ records it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError } from '../errors.js';
import { worktreeAdd, worktreePrune, worktreeRemove } from '../git/worktrees.js';
import { openRepo, type Repo } from '../repo/repo.js';
import type { CheckoutResult } from '../artifacts/checkout.js';
import type { Progress } from '../progress.js';
import { EXPLORE_PREFIX, versionCommit } from '../worktrees/exploration.js';
import { readExplorations, writeExplorations, type Exploration } from '../worktrees/registry.js';
import { worktreeBase } from '../worktrees/worktrees.js';
import { checkoutWithFetch } from './checkoutWithFetch.js';

/** The exploration worktree {@link exploreCheckout} made or found for a version: its folder and the tagged commit it is detached at. */
export interface ExploreCheckoutResult {
  version: string;
  path: string;
  commit: string;
  /** False when it already existed (the command is then a no-op). */
  created: boolean;
  checkout?: CheckoutResult;
  fetched?: number;
}

/**
 * Give an experiment version its own disposable worktree, `../explore-VERSION`,
 * detached at the tag's commit with its artifacts checked out (fetched from the
 * default remote when the cache lacks them), and record it for cleanup. Returns
 * the existing one when already made; rolls back on failure. Throws
 * NotFoundError for an unknown tag, AlreadyExistsError when a folder of that
 * name exists that cairn did not make.
 */
export async function exploreCheckout(repo: Repo, version: string, progress?: Progress): Promise<ExploreCheckoutResult> {
  const commit = await versionCommit(repo.root, version);
  const dir = path.join(worktreeBase(repo), EXPLORE_PREFIX + version);
  const recorded = readExplorations(repo).find((e) => e.version === version && fs.existsSync(e.path));
  if (recorded) return { version, path: recorded.path, commit: recorded.commit, created: false };
  if (fs.existsSync(dir)) {
    throw new AlreadyExistsError(`${dir} exists and is not an exploration worktree cairn made`, {
      hint: 'move it away, or look at the version with cairn explore show/get instead',
    });
  }
  await worktreeAdd(repo.root, dir, commit);
  try {
    const result = await checkoutWithFetch(await openRepo(dir), dir, progress);
    const entry: Exploration = { version, path: dir, commit, created: new Date().toISOString() };
    writeExplorations(repo, [...readExplorations(repo).filter((e) => e.version !== version), entry]);
    return { version, path: dir, commit, created: true, ...result };
  } catch (err) {
    await worktreeRemove(repo.root, dir, { ifPresent: true });
    fs.rmSync(dir, { recursive: true, force: true });
    await worktreePrune(repo.root);
    throw err;
  }
}
