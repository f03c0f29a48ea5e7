/**
 * push, fetch, pull: move only what the other side lacks, several objects at
 * once, verifying every object's hash on the way. Idempotent, so a run that
 * was killed or lost its connection is finished by running it again.
 *
 * Push sends directory manifests after their files, and fetch takes
 * manifests first (to learn the files): a manifest on a remote therefore
 * means its files are there too.
 */
import fs from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { CairnError, IntegrityError, NotFoundError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { lockShared, withLock } from '../durable/lock.js';
import { mapLimit } from '../concurrency.js';
import { parseManifest } from '../store/manifest.js';
import { SMALL_FILE } from '../store/cache.js';
import type { Progress } from '../progress.js';
import { collectPointers, expandObjects, type PointerRef, type ReferenceScope } from '../artifacts/references.js';
import { checkout, type CheckoutResult } from '../artifacts/checkout.js';
import { openRemote, rehashOnRemote, type RemoteObject, type RemoteStore } from './remote.js';

/** Options of {@link push} and {@link fetch}: which pointers to cover (the workspace by default; or revisions, all tags, all branches), which remote, and how many transfers at once. */
export interface TransferOptions extends ReferenceScope {
  /** Remote name (default remote when omitted). */
  remote?: string;
  /** Transfers in flight at once (default: transfer.jobs, 8). */
  jobs?: number;
  progress?: Progress;
}

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

/** What {@link fetch} downloaded. When `missingOnRemote` is not empty, fetch throws NotFoundError carrying this result in its `data`. */
export interface FetchResult {
  remote: string;
  downloaded: number;
  bytes: number;
  /** Objects the cache already had. */
  cached: number;
  /** Objects the remote does not have. */
  missingOnRemote: string[];
}

function jobsOf(repo: Repo, options: TransferOptions): number {
  return options.jobs ?? repo.config.transfer.jobs;
}

async function withRemote<T>(repo: Repo, name: string | undefined, fn: (remote: RemoteStore) => Promise<T>): Promise<T> {
  const remote = await openRemote(repo, name);
  try {
    return await fn(remote);
  } finally {
    remote.close();
  }
}

/**
 * Upload the objects the pointers in scope need and the remote lacks or
 * holds damaged (a wrong size always; wrong bytes with `verify`): each is
 * replaced atomically from the local copy, which is verified on the way.
 * Temp files that killed pushes left on the remote are swept first.
 */
export async function push(repo: Repo, options: PushOptions = {}): Promise<PushResult> {
  return withRemote(repo, options.remote, (remote) =>
    withLock(lockShared(repo.cache.locksDir, { command: 'cairn push' }), async () => {
      const set = expandObjects(repo.cache, await collectPointers(repo, options));
      const missingLocally = [...repo.cache.missing(set.objects.keys())];
      const local: RemoteObject[] = [...set.objects.keys()]
        .filter((h) => !missingLocally.includes(h))
        .map((hash) => ({ hash, size: fs.statSync(repo.cache.objectPath(hash)).size }));
      const { present: there, damaged } = await remote.inventory(local);
      if (options.verify) {
        options.progress?.start(`verifying on ${remote.name}`, there.size, 'objects');
        try {
          const found = await rehashOnRemote(remote, [...there], jobsOf(repo, options), () => options.progress?.tick(1));
          for (const h of [...found.corrupt, ...found.missing]) there.delete(h);
          for (const h of found.corrupt) damaged.add(h);
        } finally {
          options.progress?.stop();
        }
      }
      const todo = local.filter((o) => !there.has(o.hash));
      const sweptTemps = (await remote.sweepStaleTemps?.()) ?? 0;
      const result: PushResult = { remote: remote.name, uploaded: 0, bytes: 0, present: there.size, repaired: [...damaged], sweptTemps, missingLocally };
      const upload = async (o: RemoteObject): Promise<void> => {
        await remote.upload(o.hash, repo.cache.objectPath(o.hash), o.size, (n) => options.progress?.tick(n));
        result.uploaded++;
        result.bytes += o.size;
      };
      options.progress?.start(`pushing to ${remote.name}`, todo.reduce((n, o) => n + o.size, 0), 'B');
      try {
        await mapLimit(todo.filter((o) => !set.manifests.has(o.hash)), jobsOf(repo, options), upload);
        await remote.flush(); // files are durable on the remote before any manifest naming them
        await mapLimit(todo.filter((o) => set.manifests.has(o.hash)), jobsOf(repo, options), upload);
        await remote.flush();
      } finally {
        options.progress?.stop();
      }
      if (missingLocally.length) {
        throw new NotFoundError(`${missingLocally.length} object(s) are not in the local cache, so they were not pushed`, {
          hint: 'fetch them from another remote (cairn fetch -r <remote>) or re-add the files on the machine that has them',
          data: { ...result },
        });
      }
      return result;
    }),
  );
}

/**
 * Download objects into the cache, verifying each. Small ones are staged and
 * flushed together; a folder remote's large ones are copied by the kernel.
 */
async function download(
  repo: Repo,
  remote: RemoteStore,
  objects: Map<string, number>,
  hashes: string[],
  jobs: number,
  result: FetchResult,
  corrupt: CairnError[],
  progress?: Progress,
): Promise<void> {
  const batch = repo.cache.batch();
  try {
    await mapLimit(hashes, jobs, async (hash) => {
      const size = objects.get(hash) ?? -1;
      try {
        const local = remote.localFile?.(hash);
        if (size >= 0 && size <= SMALL_FILE) {
          // A folder remote's small object is read in one call: a stream would
          // allocate a 1 MiB buffer for each 4 KiB file (seconds of GC for 10,000).
          const data = local ? readLocal(local, hash, remote.name) : await buffer(await remote.read(hash));
          batch.add(data, hash);
          progress?.tick(data.length);
          result.bytes += data.length;
        } else if (local) {
          result.bytes += (await repo.cache.storeCopy(local, hash, (n) => progress?.tick(n))).size;
        } else {
          result.bytes += (await repo.cache.storeStream(await remote.read(hash), { expected: hash, onBytes: (n) => progress?.tick(n) })).size;
        }
        result.downloaded++;
      } catch (err) {
        if (err instanceof NotFoundError) result.missingOnRemote.push(hash);
        else if (err instanceof IntegrityError) corrupt.push(err);
        else throw err;
      }
    });
    batch.commit();
  } catch (err) {
    batch.abort();
    throw err;
  }
}

/** The bytes of a folder remote's object file (gone meanwhile: not on the remote). */
function readLocal(file: string, hash: string, remoteName: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${hash} is not on remote ${remoteName}`);
    throw err;
  }
}

/** Which pointers (by where they were found) need any of these objects. */
function neededBy(refs: PointerRef[], hashes: string[], repo: Repo): string[] {
  const wanted = new Set(hashes);
  const out = new Set<string>();
  for (const ref of refs) {
    const objects = expandObjects(repo.cache, [ref]).objects;
    if ([...objects.keys()].some((h) => wanted.has(h))) out.add(ref.where.replace(/^workspace:/, ''));
  }
  return [...out];
}

/** Download the objects the pointers in scope need and the cache lacks. */
export async function fetch(repo: Repo, options: TransferOptions = {}): Promise<FetchResult> {
  return withRemote(repo, options.remote, (remote) =>
    withLock(lockShared(repo.cache.locksDir, { command: 'cairn fetch' }), async () => {
      const refs = await collectPointers(repo, options);
      const result: FetchResult = { remote: remote.name, downloaded: 0, bytes: 0, cached: 0, missingOnRemote: [] };
      const corrupt: CairnError[] = [];
      const jobs = jobsOf(repo, options);
      // Round 1: files and manifests named by pointers. Round 2: files named by the manifests fetched.
      const first = expandObjects(repo.cache, refs);
      const need1 = [...repo.cache.missing(first.objects.keys())];
      const bytes1 = need1.reduce((n, h) => n + Math.max(0, first.objects.get(h) ?? 0), 0);
      options.progress?.start(`fetching from ${remote.name}`, bytes1, 'B');
      try {
        await download(repo, remote, first.objects, need1, jobs, result, corrupt, options.progress);
        const second = new Map<string, number>();
        for (const manifestHash of first.unknownManifests.keys()) {
          if (!repo.cache.has(manifestHash)) continue;
          const entries = parseManifest(repo.cache.readObject(manifestHash).toString('utf8'), manifestHash);
          for (const e of entries) second.set(e.hash, e.size);
        }
        const need2 = [...repo.cache.missing(second.keys())];
        await download(repo, remote, second, need2, jobs, result, corrupt, options.progress);
        result.cached = new Set([...first.objects.keys(), ...second.keys()]).size - need1.length - need2.length;
      } finally {
        options.progress?.stop();
      }
      if (corrupt.length) {
        throw new IntegrityError(`remote ${remote.name} sent ${corrupt.length} object(s) whose bytes do not match their names; they were refused`, {
          hint: `the copies on ${remote.name} are damaged: on a machine with good copies, cairn push --verify -r ${remote.name} replaces them`,
          data: { ...result, corrupt: corrupt.map((e) => e.data) },
        });
      }
      if (result.missingOnRemote.length) {
        const needers = neededBy(refs, result.missingOnRemote, repo);
        throw new NotFoundError(
          `${result.missingOnRemote.length} object(s) are not on remote ${remote.name}, needed by: ${needers.slice(0, 8).join(', ')}${needers.length > 8 ? ', ...' : ''}`,
          {
            hint: 'push them from the machine that has them (cairn push), or try another remote with -r',
            data: { ...result, neededBy: needers },
          },
        );
      }
      return result;
    }),
  );
}

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
