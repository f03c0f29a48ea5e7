/**
 * Pinned objects: cache objects that gc keeps although no pointer names
 * them, until the user drops the pin. A merge that deletes or replaces rows
 * pins the target's prior bytes this way (`cairn backup list | drop`).
 *
 * One file per pinned object, `<cache>/pins/<hex of the hash>`, written
 * atomically. The file name is what pins: the JSON inside only describes
 * the backup, so a damaged description never unpins an object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { isTempName, writeFileAtomic } from '../durable/atomicWrite.js';
import { HASH_PREFIX, hashHex } from './hash.js';
import { shortHash } from '../display.js';

/** What a pin says about the object it holds. */
export interface Pin {
  /** `sha256:<hex>` of the pinned object. */
  hash: string;
  /** Why it is kept: the prior state of a merge target. */
  kind: 'merge-backup';
  /** The results file whose prior state this is. */
  target: string | null;
  /** The merge that replaced it: `rebase` or `merge` (rows replaced). */
  strategy: string | null;
  size: number | null;
  /** ISO time the pin was made. */
  created: string | null;
}

const PIN_NAME = /^[0-9a-f]{64}$/;
/** Pin descriptions are a few hundred bytes; anything larger is not read. */
const MAX_PIN_BYTES = 64 * 1024;
/** The shortest hash prefix a pin can be named by (as git's abbreviations). */
const MIN_PREFIX = 7;

export function pinsDir(cacheDir: string): string {
  return path.join(cacheDir, 'pins');
}

/** The short name users type: the short hash cairn prints everywhere. */
export function pinId(hash: string): string {
  return shortHash(hashHex(hash));
}

/** Pin an object (already in the cache) until {@link dropPins} removes the pin. */
export function pinObject(cacheDir: string, pin: Omit<Pin, 'created'>): Pin {
  const full: Pin = { ...pin, created: new Date().toISOString() };
  const dir = pinsDir(cacheDir);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, hashHex(pin.hash)), `${JSON.stringify({ cairn: 1, ...full }, null, 2)}\n`);
  return full;
}

function readDescription(file: string): Record<string, unknown> {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_PIN_BYTES) return {};
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Every pin in the cache, oldest first. */
export function listPins(cacheDir: string): Pin[] {
  let names: string[];
  try {
    names = fs.readdirSync(pinsDir(cacheDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const pins = names
    .filter((name) => PIN_NAME.test(name) && !isTempName(name))
    .map((name): Pin => {
      const d = readDescription(path.join(pinsDir(cacheDir), name));
      return {
        hash: `${HASH_PREFIX}${name}`,
        kind: 'merge-backup',
        target: text(d.target),
        strategy: text(d.strategy),
        size: typeof d.size === 'number' ? d.size : null,
        created: text(d.created),
      };
    });
  return pins.sort((a, b) => (a.created ?? '').localeCompare(b.created ?? '') || a.hash.localeCompare(b.hash));
}

/**
 * Remove the pins named by `ids` (a hash, or a prefix of at least 7 hex
 * digits naming exactly one pin); the objects go at the next `gc --yes`
 * unless something else references them. Checks every id before removing any.
 */
export function dropPins(cacheDir: string, ids: string[]): Pin[] {
  const pins = listPins(cacheDir);
  const chosen = new Map<string, Pin>();
  for (const id of ids) {
    const hex = id.startsWith(HASH_PREFIX) ? id.slice(HASH_PREFIX.length) : id;
    if (!/^[0-9a-f]+$/.test(hex) || hex.length < MIN_PREFIX || hex.length > 64) {
      throw new UsageError(`not a backup id: ${id}`, { hint: `give at least ${MIN_PREFIX} hex digits of the hash (cairn backup list shows them)` });
    }
    const matches = pins.filter((p) => hashHex(p.hash).startsWith(hex));
    if (matches.length === 0) throw new NotFoundError(`no pinned backup ${id}`, { hint: 'cairn backup list shows the pinned backups' });
    if (matches.length > 1) throw new UsageError(`${id} names ${matches.length} backups`, { hint: 'give more digits of the hash' });
    chosen.set(matches[0]!.hash, matches[0]!);
  }
  for (const pin of chosen.values()) fs.rmSync(path.join(pinsDir(cacheDir), hashHex(pin.hash)), { force: true });
  return [...chosen.values()];
}
