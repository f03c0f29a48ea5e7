/**
 * The candidates pattern: every run's model goes to `models/candidates/`
 * (one directory artifact, `models/candidates.cairn`); one of them is
 * promoted to `models/production/<model.bin>` (a file artifact) with its
 * provenance in `models/production/PROVENANCE.json` (tracked by git);
 * `prune` keeps the best K runs. Pruned models stay in the cache and in the
 * commits that recorded them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, IntegrityError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { gitAdd } from '../git/git.js';
import { escapes, type Repo } from '../repo/repo.js';
import { copyFileBytes } from '../store/copy.js';
import { replaceFileAtomic, writeFileAtomic } from '../durable/atomicWrite.js';
import { lockShared, withLock } from '../durable/lock.js';
import { addArtifacts } from '../artifacts/add.js';
import { checkout } from '../artifacts/checkout.js';
import { status } from '../artifacts/status.js';
import { readManifest } from '../artifacts/inspect.js';
import { hashFile } from '../store/hash.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import { rankRuns } from './ranking.js';
import { readRunRows, type RunRows, type RunRowsOptions } from './runs.js';
import { versionSpellings } from '../versions/version.js';
import { Confinement } from '../trust/confine.js';
import { unsafeFileNameReason } from '../trust/pathNames.js';
import { MAX_CONFIG_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';

export const CANDIDATES_DIR = 'models/candidates';
export const PRODUCTION_DIR = 'models/production';
export const PROVENANCE_FILE = 'PROVENANCE.json';

/** A run ID names a file: no separators, no `..`, nothing odd. */
export function checkRunId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) || id.includes('..')) {
    throw new UsageError(`invalid run ID ${JSON.stringify(id)}`, {
      hint: 'a run ID is letters, digits, ".", "_" and "-" (no "/" or "\\"), starting with a letter or digit',
    });
  }
}

/** A candidate model in `models/candidates/`: the run it came from (the file name without extension), its repo-relative path, and size. */
export interface Candidate {
  run: string;
  file: string;
  size: number;
}

/**
 * Every path the model commands read, write or delete, checked before the
 * first of them: the candidates and production folders must be real folders
 * of the work tree (a committed symlink there would send copies and deletes
 * elsewhere), and the production name from the config a bare file name.
 * Returns the production model's repo-relative path.
 */
function checkModelPaths(repo: Repo): string {
  const name = repo.config.models.production;
  const reason = unsafeFileNameReason(name);
  if (reason) {
    throw new IntegrityError(`invalid configuration: models.production ${JSON.stringify(name)} is not a file name (${reason})`, {
      hint: 'set models.production in .cairn/config.json to a bare file name such as model.bin',
      data: { key: 'models.production' },
    });
  }
  const confinement = new Confinement(repo.root);
  for (const rel of [CANDIDATES_DIR, PRODUCTION_DIR]) confinement.check(rel, `use ${rel}`, { leaf: true });
  const productionRel = `${PRODUCTION_DIR}/${name}`;
  confinement.check(productionRel, `write ${productionRel}`);
  confinement.check(`${PRODUCTION_DIR}/${PROVENANCE_FILE}`, `write ${PRODUCTION_DIR}/${PROVENANCE_FILE}`, { leaf: true });
  return productionRel;
}

/** The candidate files in the workspace (the folder must match its pointer). */
function listCandidates(repo: Repo): Candidate[] {
  const dir = path.join(repo.root, CANDIDATES_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    // A symlink is a candidate only when it is cairn's own link into the cache (symlink link mode); it is never followed elsewhere.
    .filter((d) => !d.name.startsWith('.') && (d.isFile() || (d.isSymbolicLink() && linksIntoCache(repo, path.join(dir, d.name)))))
    .map((d) => {
      const ext = path.extname(d.name);
      return { run: ext ? d.name.slice(0, -ext.length) : d.name, file: `${CANDIDATES_DIR}/${d.name}`, size: fs.statSync(path.join(dir, d.name)).size };
    })
    .sort((a, b) => a.run.localeCompare(b.run));
}

/**
 * Make sure the workspace candidates folder is what its pointer records
 * before changing it (a missing folder is checked out; local edits refuse).
 */
async function candidatesReady(repo: Repo): Promise<void> {
  const [tracked] = (await loadArtifacts(repo)).filter((a) => a.path === CANDIDATES_DIR);
  if (!tracked) return;
  const [st] = await status(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  if (st!.state === 'missingWorkspace') await checkout(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  else if (st!.state === 'missingCache') {
    throw new NotFoundError(`${CANDIDATES_DIR} is not in the cache`, { hint: 'cairn pull first' });
  } else if (st!.state === 'modified') {
    throw new UnsafeError(`${CANDIDATES_DIR} has changes that are not recorded`, {
      hint: `cairn add ${CANDIDATES_DIR} to keep them, or cairn checkout --force ${CANDIDATES_DIR} to drop them`,
    });
  }
}

/** Copy a file to `dest` atomically (reflink or streamed copy, flushed, renamed), writable. */
function copyAtomic(src: string, dest: string): Promise<void> {
  return replaceFileAtomic(dest, async (tmp) => {
    await copyFileBytes(src, tmp, 0o644);
  });
}

/** Options of {@link modelAdd}: the model `file` (relative to `cwd`) and the `run` ID it is stored under; `force` replaces that run's candidate. */
export interface ModelAddOptions {
  cwd: string;
  file: string;
  run: string;
  force?: boolean;
}

/**
 * Copy a trained model into `models/candidates/<run><ext>` and re-add the
 * candidates folder as an artifact (its pointer staged). Throws UsageError for
 * a bad run ID, NotFoundError when the file does not exist,
 * AlreadyExistsError when the run has a candidate (unless `force`), and
 * UnsafeError when the candidates folder has unrecorded changes.
 */
export async function modelAdd(repo: Repo, options: ModelAddOptions): Promise<Candidate & { hash: string }> {
  checkRunId(options.run);
  checkModelPaths(repo);
  const src = path.resolve(options.cwd, options.file);
  const st = fs.statSync(src, { throwIfNoEntry: false });
  if (!st?.isFile()) throw new NotFoundError(`no such model file: ${options.file}`, { hint: 'give the path of the trained model file' });
  await candidatesReady(repo);
  const existing = listCandidates(repo).filter((c) => c.run === options.run);
  const dest = `${CANDIDATES_DIR}/${options.run}${path.extname(src)}`;
  if (existing.length && !options.force) {
    throw new AlreadyExistsError(`run ${options.run} already has a candidate: ${existing.map((c) => c.file).join(', ')}`, {
      hint: 'pass --force to replace it, or use another run ID',
    });
  }
  if (path.resolve(repo.root, dest) === src) throw new UsageError(`${options.file} is already the candidate of run ${options.run}`);
  for (const old of existing) if (old.file !== dest) fs.rmSync(path.join(repo.root, old.file));
  await copyAtomic(src, path.join(repo.root, dest));
  const [added] = await addArtifacts(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  const manifest = readManifest(repo.cache, { cairn: 1, kind: 'dir', path: 'candidates', hash: added!.hash, files: 0, size: 0 }) ?? [];
  const entry = manifest.find((e) => `${CANDIDATES_DIR}/${e.path}` === dest)!;
  return { run: options.run, file: dest, size: entry.size, hash: entry.hash };
}

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

/** Where the production model came from, as written to `models/production/PROVENANCE.json`: the run, its version and metric value, the candidate file and its hash, and when. */
export interface Provenance {
  run: string;
  version: string | null;
  metric: { name: string; value: number | null } | null;
  source: { path: string; hash: string };
  promotedAt: string;
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
      const inCache = present.isSymbolicLink()
        ? linksIntoCache(repo, productionAbs)
        : present.isFile() && repo.cache.has((await hashFile(productionAbs)).hash);
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

/** Where a model command read its results rows: `file#table`, and why that table (results/resultsTable.ts). */
export interface ResultsUsed {
  location: string;
  why: string;
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

/** What {@link modelList} reports: the production model and its provenance (null when there is none), the candidates, and the metric their values come from. */
export interface ModelList {
  production: { path: string; size: number; provenance: Provenance | null } | null;
  candidates: (Candidate & { value: number | null })[];
  /** The metric of the values (null: none known, or the table lacks it; values are then null). */
  metric: string | null;
  /** Where the values came from (null: no results database, or no table holds the candidates' runs). */
  results: ResultsUsed | null;
  /** Why no values are shown, when a table could not be chosen (several hold the runs: --table chooses). */
  notes: string[];
}

/**
 * The production model and the candidates in the workspace, with each run's
 * best metric value when a results database (--db, results.db from the
 * config, or results.db at the root) holds the runs and a metric is known.
 * Needs no metric. Writes nothing.
 */
export async function modelList(repo: Repo, options: Partial<RunRowsOptions> = {}): Promise<ModelList> {
  const productionRel = checkModelPaths(repo);
  const prodAbs = path.join(repo.root, productionRel);
  let provenance: Provenance | null;
  const text = readUntrustedFile(path.join(repo.root, PRODUCTION_DIR, PROVENANCE_FILE), MAX_CONFIG_BYTES);
  try {
    provenance = text.kind === 'text' ? (JSON.parse(text.text) as Provenance) : null;
  } catch {
    provenance = null;
  }
  const production = fs.existsSync(prodAbs) || fs.existsSync(prodAbs + '.cairn')
    ? { path: productionRel, size: fs.statSync(prodAbs, { throwIfNoEntry: false })?.size ?? 0, provenance }
    : null;
  const candidates = listCandidates(repo);
  let values = new Map<string, number | null>();
  const notes: string[] = [];
  const read = candidates.length
    ? await readRunRows(repo, { ...options, cwd: options.cwd ?? repo.root }, { runs: candidates.map((c) => c.run), metricRequired: false, skipped: notes })
    : null;
  if (read?.metric) {
    values = new Map(rankRuns(read.rows, read.runColumn, read.metric, options.minimize ?? repo.config.metrics.minimize, repo.config.results.runColumns).map((r) => [r.run, r.value]));
  }
  return {
    production,
    candidates: candidates.map((c) => ({ ...c, value: values.get(c.run) ?? null })),
    metric: read?.metric ?? null,
    results: read ? { location: read.location, why: read.why } : null,
    notes,
  };
}

/** A symlink whose target is an object of the cache. */
function linksIntoCache(repo: Repo, link: string): boolean {
  const rel = path.relative(repo.cache.objectsDir, path.resolve(path.dirname(link), fs.readlinkSync(link)));
  return rel !== '' && !escapes(rel);
}
