/**
 * `cairn checkout`: make the workspace match the pointers. Planned first
 * (pure), then applied. Workspace content that is not in the cache is never
 * overwritten or deleted unless forced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CairnError, IntegrityError, NotFoundError, UnsafeError } from '../errors.js';
import { repoRelative, type Repo } from '../repo/repo.js';
import { lockShared, withLock } from '../durable/lock.js';
import { sweepStaleTemps } from '../durable/atomicWrite.js';
import { MODE_EXEC, type ManifestEntry } from '../store/manifest.js';
import type { Progress } from '../progress.js';
import { IO_CONCURRENCY, mapLimit } from '../concurrency.js';
import { Confinement, escapeError } from '../trust/confine.js';
import { inspectArtifact, type Inspection } from './inspect.js';
import { loadArtifacts, WorkspaceObserver, type FileObservation } from './workspace.js';

/** Options of {@link checkout}: which artifacts (paths relative to `cwd`), and whether to discard workspace content the cache lacks. */
export interface CheckoutOptions {
  cwd: string;
  /** Artifacts to check out (all when empty). */
  paths?: string[];
  /** Overwrite or delete workspace content even when the cache has no copy of it. */
  force?: boolean;
  progress?: Progress;
}

/** What {@link checkout} changed in the workspace, by repo-relative path. */
export interface CheckoutResult {
  /** Files written (repo-relative). */
  written: string[];
  /** Files removed because the recorded directory does not hold them. */
  removed: string[];
  /** Artifacts already matching. */
  unchanged: string[];
}

/** One step of a checkout plan, paths relative to the worktree root. */
export type CheckoutStep =
  | { op: 'write'; path: string; hash: string; size: number; executable: boolean; replace: boolean }
  | { op: 'chmod'; path: string; executable: boolean }
  | { op: 'remove'; path: string };

export interface ArtifactPlan {
  artifact: string;
  steps: CheckoutStep[];
  /** Why the artifact cannot be checked out (steps are then not applied). */
  refused: string[];
  missing: string[];
}

/** Does the cache already hold this workspace content (so replacing it loses nothing)? */
export type InCache = (hash: string) => boolean;

function planEntry(rel: string, entry: ManifestEntry, observed: FileObservation, inCache: InCache, force: boolean, plan: ArtifactPlan): void {
  const executable = entry.mode === MODE_EXEC;
  if (!inCache(entry.hash)) plan.missing.push(rel);
  if (observed.kind === 'missing') {
    plan.steps.push({ op: 'write', path: rel, hash: entry.hash, size: entry.size, executable, replace: false });
  } else if (observed.kind === 'file' && observed.hash === entry.hash) {
    if (observed.mode !== entry.mode) plan.steps.push({ op: 'chmod', path: rel, executable });
  } else if (force || (observed.kind === 'file' && inCache(observed.hash))) {
    plan.steps.push({ op: 'write', path: rel, hash: entry.hash, size: entry.size, executable, replace: true });
  } else {
    plan.refused.push(observed.kind === 'file' ? `${rel} has changes that are not in the cache` : `${rel} is ${observed.what}`);
  }
}

/** Decide what checkout must do for one inspected artifact. Pure. */
export function planArtifact(inspection: Inspection, inCache: InCache, force: boolean): ArtifactPlan {
  const { status, recorded, observed } = inspection;
  const plan: ArtifactPlan = { artifact: status.path, steps: [], refused: [], missing: [] };
  if (status.state === 'unchanged') return plan;
  if (!recorded) {
    plan.missing.push(status.path);
    return plan;
  }
  if (status.kind === 'file') {
    planEntry(status.path, recorded[0]!, observed as FileObservation, inCache, force, plan);
    return plan;
  }
  if (observed.kind === 'other') {
    if (force) plan.steps.push({ op: 'remove', path: status.path });
    else plan.refused.push(`${status.path} is ${observed.what} in the workspace`);
  }
  const present = new Map(observed.kind === 'dir' ? (observed.entries ?? []).map((e) => [e.path, e]) : []);
  for (const entry of recorded) {
    const have = present.get(entry.path);
    const obs: FileObservation = have ? { kind: 'file', hash: have.hash, size: have.size, mode: have.mode } : { kind: 'missing' };
    planEntry(`${status.path}/${entry.path}`, entry, obs, inCache, force, plan);
  }
  if (observed.kind === 'dir') {
    const wanted = new Set(recorded.map((e) => e.path));
    for (const e of observed.entries ?? []) {
      if (wanted.has(e.path)) continue;
      if (force || inCache(e.hash)) plan.steps.unshift({ op: 'remove', path: `${status.path}/${e.path}` });
      else plan.refused.push(`${status.path}/${e.path} is not recorded and not in the cache`);
    }
    for (const odd of observed.oddities) {
      if (force) plan.steps.unshift({ op: 'remove', path: `${status.path}/${odd}` });
      else plan.refused.push(`${status.path}/${odd} is not a regular file`);
    }
  }
  return plan;
}

async function applyStep(repo: Repo, step: CheckoutStep, observer: WorkspaceObserver, result: CheckoutResult, madeDirs: Set<string>): Promise<void> {
  const abs = path.join(repo.root, step.path);
  switch (step.op) {
    case 'remove':
      fs.rmSync(abs, { recursive: true, force: true });
      result.removed.push(step.path);
      return;
    case 'chmod':
      fs.chmodSync(abs, step.executable ? 0o755 : 0o644);
      return;
    case 'write': {
      const dir = path.dirname(abs);
      if (!madeDirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      if (step.replace && fs.lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
        fs.rmSync(abs, { recursive: true, force: true });
      }
      const linkedTo = await repo.cache.materialize(step.hash, abs, {
        link: repo.config.cache.link,
        executable: step.executable,
        fresh: !step.replace,
        size: step.size,
      });
      // A hard link has the object's stat: no need to stat it again.
      observer.remember(step.path, step.hash, linkedTo ?? undefined, { trusted: true, hardLinked: linkedTo !== null });
      result.written.push(step.path);
    }
  }
}

/** Make the workspace match the pointers. */
export async function checkout(repo: Repo, options: CheckoutOptions): Promise<CheckoutResult> {
  const selectors = (options.paths ?? []).map((p) => repoRelative(repo, options.cwd, p));
  const artifacts = await loadArtifacts(repo, selectors);
  const result: CheckoutResult = { written: [], removed: [], unchanged: [] };
  return withLock(lockShared(repo.cache.locksDir, { command: 'cairn checkout' }), async () => {
    const observer = new WorkspaceObserver(repo);
    const refused: string[] = [];
    const missing: string[] = [];
    const corrupt: CairnError[] = [];
    try {
      const plans: ArtifactPlan[] = [];
      const madeDirs = new Set<string>();
      sweepWorkspaceTemps(
        repo,
        artifacts.map((a) => a.path),
      );
      for (const artifact of artifacts) {
        const inspection = await inspectArtifact(repo, observer, artifact);
        if (inspection.status.state === 'unchanged') {
          result.unchanged.push(artifact.path);
          continue;
        }
        // One listing of the object folders answers "in the cache?" for every file of the artifact.
        const missing = repo.cache.missing([
          ...(inspection.recorded ?? []).map((e) => e.hash),
          ...(inspection.observed.kind === 'dir' ? (inspection.observed.entries ?? []).map((e) => e.hash) : []),
          ...(inspection.observed.kind === 'file' ? [inspection.observed.hash] : []),
        ]);
        plans.push(planArtifact(inspection, (h) => !missing.has(h), options.force ?? false));
      }
      observer.flush();
      checkPlansConfined(repo, plans);
      const bytes = plans.flatMap((p) => p.steps).reduce((n, s) => n + (s.op === 'write' ? s.size : 0), 0);
      options.progress?.start('checking out', bytes, 'B');
      for (const plan of plans) {
        if (plan.refused.length) {
          refused.push(...plan.refused);
          continue;
        }
        if (plan.missing.length) {
          missing.push(...plan.missing);
          continue;
        }
        // Removals first (a removed file may be where a folder must go), then writes in parallel.
        for (const step of plan.steps.filter((st) => st.op === 'remove')) await applyStep(repo, step, observer, result, madeDirs);
        await mapLimit(
          plan.steps.filter((st) => st.op !== 'remove'),
          IO_CONCURRENCY,
          async (step) => {
            try {
              await applyStep(repo, step, observer, result, madeDirs);
            } catch (err) {
              if (err instanceof IntegrityError) corrupt.push(err);
              else if (err instanceof NotFoundError) missing.push(step.path);
              else throw err;
              return;
            }
            if (step.op === 'write') options.progress?.tick(step.size);
          },
        );
      }
    } finally {
      options.progress?.stop();
      observer.close();
      repo.cache.verified.flush();
    }
    throwProblems(result, refused, missing, corrupt);
    return result;
  });
}

/**
 * Before the first write or delete: every path the plans touch must lie under
 * real folders of the work tree. A symlinked folder on the way (committed, or
 * made since) refuses the whole checkout, unless the plan itself removes that
 * symlink first (`--force` over a symlink where a recorded folder goes).
 */
function checkPlansConfined(repo: Repo, plans: ArtifactPlan[]): void {
  const confinement = new Confinement(repo.root);
  for (const plan of plans) {
    if (plan.refused.length || plan.missing.length) continue;
    const removed = new Set(plan.steps.filter((s) => s.op === 'remove').map((s) => s.path));
    for (const step of plan.steps) {
      const escape = confinement.escapeOf(step.path);
      if (escape && !removed.has(escape.at)) throw escapeError(step.path, escape, `check out ${plan.artifact}`);
    }
  }
}

/**
 * Remove temp files a killed cairn left beside artifacts and pointers, or
 * inside tracked folders (their pids are gone), before looking at the workspace.
 */
function sweepWorkspaceTemps(repo: Repo, artifactPaths: string[]): void {
  const dirs = new Set<string>();
  for (const rel of artifactPaths) {
    const abs = path.join(repo.root, rel);
    dirs.add(path.dirname(abs));
    if (!fs.lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) continue;
    const visit = (dir: string): void => {
      dirs.add(dir);
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) visit(path.join(dir, d.name));
    };
    visit(abs);
  }
  for (const dir of dirs) sweepStaleTemps(dir);
}

function throwProblems(result: CheckoutResult, refused: string[], missing: string[], corrupt: CairnError[]): void {
  const data = { result, refused, missing };
  if (corrupt.length) {
    throw new IntegrityError(corrupt.map((e) => e.message).join('\n'), {
      hint: 'run cairn verify to list damaged objects, then cairn pull (or re-add the originals) to restore them',
      data: { ...data, corrupt: corrupt.map((e) => e.data) },
    });
  }
  if (refused.length) {
    throw new UnsafeError(`checkout would overwrite workspace content that is not in the cache:\n  ${refused.join('\n  ')}`, {
      hint: 'cairn add it first to keep it, or pass --force to discard it',
      data,
    });
  }
  if (missing.length) {
    throw new NotFoundError(`not in the cache, so not checked out:\n  ${missing.join('\n  ')}`, {
      hint: 'fetch the objects from a remote (cairn pull), or re-add the files on the machine that has them',
      data,
    });
  }
}
