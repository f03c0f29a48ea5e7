/**
 * Experiment worktrees: `../exp-NAME` on branch `exp/NAME`, for a variant
 * that changes code or data. Created with every artifact checked out from the
 * shared cache (nothing to configure), listed with what is not yet safe, and
 * removed only when nothing would be lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, CairnError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import { branchExists, deleteBranch, nearestTag, resolveCommit, statusLines, unsharedCommits } from '../git/git.js';
import { listWorktrees, worktreeAdd, worktreePrune, worktreeRemove, type WorktreeInfo } from '../git/worktrees.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { checkout, type CheckoutResult } from '../artifacts/checkout.js';
import { status } from '../artifacts/status.js';
import { collectPointers, expandObjects, pointersInCommits } from '../artifacts/references.js';
import { fetch } from '../commands/fetch.js';
import { openRemote } from '../remote/remote.js';
import { readExplorations } from './registry.js';
import { mergeResults } from '../results/merge.js';
import type { Progress } from '../progress.js';
import { confinedFile } from '../trust/confine.js';
import { plural } from '../display.js';

export const BRANCH_PREFIX = 'exp/';
export const FOLDER_PREFIX = 'exp-';

/** Where new worktrees go: beside the main worktree. */
export function worktreeBase(repo: Pick<Repo, 'root' | 'mainRoot'>): string {
  return path.dirname(repo.mainRoot ?? repo.root);
}

/**
 * Check an experiment name: letters, digits, `.`, `_`, `-`, at most one `/`
 * (one level), no `..`, no leading dot or dash. Returns a reason or null. Pure.
 */
export function invalidNameReason(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 100) return 'it is longer than 100 characters';
  if (/\s/.test(name)) return 'it contains whitespace';
  if (name.includes('..')) return 'it contains ".."';
  if (name.split('/').length > 2) return 'it has more than one "/" (one level of grouping at most)';
  for (const part of name.split('/')) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part)) return `"${part}" must start with a letter or digit and hold only letters, digits, ".", "_", "-"`;
    if (part.endsWith('.lock') || part.endsWith('.')) return `"${part}" may not end with ".lock" or "."`;
  }
  return null;
}

/** `exp/NAME` and `../exp-NAME` (a `/` in NAME becomes `-` in the folder). */
export function experimentPlaces(repo: Pick<Repo, 'root' | 'mainRoot'>, name: string): { branch: string; dir: string } {
  return { branch: BRANCH_PREFIX + name, dir: path.join(worktreeBase(repo), FOLDER_PREFIX + name.replace(/\//g, '-')) };
}

/** Options of {@link newWorktree}: the experiment `name`, the revision to branch from (default HEAD), and a folder to use instead of `../exp-NAME`. */
export interface NewWorktreeOptions {
  name: string;
  from?: string;
  path?: string;
  progress?: Progress;
}

/** The worktree {@link newWorktree} created: its branch (`exp/NAME`), folder, starting revision, and what its checkout wrote. */
export interface NewWorktreeResult {
  name: string;
  branch: string;
  path: string;
  from: string;
  checkout: CheckoutResult;
  /** Objects fetched from the default remote because the cache lacked them. */
  fetched: number;
}

/** Create an experiment worktree; any failure rolls everything back. */
export async function newWorktree(repo: Repo, options: NewWorktreeOptions): Promise<NewWorktreeResult> {
  const reason = invalidNameReason(options.name);
  if (reason) {
    throw new UsageError(`invalid experiment name ${JSON.stringify(options.name)}: ${reason}`, {
      hint: 'use something like cnn, lr-sweep or nlp/bert-large',
    });
  }
  const places = experimentPlaces(repo, options.name);
  const dir = options.path ? path.resolve(repo.root, options.path) : places.dir;
  if (await branchExists(repo.root, places.branch)) {
    throw new AlreadyExistsError(`branch ${places.branch} already exists`, {
      hint: `choose another name, or remove the old one (cairn worktree rm ${options.name} --delete-branch)`,
    });
  }
  if (fs.existsSync(dir)) {
    throw new AlreadyExistsError(`folder ${dir} already exists`, { hint: 'choose another name or pass --path' });
  }
  const from = options.from ?? 'HEAD';
  const commit = await resolveCommit(repo.root, from);
  if (!commit) throw new NotFoundError(`unknown revision '${from}'`, { hint: 'name a branch, tag or commit (git log --oneline)' });

  let created = false;
  try {
    await worktreeAdd(repo.root, dir, commit, { branch: places.branch });
    created = true;
    const wt = await openRepo(dir);
    const { checkout: result, fetched } = await checkoutWithFetch(wt, dir, options.progress);
    return { name: options.name, branch: places.branch, path: dir, from, checkout: result, fetched };
  } catch (err) {
    await rollback(repo, dir, places.branch, created);
    throw err;
  }
}

/** Check a fresh worktree's artifacts out, fetching from the default remote what the cache lacks. */
export async function checkoutWithFetch(wt: Repo, dir: string, progress?: Progress): Promise<{ checkout: CheckoutResult; fetched: number }> {
  const needed = expandObjects(wt.cache, await collectPointers(wt, { workspace: true }));
  let fetched = 0;
  if (wt.cache.missing(needed.objects.keys()).size > 0 && Object.keys(wt.config.remotes).length > 0) {
    fetched = (await fetch(wt, { progress })).downloaded;
  }
  return { checkout: await checkout(wt, { cwd: dir, progress }), fetched };
}

async function rollback(repo: Repo, dir: string, branch: string | null, created: boolean): Promise<void> {
  if (created) await worktreeRemove(repo.root, dir, { ifPresent: true });
  if (created && fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  await worktreePrune(repo.root);
  if (branch && (await branchExists(repo.root, branch))) await deleteBranch(repo.root, branch);
}

/** One worktree as {@link listExperimentWorktrees} reports it: its kind, and what removing it would lose. `branch` is the short name. */
export interface WorktreeEntry {
  path: string;
  branch: string | null;
  head: string | null;
  kind: 'main' | 'experiment' | 'exploration' | 'other';
  /** Uncommitted git changes or modified artifacts. */
  dirty: boolean;
  /** The newest experiment tag reachable from its HEAD. */
  lastTag: string | null;
  /** Objects its artifacts need that the default remote lacks (null: no remote). */
  notPushed: number | null;
  /** Are its results rows already in the main worktree's database? */
  resultsMerged: 'yes' | 'no' | 'unknown';
}

async function lastTag(cwd: string, head: string, prefix: string): Promise<string | null> {
  return nearestTag(cwd, head, [`${prefix}[0-9]*`, 'exp-*-v[0-9]*']);
}

/** Every worktree (main included) with what would be lost by removing it. */
export async function listExperimentWorktrees(repo: Repo): Promise<WorktreeEntry[]> {
  const explorations = new Set(readExplorations(repo).map((e) => path.resolve(e.path)));
  const hasRemote = Object.keys(repo.config.remotes).length > 0;
  const out: WorktreeEntry[] = [];
  const all = await listWorktrees(repo.root);
  for (const [i, wt] of all.entries()) {
    if (wt.bare) continue;
    const branch = wt.branch?.replace(/^refs\/heads\//, '') ?? null;
    const kind: WorktreeEntry['kind'] =
      i === 0 ? 'main' : explorations.has(path.resolve(wt.path)) ? 'exploration' : branch?.startsWith(BRANCH_PREFIX) ? 'experiment' : 'other';
    const entry: WorktreeEntry = { path: wt.path, branch, head: wt.head, kind, dirty: false, lastTag: null, notPushed: null, resultsMerged: 'unknown' };
    if (fs.existsSync(wt.path)) {
      const inspected = await inspectWorktree(repo, wt, hasRemote);
      entry.dirty = inspected.dirty;
      entry.notPushed = inspected.notPushed;
    }
    if (wt.head) entry.lastTag = await lastTag(repo.root, wt.head, repo.config.versions.prefix);
    if (kind !== 'main' && fs.existsSync(wt.path)) entry.resultsMerged = await resultsMerged(repo, all[0]!.path, wt.path);
    out.push(entry);
  }
  return out;
}

/**
 * Are the rows of a worktree's results database all in the main worktree's
 * one (same path; identity as `cairn merge` sees it)? Found by a dry-run merge.
 */
async function resultsMerged(repo: Repo, mainPath: string, wtPath: string): Promise<WorktreeEntry['resultsMerged']> {
  const rel = repo.config.results.db ?? 'results.db';
  try {
    const purpose = 'compare the results databases';
    const [target, source] = [confinedFile(mainPath, rel, purpose), confinedFile(wtPath, rel, purpose)];
    if (!fs.existsSync(target) || !fs.existsSync(source)) return 'unknown';
    const r = await mergeResults({ cwd: mainPath, target, sources: [source], repo, dryRun: true, onConflict: 'keep', strategy: 'merge', waitMs: 2000 });
    // Merged: the merge would add no row, fill no NULL and meet no conflict (keys and counts follow the rows).
    return r.totals.added + r.totals.filled + r.totals.conflicts === 0 ? 'yes' : 'no';
  } catch {
    return 'unknown'; // not a results file, or locked: say so rather than guess
  }
}

/**
 * What removing a worktree would lose. The remote is the one configured
 * where the command runs (`repo`): the worktree's branch may predate it.
 */
async function inspectWorktree(
  repo: Repo,
  wt: WorktreeInfo,
  hasRemote: boolean,
): Promise<{ dirty: boolean; notPushed: number | null; problems: string[] }> {
  const problems: string[] = [];
  const porcelain = await statusLines(wt.path);
  if (porcelain.length) problems.push(`uncommitted changes:\n      ${porcelain.slice(0, 8).map((l) => l.trim()).join('\n      ')}`);
  let notPushed: number | null = null;
  try {
    const wtRepo = await openRepo(wt.path);
    const modified = (await status(wtRepo, { cwd: wt.path })).filter((a) => a.state === 'modified');
    if (modified.length) problems.push(`artifacts modified and not added: ${modified.map((a) => a.path).join(', ')}`);
    if (hasRemote) {
      // The worktree's files, and every commit of its history that no git remote has yet.
      const workspace = expandObjects(wtRepo.cache, await collectPointers(wtRepo, { workspace: true })).objects;
      const history = wt.head ? expandObjects(wtRepo.cache, await pointersInCommits(repo.root, [wt.head, '--not', '--remotes'])).objects : new Map<string, number>();
      const remote = await openRemote(repo);
      let missing: Set<string>;
      try {
        const objects = [...new Map([...history, ...workspace])].map(([hash, size]) => ({ hash, size }));
        const there = (await remote.inventory(objects)).present;
        missing = new Set(objects.filter((o) => !there.has(o.hash)).map((o) => o.hash));
      } finally {
        remote.close();
      }
      notPushed = missing.size;
      if (notPushed) {
        // A plain push covers the worktree's files; objects only older commits hold need --all-commits.
        const onlyInHistory = [...missing].some((h) => !workspace.has(h));
        problems.push(`${plural(notPushed, 'artifact object')} ${notPushed === 1 ? 'is' : 'are'} not on the remote (${onlyInHistory ? 'cairn push --all-commits' : 'cairn push'} in that worktree)`);
      }
    }
  } catch (err) {
    if (!(err instanceof CairnError) || err.exitCode !== 3) throw err; // a worktree without cairn: git state only
  }
  return { dirty: problems.some((p) => p.startsWith('uncommitted') || p.startsWith('artifacts modified')), notPushed, problems };
}

/** Options of {@link removeWorktree}: `force` discards what would be lost; `deleteBranch` also deletes `exp/NAME`. */
export interface RemoveWorktreeOptions {
  name: string;
  force?: boolean;
  deleteBranch?: boolean;
}

/** The worktree {@link removeWorktree} removed, whether its branch went too, and what `force` discarded. */
export interface RemoveWorktreeResult {
  name: string;
  path: string;
  branch: string | null;
  branchDeleted: boolean;
  /** What --force discarded (the reasons that were overridden). */
  discarded: string[];
}

/** Find the worktree of experiment NAME (by branch `exp/NAME`, else by folder `exp-NAME`). */
async function findExperiment(repo: Repo, name: string): Promise<WorktreeInfo> {
  const places = experimentPlaces(repo, name);
  const all = await listWorktrees(repo.root);
  const found =
    all.find((w) => w.branch === `refs/heads/${places.branch}`) ?? all.find((w) => path.resolve(w.path) === path.resolve(places.dir));
  if (!found) {
    throw new NotFoundError(`no experiment worktree named ${JSON.stringify(name)}`, { hint: 'cairn worktree list shows them' });
  }
  if (found === all[0]) throw new UnsafeError('refusing to remove the main worktree', { hint: 'name an experiment worktree' });
  return found;
}

/** Remove an experiment worktree, refusing (with every reason) while something would be lost. */
export async function removeWorktree(repo: Repo, options: RemoveWorktreeOptions): Promise<RemoveWorktreeResult> {
  const wt = await findExperiment(repo, options.name);
  if (readExplorations(repo).some((e) => path.resolve(e.path) === path.resolve(wt.path))) {
    throw new UsageError(`${wt.path} is an exploration worktree`, { hint: 'remove it with cairn explore cleanup' });
  }
  const branch = wt.branch?.replace(/^refs\/heads\//, '') ?? null;
  const reasons: string[] = [];
  if (fs.existsSync(wt.path)) reasons.push(...(await inspectWorktree(repo, wt, Object.keys(repo.config.remotes).length > 0)).problems);
  const unshared = branch ? await unsharedCommits(repo.root, branch) : [];
  if (unshared.length) {
    reasons.push(`${plural(unshared.length, 'commit')} on ${branch} ${unshared.length === 1 ? 'is' : 'are'} reachable from no tag and no other branch (tag ${unshared.length === 1 ? 'it' : 'them'} with cairn tag, or merge the branch)`);
  }
  if (reasons.length && !options.force) {
    throw new UnsafeError(`refusing to remove ${wt.path}:\n  - ${reasons.join('\n  - ')}`, {
      hint: 'deal with each reason above, or pass --force to discard it all',
      data: { reasons },
    });
  }
  await worktreeRemove(repo.root, wt.path);
  // Reaching here, the branch tip is reachable from a tag or another branch (or --force said so).
  let branchDeleted = false;
  if (options.deleteBranch && branch) {
    await deleteBranch(repo.root, branch);
    branchDeleted = true;
  }
  return { name: options.name, path: wt.path, branch, branchDeleted, discarded: options.force ? reasons : [] };
}
