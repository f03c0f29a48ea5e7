/**
 * `verify` reports its progress in bytes (rehashing is the work), locally and
 * on a remote, so the bar moves with the data and not with the file count.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifacts, addRemote, openRepo, push, verify } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import type { Progress } from '../../src/progress.js';
import { gitRepo, tempDir } from '../helpers/repo.js';

/** A reporter that records what it is told. */
function recorder(): Progress & { phases: { label: string; total: number; unit?: string; done: number }[] } {
  const phases: { label: string; total: number; unit?: string; done: number }[] = [];
  return {
    phases,
    start(label, total, unit) {
      phases.push({ label, total, unit, done: 0 });
    },
    tick(amount = 1) {
      phases.at(-1)!.done += amount;
    },
    stop() {},
  };
}

describe('verify progress', () => {
  it('counts bytes, in the cache and on the remote', async () => {
    const repo = gitRepo();
    await init(repo.dir);
    repo.write('big.bin', Buffer.alloc(300_000, 1));
    repo.write('data/a.txt', 'alpha\n');
    repo.write('data/b.txt', 'beta, a little longer\n');
    let r = await openRepo(repo.dir);
    await addArtifacts(r, { cwd: repo.dir, paths: ['big.bin', 'data'] });
    repo.commit('data');
    await addRemote(r, { name: 'store', url: path.join(tempDir(), 'store'), makeDefault: true });
    r = await openRepo(repo.dir);
    await push(r, {});

    const objects = path.join(repo.dir, '.git', 'cairn', 'cache', 'objects');
    let cached = 0;
    for (const e of fs.readdirSync(objects, { recursive: true, withFileTypes: true }))
      if (e.isFile()) cached += fs.statSync(path.join(e.parentPath, e.name)).size;

    const progress = recorder();
    const result = await verify(r, { remote: true, progress });
    expect(result.ok).toBe(true);
    const [local, remote] = progress.phases;
    expect(local).toMatchObject({ label: 'verifying objects', unit: 'B', total: cached, done: cached });
    expect(remote).toMatchObject({ label: 'verifying on store', unit: 'B' });
    expect(remote!.total).toBe(cached); // every cached object is one the worktree needs
    expect(remote!.done).toBe(remote!.total);
  });
});
