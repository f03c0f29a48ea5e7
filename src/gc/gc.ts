/**
 * What `cairn gc` (the verb: src/commands/gc.ts) needs to know besides the
 * pointers: the worktrees whose folder is gone, the other repositories that
 * use the same cache, and stale temp files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../repo/repo.js';
import { staleTempsIn } from '../durable/atomicWrite.js';
import { cacheUsers, cacheUsersDir, isGitDir, type CacheUser } from '../store/cacheUsers.js';
import { pinsDir } from '../store/pins.js';

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
export function worktreesAway(commonDir: string): { admin: string; path: string | null }[] {
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

export function physical(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** The other repositories that use this cache, split into those that are there and those that are gone. */
export function otherUsers(repo: Repo): { present: CacheUser[]; missing: CacheUser[] } {
  const self = physical(repo.commonDir);
  const others = cacheUsers(repo.cache.dir).filter((u) => physical(u.gitDir) !== self);
  return { present: others.filter((u) => isGitDir(u.gitDir)), missing: others.filter((u) => !isGitDir(u.gitDir)) };
}

/** Temp files in the cache whose writer is gone (dead pid) or that are older than a day. */
export function staleTemps(cacheDir: string): string[] {
  const objects = path.join(cacheDir, 'objects');
  const prefixes = fs.existsSync(objects) ? fs.readdirSync(objects).map((p) => path.join(objects, p)) : [];
  return [path.join(cacheDir, 'tmp'), pinsDir(cacheDir), cacheUsersDir(cacheDir), ...prefixes].flatMap(staleTempsIn);
}
