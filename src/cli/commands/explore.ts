/**
 * explore: look at past experiments without disturbing the workspace.
 */
import type { Command } from 'commander';
import { exploreCheckout, exploreCleanup, exploreGet, exploreWorktrees, lineage } from '../../index.js';
import type { CliContext } from '../context.js';
import { formatBytes, table } from '../output.js';

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
  explore
    .command('get')
    .description('write the bytes of PATH as of VERSION (artifact, file in a tracked folder, or git file) without touching HEAD, index or workspace')
    .argument('<version>')
    .argument('<path>', 'path from the repository root')
    .option('-o, --out <file>', "where to write ('-' for stdout; default: the file name here)")
    .option('-f, --force', 'overwrite an existing output file')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore get e0.3.0 models/production/model.bin -o model-e0.3.0.bin\n  $ cairn explore get e0.3.0 train.py -o - | head')
    .action(async (version: string, file: string, opts: { out?: string; force?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      const r = await exploreGet(await ctx.repo(), { cwd: ctx.cwd(), version, path: file, out: opts.out, force: opts.force });
      if (r.out !== '-') ctx.out.result(r, () => ctx.out.line(`wrote ${r.out} (${formatBytes(r.size)}, ${r.path} at ${version}, from ${r.source})`));
    });

  explore
    .command('lineage')
    .description('the experiments (tags) whose commit holds this content, newest first')
    .argument('<path-or-hash>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore lineage data/train.parquet')
    .action(async (target: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const r = await lineage(await ctx.repo(), { cwd: ctx.cwd(), target });
      ctx.out.result(r, () => {
        if (r.experiments.length === 0) return ctx.out.line(`no experiment holds ${r.hash}`);
        ctx.out.line(table(r.experiments.map((e) => [e.tag, e.date.slice(0, 19), e.commit.slice(0, 12), e.paths.join(', ')])));
      });
    });
  return explore;
}
