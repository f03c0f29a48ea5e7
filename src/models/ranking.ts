/**
 * Ranking runs by a metric. Pure: a run with several rows counts once, by its
 * best row; rows whose metric is NULL or not a number never beat one that
 * has a value, and runs without any value rank last.
 */

import { metricValue } from '../experiments/row.js';

/** One run in {@link rankRuns}' order: its best metric value and the row it came from. */
export interface RankedRun {
  run: string;
  /** The best value of the metric, or null. */
  value: number | null;
  /** The row that value came from (the run's first row when it has none). */
  row: Record<string, unknown>;
}

/** Is `a` better than `b` (nulls lose)? */
function better(a: number | null, b: number | null, minimize: boolean): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return minimize ? a < b : a > b;
}

/** Runs best first. */
export function rankRuns(rows: Record<string, unknown>[], runColumn: string, metric: string, minimize: boolean): RankedRun[] {
  const best = new Map<string, RankedRun>();
  for (const row of rows) {
    const run = row[runColumn];
    if (run === null || run === undefined) continue;
    const key = String(run);
    const value = metricValue(row[metric]);
    const current = best.get(key);
    if (!current || better(value, current.value, minimize)) best.set(key, { run: key, value, row });
  }
  return [...best.values()].sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === b.value ? a.run.localeCompare(b.run) : a.value === null ? 1 : -1;
    return (minimize ? a.value - b.value : b.value - a.value) || a.run.localeCompare(b.run);
  });
}
