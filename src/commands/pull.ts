/**
 * `cairn pull`: fetch, then check out the workspace.
 */
import { CairnError, NotFoundError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { checkout, type CheckoutResult } from '../artifacts/checkout.js';
import { fetch, type FetchResult, type TransferOptions } from './fetch.js';

/** Options of {@link pull}: those of fetch, plus the `cwd` and `force` its checkout uses. */
export interface PullOptions extends TransferOptions {
  cwd: string;
  force?: boolean;
}

/**
 * fetch, then checkout the workspace. When some objects could not be
 * fetched, what did arrive is still checked out before the error is thrown.
 */
export async function pull(repo: Repo, options: PullOptions): Promise<FetchResult & { checkout: CheckoutResult }> {
  let fetched: FetchResult;
  try {
    fetched = await fetch(repo, options);
  } catch (err) {
    if (!(err instanceof NotFoundError) || !('missingOnRemote' in err.data)) throw err;
    let done: string;
    try {
      const partial = await checkout(repo, { cwd: options.cwd, force: options.force, progress: options.progress });
      done = `checked out the ${partial.written.length} file(s) that did arrive`;
      err.data.checkout = partial;
    } catch (checkoutErr) {
      // Checkout reports what it could not do after doing the rest: files still
      // missing are the ones named above; anything else (refused, corrupt) is news.
      const data = checkoutErr instanceof CairnError ? checkoutErr.data : {};
      const result = data.result as CheckoutResult | undefined;
      const onlyMissing = checkoutErr instanceof NotFoundError && result !== undefined;
      done = onlyMissing
        ? `checked out the ${result.written.length} file(s) that did arrive`
        : `the checkout of what did arrive failed too: ${(checkoutErr as Error).message}`;
      if (result) err.data.checkout = result;
    }
    err.message = `${err.message}; ${done}`;
    throw err;
  }
  const result = await checkout(repo, { cwd: options.cwd, force: options.force, progress: options.progress });
  return { ...fetched, checkout: result };
}
