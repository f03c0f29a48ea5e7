/**
 * The express lane: next and tags without commander, for start-up speed.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXPRESS_COMMANDS, parseExpress } from '../../src/cli/express.js';
import { buildProgram, COMMAND_GROUPS, commandName } from '../../src/cli/main.js';
import { CliContext } from '../../src/cli/context.js';
import { gitRepo } from '../helpers/repo.js';

describe('reading the command line', () => {
  it.each([
    [['next'], { command: 'next', opts: {} }],
    [['tags', '--json'], { command: 'tags', opts: { json: true } }],
    [['-C', '/x', 'next', '--bump', 'patch', '--prefix=v'], { command: 'next', dir: '/x', opts: { bump: 'patch', prefix: 'v' } }],
    [['-C/x', 'tags', '--prefix', 'e', '--json'], { command: 'tags', dir: '/x', opts: { prefix: 'e', json: true } }],
  ])('%j is taken by the express lane', (args, expected) => {
    expect(parseExpress(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['tag']],
    [['status']],
    [['constructor']],
    [['--help']],
    [['next', '--help']],
    [['next', '-h']],
    [['next', '--bump']],
    [['next', '--bump', 'huge']],
    [['next', '--bump', '--json']],
    [['next', '--json=yes']],
    [['tags', 'extra']],
    [['tags', '--bump', 'minor']],
    [['-C']],
    [['-V', 'next']],
  ])('%j goes the ordinary way (commander)', (args) => {
    expect(parseExpress(args)).toBeNull();
  });

  it('accepts exactly the flags commander defines for those commands', async () => {
    const program = await buildProgram(new CliContext(), '0.0.0');
    for (const [name, spec] of Object.entries(EXPRESS_COMMANDS)) {
      const command = program.commands.find((c) => c.name() === name)!;
      const longs = command.options.map((o) => o.long);
      expect(longs.sort(), name).toEqual(Object.keys(spec.flags).sort());
      for (const option of command.options) expect(spec.flags[option.long!], option.long).toBe(option.required ? 'value' : 'switch');
    }
  });
});

describe('lazy command groups', () => {
  it('each group registers exactly the top-level commands listed for it', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = await buildProgram(new CliContext(), '0.0.0', [group.commands[0]!]);
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...group.commands].sort());
    }
    const all = await buildProgram(new CliContext(), '0.0.0');
    expect(all.commands.map((c) => c.name()).sort()).toEqual(COMMAND_GROUPS.flatMap((g) => g.commands).sort());
  });

  it('finds the command after the global options', () => {
    expect(commandName(['-C', 'dir', 'tags', '--json'])).toBe('tags');
    expect(commandName(['--help'])).toBeUndefined();
    expect(commandName(['-Cdir', 'next'])).toBe('next');
  });
});

describe('start-up cost', () => {
  it('next and tags load neither commander nor any database engine', () => {
    const repo = gitRepo();
    repo.git('tag', '-a', '-m', 'x', 'e0.1.0');
    const main = path.resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
    const script = `
      import { createRequire } from 'node:module';
      const { main } = await import(${JSON.stringify(main)});
      const codes = [];
      for (const args of [['tags', '--json'], ['next']]) codes.push(await main(['node', 'cairn', '-C', ${JSON.stringify(repo.dir)}, ...args], '0'));
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stderr.write(JSON.stringify({ codes, loaded }));
    `;
    const run = spawnSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stdout).toContain('"tag": "e0.1.0"');
    expect(run.stdout).toContain('e0.2.0\n');
    const report = JSON.parse(run.stderr) as { codes: number[]; loaded: string[] };
    expect(report.codes).toEqual([0, 0]);
    const heavy = report.loaded.filter((m) => /better-sqlite3|@duckdb|commander|fast-glob|@aws-sdk/.test(m));
    expect(heavy).toEqual([]);
  });
});
