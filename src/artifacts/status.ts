/**
 * `cairn status`: each artifact against the workspace and the cache.
 */
import { repoRelative, type Repo } from '../repo/repo.js';
import type { Progress } from '../progress.js';
import { inspectArtifact, type ArtifactStatus } from './inspect.js';
import { loadArtifacts, WorkspaceObserver } from './workspace.js';

export interface StatusOptions {
  cwd: string;
  /** Artifacts to report (all when empty). */
  paths?: string[];
  progress?: Progress;
}

/** The state of every selected artifact, in path order. */
export async function status(repo: Repo, options: StatusOptions): Promise<ArtifactStatus[]> {
  const selectors = (options.paths ?? []).map((p) => repoRelative(repo, options.cwd, p));
  const artifacts = await loadArtifacts(repo, selectors);
  const observer = new WorkspaceObserver(repo, options.progress);
  try {
    const out: ArtifactStatus[] = [];
    for (const artifact of artifacts) out.push((await inspectArtifact(repo, observer, artifact)).status);
    return out;
  } finally {
    observer.close();
  }
}
