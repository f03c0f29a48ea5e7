import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, linkedWorktree, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { runHook } from '../../src/commands/hookRun.js';

async function withHooks(): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  repo.commit('init');
  await cairnOk(['hooks', 'install'], { cwd: repo.dir });
  return repo;
}

async function twoBranches(repo: TestRepo, cwd = repo.dir): Promise<void> {
  const r = repoAt(cwd);
  r.write('model.bin', 'model on main');
  await cairnOk(['add', 'model.bin'], { cwd });
  r.commit('main model');
  r.git('checkout', '-q', '-b', 'variant');
  r.write('model.bin', 'model on variant');
  await cairnOk(['add', 'model.bin'], { cwd });
  r.commit('variant model');
}

describe('git hooks', () => {
  it("post-checkout: a real git checkout of another branch restores that branch's artifacts", async () => {
    const repo = await withHooks();
    await twoBranches(repo);
    await execa('git', ['checkout', '-q', 'main'], { cwd: repo.dir });
    expect(repo.read('model.bin')).toBe('model on main');
    await execa('git', ['checkout', '-q', 'variant'], { cwd: repo.dir });
    expect(repo.read('model.bin')).toBe('model on variant');
  });

  it('post-checkout works inside a linked worktree (whose .git is a file)', async () => {
    const repo = await withHooks();
    const wt = linkedWorktree(repo, 'wt');
    expect(fs.statSync(path.join(wt.dir, '.git')).isFile()).toBe(true);
    await twoBranches(repo, wt.dir);
    await execa('git', ['checkout', '-q', 'wt'], { cwd: wt.dir });
    expect(wt.read('model.bin')).toBe('model on main');
  });

  it('post-checkout stays out of the way during a rebase', async () => {
    const repo = await withHooks();
    await twoBranches(repo);
    const rebaseDir = path.join(repo.dir, '.git', 'rebase-merge');
    fs.mkdirSync(rebaseDir);
    repo.write('model.bin.cairn', repo.git('show', 'main:model.bin.cairn'));
    const r = await runHook(repo.dir, 'post-checkout', ['a', 'b', '1'], '');
    expect(r.exitCode).toBe(0);
    expect(repo.read('model.bin')).toBe('model on variant'); // untouched
    fs.rmSync(rebaseDir, { recursive: true });
  });

  it('pre-push: a real git push to a bare remote pushes the artifacts first', async () => {
    const repo = await withHooks();
    const store = path.join(tempDir(), 'store');
    await cairnOk(['remote', 'add', 'store', store, '--default'], { cwd: repo.dir });
    await twoBranches(repo);
    const bare = path.join(tempDir(), 'bare.git');
    await execa('git', ['init', '-q', '--bare', bare]);
    const pushed = await execa('git', ['push', '-q', bare, 'variant'], { cwd: repo.dir, reject: false });
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain('cairn: pushed');
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash.slice(7);
    expect(fs.existsSync(path.join(store, 'objects', hash.slice(0, 2), hash.slice(2)))).toBe(true);
  });

  it('pre-commit: refuses a commit whose staged pointer names content absent from the cache', async () => {
    const repo = await withHooks();
    repo.write('model.bin', 'weights');
    await cairnOk(['add', 'model.bin'], { cwd: repo.dir });
    const hash = JSON.parse(repo.read('model.bin.cairn')).hash.slice(7);
    fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects', hash.slice(0, 2), hash.slice(2)));
    const r = await execa('git', ['commit', '-q', '-m', 'model'], { cwd: repo.dir, reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('refusing to commit');
    expect(r.stderr).toContain('model.bin.cairn');
    expect(repo.git('log', '--format=%s').trim().split('\n')).toEqual(['init', 'initial']);
    await cairnOk(['add', 'model.bin'], { cwd: repo.dir }); // stores the object again
    await execa('git', ['commit', '-q', '-m', 'model'], { cwd: repo.dir });
  });

  it('an existing hook is chained (still runs), and uninstall restores it', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('init');
    const hook = path.join(repo.dir, '.git', 'hooks', 'post-checkout');
    const marker = path.join(repo.dir, '..', 'user-hook-ran');
    const userHook = `#!/bin/sh\necho "$3" >> '${marker}'\n`;
    fs.writeFileSync(hook, userHook, { mode: 0o755 });
    const installed = await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    expect(installed.stdout).toContain('existing post-checkout hook still runs first');
    await twoBranches(repo);
    await execa('git', ['checkout', '-q', 'main'], { cwd: repo.dir });
    expect(fs.readFileSync(marker, 'utf8')).toContain('1');
    expect(repo.read('model.bin')).toBe('model on main');
    await cairnOk(['hooks', 'install'], { cwd: repo.dir }); // idempotent: no double chaining
    await cairnOk(['hooks', 'uninstall'], { cwd: repo.dir });
    expect(fs.readFileSync(hook, 'utf8')).toBe(userHook);
    expect(fs.existsSync(path.join(repo.dir, '.git', 'hooks', 'pre-push'))).toBe(false);
  });

  it('hooks run with an unknown name is a usage error', async () => {
    const repo = await withHooks();
    const r = await cairn(['hooks', 'run', 'post-merge'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
  });
});
