/**
 * cairn's library API: the verbs of every CLI command, the errors they throw,
 * the repository and its configuration, and the functions that read and write
 * cairn's files. The CLI (src/cli/) takes every value it uses from here, and
 * the README's "## Library" section lists every value exported here (both are
 * checked by test/cli/api.test.ts). Everything else in src/ is internal.
 *
 * @example
 * import { openRepo, addArtifacts, status } from 'cairn';
 * const repo = await openRepo(process.cwd());
 * await addArtifacts(repo, { cwd: process.cwd(), paths: ['data/train.parquet'] });
 * for (const a of await status(repo, { cwd: process.cwd() })) console.log(a.path, a.state);
 */

/**
 * Errors: every failure is a CairnError subclass with `code`, `exitCode` and `hint`.
 * The *Failure functions turn a verb's result into the error the CLI throws for it.
 */
export * from './errors.js';
export { invalidPointersFailure } from './commands/status.js';
export { verifyFailure } from './commands/verify.js';
export { mergeFailure } from './results/mergeResult.js';

/**
 * Repository and configuration.
 * @example
 * const repo = await openRepo(cwd); // NotARepoError until `cairn init` has run
 * const { remotes, remote } = repo.config;
 */
export { openRepo, type Repo, type OpenRepoOptions } from './repo/repo.js';
export { loadConfig, defaultConfig, type CairnConfig, type RemoteConfig } from './config/config.js';
export { configGet, configSet, configEntries, parseValue } from './config/edit.js';
export type { Progress } from './progress.js';
export { silentProgress } from './progress.js';

/**
 * Setup: `cairn init`, `cairn hooks`, and the merge driver git calls for pointer files.
 * @example
 * await initRepository(cwd);
 */
export { initRepository, installRepositoryHooks, uninstallRepositoryHooks } from './commands/setup.js';
export type { InitResult } from './artifacts/init.js';
export type { HooksResult } from './hooks/hooks.js';
export { runHook, type HookRun } from './commands/hookRun.js';
export { runMergeDriver, type MergeDriverOptions, type MergeDriverResult } from './commands/mergeDriver.js';

/**
 * Artifacts in the workspace.
 * @example
 * await checkout(repo, { cwd, paths: ['data'] });
 * const report = await verify(repo);
 * if (!report.ok) throw verifyFailure(report);
 */
export { addArtifacts, type AddOptions, type AddedArtifact } from './artifacts/add.js';
export { status, type StatusOptions, type ArtifactStatusWithRemote } from './commands/status.js';
export type { ArtifactStatus } from './artifacts/inspect.js';
export type { InvalidPointer } from './artifacts/workspace.js';
export type { ArtifactState } from './artifacts/state.js';
export { checkout, type CheckoutOptions, type CheckoutResult } from './artifacts/checkout.js';
export { untrack, type UntrackOptions, type UntrackResult } from './artifacts/untrack.js';
export { verify, type VerifyResult } from './commands/verify.js';

/**
 * Remotes and transfers.
 * @example
 * await addRemote(repo, { name: 'store', url: 's3://my-bucket/cairn', makeDefault: true });
 * const pushed = await push(repo, { allTags: true });
 */
export { addRemote, listRemotes, removeRemote, type AddRemoteOptions, type RemoteInfo } from './remote/remotes.js';
export { push, type PushOptions, type PushResult } from './commands/push.js';
export { fetch, type TransferOptions, type FetchResult } from './commands/fetch.js';
export { pull, type PullOptions } from './commands/pull.js';

/**
 * Garbage collection, and the merge backups it keeps.
 * @example
 * const dry = await gc(repo); // a dry run: dry.unreferenced lists what --yes would delete
 */
export { gc, type GcOptions, type GcResult } from './commands/gc.js';
/** Merge backups pinned in the cache (gc keeps them until dropped). */
export { listPins, dropPins, type Pin } from './store/pins.js';

/**
 * Experiments: versions, metric-bearing tags, and runs.
 * @example
 * const { next } = await nextExperimentVersion(cwd); // e.g. 'e0.3.0'
 * const tagged = await tagExperiment(repo, { cwd, db: 'results.db', metric: 'f1', message: 'baseline' });
 * const experiments = await listExperiments(cwd);
 */
export {
  listExperiments,
  nextExperimentVersion,
  type Experiment,
  type ListExperimentsOptions,
  type NextVersion,
  type NextVersionOptions,
} from './experiments/list.js';
export { tagExperiment, type TagOptions, type TagResult, type TagResultsSource } from './commands/tag.js';
export type { TableChoiceReason } from './results/resultsTable.js';
export { BUMP_KINDS, type BumpKind } from './versions/version.js';
export { runExperiment, type RunOptions, type RunResult, type RunStart, type RecoveredRun } from './commands/run.js';
export { reproduceExperiment, type ReproduceOptions, type ReproduceResult, type MetricComparison } from './commands/reproduce.js';

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
export { exploreCheckout, type ExploreCheckoutResult } from './commands/exploreCheckout.js';
export { exploreWorktrees, type ExplorationEntry } from './commands/exploreWorktrees.js';
export { exploreCleanup } from './commands/exploreCleanup.js';

/**
 * Explore: experiments of the past, read from git and the cache without touching the workspace.
 * @example
 * const diff = await exploreDiff(repo, 'e0.1.0', 'e0.2.0');
 * await exploreGet(repo, { cwd, version: 'e0.1.0', path: 'results.db', out: 'results-e0.1.0.db' });
 */
export { exploreList, type ExploreListing, type ExploreListOptions } from './commands/exploreList.js';
export { exploreShow, type ShownExperiment, type ArtifactAt } from './commands/exploreShow.js';
export { exploreDiff } from './commands/exploreDiff.js';
export { compareWithWorkspace, type WorkspaceDiff } from './commands/compareWorkspace.js';
export type { ExperimentDiff, MetricDelta } from './experiments/diff.js';
export type { ListedExperiment, JoinedRows, ShownRow } from './experiments/shownRow.js';
export { exploreGet, type ExploreGetOptions, type ExploreGetResult } from './commands/exploreGet.js';
export { lineage, type LineageResult, type LineageHit } from './commands/exploreLineage.js';

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
export type { Provenance, ResultsUsed, Candidate } from './models/models.js';

/**
 * Results: merging results tables across experiment branches.
 * @example
 * const merged = await mergeResults({ cwd, target: 'results.db', sources: ['exp/cnn:results.db'] });
 * if (merged.refused) console.error(`not merged: ${merged.refused}`);
 */
export { mergeResults } from './commands/merge.js';
export type { MergeResultsOptions } from './results/merge.js';
export type { MergeResult, MergeTotals, MergeBackup, MergeSourceInfo, TableSummary, ConflictDetail } from './results/mergeResult.js';
export { STRATEGIES, ON_CONFLICT, type MergeStrategy, type OnConflict, type MergeSettings } from './results/mergePlan.js';
export type { FetchObject } from './results/mergeSource.js';
export type { ResultsKind } from './results/database.js';

/**
 * The ui: its read-only server on 127.0.0.1, and the one-file export.
 * @example
 * const server = await startUiServer({ source: { repo, cwd } });
 * console.log(server.url); // http://127.0.0.1:PORT/
 * await exportUi({ repo, cwd }, { out: 'report.html' });
 */
export type { UiSource } from './commands/ui.js';
export { startUiServer, type UiServer, type UiServerOptions } from './ui/server.js';
export { exportUi, type ExportUiOptions, type ExportUiResult } from './ui/export.js';

/** The demo project of `cairn demo`. */
export { writeDemoProject, writeParquet } from './demo/project.js';

/**
 * Formats: the files cairn writes, read and written as cairn does (docs/FORMATS.md).
 * @example
 * const pointer = parsePointer(fs.readFileSync('data/train.parquet.cairn', 'utf8'), 'data/train.parquet.cairn');
 * const bytes = repo.cache.readObject(pointer.hash); // verified against its hash
 */
export { Cache, type LinkType, type StoredObject } from './store/cache.js';
export { hashBytes, isHash } from './store/hash.js';
export { parsePointer, renderPointer, type Pointer, type FilePointer, type DirPointer } from './store/pointer.js';
export { parseManifest, renderManifest, type ManifestEntry } from './store/manifest.js';
export {
  parseTagMessage,
  renderTagMessage,
  type ParsedTagMessage,
  type TagMessageFields,
  type TagValue,
  type TagValues,
  type Trailer,
  type RecordedCommand,
} from './experiments/message.js';
export { shellQuote } from './child.js';
