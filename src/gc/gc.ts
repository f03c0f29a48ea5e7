/**
 * `cairn gc`: delete cache objects that nothing needs any more. An object is
 * kept while any worktree's files or index (a worktree whose folder is gone
 * included: its index is read from the git dir), any ref (branch, tag,
 * remote branch), any stash entry, any pin (a merge's backup) or, with
 * --all-commits, any commit or reflog entry points at it, directly or
 * through a directory manifest — in this repository and in every other
 * repository recorded as a user of the same cache. Dry run unless told
 * --yes. Deletion happens under the cache's exclusive lock, so a concurrent
 * add in another worktree (which holds a shared lock until its pointer is
 * written) cannot lose an object it is writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsafeError } from '../errors.js';
import { forEachRef, GitError, reflogCommits } from '../git/git.js';
import { listWorktrees } from '../git/worktrees.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { lockExclusive, withLock } from '../durable/lock.js';
import { staleTempsIn } from '../durable/atomicWrite.js';
import { cacheUsers, cacheUsersDir, forgetCacheUser, isGitDir, type CacheUser } from '../store/cacheUsers.js';
import { listPins, pinsDir, type Pin } from '../store/pins.js';
import { expandObjects, pointersInCommits, stagedPointers, type PointerRef } from '../artifacts/references.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import type { Progress } from '../progress.js';
import { plural, shortHash } from '../display.js';

/** Options of {@link gc}: without `yes` it only reports what it would delete. */
export interface GcOptions {
  /** Delete for real (otherwise a dry run). */
  yes?: boolean;
  /** Also keep what any commit (and reflog entry) ever referenced. */
  allCommits?: boolean;
  /** Proceed although some referenced directory manifests are not in the cache. */
  force?: boolean;
  /** Forget recorded users of the cache that are gone, and delete what only they needed. */
  forgetMissingRepos?: boolean;
  progress?: Progress;
}

/** What {@link gc} found (and, unless `dryRun`, deleted): kept and unreferenced objects, stale temp files, and manifests it could not read. */
export interface GcResult {
  dryRun: boolean;
  /** Objects kept because something references them. */
  kept: number;
  /** Unreferenced objects (deleted unless dry run). */
  unreferenced: { count: number; bytes: number; hashes: string[] };
  /** Temp files left by killed processes. */
  staleTemps: number;
  /** Referenced manifests missing from the cache (their files could not be protected). */
  unknownManifests: { hash: string; where: string }[];
  /** The repositories whose references were collected: this one and every other user of the cache. */
  repos: { gitDir: string }[];
  /** Recorded users of the cache that cannot be found (moved, deleted, unmounted): `--yes` refuses unless told to forget them. */
  missingRepos: string[];
  /** Objects kept because they are pinned (merge backups), until `cairn backup drop`. */
  pinned: Pin[];
}

/** Where to ask git about one repository: a folder git runs in (a work tree, or the git dir itself) and its common dir. */
export interface GitLocation {
  cwd: string;
  commonDir: string;
}

/**
 * Linked worktrees whose folder is gone (git calls them prunable): moved,
 * deleted or on a disk that is not mounted. Their admin folder
 * `<common dir>/worktrees/<name>` still holds their index.
 */
function worktreesAway(commonDir: string): { admin: string; path: string | null }[] {
  const parent = path.join(commonDir, 'worktrees');
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const out: { admin: string; path: string | null }[] = [];
  for (const name of names) {
    const admin = path.join(parent, name);
    if (!fs.existsSync(path.join(admin, 'HEAD'))) continue;
    let dotGit: string | null = null;
    try {
      dotGit = path.resolve(admin, fs.readFileSync(path.join(admin, 'gitdir'), 'utf8').trim());
    } catch {
      // No gitdir file: git cannot find the worktree either.
    }
    if (dotGit && fs.existsSync(dotGit)) continue;
    out.push({ admin, path: dotGit && path.dirname(dotGit) });
  }
  return out;
}

/** What a worktree that is away has staged, read from its index in the git dir; refuses when that index cannot be read. */
async function stagedAway(away: { admin: string; path: string | null }): Promise<PointerRef[]> {
  if (!fs.existsSync(path.join(away.admin, 'index'))) return [];
  try {
    return await stagedPointers(away.admin, { gitDir: away.admin });
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    const name = path.basename(away.admin);
    throw new UnsafeError(
      `the worktree ${name}${away.path ? ` (${away.path})` : ''} is gone and its index cannot be read, so what it staged cannot be told apart from garbage`,
      {
        hint: `put the folder back (or run git worktree repair <new path> where it is now), or, if it is gone for good, run git worktree prune; then run cairn gc again`,
        data: { worktree: name, path: away.path, admin: away.admin },
        cause: err,
      },
    );
  }
}

/** Every pointer that some worktree (its files and index), ref, stash entry or (optionally) commit of one repository holds. */
export async function referencedPointers(at: GitLocation, allCommits: boolean): Promise<PointerRef[]> {
  const refs: PointerRef[] = [];
  const commits = new Set<string>();
  const away = worktreesAway(at.commonDir);
  const awayPaths = new Set(away.map((a) => a.path));
  for (const wt of await listWorktrees(at.cwd)) {
    if (wt.head && !/^0+$/.test(wt.head)) commits.add(wt.head);
    if (wt.bare || !fs.existsSync(wt.path)) continue;
    const root = { root: wt.path };
    for (const a of await loadArtifacts(root)) refs.push({ pointer: a.pointer, where: `${wt.path}:${a.pointerPath}` });
    if (!awayPaths.has(wt.path)) refs.push(...(await stagedPointers(wt.path)));
  }
  for (const a of away) refs.push(...(await stagedAway(a)));
  let stash = false;
  for (const [type, id, peeledType, peeled, name] of await forEachRef(at.cwd, ['objecttype', 'objectname', '*objecttype', '*objectname', 'refname'], [])) {
    if (type === 'commit') commits.add(id!);
    else if (type === 'tag' && peeledType === 'commit') commits.add(peeled!);
    if (name === 'refs/stash') stash = true;
  }
  for (const commit of commits) {
    for (const p of await pointersAt(at.cwd, commit)) refs.push({ pointer: p.pointer, where: `${shortHash(commit)}:${p.pointerPath}` });
  }
  // refs/stash names only stash@{0}; the older entries live in its reflog.
  // Every commit of the stash: each entry of its reflog, with the index and untracked-files commits it carries as parents.
  if (stash) refs.push(...(await pointersInCommits(at.cwd, ['--no-walk', ...(await reflogCommits(at.cwd, 'refs/stash'))])));
  if (allCommits) refs.push(...(await pointersInCommits(at.cwd, ['--all', '--reflog'])));
  return refs;
}

function physical(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** The other repositories that use this cache, split into those that are there and those that are gone. */
function otherUsers(repo: Repo): { present: CacheUser[]; missing: CacheUser[] } {
  const self = physical(repo.commonDir);
  const others = cacheUsers(repo.cache.dir).filter((u) => physical(u.gitDir) !== self);
  return { present: others.filter((u) => isGitDir(u.gitDir)), missing: others.filter((u) => !isGitDir(u.gitDir)) };
}

/** Temp files in the cache whose writer is gone (dead pid) or that are older than a day. */
function staleTemps(cacheDir: string): string[] {
  const objects = path.join(cacheDir, 'objects');
  const prefixes = fs.existsSync(objects) ? fs.readdirSync(objects).map((p) => path.join(objects, p)) : [];
  return [path.join(cacheDir, 'tmp'), pinsDir(cacheDir), cacheUsersDir(cacheDir), ...prefixes].flatMap(staleTempsIn);
}

/**
 * Find cache objects that nothing references (see the module comment) in
 * this repository or any other user of the cache, and with `yes` delete them
 * and stale temp files under the cache's exclusive lock (waiting for adds and
 * fetches in other worktrees to finish). Throws UnsafeError, deleting
 * nothing, when referenced manifests are missing from the cache, unless
 * `force`; when a recorded user of the cache is gone, unless
 * `forgetMissingRepos`; when a worktree that is away has an unreadable index.
 */
export async function gc(repo: Repo, options: GcOptions = {}): Promise<GcResult> {
  const run = async (): Promise<GcResult> => {
    const { present: others, missing } = otherUsers(repo);
    const refs = await referencedPointers({ cwd: repo.root, commonDir: repo.commonDir }, options.allCommits ?? false);
    for (const user of others) refs.push(...(await referencedPointers({ cwd: user.gitDir, commonDir: user.gitDir }, options.allCommits ?? false)));
    const set = expandObjects(repo.cache, refs);
    const pinned = listPins(repo.cache.dir);
    for (const pin of pinned) if (!set.objects.has(pin.hash)) set.objects.set(pin.hash, pin.size ?? -1);
    const unknownManifests = [...set.unknownManifests].map(([hash, where]) => ({ hash, where }));
    const garbage: string[] = [];
    let bytes = 0;
    const present = repo.cache.listObjects();
    for (const hash of present) {
      if (set.objects.has(hash)) continue;
      garbage.push(hash);
      bytes += fs.statSync(repo.cache.objectPath(hash)).size;
    }
    const temps = staleTemps(repo.cache.dir);
    const result: GcResult = {
      dryRun: !options.yes,
      kept: set.objects.size - set.unknownManifests.size,
      unreferenced: { count: garbage.length, bytes, hashes: garbage },
      staleTemps: temps.length,
      unknownManifests,
      repos: [physical(repo.commonDir), ...others.map((u) => u.gitDir)].map((gitDir) => ({ gitDir })),
      missingRepos: missing.map((u) => u.gitDir),
      pinned,
    };
    if (!options.yes) return result;
    if (missing.length && !options.forgetMissingRepos && garbage.length) {
      const names = missing.map((u) => u.gitDir);
      throw new UnsafeError(
        `the cache ${repo.cache.dir} is also used by ${names.length} repositor${names.length === 1 ? 'y' : 'ies'} that cannot be found: ${names.join(', ')}; the objects only ${names.length === 1 ? 'it needs' : 'they need'} cannot be told apart from garbage`,
        {
          hint: 'put it back where it was (or mount its disk) and run gc again; if it is gone for good, pass --forget-missing-repos to forget it and delete what only it needed',
          data: { ...result, missingRepos: names, cache: repo.cache.dir },
        },
      );
    }
    if (unknownManifests.length && !options.force && garbage.length) {
      throw new UnsafeError(
        `${plural(unknownManifests.length, 'referenced folder manifest')} ${unknownManifests.length === 1 ? 'is' : 'are'} not in the cache, so the files they list cannot be told apart from garbage`,
        {
          hint: 'fetch them first (cairn fetch --all-tags --all-branches), or pass --force to delete anyway',
          data: { ...result },
        },
      );
    }
    repo.cache.bumpGeneration();
    options.progress?.start('deleting unreferenced objects', garbage.length, 'objects');
    for (const hash of garbage) {
      fs.rmSync(repo.cache.objectPath(hash), { force: true });
      options.progress?.tick(1);
    }
    options.progress?.stop();
    // Records of objects gone, now or earlier, are dropped: verified.db holds only what the cache does.
    const gone = new Set(garbage);
    repo.cache.verified.retainOnly(new Set(present.filter((hash) => !gone.has(hash))));
    for (const file of temps) fs.rmSync(file, { force: true });
    if (options.forgetMissingRepos) for (const user of missing) forgetCacheUser(user);
    return result;
  };
  return options.yes ? withLock(lockExclusive(repo.cache.locksDir, { command: 'cairn gc' }), run) : run();
}
