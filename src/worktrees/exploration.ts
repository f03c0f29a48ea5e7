/**
 * Exploration worktrees: `../explore-VERSION`, detached at an experiment's
 * tag, with its artifacts checked out (fetched from the default remote when
 * the cache lacks them). Disposable: cleanup removes them, and only them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, NotFoundError, UnsafeError } from '../errors.js';
import { statusLines, tagCommit } from '../git/git.js';
import { listWorktrees, worktreeAdd, worktreePrune, worktreeRemove } from '../git/worktrees.js';
import { openRepo, type Repo } from '../repo/repo.js';
import type { CheckoutResult } from '../artifacts/checkout.js';
import { status } from '../artifacts/status.js';
import type { Progress } from '../progress.js';
import { checkoutWithFetch, worktreeBase } from './worktrees.js';
import { readExplorations, writeExplorations, type Exploration } from './registry.js';

export const EXPLORE_PREFIX = 'explore-';

/** The commit an experiment tag points at, or a NotFoundError. */
export async function versionCommit(cwd: string, version: string): Promise<string> {
  const plausible = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(version) && !version.includes('..');
  const commit = plausible ? await tagCommit(cwd, version) : null;
  if (commit === null) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}: no such tag`, {
      hint: 'cairn tags lists the experiments',
      data: { version },
    });
  }
  return commit;
}

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

/** An exploration worktree cairn recorded (version, folder, commit, creation time), and whether it still exists. */
export interface ExplorationEntry extends Exploration {
  /** The folder and the git worktree still exist. */
  present: boolean;
}

/** The exploration worktrees cairn made (see {@link exploreCheckout}), including ones deleted by hand since. Writes nothing. */
export async function exploreWorktrees(repo: Repo): Promise<ExplorationEntry[]> {
  const live = new Set((await listWorktrees(repo.root)).map((w) => path.resolve(w.path)));
  return readExplorations(repo).map((e) => ({ ...e, present: live.has(path.resolve(e.path)) && fs.existsSync(e.path) }));
}

/**
 * Remove exploration worktrees cairn made (all, or the one for VERSION).
 * Refuses, naming them, while one holds changes (edited or new files,
 * artifacts modified), unless `force`.
 */
export async function exploreCleanup(repo: Repo, version?: string, options: { force?: boolean } = {}): Promise<{ removed: string[]; discarded: string[] }> {
  const all = readExplorations(repo);
  const chosen = version ? all.filter((e) => e.version === version) : all;
  if (version && chosen.length === 0) {
    throw new NotFoundError(`no exploration worktree for ${JSON.stringify(version)}`, { hint: 'cairn explore worktrees lists them' });
  }
  const live = new Set((await listWorktrees(repo.root)).map((w) => path.resolve(w.path)));
  const changed: string[] = [];
  for (const e of chosen) {
    if (!live.has(path.resolve(e.path))) continue;
    const porcelain = await statusLines(e.path);
    if (porcelain.length) changed.push(`${e.path}: ${porcelain.slice(0, 5).map((l) => l.trim()).join('; ')}`);
    const modified = (await status(await openRepo(e.path), { cwd: e.path })).filter((a) => a.state === 'modified');
    if (modified.length) changed.push(`${e.path}: artifacts modified: ${modified.map((a) => a.path).join(', ')}`);
  }
  if (changed.length && !options.force) {
    throw new UnsafeError(`exploration worktrees hold changes:\n  ${changed.join('\n  ')}`, {
      hint: 'copy out what you want to keep, then run cairn explore cleanup --force',
      data: { changed },
    });
  }
  const removed: string[] = [];
  for (const e of chosen) {
    if (live.has(path.resolve(e.path))) await worktreeRemove(repo.root, e.path);
    removed.push(e.path);
  }
  await worktreePrune(repo.root);
  writeExplorations(repo, all.filter((e) => !chosen.includes(e)));
  return { removed, discarded: options.force ? changed : [] };
}
