/**
 * `cairn model prune --keep K`: keep the best K candidates by the metric (src/models/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { addArtifacts } from '../artifacts/add.js';
import { CANDIDATES_DIR, checkModelPaths, listCandidates, type Candidate, type ResultsUsed } from '../models/models.js';
import { rankRuns } from '../models/ranking.js';
import { readRunRows, type RunRowsOptions } from '../models/runs.js';
import { candidatesReady } from './candidatesReady.js';

/** Options of {@link modelPrune}: how many candidates to `keep` (the best by the metric), where the results rows are read, and whether this is a dry run. */
export interface ModelPruneOptions extends RunRowsOptions {
  keep: number;
  dryRun?: boolean;
}

/** The candidates {@link modelPrune} kept and removed (nothing is removed on a dry run), best first, each with its metric value. */
export interface PruneResult {
  kept: (Candidate & { value: number | null })[];
  removed: (Candidate & { value: number | null })[];
  dryRun: boolean;
  /** The table the ranking came from. */
  results: ResultsUsed;
}

/**
 * Keep the best `keep` candidates by the metric and delete the others from
 * `models/candidates/`, then re-add the folder. Runs without rows rank last.
 * Pruned models stay in the cache and in the commits that recorded them.
 * Throws UsageError for a bad `keep` or when no metric or database is given
 * or configured, NotFoundError when no table has the metric.
 */
export async function modelPrune(repo: Repo, options: ModelPruneOptions): Promise<PruneResult> {
  if (!Number.isInteger(options.keep) || options.keep < 0) throw new UsageError('--keep must be a whole number', { hint: '--keep 3' });
  checkModelPaths(repo);
  await candidatesReady(repo);
  const runs = listCandidates(repo).map((c) => c.run);
  const read = (await readRunRows(repo, options, { runs, metricRequired: true }))!;
  const ranking = rankRuns(read.rows, read.runColumn, read.metric!, options.minimize ?? repo.config.metrics.minimize, repo.config.results.runColumns);
  const order = new Map(ranking.map((r, i) => [r.run, { i, value: r.value }]));
  const candidates = listCandidates(repo)
    .map((c) => ({ ...c, value: order.get(c.run)?.value ?? null, rank: order.get(c.run)?.i ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.rank - b.rank || a.run.localeCompare(b.run));
  const strip = ({ rank: _rank, ...c }: (typeof candidates)[number]) => c;
  const result: PruneResult = {
    kept: candidates.slice(0, options.keep).map(strip),
    removed: candidates.slice(options.keep).map(strip),
    dryRun: Boolean(options.dryRun),
    results: { location: read.location, why: read.why },
  };
  if (options.dryRun || result.removed.length === 0) return result;
  for (const c of result.removed) fs.rmSync(path.join(repo.root, c.file));
  await addArtifacts(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  return result;
}
