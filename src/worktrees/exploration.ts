/**
 * Exploration worktrees: `../explore-VERSION`, detached at an experiment's
 * tag, with its artifacts checked out (fetched from the default remote when
 * the cache lacks them). Disposable: cleanup removes them, and only them.
 * The verbs are src/commands/explore{Checkout,Worktrees,Cleanup}.ts; this
 * module and registry.ts say where they go and which ones cairn made.
 */
import { NotFoundError } from '../errors.js';
import { tagCommit } from '../git/git.js';

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
