/**
 * `cairn merge`: results tables merged (src/results/merge.ts), with a
 * `REV:path` source the cache lacks fetched, verified, from the default
 * remote.
 */
import { findRepo, mergeResults as mergeTables, type MergeResultsOptions } from '../results/merge.js';
import type { FetchObject } from '../results/mergeSource.js';
import type { MergeResult } from '../results/mergeResult.js';
import type { Repo } from '../repo/repo.js';

/** Merge `sources` into `target` (see src/results/merge.ts), fetching the objects of REV:path sources from the default remote when the cache lacks them. */
export async function mergeResults(options: MergeResultsOptions): Promise<MergeResult> {
  const repo = options.repo !== undefined ? options.repo : await findRepo(options.cwd);
  return mergeTables({ ...options, repo, fetchObject: options.fetchObject ?? (repo ? fromDefaultRemote(repo) : undefined) });
}

/** The default remote's fetch of one object; the transfer code is loaded only when an object is missing. */
function fromDefaultRemote(repo: Repo): FetchObject | undefined {
  if (Object.keys(repo.config.remotes).length === 0) return undefined;
  return async (hash) => {
    const { remoteObjectFetcher } = await import('./fetch.js');
    await remoteObjectFetcher(repo, 'cairn merge')!(hash);
  };
}
