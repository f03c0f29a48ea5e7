/**
 * `cairn push`: upload the objects the pointers in scope need and the remote
 * lacks or holds damaged, with {@link transfer} from the cache to the
 * remote. Directory manifests go after their files, once those are durable
 * on the remote: a manifest on a remote means its files are there too.
 */
import { NotFoundError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { lockShared, withLock } from '../durable/lock.js';
import { transfer } from '../store/transfer.js';
import { collectPointers, expandObjects } from '../artifacts/references.js';
import { jobsOf, withStores, type TransferOptions } from './fetch.js';

/** Options of {@link push}: those of every transfer, and `verify`. */
export interface PushOptions extends TransferOptions {
  /** Also download and rehash every object the remote holds with the right size, and replace the damaged ones (by default only a wrong size is noticed). */
  verify?: boolean;
}

/** What {@link push} sent. When `missingLocally` is not empty, push throws NotFoundError carrying this result in its `data`. */
export interface PushResult {
  remote: string;
  /** Objects uploaded now (the repaired ones included). */
  uploaded: number;
  bytes: number;
  /** Objects the remote already had intact (by size; by hash with `verify`). */
  present: number;
  /** Objects found damaged on the remote (wrong size; with `verify`, wrong bytes) and replaced by the verified local copy. */
  repaired: string[];
  /** Temp files of killed uploads removed from the remote. */
  sweptTemps: number;
  /** Objects the pointers need that this cache does not have (not pushed). */
  missingLocally: string[];
}

/**
 * Upload the objects the pointers in scope need and the remote lacks or
 * holds damaged (a wrong size always; wrong bytes with `verify`): each is
 * replaced atomically from the local copy, which is verified on the way.
 * Temp files that killed pushes left on the remote are swept first.
 */
export async function push(repo: Repo, options: PushOptions = {}): Promise<PushResult> {
  return withStores(repo, options.remote, (remote, cache) =>
    withLock(lockShared(repo.cache.locksDir, { command: 'cairn push' }), async () => {
      const set = expandObjects(repo.cache, await collectPointers(repo, options));
      const missing = repo.cache.missing(set.objects.keys());
      const local = [...set.objects].filter(([hash]) => !missing.has(hash)).map(([hash, size]) => ({ hash, size }));
      let sweptTemps = 0;
      const r = await transfer(cache, remote, local, {
        jobs: jobsOf(repo, options),
        last: set.manifests,
        verify: options.verify,
        beforeMove: async () => {
          sweptTemps = (await remote.sweepStaleTemps?.()) ?? 0;
        },
        progress: options.progress,
        label: `pushing to ${remote.name}`,
        verifyLabel: `verifying on ${remote.name}`,
      });
      const result: PushResult = {
        remote: remote.name,
        uploaded: r.transferred.length,
        bytes: r.bytes,
        present: r.present.size,
        repaired: [...r.damaged],
        sweptTemps,
        missingLocally: [...missing],
      };
      // A cache object that vanished or is damaged: the first such failure says what to do.
      const failure = r.failed.values().next().value;
      if (failure) {
        Object.assign(failure.data, result, { failed: [...r.failed.keys()], skipped: r.skipped });
        throw failure;
      }
      if (result.missingLocally.length) {
        throw new NotFoundError(`${result.missingLocally.length} object(s) are not in the local cache, so they were not pushed`, {
          hint: 'fetch them from another remote (cairn fetch -r <remote>) or re-add the files on the machine that has them',
          data: { ...result },
        });
      }
      return result;
    }),
  );
}
