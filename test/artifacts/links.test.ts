import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { addArtifacts, checkout, gc, hashBytes, openRepo, status, untrack, verify, type LinkType } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import { gitRepo, type TestRepo } from '../helpers/repo.js';

async function repoWithLink(link: LinkType): Promise<TestRepo> {
  const repo = gitRepo();
  await init(repo.dir);
  repo.write('.cairn/config.json', JSON.stringify({ cache: { link } }, null, 2));
  return repo;
}

/** Files written a while ago: a file modified within the last instant is not trusted by its stat (it may still be written to). */
function written(repo: TestRepo, files: Record<string, string | Uint8Array>): void {
  const past = new Date(Date.now() - 60_000);
  for (const [rel, content] of Object.entries(files)) {
    repo.write(rel, content);
    fs.utimesSync(path.join(repo.dir, rel), past, past);
  }
}

const hundredFiles = (): Record<string, string> => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`data/f${i}.txt`, `file ${i}\n`]));

/** The paths starting with `prefix` that `fn` passed to fs[method] while it ran. */
async function pathsGiven(method: 'readFileSync' | 'lstatSync' | 'createReadStream', prefix: string, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = (fs[method] as (p: unknown, o?: unknown) => unknown).bind(fs);
  const spy = vi.spyOn(fs, method).mockImplementation(((p: unknown, o?: unknown) => {
    if (String(p).startsWith(prefix)) seen.push(String(p));
    return original(p, o);
  }) as never);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

function makeDb(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE predictions (track_id TEXT, f1 REAL); INSERT INTO predictions VALUES ('a', 0.5)");
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

describe('links and verification', () => {
  it.each(['hardlink', 'symlink'] as const)('%s checkout refuses a corrupt small object and links nothing', async (link) => {
    const repo = await repoWithLink(link);
    repo.write('s.txt', 'original\n');
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['s.txt'] });
    const obj = r.cache.objectPath(JSON.parse(repo.read('s.txt.cairn')).hash);
    fs.rmSync(path.join(repo.dir, 's.txt'));
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'damaged!\n');
    fs.chmodSync(obj, 0o444);
    await expect(checkout(r, { cwd: repo.dir })).rejects.toThrow(/is corrupt/);
    expect(fs.existsSync(path.join(repo.dir, 's.txt'))).toBe(false);
  });

  it('a copy never trusts a hard-linked object whose bytes changed with its mtime put back (only a link may ignore the ctime)', async () => {
    const repo = await repoWithLink('hardlink');
    repo.write('big.bin', Buffer.alloc(3 * 1024 * 1024, 7));
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['big.bin'] });
    const obj = r.cache.objectPath(JSON.parse(repo.read('big.bin.cairn')).hash);
    const ns = fs.statSync(obj, { bigint: true }).mtimeNs;
    fs.chmodSync(obj, 0o644);
    const fd = fs.openSync(obj, 'r+');
    fs.writeSync(fd, Buffer.from('CORRUPTED'), 0, 9, 1000);
    fs.closeSync(fd);
    fs.chmodSync(obj, 0o444);
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, obj]);
    expect(fs.statSync(obj, { bigint: true }).mtimeNs).toBe(ns);
    repo.write('.cairn/config.json', JSON.stringify({ cache: { link: 'copy' } }));
    const copying = await openRepo(repo.dir);
    fs.rmSync(path.join(repo.dir, 'big.bin'));
    await expect(checkout(copying, { cwd: repo.dir })).rejects.toThrow(/is corrupt/);
  });

  it('hardlink add leaves no temp file behind (git would list it, and add -A commit the data)', async () => {
    const repo = await repoWithLink('hardlink');
    repo.write('a.txt', 'a\n');
    repo.write('data/x.bin', Buffer.alloc(3 * 1024 * 1024, 1));
    repo.write('data/y.txt', 'y\n');
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['a.txt', 'data'] });
    const untracked = repo
      .git('status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter((l) => l.startsWith('??'));
    expect(untracked.filter((l) => l.includes('cairn-tmp'))).toEqual([]);
    expect(fs.statSync(path.join(repo.dir, 'a.txt')).nlink).toBe(2); // the workspace file and the object, nothing else
  });

  it('hardlink add of a file whose object is damaged in the cache keeps the good bytes and mends the object', async () => {
    const repo = await repoWithLink('hardlink');
    repo.write('a.txt', 'hello world\n');
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['a.txt'] });
    const obj = r.cache.objectPath(JSON.parse(repo.read('a.txt.cairn')).hash);
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'HELLO WORLD\n'); // through the shared inode, a.txt changes too
    fs.chmodSync(obj, 0o444);
    repo.write('b.txt', 'hello world\n');
    await addArtifacts(r, { cwd: repo.dir, paths: ['b.txt'] });
    expect(repo.read('b.txt')).toBe('hello world\n');
    expect(fs.readFileSync(r.cache.objectPath(JSON.parse(repo.read('b.txt.cairn')).hash), 'utf8')).toBe('hello world\n');
    expect((await verify(r)).corrupt).toEqual([]);
  });

  it.each(['hardlink', 'symlink'] as const)('%s: a large object hashed once is linked again and again without being read', async (link) => {
    const repo = await repoWithLink(link);
    written(repo, { 'model.bin': Buffer.alloc(3 * 1024 * 1024, 5) });
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['model.bin'] });
    const obj = r.cache.objectPath(JSON.parse(repo.read('model.bin.cairn')).hash);
    const opened = await pathsGiven('createReadStream', obj, async () => {
      for (let round = 0; round < 3; round++) {
        fs.rmSync(path.join(repo.dir, 'model.bin'));
        await checkout(r, { cwd: repo.dir });
      }
    });
    expect(opened).toEqual([]);
    expect((await status(r, { cwd: repo.dir }))[0]!.state).toBe('unchanged');
  });

  it.each(['hardlink', 'symlink'] as const)('%s: small objects hashed once are linked again without being read, by a later process too', async (link) => {
    const repo = await repoWithLink(link);
    // More files than verified.db answers one by one, so the bulk read is used too.
    written(repo, hundredFiles());
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['data'] });
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    const r = await openRepo(repo.dir); // a fresh cache handle: the records must have been written
    const read = await pathsGiven('readFileSync', r.cache.objectsDir, () => checkout(r, { cwd: repo.dir }));
    // The folder's manifest is read (and hashed); none of the 100 files' objects is.
    expect(read.length).toBeLessThanOrEqual(1);
    expect(repo.read('data/f42.txt')).toBe('file 42\n');
    expect((await status(r, { cwd: repo.dir }))[0]!.state).toBe('unchanged');
    expect((await verify(r)).corrupt).toEqual([]);
  });

  it('hardlink checkout remembers each new link by the object stat it took already; status trusts it until the bytes change', async () => {
    const repo = await repoWithLink('hardlink');
    written(repo, hundredFiles());
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['data'] });
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    const r = await openRepo(repo.dir);
    const data = path.join(repo.dir, 'data') + path.sep;
    expect(await pathsGiven('lstatSync', data, () => checkout(r, { cwd: repo.dir }))).toEqual([]);
    let state = '';
    const read = await pathsGiven('readFileSync', data, async () => {
      state = (await status(r, { cwd: repo.dir }))[0]!.state;
    });
    expect(state).toBe('unchanged');
    expect(read).toEqual([]); // every file's hash came from the stat cache
    // A write through a link (the cache object with it, as hardlink mode warns) is seen.
    const f7 = path.join(repo.dir, 'data/f7.txt');
    fs.chmodSync(f7, 0o644);
    fs.writeFileSync(f7, 'FILE 7\n');
    expect((await status(r, { cwd: repo.dir }))[0]!.state).toBe('modified');
  });

  /** 100 small files added in hardlink mode (their stats recorded), the folder removed, then the object of data/f7.txt overwritten with bytes of the same size. */
  async function damagedAfterRecord(options: { mtimePutBack: boolean }): Promise<TestRepo> {
    const repo = await repoWithLink('hardlink');
    written(repo, hundredFiles());
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data'] });
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    const obj = r.cache.objectPath(hashBytes('file 7\n'));
    const ns = fs.statSync(obj, { bigint: true }).mtimeNs;
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'FILE 7\n');
    fs.chmodSync(obj, 0o444);
    if (options.mtimePutBack) {
      execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, obj]);
    }
    return repo;
  }

  it('a small object damaged after it was recorded is still refused by a hardlink checkout', async () => {
    const repo = await damagedAfterRecord({ mtimePutBack: false });
    await expect(checkout(await openRepo(repo.dir), { cwd: repo.dir })).rejects.toThrow(/is corrupt/);
    expect(fs.existsSync(path.join(repo.dir, 'data', 'f7.txt'))).toBe(false);
  });

  it('an object verify finds damaged (its stat put back) is no longer trusted by its stat', async () => {
    const repo = await damagedAfterRecord({ mtimePutBack: true });
    expect((await verify(await openRepo(repo.dir))).corrupt.map((c) => c.hash)).toEqual([hashBytes('file 7\n')]);
    await expect(checkout(await openRepo(repo.dir), { cwd: repo.dir })).rejects.toThrow(/is corrupt/);
  });

  it('a file written to while hardlink add hashes it is not recorded as the object it was', async () => {
    const repo = await repoWithLink('hardlink');
    written(repo, { 'metrics.json': '{"step": 100}\n' });
    const file = path.join(repo.dir, 'metrics.json');
    const r = await openRepo(repo.dir);
    // The write lands between the hash and the record (same length, new mtime).
    const record = r.cache.verified.recordLater.bind(r.cache.verified);
    const spy = vi.spyOn(r.cache.verified, 'recordLater').mockImplementation((hash, target, before) => {
      fs.writeFileSync(file, '{"step": 200}\n');
      record(hash, target, before);
    });
    try {
      await addArtifacts(r, { cwd: repo.dir, paths: ['metrics.json'] });
    } finally {
      spy.mockRestore();
    }
    fs.rmSync(file);
    // The object (the same inode) now holds other bytes: checkout must hash it and refuse.
    await expect(checkout(await openRepo(repo.dir), { cwd: repo.dir })).rejects.toThrow(/is corrupt/);
  });

  it('a file modified an instant ago is not trusted by its stat: the next hardlink checkout reads it', async () => {
    const repo = await repoWithLink('hardlink');
    repo.write('fresh.txt', 'just written\n');
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['fresh.txt'] });
    const obj = r.cache.objectPath(hashBytes('just written\n'));
    expect(r.cache.verified.has(hashBytes('just written\n'), fs.statSync(obj, { bigint: true }), { ctime: false })).toBe(false);
  });

  it('gc drops the records of the objects it deletes, and of any object no longer in the cache', async () => {
    const repo = await repoWithLink('hardlink');
    written(repo, hundredFiles());
    const r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['data'] });
    const rows = (): number => {
      const db = new Database(path.join(r.cache.dir, 'verified.db'), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM verified').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(rows()).toBeGreaterThanOrEqual(100);
    // An object deleted some other way (by hand, or by a gc from before records were dropped) loses its record too.
    written(repo, { 'kept.txt': 'kept\n' });
    await addArtifacts(r, { cwd: repo.dir, paths: ['kept.txt'] });
    const kept = hashBytes('kept\n');
    const byHand = hashBytes('file 3\n');
    fs.rmSync(r.cache.objectPath(byHand), { force: true });
    await untrack(r, { cwd: repo.dir, path: 'data' });
    await gc(await openRepo(repo.dir), { yes: true });
    const db = new Database(path.join(r.cache.dir, 'verified.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT hash FROM verified').raw().all() as [string][]).map(([h]) => h)).toEqual([kept]);
    } finally {
      db.close();
    }
  });
});
