import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { hashBytes } from '../../src/store/hash.js';

/** A repo with two experiments; e0.1.0 has an older model and data folder. */
async function history(): Promise<{ repo: TestRepo; store: string }> {
  const repo = gitRepo({ 'train.py': 'lr = 0.01\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  const store = path.join(tempDir(), 'store');
  await cairnOk(['remote', 'add', 'store', store, '--default'], { cwd: repo.dir });
  repo.write('models/model.bin', 'model v1');
  repo.write('data/images/a.bin', 'image a v1');
  await cairnOk(['add', 'models/model.bin', 'data'], { cwd: repo.dir });
  repo.commit('e0.1.0');
  repo.git('tag', '-a', 'e0.1.0', '-m', 'first');
  await cairnOk(['push'], { cwd: repo.dir });
  repo.write('train.py', 'lr = 0.001\n');
  repo.write('models/model.bin', 'model v2');
  repo.write('data/images/a.bin', 'image a v2');
  await cairnOk(['add', 'models/model.bin', 'data'], { cwd: repo.dir });
  repo.commit('e0.2.0');
  repo.git('tag', '-a', 'e0.2.0', '-m', 'second');
  repo.write('scratch.txt', 'uncommitted work');
  repo.git('stash', 'push', '-q', '--include-untracked', '-m', 'saved');
  repo.write('train.py', 'lr = 0.5 # being edited\n');
  return { repo, store };
}

function snapshot(repo: TestRepo) {
  return {
    head: repo.git('rev-parse', 'HEAD'),
    status: repo.git('status', '--porcelain'),
    stash: repo.git('stash', 'list'),
    worktrees: repo.git('worktree', 'list', '--porcelain'),
    index: repo.git('ls-files', '--stage'),
    model: repo.read('models/model.bin'),
  };
}

function dropFromCache(repo: TestRepo, content: string): void {
  const hex = hashBytes(content).slice(7);
  fs.rmSync(path.join(repo.dir, '.git/cairn/cache/objects', hex.slice(0, 2), hex.slice(2)));
}

describe('explore get touches nothing but its output', () => {
  it('an artifact whose object is in the cache', async () => {
    const { repo } = await history();
    const before = snapshot(repo);
    const out = path.join(tempDir(), 'm.bin');
    const r = JSON.parse((await cairnOk(['explore', 'get', 'e0.1.0', 'models/model.bin', '-o', out, '--json'], { cwd: repo.dir })).stdout);
    expect(r).toMatchObject({ source: 'cache', size: 8, hash: hashBytes('model v1') });
    expect(fs.readFileSync(out, 'utf8')).toBe('model v1');
    expect(snapshot(repo)).toEqual(before);
  });

  it('a file inside a tracked folder, only on the remote', async () => {
    const { repo } = await history();
    dropFromCache(repo, 'image a v1');
    const before = snapshot(repo);
    const dir = tempDir();
    const r = JSON.parse(
      (await cairnOk(['-C', repo.dir, 'explore', 'get', 'e0.1.0', 'data/images/a.bin', '-o', path.join(dir, 'a.bin'), '--json'], { cwd: dir })).stdout,
    );
    expect(r.source).toBe('remote');
    expect(fs.readFileSync(path.join(dir, 'a.bin'), 'utf8')).toBe('image a v1');
    expect(snapshot(repo)).toEqual(before);
  });

  it('nowhere: nonzero, nothing left behind', async () => {
    const { repo, store } = await history();
    dropFromCache(repo, 'model v1');
    fs.rmSync(path.join(store, 'objects'), { recursive: true, force: true });
    fs.mkdirSync(path.join(store, 'objects'));
    const before = snapshot(repo);
    const dir = tempDir();
    const r = await cairn(['-C', repo.dir, 'explore', 'get', 'e0.1.0', 'models/model.bin', '-o', path.join(dir, 'model.bin')], { cwd: dir });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('neither in the cache nor on remote store');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(snapshot(repo)).toEqual(before);
  });

  it('a git-tracked file, to stdout', async () => {
    const { repo } = await history();
    const before = snapshot(repo);
    const r = await cairnOk(['explore', 'get', 'e0.1.0', 'train.py', '-o', '-'], { cwd: repo.dir });
    expect(r.stdout).toBe('lr = 0.01\n');
    expect(snapshot(repo)).toEqual(before);
  });

  it('a reader that stops early (| head) ends cairn quietly, not with a stack trace', async () => {
    const { repo } = await history();
    repo.write('big.bin', Buffer.alloc(5 * 1024 * 1024, 7));
    await cairnOk(['add', 'big.bin'], { cwd: repo.dir });
    repo.git('stash', 'push', '-q');
    repo.commit('big');
    repo.git('tag', '-a', 'e0.3.0', '-m', 'big');
    const r = await execa('sh', ['-c', `"${process.execPath}" "${BIN}" explore get e0.3.0 big.bin -o - | head -c 10 | wc -c`], {
      cwd: repo.dir,
      reject: false,
    });
    expect(r.stdout.trim()).toBe('10');
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).toBe('');
  });

  it('bad input: unknown version, path not present, a tracked folder, an existing output, an unsafe path', async () => {
    const { repo } = await history();
    const dir = tempDir();
    const unknown = await cairn(['explore', 'get', 'e7.0.0', 'train.py'], { cwd: repo.dir });
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toContain('unknown version "e7.0.0"');
    const absent = await cairn(['explore', 'get', 'e0.1.0', 'nothing/here.txt'], { cwd: repo.dir });
    expect(absent.exitCode).toBe(4);
    expect(absent.stderr).toContain('nothing/here.txt is not present at e0.1.0');
    const folder = await cairn(['explore', 'get', 'e0.1.0', 'data'], { cwd: repo.dir });
    expect(folder.exitCode).toBe(2);
    const out = path.join(dir, 'model.bin');
    fs.writeFileSync(out, 'mine');
    const exists = await cairn(['explore', 'get', 'e0.1.0', 'models/model.bin', '-o', out], { cwd: repo.dir });
    expect(exists.exitCode).toBe(5);
    expect(fs.readFileSync(out, 'utf8')).toBe('mine');
    await cairnOk(['explore', 'get', 'e0.1.0', 'models/model.bin', '-o', out, '--force'], { cwd: repo.dir });
    expect(fs.readFileSync(out, 'utf8')).toBe('model v1');
    const unsafe = await cairn(['explore', 'get', 'e0.1.0', '../../etc/passwd'], { cwd: repo.dir });
    expect(unsafe.exitCode).toBe(7);
  });
});

describe('explore lineage', () => {
  it('lists the experiments that hold some content, newest first', async () => {
    const { repo } = await history();
    repo.git('tag', '-a', 'e0.3.0', '-m', 'third, same data as e0.2.0');
    const byPath = JSON.parse((await cairnOk(['explore', 'lineage', 'data/images/a.bin', '--json'], { cwd: repo.dir })).stdout);
    expect(byPath.hash).toBe(hashBytes('image a v2'));
    expect(byPath.experiments.map((e: { tag: string }) => e.tag).sort()).toEqual(['e0.2.0', 'e0.3.0']);
    expect(byPath.experiments[0].paths).toEqual(['data/images/a.bin']);
    const byHash = JSON.parse((await cairnOk(['explore', 'lineage', hashBytes('model v1'), '--json'], { cwd: repo.dir })).stdout);
    expect(byHash.experiments.map((e: { tag: string }) => e.tag)).toEqual(['e0.1.0']);
    const none = await cairn(['explore', 'lineage', 'nope.bin'], { cwd: repo.dir });
    expect(none.exitCode).toBe(4);
    // The 12-digit short hash cairn prints (and any unique prefix of 7+ digits) works as well.
    const short = hashBytes('model v1').slice(7, 19);
    const byShort = JSON.parse((await cairnOk(['explore', 'lineage', short, '--json'], { cwd: repo.dir })).stdout);
    expect(byShort.hash).toBe(hashBytes('model v1'));
    expect(byShort.experiments.map((e: { tag: string }) => e.tag)).toEqual(['e0.1.0']);
    expect((await cairn(['explore', 'lineage', '0000000'], { cwd: repo.dir })).exitCode).toBe(4);
  });
});
