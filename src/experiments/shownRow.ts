/**
 * The one results row an experiment is shown with (`explore list`): its best
 * row of the results table, else what its tag recorded. Pure.
 */
import { bestRowIndex, summarizeRow, TIMESTAMP_COLUMN, type ColumnRules } from '../results/row.js';
import type { TableChoiceReason } from '../results/resultsTable.js';
import type { TagValues } from './message.js';
import type { Experiment } from './experiment.js';

/** The one results row an experiment is shown with: its run and timestamp, and its metrics and params, all from that row as it was logged. */
export interface ShownRow {
  run?: string;
  timestamp?: string;
  metrics: TagValues;
  params: TagValues;
}

/** An experiment's results rows in the database joined: where they are, how many, and the best of them. */
export interface JoinedRows {
  /** `file#table` (the file from the repo root when inside it). */
  results: string;
  table: string;
  /** Why this table (see results/resultsTable.ts). */
  chosenBy: TableChoiceReason;
  /** The column the version was matched in. */
  versionColumn: string;
  /** How many results rows carry this version. */
  rows: number;
  /**
   * The best of them by the sort metric (else metrics.primary), ties broken as
   * `cairn tag` breaks them (compareTiedRows); the only row when there is one;
   * null when several rows and no metric to choose, or no row has a value.
   */
  best: ShownRow | null;
}

/** An experiment as {@link exploreList} returns it: the tag's own record, plus its results rows when a database was joined. */
export interface ListedExperiment extends Experiment {
  resultsRows?: JoinedRows;
}

/** What an experiment is shown with: its best results row, else what its tag recorded. */
export function shownRow(e: ListedExperiment): ShownRow {
  return e.resultsRows?.best ?? { ...(e.run !== undefined ? { run: e.run } : {}), metrics: e.metrics, params: e.params };
}

/**
 * The row of `rows` an experiment is shown with, split like a tag's
 * trailers: the best by `metric` (ties: compareTiedRows), or the only row
 * when no metric is given; null when several rows and no metric, or no row
 * has a value for it. Pure.
 */
export function bestShownRow(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  options: { metric?: string; minimize: boolean; rules: ColumnRules },
): ShownRow | null {
  const { metric, minimize, rules } = options;
  const index = metric !== undefined ? bestRowIndex(rows, metric, minimize, rules.runColumns) : rows.length === 1 ? 0 : -1;
  if (index === -1) return null;
  const row = rows[index]!;
  const summary = summarizeRow(row, columns, { ...(metric !== undefined ? { primary: metric } : {}), rules });
  const timestamp = row[TIMESTAMP_COLUMN];
  return {
    ...(summary.run !== undefined ? { run: summary.run } : {}),
    ...(timestamp !== null && timestamp !== undefined ? { timestamp: String(timestamp) } : {}),
    metrics: summary.metrics,
    params: summary.params,
  };
}
