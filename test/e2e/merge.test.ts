/**
 * `cairn merge` end to end, through the built CLI: output, --json, exit
 * codes and messages for refusals and bad input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addArtifacts, openRepo } from '../../src/index.js';
import { init } from '../../src/artifacts/init.js';
import { cairn } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/repo.js';
import { bytesOf, makeDatabase, readRows, readTables } from '../helpers/resultFiles.js';
import { base, branch, conflicting, rerun } from '../helpers/xetrack.js';

async function pair(source = branch) {
  const dir = tempDir('cairn-e2e-merge-');
  await makeDatabase(path.join(dir, 'results.db'), 'sqlite', base());
  await makeDatabase(path.join(dir, 'exp.db'), 'sqlite', source());
  return dir;
}

describe('cairn merge (CLI)', () => {
  it('merges and prints a summary per table; --json gives the same numbers', async () => {
    const dir = await pair();
    const r = await cairn(['merge', 'results.db', 'exp.db'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^merged 1 source into .*results\.db\n/);
    expect(r.stdout).toMatch(/^ {2}table +source +added +duplicates +conflicts +filled +replaced +deleted +changes$/m);
    expect(r.stdout).toMatch(/^ {2}default +exp\.db +3 +4 +0 +0 +0 +0 +\+f1 REAL, \+epochs INTEGER$/m);
    // No row holds an asset hash: the count already there stays, the new asset's count is copied.
    expect(r.stdout).toMatch(/^ {2}counts +exp\.db +1 +1 +0 +0 +0 +0 *$/m);
    const again = await cairn(['merge', 'results.db', 'exp.db', '--json'], { cwd: dir });
    expect(again.exitCode).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.applied).toBe(true);
    expect(json.totals).toEqual({ added: 0, duplicates: 23, conflicts: 0, filled: 0, replaced: 0, deleted: 0, updated: 0, columnsAdded: 0, tablesCreated: 0 });
  });

  it('conflicts: exit 6, each conflict listed, one JSON document, target unchanged', async () => {
    const dir = await pair(conflicting);
    const before = bytesOf(path.join(dir, 'results.db'));
    const r = await cairn(['merge', 'results.db', 'exp.db'], { cwd: dir });
    expect(r.exitCode).toBe(6);
    expect(r.stdout).toContain('  conflict: default [track_id="run-a" timestamp="2024-01-01 10:05:00.000002"] acc: 0.83 (target) vs 0.99 (source)\n');
    expect(r.stderr).toContain('cairn: error: 1 conflicting row in "default": same identity, different values; nothing was written\n');
    expect(r.stderr).toMatch(/hint: rerun with --on-conflict keep/);
    const j = await cairn(['merge', 'results.db', 'exp.db', '--json'], { cwd: dir });
    expect(j.exitCode).toBe(6);
    const json = JSON.parse(j.stdout);
    expect([json.applied, json.refused, json.error.code, json.conflicts.length]).toEqual([false, 'conflicts', 'E_CONFLICT', 1]);
    expect(bytesOf(path.join(dir, 'results.db')).equals(before)).toBe(true);

    const kept = await cairn(['merge', 'results.db', 'exp.db', '--on-conflict', 'keep'], { cwd: dir });
    expect(kept.exitCode).toBe(0);
  });

  it('rebase without --yes: exit 7, says what would change, writes nothing; with --yes it applies and names the backup', async () => {
    const dir = await pair(rerun);
    const before = bytesOf(path.join(dir, 'results.db'));
    const dry = await cairn(['merge', 'results.db', 'exp.db', '--strategy', 'rebase', '--key', 'version'], { cwd: dir });
    expect(dry.exitCode).toBe(7);
    expect(dry.stdout).toMatch(/^would rebase 1 source into/);
    expect(dry.stderr).toContain('cairn: error: rebase would delete 2 rows and insert 3; nothing was written\n');
    expect(bytesOf(path.join(dir, 'results.db')).equals(before)).toBe(true);
    const yes = await cairn(['merge', 'results.db', 'exp.db', '--strategy', 'rebase', '--key', 'version', '--yes'], { cwd: dir });
    expect(yes.exitCode).toBe(0);
    const backup = /^prior state kept: (.+)$/m.exec(yes.stdout)![1]!;
    expect(bytesOf(backup).equals(before)).toBe(true);
  });

  it('-o writes a new file and leaves the target as it is', async () => {
    const dir = await pair();
    const before = bytesOf(path.join(dir, 'results.db'));
    const r = await cairn(['merge', 'results.db', 'exp.db', '-o', 'merged.db'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(bytesOf(path.join(dir, 'results.db')).equals(before)).toBe(true);
    expect(await readRows(path.join(dir, 'merged.db'), 'default')).toHaveLength(7);
  });

  it('-o refuses to replace a file that exists, unless --force', async () => {
    const dir = await pair();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'precious');
    const r = await cairn(['merge', 'results.db', 'exp.db', '-o', 'notes.txt'], { cwd: dir });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('already exists');
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('precious');
    expect((await cairn(['merge', 'results.db', 'exp.db', '-o', 'notes.txt', '--force'], { cwd: dir })).exitCode).toBe(0);
    expect(await readRows(path.join(dir, 'notes.txt'), 'default')).toHaveLength(7);
  });

  it('creates a target that does not exist yet from its sources (SQLite and DuckDB)', async () => {
    const dir = await pair();
    await makeDatabase(path.join(dir, 'exp.duckdb'), 'duckdb', branch());
    const r = await cairn(['merge', 'new.db', 'results.db', 'exp.db'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readRows(path.join(dir, 'new.db'), 'default')).toHaveLength(7);
    expect((await cairn(['merge', 'new.duckdb', 'exp.duckdb'], { cwd: dir })).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'new.duckdb')).subarray(8, 12).toString()).toBe('DUCK');
    const again = JSON.parse((await cairn(['merge', 'new.db', 'results.db', 'exp.db', '--json'], { cwd: dir })).stdout);
    expect(again.totals.added).toBe(0);
  });

  it('a folder given as a source: usage error naming it', async () => {
    const dir = await pair();
    fs.mkdirSync(path.join(dir, 'folder'));
    const r = await cairn(['merge', 'results.db', 'folder'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('folder is a folder, not a results file');
  });

  it("merges a branch's results by REV:path after its worktree was removed", async () => {
    const repo = gitRepo();
    await init(repo.dir);
    await makeDatabase(path.join(repo.dir, 'results.db'), 'sqlite', base());
    await addArtifacts(await openRepo(repo.dir), { cwd: repo.dir, paths: ['results.db'] });
    repo.commit('base');
    const wt = path.join(path.dirname(repo.dir), 'exp-cnn');
    repo.git('worktree', 'add', '-q', '-b', 'exp/cnn', wt);
    await makeDatabase(path.join(wt, 'results.db'), 'sqlite', branch());
    await addArtifacts(await openRepo(wt), { cwd: wt, paths: ['results.db'] });
    repo.git('-C', wt, 'commit', '-q', '-m', 'cnn');
    repo.git('worktree', 'remove', '--force', wt);
    const r = await cairn(['merge', 'results.db', 'exp/cnn:results.db', '--json'], { cwd: repo.dir });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).totals.added).toBe(12);
  });

  describe('bad input', () => {
    it('hostile table and column names are quoted, never run', async () => {
      const dir = await pair();
      const evil = 'x"; DROP TABLE "default"; --';
      await makeDatabase(path.join(dir, 'evil.db'), 'sqlite', [
        {
          name: evil,
          columns: [
            { name: `va'l;ue "q"`, sqlite: 'TEXT', duckdb: 'VARCHAR' },
            { name: 'é字', sqlite: 'REAL', duckdb: 'DOUBLE' },
          ],
          rows: [["'); DROP TABLE metrics; --", 1.5]],
        },
        { name: 'default', columns: [{ name: 'track_id); DROP TABLE metrics; --', sqlite: 'TEXT', duckdb: 'VARCHAR' }], rows: [['x']] },
      ]);
      const r = await cairn(['merge', 'results.db', 'evil.db', '--json'], { cwd: dir });
      expect(r.exitCode).toBe(0);
      const json = JSON.parse(r.stdout);
      expect(json.tables.map((t: { table: string; added: number }) => [t.table, t.added])).toEqual([
        ['default', 1],
        [evil, 1],
      ]);
      const tables = await readTables(path.join(dir, 'results.db'));
      expect(tables).toEqual(expect.arrayContaining(['default', 'metrics', evil]));
      expect(await readRows(path.join(dir, 'results.db'), evil)).toEqual([{ [`va'l;ue "q"`]: "'); DROP TABLE metrics; --", é字: 1.5 }]);

      const id = await cairn(['merge', 'results.db', 'exp.db', '--id', 'x"; DROP TABLE "default"; --'], { cwd: dir });
      expect(id.exitCode).toBe(4);
      expect(id.stderr).toContain('cairn: error: unknown id column "x\\"; DROP TABLE \\"default\\"; --" in table "default" of exp.db');
      expect(await readTables(path.join(dir, 'results.db'))).toContain('default');
    });

    it('an unknown key column: exit 4 and the columns there', async () => {
      const dir = await pair(rerun);
      const r = await cairn(['merge', 'results.db', 'exp.db', '--strategy', 'rebase', '--key', 'release', '--yes'], { cwd: dir });
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain('cairn: error: unknown key column "release" in table "default" of exp.db\n');
      expect(r.stderr).toContain('hint: columns there: "timestamp", "track_id", "model", "lr", "acc", "version"');
    });

    it('a file that is neither SQLite, DuckDB nor parquet: exit 2', async () => {
      const dir = await pair();
      fs.writeFileSync(path.join(dir, 'notes.db'), 'just some text, not a database\n');
      const asSource = await cairn(['merge', 'results.db', 'notes.db'], { cwd: dir });
      expect(asSource.exitCode).toBe(2);
      expect(asSource.stderr).toContain('cairn: error: notes.db is neither a SQLite database, a DuckDB database nor a parquet file\n');
      const asTarget = await cairn(['merge', 'notes.db', 'exp.db'], { cwd: dir });
      expect(asTarget.exitCode).toBe(2);
      expect(asTarget.stderr).toContain('is neither a SQLite database, a DuckDB database nor a parquet file');
    });

    it('the source is the target: exit 2', async () => {
      const dir = await pair();
      const r = await cairn(['merge', 'results.db', './results.db'], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('cairn: error: source ./results.db is the target itself\n');
    });

    it('an unknown --on-conflict mode or --strategy: exit 2', async () => {
      const dir = await pair();
      const r = await cairn(['merge', 'results.db', 'exp.db', '--on-conflict', 'ours'], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/argument 'ours' is invalid/);
      const s = await cairn(['merge', 'results.db', 'exp.db', '--strategy', 'squash'], { cwd: dir });
      expect(s.exitCode).toBe(2);
    });

    it('a target locked by another cairn merge: exit 6 after --wait', async () => {
      const dir = await pair();
      const lockDir = path.join(dir, '.results.db.cairn-lock');
      fs.mkdirSync(lockDir);
      fs.writeFileSync(
        path.join(lockDir, 'exclusive'),
        JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'cairn merge', since: new Date().toISOString() }),
      );
      const before = bytesOf(path.join(dir, 'results.db'));
      const r = await cairn(['merge', 'results.db', 'exp.db', '--wait', '0.3'], { cwd: dir });
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toContain(`is locked by another writer (cairn merge, pid ${process.pid})`);
      expect(bytesOf(path.join(dir, 'results.db')).equals(before)).toBe(true);
    });

    it('a target a SQLite connection is writing: exit 6', async () => {
      const dir = await pair();
      const writer = new Database(path.join(dir, 'results.db'));
      writer.exec('BEGIN IMMEDIATE');
      try {
        const r = await cairn(['merge', 'results.db', 'exp.db', '--wait', '0.3'], { cwd: dir });
        expect(r.exitCode).toBe(6);
        expect(r.stderr).toMatch(/results\.db is locked by another writer \(a SQLite connection is writing it\)/);
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
      }
    });
  });
});
