/**
 * `cairn run [-m MSG] [--bump B] [--as VERSION] [--allow-dirty] [--no-tag] -- CMD [ARGS...]`:
 * from a command to a tagged experiment in one step. The version comes from
 * `next`'s rules (`exp-NAME-vN` on an experiment worktree's branch), the
 * command runs with CAIRN_VERSION and CAIRN_ROOT, and on success the declared
 * outputs are added (`add`), committed, and tagged with the best results row
 * (`tag`), the command line, exit status, duration and dirty state in trailers.
 * Combines artifacts, experiments, versions and git: a command.
 *
 * Interruption. A journal, `<git dir>/cairn/run.json`, says what a run is
 * doing: `running` (the command may still be running) or `recording` (the
 * command succeeded; adding, committing, tagging). Git makes each step
 * atomic (`git commit` moves HEAD in one ref update, `git tag` creates the
 * tag in one), so a kill -9 leaves at most: outputs added but not committed,
 * or a commit without its tag. The next `cairn run` reads the journal first:
 * a `recording` run is finished (add again, commit if HEAD has not got the
 * commit yet, tag if the tag is missing: each step idempotent); a `running`
 * run is dropped (nothing of it was added or committed; its outputs stay as
 * it left them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError, UsageError, CairnError, AlreadyExistsError } from '../errors.js';
import {
  commitParentsAndMessage,
  commitPaths,
  currentBranch,
  forEachRef,
  lsFiles,
  resolveCommit,
  restoreFromHead,
  stagedDiffers,
  tagTarget,
  trackedChanges,
} from '../git/git.js';
import { repoRelative, toPosix, type Repo } from '../repo/repo.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { lockExclusive, type Lock } from '../durable/lock.js';
import { pointerPathOf } from '../store/pointer.js';
import { processRunning, processStart, runChild, scriptArguments, shellQuote, type ChildOutcome } from '../child.js';
import type { Progress } from '../progress.js';
import { addArtifacts } from '../artifacts/add.js';
import { ignoreFileOf } from '../artifacts/gitignore.js';
import { status } from '../artifacts/status.js';
import { dirtyRefusal } from '../experiments/tagPlan.js';
import { tagExperiment, type TagResult } from './tag.js';
import { oneLine, renderTagMessage, type RecordedCommand } from '../experiments/message.js';
import { checkPrefix, nextVersion, nextWorktreeTag, parseExperimentTag, type BumpKind } from '../versions/version.js';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** Where the command runs (and is recorded to run, from the work-tree root). */
  cwd: string;
  /** The command line: the program, then its arguments (no shell). */
  argv: string[];
  /** A description, last in the tag's subject. */
  message?: string;
  /** How to bump the highest version (default minor); not in an experiment worktree. */
  bump?: BumpKind;
  /** The version to create instead of the next one. */
  version?: string;
  /** Run even with uncommitted changes; the tag records Cairn-Dirty: true. */
  allowDirty?: boolean;
  /** Add and commit the outputs, but create no tag. */
  noTag?: boolean;
  /** Send the command's stdout to stderr (for --json). */
  stdoutToStderr?: boolean;
  /** Called once the version is known, just before the command starts. */
  onStart?: (start: RunStart) => void;
  progress?: Progress;
}

/** What is about to run. */
export interface RunStart {
  version: string;
  argv: string[];
  workdir: string;
  outputs: string[];
  /** An interrupted run this one finished or dropped first. */
  recovered?: RecoveredRun;
}

/** What happened to a run a kill interrupted, as the next run found it. */
export interface RecoveredRun {
  version: string;
  /** `finished`: committed and tagged now; `dropped`: its command had not finished, nothing of it was recorded. */
  action: 'finished' | 'dropped';
  commit?: string;
  tag?: string;
}

/** The result document of `cairn run`. */
export interface RunResult {
  /** `tagged` (or `committed` with --no-tag) on success; `failed` when the command failed or a signal ended it. */
  status: 'tagged' | 'committed' | 'failed';
  version: string;
  argv: string[];
  workdir: string;
  /** The command's exit status, or null when a signal ended it. */
  exit: number | null;
  signal: NodeJS.Signals | null;
  /** The status `cairn run` exits with: 0 on success, else the command's (128 + signal number for a signal). */
  exitCode: number;
  duration: number;
  dirty: boolean;
  outputs: string[];
  /** The commit holding the outputs (HEAD when they had not changed). */
  commit?: string;
  /** True when a new commit was made. */
  committed?: boolean;
  tag?: TagResult;
  recovered?: RecoveredRun;
  notes: string[];
}

/** The journal of a run in progress (`<git dir>/cairn/run.json`). */
interface Journal {
  format: 1;
  phase: 'running' | 'recording';
  version: string;
  argv: string[];
  workdir: string;
  outputs: string[];
  /** HEAD when the run started. */
  head: string;
  dirty: boolean;
  noTag: boolean;
  message?: string;
  pid: number;
  childPid?: number;
  /** When the child started (processStart), to tell it from a later process with its pid. */
  childStart?: string | null;
  exit?: number;
  duration?: number;
  /** The commit message of the outputs' commit (set in `recording`). */
  commitMessage?: string;
}

const JOURNAL = 'run.json';

function journalPath(repo: Repo): string {
  return path.join(repo.stateDir, JOURNAL);
}

function writeJournal(repo: Repo, journal: Journal): void {
  fs.mkdirSync(repo.stateDir, { recursive: true });
  writeFileAtomic(journalPath(repo), JSON.stringify(journal, null, 2) + '\n');
}

function dropJournal(repo: Repo): void {
  fs.rmSync(journalPath(repo), { force: true });
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** The journal on file, or null; one that is not a journal is dropped (it is cairn's own file, never the only copy of anything). */
function readJournal(repo: Repo): Journal | null {
  let text: string;
  try {
    text = fs.readFileSync(journalPath(repo), 'utf8');
  } catch {
    return null;
  }
  try {
    const j = JSON.parse(text) as Journal;
    const ok =
      j.format === 1 &&
      (j.phase === 'running' || j.phase === 'recording') &&
      typeof j.version === 'string' &&
      isStrings(j.argv) &&
      typeof j.workdir === 'string' &&
      isStrings(j.outputs) &&
      typeof j.head === 'string' &&
      typeof j.pid === 'number' &&
      (j.phase === 'running' || (typeof j.exit === 'number' && typeof j.duration === 'number' && typeof j.commitMessage === 'string'));
    if (ok) return j;
  } catch {
    // a journal cut short can only be one whose write never finished: atomic writes rule that out, but be safe
  }
  dropJournal(repo);
  return null;
}

/** The outputs `cairn run` adds: `run.outputs`, else `results.db`, else none. */
export function declaredOutputs(repo: Repo): string[] {
  return repo.config.run.outputs ?? (repo.config.results.db !== undefined ? [repo.config.results.db] : []);
}

/**
 * The version a run records: `requested`, else in an experiment worktree
 * (branch `exp/NAME`) the next `exp-NAME-vN`, else the next version of the
 * prefix. Refuses one that is already a tag, naming the next free one.
 */
export function chooseRunVersion(options: { requested?: string; bump?: BumpKind; prefix: string; branch: string | null; existing: readonly string[] }): string {
  const { requested, prefix, branch, existing } = options;
  const experiment = branch?.startsWith('exp/') ? branch.slice('exp/'.length).replace(/\//g, '-') : null;
  const next = (): string =>
    experiment !== null && options.bump === undefined ? nextWorktreeTag(existing, experiment) : nextVersion(existing, prefix, options.bump);
  if (requested === undefined) return next();
  if (options.bump !== undefined) {
    throw new UsageError('--bump applies only when no version is given with --as', { hint: `drop --bump, or drop --as ${requested}` });
  }
  if (!parseExperimentTag(requested, prefix)) {
    throw new UsageError(`${JSON.stringify(requested)} is not an experiment version`, {
      hint: `use ${prefix}<major>.<minor>.<patch> (e.g. ${next()}) or exp-<name>-v<N>`,
    });
  }
  if (existing.includes(requested)) {
    throw new AlreadyExistsError(`version ${requested} already exists (a tag); the next free version is ${next()}`, {
      hint: `leave out --as to run as ${next()}, or choose another version`,
      data: { version: requested, next: next() },
    });
  }
  return requested;
}

/** A cheap fingerprint of what a path holds (sizes, mtimes, inodes; a folder's whole tree), or null when it is absent. */
function outputSignature(abs: string): string | null {
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isDirectory()) return `${st.size}:${st.mtimeMs}:${st.ino}`;
  const entries = fs.readdirSync(abs, { recursive: true, withFileTypes: false }) as string[];
  return entries
    .sort()
    .map((rel) => {
      const e = fs.lstatSync(path.join(abs, rel), { throwIfNoEntry: false });
      return e ? `${rel}:${e.isDirectory() ? 'd' : `${e.size}:${e.mtimeMs}:${e.ino}`}` : rel;
    })
    .join('\n');
}

/** The commit message of a run's outputs: a subject for people, the run's trailers for programs. */
function commitMessageOf(journal: Pick<Journal, 'version' | 'argv' | 'workdir' | 'message' | 'dirty'>, exit: number, duration: number): string {
  const what =
    journal.message !== undefined
      ? `${oneLine(journal.message)} (cairn run ${journal.version})`
      : `cairn run ${journal.version}: ${oneLine(shellQuote(journal.argv))}`;
  const subject = Array.from(what)
    .slice(0, 200)
    .join('')
    .replace(/^-+/, (d) => '_'.repeat(d.length));
  // The tag message's renderer writes the trailers; its subject line is not used here.
  const trailers = renderTagMessage({ version: journal.version, data: '', command: recordedCommand(journal, exit, duration) })
    .split('\n\n')[1]!
    .split('\n')
    .filter((line) => !line.startsWith('Cairn-Data:'))
    .join('\n');
  return `${subject}\n\n${trailers}`;
}

function recordedCommand(journal: Pick<Journal, 'argv' | 'workdir' | 'dirty'>, exit: number, duration: number): RecordedCommand {
  return { argv: journal.argv, workdir: journal.workdir, exit, duration, dirty: journal.dirty };
}

/** The paths a run commits: each output's pointer and the `.gitignore` that ignores it. */
function committedPaths(outputs: readonly string[]): string[] {
  return [...new Set(outputs.flatMap((o) => [pointerPathOf(o), ignoreFileOf(o)]))];
}

async function takeRunLock(repo: Repo): Promise<Lock> {
  try {
    return await lockExclusive(path.join(repo.stateDir, 'locks', 'run'), { timeoutMs: 0, command: 'cairn run' });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    throw new ConflictError('another cairn run is in progress in this work tree', {
      hint: 'wait for it to finish (one run at a time per work tree: they would share the outputs); a run killed -9 is detected and does not block',
      data: err.data,
      cause: err,
    });
  }
}

/**
 * Add, commit and tag a run whose command succeeded (journal phase
 * `recording`). Each step is idempotent, so a run killed anywhere in here is
 * finished by calling it again.
 */
async function record(repo: Repo, journal: Journal, progress?: Progress): Promise<{ commit: string; committed: boolean; tag?: TagResult; notes: string[] }> {
  const notes: string[] = [];
  const root = repo.root;
  const head = await resolveCommit(root, 'HEAD');
  let commit: string;
  let committed = false;
  if (head === journal.head) {
    if (journal.outputs.length) await addArtifacts(repo, { cwd: root, paths: journal.outputs, ...(progress ? { progress } : {}) });
    const paths = committedPaths(journal.outputs);
    if (paths.length && (await stagedDiffers(root, paths))) {
      try {
        commit = await commitPaths(root, journal.commitMessage!, paths);
      } catch (err) {
        // Refused (a hook, say): put the pointers back as HEAD has them; the outputs stay.
        await restoreFromHead(root, journal.outputs.map(pointerPathOf), { worktree: true });
        await restoreFromHead(root, journal.outputs.map(ignoreFileOf), { worktree: false });
        if (!(err instanceof CairnError)) throw err;
        const detail = String(err.data.stderr ?? '').trim() || err.message;
        throw new CairnError(`git refused the commit of ${journal.version}: ${detail}; nothing was committed or tagged, the outputs stay where they are`, {
          hint: 'fix what the pre-commit hook (or git) says, then run again; or add and commit the outputs by hand and cairn tag',
          data: err.data,
          cause: err,
        });
      }
      committed = true;
    } else {
      commit = head;
      if (journal.outputs.length) notes.push('the outputs are as the last commit has them: the tag names that commit');
    }
  } else {
    // HEAD moved: the run's own commit (made before a kill), or someone else's work.
    const info = head ? await commitParentsAndMessage(root, head) : null;
    if (!head || !info || info.parents[0] !== journal.head || info.message.trimEnd() !== journal.commitMessage!.trimEnd()) {
      throw new ConflictError(`HEAD moved since the run of ${journal.version} started (${journal.head.slice(0, 12)} → ${head?.slice(0, 12) ?? 'none'})`, {
        hint: `nothing of that run was committed; add and commit its outputs by hand (cairn add ${journal.outputs.join(' ')}), then cairn tag ${journal.version}`,
        data: { version: journal.version, head: journal.head },
      });
    }
    commit = head;
    committed = true;
  }
  if (journal.noTag) return { commit, committed, notes };
  const existing = await tagTarget(root, journal.version);
  if (existing !== null) {
    if (existing === commit) {
      notes.push(`${journal.version} was already tagged`);
      return { commit, committed, notes };
    }
    throw new AlreadyExistsError(
      `tag ${journal.version} already exists on another commit (${existing.slice(0, 12)}); commit ${commit.slice(0, 12)} holds this run's outputs, untagged`,
      {
        hint: `another process took the version; tag this commit by hand with another version (cairn tag VERSION) after checking its results rows`,
        data: { version: journal.version, commit, existing },
      },
    );
  }
  const tag = await tagExperiment(repo, {
    cwd: root,
    version: journal.version,
    ...(journal.message !== undefined ? { message: journal.message } : {}),
    allowDirty: true, // checked before the command ran; the tag records Cairn-Dirty
    command: recordedCommand(journal, journal.exit!, journal.duration!),
    ...(progress ? { progress } : {}),
  });
  return { commit, committed, tag, notes: [...notes, ...tag.notes] };
}

/** Finish or drop a run a kill interrupted. */
async function recover(repo: Repo, progress?: Progress): Promise<RecoveredRun | undefined> {
  const journal = readJournal(repo);
  if (!journal) return undefined;
  if (journal.phase === 'running') {
    if (journal.childPid !== undefined && processRunning(journal.childPid, journal.childStart)) {
      throw new ConflictError(`the command of an interrupted run of ${journal.version} is still running (pid ${journal.childPid})`, {
        hint: `wait for it to end, or stop it (kill ${journal.childPid}); nothing of that run will be committed`,
        data: { version: journal.version, pid: journal.childPid },
      });
    }
    dropJournal(repo);
    return { version: journal.version, action: 'dropped' };
  }
  try {
    const done = await record(repo, journal, progress);
    dropJournal(repo);
    return { version: journal.version, action: 'finished', commit: done.commit, ...(done.tag ? { tag: done.tag.tag } : {}) };
  } catch (err) {
    dropJournal(repo);
    if (!(err instanceof CairnError)) throw err;
    throw new (err.constructor as new (m: string, o: object) => CairnError)(`could not finish the interrupted run of ${journal.version}: ${err.message}`, {
      hint: err.hint,
      data: err.data,
      cause: err,
    });
  }
}

/**
 * Run a command as an experiment. Resolves to a {@link RunResult} whose
 * `exitCode` is what the CLI exits with (the command's status when it
 * failed); throws a CairnError when nothing could be run or recorded.
 */
export async function runExperiment(repo: Repo, options: RunOptions): Promise<RunResult> {
  const argv = options.argv;
  if (argv.length === 0 || argv[0] === '') {
    throw new UsageError('no command to run', { hint: 'put the command after --: cairn run -- python train.py --lr 0.1' });
  }
  const root = repo.root;
  const workdir = toPosix(repoRelative(repo, options.cwd, '.')) || '.';
  const lock = await takeRunLock(repo);
  try {
    const recovered = await recover(repo, options.progress);
    const notes: string[] = [];
    if (recovered?.action === 'finished')
      notes.push(
        `finished the interrupted run of ${recovered.version}: ${recovered.tag ? `tagged ${recovered.tag}` : `committed ${recovered.commit?.slice(0, 12)}`}`,
      );
    if (recovered?.action === 'dropped')
      notes.push(`the run of ${recovered.version} was killed while its command ran: nothing of it was committed or tagged; its outputs stay as it left them`);

    const head = await resolveCommit(root, 'HEAD');
    if (!head) throw new NotFoundError('HEAD has no commit yet', { hint: 'commit your code first: a run is recorded on top of a commit' });
    const prefix = checkPrefix(repo.config.versions.prefix);
    const [existing, branch] = await Promise.all([
      forEachRef(root, ['refname:lstrip=2'], ['refs/tags']).then((refs) => refs.map((r) => r[0]!)),
      currentBranch(root),
    ]);
    const version = chooseRunVersion({
      ...(options.version !== undefined ? { requested: options.version } : {}),
      ...(options.bump !== undefined ? { bump: options.bump } : {}),
      prefix,
      branch,
      existing,
    });

    const outputs = declaredOutputs(repo);
    const [changes, artifacts] = await Promise.all([trackedChanges(root), status(repo, { cwd: root })]);
    const refusal = dirtyRefusal(
      changes,
      artifacts.filter((a) => a.workspace === 'modified').map((a) => a.path),
    );
    if (refusal && !options.allowDirty) {
      const mine = outputs.filter((o) => artifacts.some((a) => a.path === o && a.workspace === 'modified'));
      throw new (refusal.constructor as new (m: string, o: object) => CairnError)(refusal.message, {
        hint: mine.length
          ? `${mine.join(', ')} changed since the last commit (an earlier run that was not recorded?): keep it with cairn add ${mine.join(' ')} and git commit, or drop the change with cairn checkout --force ${mine.join(' ')}; or pass --allow-dirty`
          : 'commit or stash the changes so the tag records the code that ran, or pass --allow-dirty (the tag then says Cairn-Dirty: true)',
        data: refusal.data,
      });
    }
    const dirty = refusal !== null;
    if (refusal) notes.push(`${refusal.message}; the commit and tag record HEAD without them (Cairn-Dirty: true)`);
    const scripts = scriptArguments(argv).filter((a) => fs.statSync(path.join(options.cwd, a), { throwIfNoEntry: false })?.isFile());
    if (scripts.length) {
      const tracked = new Set(
        await lsFiles(
          options.cwd,
          scripts.map((a) => `:(literal)${a}`),
        ),
      );
      const untracked = scripts.filter((a) => !tracked.has(toPosix(path.relative(root, path.resolve(options.cwd, a)))));
      if (untracked.length)
        notes.push(
          `${untracked.join(', ')} ${untracked.length === 1 ? 'is' : 'are'} not committed: cairn reproduce will not find ${untracked.length === 1 ? 'it' : 'them'} at the tag`,
        );
    }
    if (outputs.length === 0) notes.push('no outputs declared (run.outputs, results.db): the tag names HEAD and carries no metrics');

    const before = new Map(outputs.map((o) => [o, outputSignature(path.join(root, o))]));
    const journal: Journal = {
      format: 1,
      phase: 'running',
      version,
      argv,
      workdir,
      outputs,
      head,
      dirty,
      noTag: Boolean(options.noTag),
      ...(options.message !== undefined ? { message: options.message } : {}),
      pid: process.pid,
    };
    options.onStart?.({ version, argv, workdir, outputs, ...(recovered ? { recovered } : {}) });
    writeJournal(repo, journal);
    let outcome: ChildOutcome;
    try {
      outcome = await runChild(argv, {
        cwd: options.cwd,
        env: { CAIRN_VERSION: version, CAIRN_ROOT: root },
        stdoutToStderr: Boolean(options.stdoutToStderr),
        onSpawn: (pid) => writeJournal(repo, { ...journal, childPid: pid, childStart: processStart(pid) }),
      });
    } catch (err) {
      dropJournal(repo);
      throw err;
    }
    const base = {
      version,
      argv,
      workdir,
      exit: outcome.exit,
      signal: outcome.signal,
      duration: outcome.seconds,
      dirty,
      outputs,
      ...(recovered ? { recovered } : {}),
    };
    if (outcome.status !== 0) {
      dropJournal(repo);
      const how = outcome.signal ? `was ended by ${outcome.signal}` : `exited ${outcome.exit}`;
      notes.push(`the command ${how}: nothing was committed or tagged; its outputs stay where they are`);
      return { ...base, status: 'failed', exitCode: outcome.status, notes };
    }

    const unwritten = outputs.map((o) => ({ o, now: outputSignature(path.join(root, o)) })).filter(({ o, now }) => now === null || now === before.get(o));
    if (unwritten.length) {
      dropJournal(repo);
      const list = unwritten.map(({ o, now }) => `${o} (${now === null ? 'it does not exist' : 'unchanged since before the run'})`).join(', ');
      throw new NotFoundError(`the command succeeded but did not write ${list}; nothing was committed or tagged`, {
        hint: 'check where the command writes (CAIRN_ROOT is the work-tree root), or declare its real outputs in run.outputs (cairn config set run.outputs \'["results/experiments.db"]\')',
        data: { unwritten: unwritten.map(({ o }) => o), version },
      });
    }
    if (!options.noTag) {
      // Before anything is recorded: the tag must be makeable (rows of this version, a metric to choose the best).
      try {
        await tagExperiment(repo, {
          cwd: root,
          version,
          dryRun: true,
          allowDirty: true,
          ...(options.message !== undefined ? { message: options.message } : {}),
        });
      } catch (err) {
        dropJournal(repo);
        if (!(err instanceof CairnError)) throw err;
        throw new (err.constructor as new (m: string, o: object) => CairnError)(
          `the command succeeded, but ${version} cannot be tagged: ${err.message}; nothing was committed or tagged`,
          {
            hint: `${err.hint} (the command reads its version from CAIRN_VERSION); or run with --no-tag`,
            data: err.data,
            cause: err,
          },
        );
      }
    }
    const recording: Journal = {
      ...journal,
      phase: 'recording',
      exit: 0,
      duration: outcome.seconds,
      commitMessage: commitMessageOf(journal, 0, outcome.seconds),
    };
    writeJournal(repo, recording);
    // A Ctrl-C now would only leave the recording for the next run to finish: let it complete (a kill still works).
    const hold = (): void => {};
    process.on('SIGINT', hold);
    const done = await record(repo, recording, options.progress)
      .catch((err: unknown) => {
        dropJournal(repo);
        throw err;
      })
      .finally(() => process.off('SIGINT', hold));
    dropJournal(repo);
    return {
      ...base,
      status: options.noTag ? 'committed' : 'tagged',
      exitCode: 0,
      commit: done.commit,
      committed: done.committed,
      ...(done.tag ? { tag: done.tag } : {}),
      notes: [...notes, ...done.notes],
    };
  } finally {
    lock.release();
  }
}
