/**
 * The one adapter over the git CLI. Everything cairn asks of git goes through
 * `git()` (or the small typed helpers below), with an explicit `cwd`.
 * node:child_process is used directly: it is what the hot paths can afford.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CairnError, NotARepoError, NotFoundError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not failures (default: only 0). */
  okCodes?: number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Thrown when git exits with a code the caller did not expect. */
export class GitError extends CairnError {
  override readonly code: string = 'E_GIT';
  constructor(args: string[], result: GitResult) {
    const detail = result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`;
    super(`git ${args.join(' ')} failed: ${detail}`, {
      hint: 'see git\'s message above; fix the repository state and retry',
      data: { args, exitCode: result.exitCode, stderr: result.stderr },
    });
  }
}

const MAX_BUFFER = 1024 * 1024 * 512;

/** Run git and return its output; rejects with GitError on an unexpected exit code. */
export function git(args: string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        maxBuffer: MAX_BUFFER,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && typeof error.code === 'string') {
          reject(spawnFailure(error, options.cwd));
          return;
        }
        const result = { stdout, stderr, exitCode };
        if (exitCode === 0 || options.okCodes?.includes(exitCode)) resolve(result);
        else reject(new GitError(args, result));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

function spawnFailure(error: Error, cwd: string): CairnError {
  if (!existsSync(cwd)) return new NotFoundError(`no such directory: ${cwd}`, { hint: 'check the path given with -C', cause: error });
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new NotFoundError('git is not installed or not on PATH', { hint: 'install git 2.31 or newer', cause: error });
  }
  return new CairnError(`could not run git: ${error.message}`, { cause: error });
}

/** Run git and return stdout as raw bytes (for blobs). */
export function gitBytes(args: string[], options: GitOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(spawnFailure(err, options.cwd)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new GitError(args, { stdout: '', stderr, exitCode: code ?? -1 }));
    });
  });
}

/** Where a worktree lives: its top level, its own git dir, and the repo's common dir. */
export interface RepoPaths {
  root: string;
  gitDir: string;
  commonDir: string;
}

/** The main worktree of a repo whose common dir is `<main>/.git`. */
export function mainRootOf(commonDir: string): string | null {
  return path.basename(commonDir) === '.git' ? path.dirname(commonDir) : null;
}

/** Variables that change where git looks for a repository. */
const DISCOVERY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * {@link repoPaths} without starting git, for the commands whose whole
 * budget is one git call (`cairn tags`, `cairn next`): looks upward from
 * the physical `cwd` (symbolic links resolved, as git's getcwd sees it) for
 * `.git` as git does, and follows a linked worktree's `gitdir:` file and
 * `commondir`. Null whenever the layout is not that plain one, and the
 * caller then asks git: a GIT_* discovery variable set, `core.worktree`,
 * `core.bare` or per-worktree config in the config, a folder on the way up
 * that is itself a git dir (inside `.git`, a bare repository), a `.git`
 * without HEAD, objects and refs, or nothing found.
 */
export function findRepoPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): RepoPaths | null {
  if (DISCOVERY_VARIABLES.some((name) => env[name] !== undefined)) return null;
  let dir: string;
  try {
    dir = realpathSync.native(cwd); // the libc one: `link/..` is the folder above where the link points, as for git
  } catch {
    return null;
  }
  for (;;) {
    if (path.basename(dir) === '.git' || isGitDir(dir)) return null;
    const dotGit = path.join(dir, '.git');
    const st = statSync(dotGit, { throwIfNoEntry: false });
    if (st) return st.isDirectory() || st.isFile() ? plainLayout(dir, dotGit, st.isFile()) : null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** A folder with HEAD, objects and refs: a git dir (as git tells one), never a work tree. */
function isGitDir(dir: string): boolean {
  return existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects')) && existsSync(path.join(dir, 'refs'));
}

/** `core.bare`, `core.worktree` or `extensions.worktreeConfig` set to anything git reads as on. */
function configMovesWorkTree(config: string): boolean {
  for (const m of config.matchAll(/^\s*(bare|worktree|worktreeconfig)\b\s*(?:=\s*(.*))?$/gim)) {
    const key = m[1]!.toLowerCase();
    const value = (m[2] ?? '').trim().toLowerCase();
    if (key === 'worktree' || !['false', 'no', 'off', '0'].includes(value)) return true;
  }
  return false;
}

function plainLayout(root: string, dotGit: string, isFile: boolean): RepoPaths | null {
  let gitDir = dotGit;
  if (isFile) {
    const m = /^gitdir: (.+)/.exec(readText(dotGit) ?? '');
    if (!m) return null;
    gitDir = path.resolve(root, m[1]!.trim());
  }
  if (!existsSync(path.join(gitDir, 'HEAD'))) return null;
  const common = readText(path.join(gitDir, 'commondir'));
  const commonDir = common === null ? gitDir : path.resolve(gitDir, common.trim());
  if (!isGitDir(commonDir)) return null;
  const config = readText(path.join(commonDir, 'config'));
  if (config === null || configMovesWorkTree(config)) return null;
  try {
    return { root, gitDir: realpathSync(gitDir), commonDir: realpathSync(commonDir) };
  } catch {
    return null;
  }
}

/**
 * Whether git config may hold `trailer.*` settings (which change how git
 * parses a message's trailers), read from the files and variables git reads
 * config from, without starting git. True when unsure: an include may bring
 * in any file.
 */
export function mayConfigureTrailers(paths: RepoPaths, env: NodeJS.ProcessEnv = process.env): boolean {
  const suspect = /^\s*\[\s*(trailer|include)|^\s*(trailer|include)/im;
  const given = [env.GIT_CONFIG_PARAMETERS ?? ''];
  for (let i = 0; i < Number(env.GIT_CONFIG_COUNT ?? 0); i++) given.push(env[`GIT_CONFIG_KEY_${i}`] ?? '');
  if (given.some((text) => /'?(trailer|include)/i.test(text))) return true;
  const home = env.HOME ?? '';
  const files = [path.join(paths.commonDir, 'config'), path.join(paths.gitDir, 'config.worktree')];
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(env.GIT_CONFIG_GLOBAL);
  else files.push(path.join(home, '.gitconfig'), path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config'));
  if (env.GIT_CONFIG_NOSYSTEM === undefined) files.push(env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig');
  return files.some((file) => suspect.test(readText(file) ?? ''));
}

/** {@link findRepoPaths} when the layout is plain, else {@link repoPaths} (git). */
export async function quickRepoPaths(cwd: string): Promise<RepoPaths> {
  return findRepoPaths(cwd) ?? repoPaths(cwd);
}

/** Locate the repository containing `cwd`; throws NotARepoError outside one. */
export async function repoPaths(cwd: string): Promise<RepoPaths> {
  let result: GitResult;
  try {
    result = await git(
      ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'],
      { cwd },
    );
  } catch (err) {
    throw isNotARepo(err) ? notARepo(cwd) : err;
  }
  const [root, gitDir, commonDir] = result.stdout.trimEnd().split('\n');
  if (!root || !gitDir || !commonDir) {
    throw new NotARepoError(`not inside a git work tree: ${cwd}`, {
      hint: 'cairn needs a work tree; a bare repository has none',
    });
  }
  return { root: path.resolve(root), gitDir: path.resolve(gitDir), commonDir: path.resolve(commonDir) };
}

/** NUL-separated output split into records, without the trailing empty one. */
export function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** The exclude rule that makes git ignore a path: where it is written (`source:line`) and the pattern. */
export interface IgnoreRule {
  path: string;
  source: string;
  line: number;
  pattern: string;
}

/**
 * The paths (relative to `root`) git ignores, each with the rule that does it
 * (`git check-ignore -v`). Paths git already tracks are never ignored.
 */
export async function ignoredPaths(root: string, paths: string[]): Promise<IgnoreRule[]> {
  if (paths.length === 0) return [];
  // Paths on stdin (NUL-separated): no pathspec magic, any file name.
  const { stdout } = await git(['check-ignore', '-v', '-z', '--stdin'], { cwd: root, input: paths.join('\0') + '\0', okCodes: [1] });
  const fields = stdout.split('\0');
  const out: IgnoreRule[] = [];
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, line, pattern, file] = fields.slice(i, i + 4) as [string, string, string, string];
    // -v also reports paths that a negated rule ("!x") matched: those are not ignored.
    if (pattern && !pattern.startsWith('!')) out.push({ path: file, source, line: Number(line), pattern });
  }
  return out;
}

/** Stage paths (relative to `cwd` or absolute), retrying (with backoff, about 10 s in all) while another git process holds the index lock. */
export async function gitAdd(cwd: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  for (let delay = 25; ; delay *= 2) {
    try {
      await git(['add', '--', ...paths], { cwd });
      return;
    } catch (err) {
      if (!(err instanceof GitError) || !/index\.lock'?: File exists/.test(String(err.data.stderr)) || delay > 3200) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay + Math.floor(Math.random() * delay)));
    }
  }
}

/** Files git tracks, matching the pathspecs, relative to the worktree root. */
export async function lsFiles(cwd: string, pathspecs: string[], options: { others?: boolean } = {}): Promise<string[]> {
  const args = ['ls-files', '-z', '--full-name', '--cached'];
  if (options.others) args.push('--others', '--exclude-standard');
  const { stdout } = await git([...args, '--', ...pathspecs], { cwd });
  return [...new Set(splitNul(stdout))];
}

/** Resolve a revision to a commit id, or null when it does not exist. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  if (resolvedCommits.has(`${cwd}\0${rev}`)) return rev;
  const { stdout, exitCode } = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
    cwd,
    okCodes: [1, 128],
  });
  if (exitCode !== 0) return null;
  const commit = stdout.trim();
  resolvedCommits.add(`${cwd}\0${commit}`);
  return commit;
}

/**
 * Full commit ids resolveCommit has returned, by folder: an id names the
 * same commit for good (unlike a ref), so resolving it again — as a caller
 * handed the id often does — needs no second `git rev-parse`.
 */
const resolvedCommits = new Set<string>();

/** True when a git failure says the folder is not in a repository. */
function isNotARepo(err: unknown): boolean {
  return err instanceof GitError && /not a git repository/i.test(String(err.data.stderr));
}

function notARepo(cwd: string): NotARepoError {
  return new NotARepoError(`not a git repository: ${cwd}`, {
    hint: 'run cairn inside a git work tree (git init first), or pass -C <dir>',
  });
}

/**
 * One `git for-each-ref` over `patterns`, handing each ref's `fields` (format
 * atoms such as `refname:lstrip=2` or `contents`) to `onRef` as git prints
 * it, so the caller works while git is still reading tags. Fields are
 * separated by NUL, which no ref name or tag message can contain. `options`
 * go before the patterns (e.g. `--sort=...`).
 */
export function streamRefs(
  cwd: string,
  fields: string[],
  patterns: string[],
  options: string[],
  onRef: (ref: string[]) => void,
): Promise<void> {
  const args = ['for-each-ref', `--format=${fields.map((f) => `%(${f})%00`).join('')}`, ...options, '--', ...patterns];
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let pending = '';
    let record: string[] = [];
    let failure: unknown = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\0');
      pending = parts.pop()!;
      for (const part of parts) {
        // Each ref's record ends with the newline for-each-ref adds after the format.
        record.push(record.length === 0 && part.charCodeAt(0) === 10 ? part.slice(1) : part);
        if (record.length === fields.length) {
          try {
            if (failure === null) onRef(record);
          } catch (err) {
            failure = err;
          }
          record = [];
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(spawnFailure(err, cwd)));
    child.on('close', (code) => {
      if (code !== 0) {
        const err = new GitError(args, { stdout: '', stderr, exitCode: code ?? -1 });
        reject(isNotARepo(err) ? notARepo(cwd) : err);
      } else if (failure !== null) reject(failure);
      else resolve();
    });
  });
}

/** Every ref of `patterns` with its `fields`, as streamRefs reads them. */
export async function forEachRef(cwd: string, fields: string[], patterns: string[], options: string[] = []): Promise<string[][]> {
  const refs: string[][] = [];
  await streamRefs(cwd, fields, patterns, options, (ref) => refs.push(ref));
  return refs;
}

/** The branch HEAD is on (`main`), or null when HEAD is detached. */
export async function currentBranch(cwd: string): Promise<string | null> {
  const { stdout, exitCode } = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd, okCodes: [1] });
  return exitCode === 0 ? stdout.trim() : null;
}

/** The object a tag name points at, or null when there is no such tag. */
export async function tagTarget(cwd: string, name: string): Promise<string | null> {
  const { stdout, exitCode } = await git(['rev-parse', '--verify', '--quiet', `refs/tags/${name}^{}`], {
    cwd,
    okCodes: [1, 128],
  });
  return exitCode === 0 ? stdout.trim() : null;
}

/**
 * Create an annotated tag with exactly `message` (no comment stripping).
 * Fails with GitError when the tag exists: git never moves it without -f.
 */
export async function createAnnotatedTag(cwd: string, name: string, commit: string, message: string): Promise<void> {
  // The message goes through a file written in full before git starts: over
  // stdin, a kill of cairn mid-write would hand git a truncated message at EOF,
  // and git would tag with it.
  // Beside git's own TAG_EDITMSG, so that it does not depend on TMPDIR.
  const gitDir = (await git(['rev-parse', '--absolute-git-dir'], { cwd })).stdout.trim();
  const file = path.join(gitDir, `CAIRN_TAGMSG-${process.pid}-${Date.now()}`);
  try {
    await writeFile(file, message);
    await git(['tag', '--annotate', '--cleanup=verbatim', `--file=${file}`, '--', name, commit], { cwd });
  } finally {
    await rm(file, { force: true });
  }
}

/** A tracked path that differs from HEAD, staged or not (`git status --porcelain`). */
export interface TrackedChange {
  /** Two-letter porcelain status, e.g. ` M`, `A `, `D `. */
  status: string;
  path: string;
}

/** Tracked files with uncommitted changes (untracked files are not listed). */
export async function trackedChanges(cwd: string): Promise<TrackedChange[]> {
  const { stdout } = await git(['status', '--porcelain=v1', '-z', '--untracked-files=no'], { cwd });
  const records = splitNul(stdout);
  const out: TrackedChange[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const status = r.slice(0, 2);
    out.push({ status, path: r.slice(3) });
    // A rename or copy is followed by its source path.
    if (status[0] === 'R' || status[0] === 'C') i++;
  }
  return out;
}

/**
 * Commit exactly `paths` (their work-tree content; other staged changes stay
 * staged and out of the commit) with exactly `message`; returns the new
 * commit id. The message goes through a file, as for createAnnotatedTag.
 * Git's own commit is atomic: a kill leaves HEAD at the old commit or the new.
 */
export async function commitPaths(cwd: string, message: string, paths: string[]): Promise<string> {
  const gitDir = (await git(['rev-parse', '--absolute-git-dir'], { cwd })).stdout.trim();
  const file = path.join(gitDir, `CAIRN_COMMITMSG-${process.pid}-${Date.now()}`);
  try {
    await writeFile(file, message);
    await git(['commit', '--quiet', '--cleanup=verbatim', `--file=${file}`, '--only', '--', ...paths], { cwd });
  } finally {
    await rm(file, { force: true });
  }
  return (await git(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd })).stdout.trim();
}

/** True when the index differs from HEAD at any of `paths`. */
export async function stagedDiffers(cwd: string, paths: string[]): Promise<boolean> {
  const { exitCode } = await git(['diff', '--cached', '--quiet', 'HEAD', '--', ...paths], { cwd, okCodes: [1] });
  return exitCode === 1;
}

/** A commit's parents and its whole message. */
export async function commitParentsAndMessage(cwd: string, commit: string): Promise<{ parents: string[]; message: string }> {
  const { stdout } = await git(['show', '-s', '--format=%P%x00%B', commit, '--'], { cwd });
  const nul = stdout.indexOf('\0');
  return { parents: stdout.slice(0, nul).split(' ').filter(Boolean), message: stdout.slice(nul + 1) };
}

/**
 * Put `paths` back as HEAD has them: in the index, and also in the work tree
 * when `worktree`. A path HEAD lacks is unstaged (and, with `worktree`,
 * deleted: it is a file the caller made). Paths git knows nothing of are skipped.
 */
export async function restoreFromHead(cwd: string, paths: string[], options: { worktree: boolean }): Promise<void> {
  if (paths.length === 0) return;
  const inHead = new Set(splitNul((await git(['ls-tree', '-z', '--name-only', '--full-tree', 'HEAD', '--', ...paths], { cwd })).stdout));
  const inIndex = new Set(splitNul((await git(['ls-files', '-z', '--full-name', '--', ...paths], { cwd })).stdout));
  const back = paths.filter((p) => inHead.has(p));
  const added = paths.filter((p) => !inHead.has(p) && inIndex.has(p));
  if (back.length) await git(['restore', '--source=HEAD', '--staged', ...(options.worktree ? ['--worktree'] : []), '--', ...back], { cwd });
  if (added.length) await git(['rm', '--quiet', ...(options.worktree ? ['--force'] : ['--cached']), '--', ...added], { cwd });
}
