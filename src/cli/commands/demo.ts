/**
 * demo.
 */
import type { Command } from 'commander';
import { runDemo } from '../demoSession.js';
import type { CliContext } from '../context.js';

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('build a small ML project in a temp folder (or DIR) and run the cairn workflow on it')
    .argument('[dir]', 'an empty or new folder to build the project in')
    .option('--keep', 'keep the folder afterwards and print its path')
    .addHelpText('after', '\nExamples:\n  $ cairn demo\n  $ cairn demo /tmp/cairn-demo --keep')
    .action(async (dir: string | undefined, opts: { keep?: boolean }) => {
      const result = await runDemo({ dir, keep: opts.keep, print: (line) => ctx.out.line(line) });
      ctx.out.line('');
      ctx.out.line(`demo finished: ${result.steps} steps in ${result.seconds.toFixed(1)} s`);
      if (result.kept) ctx.out.line(`kept: ${result.dir}`);
    });
}
