/**
 * `cairn tag`: an annotated tag on HEAD whose message (docs/FORMATS.md, "Tag message") carries the
 * best results row of that version and the data fingerprint of the commit.
 *
 * The planning is pure and lives in the experiments domain (experiments/tagPlan.ts:
 * the name, the dirty-tree refusal, the best row; experiments/message.ts: the
 * message); this verb gathers what they need from git, the artifacts and the
 * results file, then creates the tag.
 */
import { CairnError, NotFoundError, UsageError, type CairnErrorOptions } from '../errors.js';
import { createAnnotatedTag, currentBranch, forEachRef, resolveCommit, trackedChanges } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { modifiedArtifacts } from '../artifacts/status.js';
import type { Progress } from '../progress.js';
import { checkPrefix, parseExperimentTag, type BumpKind } from '../versions/version.js';
import { dataFingerprint } from '../experiments/fingerprint.js';
import { formatExact, formatFloat32, renderSubject, renderTagMessage, type RecordedCommand, type TagValues } from '../experiments/message.js';
import { chooseTagName, dirtyRefusal, float32Columns, summarizeResults } from '../experiments/tagPlan.js';
import { readVersionRows } from '../results/versionRows.js';
import { looksLikeLoss, type RowSummary } from '../results/row.js';
import { describeChoice, resolveResultsFile, resultsLocation, type TableChoiceReason } from '../results/resultsTable.js';
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
  // Only whether each artifact's workspace still matches its pointer: not a whole status (no cache lookups).
  const [changes, modified] = await Promise.all([trackedChanges(root), modifiedArtifacts(repo, options.progress)]);
  const refusal = dirtyRefusal(changes, modified);
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
