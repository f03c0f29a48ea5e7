/**
 * Experiment versions (docs/COMMANDS.md, "Experiments"). Pure: no I/O.
 *
 * Two kinds of tag name are experiments:
 * - `<prefix><major>.<minor>.<patch>` (prefix `e` by default, `versions.prefix`),
 *   ordered and bumped as semver. Only plain `X.Y.Z` counts: a prerelease or
 *   build suffix, a leading zero, `e1` or `e1.x` is not a version and is
 *   skipped wherever tags are read.
 * - `exp-<name>-v<N>`, the tags of a worktree experiment, numbered from 1.
 *
 * For plain `X.Y.Z`, semver precedence is the numeric order of the three
 * parts and a bump raises one part and zeroes the ones after it, so both are
 * done here on the parsed numbers; the tests check every result against the
 * semver package. (Importing semver costs 10-12 ms, a tenth of `cairn next`.)
 */
import { UsageError } from '../errors.js';

/** Which part of `X.Y.Z` a new version raises. */
export type BumpKind = 'major' | 'minor' | 'patch';
/** Every bump kind, in the order usage messages list them. */
export const BUMP_KINDS: readonly BumpKind[] = ['major', 'minor', 'patch'];
/** The bump used when none is given: a new experiment raises the minor version. */
export const DEFAULT_BUMP: BumpKind = 'minor';

/** A `<prefix>X.Y.Z` tag. */
export interface SemverTag {
  kind: 'semver';
  tag: string;
  prefix: string;
  /** `X.Y.Z`, without the prefix. */
  version: string;
  /** [major, minor, patch]. */
  parts: [number, number, number];
}

/** An `exp-<name>-v<N>` tag. */
export interface WorktreeTag {
  kind: 'worktree';
  tag: string;
  name: string;
  n: number;
}

/** A tag name that names an experiment, parsed (see {@link parseExperimentTag}); `kind` tells the two series apart. */
export type ExperimentTag = SemverTag | WorktreeTag;

const PLAIN_SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const WORKTREE_TAG = /^exp-([A-Za-z0-9][A-Za-z0-9._-]*)-v([1-9]\d*)$/;
const PREFIX = /^[A-Za-z0-9._-]*$/;

/** Refuse a prefix that could not start a tag name safely. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix) || prefix.startsWith('-') || prefix.startsWith('.') || prefix.includes('..')) {
    throw new UsageError(`invalid version prefix ${JSON.stringify(prefix)}`, {
      hint: 'a prefix holds letters, digits, ".", "_" and "-", and does not start with "-" or "."; e.g. e or v',
    });
  }
  return prefix;
}

/** `tag` as a version of `prefix`, or null when it is not one (never throws). */
export function parseSemverTag(tag: string, prefix: string): SemverTag | null {
  if (!tag.startsWith(prefix)) return null;
  const version = tag.slice(prefix.length);
  const m = PLAIN_SEMVER.exec(version);
  if (!m) return null;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  if (!parts.every((part) => Number.isSafeInteger(part))) return null;
  return { kind: 'semver', tag, prefix, version, parts };
}

/** Semver precedence of two plain `X.Y.Z` versions: negative, zero or positive. */
export function compareParts(a: readonly number[], b: readonly number[]): number {
  return a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
}

/** `X.Y.Z` raised by one `bump` (as `semver.inc` does for a plain version). */
export function bumpVersion(version: string, bump: BumpKind): string {
  const m = PLAIN_SEMVER.exec(version);
  if (!m) throw new UsageError(`not a plain X.Y.Z version: ${JSON.stringify(version)}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** `exp-<name>-v<N>` parsed, or null. */
export function parseWorktreeTag(tag: string): WorktreeTag | null {
  const m = WORKTREE_TAG.exec(tag);
  if (!m || !Number.isSafeInteger(Number(m[2]))) return null;
  return { kind: 'worktree', tag, name: m[1]!, n: Number(m[2]) };
}

/** Either kind of experiment tag, or null for any other tag name. */
export function parseExperimentTag(tag: string, prefix: string): ExperimentTag | null {
  return parseSemverTag(tag, prefix) ?? parseWorktreeTag(tag);
}

/** Semver order; worktree tags after all versions, by name then number. */
export function compareExperimentTags(a: ExperimentTag, b: ExperimentTag): number {
  if (a.kind === 'semver' && b.kind === 'semver') return compareParts(a.parts, b.parts) || cmp(a.tag, b.tag);
  if (a.kind === 'worktree' && b.kind === 'worktree') return cmp(a.name, b.name) || a.n - b.n;
  return a.kind === 'semver' ? -1 : 1;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The highest version of `prefix` among tag names, or null. */
export function latestVersion(tags: Iterable<string>, prefix: string): SemverTag | null {
  let best: SemverTag | null = null;
  for (const tag of tags) {
    const v = parseSemverTag(tag, prefix);
    if (v && (!best || compareParts(v.parts, best.parts) > 0)) best = v;
  }
  return best;
}

/**
 * The version after the highest existing one of `prefix`, bumped by `bump`
 * (`minor` by default). With none yet, `0.0.0` is bumped: `e0.1.0`.
 */
export function nextVersion(tags: Iterable<string>, prefix: string, bump: BumpKind = DEFAULT_BUMP): string {
  const latest = latestVersion(tags, prefix);
  return prefix + bumpVersion(latest?.version ?? '0.0.0', bump);
}

/** `exp-<name>-v<N+1>` after the highest existing tag of that worktree experiment. */
export function nextWorktreeTag(tags: Iterable<string>, name: string): string {
  let n = 0;
  for (const tag of tags) {
    const t = parseWorktreeTag(tag);
    if (t && t.name === name && t.n > n) n = t.n;
  }
  return `exp-${name}-v${n + 1}`;
}

/** The next free tag of the same series as `requested` (its prefix, or its worktree name). */
export function nextFreeTag(requested: ExperimentTag, tags: Iterable<string>, bump: BumpKind = DEFAULT_BUMP): string {
  return requested.kind === 'semver' ? nextVersion(tags, requested.prefix, bump) : nextWorktreeTag(tags, requested.name);
}

/** The spellings of a version its rows may carry: the tag, and `X.Y.Z` for `<prefix>X.Y.Z`. */
export function versionSpellings(tag: string, prefix: string): string[] {
  const parsed = parseExperimentTag(tag, prefix);
  return parsed?.kind === 'semver' ? [tag, parsed.version] : [tag];
}
