/**
 * The pure part of `cairn tag` (the verb is src/commands/tag.ts): which name
 * to create, whether a dirty tree refuses it, and which results row the
 * message records. No I/O.
 */
import { AlreadyExistsError, NotFoundError, UnsafeError, UsageError } from '../errors.js';
import type { TrackedChange } from '../git/git.js';
import { nextFreeTag, nextVersion, parseExperimentTag, type BumpKind, type ExperimentTag } from '../versions/version.js';
import type { VersionRows } from '../results/versionRows.js';
import { bestRowIndex, summarizeRow, type ColumnRules, type RowSummary } from '../results/row.js';

/** What a tag name request resolves to. */
export interface TagNameChoice {
  tag: string;
  parsed: ExperimentTag;
}

/**
 * The tag to create: `requested` when given (a version of `prefix`, or a
 * worktree tag), else the next version; refuses a name that already exists,
 * naming the next free one.
 */
export function chooseTagName(options: { requested?: string; bump?: BumpKind; prefix: string; existing: readonly string[] }): TagNameChoice {
  const { requested, prefix, existing } = options;
  let tag: string;
  if (requested !== undefined) {
    if (options.bump !== undefined) {
      throw new UsageError('--bump applies only when no VERSION is given', {
        hint: `either name the version (cairn tag ${requested}) or let cairn choose it (cairn tag --bump ${options.bump})`,
      });
    }
    tag = requested;
  } else {
    tag = nextVersion(existing, prefix, options.bump);
  }
  const parsed = parseExperimentTag(tag, prefix);
  if (!parsed) {
    throw new UsageError(`${JSON.stringify(tag)} is not an experiment version`, {
      hint: `use ${prefix}<major>.<minor>.<patch> (e.g. ${nextVersion(existing, prefix)}), exp-<name>-v<N>, or another prefix with --prefix`,
    });
  }
  if (existing.includes(tag)) {
    const free = nextFreeTag(parsed, existing, options.bump);
    throw new AlreadyExistsError(`tag ${tag} already exists; the next free version is ${free}`, {
      hint: `tag this commit as ${free} (cairn tag ${free}), or delete the old tag first (git tag -d ${tag})`,
      data: { tag, next: free },
    });
  }
  return { tag, parsed };
}

/** The refusal for a dirty tree, or null when nothing is uncommitted. */
export function dirtyRefusal(changes: readonly TrackedChange[], modifiedArtifacts: readonly string[]): UnsafeError | null {
  const items = [...changes.map((c) => `${c.path} (${c.status.trim() || 'changed'})`), ...modifiedArtifacts.map((p) => `${p} (artifact modified)`)];
  if (items.length === 0) return null;
  const shown = items.slice(0, 10).join(', ') + (items.length > 10 ? `, and ${items.length - 10} more` : '');
  return new UnsafeError(`the work tree has uncommitted changes: ${shown}`, {
    hint: 'a tag records the commit, not these changes: commit them (cairn add for artifacts, then git commit), or pass --allow-dirty',
    data: { changes: items },
  });
}

/** Columns whose numbers are single-precision floats (DuckDB FLOAT/REAL; SQLite's REAL is a double). */
export function float32Columns(found: VersionRows): Set<string> {
  if (found.kind === 'sqlite') return new Set();
  return new Set(found.columns.filter((c) => ['FLOAT', 'FLOAT4', 'REAL'].includes(c.type)).map((c) => c.name));
}

/** Pick the best row of a version and split it into run, metrics and params. */
export function summarizeResults(found: VersionRows, options: { tag: string; metric?: string; minimize: boolean; rules: ColumnRules }): RowSummary {
  const where = `${found.file}#${found.table}`;
  const names = found.columns.map((c) => c.name);
  const { metric, minimize, tag } = options;
  if (metric !== undefined && !names.includes(metric)) {
    throw new NotFoundError(`no column ${JSON.stringify(metric)} in ${where}`, {
      hint: `its columns are ${names.join(', ')}; name the metric with --metric (or metrics.primary)`,
      data: { metric, columns: names },
    });
  }
  if (found.rows.length === 0) {
    const elsewhere = found.elsewhere ?? [];
    throw new NotFoundError(`no rows for ${tag} in ${where} (column ${found.versionColumn})`, {
      hint: elsewhere.length
        ? `its rows are in ${elsewhere.join(', ')}: choose that table with --table ${elsewhere[0]} (or results.table)`
        : `record the run with ${found.versionColumn}='${tag}' first (e.g. VERSION=$(cairn next)), or tag without metrics with --no-db`,
      data: { tag, file: found.file, table: found.table, elsewhere },
    });
  }
  let index = 0;
  if (metric === undefined) {
    if (found.rows.length > 1) {
      throw new UsageError(`${found.rows.length} rows for ${tag} in ${where}, and no metric to choose the best`, {
        hint: 'name the metric with --metric NAME (add --minimize for a loss), or set metrics.primary in .cairn/config.json',
      });
    }
  } else {
    index = bestRowIndex(found.rows, metric, minimize, options.rules.runColumns);
    if (index === -1) {
      throw new NotFoundError(`no row for ${tag} in ${where} has a numeric ${JSON.stringify(metric)}`, {
        hint: 'rows whose metric is NULL never win; record the metric, or choose another with --metric',
      });
    }
  }
  return summarizeRow(found.rows[index]!, names, { ...(metric !== undefined ? { primary: metric } : {}), rules: options.rules });
}
