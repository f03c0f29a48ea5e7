/**
 * The one place cairn starts git (docs/ARCHITECTURE.md, "The git layer").
 * Every call gets the same fixed environment:
 * - `LC_ALL=C`: git's messages in English, since cairn reads some of them
 *   (`not a git repository`, `index.lock': File exists`);
 * - `GIT_PAGER=cat`, `PAGER=cat`: never a pager;
 * - `GIT_TERMINAL_PROMPT=0` and stdin never a terminal: never a prompt;
 * - `GIT_OPTIONAL_LOCKS=0` for calls marked `readOnly`: a read (status, diff,
 *   ls-files...) takes no optional lock such as the index refresh of
 *   `git status`, so it never competes with the user's own git for
 *   `index.lock`.
 * Only files in `src/git/` may import this module (eslint.config.js): the
 * rest of cairn calls the typed helpers beside it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CairnError, NotFoundError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  /** Bytes written to git's stdin (otherwise stdin is closed). */
  input?: string | Buffer;
  /** Extra environment variables (the fixed ones still win). */
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not failures (default: only 0). */
  okCodes?: number[];
  /** The call only reads: git takes no optional lock (`GIT_OPTIONAL_LOCKS=0`). */
  readOnly?: boolean;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Thrown when git exits with a code the caller did not expect. */
export class GitError extends CairnError {
  override readonly code: string = 'E_GIT';
  constructor(args: string[], result: GitResult) {
    const detail = result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`;
    super(`git ${args.join(' ')} failed: ${detail}`, {
      hint: "see git's message above; fix the repository state and retry",
      data: { args, exitCode: result.exitCode, stderr: result.stderr },
    });
  }
}

/** The variables every git call runs with, over the caller's environment. */
export const FIXED_ENV: Readonly<Record<string, string>> = Object.freeze({
  LC_ALL: 'C',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_TERMINAL_PROMPT: '0',
});

/** The environment of one git call: the process's, the caller's extras, then the fixed variables. */
export function gitEnv(options: Pick<GitOptions, 'env' | 'readOnly'>): NodeJS.ProcessEnv {
  return { ...process.env, ...options.env, ...FIXED_ENV, ...(options.readOnly ? { GIT_OPTIONAL_LOCKS: '0' } : {}) };
}

interface Output {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/**
 * Start git once and wait for it. stdout is collected as bytes, or handed
 * chunk by chunk to `onStdout` (then not kept) so that a caller can work
 * while git still writes. Rejects with GitError on an exit code not in
 * `okCodes`, and with a NotFoundError when git or `cwd` is missing.
 */
export function runGit(args: string[], options: GitOptions & { onStdout?: (chunk: Buffer) => void }): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: gitEnv(options),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const onStdout = options.onStdout;
    child.stdout!.on('data', onStdout ?? ((c: Buffer) => chunks.push(c)));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(spawnFailure(err, options.cwd));
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      const exitCode = code ?? -1;
      const stdout = Buffer.concat(chunks);
      if (exitCode === 0 || options.okCodes?.includes(exitCode)) resolve({ stdout, stderr, exitCode });
      else reject(new GitError(args, { stdout: onStdout ? '' : stdout.toString('utf8'), stderr, exitCode }));
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {}); // git may exit before reading it all; its exit code says why
      child.stdin!.end(options.input);
    }
  });
}

function spawnFailure(error: Error, cwd: string): CairnError {
  if (!existsSync(cwd)) return new NotFoundError(`no such directory: ${cwd}`, { hint: 'check the path given with -C', cause: error });
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new NotFoundError('git is not installed or not on PATH', { hint: 'install git 2.31 or newer', cause: error });
  }
  return new CairnError(`could not run git: ${error.message}`, { cause: error });
}

/** Run git and return its output as text. */
export async function git(args: string[], options: GitOptions): Promise<GitResult> {
  const out = await runGit(args, options);
  return { stdout: out.stdout.toString('utf8'), stderr: out.stderr, exitCode: out.exitCode };
}

/** Run git and return stdout as raw bytes (for blobs). */
export async function gitBytes(args: string[], options: GitOptions): Promise<Buffer> {
  return (await runGit(args, options)).stdout;
}

/** Run git, handing its stdout to `onText` as UTF-8 text while it arrives (no character split across calls). */
export async function gitStream(args: string[], options: GitOptions, onText: (text: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  await runGit(args, { ...options, onStdout: (chunk) => onText(decoder.write(chunk)) });
  const rest = decoder.end();
  if (rest) onText(rest);
}
