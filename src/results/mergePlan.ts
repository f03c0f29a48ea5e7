/**
 * Planning a results merge (pure): which tables of which source take part,
 * how their rows are identified, which columns and tables the target gains
 * (and with what types), and every check that must pass before anything is
 * written. The engines then carry the plan out; nothing here does I/O.
 */
import { NotFoundError, UsageError } from '../errors.js';
import { assetRole, ASSET_ROLES, type AssetRole } from './assetTables.js';
import { mapColumnType, type Engine } from './columnTypes.js';

/** merge: add the rows of new identities; rebase: replace the target rows of the sources' keys. */
export type MergeStrategy = 'merge' | 'rebase';
/** What to do with a row of the same identity and other values: refuse, keep the target's, take the source's. */
export type OnConflict = 'fail' | 'keep' | 'replace';

/** Every merge strategy. */
export const STRATEGIES: readonly MergeStrategy[] = ['merge', 'rebase'];
/** Every --on-conflict mode. */
export const ON_CONFLICT: readonly OnConflict[] = ['fail', 'keep', 'replace'];

/** xetrack's row identity: a run id and the moment the row was logged. */
export const XETRACK_IDENTITY = ['track_id', 'timestamp'] as const;

export interface TableColumn {
  name: string;
  /** The engine's declared type ('' when SQLite has none). */
  type: string;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
}

export interface TableShape {
  name: string;
  columns: TableColumn[];
  /** A view: never merged into, never merged from. */
  view?: boolean;
}

/** What a results file holds, as far as a merge cares. */
export interface DatabaseShape {
  engine: Engine;
  tables: TableShape[];
}

/** The merge settings once flags and `merge.*` config are combined. */
export interface MergeSettings {
  strategy: MergeStrategy;
  onConflict: OnConflict;
  /** Merge only these tables (default: every table of every source). */
  tables?: string[];
  /** Identity columns for merge (default: xetrack's, else the whole row). */
  id?: string[];
  /** Key columns for rebase. */
  key: string[];
}

/** How a step's rows are identified. */
export type IdentityRule = 'id' | 'xetrack' | 'row' | 'asset';

/** One table of one source, and what to do with it. */
export interface TableStep {
  /** The table's name in the target (the source's spelling for a new table). */
  table: string;
  /** The table's name in the source. */
  sourceTable: string;
  role: 'rows' | AssetRole;
  /** merge: add rows of new identities; rebase: replace the rows of the source's keys. */
  mode: MergeStrategy;
  /** Columns of a table the target lacks, to create before anything else (target types). */
  create: TableColumn[] | null;
  /** Columns the target table lacks, added (NULL for old rows) before rows move. */
  addColumns: { name: string; type: string }[];
  /** The source's columns, spelled as in the target. */
  columns: string[];
  /** The same columns, spelled as in the source (same order). */
  sourceColumns: string[];
  /** Identity columns (target spelling); the whole row when `identityRule` is 'row'; empty for rebase. */
  identity: string[];
  identityRule: IdentityRule;
  /** The source's non-identity columns: where a conflict can show. */
  compare: string[];
  /** Rebase key columns (target spelling); empty unless rows are rebased. */
  key: string[];
}

export interface SourcePlan {
  /** Index of the source in the order given. */
  source: number;
  steps: TableStep[];
}

export interface MergePlan {
  settings: MergeSettings;
  sources: SourcePlan[];
}

export interface SourceShape {
  /** How the user named the source (for messages). */
  label: string;
  shape: DatabaseShape;
}

/** SQL identifiers are case-insensitive (ASCII only) in SQLite and DuckDB alike. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function findByName<T extends { name: string }>(items: readonly T[], name: string): T | undefined {
  const folded = foldName(name);
  return items.find((i) => i.name === name) ?? items.find((i) => foldName(i.name) === folded);
}

/** Internal tables no merge should touch. */
function isInternal(name: string): boolean {
  return foldName(name).startsWith('sqlite_');
}

function mergeableTables(shape: DatabaseShape): TableShape[] {
  return shape.tables.filter((t) => !t.view && !isInternal(t.name));
}

/** Row tables in byte order, then the asset tables with counts last (it follows keys). */
function stepOrder(a: string, b: string): number {
  const ra = (ASSET_ROLES as readonly string[]).indexOf(a);
  const rb = (ASSET_ROLES as readonly string[]).indexOf(b);
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

/** Check the settings' shape (values from flags and config are untrusted). */
export function checkSettings(settings: MergeSettings): MergeSettings {
  if (!STRATEGIES.includes(settings.strategy)) {
    throw new UsageError(`unknown merge strategy ${JSON.stringify(settings.strategy)}`, { hint: `choose one of: ${STRATEGIES.join(', ')}` });
  }
  if (!ON_CONFLICT.includes(settings.onConflict)) {
    throw new UsageError(`unknown --on-conflict mode ${JSON.stringify(settings.onConflict)}`, { hint: `choose one of: ${ON_CONFLICT.join(', ')}` });
  }
  for (const [what, list] of [
    ['--table', settings.tables],
    ['--id', settings.id],
    ['--key', settings.key],
  ] as const) {
    for (const name of list ?? []) {
      if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
        throw new UsageError(`invalid name given to ${what}: ${JSON.stringify(name)}`, {
          hint: 'table and column names are non-empty and contain no NUL character',
        });
      }
    }
  }
  if (settings.strategy === 'rebase' && settings.key.length === 0) {
    throw new UsageError('rebase needs at least one key column', { hint: 'pass --key COLUMN, or set merge.key in .cairn/config.json' });
  }
  return settings;
}

/**
 * Plan a merge of `sources` (in order) into `target`. Each source is planned
 * against the target as the sources before it leave it, so a column added by
 * the first source is known to the second. Throws a NotFoundError or a
 * UsageError for anything that would stop the merge midway.
 */
export function planMerge(target: DatabaseShape, sources: readonly SourceShape[], settings: MergeSettings): MergePlan {
  checkSettings(settings);
  const current: TableShape[] = target.tables.map((t) => ({ ...t, columns: [...t.columns] }));

  if (settings.tables?.length) {
    for (const wanted of settings.tables) {
      if (!sources.some((s) => findByName(mergeableTables(s.shape), wanted))) {
        const names = [...new Set(sources.flatMap((s) => mergeableTables(s.shape).map((t) => t.name)))];
        throw new NotFoundError(`no table ${JSON.stringify(wanted)} in any source`, {
          hint: names.length ? `tables there: ${names.join(', ')}` : 'the sources hold no tables',
          data: { table: wanted },
        });
      }
    }
  }

  const plans: SourcePlan[] = [];
  sources.forEach((source, index) => {
    const chosen = mergeableTables(source.shape)
      .filter((t) => !settings.tables?.length || settings.tables.some((w) => foldName(w) === foldName(t.name)))
      .sort((a, b) => stepOrder(a.name, b.name));
    const steps = chosen.map((table) => planTable(current, table, source, target.engine, settings));
    plans.push({ source: index, steps });
  });
  return { settings, sources: plans };
}

function planTable(current: TableShape[], table: TableShape, source: SourceShape, engine: Engine, settings: MergeSettings): TableStep {
  const existing = findByName(current, table.name);
  if (existing?.view) {
    throw new UsageError(`${JSON.stringify(existing.name)} is a view in the target, not a table`, {
      hint: 'a view cannot take rows; leave it out with --table',
    });
  }
  const sourceNames = table.columns.map((c) => c.name);
  const role: TableStep['role'] =
    assetRole(table.name, sourceNames) &&
    (!existing ||
      assetRole(
        existing.name,
        existing.columns.map((c) => c.name),
      ))
      ? (assetRole(table.name, sourceNames) as AssetRole)
      : 'rows';
  const where = `table ${JSON.stringify(table.name)} of ${source.label}`;

  const requireColumns = (names: readonly string[], flag: string, inTarget: boolean): void => {
    for (const name of names) {
      if (!findByName(table.columns, name)) {
        throw new NotFoundError(`unknown ${flag === '--key' ? 'key' : 'id'} column ${JSON.stringify(name)} in ${where}`, {
          hint: `columns there: ${quoteList(sourceNames)}; ${flag === '--key' ? 'choose --key (or merge.key in .cairn/config.json)' : 'choose --id (or merge.id)'}, or narrow the tables with --table`,
          data: { column: name, table: table.name },
        });
      }
      if (inTarget && existing && !findByName(existing.columns, name)) {
        throw new NotFoundError(`unknown key column ${JSON.stringify(name)} in table ${JSON.stringify(existing.name)} of the target`, {
          hint: `columns there: ${quoteList(existing.columns.map((c) => c.name))}; choose --key (or merge.key in .cairn/config.json), or narrow the tables with --table`,
          data: { column: name, table: existing.name },
        });
      }
    }
  };

  const targetName = (name: string): string => (existing ? findByName(existing.columns, name)?.name : undefined) ?? name;
  const columns = sourceNames.map(targetName);

  let identity: string[];
  let identityRule: IdentityRule;
  let key: string[] = [];
  if (role !== 'rows') {
    identity = [targetName(findByName(table.columns, 'key')!.name)];
    identityRule = 'asset';
  } else if (settings.strategy === 'rebase') {
    requireColumns(settings.key, '--key', true);
    key = settings.key.map((k) => targetName(findByName(table.columns, k)!.name));
    identity = [];
    identityRule = 'row';
  } else if (settings.id?.length) {
    requireColumns(settings.id, '--id', false);
    identity = settings.id.map((k) => targetName(findByName(table.columns, k)!.name));
    identityRule = 'id';
  } else if (XETRACK_IDENTITY.every((c) => findByName(table.columns, c) && (!existing || findByName(existing.columns, c)))) {
    identity = XETRACK_IDENTITY.map((c) => targetName(findByName(table.columns, c)!.name));
    identityRule = 'xetrack';
  } else {
    identity = columns;
    identityRule = 'row';
  }

  const addColumns: TableStep['addColumns'] = [];
  let create: TableColumn[] | null = null;
  const mapped = (c: TableColumn): TableColumn => ({ name: c.name, type: mapColumnType(source.shape.engine, engine, c.type), pk: c.pk });
  if (existing) {
    for (const c of table.columns) {
      if (!findByName(existing.columns, c.name)) {
        const col = mapped(c);
        addColumns.push({ name: col.name, type: col.type });
        existing.columns.push({ ...col, pk: 0 });
      }
    }
  } else {
    create = table.columns.map(mapped);
    current.push({ name: table.name, columns: create.map((c) => ({ ...c })) });
  }

  const identitySet = new Set(identity.map(foldName));
  return {
    table: existing?.name ?? table.name,
    sourceTable: table.name,
    role,
    mode: key.length ? 'rebase' : 'merge',
    create,
    addColumns,
    columns,
    sourceColumns: sourceNames,
    identity,
    identityRule,
    compare: identityRule === 'row' ? [] : columns.filter((c) => !identitySet.has(foldName(c))),
    key,
  };
}

/** The source spelling of a target-spelled column of a step. */
export function sourceColumnOf(step: TableStep, column: string): string {
  const i = step.columns.indexOf(column);
  return i < 0 ? column : step.sourceColumns[i]!;
}
