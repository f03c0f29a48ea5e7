/**
 * Merging parquet files: each source in turn is combined with the current
 * rows by one DuckDB `COPY (... UNION ALL BY NAME ...)` into a new file
 * (the last one is the output's temp file). The same identity rules as for
 * databases apply, so re-running a merge adds no row, and the same rule for
 * NULLs (mergeSteps.ts): a NULL on either side is no conflict; a current
 * NULL against a source value is a fill, written into the rows copied.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { quoteIdent, sqlString } from './database.js';
import { plainType } from './columnTypes.js';
import { duckRows, openDuck } from './duckdb.js';
import { foldName, planMerge, sourceColumnOf, type DatabaseShape, type TableColumn, type TableStep } from './mergePlan.js';
import { emptySummary, MAX_CONFLICT_DETAILS, type TableSummary } from './mergeResult.js';
import { conflictDetails, conflictSelect, same, type EngineJob, type EngineOutcome } from './mergeSteps.js';

/** The one "table" of a parquet file. */
const TABLE = 'parquet';

export async function mergeParquet(job: EngineJob): Promise<EngineOutcome> {
  const target = job.target!;
  for (const src of job.sources) {
    if (src.kind !== 'parquet') {
      throw new UsageError(`${src.label} is a ${src.kind === 'sqlite' ? 'SQLite' : 'DuckDB'} database; a parquet target takes parquet sources`, {
        hint: 'merge databases into a SQLite or DuckDB target',
      });
    }
  }
  // The only files this SQL may touch: the inputs, the output (and DuckDB's
  // temp name for it) and the scratch folder of the intermediate steps.
  const handle = await openDuck(':memory:', {
    files: [target, ...job.sources.map((s) => s.file), job.file, `${job.file}.tmp`],
    folders: [job.scratch],
  });
  try {
    const all = (sql: string) => duckRows(handle.conn, sql);
    const shapeOf = async (file: string): Promise<DatabaseShape> => {
      const cols = await all(`DESCRIBE SELECT * FROM ${read(file)}`);
      return {
        engine: 'duckdb',
        tables: [{ name: TABLE, columns: cols.map((c) => ({ name: String(c.column_name), type: String(c.column_type), pk: 0 })) }],
      };
    };
    const countRows = async (file: string): Promise<number> => Number((await all(`SELECT count(*) AS n FROM ${read(file)}`))[0]!.n);

    const targetShape = await shapeOf(target);
    const sourceShapes = await Promise.all(job.sources.map(async (s) => ({ label: s.label, shape: await shapeOf(s.file) })));
    // A parquet file has one table: --table (and merge.tables) do not apply.
    const plan = planMerge(targetShape, sourceShapes, { ...job.settings, tables: undefined });
    const outcome: EngineOutcome = { plan, tables: [], conflicts: [], conflictsOmitted: 0 };
    const steps = plan.sources.map((sp) => sp.steps[0]!);

    if (plan.settings.strategy === 'rebase') {
      const keep: string[] = [];
      for (const [i, step] of steps.entries()) {
        const summary = emptySummary(step, job.sources[i]!.label);
        const current = columnsOf(targetShape);
        const S = read(job.sources[i]!.file);
        const match = matchOn(step.key, step, current, sourceShapes[i]!.shape);
        const notEarlier = keep.length ? ` AND ${keep.join(' AND ')}` : '';
        summary.deleted = Number(
          (await all(`SELECT count(*) AS n FROM ${read(target)} AS m WHERE EXISTS (SELECT 1 FROM ${S} AS s WHERE ${match})${notEarlier}`))[0]!.n,
        );
        summary.sourceRows = summary.added = await countRows(job.sources[i]!.file);
        keep.push(`NOT EXISTS (SELECT 1 FROM ${S} AS s WHERE ${match})`);
        outcome.tables.push(summary);
      }
      const union = job.sources.map((s) => ` UNION ALL BY NAME SELECT * FROM ${read(s.file)}`).join('');
      await handle.conn.run(`COPY (SELECT * FROM ${read(target)} AS m WHERE ${keep.join(' AND ')}${union}) TO ${sqlString(job.file)} (FORMAT parquet)`);
      return outcome;
    }

    let current = target;
    let currentShape = targetShape;
    for (const [i, step] of steps.entries()) {
      const src = job.sources[i]!;
      const summary: TableSummary = emptySummary(step, src.label);
      const next = i === steps.length - 1 ? job.file : path.join(job.scratch, `step-${i}.parquet`);
      const T = read(current);
      const S = read(src.file);
      const cols = columnsOf(currentShape);
      const srcShape = sourceShapes[i]!.shape;
      const match = matchOn(step.identity, step, cols, srcShape);
      const differs = differsOn(step, cols, srcShape);

      summary.sourceRows = await countRows(src.file);
      const before = await countRows(current);
      const copy = (rows: string) => handle.conn.run(`COPY (${rows}) TO ${sqlString(next)} (FORMAT parquet)`);
      const fresh = `SELECT * FROM ${S} AS s WHERE NOT EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match})`;
      // Fills are judged against the current rows as they are before this source.
      const filling = differs ? fillingRows(step, cols, srcShape, T, S) : null;
      summary.filled = filling ? Number((await all(`SELECT count(*) AS n FROM ${filling} AS f`))[0]!.n) : 0;
      let currentRows = `SELECT * FROM ${T}`;
      if (filling && summary.filled > 0) {
        // The filling rows once, to a scratch file: read twice below, they are not worked out twice.
        const fillsFile = path.join(job.scratch, `step-${i}-fills.parquet`);
        await handle.conn.run(`COPY ${filling} TO ${sqlString(fillsFile)} (FORMAT parquet)`);
        currentRows = filledRows(step, cols, srcShape, current, read(fillsFile));
      }
      // With --on-conflict fail (the default), one pass: the copy itself
      // stops at the first conflict; only then are conflicts counted.
      const written =
        differs !== null && plan.settings.onConflict === 'fail' && (await copyUnlessConflict(copy, currentRows, step, cols, T, S, match, differs));
      if (!written) {
        if (differs) {
          summary.conflicts = await countConflicts(all, src.file, srcShape, T, match, differs);
          if (summary.conflicts > 0) await describe(all, step, src.label, S, T, cols, match, differs, summary.conflicts, outcome);
        }
        if (differs && summary.conflicts > 0 && plan.settings.onConflict === 'replace') {
          // As for databases: fill first, then the rows still differing take the source's non-NULL values.
          let [filledFile, fCols] = [current, cols];
          if (summary.filled > 0) {
            filledFile = path.join(job.scratch, `step-${i}-filled.parquet`);
            await handle.conn.run(`COPY (${currentRows}) TO ${sqlString(filledFile)} (FORMAT parquet)`);
            fCols = columnsOf(await shapeOf(filledFile));
          }
          const F = read(filledFile);
          const conflicting = `${matchOn(step.identity, step, fCols, srcShape)} AND ${differsOn(step, fCols, srcShape)}`;
          summary.replaced = Number((await all(`SELECT count(*) AS n FROM ${F} AS m WHERE EXISTS (SELECT 1 FROM ${S} AS s WHERE ${conflicting})`))[0]!.n);
          await copy(`SELECT * FROM (${replacing(step, fCols, srcShape, filledFile, S)}) UNION ALL BY NAME ${fresh}`);
        } else {
          await copy(`SELECT * FROM (${currentRows}) UNION ALL BY NAME ${fresh}`);
        }
      }
      summary.added = (await countRows(next)) - before;
      summary.duplicates = summary.sourceRows - summary.added - summary.conflicts - summary.filled;
      outcome.tables.push(summary);
      current = next;
      currentShape = await shapeOf(next);
    }
    return outcome;
  } finally {
    handle.close();
  }
}

/** What error() raises inside a copy that meets a conflict. */
const CONFLICT_MARK = 'cairn: conflicting row';

/**
 * Copy the current rows (`currentRows`: with any fills applied) and the
 * source's new ones in one pass, raising an
 * error at the first conflicting row. True when the copy was written (no
 * conflict), false when a conflict stopped it.
 */
async function copyUnlessConflict(
  copy: (rows: string) => Promise<unknown>,
  currentRows: string,
  step: TableStep,
  current: readonly TableColumn[],
  T: string,
  S: string,
  match: string,
  differs: string,
): Promise<boolean> {
  const hit = quoteIdent(uniqueName('cairn_hit', [...current.map((c) => c.name), ...step.sourceColumns]));
  const fresh =
    `SELECT s.* FROM ${S} AS s LEFT JOIN (SELECT *, true AS ${hit} FROM ${T}) AS m ON ${match} ` +
    `WHERE CASE WHEN m.${hit} IS NULL THEN true WHEN ${differs} THEN error(${sqlString(CONFLICT_MARK)}) ELSE false END`;
  try {
    await copy(`SELECT * FROM (${currentRows}) UNION ALL BY NAME ${fresh}`);
    return true;
  } catch (err) {
    if (err instanceof Error && err.message.includes(CONFLICT_MARK)) return false;
    throw err;
  }
}

/**
 * Source rows some current row matches by identity with other values. A
 * join counting distinct source row numbers is several times faster in
 * DuckDB than the same test written as a correlated EXISTS.
 */
async function countConflicts(
  all: (sql: string) => Promise<Record<string, unknown>[]>,
  file: string,
  shape: DatabaseShape,
  T: string,
  match: string,
  differs: string,
): Promise<number> {
  const rowNumber = 'file_row_number';
  const sql = columnsOf(shape).some((c) => foldName(c.name) === rowNumber)
    ? `SELECT count(*) AS n FROM ${read(file)} AS s WHERE EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND ${differs})`
    : `SELECT count(DISTINCT s.${rowNumber}) AS n FROM read_parquet(${sqlString(file)}, file_row_number = true) AS s JOIN ${T} AS m ON ${match} WHERE ${differs}`;
  return Number((await all(sql))[0]!.n);
}

function read(file: string): string {
  return `read_parquet(${sqlString(file)})`;
}

function columnsOf(shape: DatabaseShape): TableColumn[] {
  return shape.tables[0]!.columns;
}

/**
 * A column of the current rows (alias `target`) beside the source's (alias
 * `alias`): a column the current file lacks is NULL there, and a source
 * column of another type is cast to the current one's.
 */
function columnPair(column: string, step: TableStep, current: readonly TableColumn[], source: DatabaseShape, alias: string, target: string): [string, string] {
  const have = current.find((t) => foldName(t.name) === foldName(column));
  const from = columnsOf(source).find((t) => foldName(t.name) === foldName(sourceColumnOf(step, column)));
  let s = `${alias}.${quoteIdent(sourceColumnOf(step, column))}`;
  const type = have && from && have.type !== from.type ? plainType('duckdb', have.type) : null;
  if (type) s = `CAST(${s} AS ${type})`;
  return [have ? `${target}.${quoteIdent(have.name)}` : 'NULL', s];
}

/** Null-safe equality on `columns` between the current rows (m) and the source (s). */
function matchOn(columns: readonly string[], step: TableStep, current: readonly TableColumn[], source: DatabaseShape, alias = 's', target = 'm'): string {
  if (columns.length === 0) return '1=1';
  return columns
    .map((c) => {
      const [t, s] = columnPair(c, step, current, source, alias, target);
      return same('duckdb', t, s);
    })
    .join(' AND ');
}

/**
 * A conflict, as for databases (mergeSteps.ts): some compared column holds a
 * value on both sides, and the values differ. A NULL on either side is not a
 * conflict. Null when no column is compared.
 */
function differsOn(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, alias = 's', target = 'm'): string | null {
  if (step.compare.length === 0) return null;
  const one = (c: string): string => {
    const [t, s] = columnPair(c, step, current, source, alias, target);
    return `(${t} IS NOT NULL AND ${s} IS NOT NULL AND NOT (${same('duckdb', t, s)}))`;
  };
  return `(${step.compare.map(one).join(' OR ')})`;
}

/** A fill: some compared column is NULL in the current rows and holds a value in the source. */
function fillsOn(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, alias = 's', target = 'm'): string {
  const one = (c: string): string => {
    const [t, s] = columnPair(c, step, current, source, alias, target);
    return `(${t} IS NULL AND ${s} IS NOT NULL)`;
  };
  return `(${step.compare.map(one).join(' OR ')})`;
}

/**
 * The source rows that fill, as a relation: same identity as a current row,
 * other values equal or NULL on one side, at least one current NULL against
 * a value. A source row in conflict with any current row fills nothing.
 */
function fillingRows(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, T: string, S: string): string {
  const match = matchOn(step.identity, step, current, source);
  const differs = differsOn(step, current, source)!;
  const fills = fillsOn(step, current, source);
  return (
    `(SELECT * FROM ${S} AS s WHERE EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND NOT ${differs} AND ${fills}) ` +
    `AND NOT EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND ${differs}))`
  );
}

/**
 * The current rows (the parquet file `file`), each patched from at most one
 * source row of `candidates` (alias f) meeting `condition` (current rows
 * aliased m): compared columns take `value(current, source)`, columns the
 * current file lacks take the source's. Rows with a candidate (an inner
 * join) and rows without (an anti-join) are read apart: DuckDB plans an
 * outer join on this condition as a nested loop. Among several candidates
 * for one row, the least by their compared values wins (not the order of
 * files). Row order is not kept (nor is it by the plain copy).
 */
function patchedRows(
  step: TableStep,
  current: readonly TableColumn[],
  source: DatabaseShape,
  file: string,
  candidates: string,
  condition: string,
  value: (current: string, source: string) => string,
): string {
  const taken = [...current.map((c) => c.name), ...step.sourceColumns];
  const ord = quoteIdent(uniqueName('cairn_ord', taken));
  // A number per current row, to pick one candidate for each: the file's own row numbers; a file with a column of that name is numbered here.
  const rowNumber = 'file_row_number';
  const M = current.some((c) => foldName(c.name) === rowNumber)
    ? `(SELECT *, row_number() OVER () AS ${ord} FROM ${read(file)})`
    : `(SELECT * EXCLUDE (${rowNumber}), ${rowNumber} AS ${ord} FROM read_parquet(${sqlString(file)}, file_row_number = true))`;
  const compared = new Set(step.compare.map(foldName));
  const select = current.map((c) => {
    if (!compared.has(foldName(c.name))) return `m.${quoteIdent(c.name)}`;
    const column = step.compare.find((x) => foldName(x) === foldName(c.name))!;
    const [t, s] = columnPair(column, step, current, source, 'f', 'm');
    return `${value(t, s)} AS ${quoteIdent(c.name)}`;
  });
  for (const c of step.sourceColumns) {
    if (!current.some((t) => foldName(t.name) === foldName(c))) select.push(`f.${quoteIdent(c)} AS ${quoteIdent(c)}`);
  }
  const order = step.compare.map((c) => `f.${quoteIdent(sourceColumnOf(step, c))} NULLS LAST`).join(', ');
  const patched =
    `SELECT ${select.join(', ')}, m.${ord} AS ${ord} FROM ${M} AS m JOIN ${candidates} AS f ON ${condition} ` +
    `QUALIFY row_number() OVER (PARTITION BY m.${ord}${order ? ` ORDER BY ${order}` : ''}) = 1`;
  const rest = `SELECT m.* FROM ${M} AS m WHERE NOT EXISTS (SELECT 1 FROM ${candidates} AS f WHERE ${condition})`;
  return `SELECT * EXCLUDE (${ord}) FROM (${patched} UNION ALL BY NAME ${rest})`;
}

/** The current rows with their NULLs filled from the filling source rows. */
function filledRows(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, file: string, filling: string): string {
  const condition = `${matchOn(step.identity, step, current, source, 'f')} AND NOT ${differsOn(step, current, source, 'f')} AND ${fillsOn(step, current, source, 'f')}`;
  return patchedRows(step, current, source, file, filling, condition, (t, s) => `COALESCE(${t}, ${s})`);
}

/**
 * Current rows, each conflicting one with the source's non-NULL values (a
 * NULL in the source keeps the current value), as `UPDATE ... SET c =
 * COALESCE(s.c, m.c)` does for databases.
 */
function replacing(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, file: string, S: string): string {
  const condition = `${matchOn(step.identity, step, current, source, 'f')} AND ${differsOn(step, current, source, 'f')}`;
  return patchedRows(step, current, source, file, S, condition, (t, s) => `COALESCE(${s}, ${t})`);
}

function uniqueName(base: string, taken: readonly string[]): string {
  const folded = new Set(taken.map(foldName));
  let name = base;
  while (folded.has(foldName(name))) name += '_';
  return name;
}

async function describe(
  all: (sql: string) => Promise<Record<string, unknown>[]>,
  step: TableStep,
  label: string,
  S: string,
  T: string,
  current: readonly TableColumn[],
  match: string,
  differs: string,
  conflicts: number,
  outcome: EngineOutcome,
): Promise<void> {
  const room = Math.max(0, MAX_CONFLICT_DETAILS - outcome.conflicts.length);
  outcome.conflictsOmitted += Math.max(0, conflicts - room);
  if (room === 0) return;
  const select = conflictSelect(step, (c) => {
    const have = current.find((t) => foldName(t.name) === foldName(c));
    return have ? `m.${quoteIdent(have.name)}` : 'NULL';
  });
  const rows = await all(`SELECT ${select} FROM ${S} AS s JOIN ${T} AS m ON ${match} WHERE ${differs} LIMIT ${Math.min(room, conflicts)}`);
  outcome.conflicts.push(...conflictDetails(step, label, rows));
}
