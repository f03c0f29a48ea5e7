/**
 * A remote in a local or NFS folder: the same layout as the cache, written
 * the same way (temp file, fsync, verified hash, rename).
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { mapLimit } from '../concurrency.js';
import { processAlive, TEMP_MARKER } from '../durable/atomicWrite.js';
import { Cache, ObjectBatch, SMALL_FILE } from '../store/cache.js';
import { CHUNK_SIZE } from '../store/hash.js';
import type { RemoteInventory, RemoteObject, RemoteStore } from './remote.js';

/** Small uploads share one flush; this many at most wait for it. */
const BATCH_LIMIT = 2000;
/** Stats in flight at once when sizing remote objects (hides NFS latency). */
const STAT_JOBS = 32;

/**
 * The temp names the cache code writes into a store (`Cache.tempPath`,
 * `ObjectBatch`): the marker, then `<pid>-<8 hex>-<counter>`. Nothing else
 * on a remote is ever swept.
 */
export const REMOTE_TEMP_NAME = new RegExp(`^${TEMP_MARKER.replace(/[.-]/g, '\\$&')}(\\d+)-[0-9a-f]{8}-[0-9a-z]+$`);
/**
 * A temp file of a process not running here is swept only once untouched
 * this long: a folder remote may be shared by several machines, whose pids
 * mean nothing here, and another machine's upload keeps its temp fresh.
 */
export const REMOTE_TEMP_GRACE_MS = 3600 * 1000;
/** Older than this, a temp file is stale whatever its pid (pids are reused). */
const STALE_AFTER_MS = 24 * 3600 * 1000;

/** Is this entry of a remote folder a temp file a killed upload left? */
export function isStaleRemoteTemp(dir: string, name: string, now = Date.now()): boolean {
  const m = REMOTE_TEMP_NAME.exec(name);
  if (!m) return false;
  const st = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
  if (!st?.isFile()) return false; // never a folder, a link or anything cairn did not write
  const age = now - st.mtimeMs;
  return age > STALE_AFTER_MS || (age > REMOTE_TEMP_GRACE_MS && !processAlive(Number(m[1])));
}

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
    return (await this.inventory(objects)).present;
  }

  /** Listed (256 readdirs at most) when many, then each object found is sized with one stat. */
  async inventory(objects: RemoteObject[]): Promise<RemoteInventory> {
    this.checkReachable();
    const missing = this.store.missing(objects.map((o) => o.hash));
    const out: RemoteInventory = { present: new Set(), damaged: new Set() };
    await mapLimit(
      objects.filter((o) => !missing.has(o.hash)),
      STAT_JOBS,
      async (o) => {
        const st = await fs.promises.stat(this.store.objectPath(o.hash)).catch(() => null);
        if (!st) return;
        if (o.size < 0 || st.size === o.size) out.present.add(o.hash);
        else out.damaged.add(o.hash);
      },
    );
    return out;
  }

  async upload(hash: string, file: string, size: number, onBytes?: (n: number) => void): Promise<void> {
    this.checkReachable();
    // Push uploads what is missing or damaged: whatever is under the name now is replaced.
    const replace = fs.existsSync(this.store.objectPath(hash));
    if (size <= SMALL_FILE) {
      this.batch.add(fs.readFileSync(file), hash, { replace }); // verified on the way in
      onBytes?.(size);
      if (this.batch.size >= BATCH_LIMIT) this.batch.commit();
    } else {
      await this.store.storeCopy(file, hash, onBytes, { replace });
    }
  }

  async flush(): Promise<void> {
    this.batch.commit();
  }

  /**
   * Temp files left by killed uploads: in `tmp/` (large objects) and in the
   * object folders (where a batch of small objects waits for its flush).
   * One readdir per folder, as the presence check of a large push costs.
   */
  async sweepStaleTemps(): Promise<number> {
    this.checkReachable();
    let prefixes: string[] = [];
    try {
      prefixes = fs.readdirSync(this.store.objectsDir).filter((p) => /^[0-9a-f]{2}$/.test(p));
    } catch {
      /* no objects yet */
    }
    const now = Date.now();
    let swept = 0;
    for (const dir of [this.store.tmpDir, ...prefixes.map((p) => path.join(this.store.objectsDir, p))]) {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue; // not there (yet), or not a folder
      }
      for (const name of names) {
        if (!isStaleRemoteTemp(dir, name, now)) continue;
        fs.rmSync(path.join(dir, name), { force: true });
        swept++;
      }
    }
    return swept;
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
