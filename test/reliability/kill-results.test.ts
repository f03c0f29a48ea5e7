import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mergeResults } from '../../src/index.js';
import { BIN, cairnOk } from '../helpers/cli.js';
import { gitRepo, tempDir, type TestRepo } from '../helpers/repo.js';
import { expectNoBlockingLock, expectObjectsIntact, killLoop, KILL_TEST_TIMEOUT_MS, workspaceTemps } from './harness.js';

const ROWS = 20_000;
/** The target as made, outside the repository, to count its rows. */
let PRISTINE_COPY = '';

/** A xetrack-shaped SQLite database: `default` with track_id, timestamp, version, lr, f1. */
function makeDb(file: string, from: number, to: number, version: (i: number) => string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE "default" (track_id TEXT, timestamp TEXT, version TEXT, lr REAL, f1 REAL)');
  const insert = db.prepare('INSERT INTO "default" VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = from; i < to; i++) insert.run(`t${i}`, `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}`, version(i), 0.001 * (i % 7), (i % 100) / 100);
  })();
  db.close();
}

function rows(file: string): { n: number; ok: string; byVersion: Record<string, number> } {
  const db = new Database(file, { readonly: true });
  try {
    const ok = db.pragma('integrity_check', { simple: true }) as string;
    const n = (db.prepare('SELECT count(*) AS n FROM "default"').get() as { n: number }).n;
    const byVersion = Object.fromEntries(
      (db.prepare('SELECT version, count(*) AS n FROM "default" GROUP BY version').all() as { version: string; n: number }[]).map((r) => [r.version, r.n]),
    );
    return { n, ok, byVersion };
  } finally {
    db.close();
  }
}

async function project(): Promise<{ repo: TestRepo; target: string; source: string; pristine: Buffer }> {
  const repo = gitRepo();
  await cairnOk(['init'], { cwd: repo.dir });
  const target = path.join(repo.dir, 'results.db');
  const source = path.join(repo.dir, 'sweep.db');
  makeDb(target, 0, ROWS, (i) => (i < ROWS / 2 ? 'e0.1.0' : 'e0.2.0'));
  makeDb(source, ROWS / 2, ROWS + ROWS / 2, () => 'e0.2.0'); // half shared with the target, half new
  PRISTINE_COPY = path.join(tempDir('cairn-kill-results-'), 'pristine.db');
  fs.copyFileSync(target, PRISTINE_COPY);
  return { repo, target, source, pristine: fs.readFileSync(target) };
}

/**
 * After a kill: the old rows or every merged row, nothing in between. A
 * SQLite target is merged in place, so an unfinished merge leaves a hot
 * journal that SQLite rolls back when the file is next opened for writing.
 */
function expectOldOrMerged(target: string, pristine: Buffer, merged: { n: number; byVersion: Record<string, number> }): void {
  if (!fs.existsSync(`${target}-journal`) && fs.readFileSync(target).equals(pristine)) return; // the old file, byte for byte
  new Database(target).prepare('SELECT count(*) FROM sqlite_master').get(); // rolls back an unfinished merge
  const now = rows(target);
  expect(now.ok, 'the file is a sound SQLite database').toBe('ok');
  const old = rows(PRISTINE_COPY);
  expect([{ n: old.n, byVersion: old.byVersion }, merged], 'the file holds the old rows or every merged row').toContainEqual({
    n: now.n,
    byVersion: now.byVersion,
  });
}

/** Put the target back as it was, with no journal left by a killed merge. */
function restore(target: string, pristine: Buffer): void {
  for (const f of [`${target}-journal`, `${target}-wal`, `${target}-shm`]) fs.rmSync(f, { force: true });
  fs.writeFileSync(target, pristine);
}

// The databases merged here are plain files, not artifacts: the link mode cannot
// change what a kill leaves, so these run in the default (copy) mode only.
describe('kill -9 during merges into a results database', () => {
  it(
    'merge',
    async () => {
      const { repo, target, pristine } = await project();
      const merged = { n: ROWS + ROWS / 2, byVersion: { 'e0.1.0': ROWS / 2, 'e0.2.0': ROWS } };
      const stats = await killLoop({
        op: 'merge',
        async prepare() {
          restore(target, pristine);
        },
        command: () => ({ args: ['merge', 'results.db', 'sweep.db'], cwd: repo.dir }),
        async afterKill() {
          expectOldOrMerged(target, pristine, merged);
          expectObjectsIntact(path.join(repo.dir, '.git/cairn/cache/objects'), 'cache');
        },
        async finish() {
          await mergeResults({ cwd: repo.dir, target: 'results.db', sources: ['sweep.db'], waitMs: 3000 }); // a stale lock must not block
          const after = rows(target);
          expect({ n: after.n, byVersion: after.byVersion }).toEqual(merged);
          expect(workspaceTemps(repo.dir).filter((f) => !f.endsWith('.cairn-lock'))).toEqual([]);
        },
      });
      expect(stats.corruptions).toBe(0);
    },
    KILL_TEST_TIMEOUT_MS,
  );

  it(
    'rebase',
    async () => {
      const { repo, target, source, pristine } = await project();
      // Rebase by version: the target's e0.2.0 rows go, the source's e0.2.0 rows come in.
      const rebased = { n: ROWS / 2 + ROWS, byVersion: { 'e0.1.0': ROWS / 2, 'e0.2.0': ROWS } };
      void source;
      const stats = await killLoop({
        op: 'rebase',
        async prepare() {
          restore(target, pristine);
        },
        command: () => ({ args: ['merge', 'results.db', 'sweep.db', '--strategy', 'rebase', '--key', 'version', '--yes'], cwd: repo.dir }),
        async afterKill() {
          expectOldOrMerged(target, pristine, rebased);
          expectObjectsIntact(path.join(repo.dir, '.git/cairn/cache/objects'), 'cache (backups)');
          await expectNoBlockingLock(repo.dir);
        },
        async finish() {
          restore(target, pristine);
          await mergeResults({ cwd: repo.dir, target: 'results.db', sources: ['sweep.db'], strategy: 'rebase', key: ['version'], yes: true, waitMs: 3000 });
          const after = rows(target);
          expect({ n: after.n, byVersion: after.byVersion }).toEqual(rebased);
        },
      });
      expect(stats.corruptions).toBe(0);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});

describe('two merges into the same target at once', () => {
  it('one waits for the other; no row is lost or doubled', async () => {
    const { repo, target } = await project();
    makeDb(path.join(repo.dir, 'other.db'), 100_000, 100_000 + ROWS, () => 'e0.3.0');
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        execa(process.execPath, [BIN, 'merge', 'results.db', 'sweep.db'], { cwd: repo.dir, reject: false }),
        execa(process.execPath, [BIN, 'merge', 'results.db', 'other.db'], { cwd: repo.dir, reject: false }),
      ]);
      for (const r of [a, b]) expect([0, 6], r.stderr).toContain(r.exitCode);
      if (a.exitCode === 6 || b.exitCode === 6) expect(a.stderr + b.stderr).toContain('locked by another writer');
      // Whatever ran, ran whole: re-running both completes the set, and nothing is counted twice.
      await mergeResults({ cwd: repo.dir, target: 'results.db', sources: ['sweep.db', 'other.db'] });
      const now = rows(target);
      expect(now.ok).toBe('ok');
      expect(now.byVersion).toEqual({ 'e0.1.0': ROWS / 2, 'e0.2.0': ROWS, 'e0.3.0': ROWS });
    }
  });
});
