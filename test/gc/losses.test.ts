/**
 * gc must never delete the only copy of a user's bytes (issue 15, losses 2,
 * 5, 6 and 7): objects of another clone sharing the cache, objects staged in
 * a worktree that was moved away, objects held by older stash entries, and
 * the prior state a rebase or replace merge kept. Each test ends by getting
 * the bytes back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { fileDigest, gitRepo, linkedWorktree, tempDir, type TestRepo } from '../helpers/repo.js';
import { bytesOf, makeDatabase } from '../helpers/resultFiles.js';
import { base, conflicting, rerun } from '../helpers/xetrack.js';
import { hashBytes } from '../../src/store/hash.js';

function objectFile(cacheDir: string, hash: string): string {
  const hex = hash.slice(7);
  return path.join(cacheDir, 'objects', hex.slice(0, 2), hex.slice(2));
}

/** The object is in the cache and its bytes still hash to its name. */
function intact(cacheDir: string, hash: string): boolean {
  const file = objectFile(cacheDir, hash);
  return fs.existsSync(file) && `sha256:${fileDigest(file)}` === hash;
}

async function initRepo(env?: Record<string, string>): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir, env });
  repo.commit('init');
  return repo;
}

async function addFile(cwd: string, rel: string, content: string, env?: Record<string, string>): Promise<string> {
  fs.writeFileSync(path.join(cwd, rel), content);
  await cairnOk(['add', rel], { cwd, env });
  return hashBytes(content);
}

/** Delete the workspace file and bring it back from the cache. */
async function restored(cwd: string, rel: string, env?: Record<string, string>): Promise<string> {
  fs.rmSync(path.join(cwd, rel), { force: true });
  await cairnOk(['checkout', rel], { cwd, env });
  return fs.readFileSync(path.join(cwd, rel), 'utf8');
}

describe('gc and a cache shared by several clones (loss 2)', () => {
  it('keeps the committed objects of every clone that uses the cache (CAIRN_CACHE_DIR)', async () => {
    const env = { CAIRN_CACHE_DIR: path.join(tempDir(), 'shared-cache') };
    const a = await initRepo(env);
    const b = await initRepo(env);
    const ofB = await addFile(b.dir, 'b.bin', 'only clone b has this', env);
    b.commit('b data');
    const ofA = await addFile(a.dir, 'a.bin', 'clone a data', env);
    a.commit('a data');

    const r = JSON.parse((await cairnOk(['gc', '--yes', '--json'], { cwd: a.dir, env })).stdout);
    expect(r.unreferenced.count).toBe(0);
    expect(r.repos.map((x: { gitDir: string }) => x.gitDir).sort()).toEqual([path.join(a.dir, '.git'), path.join(b.dir, '.git')].sort());
    expect(intact(env.CAIRN_CACHE_DIR, ofB)).toBe(true);
    expect(intact(env.CAIRN_CACHE_DIR, ofA)).toBe(true);
    expect(await restored(b.dir, 'b.bin', env)).toBe('only clone b has this');
  });

  it('keeps the objects of the repository whose own cache another clone points at, both ways', async () => {
    const a = await initRepo();
    const env = { CAIRN_CACHE_DIR: path.join(a.dir, '.git', 'cairn', 'cache') };
    const b = await initRepo(env);
    const ofA = await addFile(a.dir, 'a.bin', 'a, in its own cache');
    a.commit('a data');
    const ofB = await addFile(b.dir, 'b.bin', 'b, in the cache of a', env);
    b.commit('b data');

    await cairnOk(['gc', '--yes'], { cwd: a.dir });
    expect(intact(env.CAIRN_CACHE_DIR, ofB)).toBe(true);
    await cairnOk(['gc', '--yes'], { cwd: b.dir, env });
    expect(intact(env.CAIRN_CACHE_DIR, ofA)).toBe(true);
    expect(await restored(a.dir, 'a.bin')).toBe('a, in its own cache');
    expect(await restored(b.dir, 'b.bin', env)).toBe('b, in the cache of a');
  });

  it('refuses (exit 7) while a recorded clone is missing, naming it and the flag; --forget-missing-repos goes on', async () => {
    const env = { CAIRN_CACHE_DIR: path.join(tempDir(), 'shared-cache') };
    const a = await initRepo(env);
    const b = await initRepo(env);
    const ofB = await addFile(b.dir, 'b.bin', 'clone b, moved away', env);
    b.commit('b data');
    const moved = path.join(tempDir(), 'elsewhere');
    fs.renameSync(b.dir, moved);

    const dry = await cairnOk(['gc'], { cwd: a.dir, env });
    expect(dry.stdout).toContain(`missing repository: ${path.join(b.dir, '.git')}`);
    const r = await cairn(['gc', '--yes'], { cwd: a.dir, env });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain(path.join(b.dir, '.git'));
    expect(r.stderr).toContain('--forget-missing-repos');
    expect(intact(env.CAIRN_CACHE_DIR, ofB)).toBe(true);

    // Back where it was recorded, it is protected again; and it can still check its bytes out.
    fs.renameSync(moved, b.dir);
    await cairnOk(['gc', '--yes'], { cwd: a.dir, env });
    expect(await restored(b.dir, 'b.bin', env)).toBe('clone b, moved away');

    fs.rmSync(b.dir, { recursive: true, force: true });
    const forgot = JSON.parse((await cairnOk(['gc', '--yes', '--forget-missing-repos', '--json'], { cwd: a.dir, env })).stdout);
    expect(forgot.missingRepos).toEqual([path.join(b.dir, '.git')]);
    expect(forgot.unreferenced.count).toBe(1);
    expect(fs.existsSync(objectFile(env.CAIRN_CACHE_DIR, ofB))).toBe(false);
    await cairnOk(['gc', '--yes'], { cwd: a.dir, env }); // forgotten: no longer refused
  });
});

describe('gc and a linked worktree that was moved away (loss 5)', () => {
  it('keeps what the moved worktree staged, read from its index in the git dir', async () => {
    const repo = await initRepo();
    const wt = linkedWorktree(repo, 'wt');
    const staged = await addFile(wt.dir, 'w.bin', 'staged in a worktree that moved');
    const moved = path.join(tempDir(), 'moved-wt');
    fs.renameSync(wt.dir, moved);
    expect(repo.git('worktree', 'list', '--porcelain')).toContain('prunable');

    await cairnOk(['gc', '--yes'], { cwd: repo.dir });
    const cache = path.join(repo.dir, '.git', 'cairn', 'cache');
    expect(intact(cache, staged)).toBe(true);
    repo.git('worktree', 'repair', moved);
    expect(await restored(moved, 'w.bin')).toBe('staged in a worktree that moved');
  });

  it("refuses (exit 7) when the moved worktree's index cannot be read, naming git worktree prune", async () => {
    const repo = await initRepo();
    const wt = linkedWorktree(repo, 'wt');
    const staged = await addFile(wt.dir, 'w.bin', 'staged, index damaged');
    fs.renameSync(wt.dir, path.join(tempDir(), 'moved-wt'));
    fs.writeFileSync(path.join(repo.dir, '.git', 'worktrees', 'wt', 'index'), 'not an index');
    const r = await cairn(['gc', '--yes'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('git worktree prune');
    expect(intact(path.join(repo.dir, '.git', 'cairn', 'cache'), staged)).toBe(true);
  });
});

describe('gc and the stash (loss 6)', () => {
  it('keeps what stash@{1} and older entries hold', async () => {
    const repo = await initRepo();
    await addFile(repo.dir, 'm.bin', 'committed');
    repo.commit('m');
    const first = await addFile(repo.dir, 'm.bin', 'first stashed version');
    repo.git('stash', 'push', '-q');
    const second = await addFile(repo.dir, 'm.bin', 'second stashed version');
    repo.git('stash', 'push', '-q');
    const third = await addFile(repo.dir, 'm.bin', 'third stashed version');
    repo.git('stash', 'push', '-q');
    await cairnOk(['checkout', '--force'], { cwd: repo.dir });

    await cairnOk(['gc', '--yes'], { cwd: repo.dir });
    const cache = path.join(repo.dir, '.git', 'cairn', 'cache');
    for (const h of [first, second, third]) expect(intact(cache, h), h).toBe(true);
    repo.git('stash', 'apply', '-q', 'stash@{2}');
    await cairnOk(['checkout', '--force', 'm.bin'], { cwd: repo.dir });
    expect(repo.read('m.bin')).toBe('first stashed version');
  });
});

describe('gc and the prior state a merge kept (loss 7)', () => {
  it.each([
    ['rebase', ['--strategy', 'rebase', '--key', 'version', '--yes'], rerun],
    ['replace', ['--on-conflict', 'replace'], conflicting],
  ] as const)('a %s backup stays until it is dropped; gc lists it', async (_name, flags, source) => {
    const repo = await initRepo();
    await makeDatabase(path.join(repo.dir, 'results.db'), 'sqlite', base());
    await makeDatabase(path.join(repo.dir, 'exp.db'), 'sqlite', source());
    const before = bytesOf(path.join(repo.dir, 'results.db'));
    const merged = await cairnOk(['merge', 'results.db', 'exp.db', ...flags], { cwd: repo.dir });
    const m = /^prior state kept: (.+) \(([0-9a-f]{12})\)$/m.exec(merged.stdout);
    expect(m, merged.stdout).not.toBeNull();
    const [, file, id] = m!;
    await cairnOk(['gc', '--yes'], { cwd: repo.dir });
    expect(fs.existsSync(file!) && bytesOf(file!).equals(before)).toBe(true);

    expect(merged.stdout).toContain(`cairn backup drop ${id}`);
    const dry = await cairnOk(['gc'], { cwd: repo.dir });
    expect(dry.stdout).toContain(`pinned backup ${id}`);
    const listed = JSON.parse((await cairnOk(['backup', 'list', '--json'], { cwd: repo.dir })).stdout);
    expect(listed.backups).toMatchObject([
      { id, hash: expect.stringMatching(new RegExp(`^sha256:${id}[0-9a-f]{52}$`)), target: path.join(repo.dir, 'results.db') },
    ]);

    await cairnOk(['backup', 'drop', id!], { cwd: repo.dir });
    const after = JSON.parse((await cairnOk(['gc', '--yes', '--json'], { cwd: repo.dir })).stdout);
    expect(after.unreferenced.count).toBe(1);
    expect(fs.existsSync(file!)).toBe(false);
  });

  it('backup drop of an unknown id is exit 4', async () => {
    const repo = await initRepo();
    const r = await cairn(['backup', 'drop', 'abcdef123456'], { cwd: repo.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('cairn backup list');
  });
});
