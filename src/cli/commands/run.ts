/**
 * run, reproduce: a command to a tagged experiment in one step, and running
 * a tagged experiment's command again to check that its numbers come back.
 */
import type { Command } from 'commander';
import type { BumpKind } from '../../versions/version.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { parseBump } from './experiments.js';

interface RunFlags {
  message?: string;
  bump?: BumpKind;
  as?: string;
  allowDirty?: boolean;
  /** false with --no-tag. */
  tag?: boolean;
  json?: boolean;
}

interface ReproduceFlags {
  tolerance?: number;
  keep?: boolean;
  json?: boolean;
}

function tolerance(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw Object.assign(new Error(`--tolerance must be a number ≥ 0 (e.g. 0.01 for 1%), got '${value}'`), { code: 'commander.invalidArgument' });
  }
  return n;
}

const EXIT_CODES = `
Exit codes: 0 tagged; the command's own status when it fails (128+N when signal N
ends it: 130 for Ctrl-C); 127 command not found; 126 not executable; 2 usage
(no command); 4 an output was not written, or no rows of the version; 5 the
version exists; 6 another run is in progress; 7 the tree is dirty`;

/** `cairn run -- CMD...`. */
export async function runRun(ctx: CliContext, argv: string[], opts: RunFlags): Promise<void> {
  ctx.useJson(opts);
  const [{ runExperiment }, { shellQuote }, repo] = await Promise.all([import('../../commands/run.js'), import('../../child.js'), ctx.repo()]);
  const result = await runExperiment(repo, {
    cwd: ctx.cwd(),
    argv,
    ...(opts.message !== undefined ? { message: opts.message } : {}),
    ...(opts.bump !== undefined ? { bump: opts.bump } : {}),
    ...(opts.as !== undefined ? { version: opts.as } : {}),
    allowDirty: Boolean(opts.allowDirty),
    noTag: opts.tag === false,
    stdoutToStderr: ctx.out.json,
    progress: ctx.progress(),
    onStart: (start) => {
      if (start.recovered?.action === 'finished')
        ctx.out.note(`cairn run: finished the interrupted run of ${start.recovered.version}${start.recovered.tag ? ` (tagged ${start.recovered.tag})` : ''}`);
      if (start.recovered?.action === 'dropped')
        ctx.out.note(`cairn run: the run of ${start.recovered.version} was killed while its command ran; nothing of it was recorded`);
      ctx.out.note(`cairn run: ${start.version}: ${shellQuote(start.argv)}${start.workdir !== '.' ? ` (in ${start.workdir})` : ''}`);
    },
  });
  ctx.exitCode = result.exitCode;
  for (const note of result.notes) ctx.out.note(`note: ${note}`);
  ctx.out.result(result, () => {
    if (result.status === 'failed') {
      ctx.out.note(
        `cairn run: ${result.version} failed after ${result.duration.toFixed(1)} s (${result.signal ?? `exit ${result.exit}`}); nothing committed or tagged`,
      );
      return;
    }
    const commit = result.commit!.slice(0, 12);
    if (result.tag) {
      ctx.out.line(`tagged ${commit} as ${result.tag.tag} (${result.duration.toFixed(1)} s${result.dirty ? ', dirty tree' : ''})`);
      ctx.out.line(`  ${result.tag.subject}`);
    } else {
      ctx.out.line(`committed ${commit} for ${result.version} (not tagged: --no-tag; cairn tag ${result.version} tags it)`);
    }
    if (result.outputs.length) ctx.out.line(`  outputs: ${result.outputs.join(', ')}`);
  });
}

/** `cairn reproduce VERSION`. */
export async function runReproduce(ctx: CliContext, version: string, opts: ReproduceFlags): Promise<void> {
  ctx.useJson(opts);
  const [{ reproduceExperiment }, { shellQuote }, repo] = await Promise.all([import('../../commands/reproduce.js'), import('../../child.js'), ctx.repo()]);
  const result = await reproduceExperiment(repo, {
    version,
    ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
    keep: Boolean(opts.keep),
    stdoutToStderr: ctx.out.json,
    progress: ctx.progress(),
    onStart: (start) =>
      ctx.out.note(`cairn reproduce: running the command ${version} records, in ${start.dir}, with CAIRN_VERSION=${version}:\n  ${shellQuote(start.argv)}`),
  });
  ctx.exitCode = result.exitCode;
  for (const note of result.notes) ctx.out.note(`note: ${note}`);
  const shown = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'number' ? String(v) : JSON.stringify(v));
  ctx.out.result(result, () => {
    if (result.metrics.length) {
      ctx.out.line(
        table([
          ['metric', 'tagged', 'now', 'abs diff', 'rel diff', ''],
          ...result.metrics.map((m) => [
            m.name,
            shown(m.old),
            shown(m.new),
            m.absolute === null ? '-' : m.absolute.toPrecision(3),
            m.relative === null ? '-' : `${(m.relative * 100).toPrecision(3)}%`,
            m.within ? 'ok' : 'DIFFERS',
          ]),
        ]),
      );
    }
    const verdict =
      result.status === 'reproduced'
        ? `${version} reproduced${result.tolerance ? ` within ${result.tolerance}` : ' exactly'}`
        : result.status === 'differs'
          ? `${version} did NOT reproduce${result.tolerance ? ` within ${result.tolerance}` : ''}`
          : `${version}: the command failed (${result.signal ?? `exit ${result.exit}`})`;
    ctx.out.line(
      `${verdict} (${result.duration.toFixed(1)} s${result.recorded.duration !== undefined ? `; recorded ${result.recorded.duration.toFixed(1)} s` : ''})`,
    );
    if (result.kept) ctx.out.line(`  kept: ${result.worktree}`);
  });
}

export function registerRunCommands(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'run a command as an experiment: next version, CAIRN_VERSION set, outputs added and committed, tagged with the best results row and the command line',
    )
    .argument('<command...>', 'the command and its arguments, after -- (run without a shell)')
    .option('-m, --message <text>', 'a description, last in the tag subject and in the commit subject')
    .option(
      '--bump <kind>',
      'which part of the highest version to raise: major, minor, patch (default: minor; exp-NAME-vN in an experiment worktree)',
      parseBump,
    )
    .option('--as <version>', 'record this version instead of the next one (e.g. e1.0.0)')
    .option('--allow-dirty', 'run even with uncommitted changes; the tag says Cairn-Dirty: true')
    .option('--no-tag', 'add and commit the outputs, but create no tag')
    .option('--json', "print the result as JSON (the command's own output then goes to stderr)")
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Outputs: run.outputs in .cairn/config.json (default: results.db, when set).
The command gets CAIRN_VERSION (the version it records) and CAIRN_ROOT.

Examples:
  $ cairn run -- python train.py --lr 0.1
  $ cairn run -m "bigger batch" --bump patch -- python train.py --batch 64
${EXIT_CODES}`,
    )
    .action((argv: string[], opts: RunFlags) => runRun(ctx, argv, opts));

  program
    .command('reproduce')
    .description('run the command a cairn run tag records again, in a fresh exploration worktree, and compare the metrics')
    .argument('<version>', 'an experiment tag made by cairn run')
    .option('--tolerance <t>', 'largest relative difference counted as reproduced, e.g. 0.01 for 1% (default 0: exact)', tolerance)
    .option('--keep', 'keep the exploration worktree (../explore-VERSION) afterwards')
    .option('--json', "print the comparison as JSON (the command's own output then goes to stderr)")
    .addHelpText(
      'after',
      `
The recorded command comes from the tag: cairn prints it before running it.

Examples:
  $ cairn reproduce e0.3.0
  $ cairn reproduce e0.3.0 --tolerance 0.01 --keep

Exit codes: 0 reproduced; 9 a metric differs beyond the tolerance, or no new
rows; 4 unknown tag, no recorded command, or a file it names is not in the
tag; 127 command not found; the command's own status when it fails`,
    )
    .action((version: string, opts: ReproduceFlags) => runReproduce(ctx, version, opts));
}
