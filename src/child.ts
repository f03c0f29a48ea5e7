/**
 * Running the user's command (`cairn run`, `cairn reproduce`): its output
 * streams live (stdio inherited), SIGINT, SIGTERM and SIGHUP sent to cairn
 * are passed on to it, and its end is reported as an exit status or a
 * signal. A command that cannot be started is a typed error (127 not found,
 * 126 not runnable), as a shell reports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { CannotRunError, CommandNotFoundError } from './errors.js';

/** How the command ended. */
export interface ChildOutcome {
  /** Its exit status, or null when a signal ended it. */
  exit: number | null;
  signal: NodeJS.Signals | null;
  /** What a shell reports: the exit status, or 128 + the signal's number. */
  status: number;
  /** Wall-clock seconds from start to end. */
  seconds: number;
}

/** Options of {@link runChild}. */
export interface RunChildOptions {
  cwd: string;
  /** Variables added to cairn's own environment. */
  env: Record<string, string>;
  /** Send the command's stdout to cairn's stderr (so that stdout stays one JSON document). */
  stdoutToStderr?: boolean;
  /** Called with the child's pid once it has started. */
  onSpawn?: (pid: number) => void;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number, as a shell's `$?` for a command a signal ended. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A command line for people, as a POSIX shell reads it back: each argument
 * quoted when it needs it, control characters as `$'\x1b'` escapes (a
 * recorded command is committed data: it must not reach a terminal raw).
 */
export function shellQuote(argv: readonly string[]): string {
  return argv
    .map((a) => {
      if (/^[\w@%+=:,./-]+$/.test(a)) return a;
      if (!CONTROL.test(a)) return `'${a.replace(/'/g, "'\\''")}'`;
      const escaped = Array.from(a)
        .map((c) => {
          const code = c.codePointAt(0)!;
          if (c === '\\' || c === "'") return `\\${c}`;
          if (CONTROL.test(c)) return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
          return c;
        })
        .join('');
      return `$'${escaped}'`;
    })
    .join(' ');
}

/**
 * Run `argv` (no shell: each element is one argument) and wait for it.
 * Signals that reach cairn while it runs are forwarded to it, except a
 * SIGINT when cairn's stdin is a terminal: Ctrl-C there reaches the whole
 * foreground process group, the command included, and a second one would
 * interrupt its clean-up.
 */
export async function runChild(argv: readonly string[], options: RunChildOptions): Promise<ChildOutcome> {
  const started = process.hrtime.bigint();
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['inherit', options.stdoutToStderr ? 2 : 'inherit', 'inherit'],
    });
  } catch (err) {
    throw startFailure(argv, err);
  }
  const forward = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    child.kill(signal);
  };
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(startFailure(argv, err)));
  });
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    await spawned;
    options.onSpawn?.(child.pid!);
    const [exit, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve([child.exitCode, child.signalCode]);
      else child.once('exit', (code, sig) => resolve([code, sig]));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { exit, signal, status: signal ? signalStatus(signal) : (exit ?? 1), seconds };
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}

/** A process's state letter and start time (clock ticks since boot) from /proc, or null where there is no such process or no /proc. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return null;
  }
}

const SCRIPT = /\.(py|sh|bash|js|mjs|cjs|ts|r|jl|pl|rb)$/i;

/**
 * The arguments of a command line that name files it needs from the work
 * tree: the program when given as a path (`./train.sh`), and arguments that
 * look like scripts (`train.py`). Relative ones only; a heuristic for
 * warnings and for `reproduce`'s "not in that revision".
 */
export function scriptArguments(argv: readonly string[]): string[] {
  return argv.filter((a, i) => (i === 0 ? a.includes('/') : SCRIPT.test(a) && !a.startsWith('-'))).filter((a) => !a.startsWith('/'));
}

/** When process `pid` started (an opaque token; null where /proc cannot tell), to recognise it later despite pid reuse. */
export function processStart(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

/**
 * Is the process that had `pid` (and, when known, started at `start`) still
 * running? A zombie is not (an orphan whose new parent does not reap it
 * stays one), nor is another process that got the pid since.
 */
export function processRunning(pid: number, start?: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = procStat(pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (start === undefined || start === null || stat.start === start);
  if (fs.existsSync('/proc/self/stat')) return false; // /proc works, and has no such process
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startFailure(argv: readonly string[], err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const program = JSON.stringify(argv[0]);
  if (code === 'ENOENT') {
    return new CommandNotFoundError(`command not found: ${program}`, {
      hint: argv[0]!.includes('/')
        ? "check the path (it is relative to the folder cairn runs in), or the script's #! line"
        : 'check the spelling, or that it is installed and on PATH',
      data: { command: argv[0] },
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOEXEC' || code === 'ENOTDIR') {
    return new CannotRunError(`cannot run ${program}: ${code === 'EACCES' ? 'permission denied (not executable?)' : (err as Error).message}`, {
      hint: `make it executable (chmod +x ${argv[0]}), or run it through its interpreter (e.g. python3 ${argv[0]})`,
      data: { command: argv[0] },
      cause: err,
    });
  }
  return err as Error;
}
