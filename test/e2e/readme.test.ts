/**
 * The README's quick start and its three workflows, extracted from README.md
 * and run verbatim (bash -e) in fresh git repositories: the README cannot
 * drift from what works. Each ends with a clean `git status`.
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

/** The ```sh blocks of the README section that starts with `heading`, in order. */
function shBlocks(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README.md has no section ${heading}`);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A folder for PATH with `cairn` (this checkout's build) and `python` (python3), as a user's shell has them. */
function binDir(): string {
  const bin = tempDir('cairn-bin-');
  fs.writeFileSync(path.join(bin, 'cairn'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'python'), '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
  return bin;
}

/**
 * The train.py the workflows assume: logs one row per run (xetrack's shape:
 * track_id, timestamp, version, params, metrics) into --db and writes the
 * model to models/out/<run>.pt. f1 depends on the learning rate and on the
 * code ("cnn" in train.py, which the worktree's $EDITOR adds, scores higher).
 */
const TRAIN_PY = `import argparse, os, sqlite3, time
p = argparse.ArgumentParser()
p.add_argument('--lr', type=float, default=0.01)
p.add_argument('--version', default=os.environ.get('CAIRN_VERSION'))
p.add_argument('--run')
p.add_argument('--db', default='results/experiments.db')
a = p.parse_args()
a.run = a.run or 'run-' + a.version
cnn = 'cnn' in open(__file__).read().split('# model:')[-1]
f1 = round(0.9 - abs(a.lr - 0.003) * 10 + (0.05 if cnn else 0), 4)
os.makedirs(os.path.dirname(a.db) or '.', exist_ok=True)
c = sqlite3.connect(a.db)
c.execute('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, version TEXT, lr REAL, f1 REAL)')
c.execute('INSERT INTO "default" VALUES (?, ?, ?, ?, ?)', (a.run, time.strftime('%Y-%m-%d %H:%M:%S') + '.%06d' % (time.time_ns() // 1000 % 1000000), a.version, a.lr, f1))
c.commit()
os.makedirs('models/out', exist_ok=True)
open(f'models/out/{a.run}.pt', 'w').write(f'weights of {a.run}, f1 {f1}')
# model: logreg
`;

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

describe("README's three workflows", () => {
  it('run as written, one after the other, each ending in a clean git status', async () => {
    const blocks = shBlocks('## Three workflows');
    expect(blocks).toHaveLength(5); // the settings, then sequential, the same in one step, sweep, worktree variants
    const [settings, sequential, oneStep, sweep, variants] = blocks as [string, string, string, string, string];
    expect(oneStep).toContain('cairn run');
    expect(sequential).toContain('cairn tag "$version"');
    expect(sweep).toContain('cairn merge results/experiments.db results/sweep-*.db');
    expect(variants).toContain('cairn worktree rm cnn --delete-branch');

    // What the workflows assume: a repository with cairn initialised and a train.py, committed.
    const repo = gitRepo({ 'train.py': TRAIN_PY });
    const bin = binDir();
    const home = tempDir('cairn-home-');
    // The worktree workflow's "$EDITOR train.py": the variant changes the model.
    const editor = path.join(bin, 'edit-model');
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "s/# model: logreg/# model: cnn/" "$1"\n', { mode: 0o755 });
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      EDITOR: editor,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    const sh = async (script: string) => {
      const r = await execa('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: repo.dir, env, reject: false });
      expect(r.exitCode, `${script}\n---\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };
    await sh('cairn init && git add -A && git commit -q -m "cairn init"');

    await sh(settings);
    expect(repo.git('status', '--porcelain')).toBe('');

    const seq = await sh(sequential);
    expect(seq.stdout).toContain('e0.1.0 -> e0.2.0');
    expect(seq.stdout).toMatch(/f1: 0\.83 -> 0\.9/);
    expect(repo.git('status', '--porcelain')).toBe('');

    const one = await sh(oneStep);
    expect(one.stdout + one.stderr).toContain('e0.3.0');
    expect(repo.git('for-each-ref', '--format=%(contents)', 'refs/tags/e0.3.0')).toContain('Cairn-Command: ["python","train.py","--lr","0.003"]');
    expect(repo.git('status', '--porcelain')).toBe('');

    await sh(sweep);
    expect(repo.git('tag', '--list', 'e*').trim().split('\n')).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0', 'e0.4.0']);
    expect(repo.git('for-each-ref', '--format=%(contents)', 'refs/tags/e0.4.0')).toContain('Cairn-Run: lr-0.003');
    expect(JSON.parse(repo.read('models/production/PROVENANCE.json'))).toMatchObject({ run: 'lr-0.003', version: 'e0.4.0' });
    expect(repo.git('status', '--porcelain')).toBe('');

    const v = await sh(variants);
    expect(v.stdout).toContain('removed');
    expect(fs.existsSync(path.join(path.dirname(repo.dir), 'exp-cnn'))).toBe(false);
    expect(repo.git('for-each-ref', '--format=%(contents)', 'refs/tags/exp-cnn-v1')).toContain('Cairn-Run: cnn-1');
    // The variant's run is in the main results, next to every run before it.
    const listed = JSON.parse((await execa('cairn', ['explore', 'list', '--json'], { cwd: repo.dir, env })).stdout) as { experiments: { tag: string }[] };
    expect(listed.experiments.map((e) => e.tag)).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0', 'e0.4.0', 'exp-cnn-v1']);
    expect(repo.git('status', '--porcelain')).toBe('');
  }, 240_000); // ~30 cairn and git commands in a row: about 55 s on a loaded 2-core machine
});
