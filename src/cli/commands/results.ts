/**
 * merge: results tables from other files or revisions into a target.
 */
import { Option, type Command } from 'commander';
import { mergeFailure, type ConflictDetail, type MergeResult } from '../../results/mergeResult.js';
import { mergeResults } from '../../commands/merge.js';
import { ON_CONFLICT, STRATEGIES, type MergeStrategy, type OnConflict } from '../../results/mergePlan.js';
import { collect, type CliContext } from '../context.js';
import { plural, shortHash, table } from '../output.js';

const MERGE_EXAMPLES = `
Examples:
  $ cairn merge results/experiments.db exp/cnn:results/experiments.db
  $ cairn merge results/experiments.db ../exp-cnn/results/experiments.db --table predictions
  $ cairn merge results.db other.db --id run_id --on-conflict keep
  $ cairn merge results.db exp/cnn:results.db --strategy rebase --key version        # shows what would change
  $ cairn merge results.db exp/cnn:results.db --strategy rebase --key version --yes
  $ cairn merge data/metrics.parquet ../exp-b/data/metrics.parquet -o merged.parquet

Sources are SQLite, DuckDB or parquet files (detected from their bytes), or
REV:path for a file as committed at a branch, tag or commit.
Defaults for --strategy, --id, --key and --table come from merge.* in .cairn/config.json.`;

interface MergeFlags {
  strategy?: MergeStrategy;
  table?: string[];
  id?: string[];
  key?: string[];
  onConflict?: OnConflict;
  yes?: boolean;
  output?: string;
  force?: boolean;
  wait?: number;
  json?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw Object.assign(new Error(`--wait takes a number of seconds, got '${value}'`), { code: 'commander.invalidArgument' });
  }
  return n;
}

/** A value as people read it in a conflict line. */
function shown(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function formatConflict(c: ConflictDetail): string {
  // An asset table's key is a base64 pickle: the hash it stands for says more.
  const id =
    c.object !== undefined
      ? `hash ${c.object}`
      : Object.entries(c.identity)
          .map(([k, v]) => `${k}=${shown(v)}`)
          .join(' ');
  const side = (d: ConflictDetail['columns'][number], which: 'target' | 'source'): string => d.digest?.[which] ?? shown(d[which]);
  const cols = c.columns.map((d) => `${d.column}: ${side(d, 'target')} (target) vs ${side(d, 'source')} (source)`).join('; ');
  return `${c.table} [${id}] ${cols}`;
}

function printHuman(ctx: CliContext, r: MergeResult): void {
  const verb = r.applied ? (r.strategy === 'rebase' ? 'rebased' : 'merged') : r.strategy === 'rebase' ? 'would rebase' : 'would merge';
  ctx.out.line(`${verb} ${plural(r.sources.length, 'source')} into ${r.output}${r.output !== r.target ? ` (from ${r.target})` : ''}`);
  const rows = r.tables.map((t) => [
    t.table,
    t.source,
    String(t.added),
    String(t.duplicates),
    String(t.conflicts),
    String(t.filled),
    String(t.replaced),
    String(t.deleted),
    [
      t.created ? 'new table' : '',
      ...t.columnsAdded.map((c) => `+${c.name}${c.type ? ` ${c.type}` : ''}`),
      t.updated ? `${plural(t.updated, t.role === 'keys' ? 'key' : 'count')} ${t.role === 'keys' ? 'repointed' : 'updated'}` : '',
    ]
      .filter(Boolean)
      .join(', '),
  ]);
  if (rows.length) ctx.out.line(table([['table', 'source', 'added', 'duplicates', 'conflicts', 'filled', 'replaced', 'deleted', 'changes'], ...rows], '  '));
  else ctx.out.line('  no tables to merge');
  for (const c of r.conflicts) ctx.out.line(`  conflict: ${formatConflict(c)}`);
  if (r.conflictsOmitted) ctx.out.line(`  ... and ${plural(r.conflictsOmitted, 'more conflict')} (--json lists the first ${r.conflicts.length})`);
  if (r.backup) ctx.out.line(`prior state kept: ${r.backup.path}${r.backup.hash ? ` (${shortHash(r.backup.hash)})` : ''}`);
  if (r.backup?.pinned) ctx.out.line(`  pinned: gc keeps it until you run cairn backup drop ${r.backup.pinned}`);
  if (r.refused === 'confirmation') ctx.out.line('nothing was written: a rebase deletes rows; rerun with --yes to apply it');
  if (r.refused === 'conflicts') ctx.out.line('nothing was written: resolve the conflicts with --on-conflict keep|replace');
}

export function registerResultsCommands(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .description('merge results tables (SQLite, DuckDB, parquet) of other files or revisions into a target, without losing or duplicating a row')
    .argument('<target>', 'the results file merged into (created from the sources when it does not exist)')
    .argument('<source...>', 'files to merge from, or REV:path (a file as committed at a branch, tag or commit)')
    .addOption(
      new Option('--strategy <strategy>', "merge: add rows of new identities; rebase: replace the target rows of the sources' keys").choices(STRATEGIES),
    )
    .option('--table <name>', 'merge only this table (repeat for several; default: every table)', collect)
    .option('--id <column>', 'identity column for merge (repeat for several; default: track_id+timestamp when both exist, else the whole row)', collect)
    .option('--key <column>', 'key column for rebase (repeat for several; default: version)', collect)
    .addOption(
      new Option('--on-conflict <mode>', "rows of the same identity with other values: fail, keep the target's, or replace with the source's")
        .choices(ON_CONFLICT)
        .default('fail'),
    )
    .option('--yes', 'confirm a rebase (without it, print what would change and write nothing)')
    .option('-o, --output <file>', 'write the merged result to this file; the target is left as it is')
    .option('-f, --force', 'let -o replace a file that exists')
    .option('--wait <seconds>', 'how long to wait for another writer of the target (default 30)', seconds)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', MERGE_EXAMPLES)
    .action(async (target: string, sources: string[], opts: MergeFlags) => {
      ctx.useJson(opts);
      const result = await mergeResults({
        cwd: ctx.cwd(),
        target,
        sources,
        strategy: opts.strategy,
        onConflict: opts.onConflict,
        tables: opts.table,
        id: opts.id,
        key: opts.key,
        yes: opts.yes,
        output: opts.output,
        force: opts.force,
        waitMs: opts.wait === undefined ? undefined : opts.wait * 1000,
        progress: ctx.progress(),
      });
      const failure = mergeFailure(result);
      ctx.out.result(
        failure ? { ...result, error: { code: failure.code, exitCode: failure.exitCode, message: failure.message, hint: failure.hint } } : result,
        () => printHuman(ctx, result),
      );
      if (failure) {
        // The result above already holds the error: keep stdout one JSON document.
        ctx.useJson({ json: false });
        throw failure;
      }
    });
}
