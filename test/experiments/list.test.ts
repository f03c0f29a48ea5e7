import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotARepoError, UsageError, listExperiments, nextExperimentVersion, openRepo, tagExperiment, type Experiment } from '../../src/index.js';
import { gitRepo, linkedWorktree, tempDir, type TestRepo } from '../helpers/repo.js';

async function tagAs(repo: TestRepo, version: string, message: string): Promise<void> {
  await tagExperiment(await openRepo(repo.dir, { requireInit: false }), {
    cwd: repo.dir,
    version,
    ...(version.startsWith('v') ? { prefix: 'v' } : {}),
    db: false,
    message,
  });
}

/** A repo with experiment tags in scrambled order, plus tags that are not experiments. */
async function tagged(): Promise<TestRepo> {
  const repo = gitRepo({ 'train.py': 'print(1)\n' });
  for (const v of ['e0.9.0', 'e0.10.0', 'e0.2.0', 'exp-cnn-v10', 'exp-cnn-v2', 'v3.0.0']) {
    repo.write('train.py', `print("${v}")\n`);
    repo.commit(`commit for ${v}`);
    await tagAs(repo, v, `run ${v}`);
  }
  repo.git('tag', 'e0.3.0'); // lightweight
  repo.git('tag', '-a', '-m', 'not a version', 'e1');
  repo.git('tag', '-a', '-m', 'not a version', 'e1.x');
  repo.git('tag', '-a', '-m', 'not a version', 'e0.5.0-rc.1');
  repo.git('tag', '-a', '-m', 'hand made\n\nReviewed-by: Ada <ada@example.com>', 'e0.4.0');
  return repo;
}

describe('listing experiments from tags', () => {
  it('in version order (e0.10.0 after e0.9.0), worktree tags last, malformed tags skipped', async () => {
    const repo = await tagged();
    const experiments = await listExperiments(repo.dir);
    expect(experiments.map((e) => e.tag)).toEqual(['e0.2.0', 'e0.3.0', 'e0.4.0', 'e0.9.0', 'e0.10.0', 'exp-cnn-v2', 'exp-cnn-v10']);
  });

  it('with subject, date, commit and the parsed trailers', async () => {
    const repo = await tagged();
    const byTag = new Map((await listExperiments(repo.dir)).map((e) => [e.tag, e]));
    const e9 = byTag.get('e0.9.0')!;
    expect(e9).toMatchObject({ kind: 'semver', annotated: true, commit: repo.git('rev-parse', 'e0.9.0^{commit}').trim(), metrics: {}, params: {} });
    expect(e9.subject).toMatch(/^data=[0-9a-f]{12} \| run e0.9.0$/);
    expect(e9.data).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(e9.date))).toBe(false);
    expect(byTag.get('exp-cnn-v2')).toMatchObject({ kind: 'worktree', annotated: true });
    expect(byTag.get('e0.3.0')).toMatchObject({ annotated: false, subject: 'commit for v3.0.0', metrics: {}, params: {} });
    expect(byTag.get('e0.4.0')).toMatchObject({ subject: 'hand made', otherTrailers: [{ key: 'Reviewed-by', value: 'Ada <ada@example.com>' }] });
    expect(e9.otherTrailers).toBeUndefined();
  });

  it('of another prefix, given or configured', async () => {
    const repo = await tagged();
    expect((await listExperiments(repo.dir, { prefix: 'v' })).map((e) => e.tag)).toEqual(['v3.0.0', 'exp-cnn-v2', 'exp-cnn-v10']);
    repo.write('.cairn/config.json', JSON.stringify({ versions: { prefix: 'v' } }));
    expect((await listExperiments(repo.dir)).map((e) => e.tag)[0]).toBe('v3.0.0');
    expect((await listExperiments(repo.dir, { env: { CAIRN_VERSIONS_PREFIX: 'e' } })).map((e) => e.tag)[0]).toBe('e0.2.0');
    await expect(listExperiments(repo.dir, { prefix: '-x' })).rejects.toThrow(UsageError);
  });

  it('opens no database: a configured results file that is not one does not matter', async () => {
    const repo = await tagged();
    repo.write('results.db', 'this is not a database');
    repo.write('.cairn/config.json', JSON.stringify({ results: { db: 'results.db' }, metrics: { primary: 'f1' } }));
    expect(await listExperiments(repo.dir)).toHaveLength(7);
  });

  it('is empty in a repository without tags', async () => {
    expect(await listExperiments(gitRepo().dir)).toEqual([]);
  });

  it('outside a repository: NotARepoError', async () => {
    await expect(listExperiments(tempDir())).rejects.toThrow(NotARepoError);
    await expect(listExperiments(tempDir(), { prefix: 'e' })).rejects.toThrow(NotARepoError);
    await expect(nextExperimentVersion(tempDir())).rejects.toThrow(NotARepoError);
  });
});

describe('what tag messages say, remembered by object id', () => {
  const summariesOf = (repo: TestRepo): string => path.join(repo.dir, '.git', 'cairn', 'tag-summaries.json');

  /** The listing with nothing remembered: every message parsed by git. */
  async function fromGit(repo: TestRepo): Promise<Experiment[]> {
    fs.rmSync(summariesOf(repo), { recursive: true, force: true });
    return listExperiments(repo.dir);
  }

  it('a second listing reads the summaries file the first wrote, and lists the same', async () => {
    const repo = await tagged();
    const first = await listExperiments(repo.dir);
    const file = JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8'));
    const id = repo.git('rev-parse', 'refs/tags/e0.9.0').trim();
    expect(file.tags[id]).toMatchObject({ annotated: true, subject: first.find((e) => e.tag === 'e0.9.0')!.subject });
    expect(await listExperiments(repo.dir)).toEqual(first);
    // Proof that the second listing came from the file, not from git:
    file.tags[id].subject = 'read from the summaries file';
    fs.writeFileSync(summariesOf(repo), JSON.stringify(file));
    expect((await listExperiments(repo.dir)).find((e) => e.tag === 'e0.9.0')!.subject).toBe('read from the summaries file');
  });

  it('a tag added, moved or deleted since is listed as git has it now', async () => {
    const repo = await tagged();
    await listExperiments(repo.dir);
    repo.commit('more');
    await tagAs(repo, 'e0.11.0', 'a new one');
    repo.git('tag', '-f', '-a', '-m', 'moved here\n\nCairn-Metric: f1=0.75', 'e0.9.0', 'HEAD');
    repo.git('tag', '-d', 'e0.2.0');
    const listed = await listExperiments(repo.dir);
    expect(listed.map((e) => e.tag)).toEqual(['e0.3.0', 'e0.4.0', 'e0.9.0', 'e0.10.0', 'e0.11.0', 'exp-cnn-v2', 'exp-cnn-v10']);
    expect(listed.find((e) => e.tag === 'e0.9.0')).toMatchObject({
      subject: 'moved here',
      metrics: { f1: 0.75 },
      commit: repo.git('rev-parse', 'HEAD').trim(),
    });
    expect(listed).toEqual(await fromGit(repo));
  });

  it('after a new tag, git parses only its message; the others are read from the file', async () => {
    const repo = await tagged();
    await listExperiments(repo.dir);
    const file = JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8'));
    file.tags[repo.git('rev-parse', 'refs/tags/e0.9.0').trim()].subject = 'read from the summaries file';
    fs.writeFileSync(summariesOf(repo), JSON.stringify(file));
    repo.commit('more');
    await tagAs(repo, 'e0.11.0', 'a new one');
    const listed = await listExperiments(repo.dir);
    expect(listed.find((e) => e.tag === 'e0.9.0')!.subject).toBe('read from the summaries file');
    expect(listed.find((e) => e.tag === 'e0.11.0')).toMatchObject({ annotated: true, commit: repo.git('rev-parse', 'HEAD').trim() });
    expect(listed.find((e) => e.tag === 'e0.11.0')!.subject).toMatch(/\| a new one$/);
  });

  it('many new tags at once (more than are asked for one by one) are listed right', async () => {
    const repo = gitRepo();
    const head = repo.git('rev-parse', 'HEAD').trim();
    for (let i = 0; i < 70; i++) repo.git('tag', `e1.${i}.0`);
    repo.git('tag', '-a', '-m', 'annotated\n\nCairn-Metric: f1=0.5', 'e2.0.0');
    const listed = await listExperiments(repo.dir);
    expect(listed).toHaveLength(71);
    expect(listed.map((e) => e.tag).slice(0, 3)).toEqual(['e1.0.0', 'e1.1.0', 'e1.2.0']);
    expect(listed.every((e) => e.commit === head)).toBe(true);
    expect(listed[70]).toMatchObject({ tag: 'e2.0.0', annotated: true, metrics: { f1: 0.5 } });
    expect(await listExperiments(repo.dir)).toEqual(listed);
  });

  it('forgets deleted tags when it rewrites the file, but not the tags of a prefix it did not list', async () => {
    const repo = await tagged();
    await listExperiments(repo.dir);
    const idOf = (tag: string): string => repo.git('rev-parse', `refs/tags/${tag}`).trim();
    const gone = idOf('e0.2.0');
    const other = idOf('v3.0.0');
    repo.git('tag', '-d', 'e0.2.0');
    await listExperiments(repo.dir, { prefix: 'v' });
    const remembered = (): string[] => Object.keys(JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8')).tags);
    expect(remembered()).toContain(other);
    repo.git('tag', '-a', '-m', 'new', 'e0.12.0');
    await listExperiments(repo.dir);
    expect(remembered()).not.toContain(gone);
    expect(remembered()).toContain(idOf('e0.12.0'));
  });

  it.each([
    ['not JSON', 'garbage'],
    ['another format', JSON.stringify({ format: 99, tags: {} })],
    ['entries of the wrong shape', JSON.stringify({ format: 2, tags: { x: { commit: 5 } } })],
    ['null', 'null'],
  ])('a summaries file that is %s is read as empty and written again', async (_what, content) => {
    const repo = await tagged();
    const expected = await fromGit(repo);
    fs.writeFileSync(summariesOf(repo), content);
    expect(await listExperiments(repo.dir)).toEqual(expected);
    expect(JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8')).format).toBe(2);
    expect(await listExperiments(repo.dir)).toEqual(expected);
  });

  it('metrics JSON cannot hold (NaN, Infinity, -0) read back the same from the file', async () => {
    const repo = gitRepo();
    repo.git(
      'tag',
      '-a',
      '-m',
      'odd\n\nCairn-Metric: loss=NaN\nCairn-Metric: big=1e999\nCairn-Metric: small=-1e999\nCairn-Metric: z=-0\nCairn-Param: lr=0.1',
      'e0.3.0',
    );
    const fresh = await listExperiments(repo.dir);
    expect(fresh[0]!.metrics).toEqual({ loss: NaN, big: Infinity, small: -Infinity, z: -0 });
    const again = await listExperiments(repo.dir);
    expect(again).toEqual(fresh);
    expect(Object.is(again[0]!.metrics.z, -0)).toBe(true);
    expect(Object.keys(again[0]!)).toEqual(Object.keys(fresh[0]!));
  });

  it.each([
    ['a metric that is an object', { metrics: { a: { b: 1 } } }],
    ['a field of the wrong type', { results: 5 }],
    ['a field no experiment has', { extra: 'injected' }],
    ['trailers of the wrong shape', { otherTrailers: [{ key: 'K' }] }],
    ['an unknown kind', { kind: 'other' }],
    ['numbers that name no metric', { numbers: [['metrics', 'nope', 'NaN']] }],
  ])('an entry with %s is asked of git again, the others are kept', async (_what, damage) => {
    const repo = await tagged();
    const expected = await fromGit(repo);
    const file = JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8'));
    const id = repo.git('rev-parse', 'refs/tags/e0.9.0').trim();
    Object.assign(file.tags[id], damage);
    fs.writeFileSync(summariesOf(repo), JSON.stringify(file));
    expect(await listExperiments(repo.dir)).toEqual(expected);
    expect(JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8')).tags[id]).toEqual(expected.find((e) => e.tag === 'e0.9.0'));
  });

  it('an entry of the wrong shape is asked of git again, the others are kept', async () => {
    const repo = await tagged();
    const expected = await fromGit(repo);
    const file = JSON.parse(fs.readFileSync(summariesOf(repo), 'utf8'));
    const id = repo.git('rev-parse', 'refs/tags/e0.4.0').trim();
    file.tags[id] = { commit: 'x', annotated: 'yes' };
    fs.writeFileSync(summariesOf(repo), JSON.stringify(file));
    expect(await listExperiments(repo.dir)).toEqual(expected);
  });

  it('a summaries file that cannot be written does not stop the listing', async () => {
    const repo = await tagged();
    const expected = await fromGit(repo);
    fs.rmSync(summariesOf(repo));
    fs.mkdirSync(summariesOf(repo)); // a folder in its place: neither read nor replaced
    expect(await listExperiments(repo.dir)).toEqual(expected);
    expect(fs.statSync(summariesOf(repo)).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.dirname(summariesOf(repo)))).toEqual(['tag-summaries.json']);
  });

  it('clears the temp file a listing killed while writing left behind', async () => {
    const repo = await tagged();
    await listExperiments(repo.dir);
    const left = path.join(path.dirname(summariesOf(repo)), '.tag-summaries.json.cairn-tmp-999999999-abcdef01-0');
    fs.writeFileSync(left, '{"format":1,"ta');
    repo.git('tag', '-a', '-m', 'new', 'e0.12.0'); // a tag new to the file, so it is written again
    expect((await listExperiments(repo.dir)).map((e) => e.tag)).toContain('e0.12.0');
    expect(fs.existsSync(left)).toBe(false);
  });

  it('a replaced tag or commit is listed as git shows it (replace refs: nothing is read from the file)', async () => {
    const repo = gitRepo();
    repo.git('tag', 'e1.0.0');
    const before = await listExperiments(repo.dir);
    repo.commit('other subject');
    repo.git('replace', 'e1.0.0', 'HEAD');
    const after = await listExperiments(repo.dir);
    expect(after[0]!.subject).toBe('other subject');
    expect(after[0]!.subject).not.toBe(before[0]!.subject);
    expect(after).toEqual(await fromGit(repo));
  });

  it('with trailer.* config (it changes what git parses) every listing asks git, and writes no file', async () => {
    const repo = gitRepo();
    repo.git('tag', '-a', '-m', 'x\n\nCairn-Metric: a=1\nFoo# bar', 'e1.0.0');
    fs.rmSync(summariesOf(repo), { force: true });
    repo.git('config', 'trailer.separators', ':#');
    const listed = await listExperiments(repo.dir);
    expect(listed[0]).toMatchObject({ metrics: { a: 1 }, otherTrailers: [{ key: 'Foo', value: 'bar' }] });
    expect(fs.existsSync(summariesOf(repo))).toBe(false);
    repo.git('config', '--unset', 'trailer.separators');
    expect((await listExperiments(repo.dir))[0]!.otherTrailers).toBeUndefined();
  });

  it('is one file for all worktrees, in the git common dir', async () => {
    const repo = await tagged();
    const linked = linkedWorktree(repo);
    const fromLinked = await listExperiments(linked.dir);
    expect(fs.existsSync(summariesOf(repo))).toBe(true);
    expect(fs.readdirSync(path.join(repo.dir, '.git', 'worktrees', 'linked'))).not.toContain('cairn');
    expect(await listExperiments(repo.dir)).toEqual(fromLinked);
  });
});

describe('the next version', () => {
  it('follows the highest version of the prefix', async () => {
    const repo = await tagged();
    expect(await nextExperimentVersion(repo.dir)).toEqual({ next: 'e0.11.0', latest: 'e0.10.0', prefix: 'e', bump: 'minor' });
    expect((await nextExperimentVersion(repo.dir, { bump: 'patch' })).next).toBe('e0.10.1');
    expect((await nextExperimentVersion(repo.dir, { prefix: 'v', bump: 'major' })).next).toBe('v4.0.0');
    expect(await nextExperimentVersion(gitRepo().dir)).toEqual({ next: 'e0.1.0', latest: null, prefix: 'e', bump: 'minor' });
  });
});
