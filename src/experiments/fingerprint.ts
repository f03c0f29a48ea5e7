/**
 * The data fingerprint of a commit (Cairn-Data): one hash over every pointer
 * it holds, so two tags whose data, models and results are the same share it.
 * Pure: the pointers are read by the caller.
 */
import { hashBytes } from '../store/hash.js';
import { compareUtf8 } from '../store/manifest.js';

/** `sha256:` of each artifact's path and content hash, in path order (byte order of UTF-8). */
export function dataFingerprint(pointers: readonly { path: string; hash: string }[]): string {
  const sorted = [...pointers].sort((a, b) => compareUtf8(a.path, b.path));
  return hashBytes(sorted.map((p) => `${p.path}\0${p.hash}\n`).join(''));
}
