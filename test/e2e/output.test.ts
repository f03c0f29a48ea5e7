/**
 * Output consistency across commands: one short-hash length, one date
 * format, plurals that agree, no word said twice ("invalid pointer: invalid
 * pointer"), every error in one shape, and `explore list --limit N` giving
 * the newest N. A set of commands runs over one fixture repository and every
 * line they print is checked.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { cairn, type CliResult } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { DATE_PATTERN, SHORT_HASH_LENGTH } from '../../src/display.js';
import { dates, doubledWords, hashLengths, pluralMistakes } from '../helpers/outputChecks.js';

function log(file: string, row: { track_id: string; timestamp: string; version: string; lr: number; f1: number }): void {
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, version TEXT, lr REAL, f1 REAL, PRIMARY KEY (track_id, timestamp))');
  db.prepare('INSERT INTO "default" VALUES (@track_id, @timestamp, @version, @lr, @f1)').run(row);
  db.close();
}

describe('the checks themselves', () => {
  it('catch what they are for, and pass what is right', () => {
    expect(hashLengths('tagged 3cc20d0 as e0.1.0, object 2c8b08da5ce6, data sha256:' + 'ab'.repeat(32))).toEqual([7, 12, 64]);
    expect(hashLengths('2026-12-08 12345678 deadbee0a /c/objects/ab/' + 'c'.repeat(62))).toEqual([9]);
    expect(dates('e0.1.0  2026-12-08T00:15:51+00:00  x 2026-12-08 00:15 y 2026-12-08')).toEqual([
      '2026-12-08T00:15:51+00:00',
      '2026-12-08 00:15',
      '2026-12-08',
    ]);
    expect(pluralMistakes('added data (1 files, 2 B); checked 2 object; kept 1 referenced object; 3 artifacts; 4 object(s); e0.1.0 files')).toEqual([
      '1 files',
      '2 object',
      'object(s)',
    ]);
    expect(doubledWords('invalid pointer: invalid pointer bad.cairn; modified:  one.txt; results: results.db; the the end')).toEqual([
      'invalid pointer: invalid pointer',
      'the the',
    ]);
  });
});

describe('output consistency over a fixture repository', () => {
  let repo: TestRepo;
  const outputs: { args: string[]; r: CliResult }[] = [];
  const run = async (args: string[], env?: Record<string, string>): Promise<CliResult> => {
    const r = await cairn(args, { cwd: repo.dir, env });
    outputs.push({ args, r });
    return r;
  };

  beforeAll(async () => {
    repo = gitRepo();
    const db = path.join(repo.dir, 'results.db');
    await run(['init']);
    await run(['config', 'set', 'results.db', 'results.db']);
    await run(['config', 'set', 'metrics.primary', 'f1']);
    repo.write('data/only.csv', 'a\n1\n'); // a folder of one file: "1 file"
    repo.write('w.bin', 'weights v1');
    log(db, { track_id: 'r1', timestamp: '2026-12-07 10:00', version: 'e0.1.0', lr: 0.1, f1: 0.8 });
    await run(['add', 'data', 'w.bin', 'results.db']);
    repo.commit('baseline');
    await run(['tag', '-m', 'baseline']);
    log(db, { track_id: 'r2', timestamp: '2026-12-07 11:00', version: 'e0.2.0', lr: 0.01, f1: 0.85 });
    repo.write('w.bin', 'weights v2');
    await run(['explore', 'diff', 'e0.1.0']);
    await run(['add', 'results.db', 'w.bin']);
    repo.commit('lower lr');
    await run(['tag', '-m', 'lower lr']);
    for (const args of [
      ['tags'],
      ['explore', 'list'],
      ['explore', 'show', 'e0.1.0'],
      ['explore', 'diff', 'e0.1.0', 'e0.2.0'],
      ['explore', 'lineage', 'w.bin'],
      ['status'],
      ['verify'],
      ['gc'],
      ['remote', 'add', 'store', path.join(tempDir(), 'store'), '--default'],
      ['push'],
      ['fetch'],
      ['pull'],
      ['model', 'add', 'w.bin', '--run', 'r2'],
      ['model', 'list'],
    ]) {
      await run(args);
    }
    const hash = JSON.parse(repo.read('w.bin.cairn')).hash as string;
    await run(['explore', 'lineage', hash.slice(7, 7 + SHORT_HASH_LENGTH)]);
    // A merge that keeps a backup, and the commands that show backups.
    log(path.join(repo.dir, 'other.db'), { track_id: 'r3', timestamp: '2026-12-07 12:00', version: 'e0.2.0', lr: 0.02, f1: 0.9 });
    await run(['merge', 'results.db', 'other.db', '--strategy', 'rebase', '--key', 'version', '--yes']);
    await run(['backup', 'list']);
    await run(['gc']);
    // Something to report: a modified file, a missing one, an invalid pointer.
    repo.write('w.bin', 'changed');
    fs.rmSync(path.join(repo.dir, 'data'), { recursive: true });
    repo.write('bad.cairn', 'not json');
    await run(['status']);
    await run(['verify']);
  }, 240_000);

  it('ran the commands it meant to (they succeed until the last two)', () => {
    const failed = outputs.slice(0, -2).filter((o) => o.r.exitCode !== 0);
    expect(failed.map((o) => `${o.args.join(' ')}: ${o.r.stderr}`)).toEqual([]);
    expect(outputs.at(-2)!.r.exitCode).toBe(8);
  });

  it(`every short hash has ${SHORT_HASH_LENGTH} hex digits, commits and objects alike`, () => {
    for (const { args, r } of outputs) {
      const text = r.stdout + r.stderr;
      for (const n of hashLengths(text)) expect([SHORT_HASH_LENGTH, 40, 64], `cairn ${args.join(' ')}:\n${text}`).toContain(n);
    }
    const shown = outputs.flatMap(({ r }) => hashLengths(r.stdout)).filter((n) => n === SHORT_HASH_LENGTH);
    expect(shown.length).toBeGreaterThan(10); // tags, list, show, lineage, add, diff, backups
  });

  it('every date has one format', () => {
    const all = outputs.flatMap(({ args, r }) => dates(r.stdout + r.stderr).map((d) => ({ d, args })));
    expect(all.length).toBeGreaterThan(5); // tags, list, show, lineage, backups
    for (const { d, args } of all) expect(d, `cairn ${args.join(' ')}`).toMatch(new RegExp(`^${DATE_PATTERN.source}$`));
  });

  it('counts agree with their nouns', () => {
    for (const { args, r } of outputs) expect(pluralMistakes(r.stdout + r.stderr), `cairn ${args.join(' ')}`).toEqual([]);
    const text = outputs.map(({ r }) => r.stdout).join('\n');
    expect(text).toContain('(1 file, ');
    expect(text).toMatch(/1 row of e0\.1\.0/);
  });

  it('no word is said twice in a row', () => {
    for (const { args, r } of outputs) expect(doubledWords(r.stdout + r.stderr), `cairn ${args.join(' ')}`).toEqual([]);
    const status = outputs.at(-2)!.r;
    expect(status.stderr).toContain('cairn: error: invalid pointer bad.cairn: it is not JSON');
    expect(status.stdout).not.toContain('invalid pointer'); // one invalid pointer: said once, in the error
    expect(outputs.at(-1)!.r.stdout).toContain('  invalid pointer bad.cairn: it is not JSON'); // verify's report
    // and its error gives only the steps for what it found
    expect(outputs.at(-1)!.r.stderr).toBe(
      'cairn: error: verify found 1 invalid pointer\nhint: restore the invalid pointers from git (git checkout -- <pointer>)\n',
    );
  });
});

describe('errors in one shape', () => {
  it.each([
    ['an unknown command', ['stauts'], 2],
    ['an unknown option', ['status', '--jsn'], 2],
    ['a bad option value', ['push', '-j', '0'], 2],
    ['a missing argument', ['merge'], 2],
    ['excess arguments', ['remote', 'ls', 'extra'], 2],
    ['contradicting flags', ['gc', '--yes', '--dry-run'], 2],
    ['a typed error', ['explore', 'show', 'nope'], 4],
    ['an invalid pointer', ['status'], 8],
  ])('%s: "cairn: error: <message>", then "hint: <what to do>"', async (_what, args, code) => {
    const repo = gitRepo();
    await cairn(['init'], { cwd: repo.dir });
    repo.write('bad.cairn', 'not json');
    const r = await cairn(args, { cwd: repo.dir });
    expect(r.exitCode).toBe(code);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^cairn: error: \S/);
    expect(lines.at(-1)).toMatch(/^hint: \S/);
    expect(lines).toHaveLength(2);
    expect(r.stderr).not.toMatch(/^error:|\(Did you mean/m);
  });

  it('tag before cairn init refuses like every repository command (exit 3), and tags nothing', async () => {
    const repo = gitRepo();
    const r = await cairn(['tag', '--no-db', '-m', 'too early'], { cwd: repo.dir });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe(`cairn: error: cairn is not initialised in ${repo.dir}\nhint: run cairn init (and commit .cairn/) first\n`);
    expect(repo.git('tag', '--list')).toBe('');
  });

  it('not a repository takes the same shape', async () => {
    const outside = await cairn(['status'], { cwd: tempDir() });
    expect(outside.exitCode).toBe(3);
    expect(outside.stderr).toMatch(/^cairn: error: .+\nhint: .+\n$/);
  });

  it('a suggestion goes into the hint', async () => {
    const r = await cairn(['status', '--jsn'], { cwd: tempDir() });
    expect(r.stderr).toBe("cairn: error: unknown option '--jsn'\nhint: did you mean --json? (run cairn status --help for usage)\n");
  });
});

describe('explore list --limit N', () => {
  it('gives the N most recently tagged, as git log -n, in the listing order; with --sort the N best', async () => {
    const repo = gitRepo();
    await cairn(['init'], { cwd: repo.dir });
    repo.commit('init');
    // Tagged out of version order: e0.2.0 first, then e0.3.0, then e0.1.0 (a late tag of an old commit).
    const tag = (name: string, date: string, f1: string): void => {
      execFileSync('git', ['tag', '-a', name, '-m', `f1=${f1}\n\nCairn-Version: ${name}\nCairn-Metric: f1=${f1}`], {
        cwd: repo.dir,
        env: { ...process.env, GIT_COMMITTER_DATE: date },
      });
    };
    tag('e0.2.0', '2026-01-01T10:00:00Z', '0.9');
    tag('e0.3.0', '2026-01-02T10:00:00Z', '0.7');
    tag('e0.1.0', '2026-01-03T10:00:00Z', '0.8');
    const list = async (...args: string[]): Promise<string[]> => {
      const r = await cairn(['explore', 'list', '--json', ...args], { cwd: repo.dir });
      expect(r.exitCode, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).experiments as { tag: string }[]).map((e) => e.tag);
    };
    expect(await list()).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
    expect(await list('--limit', '2')).toEqual(['e0.1.0', 'e0.3.0']);
    expect(await list('--limit', '1')).toEqual(['e0.1.0']);
    expect(await list('--limit', '5')).toEqual(['e0.1.0', 'e0.2.0', 'e0.3.0']);
    expect(await list('--sort', 'f1', '--limit', '2')).toEqual(['e0.2.0', 'e0.1.0']);
  });
});
