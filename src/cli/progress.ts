/**
 * A progress bar on stderr when it is a terminal; nothing otherwise.
 * cli-progress is loaded only when a bar is actually drawn.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { silentProgress, type Progress } from '../progress.js';
import { formatBytes } from './output.js';

type Bar = {
  start(total: number, value: number, payload?: object): void;
  increment(n: number): void;
  stop(): void;
};

/** Below this much work a bar would only flicker. */
const MIN_BYTES = 32 * 1024 * 1024;
const MIN_ITEMS = 200;

/** What a drawn bar changes in the terminal, undone: show the cursor, turn line wrapping back on. */
export const RESTORE_TERMINAL = '\x1b[?25h\x1b[?7h';

/**
 * While a bar is drawn, the terminal has no cursor and no line wrapping. Put
 * them back on every way out: a normal exit, an error, Ctrl-C (SIGINT) or
 * SIGTERM. A signal is then raised again, so the process still dies of it
 * (exit status 130/143 in a shell) and the temp files it leaves are swept by
 * the next command. Returns the function that removes the handlers.
 */
function guardTerminal(stream: NodeJS.WriteStream): () => void {
  const restore = (): void => {
    try {
      const fd = (stream as { fd?: unknown }).fd;
      if (typeof fd === 'number') fs.writeSync(fd, RESTORE_TERMINAL);
      else stream.write(RESTORE_TERMINAL);
    } catch {
      /* the terminal is gone: nothing to restore */
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    restore();
    remove();
    process.kill(process.pid, signal);
  };
  const remove = (): void => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', restore);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', restore);
  return remove;
}

/** Bytes per second after `ms` milliseconds, for people ("12.5 MiB/s"); nothing in the first half second, too soon to say. */
export function throughput(bytes: number, ms: number): string {
  return ms < 500 ? '' : `${formatBytes(Math.round((bytes * 1000) / ms))}/s`;
}

/**
 * A reporter that draws on `stream`. A byte count (`unit` 'B': add, fetch,
 * push, pull, verify) shows done/total and the throughput so far; `now` is
 * the clock (tests pass their own).
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  if (!stream.isTTY || process.env.CI || process.env.CAIRN_NO_PROGRESS) return silentProgress;
  let bar: Bar | null = null;
  return {
    start(label, total, unit = 'items') {
      this.stop();
      if (unit === 'B' ? total < MIN_BYTES : total < MIN_ITEMS) return;
      const require = createRequire(import.meta.url);
      const cliProgress = require('cli-progress') as typeof import('cli-progress');
      const format =
        unit === 'B' ? `${label} [{bar}] {percentage}% {done}/{size}{speed} {eta_formatted}` : `${label} [{bar}] {value}/{total} ${unit} {eta_formatted}`;
      const b = new cliProgress.SingleBar(
        { format, stream, hideCursor: true, clearOnComplete: true, barsize: 30, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      let done = 0;
      const started = now();
      const unguard = guardTerminal(stream);
      b.start(total, 0, { done: formatBytes(0), size: formatBytes(total), speed: '' });
      bar = {
        start: () => {},
        increment: (n) => {
          done += n;
          const rate = throughput(done, now() - started);
          b.increment(n, { done: formatBytes(done), speed: rate && `, ${rate}` });
        },
        stop: () => {
          b.stop();
          unguard();
        },
      };
    },
    tick(amount = 1) {
      bar?.increment(amount);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
