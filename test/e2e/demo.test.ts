import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cairn } from '../helpers/cli.js';
import { fileDigest, tempDir } from '../helpers/repo.js';
import { dates, doubledWords, hashLengths, pluralMistakes } from '../helpers/outputChecks.js';
import { DATE_PATTERN, SHORT_HASH_LENGTH } from '../../src/display.js';

describe('cairn demo', () => {
  it('runs the workflow and, with --keep, leaves the project behind', async () => {
    const dir = path.join(tempDir(), 'demo');
    const r = await cairn(['demo', dir, '--keep'], { cwd: tempDir() });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('$ cairn add data');
    expect(r.stdout).toMatch(/demo finished: \d+ steps/);
    expect(r.stdout).toContain(`kept: ${dir}`);
    const project = path.join(dir, 'project');
    for (const step of [
      'cairn tag -m baseline',
      'cairn merge results/experiments.db exp/augmented:results/experiments.db',
      'cairn model promote --version e0.2.0',
      'cairn push',
      'cairn explore diff e0.1.0 e0.2.0',
      'cairn explore get e0.1.0',
      "cairn run -m 'lr 0.02 in one step' -- node train.mjs --lr 0.02",
      'cairn reproduce e0.4.0',
    ]) {
      expect(r.stdout).toContain(`$ ${step}`);
    }
    const tags = execFileSync('git', ['tag', '--list'], { cwd: project, encoding: 'utf8' }).trim().split('\n').sort();
    expect(tags).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0', 'e0.4.0', 'exp-augmented-v1']);
    // e0.4.0 was made by cairn run: its tag records the command, and reproduce found the same numbers.
    const message = execFileSync('git', ['cat-file', 'tag', 'e0.4.0'], { cwd: project, encoding: 'utf8' });
    expect(message).toContain('Cairn-Command: ["node","train.mjs","--lr","0.02"]');
    expect(r.stdout).toContain('e0.4.0 reproduced exactly');
    for (const file of [
      'data.cairn',
      'results/experiments.db',
      'models/candidates.cairn',
      'models/production/model.bin',
      'models/production/PROVENANCE.json',
    ]) {
      expect(fs.existsSync(path.join(project, file)), file).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(project, 'models/production/PROVENANCE.json'), 'utf8')).version).toBe('e0.2.0');
    expect(fs.existsSync(path.join(dir, 'exp-augmented'))).toBe(false); // cleaned up
    expect(fs.existsSync(path.join(dir, 'clone', 'data', 'train.parquet'))).toBe(true); // pulled into a fresh clone
    // What some forty commands printed, held to one style (test/e2e/output.test.ts).
    const printed = r.stdout + r.stderr;
    for (const n of hashLengths(printed)) expect([SHORT_HASH_LENGTH, 40, 64]).toContain(n);
    for (const d of dates(printed)) expect(d).toMatch(new RegExp(`^${DATE_PATTERN.source}$`));
    expect(pluralMistakes(printed)).toEqual([]);
    expect(doubledWords(printed)).toEqual([]);
  });

  it('leaves nothing behind without --keep: the folders it made go, the parent it found stays', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'made', 'for', 'demo');
    const r = await cairn(['demo', dir], { cwd: tempDir() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('refuses a folder that is not empty (exit 7) and touches nothing in it, `cairn demo .` included', async () => {
    const dir = tempDir();
    const victim = path.join(dir, 'precious.txt');
    fs.writeFileSync(victim, 'keep');
    const before = fileDigest(victim);
    for (const [args, cwd] of [
      [['demo', dir], tempDir()],
      [['demo', dir, '--keep'], tempDir()],
      [['demo', '.'], dir],
    ] as [string[], string][]) {
      const r = await cairn(args, { cwd });
      expect({ args, exit: r.exitCode }).toEqual({ args, exit: 7 });
      expect(r.stderr).toContain('is not empty');
      expect(r.stderr).toContain('hint:');
      expect(fs.readdirSync(dir)).toEqual(['precious.txt']);
      expect(fileDigest(victim)).toBe(before);
    }
  });

  it('in an existing empty folder (`cairn demo .`) builds there, then removes only what it made, never the folder', async () => {
    const parent = tempDir();
    const neighbour = path.join(parent, 'neighbour.txt');
    fs.writeFileSync(neighbour, 'next door');
    const before = fileDigest(neighbour);
    const dir = path.join(parent, 'here');
    fs.mkdirSync(dir);
    const r = await cairn(['demo', '.'], { cwd: dir });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`cairn demo in ${path.join(dir, 'project')}`);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.readdirSync(parent).sort()).toEqual(['here', 'neighbour.txt']);
    expect(fileDigest(neighbour)).toBe(before);
  });

  it('a DIR that is a file is refused (exit 5)', async () => {
    const file = path.join(tempDir(), 'notes.txt');
    fs.writeFileSync(file, 'notes');
    const r = await cairn(['demo', file], { cwd: tempDir() });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('is not a folder');
    expect(fs.readFileSync(file, 'utf8')).toBe('notes');
  });
});
