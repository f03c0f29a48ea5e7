/**
 * The experiment tag message (docs/FORMATS.md, "Tag message"), rendered and parsed. Pure: no I/O.
 *
 *     lr=0.0001 | model=bert-base | f1=0.89 | data=3a2f1b9c0d4e | sweep winner
 *
 *     Cairn-Version: e0.2.0
 *     Cairn-Run: brave-otter-0042
 *     Cairn-Metric: f1=0.89
 *     Cairn-Param: lr=0.0001
 *     Cairn-Param: model=bert-base
 *     Cairn-Data: sha256:<fingerprint of every pointer at the tagged commit>
 *     Cairn-Results: results/experiments.db#predictions
 *
 * The subject is for people: params, then metrics (4 significant digits),
 * the data fingerprint as a short hash (src/display.ts), then the user's text; it is
 * always one line. The trailers are for programs and round-trip exactly:
 * `git interpret-trailers --parse` reads them, and so does parseTagMessage.
 *
 * Nothing from a database or the command line can add a trailer: names and
 * values are kept on one line (a string that needs it is written as a JSON
 * string literal), and the subject has its whitespace and control characters
 * collapsed to single spaces.
 */
import { shortHash } from '../display.js';

import type { TagValue, TagValues } from '../results/row.js';

export type { TagValue, TagValues } from '../results/row.js';

/** What {@link renderTagMessage} writes into an experiment tag's message: each field becomes a `Cairn-*` trailer, and the subject sums them up. */
export interface TagMessageFields {
  /** The tag name (Cairn-Version). */
  version: string;
  /** The run id of the chosen row (Cairn-Run). */
  run?: string;
  metrics?: TagValues;
  params?: TagValues;
  /** The data fingerprint, `sha256:<hex>` (Cairn-Data). */
  data: string;
  /** Where the metrics came from: `<db path>#<table>` (Cairn-Results). */
  results?: string;
  /** The user's description (-m), last in the subject. */
  text?: string;
  /** How `cairn run` made this experiment (Cairn-Command, Cairn-Workdir, Cairn-Exit, Cairn-Duration, Cairn-Dirty). */
  command?: RecordedCommand;
  /**
   * How a number appears in the trailers, by name; the default is the
   * shortest text that reads back as the same double.
   */
  formatNumber?: (name: string, value: number) => string;
}

/** The command `cairn run` ran, as its trailers record it. */
export interface RecordedCommand {
  /** The command line, one element per argument (Cairn-Command, a JSON array). */
  argv: string[];
  /** Where it ran, from the work-tree root (`.` for the root; Cairn-Workdir, written when not `.`). */
  workdir: string;
  /** Its exit status (Cairn-Exit). */
  exit: number;
  /** How long it ran, in seconds (Cairn-Duration, written as `12.345s`). */
  duration: number;
  /** Whether the work tree had uncommitted changes (allowed with --allow-dirty; Cairn-Dirty). */
  dirty: boolean;
}

/** One `Key: value` line of a trailer block. */
export interface Trailer {
  key: string;
  value: string;
}

/** What a tag message says, as parsed back. */
export interface ParsedTagMessage {
  subject: string;
  version?: string;
  run?: string;
  metrics: TagValues;
  params: TagValues;
  data?: string;
  results?: string;
  /** Cairn-Command: the argv `cairn run` ran (absent, or dropped as malformed: then it stays among the trailers). */
  command?: string[];
  /** Cairn-Workdir: where the command ran, from the work-tree root. */
  workdir?: string;
  /** Cairn-Exit: the command's exit status. */
  exit?: number;
  /** Cairn-Duration: how long the command ran, in seconds. */
  duration?: number;
  /** Cairn-Dirty: whether the tree had uncommitted changes when the command ran. */
  dirty?: boolean;
  /** Every trailer of the message, in order (including ones cairn does not know). */
  trailers: Trailer[];
}

/** The trailer keys of a tag message, by field: the stable names programs read (`git interpret-trailers`, parseTagMessage). */
export const TRAILER = {
  version: 'Cairn-Version',
  run: 'Cairn-Run',
  metric: 'Cairn-Metric',
  param: 'Cairn-Param',
  data: 'Cairn-Data',
  results: 'Cairn-Results',
  command: 'Cairn-Command',
  workdir: 'Cairn-Workdir',
  exit: 'Cairn-Exit',
  duration: 'Cairn-Duration',
  dirty: 'Cairn-Dirty',
} as const;

/** Limits on a recorded command line read back from a tag (committed data, possibly hostile). */
export const MAX_COMMAND_ARGS = 1000;
export const MAX_COMMAND_CHARS = 256 * 1024;

/**
 * A command line as one trailer value: a JSON array of strings, with every
 * character outside printable ASCII escaped, so the value is one line that
 * git's trailer parser and a terminal show as it is, and reads back exactly.
 */
export function renderCommand(argv: readonly string[]): string {
  return JSON.stringify(argv).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A Cairn-Command value back to an argv, or null when it is not one: a JSON
 * array of 1 to MAX_COMMAND_ARGS strings, the first non-empty, none holding
 * NUL, at most MAX_COMMAND_CHARS in all. It names a program to run, so
 * anything else is refused rather than guessed at.
 */
export function parseCommand(text: string): string[] | null {
  if (text.length > MAX_COMMAND_CHARS * 6 + 2 || !text.startsWith('[')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_COMMAND_ARGS) return null;
  let chars = 0;
  for (const arg of value) {
    if (typeof arg !== 'string' || arg.includes('\0')) return null;
    chars += arg.length;
  }
  if (value[0] === '' || chars > MAX_COMMAND_CHARS) return null;
  return value as string[];
}

/** A duration in seconds as Cairn-Duration writes it: `12.345s`. */
export function renderDuration(seconds: number): string {
  return `${(Math.round(seconds * 1000) / 1000).toFixed(3)}s`;
}

function parseDuration(text: string): number | null {
  const m = /^(\d{1,12}(?:\.\d{1,9})?)s$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Subject values longer than this are cut (the trailers keep them whole). */
const SUBJECT_VALUE_MAX = 40;

// Control characters (C0, DEL, C1), line and paragraph separators, lone surrogates.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cs}/u;
const NUMBER_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** Collapse whitespace and control characters to single spaces (for the one-line subject). */
export function oneLine(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/gu, ' ')
      .replace(/\p{Cs}/gu, '\ufffd')
      .trim()
  );
}

/** A number for people: integers whole, others to 4 significant digits. */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return String(Number(n.toPrecision(4)));
}

/** The shortest text that reads back as the same double (`-0` kept). */
export function formatExact(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/**
 * The shortest text that reads back as the same single-precision float: a
 * FLOAT column's 0.89 arrives as 0.8899999856948853 and is written 0.89.
 */
export function formatFloat32(n: number): string {
  if (!Number.isFinite(n) || Math.fround(n) !== n) return formatExact(n);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(n.toPrecision(digits));
    if (Object.is(Math.fround(candidate), n)) return formatExact(candidate);
  }
  return formatExact(n);
}

function needsQuoting(s: string): boolean {
  return s === '' || s.startsWith('"') || UNSAFE_CHAR.test(s) || /^\s|\s$/u.test(s);
}

function renderName(name: string): string {
  return needsQuoting(name) || name.includes('=') ? JSON.stringify(name) : name;
}

/** Text that is always a string (run id, results location): quoted only when it must be. */
function renderText(s: string): string {
  return needsQuoting(s) ? JSON.stringify(s) : s;
}

/** The text of a Cairn-Run or Cairn-Results trailer. */
export function parseText(text: string): string {
  const parsed = text.startsWith('"') ? parseValue(text) : text;
  return typeof parsed === 'string' ? parsed : text;
}

function renderValue(name: string, value: TagValue, formatNumber: (name: string, value: number) => string): string {
  if (typeof value === 'number') return formatNumber(name, value);
  if (typeof value === 'boolean') return String(value);
  // A string that would read back as something else (a number, a boolean) is quoted too.
  return needsQuoting(value) || parseValue(value) !== value ? JSON.stringify(value) : value;
}

/** A trailer value back to a TagValue: JSON string literal, boolean, number, or text. */
export function parseValue(text: string): TagValue {
  const c = text.charCodeAt(0);
  if (c === 0x22 /* " */) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'string') return v;
    } catch {
      // not a literal: keep the text as it is
    }
    return text;
  }
  if (((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) && NUMBER_TEXT.test(text)) return Number(text);
  switch (text) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
  }
  return text;
}

/**
 * Read the `name=value` of a Cairn-Metric or Cairn-Param trailer into
 * `values`; false when the text is not one.
 */
export function readNameValue(values: TagValues, text: string): boolean {
  if (text.charCodeAt(0) !== 0x22 /* " */) {
    const eq = text.indexOf('=');
    if (eq === -1) return false;
    setTagValue(values, text.slice(0, eq), parseValue(text.slice(eq + 1)));
    return true;
  }
  // A quoted name: the shortest JSON string literal followed by '='.
  for (let end = text.indexOf('"=', 1); end !== -1; end = text.indexOf('"=', end + 1)) {
    try {
      const name: unknown = JSON.parse(text.slice(0, end + 1));
      if (typeof name === 'string') {
        setTagValue(values, name, parseValue(text.slice(end + 2)));
        return true;
      }
    } catch {
      // the quote was inside the name: look further
    }
  }
  return false;
}

/** Set `values[name]`, as an own property even for `__proto__`. */
export function setTagValue(values: TagValues, name: string, value: TagValue): void {
  if (name === '__proto__') Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
  else values[name] = value;
}

function subjectPart(name: string, value: TagValue): string {
  let shown = typeof value === 'number' ? formatCompact(value) : oneLine(String(value));
  const chars = Array.from(shown);
  if (chars.length > SUBJECT_VALUE_MAX) shown = chars.slice(0, SUBJECT_VALUE_MAX - 1).join('') + '…';
  return `${oneLine(name)}=${shown}`;
}

/** The one-line subject: params, metrics, data, text. */
export function renderSubject(fields: TagMessageFields): string {
  const parts = [
    ...Object.entries(fields.params ?? {}).map(([k, v]) => subjectPart(k, v)),
    ...Object.entries(fields.metrics ?? {}).map(([k, v]) => subjectPart(k, v)),
    `data=${shortHash(fields.data)}`,
  ];
  const text = oneLine(fields.text ?? '');
  if (text) parts.push(text);
  // git takes a first line starting with "---" for the start of a patch and
  // would then find no trailers at all.
  return parts.join(' | ').replace(/^-+/, (dashes) => '_'.repeat(dashes.length));
}

/** The whole message: subject, blank line, trailers, final newline. */
export function renderTagMessage(fields: TagMessageFields): string {
  const formatNumber = fields.formatNumber ?? ((_name: string, n: number) => formatExact(n));
  const line = (key: string, value: string): string => `${key}: ${value}`;
  const pairs = (key: string, values: TagValues | undefined): string[] =>
    Object.entries(values ?? {}).map(([k, v]) => line(key, `${renderName(k)}=${renderValue(k, v, formatNumber)}`));
  const trailers = [
    line(TRAILER.version, oneLine(fields.version)),
    ...(fields.run !== undefined ? [line(TRAILER.run, renderText(fields.run))] : []),
    ...pairs(TRAILER.metric, fields.metrics),
    ...pairs(TRAILER.param, fields.params),
    line(TRAILER.data, oneLine(fields.data)),
    ...(fields.results !== undefined ? [line(TRAILER.results, renderText(fields.results))] : []),
    ...(fields.command ? commandTrailers(fields.command).map(([k, v]) => line(k, v)) : []),
  ];
  return `${renderSubject(fields)}\n\n${trailers.join('\n')}\n`;
}

/** The trailers of a recorded command, in order (Cairn-Workdir only when it is not the root). */
export function commandTrailers(command: RecordedCommand): [string, string][] {
  return [
    [TRAILER.command, renderCommand(command.argv)],
    ...(command.workdir !== '.' && command.workdir !== '' ? [[TRAILER.workdir, renderText(command.workdir)] as [string, string]] : []),
    [TRAILER.exit, String(command.exit)],
    [TRAILER.duration, renderDuration(command.duration)],
    [TRAILER.dirty, String(command.dirty)],
  ];
}

const TOKEN = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Trim what git trims: ASCII whitespace. */
function trimAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isAsciiSpace(s.charCodeAt(a))) a++;
  while (b > a && isAsciiSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * The trailers of a message, read the way `git interpret-trailers --parse`
 * reads them: the last paragraph (never the first), and only when every line
 * of it is a `Key: value` line or a continuation of one (folded with a space).
 * Written with plain string scans: `cairn tags` runs it cold on every tag.
 */
export function parseTrailers(message: string): Trailer[] {
  const signature = message.indexOf('\n-----BEGIN ');
  const body = signature === -1 ? message : message.slice(0, signature + 1);
  const lines = (body.includes('\r') ? body.replace(/\r\n/g, '\n') : body).split('\n');
  let end = lines.length;
  while (end > 0 && trimAscii(lines[end - 1]!) === '') end--;
  let start = end;
  while (start > 0 && trimAscii(lines[start - 1]!) !== '') start--;
  // The first paragraph is the subject: trailers come after a blank line.
  let firstBlank = 0;
  while (firstBlank < end && trimAscii(lines[firstBlank]!) !== '') firstBlank++;
  if (start <= firstBlank) return [];
  const trailers: Trailer[] = [];
  for (let i = start; i < end; i++) {
    const line = lines[i]!;
    const first = line.charCodeAt(0);
    if ((first === 32 || first === 9) && trailers.length) {
      trailers[trailers.length - 1]!.value += ' ' + trimAscii(line);
      continue;
    }
    const colon = line.indexOf(':');
    const key = colon === -1 ? '' : trimAscii(line.slice(0, colon));
    if (!TOKEN.test(key)) return [];
    trailers.push({ key, value: trimAscii(line.slice(colon + 1)) });
  }
  return trailers;
}

/** What the Cairn-* trailers of a message say. */
export type CairnTrailers = Omit<ParsedTagMessage, 'subject' | 'trailers'>;

/** An empty CairnTrailers to fold trailers into. */
export function emptyCairnTrailers(): CairnTrailers {
  return { metrics: {}, params: {} };
}

const CANONICAL_KEYS = new Map(Object.values(TRAILER).map((k) => [k.toLowerCase(), k]));

/**
 * Fold one trailer into `out`; false when it is not a Cairn-* trailer.
 * (Called once per trailer of every tag by `cairn tags`: kept to plain
 * comparisons.)
 */
export function applyTrailer(out: CairnTrailers, key: string, value: string): boolean {
  switch (key) {
    case TRAILER.version:
      out.version = value;
      return true;
    case TRAILER.run:
      out.run = parseText(value);
      return true;
    case TRAILER.data:
      out.data = value;
      return true;
    case TRAILER.results:
      out.results = parseText(value);
      return true;
    case TRAILER.metric:
      readNameValue(out.metrics, value);
      return true;
    case TRAILER.param:
      readNameValue(out.params, value);
      return true;
    case TRAILER.command: {
      // Malformed: not read, so it stays among the other trailers for whoever asks why.
      const argv = parseCommand(value);
      if (argv) out.command = argv;
      return argv !== null;
    }
    case TRAILER.workdir:
      out.workdir = parseText(value);
      return true;
    case TRAILER.exit:
      if (!/^-?\d{1,4}$/.test(value)) return false;
      out.exit = Number(value);
      return true;
    case TRAILER.duration: {
      const seconds = parseDuration(value);
      if (seconds !== null) out.duration = seconds;
      return seconds !== null;
    }
    case TRAILER.dirty:
      if (value !== 'true' && value !== 'false') return false;
      out.dirty = value === 'true';
      return true;
  }
  // Trailer keys are case-insensitive.
  const canonical = CANONICAL_KEYS.get(key.toLowerCase());
  return canonical !== undefined && applyTrailer(out, canonical, value);
}

/** Interpret a list of trailers (from parseTrailers). */
export function interpretTrailers(trailers: readonly Trailer[]): CairnTrailers {
  const out = emptyCairnTrailers();
  for (const { key, value } of trailers) applyTrailer(out, key, value);
  return out;
}

/** Read a tag message back: its subject and what its Cairn-* trailers say. */
export function parseTagMessage(message: string): ParsedTagMessage {
  const trailers = parseTrailers(message);
  return { subject: message.split('\n', 1)[0]!.trim(), ...interpretTrailers(trailers), trailers };
}
