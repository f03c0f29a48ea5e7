/**
 * A progress bar on stderr when it is a terminal; nothing otherwise.
 * cli-progress is loaded only when a bar is actually drawn.
 */
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

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.CI || process.env.CAIRN_NO_PROGRESS) return silentProgress;
  let bar: Bar | null = null;
  return {
    start(label, total, unit = 'items') {
      this.stop();
      if (unit === 'B' ? total < MIN_BYTES : total < MIN_ITEMS) return;
      const require = createRequire(import.meta.url);
      const cliProgress = require('cli-progress') as typeof import('cli-progress');
      const format =
        unit === 'B'
          ? `${label} [{bar}] {percentage}% {done}/{size} {eta_formatted}`
          : `${label} [{bar}] {value}/{total} ${unit} {eta_formatted}`;
      const b = new cliProgress.SingleBar(
        { format, stream, hideCursor: true, clearOnComplete: true, barsize: 30, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      let done = 0;
      b.start(total, 0, { done: formatBytes(0), size: formatBytes(total) });
      bar = {
        start: () => {},
        increment: (n) => {
          done += n;
          b.increment(n, { done: formatBytes(done) });
        },
        stop: () => b.stop(),
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
