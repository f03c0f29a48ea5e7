/**
 * What changed from one experiment to another (`explore diff`): metric
 * deltas, params, artifacts, and the code's `git diff --stat`. Pure.
 */
import type { TagValue, TagValues } from './message.js';
import type { Experiment } from './experiment.js';

/** How one metric differs between two experiments (`null` where a side lacks it). */
export interface MetricDelta {
  name: string;
  old: TagValue | null;
  new: TagValue | null;
  /** new - old, when both are numbers. */
  delta: number | null;
  /** delta / |old|; 'n/a' when old is 0 (or either is missing). */
  relative: number | 'n/a';
}

/** What changed from one experiment to another: metrics, the params that differ, artifacts added, removed and changed, and the code (`git diff --stat`). */
export interface ExperimentDiff {
  from: { tag: string; commit: string };
  to: { tag: string; commit: string };
  metrics: MetricDelta[];
  params: { name: string; old: TagValue | null; new: TagValue | null }[];
  artifacts: {
    added: { path: string; hash: string }[];
    removed: { path: string; hash: string }[];
    changed: { path: string; old: string; new: string }[];
  };
  /** `git diff --stat` between the two commits. */
  codeStat: string;
}

/** What changed between two experiments. Pure. */
export function diffExperiments(
  a: Experiment,
  b: Experiment,
  artifactsA: { path: string; hash: string }[],
  artifactsB: { path: string; hash: string }[],
  codeStat: string,
): ExperimentDiff {
  const names = (x: TagValues, y: TagValues) => [...new Set([...Object.keys(x), ...Object.keys(y)])];
  const metrics = names(a.metrics, b.metrics).map((name): MetricDelta => {
    const oldV = a.metrics[name] ?? null;
    const newV = b.metrics[name] ?? null;
    const delta = typeof oldV === 'number' && typeof newV === 'number' ? newV - oldV : null;
    const relative = delta !== null && oldV !== 0 ? delta / Math.abs(oldV as number) : 'n/a';
    return { name, old: oldV, new: newV, delta, relative };
  });
  const params = names(a.params, b.params)
    .filter((name) => a.params[name] !== b.params[name])
    .map((name) => ({ name, old: a.params[name] ?? null, new: b.params[name] ?? null }));
  const before = new Map(artifactsA.map((x) => [x.path, x.hash]));
  const after = new Map(artifactsB.map((x) => [x.path, x.hash]));
  return {
    from: { tag: a.tag, commit: a.commit },
    to: { tag: b.tag, commit: b.commit },
    metrics,
    params,
    artifacts: {
      added: artifactsB.filter((x) => !before.has(x.path)).map(({ path: p, hash }) => ({ path: p, hash })),
      removed: artifactsA.filter((x) => !after.has(x.path)).map(({ path: p, hash }) => ({ path: p, hash })),
      changed: artifactsB
        .filter((x) => before.has(x.path) && before.get(x.path) !== x.hash)
        .map((x) => ({ path: x.path, old: before.get(x.path)!, new: x.hash })),
    },
    codeStat,
  };
}
