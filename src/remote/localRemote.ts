/**
 * A remote in a local or NFS folder: the same layout as the cache, written
 * the same way (temp file, fsync, verified hash, rename).
 */
import fs from 'node:fs';
import { NotFoundError } from '../errors.js';
import { Cache, ObjectBatch, SMALL_FILE } from '../store/cache.js';
import { CHUNK_SIZE } from '../store/hash.js';
import type { RemoteObject, RemoteStore } from './remote.js';

/** Small uploads share one flush; this many at most wait for it. */
const BATCH_LIMIT = 2000;

export class LocalRemote implements RemoteStore {
  private readonly store: Cache;
  private readonly batch: ObjectBatch;
  private reachable = false;

  constructor(
    readonly name: string,
    readonly url: string,
    dir: string,
  ) {
    this.store = new Cache(dir);
    this.batch = this.store.batch();
  }

  async present(objects: RemoteObject[]): Promise<Set<string>> {
    this.checkReachable();
    const missing = this.store.missing(objects.map((o) => o.hash));
    return new Set(objects.map((o) => o.hash).filter((h) => !missing.has(h)));
  }

  async upload(hash: string, file: string, size: number, onBytes?: (n: number) => void): Promise<void> {
    this.checkReachable();
    if (size <= SMALL_FILE) {
      this.batch.add(fs.readFileSync(file), hash); // verified on the way in
      onBytes?.(size);
      if (this.batch.size >= BATCH_LIMIT) this.batch.commit();
    } else {
      await this.store.storeCopy(file, hash, onBytes);
    }
  }

  async flush(): Promise<void> {
    this.batch.commit();
  }

  localFile(hash: string): string | null {
    const file = this.store.objectPath(hash);
    return fs.existsSync(file) ? file : null;
  }

  async read(hash: string): Promise<NodeJS.ReadableStream> {
    const file = this.store.objectPath(hash);
    if (!fs.existsSync(file)) {
      this.checkReachable();
      throw new NotFoundError(`object ${hash} is not on remote ${this.name}`, {
        hint: `push it from a machine that has it (cairn push -r ${this.name})`,
        data: { hash, remote: this.name },
      });
    }
    return fs.createReadStream(file, { highWaterMark: CHUNK_SIZE });
  }

  /** The remote folder must exist: a missing mount must not look like an empty remote. */
  private checkReachable(): void {
    if (this.reachable) return;
    this.reachable = fs.existsSync(this.store.dir);
    if (!this.reachable) {
      throw new NotFoundError(`remote ${this.name} is not reachable: ${this.store.dir} does not exist`, {
        hint: 'mount or create the folder (mkdir -p it for a new remote), or fix the URL with cairn remote add --force',
        data: { remote: this.name },
      });
    }
  }

  close(): void {
    this.batch.abort();
  }
}
