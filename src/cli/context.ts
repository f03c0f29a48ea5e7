/**
 * What every command action needs: the folder it runs in (-C), the opened
 * repository, the output and a progress reporter.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Repo } from '../repo/repo.js';
import type { Progress } from '../progress.js';
import { Output } from './output.js';
import { terminalProgress } from './progress.js';

export class CliContext {
  readonly out = new Output();
  /** Set by a command that succeeds but must exit with another code (hooks). */
  exitCode = 0;
  private program: Command | null = null;
  private dir: string | undefined;

  attach(program: Command): void {
    this.program = program;
  }

  /** -C <dir> when the command line was read without commander (the express lane). */
  useDir(dir: string | undefined): void {
    this.dir = dir;
  }

  /** The working folder: -C <dir> resolved against the process's cwd. */
  cwd(): string {
    const dir = this.dir ?? this.program?.opts<{ C?: string }>().C;
    return dir ? path.resolve(process.cwd(), dir) : process.cwd();
  }

  /**
   * Open the repository of the working folder. Loaded on first use: the
   * store behind it (node:crypto, streams) costs ~8 ms that `cairn next`
   * and `cairn tags` do without.
   */
  async repo(options: { requireInit?: boolean } = {}): Promise<Repo> {
    const { openRepo } = await import('../repo/repo.js');
    return openRepo(this.cwd(), options);
  }

  /** Turn on JSON output when the command was given --json. */
  useJson(opts: { json?: boolean }): void {
    this.out.json = Boolean(opts.json);
  }

  progress(): Progress {
    return this.out.json ? terminalProgress(process.stderr) : terminalProgress(process.stderr);
  }
}

/** Collect a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parse a positive integer option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw Object.assign(new Error(`${name} takes a whole number of at least 1`), { code: 'commander.invalidArgument' });
    }
    return n;
  };
}
