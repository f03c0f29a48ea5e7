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
 */
import fs from 'node:fs';
import path from 'node:path';
import { sweepStaleTemps, writeFileAtomic } from '../durable/atomicWrite.js';
import type { Experiment } from './list.js';

/**
 * What the object behind a tag says, as an experiment. Its `tag` and `kind`
 * are those of the ref it was first listed under; a listing corrects them
 * when another ref names the same object.
 */
export type TagSummary = Experiment;

/** Bump when the fields read from a tag change: an older file is then ignored. */
const FORMAT = 1;

/** The summaries file of the repository whose git common dir is `commonDir`. */
export function summariesPath(commonDir: string): string {
  return path.join(commonDir, 'cairn', 'tag-summaries.json');
}

function isSummary(value: unknown): value is TagSummary {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.tag === 'string' &&
    typeof s.kind === 'string' &&
    typeof s.commit === 'string' &&
    typeof s.annotated === 'boolean' &&
    typeof s.date === 'string' &&
    typeof s.subject === 'string' &&
    typeof s.metrics === 'object' &&
    s.metrics !== null &&
    typeof s.params === 'object' &&
    s.params !== null
  );
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
    const summary = Object.hasOwn(this.tags, id) ? this.tags[id] : undefined;
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
    sweepStaleTemps(path.dirname(file)); // what a killed listing left
    writeFileAtomic(file, JSON.stringify({ format: FORMAT, tags: Object.fromEntries(summaries) }), { durable: false });
  } catch {
    /* the next listing asks git again */
  }
}
