/**
 * `cairn tag`: an annotated tag on HEAD whose message (docs/FORMATS.md, "Tag message") carries the
 * best results row of that version and the data fingerprint of the commit.
 *
 * Planning is pure (chooseTagName, dirtyRefusal, summarizeResults and the
 * message renderer); tagExperiment gathers what they need, then creates the tag.
 */
import { AlreadyExistsError, CairnError, NotFoundError, UnsafeError, UsageError, type CairnErrorOptions } from '../errors.js';
import { createAnnotatedTag, currentBranch, forEachRef, resolveCommit, trackedChanges, type TrackedChange } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { status } from '../artifacts/status.js';
import type { Progress } from '../progress.js';
import {
  checkPrefix,
  nextFreeTag,
  nextVersion,
  parseExperimentTag,
  type BumpKind,
  type ExperimentTag,
} from '../versions/version.js';
import { dataFingerprint } from './fingerprint.js';
import { formatExact, formatFloat32, renderSubject, renderTagMessage, type RecordedCommand, type TagValues } from './message.js';
import { readVersionRows, type VersionRows } from './results.js';
import { bestRowIndex, looksLikeLoss, summarizeRow, type ColumnRules, type RowSummary } from './row.js';
import { describeChoice, resolveResultsFile, resultsLocation, type TableChoiceReason } from './resultsTable.js';
import { shortHash } from '../display.js';

/** Options of {@link tagExperiment}: which tag to create, where its metrics come from (config defaults when unset), and what to allow. */
export interface TagOptions {
  /** Where relative paths (--db) are resolved from. */
  cwd: string;
  /** The tag to create; by default the next version of the prefix. */
  version?: string;
  /** How to bump the highest version when `version` is not given (default minor). */
  bump?: BumpKind;
  /** Version prefix (default: `versions.prefix`). */
  prefix?: string;
  /** Results database (from `cwd`); false: read none even if `results.db` is set. */
  db?: string | false;
  table?: string;
  /** The metric that picks the best row (default: `metrics.primary`). */
  metric?: string;
  /** Lower is better (default: `metrics.minimize`). */
  minimize?: boolean;
  /** The user's description, last in the subject. */
  message?: string;
  /** Work out the tag and its message, create nothing. */
  dryRun?: boolean;
  /** Tag even with uncommitted changes to tracked files or artifacts. */
  allowDirty?: boolean;
  /** The command that made this experiment (`cairn run`), recorded in trailers. */
  command?: RecordedCommand;
  progress?: Progress;
}

/** Where a tag's metrics came from. */
export interface TagResultsSource {
  file: string;
  table: string;
  /** `file#table` as Cairn-Results records it (the file from the repo root). */
  location: string;
  /** Why this table (resultsTable.ts), and the same in words. */
  chosenBy: TableChoiceReason;
  why: string;
  versionColumn: string;
  /** How many rows that version has. */
  rows: number;
  /** The metric that chose the row, and its direction. */
  metric?: string;
  minimize: boolean;
}

/** The tag {@link tagExperiment} created (or, on a dry run, would create): its name, commit, message, and the metrics, params and data fingerprint the message records. */
export interface TagResult {
  tag: string;
  commit: string;
  /** The branch HEAD is on, or null when it is detached. */
  branch: string | null;
  created: boolean;
  dryRun: boolean;
  /** The whole tag message. */
  message: string;
  subject: string;
  run?: string;
  metrics: TagValues;
  params: TagValues;
  data: string;
  results?: TagResultsSource;
  /** Things the user should know (detached HEAD, dirty tree allowed). */
  notes: string[];
}

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
export function chooseTagName(options: {
  requested?: string;
  bump?: BumpKind;
  prefix: string;
  existing: readonly string[];
}): TagNameChoice {
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
  const items = [
    ...changes.map((c) => `${c.path} (${c.status.trim() || 'changed'})`),
    ...modifiedArtifacts.map((p) => `${p} (artifact modified)`),
  ];
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
export function summarizeResults(
  found: VersionRows,
  options: { tag: string; metric?: string; minimize: boolean; rules: ColumnRules },
): RowSummary {
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

/** Create an experiment tag on HEAD (or, with dryRun, only say what it would be). */
export async function tagExperiment(repo: Repo, options: TagOptions): Promise<TagResult> {
  const { config, root } = repo;
  const commit = await resolveCommit(root, 'HEAD');
  if (!commit) {
    throw new NotFoundError('HEAD has no commit yet', { hint: 'commit your work first; a tag names a commit' });
  }
  const prefix = checkPrefix(options.prefix ?? config.versions.prefix);
  const [existing, branch] = await Promise.all([
    forEachRef(root, ['refname:lstrip=2'], ['refs/tags']).then((refs) => refs.map((r) => r[0]!)),
    currentBranch(root),
  ]);
  const { tag, parsed } = chooseTagName({
    ...(options.version !== undefined ? { requested: options.version } : {}),
    ...(options.bump !== undefined ? { bump: options.bump } : {}),
    prefix,
    existing,
  });

  const notes: string[] = [];
  if (branch === null) notes.push(`HEAD is detached at ${shortHash(commit)}: tagging that commit`);
  const sameCommit = (await forEachRef(root, ['refname:lstrip=2', '*objectname', 'objectname'], ['refs/tags']))
    .filter((r) => (r[1] || r[2]) === commit && parseExperimentTag(r[0]!, prefix))
    .map((r) => r[0]!);
  if (sameCommit.length) notes.push(`this commit is already tagged as ${sameCommit.join(', ')}: the new tag names the same code and data`);
  const [changes, artifacts] = await Promise.all([
    trackedChanges(root),
    status(repo, { cwd: root, ...(options.progress ? { progress: options.progress } : {}) }),
  ]);
  const refusal = dirtyRefusal(
    changes,
    artifacts.filter((a) => a.workspace === 'modified').map((a) => a.path),
  );
  if (refusal && !options.allowDirty) throw refusal;
  if (refusal) notes.push(`${refusal.message}; the tag records HEAD without them`);

  const data = dataFingerprint((await pointersAt(root, commit)).map((p) => ({ path: p.path, hash: p.pointer.hash })));

  // The results file: --db, else results.db from config, else a results.db at the root if there is one.
  const source = resolveResultsFile(repo, { cwd: options.cwd, ...(options.db !== undefined ? { db: options.db } : {}) });
  const dbFile = source?.file;
  if (dbFile === undefined && (options.metric !== undefined || options.table !== undefined)) {
    throw options.db === false
      ? new UsageError('--metric and --table choose rows of the results database, and --no-db says to read none', {
          hint: 'drop --no-db (and pass --db FILE if needed), or drop --metric/--table',
        })
      : new UsageError('--metric and --table need a results database, and none was found', {
          hint: 'pass --db FILE, set results.db in .cairn/config.json, or use --no-db to tag without results',
        });
  }
  const metricName = options.metric ?? config.metrics.primary;
  if (dbFile !== undefined && metricName && !(options.minimize ?? config.metrics.minimize) && looksLikeLoss(metricName)) {
    notes.push(`the best row is the one with the HIGHEST ${metricName}; pass --minimize if lower is better`);
  }
  let summary: RowSummary = { metrics: {}, params: {} };
  let results: TagResultsSource | undefined;
  let float32 = new Set<string>();
  if (dbFile !== undefined) {
    const found = await readVersionRows(dbFile, {
      version: tag,
      ...(parsed.kind === 'semver' ? { aliases: [parsed.version] } : {}),
      ...(options.table !== undefined ? { table: options.table } : {}),
      ...(config.results.table !== undefined ? { configTable: config.results.table } : {}),
      ...(metricName !== undefined ? { metric: metricName } : {}),
      versionColumns: config.results.versionColumns,
      runColumns: config.results.runColumns,
    }).catch((err: unknown) => {
      // A results.db found at the root was not asked for: say so, and how to do without it.
      if (source?.origin !== 'root' || !(err instanceof CairnError)) throw err;
      throw new (err.constructor as new (m: string, o: CairnErrorOptions) => CairnError)(`${err.message} (read because it is results.db at the root)`, {
        hint: `${err.hint}; pass --db FILE for another database, or --no-db to tag without results`,
        data: err.data,
        cause: err,
      });
    });
    const metric = options.metric ?? config.metrics.primary;
    const minimize = options.minimize ?? config.metrics.minimize;
    summary = summarizeResults(found, {
      tag,
      ...(metric !== undefined ? { metric } : {}),
      minimize,
      rules: {
        versionColumns: config.results.versionColumns,
        runColumns: config.results.runColumns,
        bookkeepingColumns: config.results.bookkeepingColumns,
        ...(config.metrics.names ? { metricNames: config.metrics.names } : {}),
      },
    });
    float32 = float32Columns(found);
    results = {
      file: found.file,
      table: found.table,
      location: resultsLocation(root, found.file, found.table),
      chosenBy: found.chosenBy,
      why: describeChoice(found.chosenBy, { version: [tag], ...(metric !== undefined ? { metric } : {}) }),
      versionColumn: found.versionColumn,
      rows: found.rows.length,
      ...(metric !== undefined ? { metric } : {}),
      minimize,
    };
  }

  const fields = {
    version: tag,
    ...(summary.run !== undefined ? { run: summary.run } : {}),
    metrics: summary.metrics,
    params: summary.params,
    data,
    ...(results ? { results: results.location } : {}),
    ...(options.message !== undefined ? { text: options.message } : {}),
    ...(options.command ? { command: options.command } : {}),
    formatNumber: (name: string, n: number) => (float32.has(name) ? formatFloat32(n) : formatExact(n)),
  };
  const message = renderTagMessage(fields);
  if (!options.dryRun) {
    try {
      await createAnnotatedTag(root, tag, commit, message);
    } catch (err) {
      // Another process may have created it since the check above.
      const now = (await forEachRef(root, ['refname:lstrip=2'], ['refs/tags'])).map((r) => r[0]!);
      if (now.includes(tag)) chooseTagName({ requested: tag, prefix, existing: now });
      throw err;
    }
  }
  return {
    tag,
    commit,
    branch,
    created: !options.dryRun,
    dryRun: Boolean(options.dryRun),
    message,
    subject: renderSubject(fields),
    ...(summary.run !== undefined ? { run: summary.run } : {}),
    metrics: summary.metrics,
    params: summary.params,
    data,
    ...(results ? { results } : {}),
    notes,
  };
}
