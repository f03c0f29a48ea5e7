/**
 * Carrying out a merge plan on a database the engine has open for writing
 * (a temp copy of the target): create tables and add columns first, then
 * move rows in one transaction. The SQL is the same for SQLite and DuckDB
 * apart from null-safe equality and how conflicts are counted.
 *
 * Identity and key columns compare null-safely (`IS` / `IS NOT DISTINCT
 * FROM`): a NULL id equals a NULL id, so re-merging a row with a NULL id
 * adds nothing.
 */
import { quoteIdent } from './database.js';
import {
  assetHashOfKey,
  assetRole,
  keyName,
  latestEvidence,
  resolveCounts,
  resolveKeys,
  type DictChange,
  type DictRow,
  type KeyEvidence,
} from './assetTables.js';
import { plainType } from './columnTypes.js';
import { foldName, sourceColumnOf, type MergePlan, type TableColumn, type TableShape, type TableStep } from './mergePlan.js';
import { describeConflict, emptySummary, sameValue, MAX_CONFLICT_DETAILS, type ConflictDetail, type TableSummary } from './mergeResult.js';

export type Dialect = 'sqlite' | 'duckdb';

/** A database open for writing, seen through async calls whatever the engine. */
export interface SqlSession {
  dialect: Dialect;
  /** The qualified relation for a target table. */
  table(name: string): string;
  /** Run a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * SQLite only: a function callable from SQL that counts conflicting source
   * rows while another statement runs, so the insert and the conflict check
   * are one pass over the source.
   */
  conflictCounter?: ConflictCounter;
  /** SQLite only: the same for source rows that fill a target NULL. */
  fillCounter?: ConflictCounter;
  /** Whether a target table has SQLite's rowid. */
  hasRowid?(table: string): boolean;
  /**
   * SQLite only: the target table as it was before the merge (the original
   * file, attached read-only), with its columns. Reading the rows to compare
   * from another file than the one written spares SQLite a temp copy of the
   * whole result of the insert's SELECT. Null when not available.
   */
  before?(table: string): { relation: string; columns: ReadonlySet<string> } | null;
}

export interface ConflictCounter {
  /** SQL calling the counter for the source row `rowidExpr` (NULL counts every call); returns 0. */
  call(rowidExpr: string): string;
  reset(): void;
  count(): number;
  /** Rows counted here and not by `other` (rows without a rowid are all counted). */
  countExcept(other: ConflictCounter): number;
  /** The source rowids counted. */
  ids(): ReadonlySet<unknown>;
}

/** Where the rows of one source's table can be read from, inside the session. */
export interface SourceTables {
  label: string;
  /** The SQL relation for a step's source table (staged first if need be). */
  relation(step: TableStep): Promise<string>;
  /** The source table's columns (for types). */
  shape(step: TableStep): TableShape;
  /** Whether the relation has a rowid to tell its rows apart. */
  hasRowid(step: TableStep): boolean;
  /** Stage the tables of these steps now (engines whose transactions may write one database only). */
  prepare?(steps: TableStep[]): Promise<void>;
  /**
   * An ORDER BY (over alias s) that reads the source in identity order
   * through one of its indexes, when its rows are not in that order already:
   * the target's rows are then visited, and its index extended, in order
   * rather than at random. Null when it would not help.
   */
  identityOrder?(step: TableStep): string | null;
}

export interface StepsOutcome {
  tables: TableSummary[];
  conflicts: ConflictDetail[];
  conflictsOmitted: number;
}

/** The select list of a conflict-details query: source columns as s0.., target's compared columns as t0.. */
export function conflictSelect(step: TableStep, targetColumn: (column: string) => string): string {
  const wanted = [...step.identity, ...step.compare];
  return [
    ...wanted.map((c, i) => `s.${quoteIdent(sourceColumnOf(step, c))} AS ${quoteIdent(`s${i}`)}`),
    ...step.compare.map((c, i) => `${targetColumn(c)} AS ${quoteIdent(`t${i}`)}`),
  ].join(', ');
}

/** Conflicts from the rows of a conflictSelect query. */
export function conflictDetails(step: TableStep, label: string, rows: readonly Record<string, unknown>[]): ConflictDetail[] {
  const wanted = [...step.identity, ...step.compare];
  return rows.map((row) => {
    const sourceRow: Record<string, unknown> = {};
    const targetRow: Record<string, unknown> = {};
    wanted.forEach((c, i) => (sourceRow[c] = row[`s${i}`]));
    step.identity.forEach((c) => (targetRow[c] = sourceRow[c]));
    step.compare.forEach((c, i) => (targetRow[c] = row[`t${i}`]));
    return describeConflict(step, label, sourceRow, targetRow);
  });
}

/** A target column in the target table aliased m. */
function targetRef(column: string): string {
  return `m.${quoteIdent(column)}`;
}

/** `a` equals `b`, NULL equal to NULL. */
export function same(dialect: Dialect, a: string, b: string): string {
  return dialect === 'sqlite' ? `${a} IS ${b}` : `${a} IS NOT DISTINCT FROM ${b}`;
}

function all(parts: string[]): string {
  return parts.length ? parts.join(' AND ') : '1=1';
}

/** The CREATE TABLE (`table` already qualified) for a table new to the target (columns and primary key; nothing else is copied). */
export function createTableSql(dialect: Dialect, table: string, columns: readonly TableColumn[]): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)}${c.type ? ' ' + c.type : dialect === 'duckdb' ? ' VARCHAR' : ''}`);
  const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (pk.length) defs.push(`PRIMARY KEY (${pk.map((c) => quoteIdent(c.name)).join(', ')})`);
  return `CREATE TABLE ${table} (${defs.join(', ')})`;
}

export function addColumnSql(dialect: Dialect, table: string, column: { name: string; type: string }): string {
  const type = column.type || (dialect === 'duckdb' ? 'VARCHAR' : '');
  return `ALTER TABLE ${table} ADD COLUMN ${quoteIdent(column.name)}${type ? ' ' + type : ''}`;
}

/** Apply the plan's schema changes (before any row moves: DuckDB wants DDL and DML apart). */
export async function applySchema(session: SqlSession, plan: MergePlan): Promise<void> {
  for (const source of plan.sources) {
    for (const step of source.steps) {
      if (step.create) await session.run(createTableSql(session.dialect, session.table(step.table), step.create));
      for (const column of step.addColumns) await session.run(addColumnSql(session.dialect, session.table(step.table), column));
    }
  }
}

/**
 * Move the rows: for rebase, first delete every target row whose key a
 * source holds (all sources, before any insert), then run each step; last,
 * derive xetrack's `keys` and `counts` from the merged rows.
 * `targetShape` and `targetTables` must describe the target after applySchema.
 */
export async function applyRows(
  session: SqlSession,
  plan: MergePlan,
  sources: readonly SourceTables[],
  targetShape: (table: string) => TableShape,
  targetTables: () => readonly TableShape[] = () => [],
): Promise<StepsOutcome> {
  const out: StepsOutcome = { tables: [], conflicts: [], conflictsOmitted: 0 };
  const summaries = new Map<TableStep, TableSummary>();
  for (const sp of plan.sources) {
    for (const step of sp.steps) summaries.set(step, emptySummary(step, sources[sp.source]!.label));
  }
  const ctx = new StepContext(session, targetShape);
  // Tables changed so far: their "before" state is no longer what a step must compare with.
  const touched = new Set<string>();

  for (const sp of plan.sources) {
    for (const step of sp.steps) {
      if (step.mode !== 'rebase') continue;
      touched.add(step.table);
      const summary = summaries.get(step)!;
      const S = await sources[sp.source]!.relation(step);
      // The source's distinct keys first (a handful of versions, typically): the target's rows
      // are then matched against those, not against every source row.
      const keys = step.key.map((k, i) => `${ctx.sourceRef('s', step, k, sources[sp.source]!)} AS ${quoteIdent(`k${i}`)}`).join(', ');
      const match = all(step.key.map((k, i) => same(session.dialect, `m.${quoteIdent(k)}`, `d.${quoteIdent(`k${i}`)}`)));
      summary.deleted = await session.run(
        `DELETE FROM ${session.table(step.table)} AS m WHERE EXISTS (SELECT 1 FROM (SELECT DISTINCT ${keys} FROM ${S} AS s) AS d WHERE ${match})`,
      );
    }
  }

  // xetrack's keys and counts are derived from the merged rows, once every source is in.
  const derived: { step: TableStep; source: SourceTables; summary: TableSummary }[] = [];
  for (const sp of plan.sources) {
    const source = sources[sp.source]!;
    for (const step of sp.steps) {
      const summary = summaries.get(step)!;
      if (step.role === 'keys' || step.role === 'counts') derived.push({ step, source, summary });
      else if (step.mode === 'rebase') await ctx.insertAll(step, source, summary);
      else {
        const before = touched.has(step.table) ? null : (session.before?.(step.table) ?? null);
        await ctx.mergeRows(step, source, summary, plan.settings.onConflict, out, before);
      }
      touched.add(step.table);
      out.tables.push(summary);
    }
  }
  if (derived.length) await ctx.deriveAssetTables(derived, targetTables());
  return out;
}

class StepContext {
  constructor(
    private readonly session: SqlSession,
    private readonly targetShape: (table: string) => TableShape,
  ) {}

  private get dialect(): Dialect {
    return this.session.dialect;
  }

  /**
   * A source column as compared with the target's. DuckDB refuses to compare
   * some types with each other (text with numbers), so a source column whose
   * type differs is cast to the target column's type first.
   */
  sourceRef(alias: string, step: TableStep, column: string, source: SourceTables): string {
    const ref = `${alias}.${quoteIdent(sourceColumnOf(step, column))}`;
    if (this.dialect === 'sqlite') return ref;
    const target = this.targetShape(step.table).columns.find((c) => foldName(c.name) === foldName(column));
    const from = source.shape(step).columns.find((c) => foldName(c.name) === foldName(sourceColumnOf(step, column)));
    if (!target || !from || target.type === from.type) return ref;
    const type = plainType('duckdb', target.type);
    return type ? `CAST(${ref} AS ${type})` : ref;
  }

  private identityMatch(step: TableStep, source: SourceTables, target: (column: string) => string = targetRef): string {
    return all(step.identity.map((c) => same(this.dialect, target(c), this.sourceRef('s', step, c, source))));
  }

  /**
   * A conflict: some compared column holds a value on both sides, and the
   * values differ. A NULL on either side is not a conflict (see fills).
   */
  private differs(step: TableStep, source: SourceTables, target: (column: string) => string = targetRef): string | null {
    if (step.compare.length === 0) return null;
    const one = (c: string): string => {
      const [t, s] = [target(c), this.sourceRef('s', step, c, source)];
      return `(${t} IS NOT NULL AND ${s} IS NOT NULL AND NOT (${same(this.dialect, t, s)}))`;
    };
    return `(${step.compare.map(one).join(' OR ')})`;
  }

  /** A fill: some compared column is NULL in the target and holds a value in the source. */
  private fills(step: TableStep, source: SourceTables, target: (column: string) => string = targetRef): string | null {
    if (step.compare.length === 0) return null;
    return `(${step.compare.map((c) => `(${target(c)} IS NULL AND ${this.sourceRef('s', step, c, source)} IS NOT NULL)`).join(' OR ')})`;
  }

  private async count(relation: string): Promise<number> {
    const [row] = await this.session.all(`SELECT count(*) AS n FROM ${relation}`);
    return Number(row!.n);
  }

  async insertAll(step: TableStep, source: SourceTables, summary: TableSummary): Promise<void> {
    const S = await source.relation(step);
    const cols = step.columns.map(quoteIdent).join(', ');
    const vals = step.sourceColumns.map((c) => `s.${quoteIdent(c)}`).join(', ');
    summary.added = await this.session.run(`INSERT INTO ${this.session.table(step.table)} (${cols}) SELECT ${vals} FROM ${S} AS s`);
    summary.sourceRows = summary.added;
  }

  /**
   * Merge one table: replace conflicting rows when asked, insert the rows of
   * new identities, fill the target's NULLs from rows of the same identity,
   * count the rest as duplicates or conflicts.
   */
  async mergeRows(
    step: TableStep,
    source: SourceTables,
    summary: TableSummary,
    onConflict: MergePlan['settings']['onConflict'],
    out: StepsOutcome,
    before: ReturnType<NonNullable<SqlSession['before']>> = null,
  ): Promise<void> {
    const S = await source.relation(step);
    const T = this.session.table(step.table);
    const match = this.identityMatch(step, source);
    const differs = this.differs(step, source);
    const cols = step.columns.map(quoteIdent).join(', ');
    const vals = step.sourceColumns.map((c) => `s.${quoteIdent(c)}`).join(', ');
    const sourceRowid = source.hasRowid(step) ? 's.rowid' : 'NULL';
    summary.sourceRows = await this.count(S);

    // Fills and conflicts are both judged against the target as it was before this step.
    const counter = this.session.conflictCounter;
    const fillCounter = this.session.fillCounter;
    const onePass = counter && fillCounter && this.session.hasRowid?.(step.table) && onConflict !== 'replace';
    const fills = differs && !onePass ? await this.countFills(step, source, S, T, match, differs) : null;
    summary.filled = fills?.count ?? 0;

    if (onePass) {
      // One pass: insert the rows no target row matches, and count (without
      // inserting) the ones a differing target row matches, and those that fill.
      // Compare with the table as it was (a column it lacked is NULL there),
      // so that rows this step inserts are never mistaken for target rows.
      const M = before?.relation ?? T;
      const was = (c: string): string => (before && !before.columns.has(foldName(c)) ? 'NULL' : `m.${quoteIdent(c)}`);
      const matchBefore = this.identityMatch(step, source, was);
      const differsBefore = this.differs(step, source, was);
      const [last] = await this.session.all(`SELECT max(rowid) AS r FROM ${T}`);
      counter.reset();
      fillCounter.reset();
      // Each matching pair: a conflict, else a fill, else nothing to do.
      const fillsBefore = this.fills(step, source, was);
      const flag = differsBefore
        ? ` OR (CASE WHEN ${differsBefore} THEN ${counter.call(sourceRowid)} WHEN ${fillsBefore} THEN ${fillCounter.call(sourceRowid)} ELSE 0 END)`
        : '';
      const order = source.identityOrder?.(step);
      summary.added = await this.session.run(
        `INSERT INTO ${T} (${cols}) SELECT ${vals} FROM ${S} AS s LEFT JOIN ${M} AS m ON ${matchBefore} WHERE m.rowid IS NULL${flag}${order ? ` ORDER BY ${order}` : ''}`,
      );
      summary.conflicts = counter.count();
      // A source row in conflict with any target row fills nothing.
      summary.filled = fillCounter.countExcept(counter);
      if (differsBefore && summary.conflicts > 0) {
        const old = before ? matchBefore : `${matchBefore} AND m.rowid <= ${last?.r ?? 0}`;
        await this.describeConflicts(step, source, S, M, old, differsBefore, summary.conflicts, out, was);
      }
      // Only rows the target had before this step's inserts take fills.
      if (differs && summary.filled > 0) await this.session.run(`${this.fillUpdate(step, source, S, T, match, differs)} AND m.rowid <= ${last?.r ?? 0}`);
    } else {
      if (differs) {
        summary.conflicts = await this.countConflicts(S, T, match, differs, sourceRowid);
        // Described before a replace: afterwards the rows no longer differ.
        if (summary.conflicts > 0) await this.describeConflicts(step, source, S, T, match, differs, summary.conflicts, out);
      }
      if (fills?.count) await this.session.run(fills.update);
      if (differs && onConflict === 'replace' && summary.conflicts > 0) {
        // The source's values win; a NULL in the source keeps the target's value.
        const set = step.compare.map((c) => `${quoteIdent(c)} = COALESCE(${this.sourceRef('s', step, c, source)}, m.${quoteIdent(c)})`).join(', ');
        summary.replaced = await this.session.run(`UPDATE ${T} AS m SET ${set} FROM ${S} AS s WHERE ${match} AND ${differs}`);
      }
      summary.added = await this.session.run(
        `INSERT INTO ${T} (${cols}) SELECT ${vals} FROM ${S} AS s WHERE NOT EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match})`,
      );
    }
    summary.duplicates = summary.sourceRows - summary.added - summary.conflicts - summary.filled;
  }

  /**
   * Source rows that fill: same identity as a target row, other values equal
   * or NULL on one side, at least one target NULL against a value. A source
   * row in conflict with any target row fills nothing (it is a conflict).
   * Returns their number and the UPDATE that fills the target's NULLs.
   */
  private async countFills(
    step: TableStep,
    source: SourceTables,
    S: string,
    T: string,
    match: string,
    differs: string,
  ): Promise<{ count: number; update: string }> {
    const [row] = await this.session.all(`SELECT count(*) AS n FROM ${this.fillingRows(step, source, S, T, match, differs)} AS s`);
    return { count: Number(row!.n), update: this.fillUpdate(step, source, S, T, match, differs) };
  }

  /** The source rows that fill (see countFills), as a relation. */
  private fillingRows(step: TableStep, source: SourceTables, S: string, T: string, match: string, differs: string): string {
    const fills = this.fills(step, source)!;
    if (source.hasRowid(step)) {
      // A join, not a correlated NOT EXISTS: SQLite then indexes the target on the fly (an unindexed target would be read once per source row).
      const filling =
        `SELECT s.rowid AS sid FROM ${S} AS s JOIN ${T} AS m ON ${match} GROUP BY s.rowid ` +
        `HAVING max(CASE WHEN ${differs} THEN 1 ELSE 0 END) = 0 AND max(CASE WHEN ${fills} THEN 1 ELSE 0 END) = 1`;
      return `(SELECT * FROM ${S} AS s WHERE s.rowid IN (${filling}))`;
    }
    const other = (c: string): string => `o.${quoteIdent(c)}`;
    const noConflict = `NOT EXISTS (SELECT 1 FROM ${T} AS o WHERE ${this.identityMatch(step, source, other)} AND ${this.differs(step, source, other)})`;
    return `(SELECT * FROM ${S} AS s WHERE EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND NOT ${differs} AND ${fills}) AND ${noConflict})`;
  }

  /** The UPDATE that fills the target's NULLs from the filling source rows (a WHERE clause open for more conditions). */
  private fillUpdate(step: TableStep, source: SourceTables, S: string, T: string, match: string, differs: string): string {
    const set = step.compare.map((c) => `${quoteIdent(c)} = COALESCE(m.${quoteIdent(c)}, ${this.sourceRef('s', step, c, source)})`).join(', ');
    return `UPDATE ${T} AS m SET ${set} FROM ${this.fillingRows(step, source, S, T, match, differs)} AS s WHERE ${match} AND NOT ${differs} AND ${this.fills(step, source)!}`;
  }

  /**
   * Source rows that some target row matches by identity with other values.
   * DuckDB runs a join counting distinct source rows several times faster
   * than a correlated EXISTS; SQLite plans the EXISTS as a semi-join itself.
   */
  private async countConflicts(S: string, T: string, match: string, differs: string, sourceRowid: string): Promise<number> {
    const sql =
      this.dialect === 'duckdb' && sourceRowid !== 'NULL'
        ? `SELECT count(DISTINCT ${sourceRowid}) AS n FROM ${S} AS s JOIN ${T} AS m ON ${match} WHERE ${differs}`
        : `SELECT count(*) AS n FROM ${S} AS s WHERE EXISTS (SELECT 1 FROM ${T} AS m WHERE ${match} AND ${differs})`;
    const [row] = await this.session.all(sql);
    return Number(row!.n);
  }

  private async describeConflicts(
    step: TableStep,
    source: SourceTables,
    S: string,
    T: string,
    match: string,
    differs: string,
    conflicts: number,
    out: StepsOutcome,
    target: (column: string) => string = targetRef,
  ): Promise<void> {
    const room = Math.max(0, MAX_CONFLICT_DETAILS - out.conflicts.length);
    out.conflictsOmitted += Math.max(0, conflicts - room);
    if (room === 0) return;
    const select = conflictSelect(step, target);
    const rows = await this.session.all(`SELECT ${select} FROM ${S} AS s JOIN ${T} AS m ON ${match} WHERE ${differs} LIMIT ${Math.min(room, conflicts)}`);
    out.conflicts.push(...conflictDetails(step, source.label, rows));
  }

  /**
   * xetrack's `keys` and `counts`, derived from the target once every
   * source's rows and assets are in (see resolveKeys and resolveCounts in
   * assetTables.ts). Each change is reported under the first source (in the
   * order given) holding the value written, else holding the key.
   */
  async deriveAssetTables(steps: readonly { step: TableStep; source: SourceTables; summary: TableSummary }[], tables: readonly TableShape[]): Promise<void> {
    const rowTables = tables.filter(
      (t) =>
        !t.view &&
        !foldName(t.name).startsWith('sqlite_') &&
        !assetRole(
          t.name,
          t.columns.map((c) => c.name),
        ),
    );
    const assetsTable = tables.find(
      (t) =>
        t.name === 'assets' &&
        assetRole(
          t.name,
          t.columns.map((c) => c.name),
        ),
    );
    const assets = new Set<string>();
    if (assetsTable) {
      for (const r of await this.session.all(`SELECT "key" AS k FROM ${this.session.table(assetsTable.name)}`)) assets.add(assetHashOfKey(String(r.k)));
    }
    const hashes = [...assets];
    for (const role of ['keys', 'counts'] as const) {
      const mine = steps.filter((d) => d.step.role === role);
      if (!mine.length) continue;
      const T = this.session.table(mine[0]!.step.table);
      const read = async (relation: string): Promise<DictRow[]> =>
        (await this.session.all(`SELECT s."key" AS k, s."value" AS v FROM ${relation} AS s`)).map((r) => ({ key: String(r.k), value: r.v }));
      const target = await read(T);
      const fromSources: DictRow[][] = [];
      for (const d of mine) {
        const rows = await read(await d.source.relation(d.step));
        fromSources.push(rows);
        d.summary.sourceRows = rows.length;
      }
      let changes: DictChange[];
      if (role === 'keys') {
        const latest = new Map<string, string>();
        for (const { key } of [...target, ...fromSources.flat()]) {
          if (latest.has(key)) continue;
          const found = await this.latestLogged(rowTables, keyName(key), hashes);
          if (found) latest.set(key, found.hash);
        }
        changes = resolveKeys(target, fromSources, latest, assets);
      } else {
        changes = resolveCounts(target, fromSources, assets, await this.references(rowTables, hashes));
      }
      for (const c of changes) {
        if (c.change === 'insert') await this.session.run(`INSERT INTO ${T} ("key", "value") VALUES (?, ?)`, [c.key, c.value]);
        else await this.session.run(`UPDATE ${T} SET "value" = ? WHERE "key" = ?`, [c.value, c.key]);
        const holder =
          mine.find((_, i) => fromSources[i]!.some((r) => r.key === c.key && sameValue(r.value, c.value))) ??
          mine.find((_, i) => fromSources[i]!.some((r) => r.key === c.key)) ??
          mine[0]!;
        if (c.change === 'insert') holder.summary.added += 1;
        else holder.summary.updated += 1;
      }
      for (const d of mine) d.summary.duplicates = Math.max(0, d.summary.sourceRows - d.summary.added - d.summary.updated);
    }
  }

  /** Text columns of a target table (where xetrack writes an asset's hash). */
  private textColumns(table: TableShape): string[] {
    return table.columns.filter((c) => isTextType(this.dialect, c.type)).map((c) => c.name);
  }

  /** How many cells of the row tables hold each hash. */
  private async references(tables: readonly TableShape[], hashes: readonly string[]): Promise<Map<string, bigint>> {
    const refs = new Map<string, bigint>();
    for (const table of tables) {
      for (const column of this.textColumns(table)) {
        for (const chunk of chunks(hashes)) {
          const c = quoteIdent(column);
          const rows = await this.session.all(
            `SELECT ${c} AS h, count(*) AS n FROM ${this.session.table(table.name)} WHERE ${c} IN (${chunk.map(() => '?').join(', ')}) GROUP BY ${c}`,
            chunk,
          );
          for (const r of rows) refs.set(String(r.h), (refs.get(String(r.h)) ?? 0n) + BigInt(r.n as number | bigint));
        }
      }
    }
    return refs;
  }

  /** The latest row (greatest timestamp, then track_id) whose column `name` holds a hash of `hashes`. */
  private async latestLogged(tables: readonly TableShape[], name: string, hashes: readonly string[]): Promise<KeyEvidence | null> {
    const found: KeyEvidence[] = [];
    for (const table of tables) {
      const column = table.columns.find((c) => foldName(c.name) === foldName(name));
      const ts = table.columns.find((c) => foldName(c.name) === 'timestamp');
      if (!column || !ts || !isTextType(this.dialect, column.type)) continue;
      const id = table.columns.find((c) => foldName(c.name) === 'track_id');
      const c = quoteIdent(column.name);
      const tsText = `COALESCE(CAST(${quoteIdent(ts.name)} AS TEXT), '')`;
      const idText = id ? `COALESCE(CAST(${quoteIdent(id.name)} AS TEXT), '')` : "''";
      for (const chunk of chunks(hashes)) {
        const [row] = await this.session.all(
          `SELECT ${c} AS h, ${tsText} AS ts, ${idText} AS tid FROM ${this.session.table(table.name)} WHERE ${c} IN (${chunk.map(() => '?').join(', ')}) ` +
            `ORDER BY ts DESC, tid DESC, h DESC LIMIT 1`,
          chunk,
        );
        if (row) found.push({ hash: String(row.h), timestamp: String(row.ts), trackId: String(row.tid) });
      }
    }
    return latestEvidence(found);
  }
}

/** Bound parameters per statement: far below SQLite's limit. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Columns that can hold text: SQLite's TEXT affinity (or none declared), DuckDB's VARCHAR. */
function isTextType(dialect: Dialect, type: string): boolean {
  const t = type.toUpperCase();
  if (dialect === 'duckdb') return t === 'VARCHAR' || t === 'TEXT' || t === 'STRING';
  return t === '' || t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT');
}

/** A source as an engine receives it: a file of a known kind. */
export interface EngineSource {
  label: string;
  file: string;
  kind: import('./database.js').ResultsKind;
}

/** What every engine is asked to do: merge `sources` into `file` (a private temp file). */
export interface EngineJob {
  /** SQLite and DuckDB: the temp copy of the target, changed in place. Parquet: the file to write. */
  file: string;
  /** The original target: read by parquet merges, attached read-only by SQLite ones. */
  target?: string;
  sources: EngineSource[];
  settings: MergePlan['settings'];
  /** A private folder for copies and intermediate files, removed by the caller. */
  scratch: string;
  /** SQLite only: `file` is the target itself, merged inside one transaction on it (see InPlace). */
  inPlace?: InPlace;
}

/** How an in-place merge hands control back to its caller while it holds the target's write lock. */
export interface InPlace {
  /** How long to wait for another writer of the target, in ms. */
  waitMs: number;
  /** Called once the write lock is held, before the first write, with the target's journal mode. */
  beforeWrite(journalMode: string): Promise<void>;
  /** Called before COMMIT with what the merge did: true commits, false rolls everything back. */
  decide(outcome: EngineOutcome): Promise<boolean>;
}

export interface EngineOutcome extends StepsOutcome {
  plan: MergePlan;
}

/** SQLite's names for the rowid; a table with a column of one of these names hides it. */
const ROWID_NAMES = new Set(['rowid', '_rowid_', 'oid']);

/** Whether `rowid` in SQL reaches a table's real rowid. */
export function rowidVisible(shape: TableShape | undefined, withoutRowid: ReadonlySet<string>): boolean {
  if (!shape || withoutRowid.has(shape.name)) return false;
  return !shape.columns.some((c) => ROWID_NAMES.has(foldName(c.name)));
}
