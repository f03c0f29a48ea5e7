/**
 * One interface for every place objects live: the local cache, a folder
 * remote and an S3 remote all hold `objects/<h[0:2]>/<h[2:]>` and are moved
 * between by one {@link transfer} (./transfer.ts). What a store promises:
 * an object appears under its name only whole, flushed and verified against
 * its hash; a store someone else can write to (a remote) is hostile, so
 * whatever it hands out is verified again by the store that receives it.
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import { mapLimit } from '../concurrency.js';
import { HASH_PREFIX } from './hash.js';

/** An object to look for or move: its hash and size (-1 when the size is not known). */
export interface ObjectRef {
  hash: string;
  size: number;
}

/**
 * What a store holds of some objects: `present` under their names with the
 * expected size; `damaged` under their names with another size (truncated,
 * overwritten). Objects in neither set are missing.
 */
export interface Inventory {
  present: Set<string>;
  damaged: Set<string>;
}

/** Options of {@link ObjectStore.put}. */
export interface PutOptions {
  /** Replace what is under the name now (it was found damaged); without it an object already there is kept. */
  replace?: boolean;
  onBytes?: (n: number) => void;
}

/** One object store (the cache, a folder remote, S3). */
export interface ObjectStore {
  /** How errors and progress name it: the remote's name, or "the cache". */
  readonly name: string;
  /** Which of `objects` it holds with the expected size, and which with another size. */
  inventory(objects: ObjectRef[]): Promise<Inventory>;
  /** A stream of an object's bytes (the receiver verifies them); NotFoundError when absent. */
  read(hash: string): Promise<NodeJS.ReadableStream>;
  /** For a store on a local filesystem: the object's file (null when absent), so it can be copied by the kernel or read in one call. */
  localFile?(hash: string): string | null;
  /**
   * Store the object `hash` (of `size` bytes, -1 when unknown) read from
   * `from`, checking on the way that its bytes hash to `hash`: IntegrityError
   * when they do not, NotFoundError when `from` lacks it. Nothing partial is
   * ever left under the final name; the store may hold it back until
   * {@link flush}. Resolves to the bytes stored.
   */
  put(hash: string, size: number, from: ObjectStore, options?: PutOptions): Promise<number>;
  /** Make every put so far durable and visible under its name (puts may be batched until then). */
  flush(): Promise<void>;
  /** Remove what killed writers left in the store (only names this code generates, only when stale); returns how many went. */
  sweepStaleTemps?(): Promise<number>;
  /** Release connections; puts not flushed are dropped. */
  close(): void;
}

/** What {@link rehash} found: objects whose bytes do not match their names, and objects not there. */
export interface Rehash {
  corrupt: string[];
  missing: string[];
}

/** Read and rehash objects of a store (at most `jobs` at once). */
export async function rehash(store: ObjectStore, hashes: string[], jobs: number, onEach?: (hash: string) => void): Promise<Rehash> {
  const out: Rehash = { corrupt: [], missing: [] };
  await mapLimit(hashes, jobs, async (hash) => {
    try {
      const h = createHash('sha256');
      for await (const chunk of (await store.read(hash)) as AsyncIterable<Buffer>) h.update(chunk);
      if (HASH_PREFIX + h.digest('hex') !== hash) out.corrupt.push(hash);
    } catch (err) {
      if (err instanceof NotFoundError) out.missing.push(hash);
      else throw err;
    }
    onEach?.(hash);
  });
  return out;
}
