import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, linkedWorktree, type TestRepo } from '../helpers/repo.js';
import { hashBytes } from '../../src/store/hash.js';

function objectExists(repo: TestRepo, hash: string): boolean {
  const hex = hash.slice(7);
  return fs.existsSync(path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2)));
}

async function addAndHash(repo: TestRepo, cwd: string, rel: string, content: string): Promise<string> {
  fs.mkdirSync(path.dirname(path.join(cwd, rel)), { recursive: true });
  fs.writeFileSync(path.join(cwd, rel), content);
  await cairnOk(['add', rel], { cwd });
  return hashBytes(content);
}

describe('cairn gc', () => {
  it("keeps what a tag, another branch, a linked worktree's uncommitted pointer or the workspace needs; deletes the rest", async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const tagged = await addAndHash(repo, repo.dir, 'm.bin', 'only in a tag');
    repo.commit('tagged');
    repo.git('tag', '-a', 'e0.1.0', '-m', 'tag');
    const onBranch = await addAndHash(repo, repo.dir, 'm.bin', 'only on a branch');
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('side');
    repo.git('checkout', '-q', 'main');
    repo.git('reset', '-q', '--hard', 'e0.1.0');
    const unreferenced = await addAndHash(repo, repo.dir, 'm.bin', 'garbage soon');
    const current = await addAndHash(repo, repo.dir, 'm.bin', 'in the workspace');
    const wt = linkedWorktree(repo, 'wt');
    const inWorktree = await addAndHash(repo, wt.dir, 'w.bin', 'uncommitted in a linked worktree');
    // A directory referenced only by the tag keeps its manifest and files.
    repo.git('checkout', '-q', '-b', 'dirs');
    repo.write('d/inner.txt', 'file in a folder');
    const dirFile = hashBytes('file in a folder');
    await cairnOk(['add', 'd'], { cwd: repo.dir });
    const dirManifest = JSON.parse(repo.read('d.cairn')).hash as string;
    repo.commit('dirs');
    repo.git('tag', '-a', 'e0.2.0', '-m', 'dir tag');
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-q', '-D', 'dirs');

    const dry = JSON.parse((await cairnOk(['gc', '--json'], { cwd: repo.dir })).stdout);
    expect(dry.dryRun).toBe(true);
    expect(dry.unreferenced.count).toBe(1);
    expect(objectExists(repo, unreferenced)).toBe(true); // a dry run deletes nothing

    const real = JSON.parse((await cairnOk(['gc', '--yes', '--json'], { cwd: repo.dir })).stdout);
    expect(real).toMatchObject({ dryRun: false, unreferenced: { count: 1 } });
    expect(objectExists(repo, unreferenced)).toBe(false);
    for (const h of [tagged, onBranch, current, inWorktree, dirFile, dirManifest]) expect(objectExists(repo, h), h).toBe(true);
    expect(JSON.parse((await cairnOk(['verify', '--json'], { cwd: repo.dir })).stdout).ok).toBe(true);
  });

  it('--all-commits keeps what only an old commit references', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const old = await addAndHash(repo, repo.dir, 'm.bin', 'old version');
    repo.commit('old');
    await addAndHash(repo, repo.dir, 'm.bin', 'new version');
    repo.commit('new');
    const keepHistory = JSON.parse((await cairnOk(['gc', '--all-commits', '--json'], { cwd: repo.dir })).stdout);
    expect(keepHistory.unreferenced.count).toBe(0);
    const tipsOnly = JSON.parse((await cairnOk(['gc', '--json'], { cwd: repo.dir })).stdout);
    expect(tipsOnly.unreferenced.count).toBe(1);
    await cairnOk(['gc', '--yes'], { cwd: repo.dir });
    expect(objectExists(repo, old)).toBe(false);
  });

  it('invalidates what status remembered about the cache', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('d/a.txt', 'a');
    await cairnOk(['add', 'd'], { cwd: repo.dir });
    repo.commit('d');
    await cairnOk(['status'], { cwd: repo.dir }); // remembers "d is complete in the cache"
    const genFile = path.join(repo.dir, '.git/cairn/cache/generation');
    const before = fs.existsSync(genFile) ? fs.readFileSync(genFile, 'utf8') : '';
    await cairnOk(['gc', '--yes'], { cwd: repo.dir });
    const after = fs.readFileSync(genFile, 'utf8');
    expect(after).not.toBe(before);
    // Simulate damage after gc: status must look again, not trust the old fact.
    const hex = hashBytes('a').slice(7);
    const obj = path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2));
    fs.rmSync(obj);
    const st = JSON.parse((await cairnOk(['status', '--json'], { cwd: repo.dir })).stdout);
    expect(st.artifacts[0].state).toBe('missingCache');
  });

  it('never deletes an object an add in another worktree is writing', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const wt = linkedWorktree(repo, 'writer');
    for (let round = 0; round < 4; round++) {
      const content = Buffer.alloc(24 * 1024 * 1024, round + 1);
      fs.writeFileSync(path.join(wt.dir, 'big.bin'), content);
      const add = spawn('node', [BIN, 'add', 'big.bin'], { cwd: wt.dir, stdio: 'ignore' });
      const added = new Promise<number>((resolve) => add.on('exit', (c) => resolve(c ?? -1)));
      let running = true;
      void added.then(() => (running = false));
      while (running) await cairn(['gc', '--yes'], { cwd: repo.dir });
      expect(await added).toBe(0);
      const hash = JSON.parse(wt.read('big.bin.cairn')).hash as string;
      expect(objectExists(repo, hash), `round ${round}`).toBe(true);
    }
    expect(JSON.parse((await cairnOk(['verify', '--json'], { cwd: wt.dir })).stdout).ok).toBe(true);
  });

  it('refuses to delete while a referenced folder manifest is missing, unless --force', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('d/a.txt', 'a');
    await cairnOk(['add', 'd'], { cwd: repo.dir });
    repo.commit('d');
    repo.write('junk.bin', 'junk');
    await cairnOk(['add', 'junk.bin'], { cwd: repo.dir });
    await cairnOk(['untrack', 'junk.bin'], { cwd: repo.dir });
    const manifest = JSON.parse(repo.read('d.cairn')).hash.slice(7);
    fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects', manifest.slice(0, 2), manifest.slice(2)));
    const r = await cairn(['gc', '--yes'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('1 referenced folder manifest is not in the cache');
    expect(objectExists(repo, hashBytes('junk'))).toBe(true);
    await cairnOk(['gc', '--yes', '--force'], { cwd: repo.dir });
    expect(objectExists(repo, hashBytes('junk'))).toBe(false);
  });
});
