/**
 * How library operations report progress. The library never draws anything:
 * the CLI passes a reporter that draws a bar on a TTY, or none.
 */
export interface Progress {
  /** A new phase with a known amount of work (`unit` is 'B' for bytes, or a noun). */
  start(label: string, total: number, unit?: string): void;
  /** Some of the work is done. */
  tick(amount?: number): void;
  /** The phase is over. */
  stop(): void;
}

/** A reporter that reports nothing. */
export const silentProgress: Progress = {
  start() {},
  tick() {},
  stop() {},
};
