/**
 * The column names a results table uses by default: the defaults of
 * `results.runColumns` and `results.bookkeepingColumns` (docs/CONFIG.md).
 * Here, below every domain, because the config's defaults are built from them.
 */

/** xetrack's bookkeeping columns and the usual git ones. */
export const DEFAULT_BOOKKEEPING_COLUMNS: readonly string[] = [
  'timestamp',
  'track_id',
  'function_name',
  'function_time',
  'function_result',
  'args',
  'kwargs',
  'error',
  'git_commit',
  'git_hash',
  'git_sha',
  'commit',
  'commit_hash',
  'commit_sha',
];

/** Columns that name a run by default (`results.runColumns`), the first present wins. */
export const DEFAULT_RUN_COLUMNS: readonly string[] = ['run_id', 'run', 'track_id'];
