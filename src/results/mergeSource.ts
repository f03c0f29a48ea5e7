/**
 * Where a merge's sources come from: a local file, or `REV:path` — the file
 * as committed at a branch, tag or commit, read through its pointer from the
 * cache (or a git-tracked file's blob). No worktree, no checkout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotARepoError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { readFileAt, requireCommit } from '../git/revision.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { escapes, toPosix } from '../repo/repo.js';
import { detectKind, type ResultsKind } from './database.js';

/**
 * Bring an object into the cache, verified (the commands layer passes one
 * that fetches from the default remote: src/commands/merge.ts); a
 * NotFoundError when it cannot.
 */
export type FetchObject = (hash: string, rev: string) => Promise<void>;

export interface ResolvedSource {
  /** As the user wrote it. */
  spec: string;
  file: string;
  kind: ResultsKind;
  rev?: string;
  /** Path from the repository root (REV:path sources). */
  path?: string;
  /** The artifact's object hash (REV:path sources read from the cache). */
  hash?: string;
}

export interface ResolveSourceOptions {
  cwd: string;
  repo: Repo | null;
  /** A private folder for the bytes of REV:path sources. */
  scratch: string;
  fetchObject?: FetchObject;
}

/** Split `REV:path` (refs cannot hold ':'), or null when `spec` is not of that form. */
export function parseRevPath(spec: string): { rev: string; path: string } | null {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) return null;
  return { rev: spec.slice(0, colon), path: spec.slice(colon + 1) };
}

/**
 * A REV:path's path from the repository root. As with git, `./` and `../`
 * start from the current folder; anything else from the root.
 */
export function revPathFromRoot(root: string, cwd: string, p: string): string {
  const abs = p.startsWith('./') || p.startsWith('../') ? path.resolve(cwd, p) : path.resolve(root, p);
  const rel = path.relative(root, abs);
  if (rel === '' || escapes(rel)) {
    throw new UnsafeError(`${p} is outside the repository`, { hint: 'REV:path names a file inside the repository, from its root' });
  }
  return toPosix(rel);
}

let counter = 0;

/** detectKind, with messages naming the source as the user did. */
function kindOf(file: string, spec: string): ResultsKind {
  try {
    return detectKind(file);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message.replace(file, spec), { hint: err.hint });
    throw err;
  }
}

/** Find a source's bytes and kind. Local files win over REV:path when both could be meant. */
export async function resolveSource(spec: string, options: ResolveSourceOptions): Promise<ResolvedSource> {
  const local = path.resolve(options.cwd, spec);
  if (fs.existsSync(local)) return { spec, file: local, kind: kindOf(local, spec) };
  const revPath = parseRevPath(spec);
  if (!revPath) {
    throw new NotFoundError(`no such results file: ${spec}`, {
      hint: 'check the path, or name a file as committed at a branch, tag or commit: REV:path (e.g. exp/cnn:results/experiments.db)',
    });
  }
  const { repo } = options;
  if (!repo) {
    throw new NotARepoError(`${spec} names a revision, but ${options.cwd} is not in a cairn repository`, {
      hint: 'run the merge inside the repository (or pass -C <dir>), or name a local file',
    });
  }
  const rel = revPathFromRoot(repo.root, options.cwd, revPath.path);
  const commit = await requireCommit(options.cwd, revPath.rev);
  const dest = path.join(options.scratch, `rev-${++counter}-${path.posix.basename(rel)}`);
  const artifact = (await pointersAt(options.cwd, commit)).find((p) => p.path === rel);
  if (artifact) {
    const { pointer } = artifact;
    if (pointer.kind === 'dir') {
      throw new UsageError(`${spec} is a tracked folder, not a results file`, { hint: 'name a SQLite, DuckDB or parquet file inside it' });
    }
    const { fetchObject } = options;
    let fetchError: NotFoundError | null = null;
    if (!repo.cache.has(pointer.hash) && fetchObject) {
      try {
        await fetchObject(pointer.hash, revPath.rev);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        fetchError = err;
      }
    }
    if (!repo.cache.has(pointer.hash)) {
      throw new NotFoundError(`${spec}: its content (${pointer.hash}) is not in the local cache`, {
        hint: fetchError
          ? `nor could it be fetched (${fetchError.message}): push it from the machine that has it (cairn push), then retry`
          : `fetch it first: cairn pull --rev ${revPath.rev}`,
        data: { hash: pointer.hash, rev: revPath.rev, path: rel },
        cause: fetchError ?? undefined,
      });
    }
    await repo.cache.materialize(pointer.hash, dest, { link: 'copy' });
    return { spec, file: dest, kind: kindOf(dest, spec), rev: revPath.rev, path: rel, hash: pointer.hash };
  }
  const blob = await readFileAt(options.cwd, commit, rel);
  if (!blob) {
    throw new NotFoundError(`${rel} does not exist at ${revPath.rev}`, {
      hint: `it is neither a tracked artifact (${rel}.cairn) nor a file in git there; list the files with: git ls-tree -r --name-only ${revPath.rev}`,
      data: { rev: revPath.rev, path: rel },
    });
  }
  fs.writeFileSync(dest, blob);
  return { spec, file: dest, kind: kindOf(dest, spec), rev: revPath.rev, path: rel };
}
