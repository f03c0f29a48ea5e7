/**
 * Ranking runs by a metric. Pure: a run with several rows counts once, by its
 * best row; rows whose metric is NULL or not a number never beat one that
 * has a value, and runs without any value rank last. A run's best row among
 * tied ones is chosen as `cairn tag` chooses (compareTiedRows: earliest
 * timestamp, then the row's values), never by where it sits in the table.
 */

import { compareTiedRows, DEFAULT_RUN_COLUMNS, metricValue } from '../results/row.js';

/** One run in {@link rankRuns}' order: its best metric value and the row it came from. */
export interface RankedRun {
  run: string;
  /** The best value of the metric, or null. */
  value: number | null;
  /** The row that value came from (when no row has a value, the first by compareTiedRows). */
  row: Record<string, unknown>;
}

/** Is `a` better than `b` (nulls lose)? 0 when they tie. */
function compareValues(a: number | null, b: number | null, minimize: boolean): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (a === b) return 0;
  return (minimize ? a < b : a > b) ? -1 : 1;
}

/** Runs best first; runs that tie are in name order. */
export function rankRuns(
  rows: Record<string, unknown>[],
  runColumn: string,
  metric: string,
  minimize: boolean,
  runColumns: readonly string[] = DEFAULT_RUN_COLUMNS,
): RankedRun[] {
  const best = new Map<string, RankedRun>();
  for (const row of rows) {
    const run = row[runColumn];
    if (run === null || run === undefined) continue;
    const key = String(run);
    const value = metricValue(row[metric]);
    const current = best.get(key);
    if (!current || (compareValues(value, current.value, minimize) || compareTiedRows(row, current.row, runColumns)) < 0) {
      best.set(key, { run: key, value, row });
    }
  }
  return [...best.values()].sort((a, b) => compareValues(a.value, b.value, minimize) || (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
}
