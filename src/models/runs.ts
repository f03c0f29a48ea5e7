/**
 * Reading the rows that rank runs: the results file and table chosen by the
 * shared rule (results/resultsTable.ts), and the column naming the run.
 */
import { NotFoundError, UsageError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { openResults } from '../results/database.js';
import {
  chooseTable,
  columnOf,
  describeChoice,
  holdsRowsOf,
  resolveResultsFile,
  resultsLocation,
  tableChoiceError,
  tablesOf,
  type TableChoiceReason,
  type TableNeeds,
} from '../results/resultsTable.js';

/** Where model commands read results rows: the file (`--db`, else `results.db` from the config, else `<root>/results.db`), the table, and the metric. */
export interface RunRowsOptions {
  cwd: string;
  /** The results file (default: results.db from config, else results.db at the repository root). */
  db?: string;
  table?: string;
  metric?: string;
  minimize?: boolean;
}

/** What a model command needs of the rows: a version's, some runs', and whether a metric is required. */
export interface RunRowsNeeds {
  /** The version asked, with its spellings. */
  version?: string[];
  /** The runs asked (narrows the table choice to the tables holding their rows). */
  runs?: string[];
  /** Fail without a metric (ranking); otherwise a metric is used only when the table has it. */
  metricRequired: boolean;
  /** When set, a table that cannot be chosen is not an error: the reason is added here and no rows are read (model list). */
  skipped?: string[];
}

/** The rows read, the columns naming the run and the version, the metric (null when none is known), and where they came from. */
export interface RunRows {
  rows: Record<string, unknown>[];
  runColumn: string;
  versionColumn: string | undefined;
  metric: string | null;
  file: string;
  table: string;
  /** `file#table`, the file from the repo root when inside it. */
  location: string;
  chosenBy: TableChoiceReason;
  /** Why this table, in words. */
  why: string;
}

/**
 * The rows of the results table that ranks runs, or null when no results
 * file is given, configured or at the root, or when no table holds rows of
 * the runs asked (a UsageError or NotFoundError instead when a metric is
 * required, or when a version is asked).
 */
export async function readRunRows(repo: Repo, options: RunRowsOptions, needs: RunRowsNeeds): Promise<RunRows | null> {
  const flagMetric = options.metric;
  const metric = flagMetric ?? repo.config.metrics.primary;
  if (needs.metricRequired && !metric) {
    throw new UsageError('which metric ranks the runs?', { hint: 'pass --metric f1 (or set metrics.primary in .cairn/config.json)' });
  }
  const source = resolveResultsFile(repo, { cwd: options.cwd, ...(options.db !== undefined ? { db: options.db } : {}) });
  if (!source) {
    if (!needs.metricRequired && !needs.version) return null;
    throw new UsageError(needs.version ? `which results database holds the runs of ${needs.version[0]}?` : 'which results database ranks the runs?', {
      hint: 'pass --db FILE (or set results.db in .cairn/config.json, or keep it as results.db at the root)',
    });
  }
  const { file } = source;
  const rules = { versionColumns: repo.config.results.versionColumns, runColumns: repo.config.results.runColumns };
  // A metric named by flag, or one that ranking needs, must be in the table; metrics.primary alone only when it is.
  const tableNeeds: TableNeeds = {
    runs: needs.runs ?? [],
    ...(needs.version ? { version: needs.version } : {}),
    ...(metric && (flagMetric !== undefined || needs.metricRequired || needs.version) ? { metric } : {}),
  };
  const reader = await openResults(file);
  try {
    const decision = await chooseTable(file, await tablesOf(reader), {
      ...(options.table !== undefined ? { flag: options.table } : {}),
      ...(repo.config.results.table !== undefined ? { config: repo.config.results.table } : {}),
      needs: tableNeeds,
      rules,
      holdsRows: (t) => holdsRowsOf(reader, t, tableNeeds, rules),
    });
    // No table holds the runs asked: nothing to record about them, unless ranking or a version needs rows.
    if (decision.kind === 'noRows' && !needs.metricRequired && !needs.version) return null;
    if (decision.kind !== 'chosen') {
      const err = tableChoiceError(file, decision, tableNeeds, rules);
      if (!needs.skipped) throw err;
      needs.skipped.push(`${err.message}: no values shown (${err.hint})`);
      return null;
    }
    const { table, columns } = decision;
    const names = columns.map((c) => c.name);
    if (tableNeeds.metric !== undefined && !names.includes(tableNeeds.metric)) {
      throw new NotFoundError(`table ${JSON.stringify(table)} has no column ${JSON.stringify(tableNeeds.metric)}`, {
        hint: `columns: ${names.join(', ')}`,
      });
    }
    const runColumn = columnOf(columns, rules.runColumns);
    if (!runColumn) {
      throw new NotFoundError(`table ${JSON.stringify(table)} has no column naming the run (${rules.runColumns.join(', ')})`, {
        hint: 'log the run ID in a run_id column, or list the column in results.runColumns (.cairn/config.json)',
      });
    }
    return {
      rows: (await reader.rows(table)).rows,
      runColumn,
      versionColumn: columnOf(columns, rules.versionColumns),
      metric: metric && names.includes(metric) ? metric : null,
      file,
      table,
      location: resultsLocation(repo.root, file, table),
      chosenBy: decision.by,
      why: describeChoice(decision.by, tableNeeds),
    };
  } finally {
    reader.close();
  }
}
