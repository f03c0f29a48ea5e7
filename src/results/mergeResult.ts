/**
 * What a merge reports (pure): per table and source, the rows added, skipped
 * as duplicates, in conflict, replaced and deleted, and the columns added;
 * each conflict with the columns that differ; and the error a refused merge
 * turns into.
 */
import { createHash } from 'node:crypto';
import { ConflictError, UnsafeError, type CairnError } from '../errors.js';
import { plural, shortHash } from '../display.js';
import { assetHashOfKey } from './assetTables.js';
import { plainValue, type ResultsKind } from './database.js';
import type { IdentityRule, MergeStrategy, OnConflict, TableStep } from './mergePlan.js';

/** At most this many conflicts are described in full; the rest are counted. */
export const MAX_CONFLICT_DETAILS = 100;

/** What a merge did to one table from one source. */
export interface TableSummary {
  table: string;
  /** The source as the user named it. */
  source: string;
  /** 'rows', or which xetrack asset table this is. */
  role: TableStep['role'];
  mode: MergeStrategy;
  /** Identity columns (merge), null for rebase. */
  identity: string[] | null;
  identityRule: IdentityRule | null;
  /** Key columns (rebase), null for merge. */
  key: string[] | null;
  /** The table was new to the target. */
  created: boolean;
  /** Source rows in the source table. */
  sourceRows: number;
  added: number;
  /** Source rows whose identity and values the target already had. */
  duplicates: number;
  /** Source rows whose identity the target had with other values (both sides non-NULL and different). */
  conflicts: number;
  /**
   * Target rows whose NULLs took the source's values (same identity, and
   * every other column equal or NULL on one side).
   */
  filled: number;
  /** Target rows overwritten with the source's values (--on-conflict replace). */
  replaced: number;
  /** Target rows deleted (rebase). */
  deleted: number;
  /** Rows of xetrack's `keys` repointed or `counts` rewritten (both derived from the merged rows). */
  updated: number;
  columnsAdded: { name: string; type: string }[];
}

/** One source row whose identity the target has with other values. */
export interface ConflictDetail {
  table: string;
  source: string;
  /** The identity of the row (column → value). */
  identity: Record<string, unknown>;
  /** For xetrack's asset tables: the asset hash (or name) the row stands for. */
  object?: string;
  /** The columns whose values differ; `digest` stands for bytes (a BLOB) in human output. */
  columns: { column: string; target: unknown; source: unknown; digest?: { target: string | null; source: string | null } }[];
}

/** A source of a merge, as resolved. */
export interface MergeSourceInfo {
  /** As given: a path, or REV:path. */
  spec: string;
  kind: ResultsKind;
  /** The file read; for REV:path, the path in the repository. */
  file: string;
  rev?: string;
  /** The artifact's object hash for REV:path sources read from the cache. */
  hash?: string;
}

/** The sums of every table's numbers. */
export interface MergeTotals {
  added: number;
  duplicates: number;
  conflicts: number;
  filled: number;
  replaced: number;
  deleted: number;
  updated: number;
  columnsAdded: number;
  tablesCreated: number;
}

/** Where the target's prior state was kept (rebase, or rows replaced). */
export interface MergeBackup {
  /** A file holding the prior bytes. */
  path: string;
  /** Its cache object hash, when it was kept in the cairn cache. */
  hash?: string;
  /** The id of the pin that keeps it from gc (`cairn backup drop <id>`), when kept in the cache. */
  pinned?: string;
}

/** The result of mergeResults. Check `applied`: a refused merge writes nothing. */
export interface MergeResult {
  target: string;
  /** The file written (the target unless -o). */
  output: string;
  kind: ResultsKind;
  strategy: MergeStrategy;
  onConflict: OnConflict;
  /** True when the output was written. */
  applied: boolean;
  /** Why nothing was written: conflicts (with --on-conflict fail) or a rebase without --yes. */
  refused: 'conflicts' | 'confirmation' | null;
  sources: MergeSourceInfo[];
  tables: TableSummary[];
  totals: MergeTotals;
  conflicts: ConflictDetail[];
  /** Conflicts counted but not described (beyond MAX_CONFLICT_DETAILS). */
  conflictsOmitted: number;
  backup: MergeBackup | null;
}

/** A blank summary for a step, to be filled by an engine. */
export function emptySummary(step: TableStep, source: string): TableSummary {
  const rebase = step.mode === 'rebase';
  return {
    table: step.table,
    source,
    role: step.role,
    mode: step.mode,
    identity: rebase ? null : step.identity,
    identityRule: rebase ? null : step.identityRule,
    key: rebase ? step.key : null,
    created: step.create !== null,
    sourceRows: 0,
    added: 0,
    duplicates: 0,
    conflicts: 0,
    filled: 0,
    replaced: 0,
    deleted: 0,
    updated: 0,
    columnsAdded: step.create ? [] : step.addColumns.map((c) => ({ ...c })),
  };
}

export function totalsOf(tables: readonly TableSummary[]): MergeTotals {
  const sum = (f: (t: TableSummary) => number): number => tables.reduce((n, t) => n + f(t), 0);
  return {
    added: sum((t) => t.added),
    duplicates: sum((t) => t.duplicates),
    conflicts: sum((t) => t.conflicts),
    filled: sum((t) => t.filled),
    replaced: sum((t) => t.replaced),
    deleted: sum((t) => t.deleted),
    updated: sum((t) => t.updated),
    columnsAdded: sum((t) => t.columnsAdded.length),
    tablesCreated: sum((t) => (t.created ? 1 : 0)),
  };
}

/** Null-safe value equality as SQL's IS: numbers by value, bytes by content. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // eslint-disable-next-line eqeqeq
    return a == b;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}

/** Bytes as people can compare them: the first 12 hex digits of their SHA-256, and their length. */
export function byteDigest(v: Uint8Array): string {
  return `sha256:${shortHash(createHash('sha256').update(v).digest('hex'))} (${plural(v.byteLength, 'byte')})`;
}

const digestOf = (v: unknown): string | null => (v instanceof Uint8Array ? byteDigest(v) : null);

/**
 * Describe one conflict: the identity, and each compared column whose
 * values are both non-NULL and differ (a column the target lacks counts as
 * NULL there). When no column is such (engines that treat NULL against a
 * value as a conflict), every differing column.
 */
export function describeConflict(step: TableStep, source: string, sourceRow: Record<string, unknown>, targetRow: Record<string, unknown>): ConflictDetail {
  const identity: Record<string, unknown> = {};
  for (const c of step.identity) identity[c] = plainValue(sourceRow[c] ?? null);
  const differing = step.compare.filter((c) => !sameValue(sourceRow[c] ?? null, targetRow[c] ?? null));
  const both = differing.filter((c) => (sourceRow[c] ?? null) !== null && (targetRow[c] ?? null) !== null);
  const columns = (both.length ? both : differing).map((c) => {
    const [t, s] = [targetRow[c] ?? null, sourceRow[c] ?? null];
    const entry: ConflictDetail['columns'][number] = { column: c, target: plainValue(t), source: plainValue(s) };
    if (t instanceof Uint8Array || s instanceof Uint8Array) entry.digest = { target: digestOf(t), source: digestOf(s) };
    return entry;
  });
  const detail: ConflictDetail = { table: step.table, source, identity, columns };
  const key = step.role !== 'rows' ? sourceRow[step.identity[0]!] : undefined;
  if (typeof key === 'string') detail.object = assetHashOfKey(key);
  return detail;
}

/** The error a refused merge stands for (the CLI prints the result, then exits with it). */
export function mergeFailure(result: MergeResult): CairnError | null {
  if (result.refused === 'conflicts') {
    const n = result.totals.conflicts;
    const tables = [...new Set(result.tables.filter((t) => t.conflicts > 0).map((t) => t.table))];
    return new ConflictError(
      `${n} conflicting row${n === 1 ? '' : 's'} in ${tables.map((t) => JSON.stringify(t)).join(', ')}: same identity, different values; nothing was written`,
      {
        hint: "rerun with --on-conflict keep (keep the target's values) or --on-conflict replace (take the source's), or name the identity columns with --id",
        data: { conflicts: result.conflicts },
      },
    );
  }
  if (result.refused === 'confirmation') {
    const { deleted, added } = result.totals;
    return new UnsafeError(`rebase would delete ${deleted} row${deleted === 1 ? '' : 's'} and insert ${added}; nothing was written`, {
      hint: 'rerun with --yes to apply it (the prior state is kept and its location printed)',
      data: { totals: result.totals },
    });
  }
  return null;
}
