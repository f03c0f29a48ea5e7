/**
 * Compare before you tag: `explore diff V` alone compares V with what `cairn
 * tag` would record now; `explore show` and `explore diff` take any revision.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cairn, cairnOk } from '../helpers/cli.js';
import { gitRepo } from '../helpers/repo.js';

function log(file: string, row: { track_id: string; timestamp: string; version: string; lr: number; f1: number }): void {
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, version TEXT, lr REAL, f1 REAL, PRIMARY KEY (track_id, timestamp))');
  db.prepare('INSERT INTO "default" VALUES (@track_id, @timestamp, @version, @lr, @f1)').run(row);
  db.close();
}

describe('compare before you tag', () => {
  it('explore diff V alone: V against the run in the workspace, as cairn tag would record it', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    await cairnOk(['config', 'set', 'results.db', 'results.db'], { cwd: repo.dir });
    await cairnOk(['config', 'set', 'metrics.primary', 'f1'], { cwd: repo.dir });
    const db = path.join(repo.dir, 'results.db');
    log(db, { track_id: 'r1', timestamp: '2026-12-07 10:00:00', version: 'e0.1.0', lr: 0.1, f1: 0.8 });
    await cairnOk(['add', 'results.db'], { cwd: repo.dir });
    repo.commit('baseline');
    await cairnOk(['tag', '-m', 'baseline'], { cwd: repo.dir });

    // A new run, not added or committed yet.
    log(db, { track_id: 'r2', timestamp: '2026-12-07 11:00:00', version: 'e0.2.0', lr: 0.01, f1: 0.85 });
    const r = await cairnOk(['explore', 'diff', 'e0.1.0'], { cwd: repo.dir });
    expect(r.stdout).toContain('e0.1.0 -> workspace (e0.2.0 if tagged now)');
    expect(r.stdout).toContain('f1: 0.8 -> 0.85');
    expect(r.stdout).toContain('lr: 0.1 -> 0.01');
    const j = JSON.parse((await cairnOk(['explore', 'diff', 'e0.1.0', '--json'], { cwd: repo.dir })).stdout);
    expect(j.metrics).toContainEqual(expect.objectContaining({ name: 'f1', old: 0.8, new: 0.85 }));
    // Nothing was tagged or written by comparing.
    expect(repo.git('tag', '--list').trim()).toBe('e0.1.0');

    // Without results for the next version yet: the metrics are empty and a note says why.
    const fresh = gitRepo();
    await cairnOk(['init'], { cwd: fresh.dir });
    fresh.commit('init');
    await cairnOk(['tag', '--no-db', '-m', 'first'], { cwd: fresh.dir });
    const empty = await cairnOk(['explore', 'diff', 'e0.1.0'], { cwd: fresh.dir });
    expect(empty.stdout).toContain('e0.1.0 -> workspace (e0.2.0 if tagged now)');
  });

  it('explore show and explore diff take any git revision', async () => {
    const repo = gitRepo();
    await cairnOk(['init'], { cwd: repo.dir });
    repo.write('data.bin', 'v1');
    await cairnOk(['add', 'data.bin'], { cwd: repo.dir });
    repo.commit('v1');
    await cairnOk(['tag', 'e0.1.0', '--no-db', '-m', 'first'], { cwd: repo.dir });
    // HEAD is the tagged commit: it is that experiment.
    expect((await cairnOk(['explore', 'show', 'HEAD'], { cwd: repo.dir })).stdout).toContain('e0.1.0');
    repo.write('data.bin', 'v2');
    await cairnOk(['add', 'data.bin'], { cwd: repo.dir });
    repo.commit('v2, not tagged');
    const shown = await cairnOk(['explore', 'show', 'main'], { cwd: repo.dir });
    expect(shown.stdout).toContain('v2, not tagged');
    expect(shown.stdout).toContain('data.bin');
    const d = await cairnOk(['explore', 'diff', 'e0.1.0', 'HEAD'], { cwd: repo.dir });
    expect(d.stdout).toContain('e0.1.0 -> HEAD');
    expect(d.stdout).toContain('changed: data.bin');
    const unknown = await cairn(['explore', 'show', 'no-such-rev'], { cwd: repo.dir });
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toContain('neither an experiment tag nor a git revision');
  });
});
