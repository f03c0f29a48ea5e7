/**
 * Merging parquet files: each source in turn is combined with the current
 * rows by one DuckDB `COPY (... UNION ALL BY NAME ...)` into a new file
 * (the last one is the output's temp file). The same identity rules as for
 * databases apply, so re-running a merge adds no row.
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
        summary.deleted = Number((await all(`SELECT count(*) AS n FROM ${read(target)} AS m WHERE EXISTS (SELECT 1 FROM ${S} AS s WHERE ${match})${notEarlier}`))[0]!.n);
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
      const match = matchOn(step.identity, step, cols, sourceShapes[i]!.shape);
      const differs = step.compare.length ? `NOT (${matchOn(step.compare, step, cols, sourceShapes[i]!.shape)})` : null;

      summary.sourceRows = await countRows(src.file);
      const before = await countRows(current);
      const copy = (rows: string) => handle.conn.run(`COPY (${rows}) TO ${sqlString(next)} (FORMAT parquet)`);
      const fresh = `SELECT * FROM ${S} AS s WHERE NOT EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match})`;
      // With --on-conflict fail (the default), one pass: the copy itself
      // stops at the first conflict; only then are conflicts counted.
      const written = differs !== null && plan.settings.onConflict === 'fail' && (await copyUnlessConflict(copy, step, cols, T, S, match, differs));
      if (!written) {
        if (differs) {
          summary.conflicts = await countConflicts(all, src.file, sourceShapes[i]!.shape, T, match, differs);
          if (summary.conflicts > 0) await describe(all, step, src.label, S, T, cols, match, differs, summary.conflicts, outcome);
        }
        if (differs && summary.conflicts > 0 && plan.settings.onConflict === 'replace') {
          summary.replaced = Number((await all(`SELECT count(*) AS n FROM ${T} AS m WHERE EXISTS (SELECT 1 FROM ${S} AS s WHERE ${match} AND ${differs})`))[0]!.n);
          await copy(`${replacing(step, cols, sourceShapes[i]!.shape, T, S, match, differs)} UNION ALL BY NAME ${fresh}`);
        } else {
          await copy(`SELECT * FROM ${T} UNION ALL BY NAME ${fresh}`);
        }
      }
      summary.added = (await countRows(next)) - before;
      summary.duplicates = summary.sourceRows - summary.added - summary.conflicts;
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
 * Copy the current rows and the source's new ones in one pass, raising an
 * error at the first conflicting row. True when the copy was written (no
 * conflict), false when a conflict stopped it.
 */
async function copyUnlessConflict(
  copy: (rows: string) => Promise<unknown>,
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
    await copy(`SELECT * FROM ${T} UNION ALL BY NAME ${fresh}`);
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
 * Null-safe equality on `columns` between the current rows (m) and the
 * source (s); a column the current file lacks is NULL there, and a source
 * column of another type is cast to the current one's.
 */
function matchOn(columns: readonly string[], step: TableStep, current: readonly TableColumn[], source: DatabaseShape, alias = 's'): string {
  if (columns.length === 0) return '1=1';
  return columns
    .map((c) => {
      const have = current.find((t) => foldName(t.name) === foldName(c));
      const from = columnsOf(source).find((t) => foldName(t.name) === foldName(sourceColumnOf(step, c)));
      let s = `${alias}.${quoteIdent(sourceColumnOf(step, c))}`;
      const type = have && from && have.type !== from.type ? plainType('duckdb', have.type) : null;
      if (type) s = `CAST(${s} AS ${type})`;
      return same('duckdb', have ? `m.${quoteIdent(have.name)}` : 'NULL', s);
    })
    .join(' AND ');
}

/** Current rows, with the source's values in the rows it conflicts with (one source row per identity). */
function replacing(step: TableStep, current: readonly TableColumn[], source: DatabaseShape, T: string, S: string, match: string, differs: string): string {
  const hit = uniqueName('cairn_hit', [...current.map((c) => c.name), ...step.sourceColumns]);
  const rMatch = matchOn(step.identity, step, current, source, 'r');
  const compared = new Set(step.compare.map(foldName));
  const select = current.map((c) =>
    compared.has(foldName(c.name))
      ? `CASE WHEN r.${quoteIdent(hit)} THEN r.${quoteIdent(sourceColumnOf(step, step.compare.find((x) => foldName(x) === foldName(c.name))!))} ELSE m.${quoteIdent(c.name)} END AS ${quoteIdent(c.name)}`
      : `m.${quoteIdent(c.name)}`,
  );
  for (const c of step.sourceColumns) {
    if (!current.some((t) => foldName(t.name) === foldName(c))) select.push(`r.${quoteIdent(c)} AS ${quoteIdent(c)}`);
  }
  const identity = step.identity.map((c) => `s.${quoteIdent(sourceColumnOf(step, c))}`).join(', ');
  const r = `(SELECT DISTINCT ON (${identity}) s.*, true AS ${quoteIdent(hit)} FROM ${S} AS s WHERE EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND ${differs}))`;
  return `SELECT ${select.join(', ')} FROM ${T} AS m LEFT JOIN ${r} AS r ON ${rMatch}`;
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
