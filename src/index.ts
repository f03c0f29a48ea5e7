/**
 * cairn's library API: everything the CLI uses, and nothing more.
 *
 * @example
 * import { openRepo, addArtifacts, status } from 'cairn';
 * const repo = await openRepo(process.cwd());
 * await addArtifacts(repo, { cwd: process.cwd(), paths: ['data/train.parquet'] });
 * for (const a of await status(repo, { cwd: process.cwd() })) console.log(a.path, a.state);
 */
export * from './errors.js';
export type { Progress } from './progress.js';
export { silentProgress } from './progress.js';

/**
 * Repository and configuration.
 * @example
 * const repo = await openRepo(cwd); // NotARepoError until `cairn init` has run
 * const { remotes, remote } = repo.config;
 */
export { openRepo, type Repo, type OpenRepoOptions } from './repo/repo.js';
export { loadConfig, defaultConfig, type CairnConfig, type RemoteConfig } from './config/config.js';

/**
 * The object store and its formats.
 * @example
 * const pointer = parsePointer(fs.readFileSync('data/train.parquet.cairn', 'utf8'), 'data/train.parquet.cairn');
 * const bytes = repo.cache.readObject(pointer.hash); // verified against its hash
 */
export { Cache, type LinkType, type StoredObject } from './store/cache.js';
export { hashBytes, isHash } from './store/hash.js';
export { parsePointer, renderPointer, type Pointer, type FilePointer, type DirPointer } from './store/pointer.js';
export { parseManifest, renderManifest, type ManifestEntry } from './store/manifest.js';

/**
 * Artifacts in the workspace.
 * @example
 * await checkout(repo, { cwd, paths: ['data'] });
 * const report = await verify(repo);
 * if (!report.ok) throw verifyFailure(report);
 */
export { init, type InitResult } from './artifacts/init.js';
export { initRepository, installRepositoryHooks, uninstallRepositoryHooks } from './commands/setup.js';
export { compareWithWorkspace, type WorkspaceDiff } from './commands/compareWorkspace.js';
export { runMergeDriver, planPointerMerge, type MergeDriverOptions, type MergeDriverResult } from './commands/mergeDriver.js';
export {
  runExperiment,
  chooseRunVersion,
  declaredOutputs,
  type RunOptions,
  type RunResult,
  type RunStart,
  type RecoveredRun,
} from './commands/run.js';
export {
  reproduceExperiment,
  compareMetrics,
  checkTolerance,
  type ReproduceOptions,
  type ReproduceResult,
  type MetricComparison,
} from './commands/reproduce.js';
export { runChild, shellQuote, signalStatus, type ChildOutcome, type RunChildOptions } from './child.js';
export { writeDemoProject, writeParquet } from './demo/project.js';
export { configGet, configSet, configEntries, parseKeyPath, parseValue } from './config/edit.js';
export { addArtifacts, type AddOptions, type AddedArtifact } from './artifacts/add.js';
export { invalidPointersFailure, status, type StatusOptions } from './commands/status.js';
export type { ArtifactStatus } from './artifacts/inspect.js';
export type { InvalidPointer } from './artifacts/workspace.js';
export type { ArtifactState } from './artifacts/state.js';
export { checkout, type CheckoutOptions, type CheckoutResult } from './artifacts/checkout.js';
export { untrack, type UntrackOptions, type UntrackResult } from './artifacts/untrack.js';
export { verify, verifyFailure, type VerifyResult } from './commands/verify.js';

/**
 * Remotes and transfers.
 * @example
 * await addRemote(repo, { name: 'store', url: 's3://my-bucket/cairn', makeDefault: true });
 * const pushed = await push(repo, { allTags: true });
 */
export { addRemote, listRemotes, removeRemote, type AddRemoteOptions, type RemoteInfo } from './remote/remotes.js';
export { openRemote, parseRemoteUrl, type RemoteStore, type RemoteUrl } from './remote/remote.js';
export { push, type PushOptions, type PushResult } from './commands/push.js';
export { fetch, type TransferOptions, type FetchResult } from './commands/fetch.js';
export { pull, type PullOptions } from './commands/pull.js';
export type { ArtifactStatusWithRemote } from './commands/status.js';

/**
 * Garbage collection and git hooks.
 * @example
 * const dry = await gc(repo); // a dry run: dry.unreferenced lists what --yes would delete
 * await installHooks(cwd);
 */
export { gc, type GcOptions, type GcResult } from './commands/gc.js';
export { listWorktrees, type WorktreeInfo } from './git/worktrees.js';
/** Merge backups pinned in the cache (gc keeps them until dropped). */
export { listPins, dropPins, type Pin } from './store/pins.js';
export { installHooks, uninstallHooks, HOOK_NAMES, type HooksResult } from './hooks/hooks.js';
export { runHook, type HookRun } from './commands/hookRun.js';

/**
 * Worktrees: experiment variants on `exp/NAME`, and disposable explorations of a version.
 * @example
 * const wt = await newWorktree(repo, { name: 'cnn' });
 * await removeWorktree(repo, { name: 'cnn', deleteBranch: true });
 * const old = await exploreCheckout(repo, 'e0.1.0');
 */
export { newWorktree, type NewWorktreeOptions, type NewWorktreeResult } from './commands/worktreeNew.js';
export { listExperimentWorktrees, type WorktreeEntry } from './commands/worktreeList.js';
export { removeWorktree, type RemoveWorktreeOptions, type RemoveWorktreeResult } from './commands/worktreeRemove.js';
export { invalidNameReason } from './worktrees/worktrees.js';
export { exploreCheckout, type ExploreCheckoutResult } from './commands/exploreCheckout.js';
export { exploreWorktrees, type ExplorationEntry } from './commands/exploreWorktrees.js';
export { exploreCleanup } from './commands/exploreCleanup.js';

/**
 * Models: candidates per run, one promoted to production.
 * @example
 * await modelAdd(repo, { cwd, file: 'out/model.bin', run: 'brave-otter-0042' });
 * await modelPromote(repo, { cwd, run: 'brave-otter-0042', db: 'results.db', metric: 'f1' });
 */
export { modelAdd, type ModelAddOptions } from './commands/modelAdd.js';
export { modelPromote, type ModelPromoteOptions } from './commands/modelPromote.js';
export { modelPrune, type ModelPruneOptions, type PruneResult } from './commands/modelPrune.js';
export { modelList, type ModelList } from './commands/modelList.js';
export { checkRunId, type Provenance, type ResultsUsed, type Candidate } from './models/models.js';
export { rankRuns, type RankedRun } from './models/ranking.js';

/**
 * Explore: experiments of the past, read from git and the cache without touching the workspace.
 * @example
 * const diff = await exploreDiff(repo, 'e0.1.0', 'e0.2.0');
 * await exploreGet(repo, { cwd, version: 'e0.1.0', path: 'results.db', out: 'results-e0.1.0.db' });
 */
export { exploreGet, resolveVersion, type ExploreGetOptions, type ExploreGetResult } from './commands/exploreGet.js';
export { lineage, type LineageResult, type LineageHit } from './commands/exploreLineage.js';
export { exploreList, type ExploreListing, type ExploreListOptions } from './commands/exploreList.js';
export { exploreShow, artifactsAt, type ShownExperiment, type ArtifactAt } from './commands/exploreShow.js';
export { exploreDiff } from './commands/exploreDiff.js';
export { diffExperiments, type ExperimentDiff, type MetricDelta } from './experiments/diff.js';
export type { ListedExperiment, JoinedRows, ShownRow } from './experiments/shownRow.js';


/**
 * Experiments: versions and metric-bearing tags.
 * @example
 * const { next } = await nextExperimentVersion(cwd); // e.g. 'e0.3.0'
 * const tagged = await tagExperiment(repo, { cwd, db: 'results.db', metric: 'f1', message: 'baseline' });
 * const experiments = await listExperiments(cwd);
 */
export {
  BUMP_KINDS,
  DEFAULT_BUMP,
  checkBump,
  checkPrefix,
  compareExperimentTags,
  latestVersion,
  nextFreeTag,
  nextVersion,
  nextWorktreeTag,
  parseExperimentTag,
  parseSemverTag,
  parseWorktreeTag,
  versionSpellings,
  type BumpKind,
  type ExperimentTag,
  type SemverTag,
  type WorktreeTag,
} from './versions/version.js';
export {
  TRAILER,
  formatCompact,
  formatExact,
  formatFloat32,
  oneLine,
  parseTagMessage,
  parseTrailers,
  renderSubject,
  renderTagMessage,
  renderCommand,
  parseCommand,
  type RecordedCommand,
  type ParsedTagMessage,
  type TagMessageFields,
  type TagValue,
  type TagValues,
  type Trailer,
} from './experiments/message.js';
export { dataFingerprint } from './experiments/fingerprint.js';
export {
  DEFAULT_BOOKKEEPING_COLUMNS,
  DEFAULT_RUN_COLUMNS,
  METRIC_WORDS,
  bestRowIndex,
  summarizeRow,
  type ColumnRules,
  type RowSummary,
} from './results/row.js';
export { readVersionRows, type VersionRows, type VersionRowsOptions } from './results/versionRows.js';
export {
  resolveResultsFile,
  chooseTable,
  type ResultsFile,
  type ResultsFileOrigin,
  type TableDecision,
  type TableChoiceReason,
  type TableNeeds,
  type TableInfo,
  type ChooseTableOptions,
} from './results/resultsTable.js';
export {
  listExperiments,
  nextExperimentVersion,
  type Experiment,
  type ListExperimentsOptions,
  type NextVersion,
  type NextVersionOptions,
} from './experiments/list.js';
export { chooseTagName, dirtyRefusal, summarizeResults, type TagNameChoice } from './experiments/tagPlan.js';
export { tagExperiment, type TagOptions, type TagResult, type TagResultsSource } from './commands/tag.js';

/**
 * Results: merging results tables across experiment branches.
 * @example
 * const merged = await mergeResults({ cwd, target: 'results.db', sources: ['exp/cnn:results.db'] });
 * if (merged.refused) console.error(`not merged: ${merged.refused}`);
 */
export { mergeResults } from './commands/merge.js';
export {
  mergeSettings,
  DEFAULT_WAIT_MS,
  type MergeResultsOptions,
} from './results/merge.js';
export {
  mergeFailure,
  MAX_CONFLICT_DETAILS,
  type MergeResult,
  type MergeTotals,
  type MergeBackup,
  type MergeSourceInfo,
  type TableSummary,
  type ConflictDetail,
} from './results/mergeResult.js';
export { STRATEGIES, ON_CONFLICT, type MergeStrategy, type OnConflict, type MergeSettings } from './results/mergePlan.js';
export { parseRevPath, type FetchObject } from './results/mergeSource.js';
export { detectKind, type ResultsKind } from './results/database.js';

/**
 * The ui: the documents of `cairn ui` (each the --json of the matching
 * command), its read-only server on 127.0.0.1, and the one-file export.
 * @example
 * const server = await startUiServer({ source: { repo, cwd } });
 * console.log(server.url); // http://127.0.0.1:PORT/
 * await exportUi({ repo, cwd }, { out: 'report.html' });
 */
export {
  uiDocument,
  uiSnapshot,
  UI_ENDPOINTS,
  DEFAULT_DETAIL,
  type UiSource,
  type UiEndpoint,
  type UiInfo,
  type UiSnapshot,
  type PathLineage,
} from './commands/ui.js';
export { startUiServer, type UiServer, type UiServerOptions } from './ui/server.js';
export { exportUi, type ExportUiOptions, type ExportUiResult } from './ui/export.js';
