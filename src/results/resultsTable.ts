/**
 * Which results file, and which table of it, hold the rows a command needs.
 * One rule, shared by `tag`, `explore` and `model` (docs/COMMANDS.md, "Which results
 * table"):
 *
 * File: `--db` (from the working folder), else `results.db` from the config,
 * else `results.db` at the root when there is one. The config's and the
 * root's paths come from the repository, so they are confined to the work
 * tree (confinedFile).
 *
 * Table, first that applies:
 * 1. `--table`;
 * 2. the table the experiment's tag records (Cairn-Results), when reading the
 *    file it names (explore);
 * 3. `results.table` from the config;
 * 4. of the results tables (xetrack's asset tables `assets`, `keys` and
 *    `counts` are not), the one that has the columns the command needs: a
 *    version column when a version is asked, a run column when runs are, and
 *    the metric when one is named;
 * 5. of several such tables, the one holding rows of the version (or runs) asked;
 * 6. else a usage error naming the candidates (exit 2), or, when no table has
 *    those columns, a not-found error saying what is missing (exit 4).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CairnError, NotFoundError, UsageError } from '../errors.js';
import { escapes, toPosix, type Repo } from '../repo/repo.js';
import { assetRole } from './assetTables.js';
import { quoteIdent, type Column, type ResultsReader } from './database.js';
import { confinedFile } from '../trust/confine.js';

/** Where a results file came from: the --db flag, the config's results.db, or results.db found at the root. */
export type ResultsFileOrigin = 'flag' | 'config' | 'root';

/** The results file a command reads, and where its name came from. */
export interface ResultsFile {
  file: string;
  origin: ResultsFileOrigin;
}

/**
 * The results file: `db` (from `cwd`), else `results.db` from the config,
 * else `<root>/results.db` when it exists; undefined when there is none, or
 * when `db` is false (--no-db). The config's and the root's paths are
 * confined to the work tree.
 */
export function resolveResultsFile(repo: Repo, options: { cwd: string; db?: string | false }): ResultsFile | undefined {
  if (options.db === false) return undefined;
  if (options.db !== undefined) return { file: path.resolve(options.cwd, options.db), origin: 'flag' };
  if (repo.config.results.db !== undefined) {
    return { file: confinedFile(repo.root, repo.config.results.db, 'read the results database named by results.db in the config'), origin: 'config' };
  }
  if (fs.lstatSync(path.join(repo.root, 'results.db'), { throwIfNoEntry: false })) {
    return { file: confinedFile(repo.root, 'results.db', 'read results.db at the root'), origin: 'root' };
  }
  return undefined;
}

/** How a results file is named in output and in Cairn-Results: from the repo root when inside it (POSIX), else absolute. */
export function resultsFileName(root: string, file: string): string {
  const rel = path.relative(root, file);
  return escapes(rel) || path.isAbsolute(rel) ? file : toPosix(rel);
}

/** `results.db#predictions`: a table of a results file, as output shows it. */
export function resultsLocation(root: string, file: string, table: string): string {
  return `${resultsFileName(root, file)}#${table}`;
}

/** Why a table was chosen (see the module comment): shown beside it. */
export type TableChoiceReason = 'flag' | 'tag' | 'config' | 'only' | 'columns' | 'rows';

/** What a command needs of the table: the columns it reads and the rows it wants. */
export interface TableNeeds {
  /** A version, with its spellings ({@link versionSpellings}): the table needs a version column. */
  version?: string[];
  /** Runs: the table needs a run column. */
  runs?: string[];
  /** A metric column the table must have. */
  metric?: string;
}

/** The column names that hold versions and run ids (`results.versionColumns`, `results.runColumns`). */
export interface TableColumnRules {
  versionColumns: readonly string[];
  runColumns: readonly string[];
}

/** One table of a results file and its columns. */
export interface TableInfo {
  name: string;
  columns: Column[];
}

/** What {@link chooseTable} decided. */
export type TableDecision =
  | { kind: 'chosen'; table: string; by: TableChoiceReason; columns: Column[] }
  /** No results table has the needed columns; `tables` are the results tables there are. */
  | { kind: 'none'; tables: TableInfo[] }
  /** Several tables qualify (and, when a version or runs are asked, hold rows of them). */
  | { kind: 'ambiguous'; candidates: string[] }
  /** Several tables have the columns, and none holds rows of the version or runs asked. */
  | { kind: 'noRows'; candidates: string[] };

/** Options of {@link chooseTable}: the tables named by flag, tag and config, what the command needs, and how to ask whether a table holds the rows wanted. */
export interface ChooseTableOptions {
  /** --table. */
  flag?: string;
  /** The table the experiment's tag records, when reading the file it names. */
  recorded?: string;
  /** results.table from the config. */
  config?: string;
  needs: TableNeeds;
  rules: TableColumnRules;
  /** Whether a table (one with the needed columns) holds rows of the version or runs asked. */
  holdsRows: (table: TableInfo) => Promise<boolean> | boolean;
}

/** The first of `candidates` that is a column of the table. */
export function columnOf(columns: readonly Column[], candidates: readonly string[]): string | undefined {
  return candidates.find((c) => columns.some((col) => col.name === c));
}

/** Tables that hold results rows: every table but xetrack's asset tables. */
export function resultsTables(tables: readonly TableInfo[]): TableInfo[] {
  return tables.filter(
    (t) =>
      assetRole(
        t.name,
        t.columns.map((c) => c.name),
      ) === null,
  );
}

function hasNeeds(t: TableInfo, needs: TableNeeds, rules: TableColumnRules): boolean {
  if (needs.version && !columnOf(t.columns, rules.versionColumns)) return false;
  if (needs.runs && !columnOf(t.columns, rules.runColumns)) return false;
  if (needs.metric !== undefined && !t.columns.some((c) => c.name === needs.metric)) return false;
  return true;
}

/** The table a command reads, by the rule of the module comment. Throws NotFoundError for a --table or results.table that does not exist. */
export async function chooseTable(file: string, tables: readonly TableInfo[], options: ChooseTableOptions): Promise<TableDecision> {
  const named = (name: string, by: TableChoiceReason): TableDecision | undefined => {
    const t = tables.find((x) => x.name === name);
    if (t) return { kind: 'chosen', table: t.name, by, columns: t.columns };
    if (by === 'tag') return undefined; // the tag named a table this file lacks: choose as if it had not
    throw new NotFoundError(`no table ${JSON.stringify(name)} in ${file}`, {
      hint: `tables there: ${tables.map((x) => x.name).join(', ') || 'none'}; ${by === 'flag' ? 'name one of them with --table' : 'fix results.table in .cairn/config.json, or pass --table'}`,
      data: { table: name, tables: tables.map((x) => x.name) },
    });
  };
  if (options.flag !== undefined) return named(options.flag, 'flag')!;
  const fromTag = options.recorded !== undefined ? named(options.recorded, 'tag') : undefined;
  if (fromTag) return fromTag;
  if (options.config !== undefined) return named(options.config, 'config')!;

  const results = resultsTables(tables);
  const fit = results.filter((t) => hasNeeds(t, options.needs, options.rules));
  if (fit.length === 0) return { kind: 'none', tables: results };
  if (fit.length === 1) return { kind: 'chosen', table: fit[0]!.name, by: results.length === 1 ? 'only' : 'columns', columns: fit[0]!.columns };
  if (!options.needs.version?.length && !options.needs.runs?.length) return { kind: 'ambiguous', candidates: fit.map((t) => t.name) };
  const holding: TableInfo[] = [];
  for (const t of fit) if (await options.holdsRows(t)) holding.push(t);
  if (holding.length === 1) return { kind: 'chosen', table: holding[0]!.name, by: 'rows', columns: holding[0]!.columns };
  return holding.length === 0 ? { kind: 'noRows', candidates: fit.map((t) => t.name) } : { kind: 'ambiguous', candidates: holding.map((t) => t.name) };
}

/** Every table of an open results file with its columns. */
export async function tablesOf(reader: ResultsReader): Promise<TableInfo[]> {
  const out: TableInfo[] = [];
  for (const name of await reader.tables()) out.push({ name, columns: await reader.columns(name) });
  return out;
}

/** Whether `table` holds rows of the version or runs asked, by one query. */
export async function holdsRowsOf(reader: ResultsReader, table: TableInfo, needs: TableNeeds, rules: TableColumnRules): Promise<boolean> {
  const asks: [string | undefined, string[] | undefined][] = [
    [columnOf(table.columns, rules.versionColumns), needs.version],
    [columnOf(table.columns, rules.runColumns), needs.runs],
  ];
  for (const [column, values] of asks) {
    if (!column || !values || values.length === 0) continue;
    // CAST: a column of another type still compares as text, in both engines.
    const { rows } = await reader.rows(table.name, {
      sql: `CAST(${quoteIdent(column)} AS VARCHAR) IN (${values.map(() => '?').join(', ')})`,
      params: values,
    });
    if (rows.length > 0) return true;
  }
  return false;
}

/** What the needs are, in words: "a version column (version or experiment_version) and a column "f1"". */
export function describeNeeds(needs: TableNeeds, rules: TableColumnRules): string {
  const parts: string[] = [];
  if (needs.version) parts.push(`a version column (${rules.versionColumns.join(' or ')})`);
  if (needs.runs) parts.push(`a run column (${rules.runColumns.join(' or ')})`);
  if (needs.metric !== undefined) parts.push(`a column ${JSON.stringify(needs.metric)}`);
  return parts.join(' and ') || 'results rows';
}

/** Why a table was chosen, in words, for output: "the only table with rows of e0.2.0". */
export function describeChoice(by: TableChoiceReason, needs: TableNeeds): string {
  switch (by) {
    case 'flag':
      return '--table';
    case 'tag':
      return 'the table the tag records';
    case 'config':
      return 'results.table in the config';
    case 'only':
      return 'the only results table';
    case 'columns':
      return needs.metric !== undefined && !needs.version && !needs.runs
        ? `the only table with ${JSON.stringify(needs.metric)}`
        : 'the only table with the columns needed';
    case 'rows':
      return needs.version
        ? `the only table with rows of ${needs.version[0]}`
        : `the only table with rows of ${needs.runs!.length === 1 ? `run ${needs.runs![0]}` : 'these runs'}`;
  }
}

/** The error for a decision that chose no table (`none` or `ambiguous`). */
export function tableChoiceError(file: string, decision: Exclude<TableDecision, { kind: 'chosen' }>, needs: TableNeeds, rules: TableColumnRules): CairnError {
  if (decision.kind === 'none') {
    const shown = decision.tables.map((t) => `${t.name} (${t.columns.map((c) => c.name).join(', ')})`).join('; ');
    return new NotFoundError(`no table in ${file} has ${describeNeeds(needs, rules)}`, {
      hint: `${decision.tables.length ? `its tables: ${shown}` : 'it has no results table'}; name the table with --table, or list the column that holds the version in results.versionColumns (.cairn/config.json)`,
      data: { file, tables: decision.tables.map((t) => t.name) },
    });
  }
  const what = needs.version ? `rows of ${needs.version[0]}` : needs.runs ? `rows of ${needs.runs.length === 1 ? `run ${needs.runs[0]}` : 'these runs'}` : '';
  if (decision.kind === 'noRows') {
    return new NotFoundError(`no ${what} in ${file} (looked in ${decision.candidates.join(', ')})`, {
      hint: needs.version
        ? `record the run with its version column set to '${needs.version[0]}' first (e.g. VERSION=$(cairn next)), or tag without results with --no-db`
        : 'check the run IDs, or name the table with --table',
      data: { file, candidates: decision.candidates },
    });
  }
  return new UsageError(`several tables in ${file} ${what ? `hold ${what}` : `have ${describeNeeds(needs, rules)}`}: ${decision.candidates.join(', ')}`, {
    hint: `choose one with --table (e.g. --table ${decision.candidates[0]}), or set results.table in .cairn/config.json`,
    data: { file, candidates: decision.candidates },
  });
}
