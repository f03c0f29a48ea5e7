/**
 * What each experiment tag's message says, kept by object id in
 * `<git common dir>/cairn/tag-summaries.json`.
 *
 * A tag object never changes (its id is the hash of its bytes), nor does the
 * commit a lightweight tag names, so what git parsed out of one once holds
 * for good. `cairn tags` then asks git only for names and ids (a few ms for
 * 1,000 tags, against ~20 ms to parse every message's trailers again) and
 * reads the rest here. A missing, damaged or foreign file is read as empty
 * and rewritten whole; nothing here is ever the only copy of anything.
 * When the file may be used at all is git's business: the one invalidation
 * rule is in src/git/objectIdCache.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TEMP_MARKER, staleTempsIn, writeFileAtomic } from '../durable/atomicWrite.js';
import type { Experiment } from './list.js';

/**
 * What the object behind a tag says, as an experiment. Its `tag` and `kind`
 * are those of the ref it was first listed under; a listing corrects them
 * when another ref names the same object.
 */
export type TagSummary = Experiment;

/** Bump when the fields read from a tag change: an older file is then ignored. */
const FORMAT = 2;

/** The summaries file of the repository whose git common dir is `commonDir`. */
export function summariesPath(commonDir: string): string {
  return path.join(commonDir, 'cairn', 'tag-summaries.json');
}

function isValues(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const name in value) {
    const type = typeof (value as Record<string, unknown>)[name];
    if (type !== 'number' && type !== 'string' && type !== 'boolean') return false;
  }
  return true;
}

function isTrailers(value: unknown): boolean {
  return Array.isArray(value) && value.every((t) => typeof t?.key === 'string' && typeof t?.value === 'string' && Object.keys(t).length === 2);
}

/**
 * Exactly the fields of an experiment, each of its type: anything else on
 * file is damage. (A loop over the keys rather than a schema: it runs on
 * every tag of every listing.)
 */
function isSummary(value: unknown): value is TagSummary {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let required = 0;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    switch (key) {
      case 'tag':
      case 'commit':
      case 'date':
      case 'subject':
        required++;
        if (typeof v !== 'string') return false;
        break;
      case 'run':
      case 'data':
      case 'results':
      case 'workdir':
        if (typeof v !== 'string') return false;
        break;
      case 'command':
        if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) return false;
        break;
      case 'exit':
      case 'duration':
        if (typeof v !== 'number') return false;
        break;
      case 'dirty':
        if (typeof v !== 'boolean') return false;
        break;
      case 'kind':
        required++;
        if (v !== 'semver' && v !== 'worktree') return false;
        break;
      case 'annotated':
        required++;
        if (typeof v !== 'boolean') return false;
        break;
      case 'metrics':
      case 'params':
        required++;
        if (!isValues(v)) return false;
        break;
      case 'otherTrailers':
        if (!isTrailers(v)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 8;
}

// JSON has no NaN, Infinity or -0, which a metric may be: such values are
// kept as text under `numbers` and put back on reading.
type Numbers = [field: 'metrics' | 'params', name: string, text: string][];

function unlikeJson(v: unknown): v is number {
  return typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0));
}

function withNumbersAsText(summary: TagSummary): TagSummary | (TagSummary & { numbers: Numbers }) {
  const numbers: Numbers = [];
  for (const field of ['metrics', 'params'] as const) {
    for (const [name, v] of Object.entries(summary[field])) if (unlikeJson(v)) numbers.push([field, name, String(Object.is(v, -0) ? '-0' : v)]);
  }
  return numbers.length ? { ...summary, numbers } : summary;
}

function withNumbersBack(entry: Record<string, unknown>): unknown {
  const { numbers, ...summary } = entry as { numbers: unknown } & Record<string, unknown>;
  if (!Array.isArray(numbers)) return undefined;
  const out: Record<string, unknown> = { ...summary, metrics: { ...(summary.metrics as object) }, params: { ...(summary.params as object) } };
  for (const item of numbers) {
    if (!Array.isArray(item) || item.length !== 3 || (item[0] !== 'metrics' && item[0] !== 'params')) return undefined;
    const value = Number(item[2]);
    if (typeof item[1] !== 'string' || !unlikeJson(value) || !Object.hasOwn(out[item[0]] as object, item[1])) return undefined;
    (out[item[0]] as Record<string, unknown>)[item[1]] = value;
  }
  return out;
}

/** The summaries on file, by object id. */
export class Summaries {
  private constructor(private readonly tags: Record<string, unknown>) {}

  /** Read `file`; empty when there is none or it cannot be read. */
  static read(file: string): Summaries {
    try {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: unknown; tags?: unknown } | null;
      if (doc?.format === FORMAT && typeof doc.tags === 'object' && doc.tags !== null) return new Summaries(doc.tags as Record<string, unknown>);
    } catch {
      /* read as empty */
    }
    return new Summaries({});
  }

  /** The entries on file whose object ids pass `keep`, damaged ones left out. */
  entries(keep: (id: string) => boolean): Map<string, TagSummary> {
    const out = new Map<string, TagSummary>();
    for (const id of Object.keys(this.tags)) {
      const summary = this.get(id);
      if (summary && keep(id)) out.set(id, summary);
    }
    return out;
  }

  /** What the object `id` says, or undefined when it is not on file (or its entry is damaged). */
  get(id: string): TagSummary | undefined {
    let summary = Object.hasOwn(this.tags, id) ? this.tags[id] : undefined;
    if (typeof summary === 'object' && summary !== null && 'numbers' in summary) summary = withNumbersBack(summary as Record<string, unknown>);
    return isSummary(summary) ? summary : undefined;
  }
}

/**
 * Replace the file with these summaries. Not flushed to disk: losing it
 * costs one slower listing. A failure to write (read-only repository) is
 * not an error either.
 */
export function writeSummaries(file: string, summaries: Map<string, TagSummary>): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // What a killed listing left (only its own temp files: other files of that folder are not its business).
    const ownTemp = `.${path.basename(file)}${TEMP_MARKER}`;
    for (const stale of staleTempsIn(path.dirname(file))) if (path.basename(stale).startsWith(ownTemp)) fs.rmSync(stale, { force: true });
    const tags = Object.fromEntries([...summaries].map(([id, summary]) => [id, withNumbersAsText(summary)]));
    writeFileAtomic(file, JSON.stringify({ format: FORMAT, tags }), { durable: false });
  } catch {
    /* the next listing asks git again */
  }
}
