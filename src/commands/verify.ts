/**
 * `cairn verify`: rehash every object in the cache, and check that every
 * object the worktree's pointers need is there (and, with `--remote`, on
 * the remote and intact there).
 */
import fs from 'node:fs';
import { IntegrityError, UnsafeError, type CairnError } from '../errors.js';
import { openRemote } from '../remote/remote.js';
import { rehash } from '../store/objectStore.js';
import type { Repo } from '../repo/repo.js';
import { silentProgress, type Progress } from '../progress.js';
import { readManifest } from '../artifacts/inspect.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import { plural } from '../display.js';

/** What {@link verify} found; `ok` is false when anything is corrupt, missing or invalid (turn it into an error with {@link verifyFailure}). */
export interface VerifyResult {
  /** Objects rehashed. */
  checked: number;
  /** With --remote: what the remote holds of the objects the worktree needs. */
  remote?: { name: string; checked: number; corrupt: string[]; missing: string[] };
  corrupt: { hash: string; file: string }[];
  missing: { hash: string; usedBy: string }[];
  /** `unsafe`: the pointer was refused as a hostile path or file (exit 7), not merely malformed. */
  invalidPointers: { pointer: string; message: string; unsafe?: boolean }[];
  ok: boolean;
}

export interface VerifyOptions {
  /** Also download and rehash, on this remote (true: the default one), every object the worktree needs. */
  remote?: string | boolean;
  progress?: Progress;
}

/**
 * Rehash every object in the cache and check that every object this
 * worktree's pointers need is present (and, with `remote`, present and intact
 * on that remote). Damage is reported in the result, not thrown; writes
 * nothing.
 */
export async function verify(repo: Repo, options: VerifyOptions = {}): Promise<VerifyResult> {
  const result: VerifyResult = { checked: 0, corrupt: [], missing: [], invalidPointers: [], ok: true };
  const hashes = repo.cache.listObjects();
  // Progress in bytes, the work rehashing does (one stat per object, only when a bar may be drawn).
  const sizes = options.progress && options.progress !== silentProgress ? hashes.map((h) => objectSize(repo, h)) : null;
  options.progress?.start('verifying objects', sizes ? sizes.reduce((a, b) => a + b, 0) : 0, 'B');
  for (const [i, hash] of hashes.entries()) {
    if ((await repo.cache.checkObject(hash)) === 'corrupt') result.corrupt.push({ hash, file: repo.cache.objectPath(hash) });
    result.checked++;
    if (sizes) options.progress!.tick(sizes[i]);
  }
  options.progress?.stop();
  const corrupt = new Set(result.corrupt.map((c) => c.hash));
  const needed = new Map<string, string>();
  // Sizes the pointers and manifests give (a manifest's own: its cached copy's), for the progress of --remote.
  const sizeOf = new Map<string, number>();
  for (const { pointer, pointerPath } of await loadArtifacts(repo, [], (invalid, error) =>
    result.invalidPointers.push(error instanceof UnsafeError ? { ...invalid, unsafe: true } : invalid),
  )) {
    needed.set(pointer.hash, pointerPath);
    sizeOf.set(pointer.hash, pointer.kind === 'file' ? pointer.size : objectSize(repo, pointer.hash));
    if (pointer.kind === 'dir' && repo.cache.has(pointer.hash) && !corrupt.has(pointer.hash)) {
      try {
        for (const e of readManifest(repo.cache, pointer) ?? []) {
          needed.set(e.hash, `${pointerPath} (${e.path})`);
          sizeOf.set(e.hash, e.size);
        }
      } catch (err) {
        result.invalidPointers.push({ pointer: pointerPath, message: (err as CairnError).message });
      }
    }
  }
  for (const [hash, usedBy] of needed) if (!repo.cache.has(hash)) result.missing.push({ hash, usedBy });
  if (options.remote)
    result.remote = await verifyRemote(repo, typeof options.remote === 'string' ? options.remote : undefined, [...needed.keys()], sizeOf, options.progress);
  result.ok =
    result.corrupt.length === 0 &&
    result.missing.length === 0 &&
    result.invalidPointers.length === 0 &&
    (!result.remote || (result.remote.corrupt.length === 0 && result.remote.missing.length === 0));
  return result;
}

/** Download and rehash every needed object on a remote. */
async function verifyRemote(
  repo: Repo,
  name: string | undefined,
  hashes: string[],
  sizeOf: Map<string, number>,
  progress?: Progress,
): Promise<NonNullable<VerifyResult['remote']>> {
  const remote = await openRemote(repo, name);
  try {
    progress?.start(
      `verifying on ${remote.name}`,
      hashes.reduce((n, h) => n + (sizeOf.get(h) ?? 0), 0),
      'B',
    );
    const found = await rehash(remote, hashes, repo.config.transfer.jobs, (hash) => progress?.tick(sizeOf.get(hash) ?? 0));
    return { name: remote.name, checked: hashes.length, ...found };
  } finally {
    progress?.stop();
    remote.close();
  }
}

/** The size of a cached object, 0 when it is not there. */
function objectSize(repo: Repo, hash: string): number {
  return fs.statSync(repo.cache.objectPath(hash), { throwIfNoEntry: false })?.size ?? 0;
}

/** The error that a failed verification exits with. */
export function verifyFailure(result: VerifyResult): IntegrityError | UnsafeError {
  const parts = [
    result.corrupt.length ? plural(result.corrupt.length, 'corrupt object') : '',
    result.missing.length ? plural(result.missing.length, 'missing object') : '',
    result.invalidPointers.length ? plural(result.invalidPointers.length, 'invalid pointer') : '',
    result.remote?.missing.length ? `${plural(result.remote.missing.length, 'object')} missing on ${result.remote.name}` : '',
    result.remote?.corrupt.length ? `${plural(result.remote.corrupt.length, 'corrupt object')} on ${result.remote.name}` : '',
  ].filter(Boolean);
  const Failure = result.invalidPointers.some((p) => p.unsafe) ? UnsafeError : IntegrityError;
  const local = result.corrupt.length + result.missing.length + result.invalidPointers.length > 0;
  const remote = result.remote && result.remote.corrupt.length + result.remote.missing.length > 0;
  const hints = [
    // Only the steps for what was found.
    result.corrupt.length ? 'delete the corrupt object files and fetch them again (cairn pull), or re-add the originals' : '',
    result.missing.length ? 'cairn pull fetches the missing objects (or re-add the originals)' : '',
    result.invalidPointers.length ? 'restore the invalid pointers from git (git checkout -- <pointer>)' : '',
    // The remote's copies are the damaged ones: the way back is from this cache to the remote, never a pull.
    remote ? `cairn push --verify -r ${result.remote!.name} re-uploads the damaged and missing objects from this cache${local ? ' once it is sound' : ''}` : '',
  ].filter(Boolean);
  return new Failure(`verify found ${parts.join(', ')}`, {
    hint: hints.join('; '),
    data: { ...result },
  });
}
