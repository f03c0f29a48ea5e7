/**
 * The experiment a command's VERSION argument names (`explore show`, `explore
 * diff`): a tag, else any git revision.
 */
import { NotFoundError } from '../errors.js';
import { commitSummary, resolveCommit } from '../git/git.js';
import type { Repo } from '../repo/repo.js';
import { listExperiments } from './list.js';
import type { Experiment } from './experiment.js';

/**
 * The experiment `version` names: an experiment tag, else any git revision
 * (HEAD, a branch, a commit). A revision that an experiment tag points at is
 * that experiment; any other is shown with its commit and no metrics (the tag
 * message is what carries them). NotFoundError when it is neither.
 */
export async function findExperiment(repo: Repo, version: string): Promise<Experiment> {
  const experiments = await listExperiments(repo.root);
  const found = experiments.find((e) => e.tag === version);
  if (found) return found;
  const commit = /^-/.test(version) ? null : await resolveCommit(repo.root, version);
  if (!commit) {
    throw new NotFoundError(`unknown version ${JSON.stringify(version)}: neither an experiment tag nor a git revision`, {
      hint: 'cairn tags lists the experiments; any git revision works too (HEAD, a branch, a commit)',
      data: { version },
    });
  }
  const tagged = experiments.filter((e) => e.commit === commit).pop();
  if (tagged) return tagged;
  const { date, subject } = await commitSummary(repo.root, commit);
  return { tag: version, kind: 'semver', commit, annotated: false, date, subject, metrics: {}, params: {} };
}
