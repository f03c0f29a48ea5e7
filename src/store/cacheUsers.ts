/**
 * Which repositories use a cache, so that gc in one of them keeps what the
 * others need (as DVC's `gc --projects`). A repository whose cache is not its
 * own default one (`cache.dir`, `CAIRN_CACHE_DIR`) records its git common dir
 * in `<cache>/repos/` when it opens the cache; the repository that owns a
 * default cache (`<common dir>/cairn/cache`) needs no record, it is known
 * from the cache's own path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { isTempName, writeFileAtomic } from '../durable/atomicWrite.js';

/** A repository recorded as a user of the cache. */
export interface CacheUser {
  /** Its git common dir (absolute). */
  gitDir: string;
  /** The record file (null for the owner of a default cache). */
  record: string | null;
}

const RECORD_NAME = /^[0-9a-f]{32}\.json$/;
const MAX_RECORD_BYTES = 16 * 1024;

export function cacheUsersDir(cacheDir: string): string {
  return path.join(cacheDir, 'repos');
}

function recordPath(cacheDir: string, gitDir: string): string {
  return path.join(cacheUsersDir(cacheDir), `${createHash('sha256').update(gitDir).digest('hex').slice(0, 32)}.json`);
}

function physical(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** A folder with HEAD, objects and refs, as git tells a git dir. */
export function isGitDir(dir: string): boolean {
  return ['HEAD', 'objects', 'refs'].every((name) => fs.existsSync(path.join(dir, name)));
}

/**
 * Record `gitDir` (a repository's common dir) as a user of the cache, once:
 * later calls cost one stat. A cache cairn cannot write to is left as it is
 * (no object can be added through it either).
 */
export function recordCacheUser(cacheDir: string, gitDir: string): void {
  const real = physical(gitDir);
  const file = recordPath(cacheDir, real);
  if (fs.existsSync(file)) return;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify({ cairn: 1, gitDir: real }, null, 2)}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
  }
}

function readRecord(file: string): string | null {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_RECORD_BYTES) return null;
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { gitDir?: unknown };
    return typeof value.gitDir === 'string' && path.isAbsolute(value.gitDir) ? value.gitDir : null;
  } catch {
    return null;
  }
}

/**
 * Every repository known to use the cache: the owner of a default cache and
 * the recorded ones, each once. A record that cannot be read is returned
 * with its own path as `gitDir` (it names no git dir, so it counts as a
 * missing repository: never silently ignored).
 */
export function cacheUsers(cacheDir: string): CacheUser[] {
  const out = new Map<string, CacheUser>();
  const dir = physical(cacheDir);
  if (path.basename(dir) === 'cache' && path.basename(path.dirname(dir)) === 'cairn') {
    const owner = path.dirname(path.dirname(dir));
    if (isGitDir(owner)) out.set(owner, { gitDir: owner, record: null });
  }
  let names: string[] = [];
  try {
    names = fs.readdirSync(cacheUsersDir(cacheDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names.sort()) {
    if (!RECORD_NAME.test(name) || isTempName(name)) continue;
    const record = path.join(cacheUsersDir(cacheDir), name);
    const gitDir = readRecord(record) ?? record;
    if (!out.has(gitDir)) out.set(gitDir, { gitDir, record });
  }
  return [...out.values()];
}

/** Forget a repository that is gone (`gc --forget-missing-repos`). */
export function forgetCacheUser(user: CacheUser): void {
  if (user.record) fs.rmSync(user.record, { force: true });
}
