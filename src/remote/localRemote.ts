/**
 * A remote in a local or NFS folder: a {@link FolderStore} with the cache's
 * layout, written the same way (temp file, flush, verified hash, rename),
 * that must exist (a missing mount is not an empty remote), sizes what it
 * holds, and sweeps what killed pushes left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { processAlive, TEMP_MARKER } from '../durable/atomicWrite.js';
import { Cache } from '../store/cache.js';
import { FolderStore } from '../store/folderStore.js';

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

export class LocalRemote extends FolderStore {
  constructor(
    name: string,
    readonly url: string,
    dir: string,
  ) {
    const store = new Cache(dir);
    super(name, store, {
      checkSizes: true,
      // At most 2,000 staged temp files on a remote at once, as push always had.
      batchLimit: 2000,
      notFound: (hash) =>
        new NotFoundError(`object ${hash} is not on remote ${name}`, {
          hint: `push it from a machine that has it (cairn push -r ${name})`,
          data: { hash, remote: name },
        }),
      // The remote folder must exist: a missing mount must not look like an empty remote.
      checkReachable: () => {
        if (fs.existsSync(store.dir)) return;
        throw new NotFoundError(`remote ${name} is not reachable: ${store.dir} does not exist`, {
          hint: 'mount or create the folder (mkdir -p it for a new remote), or fix the URL with cairn remote add --force',
          data: { remote: name },
        });
      },
    });
  }

  /**
   * Temp files left by killed uploads: in `tmp/` (large objects) and in the
   * object folders (where a batch of small objects waits for its flush).
   * One readdir per folder, as the presence check of a large push costs.
   */
  async sweepStaleTemps(): Promise<number> {
    this.ready();
    let prefixes: string[] = [];
    try {
      prefixes = fs.readdirSync(this.cache.objectsDir).filter((p) => /^[0-9a-f]{2}$/.test(p));
    } catch {
      /* no objects yet */
    }
    const now = Date.now();
    let swept = 0;
    for (const dir of [this.cache.tmpDir, ...prefixes.map((p) => path.join(this.cache.objectsDir, p))]) {
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
}
