/**
 * transfer(from, to, objects): only what `to` lacks moves, each object is
 * verified by the receiving store before it is named, and failures are
 * reported per object. Real stores in temp folders: the cache's
 * FolderStore, a folder remote, and a store that hands out only streams
 * (as S3 does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError } from '../../src/errors.js';
import { Cache } from '../../src/store/cache.js';
import { FolderStore } from '../../src/store/folderStore.js';
import { hashBytes } from '../../src/store/hash.js';
import type { ObjectStore } from '../../src/store/objectStore.js';
import { transfer } from '../../src/store/transfer.js';
import { LocalRemote } from '../../src/remote/localRemote.js';
import { tempDir } from '../helpers/repo.js';

/** A cache store in a fresh folder, holding `contents`. */
function storeWith(contents: (string | Buffer)[]): { store: FolderStore; cache: Cache; refs: { hash: string; size: number }[] } {
  const cache = new Cache(path.join(tempDir(), 'cache'));
  const refs = contents.map((c) => ({ ...cache.storeBytes(Buffer.from(c)) }));
  return { store: FolderStore.ofCache(cache), cache, refs };
}

/** Overwrite an object's bytes in place (as disk damage or a hostile remote would). */
function tamper(cache: Cache, hash: string, bytes: string | Buffer): void {
  const file = cache.objectPath(hash);
  fs.chmodSync(file, 0o644);
  fs.writeFileSync(file, bytes);
}

/** A store that hands out only streams (no local file), like an S3 remote. */
function streamOnly(inner: FolderStore): ObjectStore {
  return {
    name: 'streams',
    inventory: (objects) => inner.inventory(objects),
    read: async (hash) => Readable.from([fs.readFileSync(inner.localFile(hash) ?? '/nonexistent')]),
    put: () => Promise.reject(new Error('read-only')),
    flush: async () => {},
    close: () => {},
  };
}

function remoteStore(): LocalRemote {
  const dir = path.join(tempDir(), 'remote');
  fs.mkdirSync(dir);
  return new LocalRemote('origin', dir, dir);
}

describe('transfer', () => {
  it('moves only what the other store lacks; a second run moves nothing', async () => {
    const a = storeWith(['one', 'two', 'three']);
    const remote = remoteStore();
    const first = await transfer(a.store, remote, a.refs, { jobs: 4 });
    expect(first.transferred.sort()).toEqual(a.refs.map((r) => r.hash).sort());
    expect(first.bytes).toBe(3 + 3 + 5);
    expect(first.failed.size).toBe(0);
    for (const r of a.refs) expect(remote.cache.readObject(r.hash).length).toBe(r.size);
    const again = await transfer(a.store, remote, a.refs, { jobs: 4 });
    expect(again.transferred).toEqual([]);
    expect([...again.present].sort()).toEqual(a.refs.map((r) => r.hash).sort());
  });

  it('reports objects the source lacks or holds damaged, per object, and still moves the rest', async () => {
    const a = storeWith(['good', 'damaged']);
    tamper(a.cache, a.refs[1]!.hash, 'DAMAGED');
    const absent = { hash: hashBytes('never stored'), size: 12 };
    const b = storeWith([]);
    const r = await transfer(a.store, b.store, [...a.refs, absent], { jobs: 2 });
    expect(r.transferred).toEqual([a.refs[0]!.hash]);
    expect(r.failed.get(absent.hash)).toBeInstanceOf(NotFoundError);
    expect(r.failed.get(a.refs[1]!.hash)).toBeInstanceOf(IntegrityError);
    // The damaged bytes were never named in the receiving store.
    expect(b.cache.has(a.refs[1]!.hash)).toBe(false);
    expect(b.cache.has(a.refs[0]!.hash)).toBe(true);
  });

  it('refuses a large object whose bytes do not match, from a file or a stream, leaving no temp file', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 1);
    const a = storeWith([big]);
    tamper(a.cache, a.refs[0]!.hash, Buffer.alloc(big.length, 2));
    for (const from of [a.store, streamOnly(a.store)]) {
      const b = storeWith([]);
      const r = await transfer(from, b.store, a.refs, { jobs: 1 });
      expect(r.failed.get(a.refs[0]!.hash)).toBeInstanceOf(IntegrityError);
      expect(b.cache.has(a.refs[0]!.hash)).toBe(false);
      expect(fs.existsSync(b.cache.tmpDir) ? fs.readdirSync(b.cache.tmpDir) : []).toEqual([]);
    }
  });

  it('takes large and small objects from a store that only streams (S3), verified', async () => {
    const a = storeWith([Buffer.alloc(2 * 1024 * 1024, 7), 'small']);
    const b = storeWith([]);
    const r = await transfer(streamOnly(a.store), b.store, a.refs, { jobs: 2 });
    expect(r.transferred.length).toBe(2);
    for (const ref of a.refs) expect(b.cache.readObject(ref.hash).length).toBe(ref.size);
  });

  it('sends `last` only after the rest, and not at all when any of the rest failed', async () => {
    const a = storeWith(['file', 'manifest']);
    const [file, manifest] = a.refs as [{ hash: string; size: number }, { hash: string; size: number }];
    const absent = { hash: hashBytes('lost'), size: 4 };
    const remote = remoteStore();
    const failed = await transfer(a.store, remote, [manifest, file, absent], { jobs: 2, last: new Set([manifest.hash]) });
    expect(failed.skipped).toEqual([manifest.hash]);
    expect(remote.cache.has(manifest.hash)).toBe(false);
    expect(remote.cache.has(file.hash)).toBe(true);
    const ok = await transfer(a.store, remote, [manifest, file], { jobs: 2, last: new Set([manifest.hash]) });
    expect(ok.transferred).toEqual([manifest.hash]);
    expect(remote.cache.has(manifest.hash)).toBe(true);
  });

  it('replaces an object the receiver holds with a wrong size; with verify, one with wrong bytes of the right size', async () => {
    const a = storeWith(['abcdef', 'ghijkl']);
    const remote = remoteStore();
    await transfer(a.store, remote, a.refs, { jobs: 2 });
    tamper(remote.cache, a.refs[0]!.hash, 'abc'); // truncated
    tamper(remote.cache, a.refs[1]!.hash, 'XXXXXX'); // right size, wrong bytes
    const plain = await transfer(a.store, remote, a.refs, { jobs: 2 });
    expect(plain.transferred).toEqual([a.refs[0]!.hash]);
    expect([...plain.damaged]).toEqual([a.refs[0]!.hash]);
    const verified = await transfer(a.store, remote, a.refs, { jobs: 2, verify: true });
    expect(verified.transferred).toEqual([a.refs[1]!.hash]);
    for (const r of a.refs) expect(remote.cache.readObject(r.hash).length).toBe(r.size);
  });

  it('a folder remote that is not there is an error, not an empty store', async () => {
    const a = storeWith(['x']);
    const gone = path.join(tempDir(), 'not-mounted');
    await expect(transfer(a.store, new LocalRemote('nfs', gone, gone), a.refs, { jobs: 1 })).rejects.toThrow(/not reachable/);
    expect(fs.existsSync(gone)).toBe(false);
  });
});
