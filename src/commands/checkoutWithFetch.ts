/**
 * A fresh worktree's artifacts, checked out: shared by `worktree new` and
 * `explore checkout`.
 */
import type { Repo } from '../repo/repo.js';
import type { Progress } from '../progress.js';
import { checkout, type CheckoutResult } from '../artifacts/checkout.js';
import { collectPointers, expandObjects } from '../artifacts/references.js';
import { fetch } from './fetch.js';

/** Check a fresh worktree's artifacts out, fetching from the default remote what the cache lacks. */
export async function checkoutWithFetch(wt: Repo, dir: string, progress?: Progress): Promise<{ checkout: CheckoutResult; fetched: number }> {
  const needed = expandObjects(wt.cache, await collectPointers(wt, { workspace: true }));
  let fetched = 0;
  if (wt.cache.missing(needed.objects.keys()).size > 0 && Object.keys(wt.config.remotes).length > 0) {
    fetched = (await fetch(wt, { progress })).downloaded;
  }
  return { checkout: await checkout(wt, { cwd: dir, progress }), fetched };
}
