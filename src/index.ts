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

// Repository and configuration
export { openRepo, type Repo, type OpenRepoOptions } from './repo/repo.js';
export { loadConfig, defaultConfig, type CairnConfig, type RemoteConfig } from './config/config.js';

// The object store and its formats
export { Cache, type LinkType, type StoredObject } from './store/cache.js';
export { hashBytes, isHash } from './store/hash.js';
export { parsePointer, renderPointer, type Pointer, type FilePointer, type DirPointer } from './store/pointer.js';
export { parseManifest, renderManifest, type ManifestEntry } from './store/manifest.js';

// Artifacts in the workspace
export { init, type InitResult } from './artifacts/init.js';
export { addArtifacts, type AddOptions, type AddedArtifact } from './artifacts/add.js';
export { status, type StatusOptions } from './artifacts/status.js';
export type { ArtifactStatus } from './artifacts/inspect.js';
export type { ArtifactState } from './artifacts/state.js';
export { checkout, type CheckoutOptions, type CheckoutResult } from './artifacts/checkout.js';
export { untrack, type UntrackOptions, type UntrackResult } from './artifacts/untrack.js';
export { verify, verifyFailure, type VerifyResult } from './artifacts/verify.js';

// Remotes and transfers
export { addRemote, listRemotes, removeRemote, type AddRemoteOptions, type RemoteInfo } from './remote/remotes.js';
export { openRemote, parseRemoteUrl, type RemoteStore, type RemoteUrl } from './remote/remote.js';
export { push, fetch, pull, type TransferOptions, type PushResult, type FetchResult, type PullOptions } from './remote/transfer.js';
export type { ArtifactStatusWithRemote } from './artifacts/status.js';

// Garbage collection and git hooks
export { gc, listWorktrees, type GcOptions, type GcResult, type WorktreeInfo } from './gc/gc.js';
export { installHooks, uninstallHooks, runHook, HOOK_NAMES, type HooksResult, type HookRun } from './hooks/hooks.js';

// Worktrees
export {
  newWorktree,
  listExperimentWorktrees,
  removeWorktree,
  invalidNameReason,
  type NewWorktreeOptions,
  type NewWorktreeResult,
  type WorktreeEntry,
  type RemoveWorktreeOptions,
  type RemoveWorktreeResult,
} from './worktrees/worktrees.js';
export { exploreCheckout, exploreWorktrees, exploreCleanup, type ExploreCheckoutResult, type ExplorationEntry } from './worktrees/exploration.js';

// Models
export {
  modelAdd,
  modelPromote,
  modelPrune,
  modelList,
  checkRunId,
  type ModelAddOptions,
  type ModelPromoteOptions,
  type ModelPruneOptions,
  type Provenance,
  type PruneResult,
  type ModelList,
  type Candidate,
} from './models/models.js';
export { rankRuns, type RankedRun } from './models/ranking.js';

// Explore
export { exploreGet, resolveVersion, type ExploreGetOptions, type ExploreGetResult } from './explore/get.js';
export { lineage, type LineageResult, type LineageHit } from './explore/lineage.js';
export {
  exploreList,
  exploreShow,
  exploreDiff,
  diffExperiments,
  artifactsAt,
  type ListedExperiment,
  type ExploreListOptions,
  type ShownExperiment,
  type ArtifactAt,
  type ExperimentDiff,
  type MetricDelta,
} from './explore/history.js';

// The demo
export { runDemo, type DemoOptions, type DemoResult } from './demo/demo.js';

// Experiments: versions and metric-bearing tags
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
} from './experiments/row.js';
export { readVersionRows, type VersionRows, type VersionRowsOptions } from './experiments/results.js';
export {
  listExperiments,
  nextExperimentVersion,
  type Experiment,
  type ListExperimentsOptions,
  type NextVersion,
  type NextVersionOptions,
} from './experiments/list.js';
export {
  chooseTagName,
  dirtyRefusal,
  summarizeResults,
  tagExperiment,
  type TagNameChoice,
  type TagOptions,
  type TagResult,
  type TagResultsSource,
} from './experiments/tag.js';

// Results: merging results tables across experiment branches
export {
  mergeResults,
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
