/**
 * A large object comes down from S3 as ranges fetched several at once and
 * handed out in order (a real s3rver on loopback): the cache gets exactly
 * the object's bytes, an empty object still arrives, and an object damaged
 * on the server is refused whole, with nothing left in the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { Cache } from '../../src/store/cache.js';
import { FolderStore } from '../../src/store/folderStore.js';
import { transfer } from '../../src/store/transfer.js';
import { S3Remote } from '../../src/remote/s3Remote.js';
import { startS3, S3_KEY, S3_SECRET, type S3Server } from '../helpers/s3.js';
import { tempDir } from '../helpers/repo.js';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
});

let prefixes = 0;
async function remote(): Promise<S3Remote> {
  const prefix = `ranges${++prefixes}`;
  const r = await S3Remote.open(
    'origin',
    { url: `s3://${s3.bucket}/${prefix}`, endpoint: s3.endpoint, accessKeyId: S3_KEY, secretAccessKey: S3_SECRET },
    { bucket: s3.bucket, prefix },
  );
  r.rangeSize = 64 * 1024; // a 1 MiB object is then 16 ranges
  return r;
}

function cacheWith(contents: Buffer[]): { store: FolderStore; cache: Cache; refs: { hash: string; size: number }[] } {
  const cache = new Cache(path.join(tempDir(), 'cache'));
  return { store: FolderStore.ofCache(cache), cache, refs: contents.map((c) => cache.storeBytes(c)) };
}

describe('S3 downloads in ranges', () => {
  it('brings a large object down whole and verified, and an empty one too', async () => {
    const big = Buffer.alloc(1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const a = cacheWith([big, Buffer.alloc(0)]);
    const s = await remote();
    try {
      expect((await transfer(a.store, s, a.refs, { jobs: 2 })).transferred.length).toBe(2);
      const b = cacheWith([]);
      const r = await transfer(s, b.store, a.refs, { jobs: 2 });
      expect(r.failed.size).toBe(0);
      expect(b.cache.readObject(a.refs[0]!.hash).equals(big)).toBe(true);
      expect(b.cache.readObject(a.refs[1]!.hash).length).toBe(0);
    } finally {
      s.close();
    }
  });

  it('refuses an object damaged on the server, leaving nothing in the cache', async () => {
    const big = Buffer.alloc(512 * 1024 + 1, 3);
    const a = cacheWith([big]);
    const s = await remote();
    try {
      await transfer(a.store, s, a.refs, { jobs: 1 });
      const hex = a.refs[0]!.hash.slice(7);
      const file = path.join(s3.dir, s3.bucket, `ranges${prefixes}`, 'objects', hex.slice(0, 2), `${hex.slice(2)}._S3rver_object`);
      const damaged = Buffer.from(big);
      damaged[300 * 1024] = 9; // in a middle range
      fs.writeFileSync(file, damaged);
      fs.rmSync(`${file}.md5`, { force: true });
      const b = cacheWith([]);
      const r = await transfer(s, b.store, a.refs, { jobs: 1 });
      expect(r.failed.get(a.refs[0]!.hash)).toBeInstanceOf(IntegrityError);
      expect(b.cache.has(a.refs[0]!.hash)).toBe(false);
      expect(fs.existsSync(b.cache.tmpDir) ? fs.readdirSync(b.cache.tmpDir) : []).toEqual([]);
    } finally {
      s.close();
    }
  });
});
