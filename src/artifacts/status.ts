/**
 * `cairn status`: each artifact against the workspace and the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRelative, type Repo } from '../repo/repo.js';
import { loadStatCacheModule } from '../store/statCache.js';
import type { Progress } from '../progress.js';
import { inspectArtifact, workspaceState, type ArtifactStatus } from './inspect.js';
import { loadArtifacts, WorkspaceObserver, type InvalidPointer } from './workspace.js';
import { IntegrityError, UnsafeError, type CairnError } from '../errors.js';
import { plural } from '../display.js';

/** Options of {@link status}: which artifacts (paths relative to `cwd`). */
export interface StatusOptions {
  cwd: string;
  /** Artifacts to report (all when empty). */
  paths?: string[];
  progress?: Progress;
  /**
   * Report an invalid pointer here and go on with the others (without it,
   * the first invalid pointer throws).
   */
  onInvalidPointer?: (invalid: InvalidPointer, error: CairnError) => void;
}

/** The state of every selected artifact, in path order. */
export async function status(repo: Repo, options: StatusOptions): Promise<ArtifactStatus[]> {
  const selectors = (options.paths ?? []).map((p) => repoRelative(repo, options.cwd, p));
  const listing = loadArtifacts(repo, selectors, options.onInvalidPointer);
  // While git lists the pointers (another process): load the stat cache's
  // native module, which the observer needs next (~10% of a status of 10,000 files).
  try {
    if (fs.existsSync(path.join(repo.stateDir, 'state.db'))) loadStatCacheModule();
  } catch {
    /* opening the stat cache below reports it, once the listing has settled */
  }
  const artifacts = await listing;
  // Nothing tracked: no stat cache to open (a plain git repo stays untouched).
  if (artifacts.length === 0) return [];
  const observer = new WorkspaceObserver(repo, options.progress);
  const out: ArtifactStatus[] = [];
  try {
    for (const artifact of artifacts) out.push((await inspectArtifact(repo, observer, artifact)).status);
  } finally {
    observer.close();
  }
  return out;
}

/**
 * The artifacts whose workspace content differs from their pointer (what
 * status reports as `workspace: modified`; a missing one is not modified), in
 * path order. Cheaper than {@link status}: it only observes the workspace
 * (stat-cache fast paths included) and never looks at the cache.
 */
export async function modifiedArtifacts(repo: Repo, progress?: Progress): Promise<string[]> {
  const artifacts = await loadArtifacts(repo, []);
  if (artifacts.length === 0) return [];
  const observer = new WorkspaceObserver(repo, progress);
  const out: string[] = [];
  try {
    for (const artifact of artifacts) if ((await workspaceState(observer, artifact)) === 'modified') out.push(artifact.path);
  } finally {
    observer.close();
  }
  return out;
}

/**
 * The error that ends a status which met invalid pointers: the pointer's own
 * error when there is one, else one naming them all, with the exit code of
 * the gravest (an unsafe path, 7, before a malformed pointer, 8).
 */
export function invalidPointersFailure(found: { invalid: InvalidPointer; error: CairnError }[]): CairnError {
  if (found.length === 1) return found[0]!.error;
  const Failure = found.some((f) => f.error instanceof UnsafeError) ? UnsafeError : IntegrityError;
  return new Failure(`${plural(found.length, 'invalid pointer file')}: ${found.map((f) => f.invalid.pointer).join(', ')}`, {
    hint: 'restore them from git (git checkout -- <pointer>), or cairn untrack the artifact',
    data: { invalidPointers: found.map((f) => f.invalid) },
  });
}
