/**
 * `cairn gc`: delete cache objects that nothing needs any more. An object is
 * kept while any worktree's files or index, any ref (branch, tag, remote
 * branch, stash) or, with --all-commits, any commit or reflog entry points at
 * it, directly or through a directory manifest. Dry run unless told --yes.
 * Deletion happens under the cache's exclusive lock, so a concurrent add in
 * another worktree (which holds a shared lock until its pointer is written)
 * cannot lose an object it is writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsafeError } from '../errors.js';
import { git, splitNul } from '../git/git.js';
import { pointersAt } from '../git/revision.js';
import type { Repo } from '../repo/repo.js';
import { lockExclusive, withLock } from '../durable/lock.js';
import { staleTempsIn } from '../durable/atomicWrite.js';
import { expandObjects, pointersInCommits, stagedPointers, type PointerRef } from '../artifacts/references.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import type { Progress } from '../progress.js';

/** Options of {@link gc}: without `yes` it only reports what it would delete. */
export interface GcOptions {
  /** Delete for real (otherwise a dry run). */
  yes?: boolean;
  /** Also keep what any commit (and reflog entry) ever referenced. */
  allCommits?: boolean;
  /** Proceed although some referenced directory manifests are not in the cache. */
  force?: boolean;
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
}

/** One worktree as `git worktree list --porcelain` describes it; `branch` is the full ref name (`refs/heads/...`). */
export interface WorktreeInfo {
  path: string;
  head: string | null;
  branch: string | null;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  prunable: boolean;
}

/** `git worktree list --porcelain`, parsed. */
export async function listWorktrees(cwd: string): Promise<WorktreeInfo[]> {
  const { stdout } = await git(['worktree', 'list', '--porcelain', '-z'], { cwd });
  const out: WorktreeInfo[] = [];
  let cur: WorktreeInfo | null = null;
  for (const line of splitNul(stdout)) {
    if (line.startsWith('worktree ')) {
      cur = { path: line.slice(9), head: null, branch: null, bare: false, detached: false, locked: false, prunable: false };
      out.push(cur);
    } else if (!cur) continue;
    else if (line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (line.startsWith('branch ')) cur.branch = line.slice(7);
    else if (line === 'bare') cur.bare = true;
    else if (line === 'detached') cur.detached = true;
    else if (line.startsWith('locked')) cur.locked = true;
    else if (line.startsWith('prunable')) cur.prunable = true;
  }
  return out;
}

/** Every pointer that some worktree, ref or (optionally) commit holds. */
export async function referencedPointers(repo: Repo, allCommits: boolean): Promise<PointerRef[]> {
  const refs: PointerRef[] = [];
  const commits = new Set<string>();
  for (const wt of await listWorktrees(repo.root)) {
    if (wt.head && !/^0+$/.test(wt.head)) commits.add(wt.head);
    if (wt.bare || !fs.existsSync(wt.path)) continue;
    const root = { root: wt.path };
    for (const a of await loadArtifacts(root)) refs.push({ pointer: a.pointer, where: `${wt.path}:${a.pointerPath}` });
    refs.push(...(await stagedPointers(wt.path)));
  }
  const { stdout } = await git(['for-each-ref', '--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname)'], { cwd: repo.root });
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [type, id, peeledType, peeled] = line.split(' ');
    if (type === 'commit') commits.add(id!);
    else if (type === 'tag' && peeledType === 'commit') commits.add(peeled!);
  }
  for (const commit of commits) {
    for (const p of await pointersAt(repo.root, commit)) refs.push({ pointer: p.pointer, where: `${commit.slice(0, 12)}:${p.pointerPath}` });
  }
  if (allCommits) refs.push(...(await pointersInCommits(repo.root, ['--all', '--reflog'])));
  return refs;
}

/** Temp files in the cache whose writer is gone (dead pid) or that are older than a day. */
function staleTemps(cacheDir: string): string[] {
  const objects = path.join(cacheDir, 'objects');
  const prefixes = fs.existsSync(objects) ? fs.readdirSync(objects).map((p) => path.join(objects, p)) : [];
  return [path.join(cacheDir, 'tmp'), ...prefixes].flatMap(staleTempsIn);
}

/**
 * Find cache objects that no worktree, index, ref (or, with `allCommits`, any
 * commit or reflog entry) references, and with `yes` delete them and stale temp
 * files under the cache's exclusive lock (waiting for adds and fetches in other
 * worktrees to finish). Throws UnsafeError, deleting nothing, when referenced
 * manifests are missing from the cache, unless `force`.
 */
export async function gc(repo: Repo, options: GcOptions = {}): Promise<GcResult> {
  const run = async (): Promise<GcResult> => {
    const set = expandObjects(repo.cache, await referencedPointers(repo, options.allCommits ?? false));
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
    };
    if (!options.yes) return result;
    if (unknownManifests.length && !options.force && garbage.length) {
      throw new UnsafeError(
        `${unknownManifests.length} referenced folder manifest(s) are not in the cache, so the files they list cannot be told apart from garbage`,
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
    return result;
  };
  return options.yes ? withLock(lockExclusive(repo.cache.locksDir, { command: 'cairn gc' }), run) : run();
}
