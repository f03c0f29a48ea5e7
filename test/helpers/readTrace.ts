/**
 * Which files a CLI command read bytes of, by every way a process can: the
 * command runs under `strace -f`, which reports each read-family system call
 * with the path of its file descriptor (`-y`), in cairn and in every process
 * it starts (git, a hasher, a worker). A spy on `fs` functions sees only the
 * calls made through the functions spied on; this sees `read`, `pread`,
 * `readv`, `mmap`, `sendfile`, `copy_file_range` and `splice` whatever made them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN } from './cli.js';
import { tempDir } from './repo.js';

const SYSCALLS = 'read,pread64,readv,preadv,preadv2,mmap,sendfile,copy_file_range,splice';

/** Why read tracing cannot run here (null: it can): strace missing, or ptrace refused. */
export const traceUnavailable: string | null = (() => {
  const probe = spawnSync('strace', ['--seccomp-bpf', '-f', '-qq', '-e', 'trace=read', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
  if (probe.error) return 'strace is not installed (apt-get install strace)';
  return probe.status === 0 ? null : 'strace cannot trace here (ptrace refused?)';
})();

export interface TracedRun {
  status: number | null;
  stderr: string;
  /** Every file a read-family call read from, absolute, each once. */
  read: Set<string>;
}

/** Run `cairn <args>` in `cwd` under strace; returns the files it (and its children) read. */
export function tracedCairn(args: string[], cwd: string): TracedRun {
  const out = path.join(tempDir('cairn-strace-'), 'trace');
  const run = spawnSync(
    'strace',
    ['--seccomp-bpf', '-f', '-qq', '-y', '-e', `trace=${SYSCALLS}`, '-e', 'signal=none', '-o', out, process.execPath, BIN, ...args],
    // io_uring reads would not show as read calls: libuv must use its thread pool.
    { cwd, encoding: 'utf8', env: { ...process.env, UV_USE_IO_URING: '0' } },
  );
  const read = new Set<string>();
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    // "1234 read(18</tmp/x/repo/data/a.txt>, "aaaa", 4) = 4": every fd comes with its path.
    for (const m of line.matchAll(/\d+<([^>\n]+)>/g)) read.add(m[1]!);
  }
  return { status: run.status, stderr: run.stderr, read };
}
