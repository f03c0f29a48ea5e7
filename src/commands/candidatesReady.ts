/**
 * Before a model verb changes `models/candidates/`: the folder must be what
 * its pointer records (shared by modelAdd, modelPromote and modelPrune).
 */
import { NotFoundError, UnsafeError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { checkout } from '../artifacts/checkout.js';
import { status } from '../artifacts/status.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import { CANDIDATES_DIR } from '../models/models.js';

/**
 * Make sure the workspace candidates folder is what its pointer records
 * before changing it (a missing folder is checked out; local edits refuse).
 */
export async function candidatesReady(repo: Repo): Promise<void> {
  const [tracked] = (await loadArtifacts(repo)).filter((a) => a.path === CANDIDATES_DIR);
  if (!tracked) return;
  const [st] = await status(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  if (st!.state === 'missingWorkspace') await checkout(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  else if (st!.state === 'missingCache') {
    throw new NotFoundError(`${CANDIDATES_DIR} is not in the cache`, { hint: 'cairn pull first' });
  } else if (st!.state === 'modified') {
    throw new UnsafeError(`${CANDIDATES_DIR} has changes that are not recorded`, {
      hint: `cairn add ${CANDIDATES_DIR} to keep them, or cairn checkout --force ${CANDIDATES_DIR} to drop them`,
    });
  }
}
