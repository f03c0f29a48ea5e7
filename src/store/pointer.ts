/**
 * Pointer files (`<path>.cairn`, DESIGN §2): parse, validate and render.
 * Pure: no I/O. A pointer is untrusted input; anything odd is refused here,
 * before any path it names is touched.
 */
import { ConflictError, IntegrityError, UnsafeError } from '../errors.js';
import { isHash } from './hash.js';
import { unsafePathReason } from '../trust/pathNames.js';

export const POINTER_SUFFIX = '.cairn';
export const POINTER_VERSION = 1;
/** Largest size a pointer may claim (1 PiB): beyond that it is corrupt, not data. */
export const MAX_ARTIFACT_SIZE = 2 ** 50;

/** The pointer of a single file: `hash` names the file's bytes. */
export interface FilePointer {
  cairn: 1;
  kind: 'file';
  path: string;
  hash: string;
  size: number;
}

/** The pointer of a directory: `hash` names its manifest; `files` and `size` total its files. */
export interface DirPointer {
  cairn: 1;
  kind: 'dir';
  path: string;
  hash: string;
  files: number;
  size: number;
}

/** The parsed content of a pointer file (`<path>.cairn`), told apart by `kind`. */
export type Pointer = FilePointer | DirPointer;

/** Render a pointer exactly as DESIGN §2 shows: fixed key order, 2-space indent, newline. */
export function renderPointer(pointer: Pointer): string {
  const ordered =
    pointer.kind === 'file'
      ? { cairn: POINTER_VERSION, kind: 'file', path: pointer.path, hash: pointer.hash, size: pointer.size }
      : {
          cairn: POINTER_VERSION,
          kind: 'dir',
          path: pointer.path,
          hash: pointer.hash,
          files: pointer.files,
          size: pointer.size,
        };
  return JSON.stringify(ordered, null, 2) + '\n';
}

/**
 * Parse and validate a pointer file's text. `where` is the pointer's path
 * (for messages); `expectedName` is the artifact name the pointer's file name
 * implies (`data.csv` for `data.csv.cairn`).
 */
export function parsePointer(text: string, where: string, expectedName?: string): Pointer {
  const fail = (why: string): IntegrityError =>
    new IntegrityError(`invalid pointer ${where}: ${why}`, {
      hint: `restore it from git (git checkout -- ${where}) or re-add the artifact with cairn add`,
      data: { pointer: where },
    });
  if (text.charCodeAt(0) === 0xfeff) throw fail('it starts with a byte-order mark');
  if (/^(<{7}|={7}|>{7})( |$)/m.test(text)) {
    throw new ConflictError(`pointer ${where} is in merge conflict (it holds git's conflict markers)`, {
      hint:
        `pick a side: git checkout --ours ${where} (or --theirs), then cairn checkout ${artifactOf(where)} and git add ${where}; ` +
        `for a results database, merge both sides instead: git show :2:${where} and :3:${where} name the two objects (cairn merge combines their databases)`,
      data: { pointer: where, conflict: true },
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail('it is not JSON');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('it is not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (obj.cairn !== POINTER_VERSION) throw fail(`unsupported format version ${JSON.stringify(obj.cairn)}`);
  if (obj.kind !== 'file' && obj.kind !== 'dir') throw fail(`unknown kind ${JSON.stringify(obj.kind)}`);
  if (typeof obj.path !== 'string') throw fail('"path" is missing');
  const reason = unsafePathReason(obj.path);
  if (reason) {
    throw new UnsafeError(`refusing pointer ${where}: its path ${JSON.stringify(obj.path)} is unsafe (${reason})`, {
      hint: 'a pointer names the artifact beside it; restore the pointer from git or re-add the artifact',
      data: { pointer: where, path: obj.path },
    });
  }
  if (obj.path.includes('/')) throw fail(`"path" ${JSON.stringify(obj.path)} must name the artifact beside the pointer`);
  if (expectedName !== undefined && obj.path !== expectedName) {
    throw fail(`"path" is ${JSON.stringify(obj.path)} but the pointer file is named for ${JSON.stringify(expectedName)}`);
  }
  if (!isHash(obj.hash)) throw fail('"hash" is not sha256:<64 hex digits>');
  if (!isCount(obj.size, MAX_ARTIFACT_SIZE)) throw fail('"size" is not a plausible byte count');
  if (obj.kind === 'file') {
    return { cairn: 1, kind: 'file', path: obj.path, hash: obj.hash, size: obj.size };
  }
  if (!isCount(obj.files, 100_000_000)) throw fail('"files" is not a plausible file count');
  return { cairn: 1, kind: 'dir', path: obj.path, hash: obj.hash, files: obj.files, size: obj.size };
}

function isCount(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** True for a repo-relative path that names a pointer file (`x.cairn`, not `.cairn/...` or a bare `.cairn`). */
export function isPointerPath(p: string): boolean {
  if (!p.endsWith(POINTER_SUFFIX) || p.startsWith('.cairn/')) return false;
  const slash = p.lastIndexOf('/');
  return p.length - slash - 1 > POINTER_SUFFIX.length;
}

/** `data/train.csv.cairn` → `data/train.csv`. */
export function artifactPathOf(pointerPath: string): string {
  return pointerPath.slice(0, -POINTER_SUFFIX.length);
}

/** `data/train.csv` → `data/train.csv.cairn`. */
export function pointerPathOf(artifactPath: string): string {
  return artifactPath + POINTER_SUFFIX;
}

function artifactOf(pointerPath: string): string {
  return pointerPath.endsWith(POINTER_SUFFIX) ? pointerPath.slice(0, -POINTER_SUFFIX.length) : pointerPath;
}
