/**
 * xetrack's asset tables (pure). xetrack stores Python objects in three
 * key/value tables of the results database (SqliteDict, `key TEXT PRIMARY
 * KEY, value BLOB`):
 *
 * - `assets`: asset hash (pickled, base64) → the object's bytes. Content
 *   addressed, so merging deduplicates by key.
 * - `keys`: the user's key (pickled, base64) → the asset hash (a pickled str):
 *   the object logged last under that name.
 * - `counts`: asset hash (plain text) → how many times it was logged (a pickled int).
 *
 * A merge does not compare `keys` and `counts` row by row: both are derived
 * from the merged rows (see resolveKeys and resolveCounts), so they never
 * conflict and the result does not depend on the order of the sources.
 *
 * Plain shapes are understood too: `keys.value` as text and `counts.value`
 * as an integer. A count is only ever rewritten in the format it was read in.
 */

/** The asset tables, in the order a merge must visit them (counts follow keys). */
export const ASSET_ROLES = ['assets', 'keys', 'counts'] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];

/** Asset tables are recognised by name and shape: exactly the columns `key` and `value`. */
export function assetRole(table: string, columns: readonly string[]): AssetRole | null {
  if (!(ASSET_ROLES as readonly string[]).includes(table)) return null;
  const names = columns.map((c) => c.toLowerCase()).sort();
  return names.length === 2 && names[0] === 'key' && names[1] === 'value' ? (table as AssetRole) : null;
}

// Pickle opcodes (Python's pickle.py).
const PROTO = 0x80;
const FRAME = 0x95;
const STOP = 0x2e;
const BININT = 0x4a; // J: 4-byte signed
const BININT1 = 0x4b; // K: 1-byte unsigned
const BININT2 = 0x4d; // M: 2-byte unsigned
const LONG1 = 0x8a;
const SHORT_BINUNICODE = 0x8c;
const BINUNICODE = 0x58; // X
const MEMOIZE = 0x94;
const BINPUT = 0x71; // q
/** Python frames a pickle whose body is at least this long (protocol 4+). */
const FRAME_SIZE_MIN = 4;

/** How a count was stored: a plain integer, or a pickle of some protocol. */
export type CountFormat = { kind: 'integer' } | { kind: 'pickle'; protocol: number };

/** Skip the protocol and frame headers; returns [protocol, offset of the first opcode]. */
function pickleBody(b: Uint8Array): [number, number] | null {
  let i = 0;
  let protocol = 0;
  if (b[i] === PROTO) {
    protocol = b[i + 1] ?? -1;
    if (protocol < 2 || protocol > 5) return null;
    i += 2;
  }
  if (b[i] === FRAME) i += 9;
  return i < b.length ? [protocol, i] : null;
}

function asBytes(v: unknown): Uint8Array | null {
  return v instanceof Uint8Array ? v : null;
}

/** Read a reference count; null when the value is neither an integer nor a pickled int. */
export function decodeCount(v: unknown): { count: bigint; format: CountFormat } | null {
  if (typeof v === 'bigint') return { count: v, format: { kind: 'integer' } };
  if (typeof v === 'number' && Number.isInteger(v)) return { count: BigInt(v), format: { kind: 'integer' } };
  const b = asBytes(v);
  if (!b) return null;
  const body = pickleBody(b);
  if (!body) return null;
  const [protocol, i] = body;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let count: bigint;
  let end: number;
  switch (b[i]) {
    case BININT1:
      count = BigInt(b[i + 1] ?? 0);
      end = i + 2;
      break;
    case BININT2:
      if (i + 3 > b.length) return null;
      count = BigInt(view.getUint16(i + 1, true));
      end = i + 3;
      break;
    case BININT:
      if (i + 5 > b.length) return null;
      count = BigInt(view.getInt32(i + 1, true));
      end = i + 5;
      break;
    case LONG1: {
      const n = b[i + 1] ?? 0;
      if (i + 2 + n > b.length) return null;
      count = 0n;
      for (let k = n - 1; k >= 0; k--) count = (count << 8n) | BigInt(b[i + 2 + k]!);
      if (n > 0 && b[i + 1 + n]! & 0x80) count -= 1n << BigInt(8 * n);
      end = i + 2 + n;
      break;
    }
    default:
      return null;
  }
  if (b[end] !== STOP || end + 1 !== b.length) return null;
  return { count, format: { kind: 'pickle', protocol } };
}

/** Python's encode_long: minimal little-endian two's complement. */
function encodeLong(x: bigint): number[] {
  if (x === 0n) return [];
  const bits = (x < 0n ? -x : x).toString(2).length;
  const n = (bits >> 3) + 1;
  const out: number[] = [];
  let v = BigInt.asUintN(8 * n, x);
  for (let k = 0; k < n; k++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  if (x < 0n && n > 1 && out[n - 1] === 0xff && (out[n - 2]! & 0x80) !== 0) out.pop();
  return out;
}

/** Write a count in `format`, byte for byte as Python's pickle.dumps would. */
export function encodeCount(count: bigint, format: CountFormat): unknown {
  if (format.kind === 'integer') return count >= BigInt(Number.MIN_SAFE_INTEGER) && count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : count;
  let op: number[];
  if (count >= 0n && count <= 0xffn) op = [BININT1, Number(count)];
  else if (count >= 0n && count <= 0xffffn) op = [BININT2, Number(count & 0xffn), Number(count >> 8n)];
  else if (count >= -(2n ** 31n) && count < 2n ** 31n) {
    const v = Number(BigInt.asUintN(32, count));
    op = [BININT, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  } else {
    const bytes = encodeLong(count);
    op = [LONG1, bytes.length, ...bytes];
  }
  const body = [...op, STOP];
  const head = format.protocol >= 2 ? [PROTO, format.protocol] : [];
  const frame = format.protocol >= 4 && body.length >= FRAME_SIZE_MIN ? [FRAME, ...u64le(body.length)] : [];
  return Buffer.from([...head, ...frame, ...body]);
}

function u64le(n: number): number[] {
  const out = new Array<number>(8).fill(0);
  for (let k = 0; k < 8 && n > 0; k++) {
    out[k] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

/** The asset hash a `keys` row refers to: plain text, or a pickled str. */
export function decodeAssetRef(v: unknown): string | null {
  if (typeof v === 'string') return v;
  const b = asBytes(v);
  if (!b) return null;
  const body = pickleBody(b);
  if (!body) return null;
  const [, i] = body;
  let start: number;
  let len: number;
  if (b[i] === SHORT_BINUNICODE) {
    len = b[i + 1] ?? 0;
    start = i + 2;
  } else if (b[i] === BINUNICODE) {
    if (i + 5 > b.length) return null;
    len = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(i + 1, true);
    start = i + 5;
  } else {
    return null;
  }
  let end = start + len;
  if (end > b.length) return null;
  const text = Buffer.from(b.buffer, b.byteOffset + start, len).toString('utf8');
  if (b[end] === MEMOIZE) end += 1;
  else if (b[end] === BINPUT) end += 2;
  return b[end] === STOP && end + 1 === b.length ? text : null;
}

/** One row of a SqliteDict table (`keys` or `counts`), as read. */
export interface DictRow {
  key: string;
  value: unknown;
}

/** A key/value row the merge writes: a new key, or a new value for a key the target has. */
export interface DictChange {
  key: string;
  value: Buffer | string | number | bigint;
  change: 'insert' | 'update';
}

/** The asset hash an `assets` key names: the key is base64(pickle(hash)); plain text is understood too. */
export function assetHashOfKey(key: string): string {
  return decodeBase64Pickle(key) ?? key;
}

/** The user's name a `keys` key stands for (base64 of a pickled str), or the key itself. */
export function keyName(key: string): string {
  return decodeBase64Pickle(key) ?? key;
}

function decodeBase64Pickle(key: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) return null;
  return decodeAssetRef(Buffer.from(key, 'base64'));
}

/** Write an asset hash as a `keys` value, in the format of `like` (another value of the table). */
export function encodeAssetRef(hash: string, like?: unknown): Buffer | string {
  if (typeof like === 'string') return hash;
  let protocol = 5;
  const b = asBytes(like);
  if (b && b[0] === PROTO && b[1] !== undefined && b[1] >= 2 && b[1] <= 5) protocol = b[1];
  const text = Buffer.from(hash, 'utf8');
  if (protocol < 4 || text.length > 0xff) {
    // BINUNICODE, then BINPUT 0 (protocols 2 and 3 memoize that way); long strings likewise.
    const len = Buffer.alloc(4);
    len.writeUInt32LE(text.length);
    const memo = protocol < 4 ? [BINPUT, 0] : [MEMOIZE];
    const body = Buffer.concat([Buffer.from([BINUNICODE]), len, text, Buffer.from([...memo, STOP])]);
    return Buffer.concat([Buffer.from([PROTO, protocol]), protocol >= 4 ? Buffer.from([FRAME, ...u64le(body.length)]) : Buffer.alloc(0), body]);
  }
  const body = Buffer.concat([Buffer.from([SHORT_BINUNICODE, text.length]), text, Buffer.from([MEMOIZE, STOP])]);
  return Buffer.concat([Buffer.from([PROTO, protocol, FRAME, ...u64le(body.length)]), body]);
}

/** A row that logged an object under a name: where it was found, for "latest wins". */
export interface KeyEvidence {
  hash: string;
  timestamp: string;
  trackId: string;
}

/** Byte order of UTF-16 code units: the same for ASCII as SQL's BINARY collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The latest of several rows: greatest (timestamp, track_id), then the greatest hash. */
export function latestEvidence(rows: readonly KeyEvidence[]): KeyEvidence | null {
  let best: KeyEvidence | null = null;
  for (const r of rows) {
    if (
      !best ||
      compareText(r.timestamp, best.timestamp) > 0 ||
      (r.timestamp === best.timestamp && (compareText(r.trackId, best.trackId) > 0 || (r.trackId === best.trackId && compareText(r.hash, best.hash) > 0)))
    ) {
      best = r;
    }
  }
  return best;
}

function sameBytes(a: unknown, b: unknown): boolean {
  const x = asBytes(a);
  const y = asBytes(b);
  if (x && y) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  const whole = (v: unknown): v is number | bigint => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
  if (whole(a) && whole(b)) return BigInt(a) === BigInt(b);
  return a === b;
}

function toWritable(v: unknown): Buffer | string | number | bigint {
  const b = asBytes(v);
  if (b) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  return String(v);
}

function hexOf(v: unknown): string {
  const b = asBytes(v);
  return b ? Buffer.from(b).toString('hex') : String(v);
}

/**
 * The `keys` table after a merge. For each key (name) of the target or a
 * source, in this order:
 * 1. `latest`: the hash logged last under that name in the merged rows, when
 *    one is known (see latestEvidence; only hashes the merged `assets` hold count);
 * 2. else the target's value;
 * 3. else, among the sources' values, the one naming a hash the merged
 *    `assets` hold, the greatest hash first, then the greatest bytes.
 * Existing bytes are reused when they name the chosen hash, so a key whose
 * hash does not change is never rewritten. Only the changes are returned.
 */
export function resolveKeys(
  target: readonly DictRow[],
  sources: readonly (readonly DictRow[])[],
  latest: ReadonlyMap<string, string>,
  assets: ReadonlySet<string>,
): DictChange[] {
  const inTarget = new Map(target.map((r) => [r.key, r.value]));
  const candidates = new Map<string, unknown[]>();
  for (const rows of sources) {
    for (const r of rows) {
      if (!candidates.has(r.key)) candidates.set(r.key, []);
      candidates.get(r.key)!.push(r.value);
    }
  }
  const like = target[0]?.value ?? sources.flat()[0]?.value;
  const byHash = new Map<string, unknown>();
  for (const r of [...target, ...sources.flat()]) {
    const h = decodeAssetRef(r.value);
    if (h !== null && !byHash.has(h)) byHash.set(h, r.value);
  }
  const out: DictChange[] = [];
  const names = [...new Set([...inTarget.keys(), ...candidates.keys()])].sort(compareText);
  for (const key of names) {
    const mine = inTarget.get(key);
    const theirs = candidates.get(key) ?? [];
    let value: unknown;
    const hash = latest.get(key);
    if (hash !== undefined) {
      const own = [mine, ...theirs].filter((v) => v !== undefined && decodeAssetRef(v) === hash);
      value = own.length ? own[0] : (byHash.get(hash) ?? encodeAssetRef(hash, like));
    } else if (inTarget.has(key)) {
      value = mine;
    } else {
      const rank = (v: unknown): [number, string, string] => {
        const h = decodeAssetRef(v);
        return [h !== null && assets.has(h) ? 1 : 0, h ?? '', hexOf(v)];
      };
      value = [...theirs].sort((a, b) => {
        const [x, y] = [rank(a), rank(b)];
        return y[0] - x[0] || compareText(y[1], x[1]) || compareText(y[2], x[2]);
      })[0];
    }
    if (inTarget.has(key) && sameBytes(mine, value)) continue;
    out.push({ key, value: toWritable(value), change: inTarget.has(key) ? 'update' : 'insert' });
  }
  return out;
}

/**
 * The `counts` table after a merge: for every hash of the merged `assets`,
 * the number of cells of the merged row tables (every table but the asset
 * tables) that hold that hash as text, which is what xetrack counts (one per
 * logged value). A hash no cell holds keeps the target's count, else takes
 * the greatest count of the sources. Counts are written in the format the
 * target (else a source) stores them in; a count that cannot be read is left
 * as it is. Only the changes are returned.
 */
export function resolveCounts(
  target: readonly DictRow[],
  sources: readonly (readonly DictRow[])[],
  assets: ReadonlySet<string>,
  references: ReadonlyMap<string, bigint>,
): DictChange[] {
  const inTarget = new Map(target.map((r) => [r.key, r.value]));
  const fromSources = new Map<string, unknown[]>();
  for (const r of sources.flat()) {
    if (!fromSources.has(r.key)) fromSources.set(r.key, []);
    fromSources.get(r.key)!.push(r.value);
  }
  const fallback = [...target, ...sources.flat()].map((r) => decodeCount(r.value)?.format).find(Boolean) ?? ({ kind: 'pickle', protocol: 5 } as const);
  const out: DictChange[] = [];
  for (const hash of [...assets].sort(compareText)) {
    const current = inTarget.has(hash) ? decodeCount(inTarget.get(hash)) : null;
    if (inTarget.has(hash) && !current) continue;
    const theirs = (fromSources.get(hash) ?? []).map(decodeCount).filter((c) => c !== null);
    const refs = references.get(hash) ?? 0n;
    let count: bigint | null;
    if (refs > 0n) count = refs;
    else if (current) count = current.count;
    else count = theirs.length ? theirs.reduce((m, c) => (c.count > m ? c.count : m), theirs[0]!.count) : null;
    if (count === null) continue;
    const format = current?.format ?? theirs[0]?.format ?? fallback;
    const value = encodeCount(count, format) as Buffer | number | bigint;
    if (current && sameBytes(inTarget.get(hash), value)) continue;
    out.push({ key: hash, value, change: inTarget.has(hash) ? 'update' : 'insert' });
  }
  return out;
}
