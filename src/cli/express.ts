/**
 * The express lane: `cairn next` and `cairn tags` with plain flags run
 * without loading commander, whose import alone is about a tenth of their
 * start-up budget (1.3x a bare `git for-each-ref` from Node; bench/tags.mjs).
 *
 * It reads only what it fully understands: `-C <dir>` before the command,
 * then the command's own flags (`--flag value` or `--flag=value`). Anything
 * else (help, an unknown flag, a missing or invalid value, an operand)
 * returns null and goes the ordinary way through commander, so usage errors
 * and help look the same. A test checks these flags against the commander
 * definitions in commands/experiments.ts.
 */
import { BUMP_KINDS } from '../versions/version.js';
import type { NextFlags, TagsFlags } from './commands/experiments.js';
import type { CliContext } from './context.js';

type FlagKind = 'switch' | 'value';

interface ExpressCommand {
  flags: Record<string, FlagKind>;
  /** Values a flag accepts, when it is a choice. */
  choices?: Record<string, readonly string[]>;
  run(ctx: CliContext, opts: Record<string, string | boolean>): Promise<void>;
}

/** The commands of the express lane and the flags each accepts. */
export const EXPRESS_COMMANDS: Record<string, ExpressCommand> = {
  next: {
    flags: { '--bump': 'value', '--prefix': 'value', '--json': 'switch' },
    choices: { '--bump': BUMP_KINDS },
    run: async (ctx, opts) => (await import('./commands/experiments.js')).runNext(ctx, opts as NextFlags),
  },
  tags: {
    flags: { '--prefix': 'value', '--json': 'switch' },
    run: async (ctx, opts) => (await import('./commands/experiments.js')).runTags(ctx, opts as TagsFlags),
  },
};

export interface ExpressCall {
  command: string;
  /** -C <dir>, when given. */
  dir?: string;
  /** Flags by camel-cased name, as commander would give them. */
  opts: Record<string, string | boolean>;
}

function camel(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Read `args` (argv without node and script) for the express lane; null to take the ordinary way. */
export function parseExpress(args: readonly string[]): ExpressCall | null {
  let i = 0;
  let dir: string | undefined;
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    if (args[i] === '-C' && i + 1 < args.length) dir = args[++i];
    else if (args[i]!.startsWith('-C') && args[i]!.length > 2) dir = args[i]!.slice(2);
    else return null;
  }
  const command = args[i];
  if (command === undefined || !Object.hasOwn(EXPRESS_COMMANDS, command)) return null;
  const spec = EXPRESS_COMMANDS[command]!;
  const opts: Record<string, string | boolean> = {};
  for (i++; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const kind = Object.hasOwn(spec.flags, flag) ? spec.flags[flag] : undefined;
    if (kind === 'switch' && eq === -1) {
      opts[camel(flag)] = true;
      continue;
    }
    if (kind !== 'value') return null;
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('-'))) return null;
    if (spec.choices?.[flag] && !spec.choices[flag]!.includes(value)) return null;
    opts[camel(flag)] = value;
  }
  return { command, ...(dir !== undefined ? { dir } : {}), opts };
}

/** Run an express call; the caller reports errors as for any command. */
export async function runExpress(ctx: CliContext, call: ExpressCall): Promise<void> {
  ctx.useDir(call.dir);
  await EXPRESS_COMMANDS[call.command]!.run(ctx, call.opts);
}
