/**
 * Temp git repositories for tests: `gitRepo({files})` makes a repo with the
 * given files committed on `main`, with signing, gc and hooks paths off.
 * Every temp folder is removed after the test file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test file. */
export function tempDir(prefix = 'cairn-test-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

export interface TestRepo {
  /** The work tree. */
  dir: string;
  git(...args: string[]): string;
  write(rel: string, content: string | Uint8Array, mode?: number): string;
  read(rel: string): string;
  exists(rel: string): boolean;
  commit(message?: string): string;
}

export function repoAt(dir: string): TestRepo {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    dir,
    git,
    write(rel, content, mode) {
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      if (mode !== undefined) fs.chmodSync(file, mode);
      return file;
    },
    read: (rel) => fs.readFileSync(path.join(dir, rel), 'utf8'),
    exists: (rel) => fs.existsSync(path.join(dir, rel)),
    commit(message = 'commit') {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
  };
}

/** A new repository on branch main with `files` committed. */
export function gitRepo(files: Record<string, string | Uint8Array> = { 'README.md': '# test\n' }): TestRepo {
  const dir = path.join(tempDir(), 'repo');
  fs.mkdirSync(dir);
  const repo = repoAt(dir);
  repo.git('init', '-q', '-b', 'main');
  // The settings `git config` would write, appended in one write instead of three git processes.
  fs.appendFileSync(path.join(dir, '.git', 'config'), '[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[gc]\n\tauto = 0\n');
  for (const [rel, content] of Object.entries(files)) repo.write(rel, content);
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'initial');
  return repo;
}

/** A linked worktree of `repo` on a new branch, beside it. */
export function linkedWorktree(repo: TestRepo, name = 'linked'): TestRepo {
  const dir = path.join(path.dirname(repo.dir), name);
  repo.git('worktree', 'add', '-q', '-b', name, dir);
  return repoAt(dir);
}

/** sha256 hex of a file, for comparing bytes. */
export function fileDigest(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}
