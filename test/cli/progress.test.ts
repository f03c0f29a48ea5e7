import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { terminalProgress, throughput } from '../../src/cli/progress.js';
import { silentProgress } from '../../src/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(stream, { isTTY, columns: 100, rows: 30, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, text: () => written });
  return stream;
}

const saved = { CI: process.env.CI, NO: process.env.CAIRN_NO_PROGRESS };
afterEach(() => {
  process.env.CI = saved.CI;
  process.env.CAIRN_NO_PROGRESS = saved.NO;
  if (saved.CI === undefined) delete process.env.CI;
  if (saved.NO === undefined) delete process.env.CAIRN_NO_PROGRESS;
});

describe('progress bars', () => {
  it('draw on a terminal for large work', () => {
    delete process.env.CI;
    delete process.env.CAIRN_NO_PROGRESS;
    const stream = fakeStream(true);
    const p = terminalProgress(stream);
    p.start('hashing big.bin', 512 * 1024 * 1024, 'B');
    p.tick(256 * 1024 * 1024);
    p.stop();
    expect(stream.text()).toContain('hashing big.bin');
  });

  it('draw nothing when piped, or for small work', () => {
    delete process.env.CI;
    delete process.env.CAIRN_NO_PROGRESS;
    expect(terminalProgress(fakeStream(false))).toBe(silentProgress);
    const stream = fakeStream(true);
    const p = terminalProgress(stream);
    p.start('hashing small', 1024, 'B');
    p.tick(1024);
    p.stop();
    expect(stream.text()).toBe('');
  });

  it('a byte count shows the throughput so far (push, pull, fetch, verify)', () => {
    delete process.env.CI;
    delete process.env.CAIRN_NO_PROGRESS;
    const stream = fakeStream(true);
    let clock = 0;
    const p = terminalProgress(stream, () => clock);
    p.start('pushing to store', 512 * 1024 * 1024, 'B');
    clock = 2000;
    p.tick(256 * 1024 * 1024);
    p.stop();
    expect(stream.text()).toContain('256 MiB/512 MiB, 128 MiB/s');
  });

  it('throughput says nothing in the first half second, then bytes per second', () => {
    expect(throughput(1024, 100)).toBe('');
    expect(throughput(3 * 1024 * 1024, 1500)).toBe('2.0 MiB/s');
    expect(throughput(100, 1000)).toBe('100 B/s');
  });
});
