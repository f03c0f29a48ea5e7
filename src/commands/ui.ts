/**
 * The documents behind `cairn ui`: each one is what the matching command
 * prints with --json, produced by the same library call (explore list, show,
 * diff, lineage, model list, worktree list). Only `info` (the config the page
 * needs: primary metric, prefix) and `bases` (which version each worktree
 * variant branched from, for the chart) are the page's own. Combines the
 * explore, models and worktrees domains: a command. Reads only.
 */
import { mapLimit } from '../concurrency.js';
import { CairnError, toCairnError, UsageError } from '../errors.js';
import { nearestTags } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { listExperiments } from '../experiments/list.js';
import type { ExperimentDiff } from '../experiments/diff.js';
import { diffFound, exploreDiff } from './exploreDiff.js';
import { lineage, type LineageResult } from './exploreLineage.js';
import { exploreList, type ExploreListing } from './exploreList.js';
import { exploreShow, showExperiment, type ShownExperiment } from './exploreShow.js';
import { modelList, type ModelList } from './modelList.js';
import { listExperimentWorktrees, type WorktreeEntry } from './worktreeList.js';

/** Where the documents are read from: the repository, the folder relative paths are taken from, and the results database (`--db`). */
export interface UiSource {
  repo: Repo;
  cwd: string;
  db?: string;
}

/** What the page needs from the config. */
export interface UiInfo {
  root: string;
  primary: string | null;
  minimize: boolean;
  prefix: string;
}

/** Every version a data artifact had across the experiments, each with the experiments that used it (`explore lineage HASH --json`). */
export interface PathLineage {
  path: string;
  versions: LineageResult[];
}

/** The API's endpoints, by name: a fixed table (the server answers nothing else). */
export const UI_ENDPOINTS = ['info', 'list', 'show', 'diff', 'lineage', 'models', 'worktrees', 'bases'] as const;
/** The name of one of the API's endpoints. */
export type UiEndpoint = (typeof UI_ENDPOINTS)[number];

/** `info`: the config values the page uses. */
export function uiInfo(source: UiSource): UiInfo {
  const { config, root } = source.repo;
  return { root, primary: config.metrics.primary ?? null, minimize: Boolean(config.metrics.minimize), prefix: config.versions.prefix };
}

/** `list`: `cairn explore list [--db FILE] --json`. */
export function uiList(source: UiSource): Promise<ExploreListing> {
  return exploreList(source.repo, { cwd: source.cwd, ...(source.db !== undefined ? { db: source.db } : {}) });
}

/** `show`: `cairn explore show VERSION --json`. */
export function uiShow(source: UiSource, version: string): Promise<ShownExperiment> {
  return exploreShow(source.repo, version);
}

/** `diff`: `cairn explore diff V1 V2 --json`. */
export async function uiDiff(source: UiSource, v1: string, v2: string): Promise<ExperimentDiff & { notes: string[] }> {
  return { ...(await exploreDiff(source.repo, v1, v2)), notes: [] };
}

/** `models`: `cairn model list [--db FILE] --json`. */
export function uiModels(source: UiSource): Promise<ModelList> {
  return modelList(source.repo, { cwd: source.cwd, ...(source.db !== undefined ? { db: source.db } : {}) });
}

/** `worktrees`: `cairn worktree list --json`. */
export async function uiWorktrees(source: UiSource): Promise<{ worktrees: WorktreeEntry[] }> {
  return { worktrees: await listExperimentWorktrees(source.repo) };
}

/**
 * `lineage`: the hashes `path` had at the experiments' commits, newest
 * first, each with `cairn explore lineage HASH --json`. A path no
 * experiment pins is a NotFound-free empty list.
 */
export async function uiLineage(source: UiSource, path: string): Promise<PathLineage> {
  if (!path || path.startsWith('-'))
    throw new UsageError(`not an artifact path: ${JSON.stringify(path)}`, { hint: 'give a path from the repository root, e.g. data' });
  const experiments = await listExperiments(source.repo.root);
  const hashes: string[] = [];
  for (const e of [...experiments].reverse()) {
    for (const p of await pointersAt(source.repo.root, e.commit)) {
      if (p.path === path && !hashes.includes(p.pointer.hash)) hashes.push(p.pointer.hash);
    }
  }
  const versions: LineageResult[] = [];
  for (const hash of hashes) versions.push(await lineage(source.repo, { cwd: source.cwd, target: hash }));
  return { path, versions };
}

/**
 * `bases`: for each worktree variant (`exp-NAME-vN`), the experiment version
 * its commit descends from (the nearest `<prefix>X.Y.Z` tag), or null. The
 * chart joins each variant's series to that version.
 */
export async function uiBases(
  source: UiSource,
  experiments?: { tag: string; kind: string; commit: string }[],
): Promise<{ bases: Record<string, string | null> }> {
  const list = experiments ?? (await listExperiments(source.repo.root));
  const prefix = source.repo.config.versions.prefix;
  const variants = list.filter((e) => e.kind === 'worktree');
  const bases: Record<string, string | null> = {};
  if (variants.length === 0) return { bases };
  const lines = await nearestTags(
    source.repo.root,
    variants.map((e) => e.commit),
    [`${prefix}[0-9]*`],
  );
  const versions = new Set(list.filter((e) => e.kind === 'semver').map((e) => e.tag));
  variants.forEach((e, i) => {
    const found = lines[i] ?? null;
    bases[e.tag] = found !== null && versions.has(found) ? found : null;
  });
  return { bases };
}

/** The query parameters an endpoint reads. */
export type UiQuery = Record<string, string | undefined>;

/** Answer one endpoint: the document it returns (UsageError when a parameter is missing). */
export async function uiDocument(source: UiSource, endpoint: UiEndpoint, query: UiQuery): Promise<unknown> {
  const need = (name: string): string => {
    const v = query[name];
    if (v === undefined || v === '') throw new UsageError(`${endpoint} needs ?${name}=`, { hint: `e.g. /api/${endpoint}?${name}=e0.1.0` });
    return v;
  };
  switch (endpoint) {
    case 'info':
      return uiInfo(source);
    case 'list':
      return uiList(source);
    case 'show':
      return uiShow(source, need('version'));
    case 'diff':
      return uiDiff(source, need('a'), need('b'));
    case 'lineage':
      return uiLineage(source, need('path'));
    case 'models':
      return uiModels(source);
    case 'worktrees':
      return uiWorktrees(source);
    case 'bases':
      return uiBases(source);
  }
}

/** A document, or the error the command would have printed with --json. */
export type Maybe<T> = T | { error: { code: string; exitCode: number; message: string; hint: string } };

/** Everything `cairn ui --export` embeds: the same documents the API serves, gathered once. */
export interface UiSnapshot {
  info: UiInfo;
  list: Maybe<ExploreListing>;
  models: Maybe<ModelList>;
  worktrees: Maybe<{ worktrees: WorktreeEntry[] }>;
  bases: { bases: Record<string, string | null> };
  /** `explore show` of the newest `maxShown` experiments, by tag. */
  show: Record<string, Maybe<ShownExperiment>>;
  /** `explore diff A B`, keyed `A..B`: every pair when at most 6 are detailed, else each with the one before it and each variant with its base. */
  diff: Record<string, Maybe<ExperimentDiff & { notes: string[] }>>;
  /** The lineage of every artifact of the newest experiment, by path (when at most `maxShown` experiments). */
  lineage: Record<string, Maybe<PathLineage>>;
  /** What was left out, said on the page. */
  notes: string[];
}

async function attempt<T>(work: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return await work();
  } catch (err) {
    const e = err instanceof CairnError ? err : toCairnError(err);
    return { error: { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint } };
  }
}

/** Every pair a snapshot carries a diff for (see {@link UiSnapshot}). Pure. */
export function snapshotPairs(shown: string[], bases: Record<string, string | null>, allPairsUpTo = 6): [string, string][] {
  const pairs: [string, string][] = [];
  if (shown.length <= allPairsUpTo) {
    for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) pairs.push([shown[i]!, shown[j]!]);
    return pairs;
  }
  const has = new Set(shown);
  for (let i = 1; i < shown.length; i++) pairs.push([shown[i - 1]!, shown[i]!]);
  for (const [tag, base] of Object.entries(bases)) if (base && has.has(tag) && has.has(base)) pairs.push([base, tag]);
  return pairs;
}

/** How many of the newest experiments an export details by default (artifacts, comparisons): enough for a pull request, fast at 1,000 tags. */
export const DEFAULT_DETAIL = 10;

/** How many show/diff documents are gathered at once (each is a few git processes). */
const SNAPSHOT_CONCURRENCY = 4;

/** Gather the documents of a whole page (see {@link UiSnapshot}). */
export async function uiSnapshot(source: UiSource, options: { maxShown?: number } = {}): Promise<UiSnapshot> {
  const maxShown = options.maxShown ?? DEFAULT_DETAIL;
  const notes: string[] = [];
  const experiments = await listExperiments(source.repo.root);
  // The documents are independent and mostly wait on git: gathered concurrently.
  const [list, models, worktrees, bases] = await Promise.all([
    attempt(() => uiList(source)),
    attempt(() => uiModels(source)),
    attempt(() => uiWorktrees(source)),
    uiBases(source, experiments),
  ]);
  const newestTags = new Set(
    [...experiments]
      .sort((x, y) => (x.date < y.date ? 1 : x.date > y.date ? -1 : 0))
      .slice(0, maxShown)
      .map((e) => e.tag),
  );
  const detailed = experiments.filter((e) => newestTags.has(e.tag));
  const byTag = new Map(detailed.map((e) => [e.tag, e]));
  const shownTags = detailed.map((e) => e.tag);
  if (experiments.length > maxShown)
    notes.push(
      `this report details the newest ${maxShown} of ${experiments.length} experiments (artifacts, comparisons, lineage); cairn ui --export FILE --detail N details more, cairn ui shows them all`,
    );
  const show: UiSnapshot['show'] = {};
  // The documents of explore show and diff, from the tags listed once (not once per document).
  const pairs = snapshotPairs(shownTags, bases.bases);
  const diff: UiSnapshot['diff'] = {};
  const [shown, diffs] = await Promise.all([
    mapLimit(detailed, SNAPSHOT_CONCURRENCY, (e) => attempt(() => showExperiment(source.repo, e))),
    mapLimit(pairs, SNAPSHOT_CONCURRENCY, ([a, b]) => attempt(async () => ({ ...(await diffFound(source.repo, byTag.get(a)!, byTag.get(b)!)), notes: [] }))),
  ]);
  detailed.forEach((e, i) => (show[e.tag] = shown[i]!));
  pairs.forEach(([a, b], i) => (diff[`${a}..${b}`] = diffs[i]!));
  const lineageDocs: UiSnapshot['lineage'] = {};
  const newestTag = [...detailed].sort((x, y) => (x.date < y.date ? 1 : x.date > y.date ? -1 : 0))[0]?.tag;
  const newest = newestTag !== undefined ? show[newestTag] : undefined;
  if (experiments.length <= maxShown && newest && !('error' in newest)) {
    const docs = await mapLimit(newest.artifacts, SNAPSHOT_CONCURRENCY, (a) => attempt(() => uiLineage(source, a.path)));
    newest.artifacts.forEach((a, i) => (lineageDocs[a.path] = docs[i]!));
  }
  return { info: uiInfo(source), list, models, worktrees, bases, show, diff, lineage: lineageDocs, notes };
}
