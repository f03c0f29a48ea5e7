/**
 * Reading the results rows of one version from a SQLite or DuckDB database
 * (or a parquet file), read-only. Identifiers are quoted, values are bound.
 */
import { NotFoundError, UsageError } from '../errors.js';
import { openResults, quoteIdent, type Column, type ResultsKind } from '../results/database.js';

/** Options of {@link readVersionRows}: the version to match (and its other spellings), the table, and the columns that may hold the version. */
export interface VersionRowsOptions {
  /** The tag name the rows carry. */
  version: string;
  /** Other spellings of the same version that also match (e.g. `0.2.0` for `e0.2.0`). */
  aliases?: string[];
  /** The table; by default the one table that has a version column (`default` when several do). */
  table?: string;
  /** Columns that may hold the version, first present wins. */
  versionColumns: readonly string[];
}

/** The rows of one version that {@link readVersionRows} found: the file and its kind, the table and its columns, and the column the version was matched in. */
export interface VersionRows {
  file: string;
  kind: ResultsKind;
  table: string;
  versionColumn: string;
  columns: Column[];
  rows: Record<string, unknown>[];
}

/** xetrack's main table, preferred when several tables have a version column. */
const XETRACK_TABLE = 'default';

function versionColumnOf(columns: Column[], versionColumns: readonly string[]): string | undefined {
  return versionColumns.find((v) => columns.some((c) => c.name === v));
}

/** The rows of `options.version` in a results file, with the table's columns. */
export async function readVersionRows(file: string, options: VersionRowsOptions): Promise<VersionRows> {
  const reader = await openResults(file);
  try {
    let table = options.table;
    let columns: Column[];
    if (table !== undefined) {
      columns = await reader.columns(table);
    } else {
      const candidates: { table: string; columns: Column[] }[] = [];
      for (const t of await reader.tables()) {
        const cols = await reader.columns(t);
        if (versionColumnOf(cols, options.versionColumns)) candidates.push({ table: t, columns: cols });
      }
      if (candidates.length === 0) {
        throw new NotFoundError(`no table in ${file} has a version column (${options.versionColumns.join(' or ')})`, {
          hint: 'name the table with --table, or list the column that holds the version in results.versionColumns (.cairn/config.json)',
          data: { file },
        });
      }
      const chosen =
        candidates.length === 1 ? candidates[0]! : candidates.find((c) => c.table === XETRACK_TABLE);
      if (!chosen) {
        throw new UsageError(`several tables in ${file} have a version column: ${candidates.map((c) => c.table).join(', ')}`, {
          hint: 'choose one with --table (or results.table in .cairn/config.json)',
        });
      }
      ({ table, columns } = chosen);
    }
    const versionColumn = versionColumnOf(columns, options.versionColumns);
    if (!versionColumn) {
      throw new NotFoundError(
        `table ${JSON.stringify(table)} in ${file} has no version column (looked for ${options.versionColumns.join(', ')})`,
        {
          hint: `its columns are ${columns.map((c) => c.name).join(', ') || '(none)'}; list the one that holds the version in results.versionColumns (.cairn/config.json)`,
          data: { file, table },
        },
      );
    }
    const values = [options.version, ...(options.aliases ?? [])];
    const { rows } = await reader.rows(table, {
      // CAST: a version column of another type still compares as text, in both engines.
      sql: `CAST(${quoteIdent(versionColumn)} AS VARCHAR) IN (${values.map(() => '?').join(', ')})`,
      params: values,
    });
    return { file, kind: reader.kind, table, versionColumn, columns, rows };
  } finally {
    reader.close();
  }
}
