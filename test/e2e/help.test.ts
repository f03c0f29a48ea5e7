/**
 * `--help` of every command, as snapshots: a change to the CLI's surface
 * shows up in review. Every command that does something shows examples.
 */
import { describe, expect, it } from 'vitest';
import { cairn } from '../helpers/cli.js';
import { tempDir } from '../helpers/repo.js';

const COMMANDS = [
  'init',
  'add',
  'status',
  'checkout',
  'untrack',
  'verify',
  'remote add',
  'remote list',
  'remote remove',
  'push',
  'fetch',
  'pull',
  'gc',
  'backup list',
  'backup drop',
  'hooks install',
  'hooks uninstall',
  'tag',
  'next',
  'tags',
  'run',
  'reproduce',
  'worktree new',
  'worktree list',
  'worktree rm',
  'merge',
  'model add',
  'model promote',
  'model prune',
  'model list',
  'explore list',
  'explore show',
  'explore diff',
  'explore get',
  'explore lineage',
  'explore checkout',
  'explore worktrees',
  'explore cleanup',
  'demo',
  'ui',
];

describe('help output', () => {
  it('cairn --help lists every command and the exit codes', async () => {
    const r = await cairn(['--help'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    for (const c of new Set(COMMANDS.map((c) => c.split(' ')[0]))) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toMatchSnapshot();
  });

  it.each(COMMANDS)('cairn %s --help', async (command) => {
    const r = await cairn([...command.split(' '), '--help'], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cairn /);
    expect(r.stdout, 'shows examples').toContain('Examples:');
    expect(r.stdout).toMatchSnapshot();
  });

  it('suggests the nearest command for a typo', async () => {
    for (const [typo, near] of [
      ['stauts', 'status'],
      ['merg', 'merge'],
      ['workstree', 'worktree'],
    ]) {
      const r = await cairn([typo!], { cwd: tempDir() });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`hint: did you mean ${near}?`);
    }
  });
});
