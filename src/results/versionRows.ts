/**
 * Reading the results rows of one version from a SQLite or DuckDB database
 * (or a parquet file), read-only. Identifiers are quoted, values are bound.
 */
import { NotFoundError } from '../errors.js';
import { openResults, quoteIdent, type Column, type ResultsKind } from './database.js';
import { DEFAULT_RUN_COLUMNS } from '../config/columns.js';
import { chooseTable, columnOf, holdsRowsOf, resultsTables, tableChoiceError, tablesOf, type TableChoiceReason, type TableNeeds } from './resultsTable.js';

/** Options of {@link readVersionRows}: the version to match (and its other spellings), the table, and the columns that may hold the version. */
export interface VersionRowsOptions {
  /** The tag name the rows carry. */
  version: string;
  /** Other spellings of the same version that also match (e.g. `0.2.0` for `e0.2.0`). */
  aliases?: string[];
  /** The table (--table); else `configTable`; else chosen by the rule of resultsTable.ts. */
  table?: string;
  /** `results.table` from the config. */
  configTable?: string;
  /** The metric that will pick the best row: a table without it is not a candidate. */
  metric?: string;
  /** Columns that may hold the version, first present wins. */
  versionColumns: readonly string[];
  /** Columns that may hold the run id (default `run_id`, `run`, `track_id`). */
  runColumns?: readonly string[];
}

/** The rows of one version that {@link readVersionRows} found: the file and its kind, the table (and why it was chosen) and its columns, and the column the version was matched in. */
export interface VersionRows {
  file: string;
  kind: ResultsKind;
  table: string;
  /** Why this table: see resultsTable.ts. */
  chosenBy: TableChoiceReason;
  versionColumn: string;
  columns: Column[];
  rows: Record<string, unknown>[];
  /** When a table named by --table or results.table has no rows of the version: the other tables that do. */
  elsewhere?: string[];
}

/** The rows of `options.version` in a results file, with the table's columns. */
export async function readVersionRows(file: string, options: VersionRowsOptions): Promise<VersionRows> {
  const reader = await openResults(file);
  try {
    const values = [options.version, ...(options.aliases ?? [])];
    const rules = { versionColumns: options.versionColumns, runColumns: options.runColumns ?? DEFAULT_RUN_COLUMNS };
    const needs: TableNeeds = { version: values, ...(options.metric !== undefined ? { metric: options.metric } : {}) };
    const decision = await chooseTable(file, await tablesOf(reader), {
      ...(options.table !== undefined ? { flag: options.table } : {}),
      ...(options.configTable !== undefined ? { config: options.configTable } : {}),
      needs,
      rules,
      holdsRows: (t) => holdsRowsOf(reader, t, needs, rules),
    });
    if (decision.kind !== 'chosen') throw tableChoiceError(file, decision, needs, rules);
    const { table, columns } = decision;
    const versionColumn = columnOf(columns, options.versionColumns);
    if (!versionColumn) {
      throw new NotFoundError(`table ${JSON.stringify(table)} in ${file} has no version column (looked for ${options.versionColumns.join(', ')})`, {
        hint: `its columns are ${columns.map((c) => c.name).join(', ') || '(none)'}; list the one that holds the version in results.versionColumns (.cairn/config.json)`,
        data: { file, table },
      });
    }
    const { rows } = await reader.rows(table, {
      // CAST: a version column of another type still compares as text, in both engines.
      sql: `CAST(${quoteIdent(versionColumn)} AS VARCHAR) IN (${values.map(() => '?').join(', ')})`,
      params: values,
    });
    const found: VersionRows = { file, kind: reader.kind, table, chosenBy: decision.by, versionColumn, columns, rows };
    if (rows.length === 0) {
      // Named, and empty: say where the version's rows are, if another table has them.
      const others = resultsTables(await tablesOf(reader)).filter((t) => t.name !== table && columnOf(t.columns, options.versionColumns));
      const elsewhere: string[] = [];
      for (const t of others) if (await holdsRowsOf(reader, t, needs, rules)) elsewhere.push(t.name);
      if (elsewhere.length) found.elsewhere = elsewhere;
    }
    return found;
  } finally {
    reader.close();
  }
}
