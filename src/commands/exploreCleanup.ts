/**
 * `cairn explore cleanup [VERSION]`: remove exploration worktrees cairn made,
 * refusing while one holds changes.
 */
import path from 'node:path';
import { NotFoundError, UnsafeError } from '../errors.js';
import { statusLines } from '../git/git.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { status } from '../artifacts/status.js';
import { listWorktrees, worktreePrune, worktreeRemove } from '../git/worktrees.js';
import { readExplorations, writeExplorations } from '../worktrees/registry.js';

/**
 * Remove exploration worktrees cairn made (all, or the one for VERSION).
 * Refuses, naming them, while one holds changes (edited or new files,
 * artifacts modified), unless `force`.
 */
export async function exploreCleanup(repo: Repo, version?: string, options: { force?: boolean } = {}): Promise<{ removed: string[]; discarded: string[] }> {
  const all = readExplorations(repo);
  const chosen = version ? all.filter((e) => e.version === version) : all;
  if (version && chosen.length === 0) {
    throw new NotFoundError(`no exploration worktree for ${JSON.stringify(version)}`, { hint: 'cairn explore worktrees lists them' });
  }
  const live = new Set((await listWorktrees(repo.root)).map((w) => path.resolve(w.path)));
  const changed: string[] = [];
  for (const e of chosen) {
    if (!live.has(path.resolve(e.path))) continue;
    const porcelain = await statusLines(e.path);
    if (porcelain.length)
      changed.push(
        `${e.path}: ${porcelain
          .slice(0, 5)
          .map((l) => l.trim())
          .join('; ')}`,
      );
    const modified = (await status(await openRepo(e.path), { cwd: e.path })).filter((a) => a.state === 'modified');
    if (modified.length) changed.push(`${e.path}: artifacts modified: ${modified.map((a) => a.path).join(', ')}`);
  }
  if (changed.length && !options.force) {
    throw new UnsafeError(`exploration worktrees hold changes:\n  ${changed.join('\n  ')}`, {
      hint: 'copy out what you want to keep, then run cairn explore cleanup --force',
      data: { changed },
    });
  }
  const removed: string[] = [];
  for (const e of chosen) {
    if (live.has(path.resolve(e.path))) await worktreeRemove(repo.root, e.path);
    removed.push(e.path);
  }
  await worktreePrune(repo.root);
  writeExplorations(
    repo,
    all.filter((e) => !chosen.includes(e)),
  );
  return { removed, discarded: options.force ? changed : [] };
}
