/**
 * explore: look at past experiments without disturbing the workspace.
 */
import type { Command } from 'commander';
import type { TagValue, TagValues } from '../../experiments/message.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDate, shortHash, table } from '../output.js';

// Each subcommand loads only its own part of the library when it runs, as
// main.ts loads only the group of the command given: `explore get` does not
// pay for the worktree code, nor `explore list` for lineage.
const getter = () => import('../../commands/exploreGet.js');

const show = (v: TagValue | null): string => (v === null ? '-' : String(v));
const values = (v: TagValues): string =>
  Object.entries(v)
    .map(([k, x]) => `${k}=${x}`)
    .join(' ');

/** --limit: a whole number of at least 1 (anything else is a usage error, not an empty list). */
function parseLimit(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw Object.assign(new Error('give a whole number of at least 1'), { code: 'commander.invalidArgument' });
  }
  return n;
}

/** The `explore` command group. */
export function registerExploreCommands(program: Command, ctx: CliContext): Command {
  const explore = program.command('explore').description('explore past experiments: list, show, diff, get, lineage, disposable worktrees');

  explore
    .command('list', { isDefault: true })
    .alias('ls')
    .description('experiments from their tags, joined with their results rows when a database is given (or recorded in Cairn-Results)')
    .option('--db <file>', 'results database to join')
    .option('--table <name>', 'table in it (default: the one each tag records, else results.table, else the one with rows of the version)')
    .option('--sort <metric>', 'best first by this metric')
    .option('--minimize', 'with --sort: lower is better')
    .option('--limit <n>', 'the newest N, as git log -n (with --sort: the best N)', parseLimit)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore list --sort f1 --limit 5\n  $ cairn explore list --db results/experiments.db --json')
    .action(async (opts: { db?: string; table?: string; sort?: string; minimize?: boolean; limit?: number; json?: boolean }) => {
      ctx.useJson(opts);
      const { json: _json, ...rest } = opts;
      const listing = await (await import('../../commands/exploreList.js')).exploreList(await ctx.repo(), { cwd: ctx.cwd(), ...rest });
      for (const note of listing.notes) ctx.out.note(`note: ${note}`);
      const list = listing.experiments;
      ctx.out.result(listing, () => {
        if (list.length === 0) return ctx.out.line('no experiments yet (cairn tag)');
        // Each line is one row as it was logged: the best results row, else the row the tag recorded.
        const shown = list.map((e) => e.resultsRows?.best ?? { run: e.run, metrics: e.metrics, params: e.params });
        ctx.out.line(
          table([
            ['VERSION', 'DATE', 'COMMIT', 'RUN', 'METRICS', 'ROWS', 'SUBJECT'],
            ...list.map((e, i) => [
              e.tag,
              formatDate(e.date),
              shortHash(e.commit),
              shown[i]!.run ?? '-',
              values(shown[i]!.metrics),
              e.resultsRows ? String(e.resultsRows.rows) : '-',
              e.subject,
            ]),
          ]),
        );
        const byLocation = new Map<string, string[]>();
        for (const e of list) if (e.resultsRows) byLocation.set(e.resultsRows.results, [...(byLocation.get(e.resultsRows.results) ?? []), e.tag]);
        if (byLocation.size) ctx.out.line(`results: ${[...byLocation].map(([where, tags]) => `${where} for ${tags.join(', ')}`).join('; ')}`);
      });
    });

  explore
    .command('show')
    .description('one experiment (or any git revision): tag, commit, metrics, params, and every artifact with hash, size and where it is available')
    .argument('<version>', 'an experiment tag or any git revision (HEAD, a branch, a commit)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore show e0.3.0')
    .action(async (version: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const e = await (await import('../../commands/exploreShow.js')).exploreShow(await ctx.repo(), version);
      const { shellQuote } = await import('../../child.js');
      ctx.out.result(e, () => {
        ctx.out.line(`${e.tag}  ${e.commit}  ${formatDate(e.date)}`);
        ctx.out.line(`  ${e.subject}`);
        if (e.run) ctx.out.line(`  run:     ${e.run}`);
        ctx.out.line(`  metrics: ${values(e.metrics) || '-'}`);
        ctx.out.line(`  params:  ${values(e.params) || '-'}`);
        if (e.data) ctx.out.line(`  data:    ${e.data}`);
        if (e.results) ctx.out.line(`  results: ${e.results}`);
        if (e.command) {
          ctx.out.line(`  command: ${shellQuote(e.command)}${e.workdir && e.workdir !== '.' ? ` (in ${e.workdir})` : ''}`);
        }
        if (e.duration !== undefined)
          ctx.out.line(
            `  ran:     ${e.duration.toFixed(1)} s${e.exit !== undefined ? `, exit ${e.exit}` : ''}${e.dirty !== undefined ? `, tree ${e.dirty ? 'dirty (uncommitted changes)' : 'clean'}` : ''}`,
          );
        ctx.out.line('  artifacts:');
        ctx.out.line(
          table(
            e.artifacts.map((a) => [
              a.path,
              shortHash(a.hash),
              formatBytes(a.size),
              a.inCache ? 'cached' : 'not cached',
              a.onRemote === null ? '' : a.onRemote ? 'on remote' : 'not on remote',
            ]),
            '    ',
          ) || '    (none)',
        );
      });
    });

  explore
    .command('diff')
    .description(
      'what changed between two experiments (or any revisions; one alone: it against the workspace): metrics (absolute and %), params, artifacts, code (--stat)',
    )
    .argument('<v1>', 'an experiment tag or any git revision')
    .argument('[v2]', 'the same; without it, the workspace: what cairn tag would record now')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ cairn explore diff e0.2.0 e0.3.0\n  $ cairn explore diff e0.3.0            # is my current run better than e0.3.0?\n  $ cairn explore diff HEAD~3 main',
    )
    .action(async (v1: string, v2: string | undefined, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const d =
        v2 === undefined
          ? await (await import('../../commands/compareWorkspace.js')).compareWithWorkspace(repo, { cwd: ctx.cwd(), version: v1 })
          : { ...(await (await import('../../commands/exploreDiff.js')).exploreDiff(repo, v1, v2)), notes: [] as string[] };
      ctx.out.result(d, () => {
        ctx.out.line(`${d.from.tag} -> ${d.to.tag}`);
        for (const note of d.notes) ctx.out.line(`  (${note})`);
        ctx.out.line('metrics:');
        for (const m of d.metrics) {
          const rel = m.relative === 'n/a' ? 'n/a' : `${m.relative >= 0 ? '+' : ''}${(m.relative * 100).toFixed(1)}%`;
          const abs = m.delta === null ? '' : `${m.delta >= 0 ? '+' : ''}${Number(m.delta.toPrecision(4))}`;
          ctx.out.line(`  ${m.name}: ${show(m.old)} -> ${show(m.new)}${abs ? `  (${abs}, ${rel})` : ''}`);
        }
        if (d.params.length) {
          ctx.out.line('params:');
          for (const p of d.params) ctx.out.line(`  ${p.name}: ${show(p.old)} -> ${show(p.new)}`);
        }
        const a = d.artifacts;
        if (a.added.length + a.removed.length + a.changed.length) {
          ctx.out.line('artifacts:');
          for (const x of a.added) ctx.out.line(`  added:   ${x.path}`);
          for (const x of a.removed) ctx.out.line(`  removed: ${x.path}`);
          for (const x of a.changed) ctx.out.line(`  changed: ${x.path}  (${shortHash(x.old)} -> ${shortHash(x.new)})`);
        }
        ctx.out.line('code:');
        ctx.out.line(
          d.codeStat
            ? d.codeStat
                .split('\n')
                .map((l) => `  ${l}`)
                .join('\n')
            : '  (no changes)',
        );
      });
    });

  explore
    .command('checkout')
    .description('open ../explore-VERSION, detached at the tag, with its artifacts (fetched from the remote if needed); again: says where it is')
    .argument('<version>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore checkout e0.3.0')
    .action(async (version: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const r = await (await import('../../commands/exploreCheckout.js')).exploreCheckout(await ctx.repo(), version, ctx.progress());
      ctx.out.result(r, () => ctx.out.line(r.created ? `created ${r.path} at ${version} (${shortHash(r.commit)})` : `${version} is already open at ${r.path}`));
    });

  explore
    .command('worktrees')
    .description('the exploration worktrees cairn created')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore worktrees')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const list = await (await import('../../commands/exploreWorktrees.js')).exploreWorktrees(await ctx.repo());
      ctx.out.result({ worktrees: list }, () => {
        if (list.length === 0) return ctx.out.line('no exploration worktrees (cairn explore checkout VERSION)');
        ctx.out.line(table(list.map((e) => [e.version, e.path, e.present ? '' : '(missing)'])));
      });
    });

  explore
    .command('cleanup')
    .description('remove the exploration worktrees cairn created (all, or VERSION); never an exp-* or your own worktree; refuses while they hold changes')
    .argument('[version]')
    .option('-f, --force', 'remove them even when they hold changes')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn explore cleanup e0.1.0\n  $ cairn explore cleanup          # all of them')
    .action(async (version: string | undefined, opts: { json?: boolean; force?: boolean }) => {
      ctx.useJson(opts);
      const r = await (await import('../../commands/exploreCleanup.js')).exploreCleanup(await ctx.repo(), version, { force: opts.force });
      ctx.out.result(r, () => {
        ctx.out.line(r.removed.length ? `removed ${r.removed.join(', ')}` : 'nothing to clean up');
        for (const d of r.discarded) ctx.out.line(`  discarded: ${d}`);
      });
    });
  explore
    .command('get')
    .description('write the bytes of PATH as of VERSION (artifact, file in a tracked folder, or git file) without touching HEAD, index or workspace')
    .argument('<version>')
    .argument('<path>', 'path from the repository root')
    .option('-o, --out <file>', "where to write ('-' for stdout; default: the file name here)")
    .option('-f, --force', 'overwrite an existing output file')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ cairn explore get e0.3.0 models/production/model.bin -o model-e0.3.0.bin\n  $ cairn explore get e0.3.0 train.py -o - | head',
    )
    .action(async (version: string, file: string, opts: { out?: string; force?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      // git finds the repository while the module loads.
      const [repo, { exploreGet }] = await Promise.all([ctx.repo(), getter()]);
      const r = await exploreGet(repo, { cwd: ctx.cwd(), version, path: file, out: opts.out, force: opts.force });
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
      const r = await (await import('../../commands/exploreLineage.js')).lineage(await ctx.repo(), { cwd: ctx.cwd(), target });
      ctx.out.result(r, () => {
        if (r.experiments.length === 0) return ctx.out.line(`no experiment holds ${shortHash(r.hash)}`);
        ctx.out.line(table(r.experiments.map((e) => [e.tag, formatDate(e.date), shortHash(e.commit), e.paths.join(', ')])));
      });
    });
  return explore;
}
