/**
 * tag, next, tags: experiment versions and their metric-bearing tags.
 *
 * Start-up budget: `cairn tags` and `cairn next` may cost at most 1.3x a
 * bare Node script running one `git for-each-ref` (bench/tags.mjs). So this
 * file imports no commander value (the express lane in ../express.ts runs
 * runNext and runTags without loading commander), imports the few library
 * modules those two need directly instead of the whole of src/index.ts
 * (~30 ms), and loads `tag`'s larger graph (artifacts, databases) only when
 * it runs. Every function used here is exported by src/index.ts.
 */
import type { Command } from 'commander';
import type { BumpKind } from '../../versions/version.js';
import type { TagOptions } from '../../commands/tag.js';
import { listExperiments, nextExperimentVersion } from '../../experiments/list.js';
import { BUMP_KINDS } from '../../versions/version.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatDate, plural, shortHash, table } from '../output.js';

/** The flags of `cairn tag`: the library's options, plus --json. */
export type TagFlags = Omit<TagOptions, 'cwd' | 'version' | 'progress'> & { json?: boolean };

export interface NextFlags {
  bump?: BumpKind;
  prefix?: string;
  json?: boolean;
}

export interface TagsFlags {
  prefix?: string;
  json?: boolean;
}

/** Parse --bump (commander's Option.choices would load commander here). */
export function parseBump(value: string): BumpKind {
  if (!(BUMP_KINDS as readonly string[]).includes(value)) {
    throw Object.assign(new Error(`allowed choices are ${BUMP_KINDS.join(', ')}`), {
      code: 'commander.invalidArgument',
    });
  }
  return value as BumpKind;
}

const BUMP_HELP = `which part of the highest version to raise: ${BUMP_KINDS.join(', ')} (default: minor)`;
const PREFIX_HELP = 'version prefix (default: versions.prefix, "e")';

/** `cairn tag [VERSION]`. */
export async function runTag(ctx: CliContext, version: string | undefined, opts: TagFlags, given: ReadonlySet<string> = new Set()): Promise<void> {
  ctx.useJson(opts);
  if (given.has('db') && given.has('no-db')) {
    // Both set the one option `db`: commander keeps the last, so the refusal has to look at what was typed.
    throw new UsageError('--db FILE and --no-db contradict each other', {
      hint: 'pass --db FILE to take the metrics from that database, or --no-db to tag without results',
    });
  }
  const [repo, { tagExperiment }] = await Promise.all([ctx.repo(), import('../../commands/tag.js')]);
  const result = await tagExperiment(repo, {
    cwd: ctx.cwd(),
    ...(version !== undefined ? { version } : {}),
    ...(opts.bump !== undefined ? { bump: opts.bump } : {}),
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    ...(opts.table !== undefined ? { table: opts.table } : {}),
    ...(opts.metric !== undefined ? { metric: opts.metric } : {}),
    ...(opts.minimize !== undefined ? { minimize: opts.minimize } : {}),
    ...(opts.message !== undefined ? { message: opts.message } : {}),
    dryRun: Boolean(opts.dryRun),
    allowDirty: Boolean(opts.allowDirty),
    progress: ctx.progress(),
  });
  for (const note of result.notes) ctx.out.note(`note: ${note}`);
  ctx.out.result(result, () => {
    if (result.dryRun) {
      ctx.out.note(`dry run: would tag ${shortHash(result.commit)} as ${result.tag}; nothing created`);
      ctx.out.raw(result.message);
      return;
    }
    ctx.out.line(`tagged ${shortHash(result.commit)} as ${result.tag}${result.branch ? ` (${result.branch})` : ''}`);
    ctx.out.line(`  ${result.subject}`);
    if (result.results) ctx.out.line(`  results: ${result.results.location} (${result.results.why}; ${plural(result.results.rows, 'row')} of ${result.tag})`);
  });
}

/** `cairn next`: the version alone on stdout. */
export async function runNext(ctx: CliContext, opts: NextFlags): Promise<void> {
  ctx.useJson(opts);
  const result = await nextExperimentVersion(ctx.cwd(), {
    ...(opts.bump !== undefined ? { bump: opts.bump } : {}),
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
  });
  ctx.out.result(result, () => ctx.out.line(result.next));
}

/** `cairn tags`. */
export async function runTags(ctx: CliContext, opts: TagsFlags): Promise<void> {
  ctx.useJson(opts);
  const experiments = await listExperiments(ctx.cwd(), opts.prefix !== undefined ? { prefix: opts.prefix } : {});
  ctx.out.result({ experiments }, () => {
    if (experiments.length === 0) return ctx.out.line('no experiment tags yet (cairn tag)');
    ctx.out.line(table(experiments.map((e) => [e.tag, formatDate(e.date), shortHash(e.commit), e.subject])));
  });
}

export function registerExperimentCommands(program: Command, ctx: CliContext): void {
  const given = new Set<string>();
  program
    .command('tag')
    .on('option:db', () => given.add('db'))
    .on('option:no-db', () => given.add('no-db'))
    .description('tag HEAD as an experiment: an annotated tag whose message carries the best results row of that version')
    .argument('[version]', 'the tag to create, e.g. e0.3.0 or exp-cnn-v1 (default: the next version)')
    .option('--bump <kind>', BUMP_HELP, parseBump)
    .option('--prefix <prefix>', PREFIX_HELP)
    .option('--db <file>', 'results database: SQLite, DuckDB or parquet (default: results.db)')
    .option('--no-db', 'read no results, even if results.db is set: the tag carries the data fingerprint and -m only')
    .option(
      '--table <table>',
      'results table (default: results.table, else the one table with a version column and the metric, else the one with rows of the version)',
    )
    .option('--metric <name>', 'the metric that picks the best row of the version (default: metrics.primary)')
    .option('--minimize', 'lower is better, e.g. a loss (default: metrics.minimize)')
    .option('-m, --message <text>', 'a description, last in the subject line')
    .option('--dry-run', 'print the tag message and create nothing')
    .option('--allow-dirty', 'tag even with uncommitted changes to tracked files or artifacts')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ cairn tag --db results/experiments.db --metric f1 -m "sweep winner"
  $ cairn tag e1.0.0 --no-db -m "release candidate"
  $ cairn tag --bump patch --metric loss --minimize --dry-run`,
    )
    .action((version: string | undefined, opts: TagFlags) => runTag(ctx, version, opts, given));

  program
    .command('next')
    .description('print the next experiment version, and nothing else')
    .option('--bump <kind>', BUMP_HELP, parseBump)
    .option('--prefix <prefix>', PREFIX_HELP)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ cairn next\n  $ VERSION=$(cairn next --bump patch) && python train.py --version "$VERSION"')
    .action((opts: NextFlags) => runNext(ctx, opts));

  program
    .command('tags')
    .description('list experiments in version order with their summaries, from the tags alone (no database)')
    .option('--prefix <prefix>', PREFIX_HELP)
    .option('--json', 'print the result as JSON (metrics, params, run, data, results)')
    .addHelpText('after', '\nExamples:\n  $ cairn tags\n  $ cairn tags --prefix v --json')
    .action((opts: TagsFlags) => runTags(ctx, opts));
}
