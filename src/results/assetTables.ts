/**
 * xetrack's asset tables (pure). xetrack stores Python objects in three
 * key/value tables of the results database (SqliteDict, `key TEXT PRIMARY
 * KEY, value BLOB`):
 *
 * - `assets`: asset hash (pickled, base64) → the object's bytes. Content
 *   addressed, so merging deduplicates by key.
 * - `keys`: the user's key (pickled, base64) → the asset hash (a pickled str).
 * - `counts`: asset hash (plain text) → how many keys refer to it (a pickled int).
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

/** One row of a counts table, as read. */
export interface CountRow {
  key: string;
  value: unknown;
}

/** What a merge does to the counts table. */
export interface CountsPlan {
  inserts: CountRow[];
  updates: CountRow[];
  /** Source rows already in the target with nothing to add. */
  duplicates: number;
  /** Hashes whose stored count could not be read (left as they are). */
  unreadable: string[];
}

/**
 * Reference counts after a merge. Each key row the merge added refers to one
 * more use of its asset, each key row it repointed (--on-conflict replace)
 * moves one use from the old asset to the new one. Counts for assets the
 * target has never seen are copied from the source. Re-merging adds no key,
 * so it changes no count.
 *
 * `delta` maps an asset hash to the number of references gained (or lost).
 */
export function planCounts(target: readonly CountRow[], source: readonly CountRow[], delta: ReadonlyMap<string, number>): CountsPlan {
  const inTarget = new Map(target.map((r) => [r.key, r.value]));
  const inSource = new Map(source.map((r) => [r.key, r.value]));
  const fallback = [...target, ...source].map((r) => decodeCount(r.value)?.format).find(Boolean) ?? { kind: 'integer' as const };
  const plan: CountsPlan = { inserts: [], updates: [], duplicates: 0, unreadable: [] };
  for (const [hash, change] of [...delta].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (change === 0) continue;
    const current = inTarget.has(hash) ? decodeCount(inTarget.get(hash)) : null;
    if (inTarget.has(hash) && !current) {
      plan.unreadable.push(hash);
      continue;
    }
    const format = current?.format ?? decodeCount(inSource.get(hash))?.format ?? fallback;
    const next = (current?.count ?? 0n) + BigInt(change);
    const row = { key: hash, value: encodeCount(next < 0n ? 0n : next, format) };
    if (inTarget.has(hash)) plan.updates.push(row);
    else plan.inserts.push(row);
  }
  for (const row of source) {
    if (delta.get(row.key)) continue;
    if (inTarget.has(row.key)) plan.duplicates += 1;
    else plan.inserts.push(row);
  }
  return plan;
}
