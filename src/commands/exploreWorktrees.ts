/**
 * `cairn explore worktrees`: the exploration worktrees cairn made. Reads only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../repo/repo.js';
import { listWorktrees } from '../git/worktrees.js';
import { readExplorations, type Exploration } from '../worktrees/registry.js';

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
