/**
 * The README's quick start, extracted and run verbatim in a fresh git
 * repository: the README cannot drift from what works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/repo.js';

const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

function quickStart(): string {
  const m = /<!-- quickstart -->\s*```sh\n([\s\S]*?)```\s*<!-- \/quickstart -->/.exec(README);
  if (!m) throw new Error('README.md has no <!-- quickstart --> block');
  return m[1]!;
}

describe('README quick start', () => {
  it('runs as written in a fresh git repository', async () => {
    const script = quickStart();
    expect(script).toContain('cairn init');
    const repo = gitRepo();
    const bin = tempDir('cairn-bin-');
    fs.writeFileSync(path.join(bin, 'cairn'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const r = await execa('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: repo.dir,
      env: { PATH: `${bin}:${process.env.PATH}` },
      reject: false,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('tagged');
    expect(r.stdout).toMatch(/exp-bigger-lr-v1[\s\S]*e0\.1\.0/); // explore list --sort f1: the variant first
    expect(r.stdout).toContain('f1: 0.81 -> 0.86');
    expect(fs.existsSync(path.join(repo.dir, '..', 'variant-results.db'))).toBe(true);
    // The quick start ends in a clean, committed state.
    expect(repo.git('status', '--porcelain')).toBe('');
    expect(r.stdout).toContain('all 2 artifacts up to date');
    expect(repo.git('tag', '--list').trim().split('\n').sort()).toEqual(['e0.1.0', 'exp-bigger-lr-v1']);
  });
});
