/**
 * What a new user's review asked for, run as a user would: errors that say
 * what to do, status that goes on past a bad pointer, config typos refused,
 * tag defaults, and remotes that push and pull everything that is there.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, repoAt, tempDir, type TestRepo } from '../helpers/repo.js';
import { resultsFile, xetrackTable } from '../helpers/results.js';

async function initialised(): Promise<TestRepo> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  return repo;
}

/** An initialised repo with a folder remote `origin` (the default) at `store`. */
async function withFolderRemote(): Promise<{ repo: TestRepo; store: string }> {
  const repo = await initialised();
  const store = path.join(tempDir(), 'store');
  await cairnOk(['remote', 'add', 'origin', store, '--default', '--shared'], { cwd: repo.dir });
  return { repo, store };
}

/** `cairn add` the files, then commit them and their pointers. */
async function addAndCommit(repo: TestRepo, files: Record<string, string>, message: string): Promise<void> {
  for (const [rel, content] of Object.entries(files)) repo.write(rel, content);
  await cairnOk(['add', ...Object.keys(files)], { cwd: repo.dir });
  repo.git('add', '-A');
  repo.git('commit', '-qm', message);
}

function objectFile(root: string, hash: string): string {
  const hex = hash.replace(/^sha256:/, '');
  return path.join(root, 'objects', hex.slice(0, 2), hex.slice(2));
}

describe('usage errors', () => {
  it('carry a hint, and with --json a JSON error on stdout', async () => {
    const repo = await initialised();
    const r = await cairn(['status', '--bogus'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stderr).toContain('hint: run cairn status --help for usage');
    const j = await cairn(['status', '--bogus', '--json'], { cwd: repo.dir });
    expect(j.exitCode).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
  });

  it('name -C after the command as the mistake it is', async () => {
    const repo = await initialised();
    const r = await cairn(['status', '-C', repo.dir], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('hint: global options go before the command, as with git: cairn -C <dir> status');
  });

  it('gc refuses --dry-run with --yes, and deletes nothing', async () => {
    const repo = await initialised();
    repo.write('a.bin', 'a');
    await cairnOk(['add', 'a.bin'], { cwd: repo.dir });
    await cairnOk(['untrack', 'a.bin'], { cwd: repo.dir });
    const r = await cairn(['gc', '--dry-run', '--yes'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('hint:');
    const dry = JSON.parse((await cairnOk(['gc', '--json'], { cwd: repo.dir })).stdout);
    expect(dry).toMatchObject({ dryRun: true, unreferenced: { count: 1 } });
  });
});

describe('cairn status', () => {
  it('lists an invalid pointer, reports the others, and exits 8', async () => {
    const repo = await initialised();
    repo.write('a.txt', 'a\n');
    repo.write('b.txt', 'b\n');
    await cairnOk(['add', 'a.txt', 'b.txt'], { cwd: repo.dir });
    repo.write('a.txt.cairn', 'not json');
    const r = await cairn(['status'], { cwd: repo.dir });
    expect(r.exitCode).toBe(8);
    // Said once, in the error (not also as "invalid pointer: invalid pointer ..." in the report).
    expect(r.stdout).not.toContain('invalid pointer');
    // Never "all up to date" beside an error.
    expect(r.stdout).toContain('1 of 2 artifacts up to date');
    expect(r.stdout).not.toContain('all ');
    expect(r.stderr).toContain('error: invalid pointer a.txt.cairn: it is not JSON');
    expect(r.stderr).toContain('hint:');
    const j = await cairn(['status', '--json'], { cwd: repo.dir });
    expect(j.exitCode).toBe(8);
    const doc = JSON.parse(j.stdout); // one JSON document, not the result and then an error
    expect(doc.artifacts.map((a: { path: string }) => a.path)).toEqual(['b.txt']);
    expect(doc.invalidPointers).toEqual([{ pointer: 'a.txt.cairn', message: expect.stringContaining('not JSON') }]);
    expect(repo.read('a.txt.cairn')).toBe('not json');

    // Several: all named; an unsafe path among them gives its exit code (7).
    repo.write('b.txt.cairn', JSON.stringify({ cairn: 1, kind: 'file', path: '../b.txt', hash: `sha256:${'0'.repeat(64)}`, size: 1 }));
    const both = await cairn(['status'], { cwd: repo.dir });
    expect(both.exitCode).toBe(7);
    expect(both.stderr).toContain('2 invalid pointer files: a.txt.cairn, b.txt.cairn');
    expect(both.stdout).toContain('invalid pointer a.txt.cairn: it is not JSON'); // several: the report says why for each
    expect(both.stderr).toContain('hint: restore them from git');
  });

  it('a pointer that is a folder: exit 8, named, like any other invalid pointer', async () => {
    const repo = await initialised();
    repo.write('a.txt', 'a\n');
    await cairnOk(['add', 'a.txt'], { cwd: repo.dir });
    fs.rmSync(path.join(repo.dir, 'a.txt.cairn'));
    fs.mkdirSync(path.join(repo.dir, 'a.txt.cairn'));
    const r = await cairn(['status'], { cwd: repo.dir });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('invalid pointer a.txt.cairn: it is a folder');
    expect(r.stdout).not.toContain('up to date'); // nothing valid was checked
  });

  it('says how many objects a modified folder lacks in the cache', async () => {
    const repo = await initialised();
    repo.write('d/x.txt', 'x\n');
    repo.write('d/y.txt', 'y\n');
    await cairnOk(['add', 'd'], { cwd: repo.dir });
    const cache = path.join(repo.dir, '.git', 'cairn', 'cache');
    // Lose one file's object, then change the folder.
    const xObject = objectFile(cache, `sha256:${createHash('sha256').update('x\n').digest('hex')}`);
    expect(fs.existsSync(xObject)).toBe(true);
    fs.chmodSync(xObject, 0o644);
    fs.rmSync(xObject);
    fs.rmSync(path.join(cache, 'state'), { recursive: true, force: true });
    repo.write('d/z.txt', 'z\n');
    const r = await cairnOk(['status'], { cwd: repo.dir });
    expect(r.stdout).toMatch(/modified: +d +\(1 object missing from cache\)/);
  });
});

describe('group subcommands', () => {
  it('a mistyped subcommand is an unknown command with a suggestion, not arguments to list', async () => {
    const repo = await initialised();
    const r = await cairn(['remote', 'ad', 'origin', '/x'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown command 'ad'");
    expect(r.stderr).toContain('hint: did you mean add?');
    const w = await cairn(['worktree', 'nwe', 'x'], { cwd: repo.dir });
    expect(w.stderr).toContain('hint: did you mean new?');
    const extra = await cairn(['remote', 'list', 'extra'], { cwd: repo.dir });
    expect(extra.exitCode).toBe(2);
    expect(extra.stderr).toContain("too many arguments for 'list'");
    expect((await cairnOk(['remote'], { cwd: repo.dir })).stdout).toContain('no remotes');
  });
});

describe('configuration', () => {
  it('refuses an unknown key, naming the valid ones', async () => {
    const repo = await initialised();
    repo.write('.cairn/config.json', JSON.stringify({ metrics: { primay: 'f1' } }));
    const r = await cairn(['status'], { cwd: repo.dir });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('unknown key metrics.primay');
    expect(r.stderr).toContain('hint: valid keys here: primary, minimize, names');
    repo.write('.cairn/config.json', JSON.stringify({ remtoes: {} }));
    expect((await cairn(['status'], { cwd: repo.dir })).stderr).toContain('unknown key remtoes');
    repo.write('.cairn/config.json', '{}');
    repo.write('.cairn/config.local.json', JSON.stringify({ remotes: { s3: { url: 's3://bucket', endpiont: 'http://x' } } }));
    const local = await cairn(['status'], { cwd: repo.dir });
    expect(local.exitCode).toBe(8);
    expect(local.stderr).toContain('config.local.json: unknown key remotes.s3.endpiont');
  });

  it('names the file to fix when it is not JSON', async () => {
    const repo = await initialised();
    repo.write('.cairn/config.json', '{"metrics": {');
    const r = await cairn(['status'], { cwd: repo.dir });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('hint: fix the JSON in .cairn/config.json by hand, or restore it with git checkout -- .cairn/config.json');
  });

  it('blames a bad CAIRN_* variable, not the config file', async () => {
    const repo = await initialised();
    const link = await cairn(['status'], { cwd: repo.dir, env: { CAIRN_CACHE_LINK: 'hard' } });
    expect(link.exitCode).toBe(2);
    expect(link.stderr).toContain('CAIRN_CACHE_LINK=hard is not a link type');
    const jobs = await cairn(['status'], { cwd: repo.dir, env: { CAIRN_TRANSFER_JOBS: 'many' } });
    expect(jobs.exitCode).toBe(2);
    expect(jobs.stderr).toContain('CAIRN_TRANSFER_JOBS=many');
  });
});

describe('cairn tag defaults', () => {
  /** A repository with `files` committed and cairn initialised (tag, like every repository command, needs cairn init). */
  async function initialisedWith(files: Record<string, string>): Promise<TestRepo> {
    const repo = gitRepo(files);
    await cairnOk(['init'], { cwd: repo.dir });
    repo.commit('cairn init');
    return repo;
  }

  const rows = xetrackTable([
    { version: 'e0.1.0', track: 'quick-ant-0001', lr: 0.01, model: 'bert', f1: 0.81, loss: 0.5 },
    { version: 'e0.1.0', track: 'calm-fox-0002', lr: 0.0001, model: 'bert', f1: 0.89, loss: 0.35 },
  ]);

  it('reads results.db at the root when no database is named', async () => {
    const repo = await initialisedWith({ 'train.py': 'x\n', '.gitignore': '/results.db\n' });
    await resultsFile('sqlite', path.join(repo.dir, 'results.db'), [rows]);
    const r = await cairnOk(['tag', '--metric', 'f1', '--json'], { cwd: repo.dir });
    expect(JSON.parse(r.stdout)).toMatchObject({ tag: 'e0.1.0', metrics: { f1: 0.89 } });
  });

  it('a stray results.db at the root: the error says it was picked by default, and --no-db tags anyway', async () => {
    const repo = await initialisedWith({ 'train.py': 'x\n', '.gitignore': '/results.db\n' });
    repo.write('results.db', '');
    const r = await cairn(['tag'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('(read because it is results.db at the root)');
    expect(r.stderr).toContain('--no-db to tag without results');
    await cairnOk(['tag', '--no-db'], { cwd: repo.dir });
  });

  it('does not depend on TMPDIR', async () => {
    const repo = await initialisedWith({ 'train.py': 'x\n' });
    await cairnOk(['tag', '--no-db', '-m', 'no temp dir'], { cwd: repo.dir, env: { TMPDIR: path.join(tempDir(), 'missing') } });
    expect(repo.git('tag', '--list')).toBe('e0.1.0\n');
    expect(fs.readdirSync(path.join(repo.dir, '.git')).filter((f) => f.startsWith('CAIRN_'))).toEqual([]);
  });

  it('refuses --metric with no database to read it from, and tags nothing', async () => {
    const repo = await initialisedWith({ 'train.py': 'x\n' });
    const r = await cairn(['tag', '--metric', 'f1'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--metric and --table need a results database');
    expect(repo.git('tag', '--list')).toBe('');
    const both = await cairn(['tag', '--metric', 'f1', '--no-db'], { cwd: repo.dir });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--no-db says to read none');
    expect(repo.git('tag', '--list')).toBe('');
  });

  it('notes a second tag on the same commit, and a loss taken as higher-is-better', async () => {
    const repo = await initialisedWith({ 'train.py': 'x\n', '.gitignore': '/results.db\n' });
    await resultsFile('sqlite', path.join(repo.dir, 'results.db'), [rows]);
    const loss = await cairnOk(['tag', 'e0.1.0', '--dry-run', '--metric', 'val_loss'], { cwd: repo.dir });
    expect(loss.stdout + loss.stderr).toContain('the best row is the one with the HIGHEST val_loss; pass --minimize if lower is better');
    const minimized = await cairnOk(['tag', 'e0.1.0', '--dry-run', '--metric', 'val_loss', '--minimize'], { cwd: repo.dir });
    expect(minimized.stdout + minimized.stderr).not.toContain('pass --minimize');
    await cairnOk(['tag', 'e0.1.0', '--metric', 'f1'], { cwd: repo.dir });
    const again = await cairnOk(['tag', 'e0.2.0', '--no-db'], { cwd: repo.dir });
    expect(again.stdout + again.stderr).toContain('this commit is already tagged as e0.1.0');
  });
});

describe('remotes', () => {
  it('push --all-tags also pushes what the workspace references', async () => {
    const { repo, store } = await withFolderRemote();
    await addAndCommit(repo, { 'tagged.bin': 'in a tag' }, 'tagged');
    repo.git('tag', '-a', '-m', 't', 'e0.1.0');
    repo.write('uncommitted.bin', 'only in the workspace');
    await cairnOk(['add', 'uncommitted.bin'], { cwd: repo.dir });
    const pushed = JSON.parse((await cairnOk(['push', '--all-tags', '--json'], { cwd: repo.dir })).stdout);
    expect(pushed.uploaded).toBe(2);
    const ws = JSON.parse(repo.read('uncommitted.bin.cairn')).hash;
    expect(fs.existsSync(objectFile(store, ws))).toBe(true);
  });

  it('--all-commits passes over a pointer committed broken in history', async () => {
    const { repo } = await withFolderRemote();
    await addAndCommit(repo, { 'a.txt': 'first' }, 'first');
    const good = repo.read('a.txt.cairn');
    repo.write('a.txt.cairn', '<<<<<<< HEAD\n');
    repo.git('commit', '-qam', 'a conflict committed by mistake');
    repo.write('a.txt.cairn', good);
    repo.git('commit', '-qam', 'mended');
    const pushed = JSON.parse((await cairnOk(['push', '--all-commits', '--json'], { cwd: repo.dir })).stdout);
    expect(pushed.uploaded).toBe(1);
    expect((await cairn(['gc', '--all-commits'], { cwd: repo.dir })).exitCode).toBe(0);
  });

  it('pull checks out what arrived, then names the pointers whose objects the remote lacks', async () => {
    const { repo, store } = await withFolderRemote();
    await addAndCommit(repo, { 'here.bin': 'pushed', 'gone.bin': 'never pushed' }, 'both');
    await cairnOk(['push'], { cwd: repo.dir });
    const gone = JSON.parse(repo.read('gone.bin.cairn')).hash;
    fs.rmSync(objectFile(store, gone), { force: true });

    const clone = repoAt(path.join(tempDir(), 'clone'));
    repo.git('clone', '-q', repo.dir, clone.dir);
    await cairnOk(['init'], { cwd: clone.dir });
    const r = await cairn(['pull'], { cwd: clone.dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('1 object(s) are not on remote origin, needed by: gone.bin.cairn');
    expect(r.stderr).toContain('checked out the 1 file(s) that did arrive');
    expect(clone.read('here.bin')).toBe('pushed');
    expect(clone.exists('gone.bin')).toBe(false);
  });
});
