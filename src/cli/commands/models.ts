/**
 * model add | promote | prune | list.
 */
import type { Command } from 'commander';
import { modelAdd } from '../../commands/modelAdd.js';
import { modelList } from '../../commands/modelList.js';
import { modelPromote } from '../../commands/modelPromote.js';
import { modelPrune } from '../../commands/modelPrune.js';
import type { CliContext } from '../context.js';
import { formatBytes, plural, shortHash, table } from '../output.js';

interface RankFlags {
  db?: string;
  table?: string;
  metric?: string;
  minimize?: boolean;
  json?: boolean;
}

function rankOptions(cmd: Command): Command {
  return cmd
    .option('--db <file>', 'results database: SQLite, DuckDB or parquet (default: results.db from config, else results.db at the root)')
    .option('--table <name>', 'results table (default: results.table, else the one table with the runs and the metric)')
    .option('--metric <name>', 'metric that ranks runs (default: metrics.primary)')
    .option('--minimize', 'lower is better (loss)')
    .option('--json', 'print the result as JSON');
}

const fmt = (v: number | null): string => (v === null ? '-' : String(v));

export function registerModelCommands(program: Command, ctx: CliContext): void {
  const model = program.command('model').description('model candidates (models/candidates/, one artifact) and the production model (models/production/)');

  model
    .command('add')
    .description('store a trained model as models/candidates/<ID><ext> and update the candidates pointer')
    .argument('<file>', 'the model file')
    .requiredOption('--run <id>', 'the run that produced it (no path separators)')
    .option('-f, --force', "replace the run's existing candidate")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn model add out/model.pt --run brave-otter-0042')
    .action(async (file: string, opts: { run: string; force?: boolean; json?: boolean }) => {
      ctx.useJson(opts);
      const r = await modelAdd(await ctx.repo(), { cwd: ctx.cwd(), file, run: opts.run, force: opts.force });
      ctx.out.result(r, () => ctx.out.line(`added candidate ${r.file} (${formatBytes(r.size)}, ${shortHash(r.hash)})`));
    });

  rankOptions(
    model
      .command('promote')
      .description('copy a candidate to models/production/ atomically and record its provenance (PROVENANCE.json)')
      .option('--run <id>', 'promote this run')
      .option('--version <v>', 'promote the best run of this version (by --metric)')
      .option('-f, --force', 'overwrite a production model that has unrecorded changes')
      .addHelpText(
        'after',
        '\nExamples:\n  $ cairn model promote --run brave-otter-0042 --db results.db\n  $ cairn model promote --version e0.3.0 --metric loss --minimize --db results.db',
      ),
  ).action(async (opts: RankFlags & { run?: string; version?: string; force?: boolean }) => {
    ctx.useJson(opts);
    const r = await modelPromote(await ctx.repo(), {
      cwd: ctx.cwd(),
      db: opts.db,
      table: opts.table,
      metric: opts.metric,
      minimize: opts.minimize,
      run: opts.run,
      version: opts.version,
      force: opts.force,
    });
    ctx.out.result(r, () => {
      ctx.out.line(
        `promoted run ${r.run}${r.version ? ` (${r.version})` : ''} to ${r.production}${r.metric ? `, ${r.metric.name}=${fmt(r.metric.value)}` : ''}`,
      );
      if (r.results) ctx.out.line(`results: ${r.results.location} (${r.results.why})`);
      ctx.out.line('commit models/production/ to record it');
    });
  });

  rankOptions(
    model
      .command('prune')
      .description("keep the best K runs' candidates (a run counts once, by its best row; NULL metrics last), delete the rest")
      .requiredOption('--keep <k>', 'how many runs to keep', (v) => Number(v))
      .option('--dry-run', 'only say what would be deleted')
      .addHelpText('after', '\nExamples:\n  $ cairn model prune --keep 3 --db results.db --metric f1 --dry-run'),
  ).action(async (opts: RankFlags & { keep: number; dryRun?: boolean }) => {
    ctx.useJson(opts);
    const r = await modelPrune(await ctx.repo(), {
      cwd: ctx.cwd(),
      db: opts.db,
      table: opts.table,
      metric: opts.metric,
      minimize: opts.minimize,
      keep: opts.keep,
      dryRun: opts.dryRun,
    });
    ctx.out.result(r, () => {
      const gone = r.dryRun ? 'would delete' : 'deleted';
      ctx.out.line(table([...r.kept.map((c) => ['keep', c.run, fmt(c.value)]), ...r.removed.map((c) => [gone, c.run, fmt(c.value)])], '  '));
      ctx.out.line(`results: ${r.results.location} (${r.results.why})`);
      ctx.out.line(
        r.dryRun
          ? 'dry run: nothing deleted'
          : `pruned ${plural(r.removed.length, 'candidate')}; earlier commits still hold ${r.removed.length === 1 ? 'it' : 'them'}`,
      );
    });
  });

  rankOptions(
    model
      .command('list', { isDefault: true })
      .alias('ls')
      .description('the production model (with provenance) and the candidates')
      .addHelpText('after', '\nExamples:\n  $ cairn model list\n  $ cairn model list --db results.db --metric f1 --json'),
  ).action(async (opts: RankFlags) => {
    ctx.useJson(opts);
    const r = await modelList(await ctx.repo(), { cwd: ctx.cwd(), db: opts.db, table: opts.table, metric: opts.metric, minimize: opts.minimize });
    for (const note of r.notes) ctx.out.note(`note: ${note}`);
    ctx.out.result(r, () => {
      if (r.production) {
        const p = r.production.provenance;
        ctx.out.line(
          `production: ${r.production.path} (${formatBytes(r.production.size)})${p ? ` from run ${p.run}${p.version ? ` (${p.version})` : ''}` : ''}`,
        );
      } else ctx.out.line('production: none (cairn model promote)');
      if (r.candidates.length === 0) return ctx.out.line('candidates: none (cairn model add <file> --run ID)');
      ctx.out.line('candidates:');
      ctx.out.line(
        table(
          r.candidates.map((c) => [c.run, c.file, formatBytes(c.size), r.metric ? `${r.metric}=${fmt(c.value)}` : '']),
          '  ',
        ),
      );
      if (r.results) ctx.out.line(`results: ${r.results.location} (${r.results.why})`);
    });
  });
}
