/**
 * `cairn merge` through the built CLI on databases written by the real
 * xetrack (fixtures/xetrack), while another process keeps logging into the
 * target: SQLite targets are merged in place, inside one transaction, so
 * the writer never fails and no row of either side is lost, in rollback
 * journal and WAL mode alike. Also: symlinked targets, fills and digests in
 * the human output, the prior state of a destructive merge, and
 * `worktree list` agreeing with the merge.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/repo.js';
import { bytesOf } from '../helpers/resultFiles.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'xetrack');
const SQLITE_MODULE = createRequire(import.meta.url).resolve('better-sqlite3');
const SWEEPS = ['sweep-a.db', 'sweep-b.db', 'sweep-c.db'];
const HAS_PYTHON = spawnSync('python3', ['-c', 'import sqlite3'], { stdio: 'ignore' }).status === 0;

function copies(...names: string[]): string {
  const dir = tempDir('cairn-live-');
  for (const name of names) fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
  return dir;
}

function count(file: string, where = '1=1'): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM "default" WHERE ${where}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

function journalMode(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return String(db.pragma('journal_mode', { simple: true }));
  } finally {
    db.close();
  }
}

/** A node program logging `n` rows into `file` one at a time, as a training run does (own connection, autocommit). */
const NODE_WRITER = `
const Database = require(process.argv[2]);
const db = new Database(process.argv[3], { timeout: 60000 });
const n = Number(process.argv[4]);
const insert = db.prepare('INSERT INTO "default" (track_id, timestamp, epoch, f1) VALUES (?, ?, ?, ?)');
for (let i = 0; i < n; i++) {
  insert.run('live-writer', '2099-01-01 00:00:00.' + String(i).padStart(6, '0'), i, i / n);
  if (i === 5) process.stdout.write('ready\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}
db.close();
process.stdout.write('done\\n');
`;

/** The same in Python's sqlite3, the module xetrack writes with (default 5 s busy timeout). */
const PYTHON_WRITER = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
n = int(sys.argv[2])
for i in range(n):
    db.execute('INSERT INTO "default" (track_id, timestamp, epoch, f1) VALUES (?, ?, ?, ?)', ('live-writer', '2099-01-01 00:00:00.%06d' % i, i, i / n))
    if i == 5:
        print('ready', flush=True)
    time.sleep(0.005)
db.close()
print('done', flush=True)
`;

interface Writer {
  ready: Promise<void>;
  finished: Promise<{ code: number | null; stderr: string }>;
}

function startWriter(kind: 'node' | 'python', dir: string, file: string, n: number): Writer {
  const script = path.join(dir, kind === 'node' ? 'writer.cjs' : 'writer.py');
  fs.writeFileSync(script, kind === 'node' ? NODE_WRITER : PYTHON_WRITER);
  const child = kind === 'node' ? spawn('node', [script, SQLITE_MODULE, file, String(n)]) : spawn('python3', [script, file, String(n)]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += String(d);
      if (out.includes('ready')) resolve();
    });
    child.on('exit', () => reject(new Error(`writer exited before it was ready: ${stderr}`)));
  });
  const finished = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { ready, finished };
}

const WRITER_ROWS = 120;

describe('cairn merge into a database another process is writing', () => {
  // [target, its rows, sources, rows the sources add to it]
  const merges: [string, number, string[], number][] = [
    ['baseline.db', 10, ['variant.db'], 6],
    ['baseline.db', 10, SWEEPS, 15],
    ['wal.db', 5, ['variant.db'], 16],
    ['wal.db', 5, SWEEPS, 15],
  ];
  const cases = merges.flatMap(([target, own, sources, added]) => (['node', 'python'] as const).map((kind) => [target, own, sources, added, kind] as const));
  it.each(cases)(
    '%s (%i rows) + %j adding %i rows, %s writer: the writer never fails, every row of both sides is there',
    async (fixture, own, sources, added, kind) => {
      if (kind === 'python' && !HAS_PYTHON) {
        console.warn('skipped: python3 with its sqlite3 module is not installed');
        return;
      }
      const dir = copies(fixture, ...sources);
      const target = path.join(dir, fixture);
      const mode = journalMode(target);
      const writer = startWriter(kind, dir, target, WRITER_ROWS);
      await writer.ready;
      const r = await cairn(['merge', fixture, ...sources, '--json'], { cwd: dir });
      const during = count(target, `track_id = 'live-writer'`);
      const done = await writer.finished;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(done.code, done.stderr).toBe(0);
      const tables: { table: string; added: number }[] = JSON.parse(r.stdout).tables;
      expect(tables.filter((t) => t.table === 'default').reduce((n, t) => n + t.added, 0)).toBe(added);
      // The merge ran while the writer was still logging.
      expect(during).toBeLessThan(WRITER_ROWS);
      expect(count(target, `track_id = 'live-writer'`)).toBe(WRITER_ROWS);
      expect(count(target)).toBe(own + added + WRITER_ROWS);
      if (sources === SWEEPS) expect(count(target, 'model IS NOT NULL')).toBe(7);
      expect(journalMode(target)).toBe(mode);
    },
  );
});

describe('cairn merge on xetrack databases (CLI)', () => {
  it('a WAL-mode target: merged, still in WAL mode; with -o too', async () => {
    const dir = copies('wal.db', 'baseline.db');
    expect(journalMode(path.join(dir, 'wal.db'))).toBe('wal');
    const out = await cairn(['merge', 'wal.db', 'baseline.db', '-o', 'out.db'], { cwd: dir });
    expect(out.exitCode, out.stderr).toBe(0);
    expect(count(path.join(dir, 'out.db'))).toBe(15);
    expect(journalMode(path.join(dir, 'out.db'))).toBe('wal');
    expect(count(path.join(dir, 'wal.db'))).toBe(5);
    const r = await cairn(['merge', 'wal.db', 'baseline.db'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(count(path.join(dir, 'wal.db'))).toBe(15);
    expect(journalMode(path.join(dir, 'wal.db'))).toBe('wal');
  });

  it('a symlinked target: the file it names is merged, the link stays a link', async () => {
    const dir = copies('baseline.db', 'variant.db');
    fs.mkdirSync(path.join(dir, 'store'));
    fs.renameSync(path.join(dir, 'baseline.db'), path.join(dir, 'store', 'baseline.db'));
    fs.symlinkSync(path.join('store', 'baseline.db'), path.join(dir, 'results.db'));
    const r = await cairn(['merge', 'results.db', 'variant.db'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.lstatSync(path.join(dir, 'results.db')).isSymbolicLink()).toBe(true);
    expect(count(path.join(dir, 'store', 'baseline.db'))).toBe(16);
    expect(fs.readdirSync(dir).sort()).toEqual(['results.db', 'store', 'variant.db']);
  });

  it('a sweep merges with no flag; a true conflict still exits 6', async () => {
    const dir = copies('baseline.db', 'duplicate-run.db', ...SWEEPS);
    const ok = await cairn(['merge', 'baseline.db', ...SWEEPS], { cwd: dir });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ {2}keys +sweep-c\.db +1 +0 +0 +0 +0 +0 *$/m);
    const before = bytesOf(path.join(dir, 'baseline.db'));
    const bad = await cairn(['merge', 'baseline.db', 'duplicate-run.db'], { cwd: dir });
    expect(bad.exitCode).toBe(6);
    expect(bad.stdout).toMatch(/conflict: default \[track_id="vivid-panda-3190" timestamp="[^"]+"\] f1: 0\.781392074998472 \(target\) vs 0\.9 \(source\)/);
    expect(bytesOf(path.join(dir, 'baseline.db')).equals(before)).toBe(true);
  });

  it('fills are counted apart, in the table and in --json', async () => {
    const dir = copies('set-value-before.db', 'set-value.db');
    const r = await cairn(['merge', 'set-value-before.db', 'set-value.db'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}table +source +added +duplicates +conflicts +filled +replaced +deleted +changes$/m);
    expect(r.stdout).toMatch(/^ {2}default +set-value\.db +0 +2 +0 +5 +0 +0 +\+test_f1 REAL$/m);
    const dir2 = copies('set-value-before.db', 'set-value.db');
    const json = JSON.parse((await cairnOk(['merge', 'set-value-before.db', 'set-value.db', '--json'], { cwd: dir2 })).stdout);
    expect(json.totals.filled).toBe(5);
    expect(json.tables[0]).toMatchObject({ table: 'default', filled: 5, conflicts: 0, duplicates: 2 });
  });

  it('a conflict on bytes shows a short digest, not a base64 pickle', async () => {
    const dir = copies('baseline.db', 'sweep-a.db', 'sweep-b.db');
    const db = new Database(path.join(dir, 'sweep-b.db'));
    db.prepare('UPDATE assets SET value = ? WHERE key = ?').run(Buffer.from('not the same object'), 'gAWVFAAAAAAAAACMEDZlMWU4ZDc3M2Y1ZmZjMzeULg==');
    db.close();
    const r = await cairn(['merge', 'baseline.db', 'sweep-a.db', 'sweep-b.db'], { cwd: dir });
    expect(r.exitCode).toBe(6);
    const line = r.stdout.split('\n').find((l) => l.includes('conflict:'))!;
    expect(line).toMatch(
      /^ {2}conflict: assets \[hash 6e1e8d773f5ffc37\] value: sha256:[0-9a-f]{12} \(276 bytes\) \(target\) vs sha256:[0-9a-f]{12} \(19 bytes\) \(source\)$/,
    );
    expect(r.stdout).not.toContain('gAWV');
  });

  it('--on-conflict replace in place keeps the prior state: a file beside the target, or a pinned cache object in a repository', async () => {
    const dir = copies('baseline.db', 'duplicate-run.db');
    const before = bytesOf(path.join(dir, 'baseline.db'));
    const r = JSON.parse((await cairnOk(['merge', 'baseline.db', 'duplicate-run.db', '--on-conflict', 'replace', '--json'], { cwd: dir })).stdout);
    expect(r.totals.replaced).toBe(1);
    expect(bytesOf(r.backup.path).equals(before)).toBe(true);
    expect(count(path.join(dir, 'baseline.db'), 'f1 = 0.9')).toBe(1);

    const repo = gitRepo({ 'train.py': 'x = 1\n' });
    await cairnOk(['init'], { cwd: repo.dir });
    for (const f of ['wal.db', 'baseline.db']) fs.copyFileSync(path.join(FIXTURES, f), path.join(repo.dir, f));
    // A WAL-mode target with rows still in its log: the kept state holds them.
    const writer = new Database(path.join(repo.dir, 'wal.db'));
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare(`INSERT INTO "default" (track_id, timestamp, version, epoch, f1) VALUES ('in-log', '2099-01-01', 'e0.1.0', 1, 0.5)`).run();
    try {
      const rebase = JSON.parse(
        (await cairnOk(['merge', 'wal.db', 'baseline.db', '--strategy', 'rebase', '--key', 'version', '--yes', '--json'], { cwd: repo.dir })).stdout,
      );
      expect(rebase.totals.deleted).toBe(6);
      expect(rebase.backup.pinned).toBeTruthy();
      const kept = new Database(rebase.backup.path, { readonly: true });
      expect(kept.prepare('SELECT count(*) FROM "default"').pluck().get()).toBe(6);
      kept.close();
    } finally {
      writer.close();
    }
    expect(count(path.join(repo.dir, 'wal.db'))).toBe(10);
  });
});

describe('worktree list agrees with the merge', () => {
  it('a worktree whose results.db is a xetrack variant run: "no" before the merge, "yes" after', async () => {
    const repo = gitRepo({ 'train.py': 'lr = 0.1\n' });
    await cairnOk(['init'], { cwd: repo.dir });
    fs.copyFileSync(path.join(FIXTURES, 'baseline.db'), path.join(repo.dir, 'results.db'));
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('baseline');
    await cairnOk(['worktree', 'new', 'l2'], { cwd: repo.dir });
    const wt = path.join(path.dirname(repo.dir), 'exp-l2');
    const merged = async () => JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: repo.dir })).stdout).worktrees[1].resultsMerged;
    expect(await merged()).toBe('yes');
    fs.rmSync(path.join(wt, 'results.db'));
    fs.copyFileSync(path.join(FIXTURES, 'variant.db'), path.join(wt, 'results.db'));
    expect(await merged()).toBe('no');
    await cairnOk(['merge', 'results.db', path.join(wt, 'results.db')], { cwd: repo.dir });
    expect(await merged()).toBe('yes');
    const human = (await cairnOk(['worktree', 'list'], { cwd: repo.dir })).stdout;
    expect(human).toContain('exp/l2');
  });

  it("a sweep worker's database (logged objects) and a set_value fill count as merged once merged", async () => {
    const repo = gitRepo({ 'train.py': 'lr = 0.1\n' });
    await cairnOk(['init'], { cwd: repo.dir });
    fs.copyFileSync(path.join(FIXTURES, 'set-value-before.db'), path.join(repo.dir, 'results.db'));
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('baseline');
    await cairnOk(['worktree', 'new', 'fill'], { cwd: repo.dir });
    const wt = path.join(path.dirname(repo.dir), 'exp-fill');
    const merged = async () => JSON.parse((await cairnOk(['worktree', 'list', '--json'], { cwd: repo.dir })).stdout).worktrees[1].resultsMerged;
    fs.rmSync(path.join(wt, 'results.db'));
    fs.copyFileSync(path.join(FIXTURES, 'set-value.db'), path.join(wt, 'results.db'));
    // The worktree's rows hold values the main database lacks: not merged yet.
    expect(await merged()).toBe('no');
    await cairnOk(['merge', 'results.db', path.join(wt, 'results.db')], { cwd: repo.dir });
    expect(await merged()).toBe('yes');
    fs.rmSync(path.join(wt, 'results.db'));
    fs.copyFileSync(path.join(FIXTURES, 'sweep-a.db'), path.join(wt, 'results.db'));
    expect(await merged()).toBe('no');
    await cairnOk(['merge', 'results.db', path.join(wt, 'results.db')], { cwd: repo.dir });
    expect(await merged()).toBe('yes');
  });
});
