/**
 * Inspecting one artifact: its recorded content (pointer, and manifest for a
 * directory) against the workspace and the cache.
 */
import type { Repo } from '../repo/repo.js';
import type { Cache } from '../store/cache.js';
import { parseManifest, type ManifestEntry } from '../store/manifest.js';
import type { Pointer } from '../store/pointer.js';
import { artifactState, diffManifests, type ArtifactState, type ManifestDiff, type WorkspaceState } from './state.js';
import type { Artifact, DirObservation, FileObservation, WorkspaceObserver } from './workspace.js';

/**
 * One artifact's recorded content (from its pointer) compared with the
 * workspace and the cache; `state` sums it up for status, checkout and verify.
 */
export interface ArtifactStatus {
  path: string;
  pointer: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
  files?: number;
  state: ArtifactState;
  workspace: WorkspaceState;
  /** Objects this artifact needs that the cache lacks. */
  missingObjects: number;
  /** For a modified directory whose manifest is cached: what changed. */
  changes?: ManifestDiff;
  /** Why the workspace does not match, when it is not a content change. */
  note?: string;
}

/** Everything learned while inspecting, kept for checkout. */
export interface Inspection {
  status: ArtifactStatus;
  /**
   * The recorded files: one entry for a file artifact, the manifest for a
   * directory (null when it is not cached, or was not needed because the
   * artifact is unchanged and known to be complete in the cache).
   */
  recorded: ManifestEntry[] | null;
  observed: FileObservation | DirObservation;
}

/** Read a directory's manifest from the cache, or null when it is absent. */
export function readManifest(cache: Cache, pointer: Pointer): ManifestEntry[] | null {
  if (!cache.has(pointer.hash)) return null;
  return parseManifest(cache.readObject(pointer.hash).toString('utf8'), `${pointer.hash} (manifest of ${pointer.path})`);
}

/**
 * Whether the workspace matches an artifact's pointer, and nothing else: the
 * same answer as {@link inspectArtifact}'s `workspace`, without reading the
 * cache. A directory's quick observation vouches for its manifest hash.
 */
export async function workspaceState(observer: WorkspaceObserver, artifact: Artifact): Promise<WorkspaceState> {
  const { pointer } = artifact;
  if (pointer.kind === 'file') {
    const observed = await observer.observeFile(artifact.path);
    return observed.kind === 'missing' ? 'missing' : observed.kind === 'file' && observed.hash === pointer.hash ? 'unchanged' : 'modified';
  }
  const observed = await observer.observeDir(artifact.path);
  if (observed.kind === 'missing') return 'missing';
  if (observed.kind === 'other') return 'modified';
  return observed.oddities.length === 0 && observed.manifestHash === pointer.hash ? 'unchanged' : 'modified';
}

export async function inspectArtifact(repo: Repo, observer: WorkspaceObserver, artifact: Artifact): Promise<Inspection> {
  const { pointer } = artifact;
  const base = {
    path: artifact.path,
    pointer: artifact.pointerPath,
    kind: pointer.kind,
    hash: pointer.hash,
    size: pointer.size,
    ...(pointer.kind === 'dir' ? { files: pointer.files } : {}),
  };
  if (pointer.kind === 'file') {
    const observed = await observer.observeFile(artifact.path);
    const workspace: WorkspaceState =
      observed.kind === 'missing' ? 'missing' : observed.kind === 'file' && observed.hash === pointer.hash ? 'unchanged' : 'modified';
    const missingObjects = repo.cache.has(pointer.hash) ? 0 : 1;
    return {
      status: {
        ...base,
        state: artifactState(workspace, missingObjects),
        workspace,
        missingObjects,
        ...(observed.kind === 'other' ? { note: `the workspace has ${observed.what} there` } : {}),
      },
      recorded: [{ path: pointer.path, hash: pointer.hash, size: pointer.size, mode: 0o644 }],
      observed,
    };
  }
  // Read the generation before looking at the cache: facts learned now are valid for it.
  const generation = repo.cache.generation();
  let observed = await observer.observeDir(artifact.path);
  if (observed.kind === 'dir' && observed.manifestHash !== pointer.hash && observed.entries === null) {
    observed = await observer.observeDir(artifact.path, { full: true });
  }
  let workspace: WorkspaceState;
  let note: string | undefined;
  if (observed.kind === 'missing') workspace = 'missing';
  else if (observed.kind === 'other') {
    workspace = 'modified';
    note = `the workspace has ${observed.what} there`;
  } else {
    workspace = observed.oddities.length === 0 && observed.manifestHash === pointer.hash ? 'unchanged' : 'modified';
    if (observed.oddities.length) note = `not regular files: ${observed.oddities.slice(0, 5).join(', ')}`;
  }
  const complete = observer.statCache.isComplete(pointer.hash, generation);
  const recorded = complete && workspace === 'unchanged' ? null : readManifest(repo.cache, pointer);
  let missingObjects = 0;
  if (!complete) {
    missingObjects = recorded ? repo.cache.missing(recorded.map((e) => e.hash)).size : 1;
    if (missingObjects === 0) observer.statCache.markComplete(pointer.hash, generation);
  }
  const changes = workspace === 'modified' && recorded && observed.kind === 'dir' && observed.entries ? diffManifests(recorded, observed.entries) : undefined;
  return {
    status: {
      ...base,
      state: artifactState(workspace, missingObjects),
      workspace,
      missingObjects,
      ...(changes ? { changes } : {}),
      ...(note ? { note } : {}),
    },
    recorded,
    observed,
  };
}
