/**
 * `cairn fetch`: download the objects the pointers in scope need and the
 * cache lacks, with {@link transfer} from the remote to the cache (each
 * object verified before it is named). Manifests come first, to learn the
 * files they name; a run that was killed is finished by running it again.
 */
import { IntegrityError, NotFoundError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { lockShared, withLock } from '../durable/lock.js';
import { parseManifest } from '../store/manifest.js';
import { FolderStore } from '../store/folderStore.js';
import { transfer } from '../store/transfer.js';
import type { Progress } from '../progress.js';
import { collectPointers, expandObjects, type PointerRef, type ReferenceScope } from '../artifacts/references.js';
import { openRemote, type RemoteStore } from '../remote/remote.js';

/** Options of {@link push} and {@link fetch}: which pointers to cover (the workspace by default; or revisions, all tags, all branches), which remote, and how many transfers at once. */
export interface TransferOptions extends ReferenceScope {
  /** Remote name (default remote when omitted). */
  remote?: string;
  /** Transfers in flight at once (default: transfer.jobs, 8). */
  jobs?: number;
  progress?: Progress;
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

export function jobsOf(repo: Repo, options: { jobs?: number }): number {
  return options.jobs ?? repo.config.transfer.jobs;
}

/** Run `fn` with the remote `name` (the default when omitted) and the cache as stores, closing both after. */
export async function withStores<T>(repo: Repo, name: string | undefined, fn: (remote: RemoteStore, cache: FolderStore) => Promise<T>): Promise<T> {
  const remote = await openRemote(repo, name);
  const cache = FolderStore.ofCache(repo.cache);
  try {
    return await fn(remote, cache);
  } finally {
    cache.close();
    remote.close();
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
  return withStores(repo, options.remote, (remote, cache) =>
    withLock(lockShared(repo.cache.locksDir, { command: 'cairn fetch' }), async () => {
      const refs = await collectPointers(repo, options);
      const result: FetchResult = { remote: remote.name, downloaded: 0, bytes: 0, cached: 0, missingOnRemote: [] };
      const corrupt: IntegrityError[] = [];
      const cached = new Set<string>();
      const round = async (objects: Map<string, number>): Promise<void> => {
        const r = await transfer(
          remote,
          cache,
          [...objects].map(([hash, size]) => ({ hash, size })),
          {
            jobs: jobsOf(repo, options),
            progress: options.progress,
            label: `fetching from ${remote.name}`,
          },
        );
        result.downloaded += r.transferred.length;
        result.bytes += r.bytes;
        for (const h of r.present) cached.add(h);
        for (const [hash, err] of r.failed) {
          if (err instanceof NotFoundError) result.missingOnRemote.push(hash);
          else corrupt.push(err);
        }
      };
      // Round 1: files and manifests named by pointers. Round 2: files named by the manifests fetched.
      const first = expandObjects(repo.cache, refs);
      await round(first.objects);
      const second = new Map<string, number>();
      for (const manifestHash of first.unknownManifests.keys()) {
        if (!repo.cache.has(manifestHash)) continue;
        const entries = parseManifest(repo.cache.readObject(manifestHash).toString('utf8'), manifestHash);
        for (const e of entries) second.set(e.hash, e.size);
      }
      if (second.size) await round(second);
      result.cached = cached.size;
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

/**
 * Bring single objects into the cache from the default remote, verified on
 * the way (as {@link fetch} stores them): what `explore get` and `merge
 * REV:path` use for an artifact the cache lacks. Undefined when the
 * repository has no remote. Rejects with NotFoundError when the remote
 * lacks the object, IntegrityError when it sends other bytes.
 */
export function remoteObjectFetcher(repo: Repo, command: string): ((hash: string) => Promise<void>) | undefined {
  if (Object.keys(repo.config.remotes).length === 0) return undefined;
  return (hash) =>
    withStores(repo, undefined, (remote, cache) =>
      withLock(lockShared(repo.cache.locksDir, { command }), async () => {
        const r = await transfer(remote, cache, [{ hash, size: -1 }], { jobs: 1 });
        const failure = r.failed.get(hash);
        if (failure) throw failure;
      }),
    );
}
