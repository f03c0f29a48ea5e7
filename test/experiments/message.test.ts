import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCompact,
  formatExact,
  formatFloat32,
  interpretTrailers,
  MAX_COMMAND_ARGS,
  MAX_COMMAND_CHARS,
  oneLine,
  parseCommand,
  parseTagMessage,
  parseTrailers,
  renderTagMessage,
  type TagMessageFields,
  type TagValue,
  type Trailer,
} from '../../src/experiments/message.js';
import { tempDir } from '../helpers/repo.js';

const DATA = 'sha256:3a2f1b' + 'c'.repeat(58);
const cwd = tempDir();

/** What git itself reads from a message: `git interpret-trailers --parse`. */
function gitTrailers(message: string): Trailer[] {
  const out = execFileSync('git', ['interpret-trailers', '--parse'], { cwd, input: message, encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(': ');
      return { key: line.slice(0, at), value: line.slice(at + 2) };
    });
}

const example: TagMessageFields = {
  version: 'e0.2.0',
  run: 'brave-otter-0042',
  params: { model: 'bert-base', lr: 0.0001 },
  metrics: { f1: 0.89 },
  data: DATA,
  results: 'results/experiments.db#predictions',
  text: 'sweep winner',
};

describe('the tag message (golden)', () => {
  it('renders the tag message of docs/FORMATS.md: subject with params, metrics, data and text; then the trailers', () => {
    expect(renderTagMessage(example)).toBe(
      [
        'model=bert-base | lr=0.0001 | f1=0.89 | data=3a2f1bcccccc | sweep winner',
        '',
        'Cairn-Version: e0.2.0',
        'Cairn-Run: brave-otter-0042',
        'Cairn-Metric: f1=0.89',
        'Cairn-Param: model=bert-base',
        'Cairn-Param: lr=0.0001',
        `Cairn-Data: ${DATA}`,
        'Cairn-Results: results/experiments.db#predictions',
        '',
      ].join('\n'),
    );
  });

  it('without results: only the data fingerprint and the description', () => {
    const message = renderTagMessage({ version: 'e0.1.0', data: DATA, text: 'baseline' });
    expect(message).toBe(`data=3a2f1bcccccc | baseline\n\nCairn-Version: e0.1.0\nCairn-Data: ${DATA}\n`);
    expect(parseTagMessage(message)).toMatchObject({ version: 'e0.1.0', data: DATA, metrics: {}, params: {} });
  });

  it('parses back what it renders', () => {
    const parsed = parseTagMessage(renderTagMessage(example));
    expect(parsed).toMatchObject({
      subject: 'model=bert-base | lr=0.0001 | f1=0.89 | data=3a2f1bcccccc | sweep winner',
      version: 'e0.2.0',
      run: 'brave-otter-0042',
      metrics: { f1: 0.89 },
      params: { model: 'bert-base', lr: 0.0001 },
      data: DATA,
      results: 'results/experiments.db#predictions',
    });
  });

  it('reads the same trailers as git interpret-trailers --parse', () => {
    const message = renderTagMessage(example);
    const fromGit = gitTrailers(message);
    expect(fromGit.map((t) => t.key)).toEqual(['Cairn-Version', 'Cairn-Run', 'Cairn-Metric', 'Cairn-Param', 'Cairn-Param', 'Cairn-Data', 'Cairn-Results']);
    expect(parseTrailers(message)).toEqual(fromGit);
  });
});

describe('numbers', () => {
  it('are compact in the subject: integers whole, others to 4 significant digits', () => {
    expect(formatCompact(0.891234)).toBe('0.8912');
    expect(formatCompact(12)).toBe('12');
    expect(formatCompact(123456789)).toBe('123456789');
    expect(formatCompact(1234.5678)).toBe('1235');
    expect(formatCompact(0.0001)).toBe('0.0001');
    expect(formatCompact(1.23456e-7)).toBe('1.235e-7');
    expect(formatCompact(NaN)).toBe('NaN');
  });

  it('are exact in the trailers: the shortest text that reads back the same', () => {
    expect(formatExact(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatExact(-0)).toBe('-0');
    expect(formatExact(1e21)).toBe('1e+21');
  });

  it('from single-precision columns, as short as float32 allows', () => {
    const f = Math.fround(0.89);
    expect(String(f)).toBe('0.8899999856948853');
    expect(formatFloat32(f)).toBe('0.89');
    expect(Math.fround(Number(formatFloat32(f)))).toBe(f);
    expect(formatFloat32(0.1)).toBe('0.1'); // not a float32 value: left exact
    const float32 = fc.oneof(fc.constantFrom(-0, 0, Math.fround(3.4e38), Math.fround(1e-45)), fc.float({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(float32, (x) => {
        expect(Math.fround(Number(formatFloat32(x)))).toBe(x);
        expect(formatFloat32(x).length).toBeLessThanOrEqual(formatExact(x).length);
      }),
    );
  });

  it('round-trip through the trailers with a per-column format', () => {
    const message = renderTagMessage({
      version: 'e1.0.0',
      data: DATA,
      metrics: { acc: Math.fround(0.75), loss: 0.1 + 0.2 },
      formatNumber: (name, n) => (name === 'acc' ? formatFloat32(n) : formatExact(n)),
    });
    expect(message).toContain('Cairn-Metric: acc=0.75\n');
    expect(parseTagMessage(message).metrics).toEqual({ acc: 0.75, loss: 0.30000000000000004 });
  });
});

describe('hostile text never adds a trailer', () => {
  it('a description with newlines and a trailer-looking line stays in the subject', () => {
    const message = renderTagMessage({
      version: 'e0.3.0',
      data: DATA,
      text: 'good run\n\nCairn-Metric: acc=1\nSigned-off-by: mallory',
    });
    expect(message.split('\n')[0]).toBe('data=3a2f1bcccccc | good run Cairn-Metric: acc=1 Signed-off-by: mallory');
    expect(gitTrailers(message)).toEqual([
      { key: 'Cairn-Version', value: 'e0.3.0' },
      { key: 'Cairn-Data', value: DATA },
    ]);
    expect(parseTagMessage(message).metrics).toEqual({});
  });

  it('names and values with newlines, quotes and "=" are quoted, and read back whole', () => {
    const metrics = { 'a\nCairn-Metric: x': 1, 'k=v': 2, '"q"': 3, ' padded ': 4 };
    const params = { note: 'line1\nCairn-Param: evil=1', empty: '', num: '42', yes: 'true', quote: '"hi"' };
    const message = renderTagMessage({ version: 'e0.4.0', data: DATA, metrics, params });
    const fromGit = gitTrailers(message);
    expect(fromGit.filter((t) => t.key === 'Cairn-Metric')).toHaveLength(4);
    expect(fromGit.filter((t) => t.key === 'Cairn-Param')).toHaveLength(5);
    expect(message).toContain('Cairn-Param: num="42"\n');
    expect(interpretTrailers(fromGit)).toMatchObject({ metrics, params });
    expect(message.split('\n')[0]).not.toContain('\n');
  });

  it('a subject that would start with "---" (a patch, to git) is defused', () => {
    const message = renderTagMessage({ version: 'e0.5.0', data: DATA, params: { '--- x': 1 } });
    expect(message.startsWith('___ x=1 |')).toBe(true);
    expect(gitTrailers(message).map((t) => t.key)).toEqual(['Cairn-Version', 'Cairn-Param', 'Cairn-Data']);
  });

  it('collapses whitespace and control characters in the subject', () => {
    expect(oneLine(' a\r\n\tb\u0000c\u2028d  ')).toBe('a b c d');
  });
});

const name = fc.string({ unit: 'binary', maxLength: 12 });
const value: fc.Arbitrary<TagValue> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('0.5', 'NaN', 'true', '-0', ' x', '"', 'a=b', '1e5'),
);
const valueMap = fc
  .uniqueArray(fc.tuple(name, value), { selector: ([k]) => k, maxLength: 8 })
  .map((entries) => Object.fromEntries(entries) as Record<string, TagValue>);

describe('properties', () => {
  it('any metrics and params maps render and parse back', () => {
    fc.assert(
      fc.property(valueMap, valueMap, fc.string({ unit: 'binary' }), (metrics, params, text) => {
        const parsed = parseTagMessage(renderTagMessage({ version: 'e0.1.0', data: DATA, metrics, params, text }));
        expect(parsed.metrics).toEqual(metrics);
        expect(parsed.params).toEqual(params);
        expect(parsed.version).toBe('e0.1.0');
        expect(parsed.data).toBe(DATA);
        expect(parsed.subject).not.toMatch(/[\n\r]/);
      }),
      { numRuns: 300 },
    );
  });

  it('git reads exactly the trailers cairn wrote (through git interpret-trailers)', () => {
    fc.assert(
      fc.property(valueMap, valueMap, fc.string({ unit: 'binary' }), (metrics, params, text) => {
        const message = renderTagMessage({ version: 'e0.1.0', run: 'r-1', data: DATA, metrics, params, text });
        const fromGit = gitTrailers(message);
        expect(fromGit).toHaveLength(3 + Object.keys(metrics).length + Object.keys(params).length);
        expect(parseTrailers(message)).toEqual(fromGit);
        expect(interpretTrailers(fromGit)).toMatchObject({ metrics, params, run: 'r-1' });
      }),
      { numRuns: 60 },
    );
  });
});

describe('the run trailers (cairn run)', () => {
  const command = { argv: ['python3', 'train.py', '--name', 'tab\there', 'café', '"q"'], workdir: 'src/train', exit: 0, duration: 12.3456, dirty: true };

  it('renders one plain ASCII line per trailer and reads back exactly', () => {
    const message = renderTagMessage({ version: 'e0.2.0', data: 'sha256:ab', command });
    expect(message).toContain('Cairn-Command: ["python3","train.py","--name","tab\\there","caf\\u00e9","\\"q\\""]\n');
    expect(message).toContain('Cairn-Workdir: src/train\nCairn-Exit: 0\nCairn-Duration: 12.346s\nCairn-Dirty: true\n');
    for (const line of message.split('\n')) expect(line).toMatch(/^[\x20-\x7e]*$/);
    const parsed = parseTagMessage(message);
    expect(parsed).toMatchObject({ command: command.argv, workdir: 'src/train', exit: 0, duration: 12.346, dirty: true });
    expect(renderTagMessage({ version: 'e0.2.0', data: 'sha256:ab', command: { ...command, workdir: '.' } })).not.toContain('Cairn-Workdir');
  });

  it.each([
    ['not JSON', 'python3 train.py; rm -rf ~'],
    ['an empty array', '[]'],
    ['an empty program', '["", "x"]'],
    ['not strings', '["python3", 5]'],
    ['an object', '{"argv": ["python3"]}'],
    ['a NUL', '["python3", "a\\u0000b"]'],
    ['too many arguments', JSON.stringify(Array.from({ length: MAX_COMMAND_ARGS + 1 }, () => 'x'))],
    ['too long', JSON.stringify(['x', 'y'.repeat(MAX_COMMAND_CHARS)])],
  ])('a Cairn-Command that is %s is no command: left among the other trailers', (_what, value) => {
    expect(parseCommand(value)).toBeNull();
    const parsed = parseTagMessage(`s\n\nCairn-Version: e0.1.0\nCairn-Command: ${value}\n`);
    expect(parsed.command).toBeUndefined();
  });

  it('other run trailers that do not parse are not read', () => {
    const parsed = parseTagMessage('s\n\nCairn-Version: e0.1.0\nCairn-Exit: zero\nCairn-Duration: 5 minutes\nCairn-Dirty: maybe\n');
    expect(parsed.exit).toBeUndefined();
    expect(parsed.duration).toBeUndefined();
    expect(parsed.dirty).toBeUndefined();
  });
});
