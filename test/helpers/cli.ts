/**
 * Run the built CLI (`bin/cairn.js`) as a user would.
 */
import path from 'node:path';
import { execa, type Options } from 'execa';

export const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cairn.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when `timeoutMs` passed and the process was killed. */
  timedOut: boolean;
}

export async function cairn(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = { cwd: process.cwd() },
): Promise<CliResult> {
  const opts: Options = { cwd: options.cwd, env: options.env, reject: false, input: options.input, stripFinalNewline: false, timeout: options.timeoutMs };
  const r = await execa('node', [BIN, ...args], opts);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: Boolean(r.timedOut) };
}

/** Run the CLI and fail the test with its output unless it exits 0. */
export async function cairnOk(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const r = await cairn(args, options);
  if (r.exitCode !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  return r;
}
