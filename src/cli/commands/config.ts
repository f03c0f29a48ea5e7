/**
 * `cairn config`: get, set, unset and list config keys by dotted path.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

const editing = () => import('../../config/edit.js');

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('read and change .cairn/config.json (or, with --local, .cairn/config.local.json) by key')
    .addHelpText(
      'after',
      '\nExamples:\n  $ cairn config set metrics.primary f1\n  $ cairn config set metrics.minimize true\n  $ cairn config set results.db results/experiments.db\n  $ cairn config set cache.link hardlink --local\n  $ cairn config get metrics.primary\n  $ cairn config list',
    );
  config
    .command('list', { isDefault: true })
    .alias('ls')
    .description('every key that is set, with its effective value (credentials hidden)')
    .option('--json', 'print the effective config as JSON (credentials hidden)')
    .action(async (opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const entries = (await editing()).configEntries(repo.config);
      ctx.out.result(Object.fromEntries(entries), () => {
        for (const [key, value] of entries) ctx.out.line(`${key}=${shown(value)}`);
      });
    });
  config
    .command('get')
    .description('print the effective value of a key (exit 4 when it is not set)')
    .argument('<key>', 'a dotted key path, e.g. metrics.primary')
    .option('--json', 'print the value as JSON')
    .action(async (key: string, opts: { json?: boolean }) => {
      ctx.useJson(opts);
      const repo = await ctx.repo();
      const value = (await editing()).configGet(repo.config, key);
      ctx.out.result(value, () => ctx.out.line(shown(value)));
    });
  config
    .command('set')
    .description(
      'set a key in .cairn/config.json (staged), or in .cairn/config.local.json with --local; the value is JSON when it parses (numbers, true, ["a","b"]), else text',
    )
    .argument('<key>', 'a dotted key path, e.g. metrics.primary')
    .argument('<value>', 'the value')
    .option('--local', 'write .cairn/config.local.json (ignored by git: credentials, cache.dir, cache.link)')
    .action(async (key: string, value: string, opts: { local?: boolean }) => {
      const repo = await ctx.repo();
      const { configSet, parseValue } = await editing();
      const r = await configSet(repo.root, key, parseValue(value), { local: opts.local });
      ctx.out.line(`${key}=${shown(parseValue(value))} in ${r.file}${opts.local ? '' : ' (staged: commit it to share)'}`);
    });
  config
    .command('unset')
    .description('remove a key from .cairn/config.json (staged), or from .cairn/config.local.json with --local')
    .argument('<key>', 'a dotted key path')
    .option('--local', 'change .cairn/config.local.json')
    .action(async (key: string, opts: { local?: boolean }) => {
      const repo = await ctx.repo();
      const r = await (await editing()).configSet(repo.root, key, undefined, { local: opts.local });
      ctx.out.line(`unset ${key} in ${r.file}`);
    });
}
