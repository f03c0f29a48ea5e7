/**
 * `cairn explore get VERSION PATH`: the bytes of PATH as of an experiment —
 * an artifact through its pointer at that commit (from the cache, else the
 * default remote), a file inside a tracked folder, or a plain git file —
 * read from git's object database. HEAD, the index, the workspace, the stash
 * and the worktree list are never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { resolveCommit } from '../git/git.js';
import { listTree, readBlobs } from '../git/revision.js';
import { pointersIn } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { replaceFileAtomic } from '../durable/atomicWrite.js';
import { parseManifest } from '../store/manifest.js';
import type { Pointer } from '../store/pointer.js';
import { unsafePathReason } from '../trust/pathNames.js';
import { remoteObjectFetcher } from './fetch.js';

/** The commit of an experiment version (a tag), or of any revision; NotFoundError otherwise. */
export async function resolveVersion(cwd: string, version: string): Promise<string> {
  const commit = /^-/.test(version) ? null : ((await resolveCommit(cwd, `refs/tags/${version}`)) ?? (await resolveCommit(cwd, version)));
  if (!commit) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}`, { hint: 'cairn tags lists the experiments', data: { version } });
  }
  return commit;
}

/** Make sure an object is in the cache, fetching it (verified) from the default remote if needed. */
export async function ensureObject(repo: Repo, hash: string, what: string): Promise<'cache' | 'remote'> {
  if (repo.cache.has(hash)) return 'cache';
  const fetchObject = remoteObjectFetcher(repo, 'cairn explore get');
  if (!fetchObject) {
    throw new NotFoundError(`${what} (${hash}) is not in the cache, and no remote is configured`, {
      hint: 'add the remote that holds it (cairn remote add ... --default)',
    });
  }
  try {
    await fetchObject(hash);
  } catch (err) {
    if (err instanceof NotFoundError && err.data.hash === hash) {
      throw new NotFoundError(`${what} (${hash}) is neither in the cache nor on remote ${String(err.data.remote)}`, {
        hint: 'push it from the machine where it was added (cairn push --all-tags)',
      });
    }
    throw err;
  }
  return 'remote';
}

export interface LocatedContent {
  /** Where the bytes come from. */
  kind: 'artifact' | 'git';
  /** The object hash (artifacts). */
  hash?: string;
  /** The bytes (git files). */
  data?: Buffer;
  /** The pointer the artifact is reached through. */
  pointer?: Pointer;
  source: 'cache' | 'remote' | 'git';
}

/** Normalise a user's repo path: POSIX, no leading ./, nothing escaping. */
export function normaliseRepoPath(p: string): string {
  const norm = path.posix
    .normalize(p.replace(/\\/g, '/'))
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  const reason = unsafePathReason(norm);
  if (reason) throw new UnsafeError(`path ${JSON.stringify(p)} is unsafe: ${reason}`, { hint: 'give a path relative to the repository root' });
  return norm;
}

/** Find PATH at a commit: artifact, file in a tracked folder, or git file. */
export async function locateAt(repo: Repo, commit: string, version: string, rel: string): Promise<LocatedContent> {
  const tree = await listTree(repo.root, commit);
  const pointers = await pointersIn(repo.root, tree, version);
  const exact = pointers.find((p) => p.path === rel);
  if (exact) {
    if (exact.pointer.kind === 'dir') {
      throw new UsageError(`${rel} is a tracked folder at ${version}`, { hint: `name a file inside it, e.g. ${rel}/<file>` });
    }
    const source = await ensureObject(repo, exact.pointer.hash, `${rel} at ${version}`);
    return { kind: 'artifact', hash: exact.pointer.hash, pointer: exact.pointer, source };
  }
  const folder = pointers.find((p) => p.pointer.kind === 'dir' && rel.startsWith(p.path + '/'));
  if (folder) {
    const mSource = await ensureObject(repo, folder.pointer.hash, `the manifest of ${folder.path} at ${version}`);
    const entries = parseManifest(repo.cache.readObject(folder.pointer.hash).toString('utf8'), folder.pointer.hash);
    const entry = entries.find((e) => e.path === rel.slice(folder.path.length + 1));
    if (!entry) throw new NotFoundError(`${rel} is not in ${folder.path} at ${version}`, { hint: `cairn explore show ${version} lists what it holds` });
    const source = await ensureObject(repo, entry.hash, `${rel} at ${version}`);
    return { kind: 'artifact', hash: entry.hash, pointer: folder.pointer, source: source === 'remote' || mSource === 'remote' ? 'remote' : 'cache' };
  }
  const file = tree.find((e) => e.path === rel && e.type === 'blob');
  if (file) return { kind: 'git', data: (await readBlobs(repo.root, [file.object]))[0]!, source: 'git' };
  throw new NotFoundError(`${rel} is not present at ${version}`, { hint: `cairn explore show ${version} lists its artifacts` });
}

/** Options of {@link exploreGet}: the repo `path` to read at `version` (a tag or any revision), and where to write it (`force` overwrites an existing file). */
export interface ExploreGetOptions {
  cwd: string;
  version: string;
  path: string;
  /** Output file ('-' for stdout); default: the file's name in `cwd`. */
  out?: string;
  force?: boolean;
  /** Where '-' writes to. */
  stdout?: NodeJS.WritableStream;
}

/** What {@link exploreGet} wrote: the resolved commit, where the bytes came from (cache, remote or git), the output file (`-` for stdout), its size, and the object hash for artifacts. */
export interface ExploreGetResult {
  version: string;
  commit: string;
  path: string;
  source: 'cache' | 'remote' | 'git';
  out: string;
  size: number;
  hash?: string;
}

/**
 * Write the bytes of a path as of an experiment version (an artifact, a file
 * inside a tracked folder, or a plain git file) to a file or stdout, without
 * touching HEAD, the index or the workspace. Objects the cache lacks are
 * fetched, verified, from the default remote. Throws NotFoundError for an
 * unknown version or path, UsageError for a tracked folder, and
 * AlreadyExistsError when the output file exists (unless `force`).
 */
export async function exploreGet(repo: Repo, options: ExploreGetOptions): Promise<ExploreGetResult> {
  const rel = normaliseRepoPath(options.path);
  const resolving = resolveVersion(repo.root, options.version);
  repo.cache.verified.warm(); // while git resolves the version: needed to copy an object without rehashing it
  const commit = await resolving;
  const outName = options.out ?? path.posix.basename(rel);
  const out = outName === '-' ? '-' : path.resolve(options.cwd, outName);
  const found = await locateAt(repo, commit, options.version, rel);
  if (out !== '-' && fs.existsSync(out) && !options.force) {
    throw new AlreadyExistsError(`${out} already exists`, { hint: 'pass --force to overwrite it, or -o to write elsewhere' });
  }
  const base = { version: options.version, commit, path: rel, source: found.source, out, ...(found.hash ? { hash: found.hash } : {}) };
  if (out === '-') {
    const data = found.data ?? repo.cache.readObject(found.hash!);
    (options.stdout ?? process.stdout).write(data);
    return { ...base, size: data.length };
  }
  await replaceFileAtomic(
    out,
    async (tmp) => {
      if (found.data) fs.writeFileSync(tmp, found.data, { flag: 'wx' });
      else await repo.cache.materialize(found.hash!, tmp, { link: 'copy' });
    },
    { durable: false },
  ); // a copy of bytes the cache keeps: atomic, not worth an fsync
  return { ...base, size: fs.statSync(out).size };
}
