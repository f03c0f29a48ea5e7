/**
 * `cairn explore diff VERSION` with one version: "is my current run better
 * than that experiment?" The workspace side is what `cairn tag` would record
 * now (a dry run: the next version's best results row, the pointers in the
 * work tree), compared with the experiment as `explore diff` compares two.
 * Combines explore, experiments and artifacts: a command.
 */
import { CairnError } from '../errors.js';
import { diffStat } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import { tagExperiment } from '../experiments/tag.js';
import { diffExperiments, findExperiment, type ExperimentDiff } from '../explore/history.js';

/** An {@link ExperimentDiff} whose `to` side is the workspace, with notes on where its numbers came from. */
export interface WorkspaceDiff extends ExperimentDiff {
  notes: string[];
}

/** Compare experiment (or revision) `version` with the workspace. Reads only. */
export async function compareWithWorkspace(repo: Repo, options: { cwd: string; version: string }): Promise<WorkspaceDiff> {
  const from = await findExperiment(repo, options.version);
  const notes: string[] = [];
  let would;
  try {
    would = await tagExperiment(repo, { cwd: options.cwd, dryRun: true, allowDirty: true });
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    // No results for the next version yet (or none at all): compare what there is, and say why the metrics are empty.
    notes.push(`no metrics for the workspace: ${err.message.split('\n')[0]}`);
    would = await tagExperiment(repo, { cwd: options.cwd, dryRun: true, allowDirty: true, db: false });
  }
  if (would.results) notes.push(`workspace metrics: the best row of ${would.tag} in ${would.results.location}, as cairn tag would record it`);
  const head = would.commit;
  const to = { ...from, tag: `workspace (${would.tag} if tagged now)`, commit: head, metrics: would.metrics, params: would.params, subject: '' };
  const [before, now] = [await pointersAt(repo.root, from.commit), await loadArtifacts(repo, [], () => {})];
  const stat = await diffStat(repo.root, from.commit);
  const diff = diffExperiments(
    from,
    to,
    before.map((p) => ({ path: p.path, hash: p.pointer.hash })),
    now.map((a) => ({ path: a.path, hash: a.pointer.hash })),
    stat,
  );
  return { ...diff, notes };
}
