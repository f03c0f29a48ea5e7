/**
 * The commander program: global options, one registration per command group,
 * and the single place where errors become messages and exit codes.
 */
import type { Command } from 'commander';
import { CairnError, ExitCode, toCairnError } from '../errors.js';
import { CliContext } from './context.js';
import { parseExpress, runExpress } from './express.js';

type RegisterCommands = (program: Command, ctx: CliContext) => unknown;

/**
 * Every command group: the top-level commands it registers and how to load
 * it. Only the group of the command being run is imported (all of them, in
 * this order, for help or an unknown command), so a command does not pay for
 * the rest of the library at start-up. A test checks these names against
 * what each group registers.
 */
export const COMMAND_GROUPS: { commands: string[]; load: () => Promise<RegisterCommands> }[] = [
  {
    commands: ['init', 'add', 'status', 'checkout', 'untrack', 'verify'],
    load: async () => (await import('./commands/artifacts.js')).registerArtifactCommands,
  },
  { commands: ['remote', 'push', 'fetch', 'pull'], load: async () => (await import('./commands/remotes.js')).registerRemoteCommands },
  { commands: ['gc', 'backup', 'hooks'], load: async () => (await import('./commands/maintenance.js')).registerMaintenanceCommands },
  { commands: ['tag', 'next', 'tags'], load: async () => (await import('./commands/experiments.js')).registerExperimentCommands },
  { commands: ['run', 'reproduce'], load: async () => (await import('./commands/run.js')).registerRunCommands },
  { commands: ['worktree'], load: async () => (await import('./commands/worktrees.js')).registerWorktreeCommands },
  { commands: ['explore'], load: async () => (await import('./commands/explore.js')).registerExploreCommands },
  { commands: ['model'], load: async () => (await import('./commands/models.js')).registerModelCommands },
  { commands: ['merge'], load: async () => (await import('./commands/results.js')).registerResultsCommands },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemoCommand },
  { commands: ['merge-driver'], load: async () => (await import('./commands/mergeDriver.js')).registerMergeDriverCommand },
  { commands: ['config'], load: async () => (await import('./commands/config.js')).registerConfigCommands },
  { commands: ['ui'], load: async () => (await import('./commands/ui.js')).registerUiCommand },
];

/** The command named on the command line (global options come before it, as with git). */
export function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-C') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

export const PROGRAM_EXAMPLES = `
Examples:
  $ cairn init
  $ cairn add data/train.parquet
  $ cairn status
  $ cairn checkout

Exit codes: 0 ok, 1 failed, 2 usage, 3 not a repo, 4 not found, 5 already exists,
            6 conflict, 7 unsafe operation refused, 8 integrity error, 9 not reproduced;
            cairn run: the command's own status, 126 not executable, 127 not found`;

/**
 * `list` is the default subcommand of its group (`cairn remote` lists), so a
 * mistyped subcommand (`cairn remote ad ...`) would reach it as arguments:
 * report it as the unknown command it is, with commander's suggestion.
 */
function keepTyposOutOfList(group: Command, list: Command, args: string[]): void {
  const explicit = ['list', 'ls'].includes(args[args.indexOf(group.name()) + 1] ?? '');
  list.allowExcessArguments(true).hook('preAction', (_cmd, action) => {
    if (action.args.length === 0) return;
    if (explicit) action.error(`error: too many arguments for 'list': ${action.args.join(' ')}`, { code: 'commander.excessArguments' });
    group.args = action.args;
    // unknownCommand() is commander's own report, with "Did you mean ...?" (not in its typings).
    const unknown = (group as unknown as { unknownCommand?: () => never }).unknownCommand;
    if (unknown) unknown.call(group);
    group.error(`error: unknown command '${action.args[0]}'`, { code: 'commander.unknownCommand' });
  });
}

/** The program with the command groups `args` needs (all of them when `args` names none). */
export async function buildProgram(ctx: CliContext, version: string, args: string[] = []): Promise<Command> {
  const { Command } = await import('commander');
  const program = new Command();
  program
    .name('cairn')
    .description('version ML experiments on top of git: artifacts, metric-bearing tags, worktree variants, results merging')
    .version(version, '-V, --version', 'print the version')
    .option('-C <dir>', 'run as if cairn was started in <dir> (before the command, as with git)')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .addHelpText('after', PROGRAM_EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      // Usage errors are printed by main(), in the shape of every cairn error.
      outputError: () => {},
    });
  ctx.attach(program);
  const name = commandName(args);
  const invoked = COMMAND_GROUPS.filter((g) => name !== undefined && g.commands.includes(name));
  for (const group of invoked.length ? invoked : COMMAND_GROUPS) (await group.load())(program, ctx);
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  for (const group of program.commands) {
    const list = group.commands.find((c) => c.name() === 'list');
    if (list) keepTyposOutOfList(group, list, args);
  }
  return program;
}

/** Every error cairn prints has this shape: what failed, then what to do. */
function printError(message: string, hint: string): void {
  process.stderr.write(`cairn: error: ${message}\nhint: ${hint}\n`);
}

function report(ctx: CliContext, err: CairnError): void {
  if (ctx.out.json && !ctx.out.wroteData) ctx.out.data({ error: { code: err.code, exitCode: err.exitCode, message: err.message, hint: err.hint } });
  printError(err.message, err.hint);
}

/**
 * commander's message without its own "error: " and with its "(Did you mean
 * x?)" line taken out, to go into the hint.
 */
function splitCommanderMessage(message: string): { message: string; suggestion?: string } {
  const m = /\n\(Did you mean (.+)\?\)\s*$/.exec(message);
  const text = (m ? message.slice(0, m.index) : message).replace(/^error: /, '').trim();
  return m ? { message: text, suggestion: m[1]! } : { message: text };
}

/** A usage error: the message and a hint (with commander's suggestion), and the JSON error with --json. */
function usageFailure(args: string[], commanderMessage: string): number {
  const { message, suggestion } = splitCommanderMessage(commanderMessage);
  const name = commandName(args);
  const misplaced = args.indexOf('-C') > args.indexOf(name ?? '') && name !== undefined && args.includes('-C');
  const help = `run cairn ${name && COMMAND_GROUPS.some((g) => g.commands.includes(name)) ? `${name} ` : ''}--help for usage`;
  const hint = misplaced
    ? `global options go before the command, as with git: cairn -C <dir> ${name} ...`
    : suggestion
      ? `did you mean ${suggestion}? (${help})`
      : help;
  printError(message, hint);
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ error: { code: 'E_USAGE', exitCode: ExitCode.usage, message, hint } }, null, 2) + '\n');
  }
  return ExitCode.usage;
}

/** Run the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: string[], version: string): Promise<number> {
  const ctx = new CliContext();
  try {
    const express = parseExpress(argv.slice(2));
    if (express) {
      await runExpress(ctx, express);
      return ctx.exitCode;
    }
    const program = await buildProgram(ctx, version, argv.slice(2));
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    // Only commander's errors have codes starting with 'commander.' (it is loaded by then).
    const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
    const commander = typeof code === 'string' && code.startsWith('commander.') ? await import('commander') : null;
    if (commander && err instanceof commander.CommanderError) {
      if (['commander.helpDisplayed', 'commander.version'].includes(err.code)) return ExitCode.ok;
      // No command at all: usage on stderr and exit 1, as git does.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.ok : ExitCode.failed;
      if (err.exitCode === 0) return ExitCode.ok;
      return usageFailure(argv.slice(2), err.message);
    }
    if (err instanceof Error && (err as { code?: string }).code === 'commander.invalidArgument') {
      return usageFailure(argv.slice(2), err.message);
    }
    const cairnError = toCairnError(err);
    report(ctx, cairnError);
    if (process.env.CAIRN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return cairnError.exitCode;
  }
}
