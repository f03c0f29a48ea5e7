/**
 * Looking back at experiments: `explore list` (tags, optionally joined with
 * their results rows), `explore show` (one experiment and every artifact it
 * pinned) and `explore diff` (what changed between two). Everything is read
 * from git and the cache; the workspace is never touched.
 */
import path from 'node:path';
import fs from 'node:fs';
import { NotFoundError } from '../errors.js';
import { git } from '../git/git.js';
import { pointersAt } from '../git/revision.js';
import type { Repo } from '../repo/repo.js';
import { listExperiments, type Experiment } from '../experiments/list.js';
import type { TagValue, TagValues } from '../experiments/message.js';
import { bestRowIndex, metricValue, summarizeRow, type ColumnRules } from '../experiments/row.js';
import { openResults, quoteIdent } from '../results/database.js';
import { expandObjects } from '../artifacts/references.js';
import { openRemote } from '../remote/remote.js';
import { confinedFile } from '../trust/confine.js';

/** The experiment a tag names, or a NotFoundError that says how to find one. */
export async function findExperiment(repo: Repo, version: string): Promise<Experiment> {
  const found = (await listExperiments(repo.root)).find((e) => e.tag === version);
  if (!found) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}`, { hint: 'cairn tags lists the experiments', data: { version } });
  }
  return found;
}

function columnRules(repo: Repo): ColumnRules {
  return {
    versionColumns: repo.config.results.versionColumns,
    runColumns: repo.config.results.runColumns,
    bookkeepingColumns: repo.config.results.bookkeepingColumns,
    ...(repo.config.metrics.names ? { metricNames: repo.config.metrics.names } : {}),
  };
}

export interface JoinedRows {
  /** How many results rows carry this version. */
  rows: number;
  /** The best of them (by the primary metric), split like a tag's trailers. */
  metrics: TagValues;
  params: TagValues;
}

/** An experiment as {@link exploreList} returns it: the tag's own record, plus a summary of its results rows when a database was joined. */
export interface ListedExperiment extends Experiment {
  resultsRows?: JoinedRows;
}

/** Options of {@link exploreList}: which results database and table to join (relative to `cwd`), and how to sort and cut the list. */
export interface ExploreListOptions {
  cwd: string;
  /** Results file to join (default: the one a tag records in Cairn-Results, when it exists). */
  db?: string;
  table?: string;
  /** Sort by this metric (best first; ascending with `minimize`). */
  sort?: string;
  minimize?: boolean;
  limit?: number;
}

/** Rows of a results table grouped by version (read once for all tags). */
async function rowsByVersion(repo: Repo, file: string, table: string | undefined): Promise<{ groups: Map<string, Record<string, unknown>[]>; columns: string[] }> {
  const reader = await openResults(file);
  try {
    const tables = table ? [table] : await reader.tables();
    for (const t of tables) {
      const columns = (await reader.columns(t)).map((c) => c.name);
      const versionColumn = repo.config.results.versionColumns.find((v) => columns.includes(v));
      if (!versionColumn) continue;
      const groups = new Map<string, Record<string, unknown>[]>();
      const { rows } = await reader.rows(t, { sql: `${quoteIdent(versionColumn)} IS NOT NULL`, params: [] });
      for (const row of rows) {
        const key = String(row[versionColumn]);
        let list = groups.get(key);
        if (!list) groups.set(key, (list = []));
        list.push(row);
      }
      return { groups, columns };
    }
  } finally {
    reader.close();
  }
  throw new NotFoundError(`no table in ${file} has a version column (${repo.config.results.versionColumns.join(', ')})`, {
    hint: 'name the table with --table',
  });
}

function sortValue(e: ListedExperiment, metric: string): number | null {
  return metricValue(e.metrics[metric] ?? e.resultsRows?.metrics[metric] ?? null);
}

/** Experiments in version order (or by a metric), with their results rows when a database is known. */
export async function exploreList(repo: Repo, options: ExploreListOptions): Promise<ListedExperiment[]> {
  const experiments: ListedExperiment[] = await listExperiments(repo.root);
  const recorded = experiments.find((e) => e.results)?.results;
  // The path a tag recorded (Cairn-Results) is untrusted: confined to the work tree, a regular file.
  const recordedFile = recorded?.split('#')[0];
  const dbFile = options.db
    ? path.resolve(options.cwd, options.db)
    : recordedFile && fs.lstatSync(path.join(repo.root, recordedFile), { throwIfNoEntry: false })
      ? confinedFile(repo.root, recordedFile, `read ${recordedFile}, the results database a tag names`)
      : null;
  if (dbFile) {
    const table = options.table ?? (options.db ? undefined : recorded?.split('#')[1]);
    const { groups, columns } = await rowsByVersion(repo, dbFile, table);
    const primary = options.sort ?? repo.config.metrics.primary;
    const minimize = options.minimize ?? repo.config.metrics.minimize;
    for (const e of experiments) {
      const rows = groups.get(e.tag) ?? groups.get(e.tag.replace(/^[^0-9]*(?=\d+\.\d+\.\d+$)/, '')) ?? [];
      if (rows.length === 0) continue;
      const best = primary ? Math.max(0, bestRowIndex(rows, primary, minimize)) : 0;
      const summary = summarizeRow(rows[best]!, columns, { primary, rules: columnRules(repo) });
      e.resultsRows = { rows: rows.length, metrics: summary.metrics, params: summary.params };
    }
  }
  let out = experiments;
  if (options.sort) {
    const m = options.sort;
    const dir = options.minimize ? 1 : -1;
    out = [...experiments].sort((a, b) => {
      const x = sortValue(a, m);
      const y = sortValue(b, m);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (x - y) * dir;
    });
  }
  return options.limit !== undefined ? out.slice(0, options.limit) : out;
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
      there = await remote.present([...all].map(([hash, size]) => ({ hash, size })));
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
  const experiment = await findExperiment(repo, version);
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
  const [a, b] = [await findExperiment(repo, v1), await findExperiment(repo, v2)];
  const [pa, pb] = [await pointersAt(repo.root, a.commit), await pointersAt(repo.root, b.commit)];
  const { stdout } = await git(['diff', '--stat', a.commit, b.commit], { cwd: repo.root });
  return diffExperiments(
    a,
    b,
    pa.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    pb.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    stdout.trimEnd(),
  );
}
