/**
 * `cairn merge`: bring the rows of other results files (or of files as
 * committed at other revisions) into a target without losing or
 * duplicating a row. A SQLite target is merged in place, inside one
 * transaction on the file itself, so that other connections (a training run
 * still logging) keep working; everything else happens on a private copy
 * beside the output, published by one rename. On any error or refusal the
 * target is left as it was, and sources are only ever read.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlreadyExistsError, CairnError, NotARepoError, NotFoundError, toCairnError, UsageError, IntegrityError } from '../errors.js';
import { fsyncDir, publishFile, sweepStaleTemps, tempPathBeside } from '../durable/atomicWrite.js';
import { processAlive } from '../durable/atomicWrite.js';
import { lockShared, withLock } from '../durable/lock.js';
import { pinId, pinObject } from '../store/pins.js';
import { defaultConfig } from '../config/config.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { silentProgress, type Progress } from '../progress.js';
import { detectKind, extensionRefused } from './database.js';
import { mergeIntoDuckdb } from './duckdbMerge.js';
import { checkSettings, type MergeSettings, type MergeStrategy, type OnConflict } from './mergePlan.js';
import { totalsOf, type MergeBackup, type MergeResult } from './mergeResult.js';
import { resolveSource, type FetchObject, type ResolvedSource } from './mergeSource.js';
import type { EngineJob, EngineOutcome } from './mergeSteps.js';
import { mergeParquet } from './parquetMerge.js';
import { mergeIntoSqlite } from './sqliteMerge.js';
import { guardEngine, lockOutput, type Guard } from './targetGuard.js';
import { loadSqlite } from './sqlite.js';
import { externalAccessError, openDuck } from './duckdb.js';

/** How long a merge waits for another writer of its target by default. */
export const DEFAULT_WAIT_MS = 30_000;

/** What to merge, and how (flags override `merge.*` from config). */
export interface MergeResultsOptions {
  /** The folder paths are relative to (and where the repository is looked for). */
  cwd: string;
  /** The results file merged into. */
  target: string;
  /** Local files, or REV:path (a file as committed at a branch, tag or commit). */
  sources: string[];
  /** Default: merge.strategy from config, else 'merge'. */
  strategy?: MergeStrategy;
  /** What to do with rows of the same identity but other values (default 'fail'). */
  onConflict?: OnConflict;
  /** Merge only these tables (default: merge.tables, else every table). */
  tables?: string[];
  /** Identity columns (default: merge.id, else track_id+timestamp when both exist, else the whole row). */
  id?: string[];
  /** Rebase key columns (default: merge.key, else `version`). */
  key?: string[];
  /** Confirm a rebase. Without it a rebase only reports what it would do. */
  yes?: boolean;
  /** Write the result here instead of over the target (the target is then only read). */
  output?: string;
  /** How long to wait for another writer of the target, in ms. */
  waitMs?: number;
  /** The repository, for REV:path sources, merge.* defaults and backups. Found from cwd when undefined; null for none. */
  repo?: Repo | null;
  /** Brings a missing object into the cache (src/commands/merge.ts passes the default remote's); without it, a REV:path the cache lacks is not found. */
  fetchObject?: FetchObject;
  /** Work everything out and report it, but write nothing (`applied` stays false). */
  dryRun?: boolean;
  /** Let `output` replace a file that already exists (never needed for the target itself). */
  force?: boolean;
  progress?: Progress;
}

/** The repository around `cwd`, or null when there is none. */
export async function findRepo(cwd: string): Promise<Repo | null> {
  try {
    return await openRepo(cwd);
  } catch (err) {
    if (err instanceof NotARepoError) return null;
    throw err;
  }
}

function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list && list.length ? list : undefined;
}

/** Combine flags with `merge.*` from config (flags win). */
export function mergeSettings(options: MergeResultsOptions, config = defaultConfig().merge): MergeSettings {
  return checkSettings({
    strategy: options.strategy ?? config.strategy,
    onConflict: options.onConflict ?? 'fail',
    tables: nonEmpty(options.tables) ?? nonEmpty(config.tables),
    id: nonEmpty(options.id) ?? nonEmpty(config.id),
    key: nonEmpty(options.key) ?? config.key,
  });
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function checkPaths(target: string, output: string, sources: readonly ResolvedSource[]): void {
  const t = realpath(target);
  const o = realpath(output);
  for (const s of sources) {
    if (s.rev !== undefined) continue;
    const real = realpath(s.file);
    if (real === t) {
      throw new UsageError(`source ${s.spec} is the target itself`, {
        hint: 'name another file, or the target as committed elsewhere (REV:path)',
      });
    }
    if (real === o) throw new UsageError(`source ${s.spec} is the output file`, { hint: 'choose another -o OUT: sources are never written' });
  }
  if (fs.existsSync(output) && fs.statSync(output).isDirectory()) {
    throw new UsageError(`${output} is a folder`, { hint: 'give -o a file name' });
  }
  if (!fs.existsSync(path.dirname(output))) {
    throw new NotFoundError(`no such folder: ${path.dirname(output)}`, { hint: 'create it first, or choose another -o OUT' });
  }
}

/**
 * Copy the target without closing a descriptor of it in this process:
 * closing any descriptor of a file drops all of the process's POSIX locks
 * on it, SQLite's included. `cp` (another process) copies in the kernel;
 * without it, the descriptor opened before the engine lock is read.
 */
function copyTarget(target: string, fd: number, dest: string): void {
  const cp = spawnSync('cp', ['--reflink=auto', '--', target, dest], { stdio: 'ignore' });
  if (cp.status === 0) return;
  fs.rmSync(dest, { force: true });
  copyFrom(fd, dest);
}

function copyFrom(fd: number, dest: string): void {
  const mode = fs.fstatSync(fd).mode & 0o777;
  const out = fs.openSync(dest, 'wx', mode | 0o200);
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    for (let pos = 0; ;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      fs.writeSync(out, buf, 0, n);
      pos += n;
    }
  } finally {
    fs.closeSync(out);
  }
}

function removeTemp(tmp: string): void {
  for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`, `${tmp}.wal`]) fs.rmSync(f, { force: true });
}

/**
 * Keep the target's bytes before a merge that deletes or overwrites rows:
 * in the cairn cache when there is a repository (one object, named by its
 * hash, shared with the committed artifact when it is one, and pinned so
 * that gc keeps it until `cairn backup drop`), else as a file beside the
 * target. `bytes` holds them: the target itself (the copy merged is
 * another file), or a copy made before an in-place merge wrote anything,
 * which is then moved or removed. The shared lock keeps a gc in another
 * worktree from deleting the object between its store and its pin.
 */
async function keepPriorState(target: string, bytes: string, repo: Repo | null, strategy: MergeStrategy): Promise<MergeBackup> {
  const copy = bytes !== target;
  if (repo) {
    const kept = await withLock(lockShared(repo.cache.locksDir, { command: 'cairn merge' }), async () => {
      const { hash, size } = await repo.cache.storeFile(bytes);
      pinObject(repo.cache.dir, { hash, kind: 'merge-backup', target, strategy, size });
      return { path: repo.cache.objectPath(hash), hash, pinned: pinId(hash) };
    });
    if (copy) fs.rmSync(bytes, { force: true });
    return kept;
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const backup = path.join(path.dirname(target), `${path.basename(target)}.before-${strategy}-${stamp}`);
  if (copy) publishFile(bytes, backup);
  else fs.linkSync(target, backup);
  fsyncDir(path.dirname(backup));
  return { path: backup };
}

/**
 * The target's current state in a new file beside it, taken while the
 * merge holds the write lock and before it writes. Another process copies
 * the bytes (closing a descriptor of the target in this process would drop
 * SQLite's locks on it); in WAL mode, where the file alone misses the
 * committed rows still in the log, a second connection writes a copy with
 * VACUUM INTO.
 */
async function snapshotTarget(file: string, journalMode: string): Promise<string> {
  const dest = tempPathBeside(file);
  if (journalMode !== 'wal') {
    const cp = spawnSync('cp', ['--', file, dest], { stdio: 'ignore' });
    if (cp.status === 0) return dest;
    fs.rmSync(dest, { force: true });
  }
  const Database = await loadSqlite();
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  try {
    reader.prepare('VACUUM INTO ?').run(dest);
  } finally {
    reader.close();
  }
  return dest;
}

const ENGINE_REFUSAL = /^(Conversion|Constraint|Invalid Input|Out of Range|Mismatch Type) Error/;

/** Errors of the engines that mean "the data does not fit", as opposed to bugs. */
function translate(err: unknown, target: string): CairnError {
  if (err instanceof CairnError) return err;
  const refused = externalAccessError(err, target) ?? extensionRefused(err, target);
  if (refused)
    return new IntegrityError(`the merge failed: ${refused.message}; ${target} is unchanged`, { hint: refused.hint, data: refused.data, cause: err });
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.name === 'SqliteError' || (typeof e?.message === 'string' && ENGINE_REFUSAL.test(e.message))) {
    return new CairnError(`the merge failed: ${e.message}; ${target} is unchanged`, {
      hint: 'a source holds values the target cannot take (a type or a constraint the target enforces): fix them, or merge into a new file with -o OUT',
      cause: err,
    });
  }
  return toCairnError(err);
}

/** An empty database of `kind` (the starting point when the target does not exist yet). */
async function emptyDatabase(file: string, kind: 'sqlite' | 'duckdb'): Promise<string> {
  if (kind === 'sqlite') {
    const Database = await loadSqlite();
    const db = new Database(file);
    db.exec('CREATE TABLE cairn_empty (x); DROP TABLE cairn_empty;'); // writes the header, so the file is a database
    db.close();
  } else {
    const handle = await openDuck(file);
    handle.close();
  }
  return file;
}

/** Scratch folders of merges whose process is gone. */
function sweepStaleScratch(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^cairn-merge-(\d+)-/.exec(name)?.[1]);
    if (pid && !processAlive(pid)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Merge `sources` into `target` (see docs/COMMANDS.md, "Results"). Resolves to a
 * result whose `applied` says whether anything was written: a merge with
 * conflicts (and --on-conflict fail) or a rebase without `yes` writes
 * nothing and says why in `refused` (mergeFailure turns that into an error).
 */
export async function mergeResults(options: MergeResultsOptions): Promise<MergeResult> {
  const { cwd } = options;
  if (!options.sources.length) throw new UsageError('name at least one source to merge', { hint: 'cairn merge <target> <source>...' });
  const repo = options.repo !== undefined ? options.repo : await findRepo(cwd);
  const settings = mergeSettings(options, repo?.config.merge);
  const named = path.resolve(cwd, options.target);
  // A symlinked target is merged into the file it names; the link stays a link.
  const output = options.output ? path.resolve(cwd, options.output) : realpath(named);
  if (options.output && realpath(output) !== realpath(named) && fs.existsSync(output) && !options.force) {
    throw new AlreadyExistsError(`${output} already exists`, { hint: 'pass --force to replace it, or choose another -o OUT' });
  }
  // A target that does not exist yet is created: the merge starts from an empty database.
  const creating = !fs.existsSync(named);
  let target = creating ? named : realpath(named);
  let kind = creating ? null : detectKind(named);
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const progress = options.progress ?? silentProgress;

  sweepStaleScratch();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `cairn-merge-${process.pid}-`));
  const guards: Guard[] = [];
  let fd: number | null = null;
  let tmp: string | null = null;
  try {
    const sources: ResolvedSource[] = [];
    for (const spec of options.sources) sources.push(await resolveSource(spec, { cwd, repo, scratch, fetchObject: options.fetchObject }));
    if (creating) {
      kind = sources[0]!.kind;
      if (kind === 'parquet') {
        throw new NotFoundError(`no such results file: ${named}`, {
          hint: `to start a parquet file, copy one source to it (cp ${options.sources[0]} ${options.target})`,
        });
      }
      target = await emptyDatabase(path.join(scratch, 'empty'), kind);
    }
    if (!creating) checkPaths(target, output, sources);
    if (!kind) throw new NotFoundError(`no such results file: ${named}`, { hint: 'check the path' });

    guards.push(await lockOutput(output, waitMs));
    sweepStaleTemps(path.dirname(output)); // copies left by a merge that was killed
    const jobSources = sources.map((s) => ({ label: s.spec, file: s.file, kind: s.kind }));
    if (kind === 'sqlite' && !creating && output === target) {
      return await mergeInPlace(options, { named, target, sources, jobSources, settings, scratch, waitMs, repo, progress });
    }
    fd = fs.openSync(target, 'r');
    guards.push(await guardEngine(target, kind, waitMs));
    tmp = tempPathBeside(output);
    if (kind !== 'parquet') copyTarget(target, fd, tmp);
    const job: EngineJob = { file: tmp, target, sources: jobSources, settings, scratch };
    progress.start('merging', sources.length, 'sources');
    const engine = kind === 'sqlite' ? mergeIntoSqlite : kind === 'duckdb' ? mergeIntoDuckdb : mergeParquet;
    const outcome: EngineOutcome = await engine(job);
    progress.stop();

    const result = resultOf(named, options.output ? output : named, kind, settings, sources, outcome);
    decideRefusal(result, options);
    if (result.refused || options.dryRun) return result;

    if (output === target && result.totals.deleted + result.totals.replaced > 0) result.backup = await keepPriorState(target, target, repo, settings.strategy);
    publishFile(tmp, output);
    tmp = null;
    result.applied = true;
    return result;
  } catch (err) {
    throw translate(err, options.target);
  } finally {
    progress.stop();
    if (tmp) removeTemp(tmp);
    for (const guard of guards.reverse()) guard.release();
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function resultOf(
  named: string,
  output: string,
  kind: MergeResult['kind'],
  settings: MergeSettings,
  sources: readonly ResolvedSource[],
  outcome: EngineOutcome,
): MergeResult {
  return {
    target: named,
    output,
    kind,
    strategy: settings.strategy,
    onConflict: settings.onConflict,
    applied: false,
    refused: null,
    sources: sources.map((s) => ({ spec: s.spec, kind: s.kind, file: s.rev !== undefined ? s.path! : s.file, rev: s.rev, hash: s.hash })),
    tables: outcome.tables,
    totals: totalsOf(outcome.tables),
    conflicts: outcome.conflicts,
    conflictsOmitted: outcome.conflictsOmitted,
    backup: null,
  };
}

/** A rebase waits for --yes; conflicts refuse the merge unless --on-conflict says what to do. */
function decideRefusal(result: MergeResult, options: MergeResultsOptions): void {
  if (result.strategy === 'rebase' && !options.yes) result.refused = 'confirmation';
  else if (result.onConflict === 'fail' && result.totals.conflicts > 0) result.refused = 'conflicts';
}

interface InPlaceJob {
  named: string;
  target: string;
  sources: ResolvedSource[];
  jobSources: EngineJob['sources'];
  settings: MergeSettings;
  scratch: string;
  waitMs: number;
  repo: Repo | null;
  progress: Progress;
}

/**
 * Merge into a SQLite target itself, inside one transaction on it: the
 * engine takes the write lock (BEGIN IMMEDIATE; other connections keep
 * reading, writers wait), merges, and commits only when the merge is
 * neither refused nor a dry run. A merge that may delete or overwrite rows
 * copies the target first, under that lock, and keeps the copy as the
 * prior state when it does.
 */
async function mergeInPlace(options: MergeResultsOptions, job: InPlaceJob): Promise<MergeResult> {
  const { settings } = job;
  const destructive = !options.dryRun && (settings.strategy === 'rebase' ? Boolean(options.yes) : settings.onConflict === 'replace');
  let snapshot = null as string | null;
  let result = null as MergeResult | null;
  try {
    job.progress.start('merging', job.sources.length, 'sources');
    await mergeIntoSqlite({
      file: job.target,
      sources: job.jobSources,
      settings,
      scratch: job.scratch,
      inPlace: {
        waitMs: job.waitMs,
        beforeWrite: async (journalMode) => {
          if (destructive) snapshot = await snapshotTarget(job.target, journalMode);
        },
        decide: async (outcome) => {
          result = resultOf(job.named, job.named, 'sqlite', settings, job.sources, outcome);
          decideRefusal(result, options);
          if (result.refused || options.dryRun) return false;
          if (snapshot && result.totals.deleted + result.totals.replaced > 0) {
            // Kept before the commit: once the commit is done, the prior state is already safe.
            result.backup = await keepPriorState(job.target, snapshot, job.repo, settings.strategy);
            snapshot = null;
          }
          return true;
        },
      },
    });
    job.progress.stop();
    const done = result;
    if (!done) throw new Error('the merge engine finished without a result'); // unreachable: decide always runs
    done.applied = !done.refused && !options.dryRun;
    return done;
  } finally {
    if (snapshot) fs.rmSync(snapshot, { force: true });
  }
}
