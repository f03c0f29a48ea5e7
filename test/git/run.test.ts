import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusLines, trackedChanges } from '../../src/git/git.js';
import { FIXED_ENV, git, GitError } from '../../src/git/run.js';
import { gitRepo } from '../helpers/repo.js';

/** The environment and stdin a git call sees, read through a shell alias that git runs with them. */
async function seenBy(cwd: string, options: { env?: NodeJS.ProcessEnv; readOnly?: boolean } = {}): Promise<Record<string, string>> {
  const probe = '!env; if [ -t 0 ]; then echo STDIN=tty; else echo STDIN=not-a-tty; fi';
  const { stdout } = await git(['-c', `alias.probe=${probe}`, 'probe'], { cwd, ...options });
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('the git spawn primitive', () => {
  it('runs git in the C locale, without pager or prompt, stdin not a terminal, whatever the user set', async () => {
    const repo = gitRepo();
    const env = await seenBy(repo.dir, { env: { LC_ALL: 'de_DE.UTF-8', LANG: 'fr_FR.UTF-8', GIT_PAGER: 'less', GIT_TERMINAL_PROMPT: '1' } });
    expect(env.LC_ALL).toBe('C');
    expect(env.GIT_PAGER).toBe('cat');
    expect(env.PAGER).toBe('cat');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(env.STDIN).toBe('not-a-tty');
    expect(FIXED_ENV).toEqual({ LC_ALL: 'C', GIT_PAGER: 'cat', PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' });
  });

  it('sets GIT_OPTIONAL_LOCKS=0 for read-only calls only', async () => {
    const repo = gitRepo();
    expect((await seenBy(repo.dir, { readOnly: true })).GIT_OPTIONAL_LOCKS).toBe('0');
    expect((await seenBy(repo.dir)).GIT_OPTIONAL_LOCKS).toBeUndefined();
  });

  it("keeps the caller's other variables", async () => {
    const repo = gitRepo();
    expect((await seenBy(repo.dir, { env: { CAIRN_PROBE: 'yes' } })).CAIRN_PROBE).toBe('yes');
  });

  it("fails with GitError carrying git's English message", async () => {
    const repo = gitRepo();
    const err = await git(['rev-parse', '--verify', 'no-such-ref'], { cwd: repo.dir, env: { LC_ALL: 'de_DE.UTF-8' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toMatch(/Needed a single revision/);
  });
});

describe('reads take no optional lock', () => {
  /** A repository whose index holds stale stat data for a.txt (same bytes, new mtime): git status would refresh and rewrite the index. */
  function staleIndex() {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const file = path.join(repo.dir, 'a.txt');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    const index = path.join(repo.dir, '.git', 'index');
    return { repo, index, before: fs.readFileSync(index) };
  }

  it('control: plain git status rewrites a stale index', () => {
    const { repo, index, before } = staleIndex();
    repo.git('status', '--porcelain');
    expect(fs.readFileSync(index).equals(before)).toBe(false);
  });

  it.each([
    ['statusLines', (cwd: string) => statusLines(cwd)],
    ['trackedChanges', (cwd: string) => trackedChanges(cwd)],
  ])('%s leaves the index as it was (no index.lock taken)', async (_name, read) => {
    const { repo, index, before } = staleIndex();
    expect(await read(repo.dir)).toEqual([]);
    expect(fs.readFileSync(index).equals(before)).toBe(true);
    expect(fs.existsSync(`${index}.lock`)).toBe(false);
  });

  it('a read succeeds while another git process holds index.lock', async () => {
    const { repo, index } = staleIndex();
    fs.writeFileSync(`${index}.lock`, '');
    expect(await statusLines(repo.dir)).toEqual([]);
  });
});
