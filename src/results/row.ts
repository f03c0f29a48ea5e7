/**
 * From the results rows of one version to what its tag says. Pure: no I/O.
 *
 * The best row wins, not the newest: the one with the highest primary metric
 * (lowest with `minimize`); rows whose metric is NULL or not a finite number
 * never win. Ties are broken by the row's own values, never by where it sits
 * in the table (which depends on the order files were merged in): the
 * earliest `timestamp`, then the smallest run id, then the smallest values
 * of the other columns in column-name order (see compareTiedRows).
 *
 * Its columns split three ways:
 * - bookkeeping, left out: the version and run columns, `results.bookkeepingColumns`
 *   (xetrack's timestamp, track_id, function_name, args, kwargs, error...)
 *   and any column named `git_*`;
 * - metrics: the primary metric, the columns named in `metrics.names`, and,
 *   when `metrics.names` is not set, numeric columns whose name has a metric
 *   word in it (`f1`, `val_loss`, `test_accuracy`; see METRIC_WORDS);
 * - params: every other column with a scalar value.
 * NULLs, binary values and strings longer than 200 characters are left out.
 */
import { DEFAULT_RUN_COLUMNS } from '../config/columns.js';

/** A metric or param value as a tag carries it. */
export type TagValue = number | string | boolean;

/** Names to values, in a fixed order (the primary metric first). */
export type TagValues = Record<string, TagValue>;

export { DEFAULT_BOOKKEEPING_COLUMNS, DEFAULT_RUN_COLUMNS } from '../config/columns.js';

/** Words that make a numeric column a metric (matched against the name's `_`/`-`/`.`-separated parts). */
export const METRIC_WORDS: ReadonlySet<string> = new Set([
  'accuracy',
  'acc',
  'f1',
  'loss',
  'auc',
  'precision',
  'recall',
  'mse',
  'rmse',
  'mae',
  'mape',
  'r2',
  'bleu',
  'rouge',
  'perplexity',
  'ppl',
  'iou',
  'wer',
  'cer',
  'ndcg',
  'mrr',
  'top1',
  'top5',
]);

const MAX_STRING = 200;

/** How {@link summarizeRow} tells bookkeeping, metric and param columns apart (from `results.*` and `metrics.names` in the config). */
export interface ColumnRules {
  /** Columns that hold the version (`version`, `experiment_version`). */
  versionColumns: readonly string[];
  /** Columns that hold the run id, first present wins (`run_id`, `run`, `track_id`). */
  runColumns: readonly string[];
  bookkeepingColumns: readonly string[];
  /** Explicit metric columns; when set, names alone no longer make a metric. */
  metricNames?: readonly string[];
}

/** A row split the way a tag records it: its run id (when a run column has one), its metrics (primary first) and its params. */
export interface RowSummary {
  run?: string;
  metrics: TagValues;
  params: TagValues;
}

/** A row's metric value as a finite number, or null (NULL, text, NaN, infinite). */
export function metricValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)) return Number(value);
  return null;
}

/** The column xetrack records when a row was logged; the first tie-breaker. */
export const TIMESTAMP_COLUMN = 'timestamp';

/** Order two cell values: numbers by value, anything else as text in code-unit order; NULL last. */
function compareCells(a: unknown, b: unknown): number {
  const missingA = a === null || a === undefined;
  const missingB = b === null || b === undefined;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  const x = typeof a === 'bigint' ? Number(a) : a;
  const y = typeof b === 'bigint' ? Number(b) : b;
  if (typeof x === 'number' && typeof y === 'number') return x === y ? 0 : x < y ? -1 : 1;
  const sa = Buffer.isBuffer(x) ? x.toString('hex') : String(x);
  const sb = Buffer.isBuffer(y) ? y.toString('hex') : String(y);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

/**
 * The order of two rows whose metric ties (negative: `a` comes first): the
 * earlier `timestamp`, then the smaller run id (first of `runColumns`
 * present), then the smaller value of each other column, by column name.
 * It reads only the rows' values, so the same rows give the same winner
 * whatever order a merge put them in.
 */
export function compareTiedRows(a: Record<string, unknown>, b: Record<string, unknown>, runColumns: readonly string[] = DEFAULT_RUN_COLUMNS): number {
  const byTime = compareCells(a[TIMESTAMP_COLUMN], b[TIMESTAMP_COLUMN]);
  if (byTime) return byTime;
  const run = runColumns.find((c) => c in a || c in b);
  if (run !== undefined) {
    const byRun = compareCells(a[run], b[run]);
    if (byRun) return byRun;
  }
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const name of names) {
    const c = compareCells(a[name], b[name]);
    if (c) return c;
  }
  return 0;
}

/**
 * The index of the best row by `metric`, or -1 when no row has a value for
 * it. Ties: {@link compareTiedRows}.
 */
export function bestRowIndex(
  rows: readonly Record<string, unknown>[],
  metric: string,
  minimize: boolean,
  runColumns: readonly string[] = DEFAULT_RUN_COLUMNS,
): number {
  let best = -1;
  let bestValue = 0;
  rows.forEach((row, i) => {
    const v = metricValue(row[metric]);
    if (v === null) return;
    if (best === -1 || (minimize ? v < bestValue : v > bestValue) || (v === bestValue && compareTiedRows(row, rows[best]!, runColumns) < 0)) {
      best = i;
      bestValue = v;
    }
  });
  return best;
}

/**
 * True when a metric's name says lower is better (a loss, an error, a
 * latency...): commands that rank by it without --minimize say so.
 */
export function looksLikeLoss(name: string): boolean {
  return /(^|_)(loss|error|err|mse|rmse|mae|mape|perplexity|ppl|wer|cer|latency)($|_)/i.test(name);
}

/** True for a column that says how a row was recorded rather than what the run was. */
export function isBookkeeping(name: string, rules: ColumnRules): boolean {
  return (
    rules.versionColumns.includes(name) || rules.runColumns.includes(name) || rules.bookkeepingColumns.includes(name) || name.toLowerCase().startsWith('git_')
  );
}

/** True when a column's name has one of METRIC_WORDS as a part. */
export function hasMetricWord(name: string): boolean {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((part) => METRIC_WORDS.has(part));
}

function tagValue(value: unknown): TagValue | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'string') return value.length <= MAX_STRING ? value : undefined;
  return undefined;
}

/** Split a row into run id, metrics (primary first) and params, in column order. */
export function summarizeRow(row: Record<string, unknown>, columns: readonly string[], options: { primary?: string; rules: ColumnRules }): RowSummary {
  const { primary, rules } = options;
  const metrics = Object.create(null) as TagValues;
  const params = Object.create(null) as TagValues;
  if (primary !== undefined) {
    const v = tagValue(row[primary]);
    if (v !== undefined) metrics[primary] = v;
  }
  for (const name of columns) {
    if (name === primary || isBookkeeping(name, rules)) continue;
    const v = tagValue(row[name]);
    if (v === undefined) continue;
    const isMetric = rules.metricNames ? rules.metricNames.includes(name) : typeof v === 'number' && hasMetricWord(name);
    (isMetric ? metrics : params)[name] = v;
  }
  const runColumn = rules.runColumns.find((c) => columns.includes(c) && row[c] !== null && row[c] !== undefined);
  return { ...(runColumn ? { run: String(row[runColumn]) } : {}), metrics, params };
}
