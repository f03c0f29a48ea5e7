/**
 * Merging databases written by the real xetrack (fixtures/xetrack, see its
 * README for what each file holds): logged objects stay loadable with
 * counts equal to the rows that reference them, `keys` resolves by the
 * latest logged row whatever the order of the sources, a NULL against a
 * value is a fill, and a true conflict still refuses the merge.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConflictError, mergeFailure, mergeResults } from '../../src/index.js';
import { assetHashOfKey, decodeAssetRef, decodeCount, keyName } from '../../src/results/assetTables.js';
import { tempDir } from '../helpers/repo.js';
import { bytesOf } from '../helpers/resultFiles.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'xetrack');

/** Copies of fixture files in a new temp folder (the committed files are never touched). */
function copies(...names: string[]): { dir: string; file: (name: string) => string } {
  const dir = tempDir('cairn-xetrack-');
  for (const name of names) fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
  return { dir, file: (name) => path.join(dir, name) };
}

interface AssetState {
  rows: number;
  /** asset hash → sha256 of its bytes, hex */
  assets: Record<string, string>;
  /** key name → hash */
  keys: Record<string, string>;
  /** hash → count */
  counts: Record<string, number>;
  /** every hash a row of `default` references */
  referenced: string[];
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function state(file: string): AssetState {
  const db = new Database(file, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all() as { key: string; value: Buffer }[];
    const assets = Object.fromEntries(all('SELECT key, value FROM assets').map((r) => [assetHashOfKey(r.key), sha(r.value)]));
    const keys = Object.fromEntries(all('SELECT key, value FROM keys').map((r) => [keyName(r.key), decodeAssetRef(r.value)!]));
    const counts = Object.fromEntries(all('SELECT key, value FROM counts').map((r) => [r.key, Number(decodeCount(r.value)!.count)]));
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('default')`).pluck().all() as string[]).includes('model');
    const referenced = columns ? (db.prepare(`SELECT model FROM "default" WHERE model IS NOT NULL`).pluck().all() as string[]) : [];
    const rows = db.prepare('SELECT count(*) FROM "default"').pluck().get() as number;
    return { rows, assets, keys, counts, referenced };
  } finally {
    db.close();
  }
}

/** Every row of every table, as sorted JSON lines (bytes as hex): a file's content regardless of row order. */
function rowSet(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
    const out: string[] = [];
    for (const t of tables) {
      for (const row of db.prepare(`SELECT * FROM "${t.replace(/"/g, '""')}"`).all() as Record<string, unknown>[]) {
        out.push(t + ' ' + JSON.stringify(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])));
      }
    }
    return out.sort();
  } finally {
    db.close();
  }
}

const SWEEP_COUNTS = { '6e1e8d773f5ffc37': 3, '20a5f1e86040a0fe': 1, '7422d16bcfc1f0af': 1, ccbb11194a708a57: 2 };
const SWEEPS = ['sweep-a.db', 'sweep-b.db', 'sweep-c.db'];

describe('xetrack fixtures: a sweep whose runs logged objects', () => {
  it('merges into the baseline with no flag: every object loadable, counts equal the references, keys name the latest object', async () => {
    const f = copies('baseline.db', ...SWEEPS);
    const r = await mergeResults({ cwd: f.dir, target: f.file('baseline.db'), sources: SWEEPS.map(f.file), repo: null });
    expect(mergeFailure(r)).toBeNull();
    expect(r.applied).toBe(true);
    expect(r.totals.conflicts).toBe(0);
    const after = state(f.file('baseline.db'));
    expect(after.rows).toBe(25);
    expect(after.counts).toEqual(SWEEP_COUNTS);
    // Each asset holds the bytes its sources hold.
    const union = Object.assign({}, ...SWEEPS.map((s) => state(f.file(s)).assets));
    expect(after.assets).toEqual(union);
    expect(Object.keys(after.assets)).toHaveLength(4);
    for (const hash of after.referenced) expect(after.assets[hash]).toBeDefined();
    // sweep-c logged last (epoch 4, its epoch-3 best again).
    expect(after.keys).toEqual({ model: 'ccbb11194a708a57' });
    expect(after.counts['6e1e8d773f5ffc37']).toBe(after.referenced.filter((h) => h === '6e1e8d773f5ffc37').length);
  });

  it('gives the same rows, assets, keys and counts whatever the order of the sources; a second merge changes no byte', async () => {
    const orders = [SWEEPS, [...SWEEPS].reverse(), ['sweep-b.db', 'sweep-c.db', 'sweep-a.db']];
    const sets: string[][] = [];
    for (const order of orders) {
      const f = copies('baseline.db', ...SWEEPS);
      const target = f.file('baseline.db');
      await mergeResults({ cwd: f.dir, target, sources: order.map(f.file), repo: null });
      sets.push(rowSet(target));
      const once = bytesOf(target);
      const again = await mergeResults({ cwd: f.dir, target, sources: order.map(f.file), repo: null });
      expect(again.totals).toMatchObject({ added: 0, conflicts: 0, filled: 0, updated: 0 });
      expect(bytesOf(target).equals(once)).toBe(true);
    }
    expect(sets[1]).toEqual(sets[0]);
    expect(sets[2]).toEqual(sets[0]);
  });

  it('starts a new target from the sweep alone: 15 rows, 4 assets, the same counts', async () => {
    const f = copies(...SWEEPS);
    const r = await mergeResults({ cwd: f.dir, target: f.file('merged.db'), sources: SWEEPS.map(f.file), repo: null });
    expect(r.applied).toBe(true);
    const after = state(f.file('merged.db'));
    expect(after.rows).toBe(15);
    expect(after.counts).toEqual(SWEEP_COUNTS);
    expect(Object.keys(after.assets).sort()).toEqual(Object.keys(SWEEP_COUNTS).sort());
  });

  it('a true conflict in the results table still refuses the whole merge (exit 6), asset tables or not', async () => {
    const f = copies('baseline.db', 'duplicate-run.db', ...SWEEPS);
    const target = f.file('baseline.db');
    const before = bytesOf(target);
    const r = await mergeResults({ cwd: f.dir, target, sources: [...SWEEPS, 'duplicate-run.db'].map(f.file), repo: null });
    expect(r.applied).toBe(false);
    expect(r.refused).toBe('conflicts');
    expect(r.totals.conflicts).toBe(1);
    expect(r.conflicts).toEqual([
      {
        table: 'default',
        source: f.file('duplicate-run.db'),
        identity: { track_id: 'vivid-panda-3190', timestamp: expect.any(String) },
        columns: [{ column: 'f1', target: 0.781392074998472, source: 0.9 }],
      },
    ]);
    const err = mergeFailure(r)!;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.exitCode).toBe(6);
    expect(bytesOf(target).equals(before)).toBe(true);
  });

  it('--on-conflict replace takes 0.9 and leaves counts equal to the references (never 0 for a referenced object)', async () => {
    const f = copies('baseline.db', 'duplicate-run.db', ...SWEEPS);
    const target = f.file('baseline.db');
    const before = bytesOf(target);
    const r = await mergeResults({ cwd: f.dir, target, sources: [...SWEEPS, 'duplicate-run.db'].map(f.file), onConflict: 'replace', repo: null });
    expect(r.applied).toBe(true);
    expect(r.totals.replaced).toBe(1);
    expect(state(target).counts).toEqual(SWEEP_COUNTS);
    const db = new Database(target, { readonly: true });
    expect(db.prepare(`SELECT f1 FROM "default" WHERE epoch = 10 AND track_id = 'vivid-panda-3190'`).pluck().get()).toBe(0.9);
    db.close();
    // The prior state: the target's bytes as they were (no repository: a file beside it).
    expect(r.backup!.path).toMatch(/baseline\.db\.before-merge-\d{8}T\d{6}Z$/);
    expect(bytesOf(r.backup!.path).equals(before)).toBe(true);
  });

  it('asset bytes that differ under one hash are a real conflict', async () => {
    const f = copies('baseline.db', 'sweep-a.db', 'sweep-b.db');
    const db = new Database(f.file('sweep-b.db'));
    db.prepare(`UPDATE assets SET value = ? WHERE key = ?`).run(Buffer.from('not the same object'), 'gAWVFAAAAAAAAACMEDZlMWU4ZDc3M2Y1ZmZjMzeULg==');
    db.close();
    const r = await mergeResults({ cwd: f.dir, target: f.file('baseline.db'), sources: [f.file('sweep-a.db'), f.file('sweep-b.db')], repo: null });
    expect(r.refused).toBe('conflicts');
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatchObject({ table: 'assets', object: '6e1e8d773f5ffc37' });
    expect(r.conflicts[0]!.columns[0]!.digest).toEqual({
      target: expect.stringMatching(/^sha256:[0-9a-f]{12} \(276 bytes\)$/),
      source: expect.stringMatching(/^sha256:[0-9a-f]{12} \(19 bytes\)$/),
    });
  });
});

describe('xetrack fixtures: filling, not conflicting', () => {
  it("set_value after the fact: the target's NULLs take the values, counted as filled", async () => {
    const f = copies('set-value-before.db', 'set-value.db');
    const target = f.file('set-value-before.db');
    const r = await mergeResults({ cwd: f.dir, target, sources: [f.file('set-value.db')], repo: null });
    expect(r.applied).toBe(true);
    expect(r.tables[0]).toMatchObject({ table: 'default', added: 0, filled: 5, duplicates: 2, conflicts: 0 });
    expect(r.totals.filled).toBe(5);
    expect(rowSet(target)).toEqual(rowSet(f.file('set-value.db')));
    const again = await mergeResults({ cwd: f.dir, target, sources: [f.file('set-value.db')], repo: null });
    expect(again.tables[0]).toMatchObject({ filled: 0, duplicates: 7 });
  });

  it("the other way round: a NULL in the source keeps the target's value, no conflict", async () => {
    const f = copies('set-value-before.db', 'set-value.db');
    const target = f.file('set-value.db');
    const before = rowSet(target);
    const r = await mergeResults({ cwd: f.dir, target, sources: [f.file('set-value-before.db')], repo: null });
    expect(r.applied).toBe(true);
    expect(r.tables[0]).toMatchObject({ added: 0, filled: 0, duplicates: 7, conflicts: 0 });
    expect(rowSet(target)).toEqual(before);
  });

  it('a variant run: 6 rows and 2 columns added, the 10 shared rows duplicates', async () => {
    const f = copies('baseline.db', 'variant.db');
    const r = await mergeResults({ cwd: f.dir, target: f.file('baseline.db'), sources: [f.file('variant.db')], repo: null });
    expect(r.tables[0]).toMatchObject({ added: 6, duplicates: 10, filled: 0, conflicts: 0 });
    expect(r.tables[0]!.columnsAdded.map((c) => c.name)).toEqual(['l2', 'auc']);
  });
});
