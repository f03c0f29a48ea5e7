/**
 * gc, hooks.
 */
import type { Command } from 'commander';
import { gc } from '../../gc/gc.js';
import { installHooks, runHook, uninstallHooks } from '../../hooks/hooks.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../../errors.js';
import { formatBytes } from '../output.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerMaintenanceCommands(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description('delete cache objects no worktree, branch, tag (or, with --all-commits, commit) references; dry run unless --yes')
    .option('--dry-run', 'only report what would be deleted (the default)')
    .option('-y, --yes', 'delete for real')
    .option('--all-commits', 'also keep everything any commit or reflog entry references')
    .option('-f, --force', 'delete even when some referenced folder manifests are missing from the cache')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn gc            # what would go\n  $ cairn gc --yes      # delete it')
    .action(async (opts: { dryRun?: boolean; yes?: boolean; allCommits?: boolean; force?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      if (opts.yes && opts.dryRun) throw new UsageError('--dry-run and --yes contradict each other', { hint: 'pass --yes to delete, or nothing (or --dry-run) to see what would go' });
      const repo = await ctx.repo();
      const r = await gc(repo, { yes: Boolean(opts.yes), allCommits: opts.allCommits, force: opts.force, progress: ctx.progress() });
      const { hashes: _hashes, ...unreferenced } = r.unreferenced;
      ctx.out.result({ ...r, unreferenced }, () => {
        const what = `${r.unreferenced.count} unreferenced object(s), ${formatBytes(r.unreferenced.bytes)}`;
        ctx.out.line(r.dryRun ? `would delete ${what} (run with --yes to delete)` : `deleted ${what}`);
        ctx.out.line(`kept ${r.kept} referenced object(s)${r.staleTemps ? `; ${r.dryRun ? 'would remove' : 'removed'} ${r.staleTemps} stale temp file(s)` : ''}`);
        for (const m of r.unknownManifests.slice(0, 10)) ctx.out.line(`  manifest not in cache: ${m.hash} (${m.where})`);
      });
    });

  const hooks = program.command('hooks').description('install git hooks that keep artifacts in step with git');
  hooks
    .command('install')
    .description('install post-checkout, pre-push and pre-commit hooks (existing hooks are chained, not overwritten)')
    .addHelpText('after', '\nExamples:\n  $ cairn hooks install')
    .action(async () => {
      const r = await installHooks(ctx.cwd());
      ctx.out.line(`installed ${r.installed.join(', ')} in ${r.dir}`);
      if (r.chained.length) ctx.out.line(`your existing ${r.chained.join(', ')} hook(s) still run first`);
    });
  hooks
    .command('uninstall')
    .description("remove cairn's hooks and restore the hooks they chained")
    .addHelpText('after', '\nExamples:\n  $ cairn hooks uninstall')
    .action(async () => {
      const r = await uninstallHooks(ctx.cwd());
      ctx.out.line(r.removed.length ? `removed ${r.removed.join(', ')}` : 'no cairn hooks installed');
      if (r.chained.length) ctx.out.line(`restored ${r.chained.join(', ')}`);
      if (r.kept.length) ctx.out.line(`left ${r.kept.join(', ')} in place: not exactly the hook cairn installs (your own, or edited)`);
    });
  hooks
    .command('run', { hidden: true })
    .description('what the installed hook scripts call')
    .argument('<name>')
    .argument('[args...]')
    .action(async (name: string, args: string[]) => {
      const stdin = name === 'pre-push' ? await readStdin() : '';
      const r = await runHook(ctx.cwd(), name, args, stdin);
      for (const m of r.messages) ctx.out.note(m);
      ctx.exitCode = r.exitCode;
    });
}
