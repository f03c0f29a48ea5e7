/**
 * Move objects from one store to another (cache → remote on push, remote →
 * cache on fetch, pull, `explore get` and `merge REV:path`), as dvc-data's
 * `transfer` does: compare what `to` lacks, move only that, several objects
 * at once, each verified by the receiving store before it is named, and
 * report per-object failures instead of stopping at the first. Idempotent:
 * a run that was killed or lost its connection is finished by running it
 * again, since whatever arrived is there under its name and whole.
 */
import { IntegrityError, NotFoundError } from '../errors.js';
import { mapLimit } from '../concurrency.js';
import type { Progress } from '../progress.js';
import { rehash, type ObjectRef, type ObjectStore } from './objectStore.js';

/** Options of {@link transfer}. */
export interface TransferOptions {
  /** Objects moved at once. */
  jobs: number;
  /**
   * Objects that go only after every other has arrived and `to` has been
   * flushed (directory manifests on push: a manifest in a store then means
   * its files are there too). Skipped when any other object failed.
   */
  last?: ReadonlySet<string>;
  /** Also read back and rehash what `to` holds with the right size; the corrupt are replaced like the damaged. */
  verify?: boolean;
  /** Called once `to` has been compared, before anything moves. */
  beforeMove?: () => Promise<void>;
  progress?: Progress;
  /** What the progress line says while bytes move ("pushing to origin"). */
  label?: string;
  /** What it says while `verify` rehashes. */
  verifyLabel?: string;
}

/** What {@link transfer} did. */
export interface TransferResult {
  /** Objects now in `to` that were not (or were damaged) before. */
  transferred: string[];
  bytes: number;
  /** Objects `to` already held intact (by size; by hash with `verify`). */
  present: Set<string>;
  /** Objects `to` held damaged (a wrong size; with `verify`, wrong bytes): replaced when they are in `transferred`. */
  damaged: Set<string>;
  /** Objects that could not be moved: NotFoundError when `from` lacks them, IntegrityError when their bytes do not match their names. */
  failed: Map<string, NotFoundError | IntegrityError>;
  /** Objects of `last` not moved because another object failed. */
  skipped: string[];
}

/**
 * Copy `objects` from `from` to `to`, moving only what `to` lacks or holds
 * damaged, and flush `to` before returning. Failures of single objects
 * (absent from `from`, bytes that do not match) are in the result; any
 * other error (a full disk, a lost connection) is thrown, and what was not
 * flushed is dropped when the caller closes `to`.
 */
export async function transfer(from: ObjectStore, to: ObjectStore, objects: ObjectRef[], options: TransferOptions): Promise<TransferResult> {
  const { present, damaged } = await to.inventory(objects);
  if (options.verify && present.size > 0) {
    options.progress?.start(options.verifyLabel ?? `verifying on ${to.name}`, present.size, 'objects');
    try {
      const found = await rehash(to, [...present], options.jobs, () => options.progress?.tick(1));
      for (const h of [...found.corrupt, ...found.missing]) present.delete(h);
      for (const h of found.corrupt) damaged.add(h);
    } finally {
      options.progress?.stop();
    }
  }
  const result: TransferResult = { transferred: [], bytes: 0, present, damaged, failed: new Map(), skipped: [] };
  const todo = [...new Map(objects.filter((o) => !present.has(o.hash)).map((o) => [o.hash, o])).values()]; // once each
  await options.beforeMove?.();
  const move = async (o: ObjectRef): Promise<void> => {
    try {
      const bytes = await to.put(o.hash, o.size, from, { replace: damaged.has(o.hash), onBytes: (n) => options.progress?.tick(n) });
      result.bytes += bytes; // after the await: `x += await` would add to a stale total
      result.transferred.push(o.hash);
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof IntegrityError) result.failed.set(o.hash, err);
      else throw err;
    }
  };
  const last = options.last ?? new Set<string>();
  options.progress?.start(
    options.label ?? `copying to ${to.name}`,
    todo.reduce((n, o) => n + Math.max(0, o.size), 0),
    'B',
  );
  try {
    await mapLimit(
      todo.filter((o) => !last.has(o.hash)),
      options.jobs,
      move,
    );
    await to.flush(); // what came first is durable in `to` before anything of `last` names it
    const after = todo.filter((o) => last.has(o.hash));
    if (result.failed.size > 0) result.skipped.push(...after.map((o) => o.hash));
    else if (after.length > 0) {
      await mapLimit(after, options.jobs, move);
      await to.flush();
    }
  } finally {
    options.progress?.stop();
  }
  return result;
}
