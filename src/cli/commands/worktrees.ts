/**
 * worktree new | list | rm.
 */
import type { Command } from 'commander';
import { listExperimentWorktrees } from '../../commands/worktreeList.js';
import { newWorktree } from '../../commands/worktreeNew.js';
import { removeWorktree } from '../../commands/worktreeRemove.js';
import type { CliContext } from '../context.js';
import { plural, table } from '../output.js';

export function registerWorktreeCommands(program: Command, ctx: CliContext): void {
  const wt = program.command('worktree').description('experiment worktrees: ../exp-NAME on branch exp/NAME, sharing the cache');

  wt.command('new')
    .alias('add')
    .description('create ../exp-NAME on a new branch exp/NAME with every artifact checked out (writable) from the shared cache')
    .argument('<name>', 'experiment name (letters, digits, . _ -, one / at most)')
    .option('--from <rev>', 'start from this branch, tag or commit (default HEAD)')
    .option('--path <dir>', 'create it here instead of ../exp-NAME')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn worktree new cnn\n  $ cairn worktree new lr-sweep --from e0.2.0')
    .action(async (name: string, opts: { from?: string; path?: string; json?: boolean }) => {
      ctx.useJson(opts);
      const r = await newWorktree(await ctx.repo(), { name, from: opts.from, path: opts.path, progress: ctx.progress() });
      ctx.out.result(r, () => {
        ctx.out.line(`created ${r.path} on branch ${r.branch} (from ${r.from})`);
        ctx.out.line(
          `checked out ${plural(r.checkout.written.length, 'artifact file')}${r.fetched ? `, ${plural(r.fetched, 'object')} fetched from the remote` : ''}`,
        );
        ctx.out.line(`next: cd ${r.path}`);
      });
    });

  wt.command('list', { isDefault: true })
    .alias('ls')
    .description('every worktree with its branch, dirty state, last tag, unpushed objects and results state')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn worktree list --json')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const worktrees = await listExperimentWorktrees(await ctx.repo());
      ctx.out.result({ worktrees }, () => {
        ctx.out.line(
          table([
            ['PATH', 'BRANCH', 'KIND', 'DIRTY', 'LAST TAG', 'NOT PUSHED', 'RESULTS MERGED'],
            ...worktrees.map((w) => [
              w.path,
              w.branch ?? '(detached)',
              w.kind,
              w.dirty ? 'yes' : 'no',
              w.lastTag ?? '-',
              w.notPushed === null ? '-' : String(w.notPushed),
              w.kind === 'main' ? '-' : w.resultsMerged,
            ]),
          ]),
        );
      });
    });

  wt.command('rm')
    .alias('remove')
    .description('remove an experiment worktree; refuses, with every reason, while something would be lost')
    .argument('<name>')
    .option('-f, --force', 'remove anyway, discarding what the reasons name')
    .option('--delete-branch', 'also delete exp/NAME (only when a tag or another branch reaches its tip, unless --force)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn worktree rm cnn --delete-branch')
    .action(async (name: string, opts: { force?: boolean; deleteBranch?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      const r = await removeWorktree(await ctx.repo(), { name, force: opts.force, deleteBranch: opts.deleteBranch });
      ctx.out.result(r, () => {
        ctx.out.line(`removed ${r.path}${r.branchDeleted ? ` and branch ${r.branch}` : ''}`);
        for (const d of r.discarded) ctx.out.line(`  discarded: ${d}`);
      });
    });
}
