import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoPaths, repoPaths } from '../../src/git/git.js';
import { gitRepo, linkedWorktree, tempDir } from '../helpers/repo.js';

describe('finding the repository without starting git', () => {
  it.each([
    ['at the top level', ''],
    ['in a subfolder', 'src/deep'],
  ])('in the main worktree, %s: what git rev-parse says', async (_where, sub) => {
    const repo = gitRepo({ 'src/deep/a.txt': 'a\n' });
    const cwd = path.join(repo.dir, sub);
    expect(findRepoPaths(cwd, {})).toEqual(await repoPaths(cwd));
  });

  it('in a linked worktree (a .git file, a commondir): what git rev-parse says', async () => {
    const linked = linkedWorktree(gitRepo({ 'src/a.txt': 'a\n' }));
    for (const cwd of [linked.dir, path.join(linked.dir, 'src')]) {
      const found = findRepoPaths(cwd, {});
      expect(found).toEqual(await repoPaths(cwd));
      expect(found!.gitDir).not.toBe(found!.commonDir);
    }
  });

  it('leaves a submodule to git (its config sets core.worktree), never answering for the superproject', async () => {
    const inner = gitRepo({ 'lib.txt': 'lib\n' });
    const outer = gitRepo();
    outer.git('-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', inner.dir, 'sub');
    const cwd = path.join(outer.dir, 'sub');
    expect(findRepoPaths(cwd, {})).toBeNull();
    expect((await repoPaths(cwd)).root).toBe(cwd);
  });

  it.each(['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'])(
    'leaves it to git when %s is set',
    (name) => {
      const repo = gitRepo();
      expect(findRepoPaths(repo.dir, { [name]: '/somewhere' })).toBeNull();
      expect(findRepoPaths(repo.dir, {})).not.toBeNull();
    },
  );

  it('leaves it to git when the config sets core.worktree or core.bare', () => {
    const repo = gitRepo();
    repo.git('config', 'core.worktree', repo.dir);
    expect(findRepoPaths(repo.dir, {})).toBeNull();
    const bare = gitRepo();
    bare.git('config', 'core.bare', 'true');
    expect(findRepoPaths(bare.dir, {})).toBeNull();
  });

  it('leaves it to git for a .git that is not a plain repository: no HEAD, a .git file that names nothing', () => {
    const noHead = tempDir();
    fs.mkdirSync(path.join(noHead, '.git'));
    expect(findRepoPaths(noHead, {})).toBeNull();
    const badFile = tempDir();
    fs.writeFileSync(path.join(badFile, '.git'), 'not a gitdir line\n');
    expect(findRepoPaths(badFile, {})).toBeNull();
    const gone = tempDir();
    fs.writeFileSync(path.join(gone, '.git'), 'gitdir: ../nowhere\n');
    expect(findRepoPaths(gone, {})).toBeNull();
  });

  it('walks up the physical path, as git does: through a symbolic link it finds the repository the link points into', async () => {
    const a = gitRepo();
    const b = gitRepo({ 'sub/x.txt': 'x\n' });
    fs.symlinkSync(path.join(b.dir, 'sub'), path.join(a.dir, 'link'));
    for (const cwd of [path.join(a.dir, 'link'), `${a.dir}/link/..`]) {
      expect(findRepoPaths(cwd, {})).toEqual(await repoPaths(cwd));
      expect(findRepoPaths(cwd, {})!.root).toBe(b.dir);
    }
  });

  it('leaves it to git inside .git, in a bare repository nested in a work tree, and for a .git without objects', async () => {
    const repo = gitRepo();
    expect(findRepoPaths(path.join(repo.dir, '.git'), {})).toBeNull();
    expect(findRepoPaths(path.join(repo.dir, '.git', 'refs'), {})).toBeNull();
    const bare = path.join(repo.dir, 'nested.git');
    execFileSync('git', ['init', '-q', '--bare', bare]);
    expect(findRepoPaths(bare, {})).toBeNull();
    const hollow = path.join(repo.dir, 'hollow');
    fs.mkdirSync(path.join(hollow, '.git'), { recursive: true });
    fs.writeFileSync(path.join(hollow, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(findRepoPaths(hollow, {})).toBeNull();
  });

  it.each([
    ['core.bare = yes', ['config', 'core.bare', 'yes']],
    ['core.bare = 1', ['config', 'core.bare', '1']],
    ['extensions.worktreeConfig', ['config', 'extensions.worktreeConfig', 'true']],
  ])('leaves it to git when the config sets %s', (_what, args) => {
    const repo = gitRepo();
    repo.git(...args);
    expect(findRepoPaths(repo.dir, {})).toBeNull();
  });

  it('reads only a first-line gitdir: in a .git file, as git does', () => {
    const repo = gitRepo();
    const other = tempDir();
    fs.writeFileSync(path.join(other, '.git'), `# note\ngitdir: ${path.join(repo.dir, '.git')}\n`);
    expect(findRepoPaths(other, {})).toBeNull();
  });

  it('outside any repository: null, and git says so', async () => {
    const dir = tempDir();
    if (findRepoPaths(dir, {}) === null) await expect(repoPaths(dir)).rejects.toThrow(/not a git repository/);
    else throw new Error(`the temp folder ${dir} is inside a repository`);
  });
});
