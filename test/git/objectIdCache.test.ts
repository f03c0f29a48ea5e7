/**
 * The one cache cairn keys by git object id (tag-summaries.json) against
 * git's own answer, over the layouts and settings where a re-implementation
 * of git would go wrong. "Git's answer" is a listing with the file removed:
 * every message parsed by git itself. Each case first warms the file, then
 * changes what git says without changing any object id (where the case is
 * about invalidation), and checks that the change was visible at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listExperiments, type Experiment } from '../../src/index.js';
import { objectIdCacheUsable } from '../../src/git/objectIdCache.js';
import { gitRepo, linkedWorktree, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';

const MESSAGE = 'run\n\nCairn-Metric: f1=0.5\nFoo# bar';

/** A repository with experiment tags whose messages git reads differently under `trailer.separators = :#`. */
function tagged(): TestRepo {
  const repo = gitRepo({ 'a.txt': 'a\n' });
  repo.git('tag', '-a', '-m', MESSAGE, 'e0.1.0');
  repo.commit('second');
  repo.git('tag', '-a', '-m', 'second\n\nCairn-Metric: f1=0.7', 'e0.2.0');
  repo.git('tag', 'e0.3.0'); // lightweight
  return repo;
}

const summaries = (commonDir: string): string => path.join(commonDir, 'cairn', 'tag-summaries.json');

/** The listing with nothing remembered: git's own answer. */
async function fromGit(cwd: string, commonDir: string): Promise<Experiment[]> {
  fs.rmSync(summaries(commonDir), { force: true });
  return listExperiments(cwd);
}

const savedEnv = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

describe("tag summaries hold git's answer where git would change it for the same object ids", () => {
  /** Warm the file, let `change` alter what git says, and hold the next listing against git's. */
  async function afterChange(repo: TestRepo, change: () => void): Promise<void> {
    const commonDir = path.join(repo.dir, '.git');
    const before = await listExperiments(repo.dir);
    expect(fs.existsSync(summaries(commonDir))).toBe(true);
    change();
    const listed = await listExperiments(repo.dir);
    expect(listed).not.toEqual(before); // the change is visible to git at all
    expect(listed).toEqual(await fromGit(repo.dir, commonDir));
  }

  const separators = (file: string): void => fs.writeFileSync(file, '[trailer]\n\tseparators = ":#"\n');

  it('trailer.* config in the repository', async () => {
    const repo = tagged();
    await afterChange(repo, () => repo.git('config', 'trailer.separators', ':#'));
  });

  it('trailer.* config brought in by include.path', async () => {
    const repo = tagged();
    const extra = path.join(tempDir(), 'extra.gitconfig');
    await afterChange(repo, () => {
      separators(extra);
      repo.git('config', 'include.path', extra);
    });
  });

  it('trailer.* config brought in by includeIf "gitdir:"', async () => {
    const repo = tagged();
    const extra = path.join(tempDir(), 'extra.gitconfig');
    await afterChange(repo, () => {
      separators(extra);
      repo.git('config', `includeIf.gitdir:${repo.dir}/.path`, extra);
    });
  });

  it('trailer.* config in the global file (GIT_CONFIG_GLOBAL)', async () => {
    const repo = tagged();
    const global = path.join(tempDir(), 'global.gitconfig');
    await afterChange(repo, () => {
      separators(global);
      process.env.GIT_CONFIG_GLOBAL = global;
    });
  });

  it('trailer.* config given in the environment (GIT_CONFIG_COUNT)', async () => {
    const repo = tagged();
    await afterChange(repo, () => Object.assign(process.env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'trailer.separators', GIT_CONFIG_VALUE_0: ':#' }));
  });

  it('a replace ref for a tagged commit', async () => {
    const repo = tagged();
    await afterChange(repo, () => {
      repo.commit('the replacement');
      repo.git('replace', 'e0.3.0', 'HEAD');
    });
  });

  it('a replace ref under another base (GIT_REPLACE_REF_BASE)', async () => {
    const repo = tagged();
    await afterChange(repo, () => {
      repo.commit('the replacement');
      const replacement = repo.git('rev-parse', 'HEAD').trim();
      const replaced = repo.git('rev-parse', 'e0.3.0').trim();
      repo.git('update-ref', `refs/elsewhere/${replaced}`, replacement);
      process.env.GIT_REPLACE_REF_BASE = 'refs/elsewhere/';
    });
  });

  it('GIT_NO_REPLACE_OBJECTS: replace refs ignored by git, and the file used', async () => {
    const repo = tagged();
    repo.commit('the replacement');
    repo.git('replace', 'e0.3.0', 'HEAD');
    process.env.GIT_NO_REPLACE_OBJECTS = '1';
    const commonDir = path.join(repo.dir, '.git');
    const first = await listExperiments(repo.dir);
    expect(first.find((e) => e.tag === 'e0.3.0')!.subject).toBe('second');
    expect(await objectIdCacheUsable(repo.dir)(['refs/replace/x'])).toBe(true);
    expect(await listExperiments(repo.dir)).toEqual(await fromGit(repo.dir, commonDir));
    expect(fs.existsSync(summaries(commonDir))).toBe(true);
  });
});

describe("tag summaries hold git's answer in every repository layout", () => {
  /** List from `cwd` twice (the second from the file) and hold both against git's answer; the file is in `commonDir`. */
  async function sameAsGit(cwd: string, commonDir: string): Promise<Experiment[]> {
    const expected = await fromGit(cwd, commonDir);
    expect(fs.existsSync(summaries(commonDir))).toBe(true);
    expect(await listExperiments(cwd)).toEqual(expected);
    return expected;
  }

  it('the main worktree and a subfolder', async () => {
    const repo = tagged();
    fs.mkdirSync(path.join(repo.dir, 'sub'));
    const listed = await sameAsGit(path.join(repo.dir, 'sub'), path.join(repo.dir, '.git'));
    expect(listed.map((e) => e.tag)).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
  });

  it('a linked worktree: one file in the common dir, tags made there seen from the main worktree', async () => {
    const repo = tagged();
    const linked = linkedWorktree(repo);
    const commonDir = path.join(repo.dir, '.git');
    await sameAsGit(linked.dir, commonDir);
    linked.commit('in linked');
    linked.git('tag', '-a', '-m', 'from linked\n\nCairn-Metric: f1=0.9', 'e0.4.0');
    const fromMain = await listExperiments(repo.dir);
    expect(fromMain.map((e) => e.tag)).toContain('e0.4.0');
    expect(await listExperiments(linked.dir)).toEqual(fromMain);
    expect(fromMain).toEqual(await fromGit(repo.dir, commonDir));
  });

  it('a .git file (gitdir:) pointing at a git dir elsewhere', async () => {
    const dir = path.join(tempDir(), 'work');
    const gitDir = path.join(tempDir(), 'repo.git');
    fs.mkdirSync(dir);
    const repo = repoAt(dir);
    repo.git('init', '-q', '-b', 'main', `--separate-git-dir=${gitDir}`);
    repo.git('config', 'tag.gpgsign', 'false');
    repo.write('a.txt', 'a\n');
    repo.commit('first');
    repo.git('tag', '-a', '-m', MESSAGE, 'e0.1.0');
    expect(fs.statSync(path.join(dir, '.git')).isFile()).toBe(true);
    expect((await sameAsGit(dir, gitDir)).map((e) => e.tag)).toEqual(['e0.1.0']);
  });

  it('GIT_DIR and GIT_WORK_TREE: the repository they name, not the one around cwd', async () => {
    const repo = tagged();
    const other = gitRepo(); // no tags
    process.env.GIT_DIR = path.join(repo.dir, '.git');
    process.env.GIT_WORK_TREE = repo.dir;
    const listed = await sameAsGit(other.dir, path.join(repo.dir, '.git'));
    expect(listed.map((e) => e.tag)).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
    expect(fs.existsSync(summaries(path.join(other.dir, '.git')))).toBe(false);
  });

  it("a submodule (a gitfile into the superproject's modules/, core.worktree set): its own tags", async () => {
    const inner = tagged();
    const outer = gitRepo();
    outer.git('tag', '-a', '-m', 'outer', 'e9.0.0');
    outer.git('-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', inner.dir, 'sub');
    const sub = path.join(outer.dir, 'sub');
    const commonDir = path.join(outer.dir, '.git', 'modules', 'sub');
    const listed = await sameAsGit(sub, commonDir);
    expect(listed.map((e) => e.tag)).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
  });

  it('a bare repository: refused, as git has no work tree there', async () => {
    const repo = tagged();
    const bare = path.join(tempDir(), 'bare.git');
    repo.git('clone', '-q', '--bare', repo.dir, bare);
    await expect(listExperiments(bare)).rejects.toThrow(/work tree/);
    expect(fs.existsSync(summaries(bare))).toBe(false);
  });
});
