export { formatBytes, formatDate, plural, shortHash } from '../display.js';

/**
 * Everything the CLI prints goes through here: human text, or JSON with
 * --json. Nothing else in cairn writes to stdout or stderr.
 */
export class Output {
  json = false;
  /** A JSON document went to stdout already (a later error then adds none: stdout stays one document). */
  wroteData = false;

  constructor(
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line for people (suppressed in --json mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(text + '\n');
  }

  /** The machine-readable result (only in --json mode). */
  data(value: unknown): void {
    if (!this.json) return;
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
    this.wroteData = true;
  }

  /** Print `value` as JSON in --json mode, else run `human`. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.data(value);
    else human();
  }

  /** A warning or note on stderr. */
  note(text: string): void {
    this.stderr.write(text + '\n');
  }

  /** Raw bytes to stdout (for `explore get -o -`). */
  raw(data: Uint8Array | string): void {
    this.stdout.write(data);
  }
}

/** Left-aligned columns. */
export function table(rows: string[][], indent = ''): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}
