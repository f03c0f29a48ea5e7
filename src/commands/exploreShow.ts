/**
 * `cairn explore show VERSION`: one experiment and every artifact its commit
 * pins, with where their bytes are (cache, default remote). Reads only.
 */
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { expandObjects } from '../artifacts/references.js';
import { openRemote } from '../remote/remote.js';
import type { Experiment } from '../experiments/experiment.js';
import { findExperiment } from '../experiments/findExperiment.js';

/** One artifact a commit pins, as its pointer records it, with whether its bytes are in the cache and on the default remote. */
export interface ArtifactAt {
  path: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
  files?: number;
  /** Every object it needs is in the cache. */
  inCache: boolean;
  /** Every object it needs is on the default remote (null: no remote configured). */
  onRemote: boolean | null;
}

/** One experiment as {@link exploreShow} returns it: the tag's record and every artifact its commit pins. */
export interface ShownExperiment extends Experiment {
  artifacts: ArtifactAt[];
}

/** The artifacts a commit pins, with where their bytes are available. */
export async function artifactsAt(repo: Repo, commit: string): Promise<ArtifactAt[]> {
  const pointers = await pointersAt(repo.root, commit);
  const needs = pointers.map((p) => expandObjects(repo.cache, [{ pointer: p.pointer, where: p.pointerPath }]));
  let there: Set<string> | null = null;
  if (Object.keys(repo.config.remotes).length > 0 && pointers.length > 0) {
    const remote = await openRemote(repo);
    try {
      const all = new Map<string, number>();
      for (const n of needs) for (const [h, s] of n.objects) all.set(h, s);
      there = (await remote.inventory([...all].map(([hash, size]) => ({ hash, size })))).present;
    } finally {
      remote.close();
    }
  }
  return pointers.map((p, i) => {
    const objects = [...needs[i]!.objects.keys()];
    return {
      path: p.path,
      kind: p.pointer.kind,
      hash: p.pointer.hash,
      size: p.pointer.size,
      ...(p.pointer.kind === 'dir' ? { files: p.pointer.files } : {}),
      inCache: needs[i]!.unknownManifests.size === 0 && repo.cache.missing(objects).size === 0,
      onRemote: there ? objects.every((h) => there!.has(h)) : null,
    };
  });
}

/**
 * One experiment and every artifact its commit pins, with where their bytes
 * are available (this asks the default remote when one is configured).
 * Throws NotFoundError when no experiment tag has that name. Reads only.
 */
export async function exploreShow(repo: Repo, version: string): Promise<ShownExperiment> {
  return showExperiment(repo, await findExperiment(repo, version));
}

/** {@link exploreShow} of an experiment already found (a caller showing many lists the tags once). */
export async function showExperiment(repo: Repo, experiment: Experiment): Promise<ShownExperiment> {
  return { ...experiment, artifacts: await artifactsAt(repo, experiment.commit) };
}
