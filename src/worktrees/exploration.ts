/**
 * Exploration worktrees: `../explore-VERSION`, detached at an experiment's
 * tag, with its artifacts checked out (fetched from the default remote when
 * the cache lacks them). Disposable: cleanup removes them, and only them.
 * The verbs are src/commands/explore{Checkout,Worktrees,Cleanup}.ts; this
 * module and registry.ts say where they go and which ones cairn made.
 */
import { NotFoundError } from '../errors.js';
import { git } from '../git/git.js';

export const EXPLORE_PREFIX = 'explore-';

/** The commit an experiment tag points at, or a NotFoundError. */
export async function versionCommit(cwd: string, version: string): Promise<string> {
  const plausible = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(version) && !version.includes('..');
  const { stdout, exitCode } = plausible
    ? await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/tags/${version}^{commit}`], { cwd, okCodes: [1, 128] })
    : { stdout: '', exitCode: 1 };
  if (exitCode !== 0) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}: no such tag`, {
      hint: 'cairn tags lists the experiments',
      data: { version },
    });
  }
  return stdout.trim();
}
