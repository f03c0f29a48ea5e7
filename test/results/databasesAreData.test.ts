/**
 * Results databases are data, not programs (SECURITY.md rule 5): a
 * DuckDB view over read_text()/read_csv() of a file outside the repository,
 * or an SQLite view calling load_extension(), must not reach that file, the
 * network or an extension, whichever command reads the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { openDuck } from '../../src/results/duckdb.js';
import { cairn, cairnOk, type CliResult } from '../helpers/cli.js';
import { fileDigest, gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';

/** A private file outside every repository, with a secret no output may show. */
function victim(): { file: string; secret: string; digest: string } {
  const secret = `VICTIM-SECRET-${randomBytes(8).toString('hex')}`;
  const file = path.join(tempDir('cairn-victim-'), 'private.txt');
  fs.writeFileSync(file, `${secret}\n`);
  return { file, secret, digest: fileDigest(file) };
}

const sql = (s: string): string => "'" + s.replace(/'/g, "''") + "'";

/** How a hostile view reads the victim file: each returns one row with the file's text in `secret`. */
const readers: Record<string, (file: string) => string> = {
  read_text: (file) => `SELECT content AS secret FROM read_text(${sql(file)})`,
  read_csv: (file) => `SELECT column0 AS secret FROM read_csv(${sql(file)}, header = false, columns = {'column0': 'VARCHAR'})`,
  read_blob: (file) => `SELECT CAST(content AS VARCHAR) AS secret FROM read_blob(${sql(file)})`,
};

/** A DuckDB file whose xetrack `default` "table" is a view reading `victimFile`, beside a real table. */
async function hostileDuck(file: string, victimFile: string, how: string): Promise<string> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    await conn.run(
      `CREATE VIEW "default" AS SELECT 'e0.1.0' AS version, 'r1' AS run_id, 'calm-fox-0002' AS track_id, ` +
        `'2026-01-01T00:00:00Z' AS timestamp, 0.9 AS f1, v.secret AS model FROM (${readers[how]!(victimFile)}) AS v`,
    );
    await conn.run(`CREATE TABLE honest (track_id VARCHAR, timestamp VARCHAR, f1 DOUBLE)`);
    await conn.run(`INSERT INTO honest VALUES ('ok-run', '2026-01-01T00:00:00Z', 0.5)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return file;
}

async function project(): Promise<TestRepo> {
  const repo = gitRepo({ 'train.py': 'print(1)\n', '.gitignore': '*.duckdb\n*.db\n*.wal\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  repo.commit('init');
  return repo;
}

function expectNoSecret(r: CliResult, secret: string): void {
  expect(r.stdout).not.toContain(secret);
  expect(r.stderr).not.toContain(secret);
}

/** Every tag's full message, as git stores it. */
function tagMessages(repo: TestRepo): string {
  return repo
    .git('tag', '-l')
    .split('\n')
    .filter(Boolean)
    .map((t) => repo.git('cat-file', '-p', t))
    .join('\n');
}

describe.each(Object.keys(readers))('a DuckDB view over %s of a file outside the repository', (how) => {
  it('cairn tag refuses with exit 8 and puts none of its bytes in a tag', async () => {
    const repo = await project();
    const v = victim();
    await hostileDuck(path.join(repo.dir, 'results.duckdb'), v.file, how);
    const r = await cairn(['tag', 'e0.1.0', '--db', 'results.duckdb', '--metric', 'f1'], { cwd: repo.dir });
    expectNoSecret(r, v.secret);
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('"default" in');
    expect(r.stderr).toContain('is a view that reads files or extensions outside the database');
    expect(tagMessages(repo)).not.toContain(v.secret);
    expect(fileDigest(v.file)).toBe(v.digest);
  });

  it('explore list --db, model list --db and model promote --db refuse it the same way', async () => {
    const repo = await project();
    const v = victim();
    const db = await hostileDuck(path.join(tempDir(), 'results.duckdb'), v.file, how);
    await cairnOk(['tag', 'e0.1.0', '--no-db'], { cwd: repo.dir });
    const candidate = path.join(tempDir(), 'r1.pt');
    fs.writeFileSync(candidate, 'weights');
    await cairnOk(['model', 'add', candidate, '--run', 'r1'], { cwd: repo.dir });
    for (const args of [
      ['explore', 'list', '--db', db, '--json'],
      ['explore', 'list', '--db', db, '--table', 'default'],
      ['model', 'list', '--db', db, '--metric', 'f1', '--json'],
      ['model', 'promote', '--version', 'e0.1.0', '--db', db, '--metric', 'f1'],
    ]) {
      const r = await cairn(args, { cwd: repo.dir });
      expectNoSecret(r, v.secret);
      expect({ args, exit: r.exitCode }).toEqual({ args, exit: 8 });
      expect(r.stderr).toContain('reads files or extensions outside the database');
    }
    expect(repo.exists('models/production')).toBe(false);
    expect(tagMessages(repo)).not.toContain(v.secret);
    expect(fileDigest(v.file)).toBe(v.digest);
  });

  it('merge copies the view definition, never the rows it would read', async () => {
    const v = victim();
    const dir = tempDir();
    await hostileDuck(path.join(dir, 'exp.duckdb'), v.file, how);
    for (const target of ['into.duckdb', 'into.db']) {
      const r = await cairn(['merge', target, 'exp.duckdb', '--json'], { cwd: dir });
      expectNoSecret(r, v.secret);
      expect(r.exitCode).toBe(0);
      expect(fs.readFileSync(path.join(dir, target)).includes(v.secret)).toBe(false);
    }
    // The hostile file as the target: its view is carried over, still unread.
    const r = await cairn(['merge', 'exp.duckdb', 'into.duckdb', '-o', 'out.duckdb', '--json'], { cwd: dir });
    expectNoSecret(r, v.secret);
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out.duckdb')).includes(v.secret)).toBe(false);
    expect(fileDigest(v.file)).toBe(v.digest);
  });
});

describe('openDuck', () => {
  it('locks external access and the configuration on every instance, database file or :memory:', async () => {
    const v = victim();
    const file = await hostileDuck(path.join(tempDir(), 'r.duckdb'), v.file, 'read_text');
    const other = await hostileDuck(path.join(tempDir(), 'other.duckdb'), v.file, 'read_csv');
    for (const handle of [await openDuck(file, { readOnly: true }), await openDuck(':memory:')]) {
      try {
        const settings = await handle.conn.runAndReadAll(
          "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions') ORDER BY name",
        );
        expect(settings.getRowObjectsJS()).toEqual([
          { name: 'autoinstall_known_extensions', value: 'false' },
          { name: 'autoload_known_extensions', value: 'false' },
          { name: 'enable_external_access', value: 'false' },
          { name: 'lock_configuration', value: 'true' },
        ]);
        await expect(handle.conn.run(`SELECT * FROM read_text(${sql(v.file)})`)).rejects.toThrow(/Permission Error/);
        await expect(handle.conn.run('SET enable_external_access = true')).rejects.toThrow(/configuration has been locked/);
        await expect(handle.conn.run(`SET allowed_paths = [${sql(v.file)}]`)).rejects.toThrow(/configuration has been locked/);
        await expect(handle.conn.run('SET lock_configuration = false')).rejects.toThrow(/locked/);
        await expect(handle.conn.run('LOAD httpfs')).rejects.toThrow(/disabled/);
        await expect(handle.conn.run('INSTALL httpfs')).rejects.toThrow();
        await expect(handle.conn.run(`ATTACH ${sql(other)} AS other (READ_ONLY)`)).rejects.toThrow(/Permission Error/);
      } finally {
        handle.close();
      }
    }
    expect(fileDigest(v.file)).toBe(v.digest);
  });

  it('reaches the files and folders it is given, and nothing beside them', async () => {
    const dir = tempDir();
    const scratch = path.join(dir, 'scratch');
    fs.mkdirSync(scratch);
    const out = path.join(dir, 'out.parquet');
    const handle = await openDuck(':memory:', { files: [out], folders: [scratch] });
    try {
      await handle.conn.run(`COPY (SELECT 1 AS a) TO ${sql(out)} (FORMAT parquet)`);
      await handle.conn.run(`COPY (SELECT * FROM read_parquet(${sql(out)})) TO ${sql(path.join(scratch, 'step.parquet'))} (FORMAT parquet)`);
      const rows = await handle.conn.runAndReadAll(`SELECT a FROM read_parquet(${sql(path.join(scratch, 'step.parquet'))})`);
      expect(rows.getRowObjectsJS()).toEqual([{ a: 1 }]);
      await expect(handle.conn.run(`COPY (SELECT 1 AS a) TO ${sql(path.join(dir, 'other.parquet'))} (FORMAT parquet)`)).rejects.toThrow(/Permission Error/);
      fs.copyFileSync(out, path.join(dir, 'private.parquet'));
      await expect(handle.conn.run(`SELECT * FROM read_parquet(${sql(path.join(scratch, '..', 'private.parquet'))})`)).rejects.toThrow(/Permission Error/);
    } finally {
      handle.close();
    }
    expect(fs.existsSync(path.join(dir, 'other.parquet'))).toBe(false);
  });
});

describe('SQLite results databases', () => {
  /** A shared library whose constructor writes `sentinel` (null when there is no C compiler). */
  function extension(sentinel: string): string | null {
    const dir = tempDir('cairn-ext-');
    const src = path.join(dir, 'evil.c');
    fs.writeFileSync(
      src,
      `#include <stdio.h>\n__attribute__((constructor)) static void hit(void) { FILE *f = fopen(${JSON.stringify(sentinel)}, "w"); if (f) fclose(f); }\nint sqlite3_extension_init(void *a, void *b, void *c) { return 0; }\n`,
    );
    try {
      execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, 'evil.so'), src], { stdio: 'ignore' });
      return path.join(dir, 'evil.so');
    } catch {
      return null;
    }
  }

  it('a view calling load_extension() loads nothing: tag and model promote exit 8', async () => {
    const repo = await project();
    const sentinel = path.join(tempDir(), 'loaded');
    const lib = extension(sentinel) ?? path.join(tempDir(), 'missing.so');
    const db = new Database(path.join(repo.dir, 'results.db'));
    db.exec(`CREATE VIEW "default" AS SELECT 'e0.1.0' AS version, 'r1' AS run_id, 0.9 AS f1, load_extension(${sql(lib)}) AS model`);
    db.close();
    const candidate = path.join(tempDir(), 'r1.pt');
    fs.writeFileSync(candidate, 'weights');
    await cairnOk(['model', 'add', candidate, '--run', 'r1'], { cwd: repo.dir });
    for (const args of [
      ['tag', 'e0.1.0', '--db', 'results.db', '--metric', 'f1', '--allow-dirty'],
      ['model', 'promote', '--version', 'e0.1.0', '--db', 'results.db', '--metric', 'f1'],
    ]) {
      const r = await cairn(args, { cwd: repo.dir });
      expect({ args, exit: r.exitCode }).toEqual({ args, exit: 8 });
      expect(r.stderr).toContain('is a view that tries to load an SQLite extension');
    }
    expect(repo.git('tag', '-l')).toBe('');
    // explore list reads the database only to join rows to tags: with a tag made without results, it reads it.
    await cairnOk(['tag', 'e0.1.0', '--no-db', '--allow-dirty'], { cwd: repo.dir });
    const listed = await cairn(['explore', 'list', '--db', 'results.db'], { cwd: repo.dir });
    expect(listed.exitCode, listed.stdout + listed.stderr).toBe(8);
    expect(listed.stderr).toContain('is a view that tries to load an SQLite extension');
    expect(fs.existsSync(sentinel)).toBe(false);
  });

  it('merge: a trigger calling load_extension() in the target loads nothing and leaves the target as it was', async () => {
    const dir = tempDir();
    const sentinel = path.join(tempDir(), 'loaded');
    const lib = extension(sentinel) ?? path.join(tempDir(), 'missing.so');
    const target = new Database(path.join(dir, 'results.db'));
    target.exec(`CREATE TABLE "default" (track_id TEXT, timestamp TEXT, f1 REAL); INSERT INTO "default" VALUES ('a', 't0', 0.5);`);
    target.exec(`CREATE TRIGGER grab AFTER INSERT ON "default" BEGIN SELECT load_extension(${sql(lib)}); END`);
    target.close();
    const source = new Database(path.join(dir, 'exp.db'));
    source.exec(`CREATE TABLE "default" (track_id TEXT, timestamp TEXT, f1 REAL); INSERT INTO "default" VALUES ('b', 't1', 0.7);`);
    source.close();
    const before = fileDigest(path.join(dir, 'results.db'));
    const r = await cairn(['merge', 'results.db', 'exp.db'], { cwd: dir });
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('has a view or trigger that tries to load an SQLite extension');
    expect(r.stderr).toContain('results.db is unchanged');
    expect(fs.existsSync(sentinel)).toBe(false);
    expect(fileDigest(path.join(dir, 'results.db'))).toBe(before);
  });
});
