/**
 * The commander program: global options, one registration per command group,
 * and the single place where errors become messages and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { CairnError, ExitCode, toCairnError } from '../errors.js';
import { CliContext } from './context.js';
import { registerArtifactCommands } from './commands/artifacts.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerRemoteCommands } from './commands/remotes.js';
import { registerMaintenanceCommands } from './commands/maintenance.js';
import { registerWorktreeCommands } from './commands/worktrees.js';
import { registerExploreCommands } from './commands/explore.js';
import { registerResultsCommands } from './commands/results.js';

export const PROGRAM_EXAMPLES = `
Examples:
  $ cairn init
  $ cairn add data/train.parquet
  $ cairn status
  $ cairn checkout

Exit codes: 0 ok, 1 failed, 2 usage, 3 not a repo, 4 not found, 5 already exists,
            6 conflict, 7 unsafe operation refused, 8 integrity error`;

export function buildProgram(ctx: CliContext, version: string): Command {
  const program = new Command();
  program
    .name('cairn')
    .description('version ML experiments on top of git: artifacts, metric-bearing tags, worktree variants, results merging')
    .version(version, '-V, --version', 'print the version')
    .option('-C <dir>', 'run as if cairn was started in <dir>')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', PROGRAM_EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
  ctx.attach(program);
  registerArtifactCommands(program, ctx);
  registerRemoteCommands(program, ctx);
  registerMaintenanceCommands(program, ctx);
  registerWorktreeCommands(program, ctx);
  registerExploreCommands(program, ctx);
  registerResultsCommands(program, ctx);
  registerDemoCommand(program, ctx);
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

function report(ctx: CliContext, err: CairnError): void {
  if (ctx.out.json) ctx.out.data({ error: { code: err.code, exitCode: err.exitCode, message: err.message, hint: err.hint } });
  process.stderr.write(`cairn: error: ${err.message}\nhint: ${err.hint}\n`);
}

/** Run the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: string[], version: string): Promise<number> {
  const ctx = new CliContext();
  const program = buildProgram(ctx, version);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return ExitCode.ok;
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof Error && (err as { code?: string }).code === 'commander.invalidArgument') {
      process.stderr.write(`cairn: error: ${err.message}\n`);
      return ExitCode.usage;
    }
    const cairnError = toCairnError(err);
    report(ctx, cairnError);
    if (process.env.CAIRN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return cairnError.exitCode;
  }
}
