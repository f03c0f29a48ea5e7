import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { addArtifacts, checkout, init, openRepo, status, untrack, verify, type LinkType } from '../../src/index.js';
import { gitRepo, type TestRepo } from '../helpers/repo.js';

async function repoWithLink(link: LinkType): Promise<TestRepo> {
  const repo = gitRepo();
  await init(repo.dir);
  repo.write('.cairn/config.json', JSON.stringify({ cache: { link } }, null, 2));
  return repo;
}

function makeDb(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE predictions (track_id TEXT, f1 REAL); INSERT INTO predictions VALUES (\'a\', 0.5)');
  db.close();
}

describe.each(['copy', 'reflink', 'hardlink', 'symlink'] as const)('link type %s', (link) => {
  it('checks out files that match the cache, and cache objects stay read-only', async () => {
    const repo = await repoWithLink(link);
    repo.write('data/x.txt', 'x-content\n');
    repo.write('model.bin', Buffer.alloc(2 * 1024 * 1024, 3));
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data', 'model.bin'] });
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash as string;
    const obj = r.cache.objectPath(hash);
    expect(fs.statSync(obj).mode & 0o222).toBe(0);

    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    fs.rmSync(path.join(repo.dir, 'model.bin'));
    await checkout(r, { cwd: repo.dir });
    expect(repo.read('data/x.txt')).toBe('x-content\n');
    const st = fs.lstatSync(path.join(repo.dir, 'model.bin'));
    if (link === 'symlink') {
      expect(st.isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(path.join(repo.dir, 'model.bin'))).toBe(obj);
    } else if (link === 'hardlink') {
      expect(st.ino).toBe(fs.statSync(obj).ino);
    } else {
      expect(st.ino).not.toBe(fs.statSync(obj).ino);
      expect(st.mode & 0o200).toBe(0o200); // writable
    }
    expect((await status(r, { cwd: repo.dir })).map((s) => s.state)).toEqual(['unchanged', 'unchanged']);
    expect((await verify(r)).ok).toBe(true);
  });

  it('untrack leaves an independent, writable file', async () => {
    const repo = await repoWithLink(link);
    repo.write('weights.bin', 'weights');
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['weights.bin'] });
    await untrack(r, { cwd: repo.dir, path: 'weights.bin' });
    const file = path.join(repo.dir, 'weights.bin');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(fs.statSync(file).mode & 0o200).toBe(0o200);
    expect(fs.statSync(file).nlink).toBe(1);
    expect(repo.exists('weights.bin.cairn')).toBe(false);
    expect(repo.read('.gitignore')).not.toContain('/weights.bin');
    fs.appendFileSync(file, '!');
    expect((await verify(r)).ok).toBe(true); // the cache object was not touched
  });
});

describe.each(['copy', 'reflink'] as const)('a results database under the default link type (%s)', (link) => {
  it('stays writable after checkout, and writing it never touches the cache', async () => {
    const repo = await repoWithLink(link);
    makeDb(path.join(repo.dir, 'results.db'));
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['results.db'] });
    fs.rmSync(path.join(repo.dir, 'results.db'));
    await checkout(r, { cwd: repo.dir });
    const db = new Database(path.join(repo.dir, 'results.db'));
    db.exec("INSERT INTO predictions VALUES ('b', 0.7)");
    expect(db.prepare('SELECT count(*) AS n FROM predictions').get()).toEqual({ n: 2 });
    db.close();
    expect((await verify(r)).ok).toBe(true);
    expect((await status(r, { cwd: repo.dir }))[0]!.state).toBe('modified');
  });
});

describe('links read nothing', () => {
  it.each(['hardlink', 'symlink', 'copy'] as const)('%s checkout of small files: objects read only for a copy (cairn verify rehashes in place)', async (link) => {
    const repo = await repoWithLink(link);
    for (let i = 0; i < 20; i++) repo.write(`data/f${i}.txt`, `file ${i}\n`);
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data'] });
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    const objects = path.join(r.cache.dir, 'objects');
    const manifest = r.cache.objectPath(JSON.parse(repo.read('data.cairn')).hash);
    const read: string[] = [];
    const readFileSync = fs.readFileSync.bind(fs) as (p: unknown, o?: unknown) => unknown;
    const spy = vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) => {
      if (String(p).startsWith(objects) && String(p) !== manifest) read.push(String(p));
      return readFileSync(p, o);
    }) as typeof fs.readFileSync);
    try {
      await checkout(r, { cwd: repo.dir });
    } finally {
      spy.mockRestore();
    }
    expect(repo.read('data/f7.txt')).toBe('file 7\n');
    expect(read.length).toBe(link === 'copy' ? 20 : 0);
  });

  it.each(['hardlink', 'symlink'] as const)('%s: a large object hashed once is linked again and again without being read', async (link) => {
    const repo = await repoWithLink(link);
    repo.write('model.bin', Buffer.alloc(3 * 1024 * 1024, 5));
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['model.bin'] });
    const obj = r.cache.objectPath(JSON.parse(repo.read('model.bin.cairn')).hash);
    const opened: string[] = [];
    const createReadStream = fs.createReadStream.bind(fs) as (p: unknown, o?: unknown) => fs.ReadStream;
    const spy = vi.spyOn(fs, 'createReadStream').mockImplementation(((p: fs.PathLike, o?: unknown) => {
      if (String(p) === obj) opened.push(String(p));
      return createReadStream(p, o);
    }) as typeof fs.createReadStream);
    try {
      for (let round = 0; round < 3; round++) {
        fs.rmSync(path.join(repo.dir, 'model.bin'));
        await checkout(r, { cwd: repo.dir });
      }
    } finally {
      spy.mockRestore();
    }
    expect(opened).toEqual([]);
    expect((await status(r, { cwd: repo.dir }))[0]!.state).toBe('unchanged');
  });
});
