import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cairn } from '../helpers/cli.js';
import { tempDir } from '../helpers/repo.js';

describe('cairn demo', () => {
  it('runs the workflow and, with --keep, leaves the project behind', async () => {
    const dir = path.join(tempDir(), 'demo');
    const r = await cairn(['demo', dir, '--keep'], { cwd: tempDir() });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('$ cairn add data');
    expect(r.stdout).toMatch(/demo finished: \d+ steps/);
    expect(r.stdout).toContain(`kept: ${dir}`);
    const project = path.join(dir, 'project');
    for (const step of ['cairn tag -m baseline', 'cairn merge results/experiments.db exp/augmented:results/experiments.db', 'cairn model promote --version e0.2.0', 'cairn push', 'cairn explore diff e0.1.0 e0.2.0', 'cairn explore get e0.1.0']) {
      expect(r.stdout).toContain(`$ ${step}`);
    }
    const tags = execFileSync('git', ['tag', '--list'], { cwd: project, encoding: 'utf8' }).trim().split('\n').sort();
    expect(tags).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0', 'exp-augmented-v1']);
    for (const file of ['data.cairn', 'results/experiments.db', 'models/candidates.cairn', 'models/production/model.bin', 'models/production/PROVENANCE.json']) {
      expect(fs.existsSync(path.join(project, file)), file).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(project, 'models/production/PROVENANCE.json'), 'utf8')).version).toBe('e0.2.0');
    expect(fs.existsSync(path.join(dir, 'exp-augmented'))).toBe(false); // cleaned up
    expect(fs.existsSync(path.join(dir, 'clone', 'data', 'train.parquet'))).toBe(true); // pulled into a fresh clone
  });

  it('leaves nothing behind without --keep', async () => {
    const dir = path.join(tempDir(), 'demo');
    const r = await cairn(['demo', dir], { cwd: tempDir() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('refuses a folder that is not empty', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep');
    const r = await cairn(['demo', dir], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is not empty');
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep');
  });
});
