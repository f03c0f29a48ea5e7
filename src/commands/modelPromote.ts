/**
 * `cairn model promote`: one candidate becomes the production model, with its provenance (src/models/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { gitAdd } from '../git/git.js';
import type { Repo } from '../repo/repo.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { lockShared, withLock } from '../durable/lock.js';
import { hashFile } from '../store/hash.js';
import { addArtifacts } from '../artifacts/add.js';
import { versionSpellings } from '../versions/version.js';
import {
  CANDIDATES_DIR,
  PRODUCTION_DIR,
  PROVENANCE_FILE,
  checkModelPaths,
  checkRunId,
  copyAtomic,
  linksIntoCache,
  listCandidates,
  type Provenance,
  type ResultsUsed,
} from '../models/models.js';
import { rankRuns } from '../models/ranking.js';
import { readRunRows, type RunRows, type RunRowsOptions } from '../models/runs.js';
import { candidatesReady } from './candidatesReady.js';

/**
 * Options of {@link modelPromote}: exactly one of `run` or `version` (whose
 * best run by the metric is promoted), plus where the results rows are read
 * (`db`, `table`, `metric`, `minimize`; defaults from the config).
 */
export interface ModelPromoteOptions extends RunRowsOptions {
  run?: string;
  version?: string;
  /** Overwrite a production model that has unrecorded changes. */
  force?: boolean;
}

/**
 * Promote a candidate to `models/production/<models.production>`: copy it,
 * add it as an artifact, and write and stage its PROVENANCE.json, under the
 * cache's shared lock. `run` needs no metric and no database: the run's rows,
 * when the results file (see results/resultsTable.ts) holds them, give
 * its version, and its best value when a metric is known. `version` needs
 * both. Throws UsageError unless exactly one of `run` and `version` is given,
 * or when `version` has no metric or database, or several tables hold its
 * rows; NotFoundError when the rows or the candidate are missing; and
 * UnsafeError when the production model has unrecorded changes (unless
 * `force`) or a results path from the repository is a symlink.
 */
export async function modelPromote(repo: Repo, options: ModelPromoteOptions): Promise<Provenance & { production: string; results: ResultsUsed | null }> {
  if (Boolean(options.run) === Boolean(options.version)) {
    throw new UsageError('give exactly one of --run ID or --version V', { hint: 'cairn model promote --run brave-otter-0042 --db results.db' });
  }
  if (options.run) checkRunId(options.run);
  const productionRel = checkModelPaths(repo);
  await candidatesReady(repo);
  const minimize = options.minimize ?? repo.config.metrics.minimize;
  let chosen: { run: string; row: Record<string, unknown> | null; value: number | null } | undefined;
  let read: RunRows | null;
  if (options.version) {
    const spellings = versionSpellings(options.version, repo.config.versions.prefix);
    read = await readRunRows(repo, options, { version: spellings, metricRequired: true });
    const { rows, runColumn, versionColumn, metric } = read!;
    const ofVersion = versionColumn ? rows.filter((r) => spellings.includes(String(r[versionColumn]))) : [];
    if (ofVersion.length === 0) {
      throw new NotFoundError(`no rows of version ${options.version} in ${read!.location}`, {
        hint: `the rows need a ${repo.config.results.versionColumns.join(' or ')} column holding the version`,
      });
    }
    chosen = rankRuns(ofVersion, runColumn, metric!, minimize, repo.config.results.runColumns)[0];
  } else {
    // The run is named: no metric is needed. Its rows, when a database has them, give its version and, when a metric is known, its value.
    const run = options.run!;
    read = await readRunRows(repo, options, { runs: [run], metricRequired: false });
    const ofRun = read ? read.rows.filter((r) => String(r[read!.runColumn]) === run) : [];
    if (read?.metric) {
      chosen = rankRuns(ofRun, read.runColumn, read.metric, minimize, repo.config.results.runColumns)[0];
    } else {
      const versions = read?.versionColumn ? new Set(ofRun.map((r) => r[read!.versionColumn!])) : new Set();
      chosen = { run, row: versions.size === 1 ? ofRun[0]! : null, value: null };
    }
  }
  const run = options.run ?? chosen!.run;
  const candidate = listCandidates(repo).find((c) => c.run === run);
  if (!candidate) {
    throw new NotFoundError(`run ${run} has no candidate model in ${CANDIDATES_DIR}`, {
      hint: `add it first: cairn model add <file> --run ${run}`,
    });
  }
  const versionColumn = read?.versionColumn;
  const version = chosen?.row && versionColumn ? chosen.row[versionColumn] : null;
  const metricRecord = read?.metric && chosen?.row ? { name: read.metric, value: chosen.value } : null;
  const productionAbs = path.join(repo.root, productionRel);
  return withLock(lockShared(repo.cache.locksDir, { command: 'cairn model promote' }), async () => {
    // Overwriting loses nothing when the current bytes are in the cache (a candidate, an earlier production model).
    const present = fs.lstatSync(productionAbs, { throwIfNoEntry: false });
    if (present && !options.force) {
      // A link into the cache (symlink mode) is recorded content; any other symlink or odd file is not read through.
      const inCache = present.isSymbolicLink() ? linksIntoCache(repo, productionAbs) : present.isFile() && repo.cache.has((await hashFile(productionAbs)).hash);
      if (!inCache) throw new UnsafeError(`${productionRel} has changes that are not recorded`, { hint: 'cairn add it to keep them, or pass --force' });
    }
    await copyAtomic(path.join(repo.root, candidate.file), productionAbs);
    const [added] = await addArtifacts(repo, { cwd: repo.root, paths: [productionRel] });
    const provenance: Provenance = {
      run,
      version: version === null || version === undefined ? null : String(version),
      metric: metricRecord,
      source: { path: candidate.file, hash: added!.hash },
      promotedAt: new Date().toISOString(),
    };
    writeFileAtomic(path.join(repo.root, PRODUCTION_DIR, PROVENANCE_FILE), JSON.stringify(provenance, null, 2) + '\n');
    await gitAdd(repo.root, [`${PRODUCTION_DIR}/${PROVENANCE_FILE}`]);
    return { ...provenance, production: productionRel, results: read ? { location: read.location, why: read.why } : null };
  });
}
