/**
 * explore: look at past experiments without disturbing the workspace.
 */
import type { Command } from 'commander';
import { exploreCheckout, exploreCleanup, exploreWorktrees } from '../../index.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

/** The `explore` command group; other explore subcommands register on it too. */
export function registerExploreCommands(program: Command, ctx: CliContext): Command {
  const explore = program.command('explore').description('explore past experiments: list, show, diff, get, lineage, disposable worktrees');

  explore
    .command('checkout')
    .description('open ../explore-VERSION, detached at the tag, with its artifacts (fetched from the remote if needed); again: says where it is')
    .argument('<version>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore checkout e0.3.0')
    .action(async (version: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const r = await exploreCheckout(await ctx.repo(), version, ctx.progress());
      ctx.out.result(r, () =>
        ctx.out.line(r.created ? `created ${r.path} at ${version} (${r.commit.slice(0, 12)})` : `${version} is already open at ${r.path}`),
      );
    });

  explore
    .command('worktrees')
    .description('the exploration worktrees cairn created')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const list = await exploreWorktrees(await ctx.repo());
      ctx.out.result({ worktrees: list }, () => {
        if (list.length === 0) return ctx.out.line('no exploration worktrees (cairn explore checkout VERSION)');
        ctx.out.line(table(list.map((e) => [e.version, e.path, e.present ? '' : '(missing)'])));
      });
    });

  explore
    .command('cleanup')
    .description('remove the exploration worktrees cairn created (all, or VERSION); never an exp-* or your own worktree')
    .argument('[version]')
    .option('--json', 'print the result as JSON')
    .action(async (version: string | undefined, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const r = await exploreCleanup(await ctx.repo(), version);
      ctx.out.result(r, () => ctx.out.line(r.removed.length ? `removed ${r.removed.join(', ')}` : 'nothing to clean up'));
    });
  return explore;
}
