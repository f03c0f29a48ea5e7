/**
 * `cairn explore diff V1 V2`: what changed between two experiments (the
 * one-version form, against the workspace, is compareWorkspace.ts). Reads only.
 */
import { diffStat } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { diffExperiments, type ExperimentDiff } from '../experiments/diff.js';
import { findExperiment } from '../experiments/findExperiment.js';
import type { Experiment } from '../experiments/experiment.js';

/**
 * What changed between experiments `v1` and `v2` (see {@link diffExperiments}),
 * read from their tags and commits. Throws NotFoundError when either is not an
 * experiment tag. Reads only.
 */
export async function exploreDiff(repo: Repo, v1: string, v2: string): Promise<ExperimentDiff> {
  return diffFound(repo, await findExperiment(repo, v1), await findExperiment(repo, v2));
}

/** {@link exploreDiff} of two experiments already found (a caller comparing many lists the tags once). */
export async function diffFound(repo: Repo, a: Experiment, b: Experiment): Promise<ExperimentDiff> {
  const [pa, pb] = [await pointersAt(repo.root, a.commit), await pointersAt(repo.root, b.commit)];
  const stat = await diffStat(repo.root, a.commit, b.commit);
  return diffExperiments(
    a,
    b,
    pa.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    pb.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    stat,
  );
}
