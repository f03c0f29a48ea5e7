/**
 * `cairn merge-driver`: what git runs for `*.cairn` files (see `cairn init`).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerMergeDriverCommand(program: Command, ctx: CliContext): void {
  program
    .command('merge-driver', { hidden: true })
    .description('git merge driver for .cairn pointers (registered by cairn init / hooks install): merges results databases, conflicts otherwise')
    .argument('<ancestor>', "git's %O")
    .argument('<ours>', "git's %A (the result is written here)")
    .argument('<theirs>', "git's %B")
    .argument('<path>', "git's %P")
    .action(async (ancestor: string, ours: string, theirs: string, where: string) => {
      const { runMergeDriver } = await import('../../commands/mergeDriver.js');
      const r = await runMergeDriver({ cwd: ctx.cwd(), ancestor, ours, theirs, path: where });
      ctx.out.note(`cairn: ${r.message}`);
      if (r.outcome === 'conflict') {
        ctx.out.note(`hint: resolve it: git checkout --ours ${where} (or --theirs), then cairn checkout and git add ${where}`);
        ctx.exitCode = 1;
      }
    });
}
