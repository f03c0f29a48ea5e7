/**
 * What a recorded artifact looks like against the workspace and the cache:
 * one small tagged union, used by status, checkout and verify alike. Pure.
 */
import { compareUtf8, type ManifestEntry } from '../store/manifest.js';

export type WorkspaceState = 'unchanged' | 'modified' | 'missing';

/** The state of one artifact, most urgent first. */
export type ArtifactState = 'unchanged' | 'modified' | 'missingWorkspace' | 'missingCache';

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Combine the workspace comparison and the count of objects missing from the cache. */
export function artifactState(workspace: WorkspaceState, missingObjects: number): ArtifactState {
  if (workspace === 'missing') return missingObjects > 0 ? 'missingCache' : 'missingWorkspace';
  if (workspace === 'modified') return 'modified';
  return missingObjects > 0 ? 'missingCache' : 'unchanged';
}

/** Files added, removed and changed (content or executable bit) between two manifests. */
export function diffManifests(recorded: ManifestEntry[], actual: ManifestEntry[]): ManifestDiff {
  const before = new Map(recorded.map((e) => [e.path, e]));
  const after = new Map(actual.map((e) => [e.path, e]));
  const diff: ManifestDiff = { added: [], removed: [], changed: [] };
  for (const [p, e] of after) {
    const old = before.get(p);
    if (!old) diff.added.push(p);
    else if (old.hash !== e.hash || old.mode !== e.mode) diff.changed.push(p);
  }
  for (const p of before.keys()) if (!after.has(p)) diff.removed.push(p);
  for (const list of [diff.added, diff.removed, diff.changed]) list.sort(compareUtf8);
  return diff;
}
