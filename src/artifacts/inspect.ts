/**
 * Inspecting one artifact: its recorded content (pointer, and manifest for a
 * directory) against the workspace and the cache.
 */
import type { Repo } from '../repo/repo.js';
import type { Cache } from '../store/cache.js';
import { hashBytes } from '../store/hash.js';
import { parseManifest, renderManifest, type ManifestEntry } from '../store/manifest.js';
import type { Pointer } from '../store/pointer.js';
import { artifactState, diffManifests, type ArtifactState, type ManifestDiff, type WorkspaceState } from './state.js';
import type { Artifact, DirObservation, FileObservation, WorkspaceObserver } from './workspace.js';

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
  /** The recorded files: one entry for a file artifact, the manifest for a directory (null if not cached). */
  recorded: ManifestEntry[] | null;
  observed: FileObservation | DirObservation;
}

/** Read a directory's manifest from the cache, or null when it is absent. */
export function readManifest(cache: Cache, pointer: Pointer): ManifestEntry[] | null {
  if (!cache.has(pointer.hash)) return null;
  return parseManifest(cache.readObject(pointer.hash).toString('utf8'), `${pointer.hash} (manifest of ${pointer.path})`);
}

function missingCount(cache: Cache, hashes: Iterable<string>): number {
  let missing = 0;
  for (const h of new Set(hashes)) if (!cache.has(h)) missing++;
  return missing;
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
    const missingObjects = missingCount(repo.cache, [pointer.hash]);
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
  const recorded = readManifest(repo.cache, pointer);
  const observed = await observer.observeDir(artifact.path);
  let workspace: WorkspaceState;
  let changes: ManifestDiff | undefined;
  let note: string | undefined;
  if (observed.kind === 'missing') workspace = 'missing';
  else if (observed.kind === 'other') {
    workspace = 'modified';
    note = `the workspace has ${observed.what} there`;
  } else {
    const same = observed.oddities.length === 0 && hashBytes(renderManifest(observed.entries)) === pointer.hash;
    workspace = same ? 'unchanged' : 'modified';
    if (!same && recorded) changes = diffManifests(recorded, observed.entries);
    if (observed.oddities.length) note = `not regular files: ${observed.oddities.slice(0, 5).join(', ')}`;
  }
  const missingObjects = recorded ? missingCount(repo.cache, recorded.map((e) => e.hash)) : 1;
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
