/**
 * `planArtifact`, the pure half of checkout: what it decides for each shape of
 * workspace (missing, same, changed, not a file, extra files, odd entries),
 * with and without --force, and with the cache holding or lacking the bytes.
 */
import { describe, expect, it } from 'vitest';
import { planArtifact, type InCache } from '../../src/artifacts/checkout.js';
import type { Inspection } from '../../src/artifacts/inspect.js';
import type { ArtifactState } from '../../src/artifacts/state.js';
import type { DirObservation, FileObservation } from '../../src/artifacts/workspace.js';
import { MODE_EXEC, MODE_FILE, type ManifestEntry } from '../../src/store/manifest.js';

const H = (c: string): string => 'sha256:' + c.repeat(64);
const OLD = H('a');
const NEW = H('b');
const OTHER = H('c');

const cacheHolds =
  (...hashes: string[]): InCache =>
  (h) =>
    hashes.includes(h);
const everything: InCache = () => true;

function fileInspection(observed: FileObservation, options: { state?: ArtifactState; recorded?: ManifestEntry[] | null } = {}): Inspection {
  return {
    status: {
      path: 'model.bin',
      pointer: 'model.bin.cairn',
      kind: 'file',
      hash: NEW,
      size: 3,
      state: options.state ?? 'modified',
      workspace: 'modified',
      missingObjects: 0,
    },
    recorded: options.recorded === undefined ? [{ path: 'model.bin', hash: NEW, size: 3, mode: MODE_FILE }] : options.recorded,
    observed,
  };
}

const entry = (p: string, hash: string, mode = MODE_FILE): ManifestEntry => ({ path: p, hash, size: 1, mode });

function dirInspection(recorded: ManifestEntry[] | null, observed: DirObservation, state: ArtifactState = 'modified'): Inspection {
  return {
    status: { path: 'data', pointer: 'data.cairn', kind: 'dir', hash: H('d'), size: 2, files: 2, state, workspace: 'modified', missingObjects: 0 },
    recorded,
    observed,
  };
}

const dir = (entries: ManifestEntry[], oddities: string[] = []): DirObservation => ({ kind: 'dir', manifestHash: H('e'), entries, oddities });

describe('planArtifact: a file artifact', () => {
  it('plans nothing for an unchanged artifact, whatever the rest says', () => {
    const plan = planArtifact(fileInspection({ kind: 'other', what: 'a directory' }, { state: 'unchanged' }), () => false, false);
    expect(plan).toEqual({ artifact: 'model.bin', steps: [], refused: [], missing: [] });
  });

  it('reports the artifact missing when its recorded content is unknown (manifest not cached)', () => {
    const plan = planArtifact(fileInspection({ kind: 'missing' }, { recorded: null }), everything, true);
    expect(plan).toEqual({ artifact: 'model.bin', steps: [], refused: [], missing: ['model.bin'] });
  });

  it('writes a missing file (not a replacement)', () => {
    const plan = planArtifact(fileInspection({ kind: 'missing' }), everything, false);
    expect(plan.steps).toEqual([{ op: 'write', path: 'model.bin', hash: NEW, size: 3, executable: false, replace: false }]);
    expect(plan.refused).toEqual([]);
    expect(plan.missing).toEqual([]);
  });

  it('lists the file as missing from the cache when the cache lacks the recorded object', () => {
    const plan = planArtifact(fileInspection({ kind: 'missing' }), () => false, false);
    expect(plan.missing).toEqual(['model.bin']);
    expect(plan.steps).toHaveLength(1); // planned, but checkout applies nothing while `missing` is not empty
  });

  it('does nothing for a file with the recorded bytes and mode', () => {
    const plan = planArtifact(fileInspection({ kind: 'file', hash: NEW, size: 3, mode: MODE_FILE }), everything, false);
    expect(plan.steps).toEqual([]);
    expect(plan.refused).toEqual([]);
  });

  it('only changes the mode of a file with the recorded bytes and another mode', () => {
    const plan = planArtifact(fileInspection({ kind: 'file', hash: NEW, size: 3, mode: MODE_EXEC }), everything, false);
    expect(plan.steps).toEqual([{ op: 'chmod', path: 'model.bin', executable: false }]);
    const exec = fileInspection(
      { kind: 'file', hash: NEW, size: 3, mode: MODE_FILE },
      { recorded: [{ path: 'model.bin', hash: NEW, size: 3, mode: MODE_EXEC }] },
    );
    expect(planArtifact(exec, everything, false).steps).toEqual([{ op: 'chmod', path: 'model.bin', executable: true }]);
  });

  it('replaces other bytes that the cache holds (nothing is lost)', () => {
    const plan = planArtifact(fileInspection({ kind: 'file', hash: OLD, size: 5, mode: MODE_FILE }), cacheHolds(OLD, NEW), false);
    expect(plan.steps).toEqual([{ op: 'write', path: 'model.bin', hash: NEW, size: 3, executable: false, replace: true }]);
    expect(plan.refused).toEqual([]);
  });

  it('refuses to replace bytes the cache lacks, unless forced', () => {
    const observed: FileObservation = { kind: 'file', hash: OTHER, size: 5, mode: MODE_FILE };
    const refused = planArtifact(fileInspection(observed), cacheHolds(NEW), false);
    expect(refused.refused).toEqual(['model.bin has changes that are not in the cache']);
    expect(refused.steps).toEqual([]);
    const forced = planArtifact(fileInspection(observed), cacheHolds(NEW), true);
    expect(forced.refused).toEqual([]);
    expect(forced.steps).toEqual([{ op: 'write', path: 'model.bin', hash: NEW, size: 3, executable: false, replace: true }]);
  });

  it('refuses a folder or other non-file where the file goes, unless forced', () => {
    const observed: FileObservation = { kind: 'other', what: 'a directory' };
    expect(planArtifact(fileInspection(observed), everything, false).refused).toEqual(['model.bin is a directory']);
    expect(planArtifact(fileInspection(observed), everything, true).steps).toEqual([
      { op: 'write', path: 'model.bin', hash: NEW, size: 3, executable: false, replace: true },
    ]);
  });
});

describe('planArtifact: a directory artifact', () => {
  const recorded = [entry('a.txt', H('1')), entry('run.sh', H('2'), MODE_EXEC)];

  it('writes every file of a missing folder, the executable one executable', () => {
    const plan = planArtifact(dirInspection(recorded, { kind: 'missing' }), everything, false);
    expect(plan.steps).toEqual([
      { op: 'write', path: 'data/a.txt', hash: H('1'), size: 1, executable: false, replace: false },
      { op: 'write', path: 'data/run.sh', hash: H('2'), size: 1, executable: true, replace: false },
    ]);
    expect(plan).toMatchObject({ refused: [], missing: [] });
  });

  it('names each file whose object the cache lacks', () => {
    const plan = planArtifact(dirInspection(recorded, { kind: 'missing' }), cacheHolds(H('1')), false);
    expect(plan.missing).toEqual(['data/run.sh']);
  });

  it('reports the folder missing when its manifest is not cached', () => {
    expect(planArtifact(dirInspection(null, dir([])), everything, true)).toEqual({ artifact: 'data', steps: [], refused: [], missing: ['data'] });
  });

  it('touches only what differs: same files stay, a changed mode is a chmod, changed bytes in the cache are replaced', () => {
    const observed = dir([entry('a.txt', H('9')), entry('run.sh', H('2'), MODE_FILE)]);
    const plan = planArtifact(dirInspection(recorded, observed), everything, false);
    expect(plan.steps).toEqual([
      { op: 'write', path: 'data/a.txt', hash: H('1'), size: 1, executable: false, replace: true },
      { op: 'chmod', path: 'data/run.sh', executable: true },
    ]);
    expect(plan.refused).toEqual([]);
    const same = planArtifact(dirInspection(recorded, dir(recorded)), everything, false);
    expect(same.steps).toEqual([]);
  });

  it('refuses changed bytes the cache lacks, unless forced', () => {
    const observed = dir([entry('a.txt', H('9')), entry('run.sh', H('2'), MODE_EXEC)]);
    const inCache = cacheHolds(H('1'), H('2'));
    expect(planArtifact(dirInspection(recorded, observed), inCache, false).refused).toEqual(['data/a.txt has changes that are not in the cache']);
    const forced = planArtifact(dirInspection(recorded, observed), inCache, true);
    expect(forced.refused).toEqual([]);
    expect(forced.steps).toEqual([{ op: 'write', path: 'data/a.txt', hash: H('1'), size: 1, executable: false, replace: true }]);
  });

  it('removes an unrecorded file the cache holds, before any write; refuses one it lacks unless forced', () => {
    const observed = dir([entry('a.txt', H('9')), entry('extra.txt', H('7')), entry('run.sh', H('2'), MODE_EXEC)]);
    const plan = planArtifact(dirInspection(recorded, observed), cacheHolds(H('1'), H('2'), H('7'), H('9')), false);
    expect(plan.steps.map((s) => `${s.op} ${s.path}`)).toEqual(['remove data/extra.txt', 'write data/a.txt']);
    expect(plan.refused).toEqual([]);

    const lacking = cacheHolds(H('1'), H('2'), H('9'));
    expect(planArtifact(dirInspection(recorded, observed), lacking, false).refused).toEqual(['data/extra.txt is not recorded and not in the cache']);
    const forced = planArtifact(dirInspection(recorded, observed), lacking, true);
    expect(forced.steps.map((s) => `${s.op} ${s.path}`)).toEqual(['remove data/extra.txt', 'write data/a.txt']);
  });

  it('refuses entries that are not regular files, and removes them first when forced', () => {
    const observed = dir(recorded, ['fifo', 'link']);
    const refused = planArtifact(dirInspection(recorded, observed), everything, false);
    expect(refused.refused).toEqual(['data/fifo is not a regular file', 'data/link is not a regular file']);
    const forced = planArtifact(dirInspection(recorded, observed), everything, true);
    expect(forced.refused).toEqual([]);
    expect(forced.steps).toEqual([
      { op: 'remove', path: 'data/link' },
      { op: 'remove', path: 'data/fifo' },
    ]);
  });

  it('refuses a file where the folder goes; forced, removes it and then writes every file', () => {
    const observed: DirObservation = { kind: 'other', what: 'a file' };
    const refused = planArtifact(dirInspection(recorded, observed), everything, false);
    expect(refused.refused).toEqual(['data is a file in the workspace']);
    const forced = planArtifact(dirInspection(recorded, observed), everything, true);
    expect(forced.refused).toEqual([]);
    expect(forced.steps.map((s) => `${s.op} ${s.path}`)).toEqual(['remove data', 'write data/a.txt', 'write data/run.sh']);
    expect(forced.steps.filter((s) => s.op === 'write').every((s) => s.op === 'write' && !s.replace)).toBe(true);
  });

  it('plans nothing for an unchanged folder', () => {
    expect(planArtifact(dirInspection(null, { kind: 'missing' }, 'unchanged'), () => false, false)).toEqual({
      artifact: 'data',
      steps: [],
      refused: [],
      missing: [],
    });
  });
});
