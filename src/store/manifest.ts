/**
 * Directory manifests (docs/FORMATS.md): the object that a directory pointer's hash
 * names. A JSON array, one entry per line, sorted by path in UTF-8 byte order:
 *
 *   [
 *   {"path":"a.txt","hash":"sha256:…","size":3,"mode":420},
 *   {"path":"bin/run.sh","hash":"sha256:…","size":12,"mode":493}
 *   ]
 *
 * `mode` is 420 (0644) or 493 (0755): it records only the executable bit.
 * Pure: no I/O.
 */
import { IntegrityError } from '../errors.js';
import { isHash } from './hash.js';
import { MAX_ARTIFACT_SIZE } from './pointer.js';
import { unsafePathReason } from '../trust/pathNames.js';

export const MODE_FILE = 0o644;
export const MODE_EXEC = 0o755;

/** One file of a directory manifest: its path relative to the directory (POSIX), hash, size, and mode (0644 or 0755). */
export interface ManifestEntry {
  path: string;
  hash: string;
  size: number;
  mode: number;
}

/**
 * Compare two POSIX paths by the bytes of their UTF-8 encoding. UTF-8 byte
 * order is code point order, which is JavaScript's UTF-16 order except where
 * a surrogate pair meets a character in U+E000..U+FFFF: only then compare by
 * code points.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0) || x - y;
    return x - y;
  }
  return a.length - b.length;
}

/** Sort entries into manifest order (returns a new array). */
export function sortEntries(entries: ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((x, y) => compareUtf8(x.path, y.path));
}

/** Canonical manifest bytes; entries are sorted here, so callers need not. */
export function renderManifest(entries: ManifestEntry[]): string {
  const lines = sortEntries(entries).map((e) =>
    JSON.stringify({ path: e.path, hash: e.hash, size: e.size, mode: e.mode === MODE_EXEC ? MODE_EXEC : MODE_FILE }),
  );
  return lines.length ? `[\n${lines.join(',\n')}\n]\n` : '[\n]\n';
}

/** Parse and validate manifest text; `where` names it in messages. */
export function parseManifest(text: string, where: string): ManifestEntry[] {
  const fail = (why: string): IntegrityError =>
    new IntegrityError(`invalid manifest ${where}: ${why}`, {
      hint: 'the cached manifest object is damaged; run cairn verify, then fetch it again (cairn pull) or re-add the directory',
      data: { manifest: where },
    });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail('it is not JSON');
  }
  if (!Array.isArray(raw)) throw fail('it is not a JSON array');
  const entries: ManifestEntry[] = [];
  const seen = new Set<string>();
  let previous: string | null = null;
  for (const item of raw as unknown[]) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw fail('an entry is not an object');
    const e = item as Record<string, unknown>;
    if (typeof e.path !== 'string') throw fail('an entry has no path');
    const reason = unsafePathReason(e.path);
    if (reason) throw fail(`entry ${JSON.stringify(e.path)} is unsafe (${reason})`);
    if (seen.has(e.path)) throw fail(`entry ${JSON.stringify(e.path)} appears twice`);
    if (previous !== null && compareUtf8(previous, e.path) > 0) throw fail('entries are not sorted by path');
    if (!isHash(e.hash)) throw fail(`entry ${JSON.stringify(e.path)} has a malformed hash`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0 || e.size > MAX_ARTIFACT_SIZE) {
      throw fail(`entry ${JSON.stringify(e.path)} has an implausible size`);
    }
    if (e.mode !== MODE_FILE && e.mode !== MODE_EXEC) throw fail(`entry ${JSON.stringify(e.path)} has mode ${String(e.mode)}`);
    seen.add(e.path);
    previous = e.path;
    entries.push({ path: e.path, hash: e.hash, size: e.size, mode: e.mode });
  }
  // A path cannot be both a file and a folder of other files.
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) throw fail(`entry ${JSON.stringify(dir)} is both a file and a folder`);
    }
  }
  return entries;
}
