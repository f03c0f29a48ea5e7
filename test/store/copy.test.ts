import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Cache, hashBytes } from '../../src/index.js';
import { copyFileBytes } from '../../src/store/copy.js';
import { tempDir } from '../helpers/repo.js';

// Larger than the 1 MiB a small object may be, and not a multiple of a block.
const big = (): Buffer => randomBytes(3 * 1024 * 1024 + 12345);

describe('copyFileBytes', () => {
  it('creates the destination with every byte of the source and the mode asked for', async () => {
    const dir = tempDir();
    const data = big();
    fs.writeFileSync(path.join(dir, 'src.bin'), data, { mode: 0o444 });
    // 0o666 is narrowed by a usual umask (022) unless the mode is set exactly, as a reflink's is.
    await copyFileBytes(path.join(dir, 'src.bin'), path.join(dir, 'out.bin'), 0o666);
    expect(fs.readFileSync(path.join(dir, 'out.bin')).equals(data)).toBe(true);
    expect(fs.statSync(path.join(dir, 'out.bin')).mode & 0o777).toBe(0o666);
  });

  it('refuses an existing destination and leaves it as it was', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'src.bin'), big());
    fs.writeFileSync(path.join(dir, 'out.bin'), 'keep me');
    await expect(copyFileBytes(path.join(dir, 'src.bin'), path.join(dir, 'out.bin'), 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.readFileSync(path.join(dir, 'out.bin'), 'utf8')).toBe('keep me');
  });

  it('reports a missing source and creates nothing', async () => {
    const dir = tempDir();
    await expect(copyFileBytes(path.join(dir, 'nope.bin'), path.join(dir, 'out.bin'), 0o644)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.existsSync(path.join(dir, 'out.bin'))).toBe(false);
  });
});

describe('Cache.storeCopy (a local remote or another cache)', () => {
  it('stores a large file under its hash, read-only, and records it as verified', async () => {
    const dir = tempDir();
    const data = big();
    const src = path.join(dir, 'obj');
    fs.writeFileSync(src, data);
    const cache = new Cache(path.join(dir, 'cache'));
    const hash = hashBytes(data);
    const stored = await cache.storeCopy(src, hash);
    expect(stored).toEqual({ hash, size: data.length });
    expect(fs.readFileSync(cache.objectPath(hash)).equals(data)).toBe(true);
    expect(fs.statSync(cache.objectPath(hash)).mode & 0o222).toBe(0);
    expect(cache.verified.has(hash, fs.statSync(cache.objectPath(hash), { bigint: true }))).toBe(true);
    expect(fs.readdirSync(cache.tmpDir)).toEqual([]);
  });

  it('refuses bytes that do not match the expected hash, and leaves no object or temp file', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'obj');
    fs.writeFileSync(src, big());
    const cache = new Cache(path.join(dir, 'cache'));
    const claimed = hashBytes('something else');
    await expect(cache.storeCopy(src, claimed)).rejects.toMatchObject({ exitCode: 8 });
    expect(cache.has(claimed)).toBe(false);
    expect(cache.listObjects()).toEqual([]);
    expect(fs.readdirSync(cache.tmpDir)).toEqual([]);
  });
});
