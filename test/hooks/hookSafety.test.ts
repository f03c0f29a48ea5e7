/**
 * Hooks are the user's (issue 14 rule 7): cairn knows its own hook by its
 * exact text, never by a marker a user's hook may contain; a symlinked hook
 * (dangling or not) is chained, never replaced; and an installed hook keeps
 * working when node or cairn moves, or says how to reinstall it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { HOOK_NAMES, hookScript, isCairnHook } from '../../src/hooks/hooks.js';
import { LEGACY_TEMPLATES } from '../../src/hooks/legacyHooks.js';

async function initialized(): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  repo.commit('init');
  return repo;
}

const hookPath = (repo: TestRepo, name: string): string => path.join(repo.dir, '.git', 'hooks', name);

/** Two commits whose model.bin differ, HEAD on `variant`. */
async function twoBranches(repo: TestRepo, env?: Record<string, string>): Promise<void> {
  repo.write('model.bin', 'model on main');
  await cairnOk(['add', 'model.bin'], { cwd: repo.dir });
  await execa('git', ['commit', '-q', '--no-verify', '-m', 'main model'], { cwd: repo.dir, env });
  repo.git('checkout', '-q', '-b', 'variant');
  repo.write('model.bin', 'model on variant');
  await cairnOk(['add', 'model.bin'], { cwd: repo.dir });
  await execa('git', ['commit', '-q', '--no-verify', '-m', 'variant model'], { cwd: repo.dir, env });
}

/** A folder for PATH holding only what a hook needs besides node and cairn. */
function bareBin(): string {
  const bin = tempDir('cairn-bin-');
  for (const tool of ['dirname', 'cat', 'git']) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

describe('cairn recognises its own hook by its exact text', () => {
  const lookalikes: Record<string, (name: string) => string> = {
    'the old marker line': (name) =>
      `#!/bin/sh\n# cairn-hook: ${name} -- installed by \`cairn hooks install\`, removed by \`cairn hooks uninstall\`.\necho mine >> "$(dirname "$0")/../../user-hook-ran"\n`,
    'the begin and end lines': (name) =>
      `#!/bin/sh\n# >>> cairn hook: ${name} >>>\necho mine >> "$(dirname "$0")/../../user-hook-ran"\n# <<< cairn hook: ${name} <<<\n`,
  };

  it.each(Object.keys(lookalikes))('a user hook containing %s is chained by install and left in place by uninstall', async (kind) => {
    const repo = await initialized();
    const user = lookalikes[kind]!('post-checkout');
    const hook = hookPath(repo, 'post-checkout');
    fs.writeFileSync(hook, user, { mode: 0o755 });
    expect(isCairnHook('post-checkout', user)).toBe(false);

    // uninstall with no cairn hook installed: the user's hook stays, byte for byte.
    const before = await cairnOk(['hooks', 'uninstall'], { cwd: repo.dir });
    expect(before.stdout).toContain('left post-checkout in place');
    expect(fs.readFileSync(hook, 'utf8')).toBe(user);

    const installed = await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    expect(installed.stdout).toContain('existing post-checkout hook still runs first');
    expect(fs.readFileSync(hook + '.cairn-chained', 'utf8')).toBe(user);
    expect(isCairnHook('post-checkout', fs.readFileSync(hook, 'utf8'))).toBe(true);
    await cairnOk(['hooks', 'install'], { cwd: repo.dir }); // idempotent: cairn's own hook is replaced, not chained
    expect(fs.readFileSync(hook + '.cairn-chained', 'utf8')).toBe(user);

    await twoBranches(repo);
    await execa('git', ['checkout', '-q', 'main'], { cwd: repo.dir });
    expect(repo.read('model.bin')).toBe('model on main');
    expect(fs.readFileSync(path.join(repo.dir, 'user-hook-ran'), 'utf8')).toContain('mine');

    await cairnOk(['hooks', 'uninstall'], { cwd: repo.dir });
    expect(fs.readFileSync(hook, 'utf8')).toBe(user);
    expect(fs.existsSync(hook + '.cairn-chained')).toBe(false);
  });

  it('still recognises (and replaces) the hooks earlier versions installed, but not an edited one', async () => {
    const repo = await initialized();
    for (const name of HOOK_NAMES) {
      const old = LEGACY_TEMPLATES[name]![0]!.replaceAll('@CAIRN@', `'/opt/node-v18/bin/node' '/opt/old cairn/bin/cairn.js'`);
      expect(isCairnHook(name, old)).toBe(true);
      expect(isCairnHook(name, old.replace('hooks run', 'hooks  run'))).toBe(false);
      fs.writeFileSync(hookPath(repo, name), old, { mode: 0o755 });
    }
    const r = await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    expect(r.stdout).not.toContain('still run first');
    for (const name of HOOK_NAMES) {
      expect(fs.existsSync(hookPath(repo, name) + '.cairn-chained')).toBe(false);
      expect(fs.readFileSync(hookPath(repo, name), 'utf8')).not.toContain('/opt/node-v18');
    }
  });
});

describe('an edited cairn hook', () => {
  it("is not cairn's any more: install refuses to chain it (it would run itself), uninstall leaves it", async () => {
    const repo = await initialized();
    for (const edited of [
      hookScript('pre-push') + 'echo mine\n',
      LEGACY_TEMPLATES['pre-push']![0]!.replaceAll('@CAIRN@', `'/usr/bin/node' '/opt/cairn/bin/cairn.js'`).replace('#!/bin/sh\n', '#!/bin/sh\nset -e\n'),
    ]) {
      const hook = hookPath(repo, 'pre-push');
      fs.writeFileSync(hook, edited, { mode: 0o755 });
      const r = await cairn(['hooks', 'install'], { cwd: repo.dir });
      expect(r.exitCode).toBe(7);
      expect(r.stderr).toContain('would make it run itself');
      expect(fs.readFileSync(hook, 'utf8')).toBe(edited);
      expect(fs.existsSync(hook + '.cairn-chained')).toBe(false);
      expect(fs.existsSync(hookPath(repo, 'post-checkout'))).toBe(false);
      const u = await cairnOk(['hooks', 'uninstall'], { cwd: repo.dir });
      expect(u.stdout).toContain('left pre-push in place');
      expect(fs.readFileSync(hook, 'utf8')).toBe(edited);
    }
  });

  it("a chained copy of cairn's script never runs the chain again (no loop)", async () => {
    const repo = await initialized();
    await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    const hook = hookPath(repo, 'pre-commit');
    fs.copyFileSync(hook, hook + '.cairn-chained');
    repo.write('d.txt', 'd');
    repo.git('add', 'd.txt');
    const r = await execa('git', ['commit', '-q', '-m', 'd'], { cwd: repo.dir, reject: false, timeout: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
  });
});

describe('a symlinked hook is chained, never replaced', () => {
  it('a dangling symlink moves aside with install and comes back with uninstall', async () => {
    const repo = await initialized();
    const hook = hookPath(repo, 'pre-commit');
    fs.symlinkSync('../../scripts/pre-commit', hook); // not there (yet)
    await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    expect(fs.readlinkSync(hook + '.cairn-chained')).toBe('../../scripts/pre-commit');
    expect(fs.lstatSync(hook).isFile()).toBe(true);
    expect(isCairnHook('pre-commit', fs.readFileSync(hook, 'utf8'))).toBe(true);
    // A commit works: git would not have run the dangling hook either.
    repo.write('a.txt', 'a');
    repo.git('add', 'a.txt');
    await execa('git', ['commit', '-q', '-m', 'a'], { cwd: repo.dir });
    await cairnOk(['hooks', 'uninstall'], { cwd: repo.dir });
    expect(fs.lstatSync(hook).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(hook)).toBe('../../scripts/pre-commit');
    expect(fs.existsSync(hook + '.cairn-chained')).toBe(false);
  });

  it('a symlink to a user script keeps running, through the chain', async () => {
    const repo = await initialized();
    const script = repo.write('scripts/pre-commit', '#!/bin/sh\necho "user pre-commit ran" >&2\n', 0o755);
    const hook = hookPath(repo, 'pre-commit');
    fs.symlinkSync(script, hook);
    await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    expect(fs.readlinkSync(hook + '.cairn-chained')).toBe(script);
    repo.write('b.txt', 'b');
    repo.git('add', 'b.txt');
    const r = await execa('git', ['commit', '-q', '-m', 'b'], { cwd: repo.dir });
    expect(r.stderr).toContain('user pre-commit ran');
    expect(fs.readFileSync(script, 'utf8')).toContain('user pre-commit ran'); // the target was not written through
  });

  it('a folder at a hook path, or a hook that cannot be chained, is refused (exit 7) before any hook is touched', async () => {
    const repo = await initialized();
    fs.mkdirSync(hookPath(repo, 'pre-push'));
    let r = await cairn(['hooks', 'install'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('is a folder');
    expect(fs.existsSync(hookPath(repo, 'post-checkout'))).toBe(false);
    fs.rmdirSync(hookPath(repo, 'pre-push'));

    fs.writeFileSync(hookPath(repo, 'pre-commit'), '#!/bin/sh\necho one\n', { mode: 0o755 });
    fs.symlinkSync('nowhere', hookPath(repo, 'pre-commit') + '.cairn-chained');
    r = await cairn(['hooks', 'install'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('merge them by hand');
    expect(fs.readFileSync(hookPath(repo, 'pre-commit'), 'utf8')).toBe('#!/bin/sh\necho one\n');
    expect(fs.readlinkSync(hookPath(repo, 'pre-commit') + '.cairn-chained')).toBe('nowhere');
    expect(fs.existsSync(hookPath(repo, 'post-checkout'))).toBe(false);
  });
});

describe('installed hooks survive node and cairn moving', () => {
  it('no absolute path to a node binary: hooks installed by a node that is gone run with the node on PATH', async () => {
    const repo = await initialized();
    // A node at a version manager's path, used to install, then removed (an upgrade).
    const oldNode = path.join(tempDir('cairn-nvm-'), 'v20.0.0', 'bin', 'node');
    fs.mkdirSync(path.dirname(oldNode), { recursive: true });
    try {
      fs.linkSync(process.execPath, oldNode);
    } catch {
      fs.copyFileSync(process.execPath, oldNode);
      fs.chmodSync(oldNode, 0o755);
    }
    await execa(oldNode, [BIN, 'hooks', 'install'], { cwd: repo.dir });
    fs.rmSync(oldNode);
    for (const name of HOOK_NAMES) {
      const text = fs.readFileSync(hookPath(repo, name), 'utf8');
      expect(text).not.toContain(oldNode);
      expect(text).not.toContain(process.execPath);
      expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    }
    await twoBranches(repo);
    const r = await execa('git', ['checkout', '-q', 'main'], { cwd: repo.dir, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(repo.read('model.bin')).toBe('model on main');
  });

  it('cairn on PATH is preferred to the recorded path', async () => {
    const repo = await initialized();
    await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    const bin = tempDir('cairn-bin-');
    const ran = path.join(bin, 'ran');
    fs.writeFileSync(path.join(bin, 'cairn'), `#!/bin/sh\necho "$@" >> '${ran}'\nexec node '${BIN}' "$@"\n`, { mode: 0o755 });
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    await twoBranches(repo, env);
    await execa('git', ['checkout', '-q', 'main'], { cwd: repo.dir, env });
    expect(fs.readFileSync(ran, 'utf8')).toContain('hooks run post-checkout');
    expect(repo.read('model.bin')).toBe('model on main');
  });

  it('with neither cairn nor node on PATH, a hook says how to reinstall; pre-commit and pre-push fail, post-checkout only warns', async () => {
    const repo = await initialized();
    await cairnOk(['hooks', 'install'], { cwd: repo.dir });
    await twoBranches(repo);
    const env = { PATH: bareBin() };
    const git = (...args: string[]) => execa('/usr/bin/git', args, { cwd: repo.dir, env, reject: false, input: '' });

    const checkout = await git('checkout', '-q', 'main');
    expect(checkout.exitCode).toBe(0);
    expect(checkout.stderr).toContain('the post-checkout hook cannot run cairn');
    expect(checkout.stderr).toContain('npm install -g cairn');
    expect(checkout.stderr).toContain('cairn hooks install');

    repo.write('c.txt', 'c');
    repo.git('add', 'c.txt');
    const commit = await git('commit', '-q', '-m', 'c');
    expect(commit.exitCode).not.toBe(0);
    expect(commit.stderr).toContain('the pre-commit hook cannot run cairn');
    expect(commit.stderr).toContain('git commit --no-verify');
    expect(repo.git('log', '-1', '--format=%s').trim()).toBe('main model');

    const bare = path.join(tempDir(), 'bare.git');
    repo.git('init', '-q', '--bare', bare);
    const pushed = await git('push', '-q', bare, 'main');
    expect(pushed.exitCode).not.toBe(0);
    expect(pushed.stderr).toContain('the pre-push hook cannot run cairn');
    expect(pushed.stderr).toContain('git push --no-verify');
  });
});
