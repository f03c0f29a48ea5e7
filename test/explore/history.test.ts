import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo, type TestRepo } from '../helpers/repo.js';
import { sqliteResults } from '../helpers/results.js';
import { diffExperiments } from '../../src/experiments/diff.js';

let repo: TestRepo;
let commits: Record<string, string>;

/** Commit ids and dates vary run to run: replace them by stable names. */
function normalise(value: unknown): unknown {
  let text = JSON.stringify(value);
  for (const [name, id] of Object.entries(commits)) text = text.replaceAll(id, `<${name}>`);
  text = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d/g, '<date>');
  return JSON.parse(text);
}

beforeAll(async () => {
  repo = gitRepo({ 'train.py': 'lr = 0.01\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  repo.write('data/train.csv', 'x,y\n1,0\n');
  repo.write('model.bin', 'model one');
  const db = path.join(repo.dir, 'results.db');
  sqliteResults(db, 'default', [
    { track_id: 'a1', timestamp: 't1', version: 'e0.1.0', lr: 0.01, f1: 0.8, loss: 0 },
    { track_id: 'a2', timestamp: 't2', version: 'e0.1.0', lr: 0.01, f1: 0.75, loss: 0.1 },
  ]);
  await cairnOk(['add', 'data', 'model.bin', 'results.db'], { cwd: repo.dir });
  repo.commit('baseline');
  await cairnOk(['tag', 'e0.1.0', '--db', 'results.db', '--metric', 'f1', '-m', 'baseline'], { cwd: repo.dir });
  repo.write('train.py', 'lr = 0.001\n');
  repo.write('model.bin', 'model two');
  repo.write('extra.bin', 'new artifact');
  sqliteResults(db, 'default', [
    { track_id: 'b1', timestamp: 't3', version: 'e0.2.0', lr: 0.001, f1: 0.9, loss: 0.2 },
    { track_id: 'b2', timestamp: 't4', version: 'e0.2.0', lr: 0.001, f1: 0.85, loss: 0.3 },
    { track_id: 'b3', timestamp: 't5', version: 'e0.2.0', lr: 0.001, f1: 0.7, loss: 0.4 },
  ]);
  await cairnOk(['add', 'model.bin', 'results.db', 'extra.bin'], { cwd: repo.dir });
  repo.commit('lr sweep');
  await cairnOk(['tag', '--db', 'results.db', '--metric', 'f1', '-m', 'lr sweep'], { cwd: repo.dir });
  commits = {
    e010: repo.git('rev-parse', 'e0.1.0^{commit}').trim(),
    e020: repo.git('rev-parse', 'e0.2.0^{commit}').trim(),
  };
});

describe('explore show / diff / list on tags made by cairn tag', () => {
  it('show --json (golden)', async () => {
    const shown = JSON.parse((await cairnOk(['explore', 'show', 'e0.1.0', '--json'], { cwd: repo.dir })).stdout);
    const hashes = Object.fromEntries(shown.artifacts.map((a: { path: string; hash: string }) => [a.path, a.hash]));
    expect(normalise({ ...shown, data: '<data>', artifacts: shown.artifacts.map((a: object) => ({ ...a, hash: '<hash>' })) })).toEqual({
      tag: 'e0.1.0',
      kind: 'semver',
      commit: '<e010>',
      annotated: true,
      date: '<date>',
      subject: 'lr=0.01 | f1=0.8 | loss=0 | data=' + shown.data.slice(7, 19) + ' | baseline',
      run: 'a1',
      metrics: { f1: 0.8, loss: 0 },
      params: { lr: 0.01 },
      data: '<data>',
      results: 'results.db#default',
      artifacts: [
        { path: 'data', kind: 'dir', hash: '<hash>', size: 8, files: 1, inCache: true, onRemote: null },
        { path: 'model.bin', kind: 'file', hash: '<hash>', size: 9, inCache: true, onRemote: null },
        { path: 'results.db', kind: 'file', hash: '<hash>', size: expect.any(Number), inCache: true, onRemote: null },
      ],
    });
    expect(hashes['model.bin']).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('diff --json (golden): metric deltas with n/a for an old 0, params, artifacts, code --stat', async () => {
    const d = JSON.parse((await cairnOk(['explore', 'diff', 'e0.1.0', 'e0.2.0', '--json'], { cwd: repo.dir })).stdout);
    const withoutHashes = {
      ...d,
      artifacts: {
        added: d.artifacts.added.map((a: { path: string }) => a.path),
        removed: d.artifacts.removed.map((a: { path: string }) => a.path),
        changed: d.artifacts.changed.map((a: { path: string }) => a.path),
      },
    };
    expect(normalise(withoutHashes)).toEqual({
      from: { tag: 'e0.1.0', commit: '<e010>' },
      to: { tag: 'e0.2.0', commit: '<e020>' },
      metrics: [
        { name: 'f1', old: 0.8, new: 0.9, delta: expect.closeTo(0.1, 10), relative: expect.closeTo(0.125, 10) },
        { name: 'loss', old: 0, new: 0.2, delta: 0.2, relative: 'n/a' },
      ],
      params: [{ name: 'lr', old: 0.01, new: 0.001 }],
      artifacts: { added: ['extra.bin'], removed: [], changed: ['model.bin', 'results.db'] },
      codeStat: expect.stringContaining('train.py'),
      notes: [],
    });
    expect(d.codeStat).toMatch(/5 files changed/);
    const human = await cairnOk(['explore', 'diff', 'e0.1.0', 'e0.2.0'], { cwd: repo.dir });
    expect(human.stdout).toContain('f1: 0.8 -> 0.9  (+0.1, +12.5%)');
    expect(human.stdout).toContain('loss: 0 -> 0.2  (+0.2, n/a)');
    expect(human.stdout).toContain('lr: 0.01 -> 0.001');
  });

  it('list joins results rows recorded in Cairn-Results, sorts and limits', async () => {
    const list = JSON.parse((await cairnOk(['explore', 'list', '--json'], { cwd: repo.dir })).stdout).experiments;
    expect(list.map((e: { tag: string; resultsRows: { rows: number } }) => [e.tag, e.resultsRows.rows])).toEqual([
      ['e0.1.0', 2],
      ['e0.2.0', 3],
    ]);
    const sorted = JSON.parse((await cairnOk(['explore', 'list', '--sort', 'loss', '--minimize', '--limit', '1', '--json'], { cwd: repo.dir })).stdout);
    expect(sorted.experiments.map((e: { tag: string }) => e.tag)).toEqual(['e0.1.0']);
    const byF1 = JSON.parse((await cairnOk(['explore', 'list', '--sort', 'f1', '--json'], { cwd: repo.dir })).stdout);
    expect(byF1.experiments.map((e: { tag: string }) => e.tag)).toEqual(['e0.2.0', 'e0.1.0']);
  });

  it('unknown versions exit 4', async () => {
    for (const args of [
      ['show', 'e9.0.0'],
      ['diff', 'e0.1.0', 'e9.0.0'],
      ['diff', 'nope', 'e0.1.0'],
    ]) {
      const r = await cairn(['explore', ...args], { cwd: repo.dir });
      expect(r.exitCode, args.join(' ')).toBe(4);
      expect(r.stderr).toContain('unknown version');
    }
  });
});

describe('diffExperiments (pure)', () => {
  it('reports n/a when the old value is zero or missing', () => {
    const base = { kind: 'semver' as const, commit: 'c', annotated: true, date: '', subject: '', params: {} };
    const d = diffExperiments({ ...base, tag: 'a', metrics: { m: 0, gone: 1 } }, { ...base, tag: 'b', metrics: { m: 3, fresh: 2 } }, [], [], '');
    expect(d.metrics).toEqual([
      { name: 'm', old: 0, new: 3, delta: 3, relative: 'n/a' },
      { name: 'gone', old: 1, new: null, delta: null, relative: 'n/a' },
      { name: 'fresh', old: null, new: 2, delta: null, relative: 'n/a' },
    ]);
  });
});
