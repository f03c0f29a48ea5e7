/**
 * The repository context every command starts from: where the worktree and
 * its git dirs are, the effective configuration, and the shared cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotARepoError, UnsafeError } from '../errors.js';
import { mainRootOf, repoPaths, type RepoPaths } from '../git/git.js';
import { checkConfigDir, CONFIG_DIR, CONFIG_FILE, loadConfig, type CairnConfig } from '../config/config.js';
import { Cache } from '../store/cache.js';
import { Confinement } from '../trust/confine.js';
import { isGitDirName, unsafePathReason } from '../trust/pathNames.js';
import { recordCacheUser } from '../store/cacheUsers.js';

/** An opened repository (from {@link openRepo}): its worktree and git dirs, the effective config, and the cache shared by all its worktrees. */
export interface Repo extends RepoPaths {
  /** The main worktree's root (equal to `root` there), or null for unusual layouts. */
  mainRoot: string | null;
  config: CairnConfig;
  cache: Cache;
  /** Per-worktree state (stat cache), under the worktree's own git dir. */
  stateDir: string;
}

/** Options of {@link openRepo}; `env` supplies the `CAIRN_*` variables (default `process.env`). */
export interface OpenRepoOptions {
  /** Fail unless `cairn init` has run (default true). */
  requireInit?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Where the cache lives by default: shared by all worktrees through the common dir. */
export function defaultCacheDir(commonDir: string): string {
  return path.join(commonDir, 'cairn', 'cache');
}

/** The main worktree of a repo (defined beside repoPaths, re-exported here where it was first). */
export { mainRootOf };

/** True when `.cairn/config.json` is there (a symlink counts, so that reading it refuses it by name). */
export function isInitialized(root: string): boolean {
  return fs.lstatSync(path.join(root, CONFIG_DIR, CONFIG_FILE), { throwIfNoEntry: false }) !== undefined;
}

/**
 * Open the repository that contains `cwd`. Throws NotARepoError when `cwd`
 * is not in a git work tree, or when `cairn init` has not run there (unless
 * `requireInit` is false); an IntegrityError (exit 8) when a config file is
 * malformed or does not fit the schema; an UnsafeError (exit 7) when `.cairn`
 * or a config file is a symlink or special file, or the committed one sets
 * what only the local one may (credentials, `cache.dir`).
 */
export async function openRepo(cwd: string, options: OpenRepoOptions = {}): Promise<Repo> {
  const paths = await repoPaths(cwd);
  // .cairn is committed: a symlink there (or at its config file) would send config reads and writes elsewhere.
  // Refused as such, not reported as "not initialised".
  checkConfigDir(paths.root);
  if ((options.requireInit ?? true) && !isInitialized(paths.root)) {
    throw new NotARepoError(`cairn is not initialised in ${paths.root}`, {
      hint: 'run cairn init (and commit .cairn/) first',
    });
  }
  const mainRoot = mainRootOf(paths.commonDir);
  const config = await loadConfig(paths.root, mainRoot, options.env ?? process.env, paths.commonDir);
  // A relative cache.dir is relative to the main worktree, so every worktree shares the same cache.
  const cacheDir = config.cache.dir ? path.resolve(mainRoot ?? paths.root, config.cache.dir) : defaultCacheDir(paths.commonDir);
  // A cache elsewhere may be shared with other clones: gc in any of them must know this one.
  if (cacheDir !== defaultCacheDir(paths.commonDir)) recordCacheUser(cacheDir, paths.commonDir);
  return {
    ...paths,
    mainRoot,
    config,
    cache: new Cache(cacheDir),
    stateDir: path.join(paths.gitDir, 'cairn'),
  };
}

/** `rel` with POSIX separators. */
export function toPosix(rel: string): string {
  return path.sep === '/' ? rel : rel.split(path.sep).join('/');
}

/** True when a path relative to some folder leads out of it. */
export function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel);
}

/**
 * Resolve a user-given path (relative to `cwd`) to a path relative to the
 * worktree root, refusing anything outside the worktree or inside `.git`.
 */
export function repoRelative(repo: Pick<Repo, 'root'>, cwd: string, userPath: string): string {
  const abs = path.resolve(cwd, userPath);
  const rel = path.relative(repo.root, abs);
  if (rel === '') return '';
  if (escapes(rel)) {
    throw new UnsafeError(`path ${userPath} is outside the repository ${repo.root}`, {
      hint: 'cairn only tracks files inside the current git work tree',
      data: { path: userPath },
    });
  }
  const posix = toPosix(rel);
  const first = posix.split('/')[0]!;
  if (isGitDirName(first) || first === CONFIG_DIR) {
    throw new UnsafeError(`path ${userPath} is inside ${first}/, which cairn does not track`, {
      hint: 'choose a file or folder of your project',
    });
  }
  const reason = unsafePathReason(posix);
  if (reason) throw new UnsafeError(`path ${userPath} is unsafe (${reason})`, { hint: 'choose a file or folder of your project', data: { path: userPath } });
  // As git does ("beyond a symbolic link"): no folder on the way may be a symlink.
  const escape = new Confinement(repo.root).escapeOf(posix);
  if (escape) {
    throw new UnsafeError(`path ${userPath} goes through ${escape.at}, which is ${escape.what}`, {
      hint: escape.what === 'a symlink' ? 'cairn never follows a symlinked folder; name the real path instead' : 'check the path',
      data: { path: userPath, at: escape.at },
    });
  }
  return posix;
}
