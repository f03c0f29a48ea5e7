import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cache, hashBytes } from '../../src/index.js';
import { tempDir } from '../helpers/repo.js';

/** A cache in a new folder (records are only ever written into a cache folder that exists). */
function newCache(dir: string): Cache {
  fs.mkdirSync(path.join(dir, 'cache'), { recursive: true });
  return new Cache(path.join(dir, 'cache'));
}

/** A file whose content is `text`, last modified a minute ago (so not "racy"). */
function oldFile(file: string, text: string): fs.BigIntStats {
  fs.writeFileSync(file, text);
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(file, past, past);
  return fs.statSync(file, { bigint: true });
}

describe('verified.db records', () => {
  it('are kept for a file unchanged since the stat taken before it was read', () => {
    const dir = tempDir();
    const cache = newCache(dir);
    const before = oldFile(path.join(dir, 'a'), 'a\n');
    cache.verified.record(hashBytes('a\n'), path.join(dir, 'a'), before);
    expect(cache.verified.has(hashBytes('a\n'), fs.statSync(path.join(dir, 'a'), { bigint: true }))).toBe(true);
    // A second handle reads what the first wrote.
    expect(new Cache(path.join(dir, 'cache')).verified.has(hashBytes('a\n'), before)).toBe(true);
  });

  it('are not kept for a file written to after that stat', () => {
    const dir = tempDir();
    const cache = newCache(dir);
    const before = oldFile(path.join(dir, 'a'), 'a\n');
    fs.writeFileSync(path.join(dir, 'a'), 'b\n');
    cache.verified.record(hashBytes('a\n'), path.join(dir, 'a'), before);
    expect(cache.verified.has(hashBytes('a\n'), fs.statSync(path.join(dir, 'a'), { bigint: true }), { ctime: false })).toBe(false);
  });

  it('give the same answers one by one and past the bulk read (64 lookups)', () => {
    const dir = tempDir();
    const cache = newCache(dir);
    const stats = new Map<string, fs.BigIntStats>();
    for (let i = 0; i < 100; i++) {
      const file = path.join(dir, `f${i}`);
      stats.set(hashBytes(`${i}\n`), oldFile(file, `${i}\n`));
      cache.verified.recordLater(hashBytes(`${i}\n`), file, stats.get(hashBytes(`${i}\n`)));
    }
    cache.verified.flush();
    const reader = new Cache(path.join(dir, 'cache')).verified;
    const answers = [...stats].map(([hash, st]) => reader.has(hash, st));
    expect(answers.every(Boolean)).toBe(true);
    expect(reader.has(hashBytes('not recorded'), stats.get(hashBytes('1\n'))!)).toBe(false);
  });

  it('are forgotten on request, and never written into a cache folder that has gone', () => {
    const dir = tempDir();
    const cacheDir = path.join(dir, 'cache');
    const cache = newCache(dir);
    const before = oldFile(path.join(dir, 'a'), 'a\n');
    cache.verified.record(hashBytes('a\n'), path.join(dir, 'a'), before);
    cache.verified.forget([hashBytes('a\n')]);
    expect(new Cache(cacheDir).verified.has(hashBytes('a\n'), before)).toBe(false);

    cache.verified.recordLater(hashBytes('a\n'), path.join(dir, 'a'), before);
    cache.verified.close();
    fs.rmSync(cacheDir, { recursive: true });
    const late = new Cache(cacheDir);
    late.verified.recordLater(hashBytes('a\n'), path.join(dir, 'a'), before);
    late.verified.flush(); // as the exit hook would
    expect(fs.existsSync(cacheDir)).toBe(false);
  });
});
