/**
 * `cairn reproduce VERSION [--tolerance T] [--keep]`: run the command a tag
 * records (Cairn-Command, made by `cairn run`) again, in a fresh exploration
 * worktree at the tag with its artifacts checked out, with the same
 * CAIRN_VERSION, and compare the new best row's metrics with the tag's.
 * The user's workspace is never touched. Combines worktrees, experiments,
 * results and trust: a command.
 *
 * The recorded command is committed data, from a clone that may be hostile:
 * it is read strictly (parseCommand), run without a shell, in the worktree,
 * and only because the user named that tag; `onStart` says what will run
 * before it does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, IntegrityError, NotFoundError, UsageError, type ExitCode } from '../errors.js';
import { openRepo, type Repo } from '../repo/repo.js';
import { unsafePathReason } from '../trust/pathNames.js';
import { confinedFile } from '../trust/confine.js';
import { runChild, scriptArguments } from '../child.js';
import type { Progress } from '../progress.js';
import { findExperiment } from '../experiments/findExperiment.js';
import { TRAILER, formatFloat32, type TagValue } from '../experiments/message.js';
import { readVersionRows, type VersionRows } from '../results/versionRows.js';
import { float32Columns, summarizeResults } from '../experiments/tagPlan.js';
import { parseExperimentTag } from '../versions/version.js';
import { exploreCheckout } from './exploreCheckout.js';
import { exploreCleanup } from './exploreCleanup.js';
import { exploreWorktrees } from './exploreWorktrees.js';

/** Options of {@link reproduceExperiment}. */
export interface ReproduceOptions {
  version: string;
  /** Largest relative difference (|new − old| / |old|; absolute when old is 0) still counted as reproduced (default 0: exact). */
  tolerance?: number;
  /** Keep the exploration worktree afterwards. */
  keep?: boolean;
  /** Send the command's stdout to stderr (for --json). */
  stdoutToStderr?: boolean;
  /** Called just before the recorded command runs: what runs, and where. */
  onStart?: (start: { argv: string[]; dir: string; version: string }) => void;
  progress?: Progress;
}

/** One metric of the tag against the new run. */
export interface MetricComparison {
  name: string;
  old: TagValue;
  /** The new best row's value, or null when it has none. */
  new: TagValue | null;
  /** |new − old| (numbers only). */
  absolute: number | null;
  /** |new − old| / |old| (numbers only; null when old is 0). */
  relative: number | null;
  within: boolean;
}

/** The result document of `cairn reproduce`. */
export interface ReproduceResult {
  version: string;
  commit: string;
  /** `reproduced`: every metric within the tolerance; `differs`: one is not, or no new row; `failed`: the command failed. */
  status: 'reproduced' | 'differs' | 'failed';
  /** 0, 9 (differs), or the command's own status when it failed. */
  exitCode: number;
  argv: string[];
  workdir: string;
  /** The exploration worktree it ran in (removed unless kept). */
  worktree: string;
  kept: boolean;
  exit: number | null;
  signal: NodeJS.Signals | null;
  duration: number;
  /** What the tag recorded for the original run. */
  recorded: { duration?: number; dirty?: boolean };
  tolerance: number;
  /** Rows of the version the new run wrote. */
  rows: number;
  metrics: MetricComparison[];
  /** The new best row's run id, metrics and params. */
  run?: string;
  notes: string[];
}

const NOT_REPRODUCED: ExitCode = 9;

/** Check a tolerance given by the user. */
export function checkTolerance(value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(`--tolerance must be a number ≥ 0, got ${String(value)}`, { hint: 'e.g. --tolerance 0.01 for 1% (relative to the tagged value)' });
  }
  return value;
}

/** Compare a tag's metrics with a new run's. Pure. */
export function compareMetrics(old: Record<string, TagValue>, now: Record<string, TagValue> | null, tolerance: number): MetricComparison[] {
  return Object.entries(old).map(([name, o]) => {
    const n = now && Object.hasOwn(now, name) ? now[name]! : null;
    if (typeof o === 'number' && typeof n === 'number') {
      const absolute = Math.abs(n - o);
      const relative = o === 0 ? null : absolute / Math.abs(o);
      const same = Object.is(n, o) || n === o || (Number.isNaN(n) && Number.isNaN(o));
      const within = same || (relative !== null ? relative <= tolerance : absolute <= tolerance);
      return { name, old: o, new: n, absolute: same ? 0 : absolute, relative: same ? 0 : relative, within };
    }
    return { name, old: o, new: n, absolute: null, relative: null, within: n !== null && n === o };
  });
}

/** The recorded command of an experiment, read as hostile input. */
function recordedCommand(e: Awaited<ReturnType<typeof findExperiment>>): { argv: string[]; workdir: string } {
  if (!e.command) {
    const malformed = (e.otherTrailers ?? []).find((t) => t.key.toLowerCase() === TRAILER.command.toLowerCase());
    if (malformed) {
      throw new IntegrityError(`the ${TRAILER.command} trailer of ${e.tag} is not a command line cairn can run`, {
        hint: `it must be a JSON array of strings; see it with git cat-file tag ${e.tag}`,
        data: { version: e.tag },
      });
    }
    throw new NotFoundError(`${e.tag} has no recorded command: it was not made by cairn run`, {
      hint: 'only experiments made with cairn run -- CMD can be reproduced; re-run that experiment with cairn run',
      data: { version: e.tag, reason: 'no-command' },
    });
  }
  const workdir = e.workdir ?? '.';
  const why = workdir === '.' ? null : unsafePathReason(workdir);
  if (why) {
    throw new IntegrityError(`the ${TRAILER.workdir} of ${e.tag} is unsafe: ${JSON.stringify(workdir)} ${why.replace(/^it /, '')}`, {
      hint: 'the tag was not written by cairn run; do not reproduce it',
      data: { version: e.tag },
    });
  }
  return { argv: e.command, workdir };
}

/** `file#table` of a Cairn-Results trailer, confined to the worktree. */
function resultsSource(results: string, dir: string, tag: string): { file: string; table: string } {
  const hash = results.lastIndexOf('#');
  const [rel, table] = hash > 0 ? [results.slice(0, hash), results.slice(hash + 1)] : [results, ''];
  const why = unsafePathReason(rel);
  if (why || table === '') {
    throw new IntegrityError(`the ${TRAILER.results} of ${tag} is not a results table inside the repository: ${JSON.stringify(results)}`, {
      hint: 'the tag was not written by cairn; its metrics cannot be compared',
      data: { version: tag },
    });
  }
  return { file: confinedFile(dir, rel, 'read the results database'), table };
}

/** Canonical text of a row, to tell new rows from the ones the tag's database had. */
function rowKey(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => {
        const v = row[k];
        return [k, typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v];
      }),
  );
}

/** Reproduce an experiment: see the module comment. */
export async function reproduceExperiment(repo: Repo, options: ReproduceOptions): Promise<ReproduceResult> {
  const tolerance = checkTolerance(options.tolerance ?? 0);
  const version = options.version;
  const e = await findExperiment(repo, version);
  if (e.tag !== version || !e.annotated) {
    throw new NotFoundError(`${JSON.stringify(version)} is not an experiment tag`, { hint: 'cairn tags lists the experiments', data: { version } });
  }
  const { argv, workdir } = recordedCommand(e);
  if ((await exploreWorktrees(repo)).some((w) => w.version === version && w.present)) {
    throw new AlreadyExistsError(`an exploration worktree of ${version} exists already; reproduce runs in a fresh one`, {
      hint: `copy out what you need, then cairn explore cleanup ${version}, and run cairn reproduce again`,
    });
  }
  const co = await exploreCheckout(repo, version, options.progress);
  const notes: string[] = [];
  const kept = Boolean(options.keep);
  try {
    const wt = await openRepo(co.path);
    const dir = path.join(co.path, workdir);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new NotFoundError(`the folder the command ran in, ${workdir}, is not in ${version}`, {
        hint: 'it was not committed; the experiment cannot be reproduced as recorded',
      });
    }
    // A script the command names must be in the tagged commit (an uncommitted script is the usual reason it is not).
    const missing = scriptArguments(argv).filter((a) => !fs.existsSync(path.join(dir, a)));
    if (missing.length) {
      throw new NotFoundError(
        `the recorded command names ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in ${version} (${workdir === '.' ? 'at the root' : `in ${workdir}`})`,
        {
          hint: 'a file the command needs was not committed when it ran; commit it, then record a new experiment with cairn run',
          data: { version, missing },
        },
      );
    }
    const source = e.results ? resultsSource(e.results, co.path, version) : null;
    const metric = wt.config.metrics.primary ?? Object.keys(e.metrics)[0];
    const minimize = wt.config.metrics.minimize;
    const read = async (): Promise<VersionRows | null> => {
      if (!source || !fs.existsSync(source.file)) return null;
      return readVersionRows(source.file, {
        version,
        ...(() => {
          const parsed = parseExperimentTag(version, wt.config.versions.prefix);
          return parsed?.kind === 'semver' ? { aliases: [parsed.version] } : {};
        })(),
        table: source.table,
        ...(metric !== undefined ? { metric } : {}),
        versionColumns: wt.config.results.versionColumns,
        runColumns: wt.config.results.runColumns,
      });
    };
    const signature = (): string | null => {
      const st = source ? fs.statSync(source.file, { throwIfNoEntry: false }) : undefined;
      return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : null;
    };
    const before = await read().catch(() => null);
    const beforeSignature = signature();
    // A multiset: a row logged again with the very same values is still a new row.
    const known = new Map<string, number>();
    for (const r of before?.rows ?? []) known.set(rowKey(r), (known.get(rowKey(r)) ?? 0) + 1);
    options.onStart?.({ argv, dir, version });
    const outcome = await runChild(argv, { cwd: dir, env: { CAIRN_VERSION: version, CAIRN_ROOT: co.path }, stdoutToStderr: Boolean(options.stdoutToStderr) });
    const base = {
      version,
      commit: e.commit,
      argv,
      workdir,
      worktree: co.path,
      exit: outcome.exit,
      signal: outcome.signal,
      duration: outcome.seconds,
      recorded: { ...(e.duration !== undefined ? { duration: e.duration } : {}), ...(e.dirty !== undefined ? { dirty: e.dirty } : {}) },
      tolerance,
    };
    if (e.dirty) notes.push(`${version} was recorded from a dirty tree (Cairn-Dirty: true): the code that ran may differ from the commit`);
    if (outcome.status !== 0) {
      notes.push(`the command ${outcome.signal ? `was ended by ${outcome.signal}` : `exited ${outcome.exit}`}`);
      return { ...base, kept, status: 'failed', exitCode: outcome.status, rows: 0, metrics: compareMetrics(e.metrics, null, tolerance), notes };
    }
    if (!source) {
      notes.push(`${version} records no results table: the command ran and exited 0, and there are no metrics to compare`);
      return { ...base, kept, status: 'reproduced', exitCode: 0, rows: 0, metrics: [], notes };
    }
    const after = await read();
    let fresh = (after?.rows ?? []).filter((r) => {
      const left = known.get(rowKey(r)) ?? 0;
      if (left > 0) known.set(rowKey(r), left - 1);
      return left === 0;
    });
    if (fresh.length === 0 && after && after.rows.length > 0 && signature() !== beforeSignature) {
      // The same rows, but the file was written: a script that recreates its database with fixed timestamps.
      notes.push(`the command rewrote ${e.results} with the same rows of ${version}: they are taken as the new run's`);
      fresh = after.rows;
    }
    if (!after || fresh.length === 0) {
      notes.push(`the command wrote no rows of ${version} to ${e.results}`);
      return { ...base, kept, status: 'differs', exitCode: NOT_REPRODUCED, rows: 0, metrics: compareMetrics(e.metrics, null, tolerance), notes };
    }
    const summary = summarizeResults(
      { ...after, rows: fresh },
      {
        tag: version,
        ...(metric !== undefined ? { metric } : {}),
        minimize,
        rules: {
          versionColumns: wt.config.results.versionColumns,
          runColumns: wt.config.results.runColumns,
          bookkeepingColumns: wt.config.results.bookkeepingColumns,
          ...(wt.config.metrics.names ? { metricNames: wt.config.metrics.names } : {}),
        },
      },
    );
    // Numbers as the tag would have written them (a FLOAT column's 0.89 is 0.89, not 0.8899999856948853).
    const float32 = float32Columns(after);
    for (const [k, v] of Object.entries(summary.metrics)) if (typeof v === 'number' && float32.has(k)) summary.metrics[k] = Number(formatFloat32(v));
    const metrics = compareMetrics(e.metrics, summary.metrics, tolerance);
    const ok = metrics.every((m) => m.within);
    return {
      ...base,
      kept,
      status: ok ? 'reproduced' : 'differs',
      exitCode: ok ? 0 : NOT_REPRODUCED,
      rows: fresh.length,
      metrics,
      ...(summary.run !== undefined ? { run: summary.run } : {}),
      notes,
    };
  } finally {
    // The worktree holds nothing of the user's: only what the command wrote there.
    if (!options.keep) await exploreCleanup(repo, version, { force: true });
  }
}
