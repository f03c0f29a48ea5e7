/**
 * `cairn verify`: rehash every object in the cache, and check that every
 * object the worktree's pointers need is there.
 */
import { IntegrityError, type CairnError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import type { Progress } from '../progress.js';
import { readManifest } from './inspect.js';
import { findPointerFiles, readPointerFile } from './workspace.js';

export interface VerifyResult {
  /** Objects rehashed. */
  checked: number;
  corrupt: { hash: string; file: string }[];
  missing: { hash: string; usedBy: string }[];
  invalidPointers: { pointer: string; message: string }[];
  ok: boolean;
}

export interface VerifyOptions {
  progress?: Progress;
}

export async function verify(repo: Repo, options: VerifyOptions = {}): Promise<VerifyResult> {
  const result: VerifyResult = { checked: 0, corrupt: [], missing: [], invalidPointers: [], ok: true };
  const hashes = repo.cache.listObjects();
  options.progress?.start('verifying objects', hashes.length, 'objects');
  for (const hash of hashes) {
    if ((await repo.cache.checkObject(hash)) === 'corrupt') result.corrupt.push({ hash, file: repo.cache.objectPath(hash) });
    result.checked++;
    options.progress?.tick(1);
  }
  options.progress?.stop();
  const corrupt = new Set(result.corrupt.map((c) => c.hash));
  const needed = new Map<string, string>();
  for (const pointerPath of await findPointerFiles(repo)) {
    try {
      const pointer = readPointerFile(repo, pointerPath);
      needed.set(pointer.hash, pointerPath);
      if (pointer.kind === 'dir' && repo.cache.has(pointer.hash) && !corrupt.has(pointer.hash)) {
        for (const e of readManifest(repo.cache, pointer) ?? []) needed.set(e.hash, `${pointerPath} (${e.path})`);
      }
    } catch (err) {
      result.invalidPointers.push({ pointer: pointerPath, message: (err as CairnError).message });
    }
  }
  for (const [hash, usedBy] of needed) if (!repo.cache.has(hash)) result.missing.push({ hash, usedBy });
  result.ok = result.corrupt.length === 0 && result.missing.length === 0 && result.invalidPointers.length === 0;
  return result;
}

/** The error that a failed verification exits with. */
export function verifyFailure(result: VerifyResult): IntegrityError {
  const parts = [
    result.corrupt.length ? `${result.corrupt.length} corrupt object(s)` : '',
    result.missing.length ? `${result.missing.length} missing object(s)` : '',
    result.invalidPointers.length ? `${result.invalidPointers.length} invalid pointer(s)` : '',
  ].filter(Boolean);
  return new IntegrityError(`verify found ${parts.join(', ')}`, {
    hint: 'delete corrupt object files and fetch them again (cairn pull), or re-add the originals; restore invalid pointers from git',
    data: { ...result },
  });
}
