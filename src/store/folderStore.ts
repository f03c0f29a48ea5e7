/**
 * An object store in a folder with the cache's layout: the local cache
 * itself, or a folder remote (local disk, NFS). Writes go through the
 * cache's writers: small objects staged in their folder and published
 * together after one flush, large ones copied (reflinked where the
 * filesystem shares blocks) to a temp file, hashed, flushed, then renamed.
 */
import fs from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { NotFoundError } from '../errors.js';
import { mapLimit } from '../concurrency.js';
import { Cache, missingObject, ObjectBatch, SMALL_FILE } from './cache.js';
import { CHUNK_SIZE } from './hash.js';
import type { Inventory, ObjectRef, ObjectStore, PutOptions } from './objectStore.js';

/** Stats in flight at once when sizing objects (hides NFS latency). */
const STAT_JOBS = 32;

/** How a {@link FolderStore} behaves where the cache and a folder remote differ. */
export interface FolderStoreOptions {
  /** Compare sizes in {@link FolderStore.inventory} (a remote); else presence is enough (the cache, whose objects are verified when read). */
  checkSizes?: boolean;
  /** The error for an object the store lacks (default: the cache's "not in the cache"). */
  notFound?: (hash: string) => NotFoundError;
  /** Called before the first access: a folder that must exist throws here. */
  checkReachable?: () => void;
  /** Small puts share one flush; at most this many wait for it (default: all until {@link FolderStore.flush}). */
  batchLimit?: number;
  /** Only this program writes here (the repository's cache): a store receiving from it may hash beside a kernel copy (Cache.storeCopyOfOwn). */
  own?: boolean;
}

export class FolderStore implements ObjectStore {
  private batchOf: ObjectBatch | null = null;
  private reachable = false;

  constructor(
    readonly name: string,
    readonly cache: Cache,
    private readonly options: FolderStoreOptions = {},
  ) {}

  /** The cache of a repository, as a store. */
  static ofCache(cache: Cache): FolderStore {
    return new FolderStore('the cache', cache, { own: true });
  }

  /** Is this the repository's own cache, which nobody else writes to? */
  get own(): boolean {
    return this.options.own ?? false;
  }

  private get batch(): ObjectBatch {
    this.batchOf ??= this.cache.batch();
    return this.batchOf;
  }

  protected ready(): void {
    if (this.reachable) return;
    this.options.checkReachable?.();
    this.reachable = true;
  }

  private notFound(hash: string): NotFoundError {
    return this.options.notFound?.(hash) ?? missingObject(hash);
  }

  /** Listed (256 readdirs at most) when many; with `checkSizes`, each object found is sized with one stat. */
  async inventory(objects: ObjectRef[]): Promise<Inventory> {
    this.ready();
    const missing = this.cache.missing(objects.map((o) => o.hash));
    const out: Inventory = { present: new Set(), damaged: new Set() };
    const found = objects.filter((o) => !missing.has(o.hash));
    if (!this.options.checkSizes) {
      for (const o of found) out.present.add(o.hash);
      return out;
    }
    await mapLimit(found, STAT_JOBS, async (o) => {
      const st = await fs.promises.stat(this.cache.objectPath(o.hash)).catch(() => null);
      if (!st) return;
      if (o.size < 0 || st.size === o.size) out.present.add(o.hash);
      else out.damaged.add(o.hash);
    });
    return out;
  }

  localFile(hash: string): string | null {
    const file = this.cache.objectPath(hash);
    return fs.existsSync(file) ? file : null;
  }

  async read(hash: string): Promise<NodeJS.ReadableStream> {
    const file = this.cache.objectPath(hash);
    if (!fs.existsSync(file)) {
      this.ready();
      throw this.notFound(hash);
    }
    return fs.createReadStream(file, { highWaterMark: CHUNK_SIZE });
  }

  async put(hash: string, size: number, from: ObjectStore, options: PutOptions = {}): Promise<number> {
    this.ready();
    const replace = options.replace ?? false;
    const file = from.localFile?.(hash) ?? null;
    if (size >= 0 && size <= SMALL_FILE) {
      // Read in one call: a stream would allocate a 1 MiB buffer for each
      // 4 KiB file (seconds of GC for 10,000).
      const data = file ? readWhole(file, hash, from) : await buffer(await from.read(hash));
      this.batch.add(data, hash, { replace }); // verified on the way in
      options.onBytes?.(data.length);
      if (this.batch.size >= (this.options.batchLimit ?? Infinity)) this.batch.commit();
      return data.length;
    }
    if (file && from instanceof FolderStore && from.own) return (await this.cache.storeCopyOfOwn(file, hash, options.onBytes, { replace })).size;
    if (file) return (await this.cache.storeCopy(file, hash, options.onBytes, { replace })).size;
    if (!replace && this.cache.has(hash)) return 0;
    return (await this.cache.storeStream(await from.read(hash), { expected: hash, onBytes: options.onBytes })).size;
  }

  async flush(): Promise<void> {
    this.batchOf?.commit();
  }

  close(): void {
    this.batchOf?.abort();
  }
}

/** The bytes of a store's object file (gone meanwhile: not in that store). */
function readWhole(file: string, hash: string, from: ObjectStore): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${hash} is not in ${from.name}`, { data: { hash } });
    throw err;
  }
}
