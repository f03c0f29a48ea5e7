import fs from 'node:fs';
import path from 'node:path';
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
    expect(fs.existsSync(path.join(project, 'data.cairn'))).toBe(true);
    expect(fs.existsSync(path.join(project, '.git', 'cairn', 'cache', 'objects'))).toBe(true);
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
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('is not empty');
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep');
  });
});
