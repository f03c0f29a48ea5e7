/**
 * Typed helpers over the git CLI: repository discovery, refs, tags,
 * branches, status, ls-files, config. Each starts git through `./run.ts`
 * (one spawn primitive with a fixed environment), with an explicit `cwd`;
 * no file outside `src/git/` builds git argv (docs/ARCHITECTURE.md).
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NotARepoError } from '../errors.js';
import { git, GitError, gitStream, type GitResult } from './run.js';

export { GitError } from './run.js';

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

/** Locate the repository containing `cwd`; throws NotARepoError outside one. */
export async function repoPaths(cwd: string): Promise<RepoPaths> {
  let result: GitResult;
  try {
    result = await git(['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'], { cwd, readOnly: true });
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
  const { stdout } = await git(['check-ignore', '-v', '-z', '--stdin'], { cwd: root, input: paths.join('\0') + '\0', okCodes: [1], readOnly: true });
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
  const { stdout } = await git([...args, '--', ...pathspecs], { cwd, readOnly: true });
  return [...new Set(splitNul(stdout))];
}

/** Resolve a revision to a commit id, or null when it does not exist. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  if (resolvedCommits.has(`${cwd}\0${rev}`)) return rev;
  const { stdout, exitCode } = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
    cwd,
    okCodes: [1, 128],
    readOnly: true,
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
export async function streamRefs(cwd: string, fields: string[], patterns: string[], options: string[], onRef: (ref: string[]) => void): Promise<void> {
  const args = ['for-each-ref', `--format=${fields.map((f) => `%(${f})%00`).join('')}`, ...options, '--', ...patterns];
  let pending = '';
  let record: string[] = [];
  let failure: unknown = null;
  const onText = (text: string) => {
    const parts = (pending + text).split('\0');
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
  };
  try {
    await gitStream(args, { cwd, readOnly: true }, onText);
  } catch (err) {
    throw isNotARepo(err) ? notARepo(cwd) : err;
  }
  if (failure !== null) throw failure;
}

/** Every ref of `patterns` with its `fields`, as streamRefs reads them. */
export async function forEachRef(cwd: string, fields: string[], patterns: string[], options: string[] = []): Promise<string[][]> {
  const refs: string[][] = [];
  await streamRefs(cwd, fields, patterns, options, (ref) => refs.push(ref));
  return refs;
}

/** The branch HEAD is on (`main`), or null when HEAD is detached. */
export async function currentBranch(cwd: string): Promise<string | null> {
  const { stdout, exitCode } = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd, okCodes: [1], readOnly: true });
  return exitCode === 0 ? stdout.trim() : null;
}

/** The object a tag name points at, or null when there is no such tag. */
export async function tagTarget(cwd: string, name: string): Promise<string | null> {
  const { stdout, exitCode } = await git(['rev-parse', '--verify', '--quiet', `refs/tags/${name}^{}`], {
    cwd,
    okCodes: [1, 128],
    readOnly: true,
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
  const gitDir = (await git(['rev-parse', '--absolute-git-dir'], { cwd, readOnly: true })).stdout.trim();
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
  const { stdout } = await git(['status', '--porcelain=v1', '-z', '--untracked-files=no'], { cwd, readOnly: true });
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

/** Set one key in the repository's own config (`.git/config`). */
export async function setConfig(cwd: string, key: string, value: string): Promise<void> {
  await git(['config', '--', key, value], { cwd });
}

/** Remove a whole section from the repository's config; no error when it is not there. */
export async function removeConfigSection(cwd: string, section: string): Promise<void> {
  // 128 (older git) and 5 (newer git): no such section.
  await git(['config', '--remove-section', '--', section], { cwd, okCodes: [128, 5] });
}

/** Absolute paths of files inside the git dir (`git rev-parse --git-path`): `hooks` honours core.hooksPath, per-worktree names resolve per worktree. */
export async function gitPaths(cwd: string, names: string[]): Promise<string[]> {
  const args = ['rev-parse', '--path-format=absolute', ...names.flatMap((name) => ['--git-path', name])];
  const { stdout } = await git(args, { cwd, readOnly: true });
  return stdout.split('\n').filter(Boolean);
}

/** The top level of the work tree holding `cwd`. */
export async function topLevel(cwd: string): Promise<string> {
  return (await git(['rev-parse', '--show-toplevel'], { cwd, readOnly: true })).stdout.trim();
}

/** The commit a tag points at (peeled through annotated tags), or null when there is no such tag. */
export async function tagCommit(cwd: string, name: string): Promise<string | null> {
  const { stdout, exitCode } = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/tags/${name}^{commit}`], {
    cwd,
    okCodes: [1, 128],
    readOnly: true,
  });
  return exitCode === 0 ? stdout.trim() : null;
}

/** Whether `refs/heads/<branch>` exists. */
export async function branchExists(cwd: string, branch: string): Promise<boolean> {
  const { exitCode } = await git(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd, okCodes: [1], readOnly: true });
  return exitCode === 0;
}

/** Delete a branch whether or not it is merged (`git branch -D`). */
export async function deleteBranch(cwd: string, branch: string): Promise<void> {
  await git(['branch', '-D', '--', branch], { cwd });
}

/** `git status --porcelain` lines (tracked changes and untracked files), empty for a clean work tree. */
export async function statusLines(cwd: string): Promise<string[]> {
  const { stdout } = await git(['status', '--porcelain'], { cwd, readOnly: true });
  return stdout.split('\n').filter(Boolean);
}

/** A commit's committer date (strict ISO 8601) and subject line. */
export async function commitSummary(cwd: string, commit: string): Promise<{ date: string; subject: string }> {
  const { stdout } = await git(['log', '-1', '--format=%cI%x00%s', '--end-of-options', commit, '--'], { cwd, readOnly: true });
  const [date, subject] = stdout.trim().split('\0');
  return { date: date ?? '', subject: subject ?? '' };
}

/** `git diff --stat` from commit `from` to commit `to`, or to the work tree when `to` is omitted; trailing newline removed. */
export async function diffStat(cwd: string, from: string, to?: string): Promise<string> {
  const { stdout } = await git(['diff', '--stat', '--end-of-options', from, ...(to ? [to] : []), '--'], { cwd, readOnly: true });
  return stdout.trimEnd();
}

/** Remove paths (literal, from the root) from the index, keeping the files; paths not in the index are skipped. */
export async function removeFromIndex(root: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await git(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...paths.map((p) => `:(literal)${p}`)], { cwd: root });
}

/** Full names of the refs under the given namespaces (`refs/tags`, `refs/heads`...). */
export async function refNames(cwd: string, namespaces: string[]): Promise<string[]> {
  return (await forEachRef(cwd, ['refname'], namespaces)).map(([name]) => name!);
}

/** An object git names at a path: an index entry, or a blob a walk over commits met. */
export interface PathObject {
  object: string;
  path: string;
}

/**
 * The index entries matching a pathspec (`git ls-files --stage`). With
 * `gitDir` (a linked worktree's folder under `<common dir>/worktrees/`) the
 * index is read from there.
 */
export async function stagedObjects(cwd: string, pathspec: string, options: { gitDir?: string } = {}): Promise<PathObject[]> {
  const gitDir = options.gitDir ? [`--git-dir=${options.gitDir}`] : [];
  const { stdout } = await git([...gitDir, 'ls-files', '-z', '--stage', '--', pathspec], { cwd, readOnly: true });
  return splitNul(stdout).map((line) => {
    const tab = line.indexOf('\t');
    return { object: line.slice(0, tab).split(' ')[1]!, path: line.slice(tab + 1) };
  });
}

/**
 * Every blob (with the path it was first met at) in the commits `git
 * rev-list <revs>` walks, e.g. `--all --reflog` or `HEAD --not --remotes`.
 * One rev-list however long the history.
 */
export async function blobsInCommits(cwd: string, revs: string[]): Promise<PathObject[]> {
  const { stdout } = await git(['rev-list', '--objects', '--filter=object:type=blob', ...revs], { cwd, readOnly: true });
  const out: PathObject[] = [];
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space >= 0) out.push({ object: line.slice(0, space), path: line.slice(space + 1) });
  }
  return out;
}

/** Every commit a ref's reflog names, with their parents (for `refs/stash`: each entry and the index and untracked commits it carries). */
export async function reflogCommits(cwd: string, ref: string): Promise<string[]> {
  const { stdout } = await git(['log', '--walk-reflogs', '--format=%H %P', ref, '--'], { cwd, readOnly: true });
  return [...new Set(stdout.split(/\s+/).filter(Boolean))];
}

/** The newest tag reachable from `commit` whose name matches one of the glob `patterns` (`git describe --tags --abbrev=0`), or null. */
export async function nearestTag(cwd: string, commit: string, patterns: string[]): Promise<string | null> {
  const { stdout, exitCode } = await git(['describe', '--tags', '--abbrev=0', ...patterns.map((p) => `--match=${p}`), commit], {
    cwd,
    okCodes: [128],
    readOnly: true,
  });
  return exitCode === 0 ? stdout.trim() || null : null;
}

/**
 * For each commit, the nearest tag below it matching one of `patterns`, or
 * null when there is none: one `git describe` for all of them (--always makes
 * a commit with no such tag print its own id instead of failing the batch).
 */
export async function nearestTags(cwd: string, commits: string[], patterns: string[]): Promise<(string | null)[]> {
  if (commits.length === 0) return [];
  const args = ['describe', '--tags', '--abbrev=0', '--always', ...patterns.map((p) => `--match=${p}`), '--end-of-options', ...commits];
  const lines = (await git(args, { cwd, readOnly: true })).stdout.split('\n');
  return commits.map((commit, i) => {
    const found = lines[i]?.trim() ?? '';
    return found === '' || commit.startsWith(found) ? null : found;
  });
}

/** Commits on branch `branch` that no tag, no remote-tracking branch and no other branch reaches. */
export async function unsharedCommits(cwd: string, branch: string): Promise<string[]> {
  // --exclude patterns for --branches are written without the refs/heads/ prefix.
  const args = ['rev-list', `refs/heads/${branch}`, '--not', `--exclude=${branch}`, '--branches', '--tags', '--remotes'];
  const { stdout } = await git(args, { cwd, readOnly: true });
  return stdout.split('\n').filter(Boolean);
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
