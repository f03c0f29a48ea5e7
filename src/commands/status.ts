/**
 * `cairn status`, and `status --remote`: each artifact against the
 * workspace and the cache (src/artifacts/status.ts), plus, with a remote,
 * how many of its objects the remote lacks.
 */
import type { Repo } from '../repo/repo.js';
import type { Pointer } from '../store/pointer.js';
import type { ArtifactStatus } from '../artifacts/inspect.js';
import { expandObjects } from '../artifacts/references.js';
import { status as workspaceStatus, type StatusOptions as WorkspaceStatusOptions } from '../artifacts/status.js';

export { invalidPointersFailure } from '../artifacts/status.js';

/** Options of {@link status}: which artifacts (paths relative to `cwd`), and whether to compare against a remote. */
export interface StatusOptions extends WorkspaceStatusOptions {
  /** Also count objects not on this remote (true: the default remote). */
  remote?: string | boolean;
}

/** An artifact's status as {@link status} returns it, with the count of objects not yet pushed when a remote was asked for. */
export interface ArtifactStatusWithRemote extends ArtifactStatus {
  /** Objects of this artifact that the remote lacks (with --remote). */
  notPushed?: number;
}

/** The state of every selected artifact, in path order; with `remote`, what each has not pushed. */
export async function status(repo: Repo, options: StatusOptions): Promise<ArtifactStatusWithRemote[]> {
  const out: ArtifactStatusWithRemote[] = await workspaceStatus(repo, options);
  if (!options.remote || out.length === 0) return out;
  // Loaded only here: a plain status does not pay for the remote code.
  const { openRemote } = await import('../remote/remote.js');
  const remote = await openRemote(repo, typeof options.remote === 'string' ? options.remote : undefined);
  try {
    const perArtifact = out.map((a) => expandObjects(repo.cache, [{ pointer: pointerOf(a), where: a.pointer }]).objects);
    const all = new Map<string, number>();
    for (const objects of perArtifact) for (const [h, size] of objects) all.set(h, size);
    const { present } = await remote.inventory([...all].map(([hash, size]) => ({ hash, size })));
    perArtifact.forEach((objects, i) => {
      out[i]!.notPushed = [...objects.keys()].filter((h) => !present.has(h)).length;
    });
  } finally {
    remote.close();
  }
  return out;
}

/** The pointer a status was taken of. */
function pointerOf(a: ArtifactStatus): Pointer {
  return a.kind === 'file'
    ? { cairn: 1, kind: 'file', path: a.path, hash: a.hash, size: a.size }
    : { cairn: 1, kind: 'dir', path: a.path, hash: a.hash, files: a.files ?? 0, size: a.size };
}
