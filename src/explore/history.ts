/**
 * Looking back at experiments: `explore list` (tags, optionally joined with
 * their results rows), `explore show` (one experiment and every artifact it
 * pinned) and `explore diff` (what changed between two). Everything is read
 * from git and the cache; the workspace is never touched.
 */
import path from 'node:path';
import fs from 'node:fs';
import { NotFoundError, UsageError } from '../errors.js';
import { commitSummary, diffStat, resolveCommit } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { listExperiments, type Experiment } from '../experiments/list.js';
import type { TagValue, TagValues } from '../experiments/message.js';
import { bestRowIndex, looksLikeLoss, metricValue, summarizeRow, TIMESTAMP_COLUMN, type ColumnRules } from '../experiments/row.js';
import {
  chooseTable,
  columnOf,
  describeNeeds,
  resolveResultsFile,
  resultsFileName,
  resultsTables,
  tablesOf,
  versionSpellings,
  type TableChoiceReason,
  type TableInfo,
} from '../experiments/resultsTable.js';
import { openResults, quoteIdent, type ResultsReader } from '../results/database.js';
import { expandObjects } from '../artifacts/references.js';
import { openRemote } from '../remote/remote.js';
import { confinedFile } from '../trust/confine.js';

/**
 * The experiment `version` names: an experiment tag, else any git revision
 * (HEAD, a branch, a commit). A revision that an experiment tag points at is
 * that experiment; any other is shown with its commit and no metrics (the tag
 * message is what carries them). NotFoundError when it is neither.
 */
export async function findExperiment(repo: Repo, version: string): Promise<Experiment> {
  const experiments = await listExperiments(repo.root);
  const found = experiments.find((e) => e.tag === version);
  if (found) return found;
  const commit = /^-/.test(version) ? null : await resolveCommit(repo.root, version);
  if (!commit) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}: neither an experiment tag nor a git revision`, {
      hint: 'cairn tags lists the experiments; any git revision works too (HEAD, a branch, a commit)',
      data: { version },
    });
  }
  const tagged = experiments.filter((e) => e.commit === commit).pop();
  if (tagged) return tagged;
  const { date, subject } = await commitSummary(repo.root, commit);
  return { tag: version, kind: 'semver', commit, annotated: false, date, subject, metrics: {}, params: {} };
}

function columnRules(repo: Repo): ColumnRules {
  return {
    versionColumns: repo.config.results.versionColumns,
    runColumns: repo.config.results.runColumns,
    bookkeepingColumns: repo.config.results.bookkeepingColumns,
    ...(repo.config.metrics.names ? { metricNames: repo.config.metrics.names } : {}),
  };
}

/** The one results row an experiment is shown with: its run and timestamp, and its metrics and params, all from that row as it was logged. */
export interface ShownRow {
  run?: string;
  timestamp?: string;
  metrics: TagValues;
  params: TagValues;
}

/** An experiment's results rows in the database joined: where they are, how many, and the best of them. */
export interface JoinedRows {
  /** `file#table` (the file from the repo root when inside it). */
  results: string;
  table: string;
  /** Why this table (see experiments/resultsTable.ts). */
  chosenBy: TableChoiceReason;
  /** The column the version was matched in. */
  versionColumn: string;
  /** How many results rows carry this version. */
  rows: number;
  /**
   * The best of them by the sort metric (else metrics.primary), ties broken as
   * `cairn tag` breaks them (compareTiedRows); the only row when there is one;
   * null when several rows and no metric to choose, or no row has a value.
   */
  best: ShownRow | null;
}

/** An experiment as {@link exploreList} returns it: the tag's own record, plus its results rows when a database was joined. */
export interface ListedExperiment extends Experiment {
  resultsRows?: JoinedRows;
}

/** What {@link exploreList} returns: the experiments, the metric they were ranked by, and what the user should know (tables not joined, a loss ranked highest first). */
export interface ExploreListing {
  experiments: ListedExperiment[];
  sort?: { metric: string; minimize: boolean };
  notes: string[];
}

/** Options of {@link exploreList}: which results database and table to join (relative to `cwd`), and how to sort and cut the list. */
export interface ExploreListOptions {
  cwd: string;
  /** Results file to join (default: the one each tag records in Cairn-Results, else results.db from the config or the root). */
  db?: string;
  table?: string;
  /** Sort by this metric (best first; ascending with `minimize`). */
  sort?: string;
  minimize?: boolean;
  /** At most this many (a whole number, at least 1). */
  limit?: number;
}

/** One results file being joined: its tables, and the rows of each table read once, grouped by version. */
interface OpenFile {
  name: string;
  tables: TableInfo[];
  read: Map<string, Map<string, Record<string, unknown>[]>>;
  reader: ResultsReader;
}

/** The rows of `table` grouped by the text of its version column (read once). */
async function versionGroups(f: OpenFile, table: TableInfo, versionColumn: string): Promise<Map<string, Record<string, unknown>[]>> {
  let groups = f.read.get(table.name);
  if (groups) return groups;
  groups = new Map();
  const { rows } = await f.reader.rows(table.name, { sql: `${quoteIdent(versionColumn)} IS NOT NULL`, params: [] });
  for (const row of rows) {
    const key = String(row[versionColumn]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(row);
  }
  f.read.set(table.name, groups);
  return groups;
}

function rowsOf(groups: Map<string, Record<string, unknown>[]>, spellings: string[]): Record<string, unknown>[] {
  return spellings.flatMap((v) => groups.get(v) ?? []);
}

/** The Cairn-Results of a tag, split: `path#table` (the table is after the last `#`). */
function splitRecorded(recorded: string): { file: string; table: string } {
  const at = recorded.lastIndexOf('#');
  return at === -1 ? { file: recorded, table: '' } : { file: recorded.slice(0, at), table: recorded.slice(at + 1) };
}

/** What an experiment is shown with: its best results row, else what its tag recorded. */
export function shownRow(e: ListedExperiment): ShownRow {
  return e.resultsRows?.best ?? { ...(e.run !== undefined ? { run: e.run } : {}), metrics: e.metrics, params: e.params };
}

/**
 * The row of `rows` an experiment is shown with, split like a tag's
 * trailers: the best by `metric` (ties: compareTiedRows), or the only row
 * when no metric is given; null when several rows and no metric, or no row
 * has a value for it. Pure.
 */
export function bestShownRow(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  options: { metric?: string; minimize: boolean; rules: ColumnRules },
): ShownRow | null {
  const { metric, minimize, rules } = options;
  const index = metric !== undefined ? bestRowIndex(rows, metric, minimize, rules.runColumns) : rows.length === 1 ? 0 : -1;
  if (index === -1) return null;
  const row = rows[index]!;
  const summary = summarizeRow(row, columns, { ...(metric !== undefined ? { primary: metric } : {}), rules });
  const timestamp = row[TIMESTAMP_COLUMN];
  return {
    ...(summary.run !== undefined ? { run: summary.run } : {}),
    ...(timestamp !== null && timestamp !== undefined ? { timestamp: String(timestamp) } : {}),
    metrics: summary.metrics,
    params: summary.params,
  };
}

function sortValue(e: ListedExperiment, metric: string): number | null {
  const row = shownRow(e);
  return metricValue(row.metrics[metric] ?? row.params[metric] ?? null);
}

/**
 * The `limit` most recently tagged experiments, in the listing's order: what
 * `--limit N` means without `--sort`, as `git log -n N` shows the newest N.
 * Tags made in the same second keep their order in the listing.
 */
function newest<E extends { date: string }>(experiments: E[], limit: number): E[] {
  const at = (e: E): number => Date.parse(e.date) || 0;
  const chosen = new Set(
    experiments
      .map((e, i) => ({ e, i }))
      .sort((a, b) => at(b.e) - at(a.e) || b.i - a.i)
      .slice(0, limit)
      .map((x) => x.e),
  );
  return experiments.filter((e) => chosen.has(e));
}

/**
 * Experiments in version order (or best first by a metric), each joined with
 * its results rows when a database is known: the one given, else the file
 * its tag records (Cairn-Results), else results.db from the config or the
 * root. The table is chosen per experiment by the rule of
 * experiments/resultsTable.ts. Every experiment is shown with one real row:
 * its best results row, else the row its tag recorded. Throws UsageError for
 * a bad `limit` or a `sort` that names no column or metric there is.
 */
export async function exploreList(repo: Repo, options: ExploreListOptions): Promise<ExploreListing> {
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new UsageError(`--limit must be a whole number of at least 1, not ${JSON.stringify(String(options.limit))}`, { hint: 'e.g. --limit 5' });
  }
  const { config, root } = repo;
  const experiments: ListedExperiment[] = await listExperiments(root);
  const notes = new Set<string>();
  const metric = options.sort ?? config.metrics.primary;
  const minimize = options.minimize ?? (options.sort === undefined || options.sort === config.metrics.primary ? config.metrics.minimize : false);
  if (options.sort !== undefined && !minimize && looksLikeLoss(options.sort)) {
    notes.add(`ranked by the HIGHEST ${options.sort} first; pass --minimize if lower is better`);
  }
  const rules = columnRules(repo);
  const tableRules = { versionColumns: config.results.versionColumns, runColumns: config.results.runColumns };
  const given = options.db !== undefined ? resolveResultsFile(repo, { cwd: options.cwd, db: options.db }) : undefined;
  let fallback: ReturnType<typeof resolveResultsFile> | null = null;
  const files = new Map<string, OpenFile>();
  const known = new Set<string>();
  try {
    for (const e of experiments) {
      for (const k of [...Object.keys(e.metrics), ...Object.keys(e.params)]) known.add(k);
      const recorded = e.results ? splitRecorded(e.results) : undefined;
      let file: string | undefined;
      let recordedTable: string | undefined;
      if (given) {
        file = given.file;
        if (recorded && recorded.file === resultsFileName(root, given.file)) recordedTable = recorded.table;
      } else if (recorded) {
        // The path a tag records (Cairn-Results) is untrusted: confined to the work tree, a regular file.
        if (!fs.lstatSync(path.join(root, recorded.file), { throwIfNoEntry: false })) {
          notes.add(`${recorded.file}, where ${e.tag} found its results, is not in the workspace: ${e.tag} is shown as its tag records it`);
          continue;
        }
        file = confinedFile(root, recorded.file, `read ${recorded.file}, the results database a tag names`);
        recordedTable = recorded.table;
      } else {
        if (fallback === null) fallback = resolveResultsFile(repo, { cwd: options.cwd });
        file = fallback?.file;
        // A default that names no file yet (results.db set before any run) is not an error for a listing.
        if (file !== undefined && !fs.existsSync(file)) {
          notes.add(`${resultsFileName(root, file)} (results.db in the config) does not exist: experiments are shown as their tags record them`);
          continue;
        }
      }
      if (file === undefined) continue;
      let f = files.get(file);
      if (!f) {
        const reader = await openResults(file);
        f = { name: resultsFileName(root, file), tables: [], read: new Map(), reader };
        files.set(file, f);
        f.tables = await tablesOf(reader);
        for (const t of resultsTables(f.tables)) for (const c of t.columns) known.add(c.name);
      }
      const open = f;
      const spellings = versionSpellings(e.tag, config.versions.prefix);
      const needs = { version: spellings, ...(options.sort !== undefined ? { metric: options.sort } : {}) };
      const decision = await chooseTable(f.name, f.tables, {
        ...(options.table !== undefined ? { flag: options.table } : {}),
        ...(recordedTable ? { recorded: recordedTable } : {}),
        ...(config.results.table !== undefined ? { config: config.results.table } : {}),
        needs,
        rules: tableRules,
        holdsRows: async (t) => rowsOf(await versionGroups(open, t, columnOf(t.columns, tableRules.versionColumns)!), spellings).length > 0,
      });
      if (decision.kind === 'none') {
        const shown = decision.tables.map((t) => `${t.name} (${t.columns.map((c) => c.name).join(', ')})`).join('; ');
        notes.add(
          `could not join ${f.name}: no table has ${describeNeeds(needs, tableRules)}${shown ? ` (tables: ${shown})` : ''}; experiments are shown as their tags record them`,
        );
        continue;
      }
      if (decision.kind === 'ambiguous') {
        notes.add(`${e.tag}: several tables of ${f.name} hold its rows (${decision.candidates.join(', ')}): choose one with --table`);
        continue;
      }
      if (decision.kind === 'noRows') continue;
      const location = `${f.name}#${decision.table}`;
      const versionColumn = columnOf(decision.columns, tableRules.versionColumns);
      if (!versionColumn) {
        notes.add(
          `could not join ${location} on ${tableRules.versionColumns.join(' or ')}: it has no such column (its columns: ${decision.columns.map((c) => c.name).join(', ')}); experiments are shown as their tags record them`,
        );
        continue;
      }
      const rows = rowsOf(await versionGroups(f, { name: decision.table, columns: decision.columns }, versionColumn), spellings);
      const names = decision.columns.map((c) => c.name);
      const picking = metric !== undefined && names.includes(metric) ? metric : undefined;
      const best = bestShownRow(rows, names, { ...(picking !== undefined ? { metric: picking } : {}), minimize, rules });
      if (best === null && rows.length > 1 && picking === undefined) {
        notes.add(`no metric picks the best of several rows${metric !== undefined ? ` (${location} has no column ${JSON.stringify(metric)})` : ''}: pass --sort METRIC or set metrics.primary; those experiments are shown as their tags record them`);
      }
      e.resultsRows = { results: location, table: decision.table, chosenBy: decision.by, versionColumn, rows: rows.length, best };
    }
  } finally {
    for (const f of files.values()) f.reader.close();
  }
  if (options.sort !== undefined && experiments.length > 0 && !known.has(options.sort)) {
    throw new UsageError(`nothing to sort by: no column or recorded metric is named ${JSON.stringify(options.sort)}`, {
      hint: `there are: ${[...known].sort().join(', ') || '(none)'}`,
      data: { sort: options.sort, known: [...known].sort() },
    });
  }
  let out = experiments;
  if (options.sort !== undefined) {
    const m = options.sort;
    const dir = minimize ? 1 : -1;
    out = [...experiments].sort((a, b) => {
      const x = sortValue(a, m);
      const y = sortValue(b, m);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (x - y) * dir;
    });
  }
  return {
    experiments: options.limit === undefined ? out : options.sort !== undefined ? out.slice(0, options.limit) : newest(out, options.limit),
    ...(options.sort !== undefined ? { sort: { metric: options.sort, minimize } } : {}),
    notes: [...notes],
  };
}

/** One artifact a commit pins, as its pointer records it, with whether its bytes are in the cache and on the default remote. */
export interface ArtifactAt {
  path: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
  files?: number;
  /** Every object it needs is in the cache. */
  inCache: boolean;
  /** Every object it needs is on the default remote (null: no remote configured). */
  onRemote: boolean | null;
}

/** One experiment as {@link exploreShow} returns it: the tag's record and every artifact its commit pins. */
export interface ShownExperiment extends Experiment {
  artifacts: ArtifactAt[];
}

/** The artifacts a commit pins, with where their bytes are available. */
export async function artifactsAt(repo: Repo, commit: string): Promise<ArtifactAt[]> {
  const pointers = await pointersAt(repo.root, commit);
  const needs = pointers.map((p) => expandObjects(repo.cache, [{ pointer: p.pointer, where: p.pointerPath }]));
  let there: Set<string> | null = null;
  if (Object.keys(repo.config.remotes).length > 0 && pointers.length > 0) {
    const remote = await openRemote(repo);
    try {
      const all = new Map<string, number>();
      for (const n of needs) for (const [h, s] of n.objects) all.set(h, s);
      there = (await remote.inventory([...all].map(([hash, size]) => ({ hash, size })))).present;
    } finally {
      remote.close();
    }
  }
  return pointers.map((p, i) => {
    const objects = [...needs[i]!.objects.keys()];
    return {
      path: p.path,
      kind: p.pointer.kind,
      hash: p.pointer.hash,
      size: p.pointer.size,
      ...(p.pointer.kind === 'dir' ? { files: p.pointer.files } : {}),
      inCache: needs[i]!.unknownManifests.size === 0 && repo.cache.missing(objects).size === 0,
      onRemote: there ? objects.every((h) => there!.has(h)) : null,
    };
  });
}

/**
 * One experiment and every artifact its commit pins, with where their bytes
 * are available (this asks the default remote when one is configured).
 * Throws NotFoundError when no experiment tag has that name. Reads only.
 */
export async function exploreShow(repo: Repo, version: string): Promise<ShownExperiment> {
  return showExperiment(repo, await findExperiment(repo, version));
}

/** {@link exploreShow} of an experiment already found (a caller showing many lists the tags once). */
export async function showExperiment(repo: Repo, experiment: Experiment): Promise<ShownExperiment> {
  return { ...experiment, artifacts: await artifactsAt(repo, experiment.commit) };
}

/** How one metric differs between two experiments (`null` where a side lacks it). */
export interface MetricDelta {
  name: string;
  old: TagValue | null;
  new: TagValue | null;
  /** new - old, when both are numbers. */
  delta: number | null;
  /** delta / |old|; 'n/a' when old is 0 (or either is missing). */
  relative: number | 'n/a';
}

/** What changed from one experiment to another: metrics, the params that differ, artifacts added, removed and changed, and the code (`git diff --stat`). */
export interface ExperimentDiff {
  from: { tag: string; commit: string };
  to: { tag: string; commit: string };
  metrics: MetricDelta[];
  params: { name: string; old: TagValue | null; new: TagValue | null }[];
  artifacts: {
    added: { path: string; hash: string }[];
    removed: { path: string; hash: string }[];
    changed: { path: string; old: string; new: string }[];
  };
  /** `git diff --stat` between the two commits. */
  codeStat: string;
}

/** What changed between two experiments. Pure. */
export function diffExperiments(
  a: Experiment,
  b: Experiment,
  artifactsA: { path: string; hash: string }[],
  artifactsB: { path: string; hash: string }[],
  codeStat: string,
): ExperimentDiff {
  const names = (x: TagValues, y: TagValues) => [...new Set([...Object.keys(x), ...Object.keys(y)])];
  const metrics = names(a.metrics, b.metrics).map((name): MetricDelta => {
    const oldV = a.metrics[name] ?? null;
    const newV = b.metrics[name] ?? null;
    const delta = typeof oldV === 'number' && typeof newV === 'number' ? newV - oldV : null;
    const relative = delta !== null && oldV !== 0 ? delta / Math.abs(oldV as number) : 'n/a';
    return { name, old: oldV, new: newV, delta, relative };
  });
  const params = names(a.params, b.params)
    .filter((name) => a.params[name] !== b.params[name])
    .map((name) => ({ name, old: a.params[name] ?? null, new: b.params[name] ?? null }));
  const before = new Map(artifactsA.map((x) => [x.path, x.hash]));
  const after = new Map(artifactsB.map((x) => [x.path, x.hash]));
  return {
    from: { tag: a.tag, commit: a.commit },
    to: { tag: b.tag, commit: b.commit },
    metrics,
    params,
    artifacts: {
      added: artifactsB.filter((x) => !before.has(x.path)).map(({ path: p, hash }) => ({ path: p, hash })),
      removed: artifactsA.filter((x) => !after.has(x.path)).map(({ path: p, hash }) => ({ path: p, hash })),
      changed: artifactsB
        .filter((x) => before.has(x.path) && before.get(x.path) !== x.hash)
        .map((x) => ({ path: x.path, old: before.get(x.path)!, new: x.hash })),
    },
    codeStat,
  };
}

/**
 * What changed between experiments `v1` and `v2` (see {@link diffExperiments}),
 * read from their tags and commits. Throws NotFoundError when either is not an
 * experiment tag. Reads only.
 */
export async function exploreDiff(repo: Repo, v1: string, v2: string): Promise<ExperimentDiff> {
  return diffFound(repo, await findExperiment(repo, v1), await findExperiment(repo, v2));
}

/** {@link exploreDiff} of two experiments already found (a caller comparing many lists the tags once). */
export async function diffFound(repo: Repo, a: Experiment, b: Experiment): Promise<ExperimentDiff> {
  const [pa, pb] = [await pointersAt(repo.root, a.commit), await pointersAt(repo.root, b.commit)];
  const stat = await diffStat(repo.root, a.commit, b.commit);
  return diffExperiments(
    a,
    b,
    pa.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    pb.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    stat,
  );
}
