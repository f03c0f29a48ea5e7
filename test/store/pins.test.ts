/**
 * Pins (merge backups gc keeps) and the record of repositories sharing a
 * cache: the file name is what pins or records, damage never unpins or
 * forgets silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropPins, listPins, pinObject, pinsDir } from '../../src/store/pins.js';
import { cacheUsers, cacheUsersDir, recordCacheUser } from '../../src/store/cacheUsers.js';
import { hashBytes } from '../../src/store/hash.js';
import { gitRepo, tempDir } from '../helpers/repo.js';

describe('pins', () => {
  it('lists what was pinned, keeps pinning when the description is damaged, drops by a unique prefix', () => {
    const cache = tempDir();
    const a = hashBytes('a');
    const b = hashBytes('b');
    pinObject(cache, { hash: a, kind: 'merge-backup', target: '/x/results.db', strategy: 'rebase', size: 1 });
    pinObject(cache, { hash: b, kind: 'merge-backup', target: null, strategy: 'merge', size: 1 });
    expect(
      listPins(cache)
        .map((p) => p.hash)
        .sort(),
    ).toEqual([a, b].sort());
    fs.writeFileSync(path.join(pinsDir(cache), a.slice(7)), '{ not json');
    expect(listPins(cache).find((p) => p.hash === a)).toMatchObject({ hash: a, target: null });

    expect(() => dropPins(cache, ['xyz'])).toThrow(/not a backup id/);
    expect(() => dropPins(cache, ['0000000'])).toThrow(/no pinned backup/);
    expect(dropPins(cache, [b.slice(7, 19)]).map((p) => p.hash)).toEqual([b]);
    expect(listPins(cache).map((p) => p.hash)).toEqual([a]);
  });

  it('an empty or missing pins folder pins nothing', () => {
    expect(listPins(path.join(tempDir(), 'no-cache'))).toEqual([]);
  });
});

describe('cache users', () => {
  it('records a repository once; the owner of a default cache is known without a record; a damaged record counts as missing', () => {
    const owner = gitRepo();
    const cache = path.join(owner.dir, '.git', 'cairn', 'cache');
    const other = gitRepo();
    recordCacheUser(cache, path.join(other.dir, '.git'));
    recordCacheUser(cache, path.join(other.dir, '.git'));
    expect(fs.readdirSync(cacheUsersDir(cache))).toHaveLength(1);
    expect(cacheUsers(cache).map((u) => u.gitDir)).toEqual([path.join(owner.dir, '.git'), path.join(other.dir, '.git')]);

    const record = path.join(cacheUsersDir(cache), fs.readdirSync(cacheUsersDir(cache))[0]!);
    fs.writeFileSync(record, 'garbage');
    expect(cacheUsers(cache).map((u) => u.gitDir)).toEqual([path.join(owner.dir, '.git'), record]);
  });
});
