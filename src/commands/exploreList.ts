/**
 * `cairn explore list`: experiments in version order (or best first by a
 * metric), from their tags, each joined with its results rows when a results
 * database is known. Everything is read from git and the results file; the
 * workspace is never touched. (`explore show`, `diff`, `lineage`: the other
 * explore*.ts here; what they share is in src/experiments/.)
 */
import path from 'node:path';
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { listExperiments } from '../experiments/list.js';
import { bestShownRow, shownRow, type ListedExperiment } from '../experiments/shownRow.js';
import { looksLikeLoss, metricValue, type ColumnRules } from '../results/row.js';
import { chooseTable, columnOf, describeNeeds, resolveResultsFile, resultsFileName, resultsTables, tablesOf, type TableInfo } from '../results/resultsTable.js';
import { openResults, quoteIdent, type ResultsReader } from '../results/database.js';
import { confinedFile } from '../trust/confine.js';
import { versionSpellings } from '../versions/version.js';

export type { JoinedRows, ListedExperiment, ShownRow } from '../experiments/shownRow.js';

function columnRules(repo: Repo): ColumnRules {
  return {
    versionColumns: repo.config.results.versionColumns,
    runColumns: repo.config.results.runColumns,
    bookkeepingColumns: repo.config.results.bookkeepingColumns,
    ...(repo.config.metrics.names ? { metricNames: repo.config.metrics.names } : {}),
  };
}

/** What {@link exploreList} returns: the experiments, the metric they were ranked by, and what the user should know (tables not joined, a loss ranked highest first). */
export interface ExploreListing {
  experiments: ListedExperiment[];
  sort?: { metric: string; minimize: boolean };
  notes: string[];
}

/** Options of {@link exploreList}: which results database and table to join (relative to `cwd`), and how to sort and cut the list. */
export interface ExploreListOptions {
  cwd: string;
  /** Results file to join (default: the one each tag records in Cairn-Results, else results.db from the config or the root). */
  db?: string;
  table?: string;
  /** Sort by this metric (best first; ascending with `minimize`). */
  sort?: string;
  minimize?: boolean;
  /** At most this many (a whole number, at least 1). */
  limit?: number;
}

/** One results file being joined: its tables, and the rows of each table read once, grouped by version. */
interface OpenFile {
  name: string;
  tables: TableInfo[];
  read: Map<string, Map<string, Record<string, unknown>[]>>;
  reader: ResultsReader;
}

/** The rows of `table` grouped by the text of its version column (read once). */
async function versionGroups(f: OpenFile, table: TableInfo, versionColumn: string): Promise<Map<string, Record<string, unknown>[]>> {
  let groups = f.read.get(table.name);
  if (groups) return groups;
  groups = new Map();
  const { rows } = await f.reader.rows(table.name, { sql: `${quoteIdent(versionColumn)} IS NOT NULL`, params: [] });
  for (const row of rows) {
    const key = String(row[versionColumn]);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(row);
  }
  f.read.set(table.name, groups);
  return groups;
}

function rowsOf(groups: Map<string, Record<string, unknown>[]>, spellings: string[]): Record<string, unknown>[] {
  return spellings.flatMap((v) => groups.get(v) ?? []);
}

/** The Cairn-Results of a tag, split: `path#table` (the table is after the last `#`). */
function splitRecorded(recorded: string): { file: string; table: string } {
  const at = recorded.lastIndexOf('#');
  return at === -1 ? { file: recorded, table: '' } : { file: recorded.slice(0, at), table: recorded.slice(at + 1) };
}

function sortValue(e: ListedExperiment, metric: string): number | null {
  const row = shownRow(e);
  return metricValue(row.metrics[metric] ?? row.params[metric] ?? null);
}

/**
 * The `limit` most recently tagged experiments, in the listing's order: what
 * `--limit N` means without `--sort`, as `git log -n N` shows the newest N.
 * Tags made in the same second keep their order in the listing.
 */
function newest<E extends { date: string }>(experiments: E[], limit: number): E[] {
  const at = (e: E): number => Date.parse(e.date) || 0;
  const chosen = new Set(
    experiments
      .map((e, i) => ({ e, i }))
      .sort((a, b) => at(b.e) - at(a.e) || b.i - a.i)
      .slice(0, limit)
      .map((x) => x.e),
  );
  return experiments.filter((e) => chosen.has(e));
}

/**
 * Experiments in version order (or best first by a metric), each joined with
 * its results rows when a database is known: the one given, else the file
 * its tag records (Cairn-Results), else results.db from the config or the
 * root. The table is chosen per experiment by the rule of
 * results/resultsTable.ts. Every experiment is shown with one real row:
 * its best results row, else the row its tag recorded. Throws UsageError for
 * a bad `limit` or a `sort` that names no column or metric there is.
 */
export async function exploreList(repo: Repo, options: ExploreListOptions): Promise<ExploreListing> {
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
    throw new UsageError(`--limit must be a whole number of at least 1, not ${JSON.stringify(String(options.limit))}`, { hint: 'e.g. --limit 5' });
  }
  const { config, root } = repo;
  const experiments: ListedExperiment[] = await listExperiments(root);
  const notes = new Set<string>();
  const metric = options.sort ?? config.metrics.primary;
  const minimize = options.minimize ?? (options.sort === undefined || options.sort === config.metrics.primary ? config.metrics.minimize : false);
  if (options.sort !== undefined && !minimize && looksLikeLoss(options.sort)) {
    notes.add(`ranked by the HIGHEST ${options.sort} first; pass --minimize if lower is better`);
  }
  const rules = columnRules(repo);
  const tableRules = { versionColumns: config.results.versionColumns, runColumns: config.results.runColumns };
  const given = options.db !== undefined ? resolveResultsFile(repo, { cwd: options.cwd, db: options.db }) : undefined;
  let fallback: ReturnType<typeof resolveResultsFile> | null = null;
  const files = new Map<string, OpenFile>();
  const known = new Set<string>();
  try {
    for (const e of experiments) {
      for (const k of [...Object.keys(e.metrics), ...Object.keys(e.params)]) known.add(k);
      const recorded = e.results ? splitRecorded(e.results) : undefined;
      let file: string | undefined;
      let recordedTable: string | undefined;
      if (given) {
        file = given.file;
        if (recorded && recorded.file === resultsFileName(root, given.file)) recordedTable = recorded.table;
      } else if (recorded) {
        // The path a tag records (Cairn-Results) is untrusted: confined to the work tree, a regular file.
        if (!fs.lstatSync(path.join(root, recorded.file), { throwIfNoEntry: false })) {
          notes.add(`${recorded.file}, where ${e.tag} found its results, is not in the workspace: ${e.tag} is shown as its tag records it`);
          continue;
        }
        file = confinedFile(root, recorded.file, `read ${recorded.file}, the results database a tag names`);
        recordedTable = recorded.table;
      } else {
        if (fallback === null) fallback = resolveResultsFile(repo, { cwd: options.cwd });
        file = fallback?.file;
        // A default that names no file yet (results.db set before any run) is not an error for a listing.
        if (file !== undefined && !fs.existsSync(file)) {
          notes.add(`${resultsFileName(root, file)} (results.db in the config) does not exist: experiments are shown as their tags record them`);
          continue;
        }
      }
      if (file === undefined) continue;
      let f = files.get(file);
      if (!f) {
        const reader = await openResults(file);
        f = { name: resultsFileName(root, file), tables: [], read: new Map(), reader };
        files.set(file, f);
        f.tables = await tablesOf(reader);
        for (const t of resultsTables(f.tables)) for (const c of t.columns) known.add(c.name);
      }
      const open = f;
      const spellings = versionSpellings(e.tag, config.versions.prefix);
      const needs = { version: spellings, ...(options.sort !== undefined ? { metric: options.sort } : {}) };
      const decision = await chooseTable(f.name, f.tables, {
        ...(options.table !== undefined ? { flag: options.table } : {}),
        ...(recordedTable ? { recorded: recordedTable } : {}),
        ...(config.results.table !== undefined ? { config: config.results.table } : {}),
        needs,
        rules: tableRules,
        holdsRows: async (t) => rowsOf(await versionGroups(open, t, columnOf(t.columns, tableRules.versionColumns)!), spellings).length > 0,
      });
      if (decision.kind === 'none') {
        const shown = decision.tables.map((t) => `${t.name} (${t.columns.map((c) => c.name).join(', ')})`).join('; ');
        notes.add(
          `could not join ${f.name}: no table has ${describeNeeds(needs, tableRules)}${shown ? ` (tables: ${shown})` : ''}; experiments are shown as their tags record them`,
        );
        continue;
      }
      if (decision.kind === 'ambiguous') {
        notes.add(`${e.tag}: several tables of ${f.name} hold its rows (${decision.candidates.join(', ')}): choose one with --table`);
        continue;
      }
      if (decision.kind === 'noRows') continue;
      const location = `${f.name}#${decision.table}`;
      const versionColumn = columnOf(decision.columns, tableRules.versionColumns);
      if (!versionColumn) {
        notes.add(
          `could not join ${location} on ${tableRules.versionColumns.join(' or ')}: it has no such column (its columns: ${decision.columns.map((c) => c.name).join(', ')}); experiments are shown as their tags record them`,
        );
        continue;
      }
      const rows = rowsOf(await versionGroups(f, { name: decision.table, columns: decision.columns }, versionColumn), spellings);
      const names = decision.columns.map((c) => c.name);
      const picking = metric !== undefined && names.includes(metric) ? metric : undefined;
      const best = bestShownRow(rows, names, { ...(picking !== undefined ? { metric: picking } : {}), minimize, rules });
      if (best === null && rows.length > 1 && picking === undefined) {
        notes.add(
          `no metric picks the best of several rows${metric !== undefined ? ` (${location} has no column ${JSON.stringify(metric)})` : ''}: pass --sort METRIC or set metrics.primary; those experiments are shown as their tags record them`,
        );
      }
      e.resultsRows = { results: location, table: decision.table, chosenBy: decision.by, versionColumn, rows: rows.length, best };
    }
  } finally {
    for (const f of files.values()) f.reader.close();
  }
  if (options.sort !== undefined && experiments.length > 0 && !known.has(options.sort)) {
    throw new UsageError(`nothing to sort by: no column or recorded metric is named ${JSON.stringify(options.sort)}`, {
      hint: `there are: ${[...known].sort().join(', ') || '(none)'}`,
      data: { sort: options.sort, known: [...known].sort() },
    });
  }
  let out = experiments;
  if (options.sort !== undefined) {
    const m = options.sort;
    const dir = minimize ? 1 : -1;
    out = [...experiments].sort((a, b) => {
      const x = sortValue(a, m);
      const y = sortValue(b, m);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (x - y) * dir;
    });
  }
  return {
    experiments: options.limit === undefined ? out : options.sort !== undefined ? out.slice(0, options.limit) : newest(out, options.limit),
    ...(options.sort !== undefined ? { sort: { metric: options.sort, minimize } } : {}),
    notes: [...notes],
  };
}
