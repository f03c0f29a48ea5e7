/**
 * What removing a worktree would lose: shared by `worktree list` and
 * `worktree rm`.
 */
import { CairnError } from '../errors.js';
import { statusLines } from '../git/git.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { status } from '../artifacts/status.js';
import { collectPointers, expandObjects, pointersInCommits } from '../artifacts/references.js';
import { openRemote } from '../remote/remote.js';
import type { WorktreeInfo } from '../git/worktrees.js';
import { plural } from '../display.js';

/**
 * What removing a worktree would lose. The remote is the one configured
 * where the command runs (`repo`): the worktree's branch may predate it.
 */
export async function inspectWorktree(
  repo: Repo,
  wt: WorktreeInfo,
  hasRemote: boolean,
): Promise<{ dirty: boolean; notPushed: number | null; problems: string[] }> {
  const problems: string[] = [];
  const porcelain = await statusLines(wt.path);
  if (porcelain.length)
    problems.push(
      `uncommitted changes:\n      ${porcelain
        .slice(0, 8)
        .map((l) => l.trim())
        .join('\n      ')}`,
    );
  let notPushed: number | null = null;
  try {
    const wtRepo = await openRepo(wt.path);
    const modified = (await status(wtRepo, { cwd: wt.path })).filter((a) => a.state === 'modified');
    if (modified.length) problems.push(`artifacts modified and not added: ${modified.map((a) => a.path).join(', ')}`);
    if (hasRemote) {
      // The worktree's files, and every commit of its history that no git remote has yet.
      const workspace = expandObjects(wtRepo.cache, await collectPointers(wtRepo, { workspace: true })).objects;
      const history = wt.head
        ? expandObjects(wtRepo.cache, await pointersInCommits(repo.root, [wt.head, '--not', '--remotes'])).objects
        : new Map<string, number>();
      const remote = await openRemote(repo);
      let missing: Set<string>;
      try {
        const objects = [...new Map([...history, ...workspace])].map(([hash, size]) => ({ hash, size }));
        const there = (await remote.inventory(objects)).present;
        missing = new Set(objects.filter((o) => !there.has(o.hash)).map((o) => o.hash));
      } finally {
        remote.close();
      }
      notPushed = missing.size;
      if (notPushed) {
        // A plain push covers the worktree's files; objects only older commits hold need --all-commits.
        const onlyInHistory = [...missing].some((h) => !workspace.has(h));
        problems.push(
          `${plural(notPushed, 'artifact object')} ${notPushed === 1 ? 'is' : 'are'} not on the remote (${onlyInHistory ? 'cairn push --all-commits' : 'cairn push'} in that worktree)`,
        );
      }
    }
  } catch (err) {
    if (!(err instanceof CairnError) || err.exitCode !== 3) throw err; // a worktree without cairn: git state only
  }
  return { dirty: problems.some((p) => p.startsWith('uncommitted') || p.startsWith('artifacts modified')), notPushed, problems };
}
