/**
 * gc, backup, hooks.
 */
import type { Command } from 'commander';
import { gc } from '../../commands/gc.js';
import { runHook } from '../../commands/hookRun.js';
import { installRepositoryHooks, uninstallRepositoryHooks } from '../../commands/setup.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../../errors.js';
import { formatBytes, formatDate, plural, shortHash, table } from '../output.js';
import { dropPins, listPins, type Pin } from '../../store/pins.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function describePin(pin: Pin): string {
  return `${shortHash(pin.hash)} (prior state of ${pin.target ?? 'a results file'}${pin.created ? `, ${formatDate(pin.created)}` : ''})`;
}

export function registerMaintenanceCommands(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description(
      'delete cache objects nothing references (worktrees, branches, tags, stash, pinned backups, other repositories sharing the cache; with --all-commits, any commit); dry run unless --yes',
    )
    .option('--dry-run', 'only report what would be deleted (the default)')
    .option('-y, --yes', 'delete for real')
    .option('--all-commits', 'also keep everything any commit or reflog entry references')
    .option('-f, --force', 'delete even when some referenced folder manifests are missing from the cache')
    .option('--forget-missing-repos', 'forget other repositories recorded as users of the cache that are gone, and delete what only they needed')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn gc            # what would go\n  $ cairn gc --yes      # delete it')
    .action(async (opts: { dryRun?: boolean; yes?: boolean; allCommits?: boolean; force?: boolean; forgetMissingRepos?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      if (opts.yes && opts.dryRun)
        throw new UsageError('--dry-run and --yes contradict each other', { hint: 'pass --yes to delete, or nothing (or --dry-run) to see what would go' });
      const repo = await ctx.repo();
      const r = await gc(repo, {
        yes: Boolean(opts.yes),
        allCommits: opts.allCommits,
        force: opts.force,
        forgetMissingRepos: opts.forgetMissingRepos,
        progress: ctx.progress(),
      });
      const { hashes: _hashes, ...unreferenced } = r.unreferenced;
      ctx.out.result({ ...r, unreferenced }, () => {
        const what = `${plural(r.unreferenced.count, 'unreferenced object')}, ${formatBytes(r.unreferenced.bytes)}`;
        ctx.out.line(r.dryRun ? `would delete ${what} (run with --yes to delete)` : `deleted ${what}`);
        ctx.out.line(
          `kept ${plural(r.kept, 'referenced object')}${r.staleTemps ? `; ${r.dryRun ? 'would remove' : 'removed'} ${plural(r.staleTemps, 'stale temp file')}` : ''}`,
        );
        for (const m of r.unknownManifests.slice(0, 10)) ctx.out.line(`  manifest not in cache: ${shortHash(m.hash)} (${m.where})`);
        if (r.repos.length > 1) ctx.out.line(`the cache is shared: kept what any of ${r.repos.length} repositories needs`);
        for (const gone of r.missingRepos) {
          const state =
            opts.forgetMissingRepos && !r.dryRun ? 'forgotten' : 'gc --yes refuses to delete while it is missing; --forget-missing-repos forgets it';
          ctx.out.line(`  missing repository: ${gone} (${state})`);
        }
        for (const pin of r.pinned) ctx.out.line(`  pinned backup ${describePin(pin)}`);
        if (r.pinned.length) ctx.out.line('  (cairn backup drop ID lets gc delete a backup)');
      });
    });

  const backup = program.command('backup').description('prior states of results files that merges kept, pinned in the cache until dropped');
  backup
    .command('list')
    .alias('ls')
    .description('list the pinned backups (gc keeps them)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn backup list')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const pins = listPins(repo.cache.dir);
      ctx.out.result({ backups: pins.map((p) => ({ id: shortHash(p.hash), path: repo.cache.objectPath(p.hash), ...p })) }, () => {
        if (!pins.length) return ctx.out.line('no pinned backups');
        ctx.out.line(
          table([
            ['id', 'size', 'made', 'strategy', 'prior state of'],
            ...pins.map((p) => [
              shortHash(p.hash),
              p.size === null ? '?' : formatBytes(p.size),
              p.created === null ? '?' : formatDate(p.created),
              p.strategy ?? '?',
              p.target ?? '?',
            ]),
          ]),
        );
      });
    });
  backup
    .command('drop')
    .description('unpin backups: the next gc --yes deletes them unless something else references them')
    .argument('<id...>', 'backup ids (at least 7 hex digits of the hash, as cairn backup list shows)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn backup drop 3a2f1b9c0d4e')
    .action(async (ids: string[], opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const dropped = dropPins(repo.cache.dir, ids);
      ctx.out.result({ dropped }, () => {
        for (const p of dropped) ctx.out.line(`dropped backup ${describePin(p)}; the next cairn gc --yes deletes it`);
      });
    });

  const hooks = program.command('hooks').description('install git hooks that keep artifacts in step with git');
  hooks
    .command('install')
    .description('install post-checkout, pre-push and pre-commit hooks (existing hooks are chained, not overwritten)')
    .addHelpText('after', '\nExamples:\n  $ cairn hooks install')
    .action(async () => {
      const r = await installRepositoryHooks(ctx.cwd());
      ctx.out.line(`installed ${r.installed.join(', ')} in ${r.dir}`);
      if (r.chained.length) ctx.out.line(`your existing ${r.chained.join(', ')} ${r.chained.length === 1 ? 'hook still runs' : 'hooks still run'} first`);
    });
  hooks
    .command('uninstall')
    .description("remove cairn's hooks and restore the hooks they chained")
    .addHelpText('after', '\nExamples:\n  $ cairn hooks uninstall')
    .action(async () => {
      const r = await uninstallRepositoryHooks(ctx.cwd());
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
