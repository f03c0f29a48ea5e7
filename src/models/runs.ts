/**
 * Reading the rows that rank runs: a results database (SQLite, DuckDB or
 * parquet), the table that holds the metric, and the column naming the run.
 */
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { openResults } from '../results/database.js';
import { confinedFile } from '../trust/confine.js';

export interface RunRowsOptions {
  cwd: string;
  /** The results file (default: results.db from config, relative to the repository root). */
  db?: string;
  table?: string;
  metric?: string;
  minimize?: boolean;
}

export async function readRunRows(
  repo: Repo,
  options: RunRowsOptions,
): Promise<{ rows: Record<string, unknown>[]; runColumn: string; metric: string; table: string }> {
  const metric = options.metric ?? repo.config.metrics.primary;
  if (!metric) {
    throw new UsageError('which metric ranks the runs?', { hint: 'pass --metric f1 (or set metrics.primary in .cairn/config.json)' });
  }
  const file = options.db !== undefined ? path.resolve(options.cwd, options.db) : repo.config.results.db !== undefined ? confinedFile(repo.root, repo.config.results.db, 'read the results database named by results.db in the config') : null;
  if (!file) {
    throw new UsageError('which results database ranks the runs?', { hint: 'pass --db FILE (or set results.db in .cairn/config.json)' });
  }
  const reader = await openResults(file);
  try {
    let table = options.table ?? repo.config.results.table;
    const tables = await reader.tables();
    if (!table) {
      const withMetric: string[] = [];
      for (const t of tables) if ((await reader.columns(t)).some((c) => c.name === metric)) withMetric.push(t);
      if (withMetric.length === 0) {
        throw new NotFoundError(`no table in ${file} has a column ${JSON.stringify(metric)}`, {
          hint: `tables: ${tables.join(', ') || 'none'}; pick the metric with --metric`,
        });
      }
      if (withMetric.length > 1) {
        throw new UsageError(`several tables have a column ${JSON.stringify(metric)}: ${withMetric.join(', ')}`, { hint: 'pick one with --table' });
      }
      table = withMetric[0]!;
    }
    const columns = (await reader.columns(table)).map((c) => c.name);
    if (!columns.includes(metric)) {
      throw new NotFoundError(`table ${JSON.stringify(table)} has no column ${JSON.stringify(metric)}`, {
        hint: `columns: ${columns.join(', ')}`,
      });
    }
    const runColumns = repo.config.results.runColumns;
    const runColumn = runColumns.find((c) => columns.includes(c));
    if (!runColumn) {
      throw new NotFoundError(`table ${JSON.stringify(table)} has no column naming the run (${runColumns.join(', ')})`, {
        hint: 'log the run ID in a run_id column, or list the column in results.runColumns (.cairn/config.json)',
      });
    }
    return { rows: (await reader.rows(table)).rows, runColumn, metric, table };
  } finally {
    reader.close();
  }
}
