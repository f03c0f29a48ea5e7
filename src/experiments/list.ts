/**
 * `cairn tags` and `cairn next`: experiments read from tags alone, with one
 * `git for-each-ref` and no database.
 */
import { forEachRef, mainRootOf, repoPaths } from '../git/git.js';
import { loadConfig } from '../config/config.js';
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
import { applyTrailer, emptyCairnTrailers, type TagValues, type Trailer } from './message.js';

export interface Experiment {
  tag: string;
  /** `semver` for `<prefix>X.Y.Z`, `worktree` for `exp-<name>-v<N>`. */
  kind: ExperimentTag['kind'];
  commit: string;
  /** False for a lightweight tag, which has no message of its own. */
  annotated: boolean;
  /** Tagger date (committer date for a lightweight tag), ISO 8601. */
  date: string;
  subject: string;
  run?: string;
  metrics: TagValues;
  params: TagValues;
  data?: string;
  results?: string;
  /** Trailers of the tag message other than Cairn-* ones (e.g. Signed-off-by); omitted when none. */
  otherTrailers?: Trailer[];
}

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

/** Fold git's `%(trailers)` text into an experiment (a scan, not splits: it runs once per tag). */
function readTrailerText(text: string, experiment: Experiment): void {
  const said = emptyCairnTrailers();
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\x01', pos);
    if (end === -1) end = text.length;
    const sep = text.indexOf('\x02', pos);
    if (sep !== -1 && sep < end) {
      const key = text.slice(pos, sep);
      const value = text.slice(sep + 1, end);
      if (!applyTrailer(said, key, value)) (experiment.otherTrailers ??= []).push({ key, value });
    }
    pos = end + 1;
  }
  experiment.metrics = said.metrics;
  experiment.params = said.params;
  if (said.run !== undefined) experiment.run = said.run;
  if (said.data !== undefined) experiment.data = said.data;
  if (said.results !== undefined) experiment.results = said.results;
}

export interface ListExperimentsOptions {
  /** Version prefix (default: `versions.prefix` of the repository's config). */
  prefix?: string;
  /** Environment for CAIRN_* config overrides (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The refs `fields` of the tags that may be experiments, and the prefix.
 * Without a prefix, git lists every tag while the config is read, so the
 * two waits overlap.
 */
async function readTagRefs(cwd: string, fields: string[], options: ListExperimentsOptions): Promise<{ prefix: string; refs: string[][] }> {
  if (options.prefix !== undefined) {
    const prefix = checkPrefix(options.prefix);
    return { prefix, refs: await forEachRef(cwd, fields, tagPatterns(prefix), [SORT]) };
  }
  const listing = forEachRef(cwd, fields, ['refs/tags'], [SORT]);
  listing.catch(() => {}); // outside a repository, repoPaths says so first
  const paths = await repoPaths(cwd);
  const config = loadConfig(paths.root, mainRootOf(paths.commonDir), options.env ?? process.env);
  return { prefix: checkPrefix(config.versions.prefix), refs: await listing };
}

/**
 * Experiments (version tags of the prefix, then worktree tags), in version
 * order, with what their messages say. One `git for-each-ref`; no database.
 */
export async function listExperiments(cwd: string, options: ListExperimentsOptions = {}): Promise<Experiment[]> {
  const { prefix, refs } = await readTagRefs(cwd, FIELDS, options);
  const found: { version: ExperimentTag; experiment: Experiment }[] = [];
  for (const ref of refs) {
    const version = parseExperimentTag(ref[0]!, prefix);
    if (!version) continue;
    const annotated = ref[1] === 'tag';
    const experiment: Experiment = {
      tag: ref[0]!,
      kind: version.kind,
      commit: annotated ? ref[3]! : ref[2]!,
      annotated,
      date: ref[4]!,
      subject: ref[5]!,
      metrics: {},
      params: {},
    };
    if (annotated) readTrailerText(ref[6]!, experiment);
    found.push({ version, experiment });
  }
  return found.sort((a, b) => compareExperimentTags(a.version, b.version)).map((f) => f.experiment);
}

export interface NextVersionOptions extends ListExperimentsOptions {
  bump?: BumpKind;
}

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
  const { prefix, refs } = await readTagRefs(cwd, ['refname:lstrip=2'], options);
  const tags = refs.map((r) => r[0]!);
  return { next: nextVersion(tags, prefix, bump), latest: latestVersion(tags, prefix)?.tag ?? null, prefix, bump };
}
