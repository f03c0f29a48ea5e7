/**
 * `cairn tags` and `cairn next`: experiments read from tags alone, with one
 * `git for-each-ref` (one more for tags new to the summaries file) and no
 * database.
 */
import { forEachRef, mainRootOf, repoPaths, streamRefs, type RepoPaths } from '../git/git.js';
import { objectIdCacheUsable } from '../git/objectIdCache.js';
import {
  checkPrefix,
  compareExperimentTags,
  DEFAULT_BUMP,
  latestVersion,
  nextVersion,
  parseExperimentTag,
  type BumpKind,
  type ExperimentTag,
} from '../versions/version.js';
import type { Experiment } from './experiment.js';
import { TRAILER, applyTrailer, emptyCairnTrailers, readNameValue, type CairnTrailers, type Trailer } from './message.js';

export type { Experiment } from './experiment.js';

// Git parses the trailers itself (as `git interpret-trailers --parse` would):
// pairs separated by \x01, key and value by \x02. Rendered values never hold
// control characters. Sorting by version:refname puts the tags nearly in
// order already, so the final sort costs a single pass.
const FIELDS = [
  'refname:lstrip=2',
  'objecttype',
  'objectname',
  '*objectname',
  'creatordate:iso-strict',
  'contents:subject',
  'trailers:only,unfold,separator=%x01,key_value_separator=%x02',
];
const SORT = '--sort=version:refname';

function tagPatterns(prefix: string): string[] {
  return [`refs/tags/${prefix}*`, 'refs/tags/exp-*'];
}

/**
 * Fold git's `%(trailers)` text of one tag into `said`; returns the trailers
 * that are not Cairn-* ones. A scan rather than splits, and Cairn-Metric and
 * Cairn-Param (most of the lines) are recognised in place without slicing
 * their key: this runs on every tag, before V8 has optimised anything.
 */
function readTrailerText(text: string, said: CairnTrailers): Trailer[] | undefined {
  let other: Trailer[] | undefined;
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\x01', pos);
    if (end === -1) end = text.length;
    const sep = text.indexOf('\x02', pos);
    if (sep !== -1 && sep < end) {
      const keyLength = sep - pos;
      if (keyLength === TRAILER.metric.length && text.startsWith(TRAILER.metric, pos)) {
        readNameValue(said.metrics, text.slice(sep + 1, end));
      } else if (keyLength === TRAILER.param.length && text.startsWith(TRAILER.param, pos)) {
        readNameValue(said.params, text.slice(sep + 1, end));
      } else {
        const key = text.slice(pos, sep);
        const value = text.slice(sep + 1, end);
        if (!applyTrailer(said, key, value)) (other ??= []).push({ key, value });
      }
    }
    pos = end + 1;
  }
  return other;
}

/** Options of {@link listExperiments}: the version prefix, else the one the repository's config sets. */
export interface ListExperimentsOptions {
  /** Version prefix (default: `versions.prefix` of the repository's config). */
  prefix?: string;
  /** Environment for CAIRN_* config overrides (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The version prefix the repository's config sets. The config module (and
 * what it imports) is loaded here, while git lists the tags, instead of
 * before git starts.
 */
async function configuredPrefix(paths: RepoPaths, options: ListExperimentsOptions): Promise<string> {
  const { loadConfig } = await import('../config/config.js');
  return checkPrefix((await loadConfig(paths.root, mainRootOf(paths.commonDir), options.env ?? process.env, paths.commonDir)).versions.prefix);
}

/**
 * Read the tags that may be experiments, handing each experiment tag to
 * `onTag` as git prints it; resolves to the prefix in force. Without a
 * prefix, git lists every tag while the config is read (the two waits
 * overlap) and tags that arrive before the prefix is known wait for it.
 */
async function readExperimentRefs(
  cwd: string,
  fields: string[],
  options: ListExperimentsOptions,
  onTag: (ref: string[], version: ExperimentTag) => void,
): Promise<string> {
  let prefix = options.prefix === undefined ? undefined : checkPrefix(options.prefix);
  const waiting: string[][] = [];
  const take = (ref: string[], known: string): void => {
    const version = parseExperimentTag(ref[0]!, known);
    if (version) onTag(ref, version);
  };
  const listing = streamRefs(cwd, fields, prefix === undefined ? ['refs/tags'] : tagPatterns(prefix), [SORT], (ref) => {
    if (prefix === undefined) waiting.push(ref);
    else take(ref, prefix);
  });
  if (prefix === undefined) {
    listing.catch(() => {}); // outside a repository, repoPaths says so first
    const known = await configuredPrefix(await repoPaths(cwd), options);
    prefix = known;
    for (const ref of waiting.splice(0)) take(ref, known);
  }
  await listing;
  return prefix;
}

/** An experiment from what git printed of its tag (FIELDS). */
function experimentOf(ref: string[], version: ExperimentTag): Experiment {
  const annotated = ref[1] === 'tag';
  const said = emptyCairnTrailers();
  const other = annotated ? readTrailerText(ref[6]!, said) : undefined;
  const experiment: Experiment = {
    tag: ref[0]!,
    kind: version.kind,
    commit: annotated ? ref[3]! : ref[2]!,
    annotated,
    date: ref[4]!,
    subject: ref[5]!,
    metrics: said.metrics,
    params: said.params,
  };
  if (said.run !== undefined) experiment.run = said.run;
  if (said.data !== undefined) experiment.data = said.data;
  if (said.results !== undefined) experiment.results = said.results;
  if (said.command !== undefined) experiment.command = said.command;
  if (said.workdir !== undefined) experiment.workdir = said.workdir;
  if (said.exit !== undefined) experiment.exit = said.exit;
  if (said.duration !== undefined) experiment.duration = said.duration;
  if (said.dirty !== undefined) experiment.dirty = said.dirty;
  if (other) experiment.otherTrailers = other;
  return experiment;
}

/** An experiment with its parsed version, for sorting. */
interface Found {
  version: ExperimentTag;
  experiment: Experiment;
}

function inVersionOrder(found: Found[]): Experiment[] {
  return found.sort((a, b) => compareExperimentTags(a.version, b.version)).map((f) => f.experiment);
}

/** Tags whose messages git parses one ref at a time; past this many, git parses every tag of the prefix. */
const FEW_TAGS = 64;

/**
 * Experiments (version tags of the prefix, then worktree tags), in version
 * order, with what their messages say. No database.
 *
 * Git lists only the tags' names and object ids; what each object's message
 * says is read from the summaries file (summaries.ts). Git parses the
 * messages of tags new to that file (one more `git for-each-ref`), and the
 * file is rewritten. The file is passed over while git could say something
 * else about the same object (src/git/objectIdCache.ts).
 */
export async function listExperiments(cwd: string, options: ListExperimentsOptions = {}): Promise<Experiment[]> {
  const given = options.prefix === undefined ? undefined : checkPrefix(options.prefix);
  // Replace refs are listed too: git shows a replaced object's replacement, which the file cannot know of.
  const patterns = [...(given === undefined ? ['refs/tags'] : tagPatterns(given)), 'refs/replace'];
  const listing = forEachRef(cwd, ['refname', 'objectname'], patterns, [SORT]);
  listing.catch(() => {}); // outside a repository, repoPaths says so first
  const usable = objectIdCacheUsable(cwd);
  // While git lists the tags: the prefix, and what is remembered of each tag object.
  const paths = await repoPaths(cwd);
  const { Summaries, summariesPath, writeSummaries } = await import('./summaries.js');
  const prefix = given ?? (await configuredPrefix(paths, options));
  const file = summariesPath(paths.commonDir);
  const known = Summaries.read(file);
  const refs = await listing;
  if (!(await usable(refs.map(([ref]) => ref!)))) return inVersionOrder(await parseTags(cwd, prefix, experimentTagNames(refs, prefix)));
  const found: Found[] = [];
  const unknown: string[] = [];
  const listed = new Set<string>();
  for (const [ref, id] of refs) {
    if (!ref!.startsWith('refs/tags/')) continue;
    const tag = ref!.slice('refs/tags/'.length);
    listed.add(id!);
    const version = parseExperimentTag(tag, prefix);
    if (!version) continue;
    const summary = known.get(id!);
    if (!summary) unknown.push(tag);
    else found.push({ version, experiment: summary.tag === tag && summary.kind === version.kind ? summary : { ...summary, tag, kind: version.kind } });
  }
  if (unknown.length === 0) return inVersionOrder(found);

  const parsed = await parseTags(cwd, prefix, unknown);
  found.push(...parsed);
  // Keep what is remembered of tags still there (of every tag, when this listing saw only one prefix).
  const summaries = known.entries((id) => given !== undefined || listed.has(id));
  for (const { id, experiment } of parsed) summaries.set(id, experiment);
  writeSummaries(file, summaries);
  return inVersionOrder(found);
}

/** The experiment tags among `refs` (full ref names, each with its object id). */
function experimentTagNames(refs: string[][], prefix: string): string[] {
  const names = refs.filter(([ref]) => ref!.startsWith('refs/tags/')).map(([ref]) => ref!.slice('refs/tags/'.length));
  return names.filter((tag) => parseExperimentTag(tag, prefix) !== null);
}

/**
 * The experiments of `tags` as git parses their messages, with the id of the
 * object each tag names (several lightweight tags may name one commit).
 */
async function parseTags(cwd: string, prefix: string, tags: string[]): Promise<(Found & { id: string })[]> {
  const wanted = new Set(tags);
  const parsed: (Found & { id: string })[] = [];
  const patterns = tags.length <= FEW_TAGS ? tags.map((tag) => `refs/tags/${tag}`) : tagPatterns(prefix);
  await streamRefs(cwd, FIELDS, patterns, [SORT], (ref) => {
    const version = wanted.has(ref[0]!) ? parseExperimentTag(ref[0]!, prefix) : null;
    if (version) parsed.push({ id: ref[2]!, version, experiment: experimentOf(ref, version) });
  });
  return parsed;
}

/** Options of {@link nextExperimentVersion}: the prefix, and which part to bump (default {@link DEFAULT_BUMP}). */
export interface NextVersionOptions extends ListExperimentsOptions {
  bump?: BumpKind;
}

/** The version {@link nextExperimentVersion} proposes, and the latest existing one it was bumped from. */
export interface NextVersion {
  next: string;
  /** The highest existing version of the prefix, or null. */
  latest: string | null;
  prefix: string;
  bump: BumpKind;
}

/** The version `cairn tag` would create with no VERSION given. */
export async function nextExperimentVersion(cwd: string, options: NextVersionOptions = {}): Promise<NextVersion> {
  const bump = options.bump ?? DEFAULT_BUMP;
  const tags: string[] = [];
  const prefix = await readExperimentRefs(cwd, ['refname:lstrip=2'], options, (ref) => tags.push(ref[0]!));
  return { next: nextVersion(tags, prefix, bump), latest: latestVersion(tags, prefix)?.tag ?? null, prefix, bump };
}
