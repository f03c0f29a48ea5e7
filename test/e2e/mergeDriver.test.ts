/**
 * `git merge`, `git rebase` and `git cherry-pick` of experiment branches with
 * the merge driver `cairn init` registers: a results database changed on both
 * sides merges by cairn's rules; any other artifact changed on both sides is a
 * clear conflict that `cairn status` names.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, type TestRepo } from '../helpers/repo.js';
import { hashBytes } from '../../src/store/hash.js';

function logRows(file: string, rows: { track_id: string; timestamp: string; version: string; f1: number }[]): void {
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, version TEXT, f1 REAL, PRIMARY KEY (track_id, timestamp))');
  const insert = db.prepare('INSERT INTO "default" VALUES (@track_id, @timestamp, @version, @f1)');
  db.transaction(() => rows.forEach((r) => insert.run(r)))();
  db.close();
}

function trackIds(bytes: Buffer, dir: string): string[] {
  const file = path.join(dir, `read-${hashBytes(bytes).slice(7, 19)}.db`);
  fs.writeFileSync(file, bytes);
  const db = new Database(file, { readonly: true });
  const ids = (db.prepare('SELECT track_id FROM "default" ORDER BY track_id, timestamp').all() as { track_id: string }[]).map((r) => r.track_id);
  db.close();
  return ids;
}

function pointerHash(repo: TestRepo, rel: string): string {
  return (JSON.parse(repo.read(rel)) as { hash: string }).hash;
}

function objectBytes(repo: TestRepo, hash: string): Buffer {
  const hex = hash.slice(7);
  return fs.readFileSync(path.join(repo.dir, '.git', 'cairn', 'cache', 'objects', hex.slice(0, 2), hex.slice(2)));
}

/** main and exp/a each log their own run into results.db after a shared baseline, and each change data.bin unless told not to. */
async function divergedRepo(options: { data: boolean }): Promise<TestRepo> {
  const repo = gitRepo();
  repo.git('config', 'user.email', 'a@example.com');
  repo.git('config', 'user.name', 'a');
  await cairnOk(['init'], { cwd: repo.dir });
  const db = path.join(repo.dir, 'results.db');
  logRows(db, [{ track_id: 'base', timestamp: '2026-12-07 10:00:00', version: 'e0.1.0', f1: 0.7 }]);
  repo.write('data.bin', 'data v1\n');
  await cairnOk(['add', 'results.db', 'data.bin'], { cwd: repo.dir });
  repo.commit('baseline');
  repo.git('checkout', '-q', '-b', 'exp/a');
  logRows(db, [{ track_id: 'variant', timestamp: '2026-12-07 11:00:00', version: 'exp-a-v1', f1: 0.8 }]);
  if (options.data) repo.write('data.bin', 'data from exp\n');
  await cairnOk(['add', 'results.db', ...(options.data ? ['data.bin'] : [])], { cwd: repo.dir });
  repo.commit('variant run');
  repo.git('checkout', '-q', 'main');
  await cairnOk(['checkout'], { cwd: repo.dir });
  logRows(db, [{ track_id: 'main-run', timestamp: '2026-12-07 12:00:00', version: 'e0.2.0', f1: 0.75 }]);
  if (options.data) repo.write('data.bin', 'data from main\n');
  await cairnOk(['add', 'results.db', ...(options.data ? ['data.bin'] : [])], { cwd: repo.dir });
  repo.commit('main run');
  return repo;
}

const gitRun = (repo: TestRepo, args: string[]): { status: number; out: string } => {
  try {
    return { status: 0, out: execFileSync('git', args, { cwd: repo.dir, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, out: `${e.stdout}${e.stderr}` };
  }
};

describe('git merges experiment branches through the cairn merge driver', () => {
  it('cairn init registers the driver and the attribute', async () => {
    const repo = gitRepo();
    const r = await cairnOk(['init'], { cwd: repo.dir });
    expect(r.stdout).toContain('cairn merge-driver');
    expect(repo.read('.gitattributes')).toContain('*.cairn merge=cairn');
    expect(repo.git('config', 'merge.cairn.driver')).toMatch(/^node '.*bin\/cairn\.js' merge-driver %O %A %B %P\n$/);
    expect(repo.git('diff', '--cached', '--name-only')).toContain('.gitattributes');
    await cairnOk(['init'], { cwd: repo.dir });
    expect(repo.read('.gitattributes').match(/merge=cairn/g)).toHaveLength(1);
  });

  it('run by hand with files that do not exist: exit 2, and nothing is written', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const r = await cairn(['merge-driver', 'nope-O', 'nope-A', 'nope-B', 'x.cairn'], { cwd: repo.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('does not exist');
    expect(fs.existsSync(path.join(repo.dir, 'nope-A'))).toBe(false);
  });

  it('init in a fresh clone whose .gitattributes is a symlink refuses before writing anything', async () => {
    const repo = gitRepo();
    const outside = path.join(path.dirname(repo.dir), 'private.txt');
    fs.writeFileSync(outside, 'private\n');
    fs.symlinkSync(outside, path.join(repo.dir, '.gitattributes'));
    const r = await cairn(['init'], { cwd: repo.dir });
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('.gitattributes is a symlink');
    expect(fs.existsSync(path.join(repo.dir, '.cairn'))).toBe(false);
    expect(fs.readFileSync(outside, 'utf8')).toBe('private\n');
  });

  it.each([
    ['git merge', ['merge', '-q', '--no-edit', 'exp/a']],
    ['git rebase', ['rebase', '-q', 'exp/a']],
    ['git cherry-pick', ['cherry-pick', 'exp/a']],
  ])('%s of a branch that logged into results.db merges the rows of both sides', async (_label, args) => {
    const repo = await divergedRepo({ data: false });
    const r = gitRun(repo, args);
    expect(r.status, r.out).toBe(0);
    const merged = pointerHash(repo, 'results.db.cairn');
    expect(trackIds(objectBytes(repo, merged), path.dirname(repo.dir))).toEqual(['base', 'main-run', 'variant']);
    // The workspace copy follows (in a rebase git checked the other side out first, without the hook: cairn checkout).
    if (args[0] !== 'rebase') expect(hashBytes(fs.readFileSync(path.join(repo.dir, 'results.db')))).toBe(merged);
    await cairnOk(['checkout'], { cwd: repo.dir });
    expect(hashBytes(fs.readFileSync(path.join(repo.dir, 'results.db')))).toBe(merged);
    expect(repo.git('status', '--porcelain')).toBe('');
    const st = await cairn(['status', '--exit-code'], { cwd: repo.dir });
    expect(st.exitCode, st.stdout + st.stderr).toBe(0);
  });

  it('another artifact changed on both sides is a conflict that status names, with the steps', async () => {
    const repo = await divergedRepo({ data: true });
    const r = gitRun(repo, ['merge', '-q', '--no-edit', 'exp/a']);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('data.bin.cairn: both sides changed it');
    expect(repo.read('data.bin.cairn')).toMatch(/^<<<<<<< ours\n/);
    // The results database still merged.
    expect(trackIds(objectBytes(repo, pointerHash(repo, 'results.db.cairn')), path.dirname(repo.dir))).toEqual(['base', 'main-run', 'variant']);
    const st = await cairn(['status'], { cwd: repo.dir });
    expect(st.exitCode).toBe(6);
    expect(st.stderr).toContain('data.bin.cairn is in merge conflict');
    expect(st.stderr).toContain('git checkout --ours data.bin.cairn');
    // Following the steps ends in a clean state.
    repo.git('checkout', '--theirs', 'data.bin.cairn');
    await cairnOk(['checkout', '--force', 'data.bin'], { cwd: repo.dir });
    repo.git('add', 'data.bin.cairn');
    repo.git('commit', '-q', '--no-edit');
    expect(repo.read('data.bin')).toBe('data from exp\n');
    expect((await cairn(['status', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(0);
  });

  it('a true conflict between the two databases is left for the user', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    const db = path.join(repo.dir, 'results.db');
    logRows(db, [{ track_id: 'base', timestamp: '2026-12-07 10:00:00', version: 'e0.1.0', f1: 0.7 }]);
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('baseline');
    repo.git('checkout', '-q', '-b', 'exp/a');
    new Database(db).exec(`UPDATE "default" SET f1 = 0.9`);
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('rewrote a row');
    repo.git('checkout', '-q', 'main');
    await cairnOk(['checkout'], { cwd: repo.dir });
    new Database(db).exec(`UPDATE "default" SET f1 = 0.1`);
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('rewrote it otherwise');
    const r = gitRun(repo, ['merge', '-q', '--no-edit', 'exp/a']);
    expect(r.status, r.out).not.toBe(0);
    expect(r.out).toContain('do not merge');
    expect((await cairn(['status'], { cwd: repo.dir })).stderr).toContain('in merge conflict');
  });

  it('a folder artifact: changed on one side it merges, changed on both it is a conflict status names, with the steps', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('data/a.csv', 'a v1\n');
    repo.write('data/b.csv', 'b v1\n');
    repo.write('images/x.png', 'x v1\n');
    await cairnOk(['add', 'data', 'images'], { cwd: repo.dir });
    repo.commit('baseline');
    repo.git('checkout', '-q', '-b', 'exp/a');
    repo.write('data/a.csv', 'a from exp\n');
    repo.write('images/x.png', 'x from exp\n'); // only this side changes images/
    await cairnOk(['add', 'data', 'images'], { cwd: repo.dir });
    repo.commit('variant data');
    repo.git('checkout', '-q', 'main');
    await cairnOk(['checkout'], { cwd: repo.dir });
    repo.write('data/b.csv', 'b from main\n');
    await cairnOk(['add', 'data'], { cwd: repo.dir });
    repo.commit('main data');

    const r = gitRun(repo, ['merge', '-q', '--no-edit', 'exp/a']);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('data.cairn: both sides changed the folder, and only results databases merge');
    expect(repo.read('data.cairn')).toMatch(/^<<<<<<< ours\n/);
    // The folder only one side changed came through.
    expect(repo.read('images.cairn')).toBe(repo.git('show', 'exp/a:images.cairn'));
    const st = await cairn(['status'], { cwd: repo.dir });
    expect(st.exitCode).toBe(6);
    expect(st.stderr).toContain('data.cairn is in merge conflict');
    expect(st.stderr).toContain('git checkout --ours data.cairn');
    repo.git('checkout', '--ours', 'data.cairn');
    await cairnOk(['checkout', '--force'], { cwd: repo.dir });
    repo.git('add', 'data.cairn');
    repo.git('commit', '-q', '--no-edit');
    expect(repo.read('data/b.csv')).toBe('b from main\n');
    expect(repo.read('images/x.png')).toBe('x from exp\n');
    expect(repo.git('status', '--porcelain')).toBe('');
    expect((await cairn(['status', '--exit-code'], { cwd: repo.dir })).exitCode).toBe(0);
  });
});
