/**
 * Typed errors. Every failure cairn reports is one of these: a stable `code`,
 * the process exit code the CLI uses for its class, and a hint that tells the
 * user what to do next. Adapters translate OS, git and SQLite failures into
 * these at the boundary.
 */

/** Exit codes, one per error class (documented in docs/COMMANDS.md and the README). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notARepo: 3,
  notFound: 4,
  alreadyExists: 5,
  conflict: 6,
  unsafe: 7,
  integrity: 8,
  /** `cairn reproduce`: a metric came back different (beyond the tolerance), or the command wrote no rows. */
  notReproduced: 9,
  /** `cairn run` / `reproduce`: the command exists but cannot be run (not executable), as a shell's 126. */
  cannotRun: 126,
  /** `cairn run` / `reproduce`: no such command, as a shell's 127. */
  commandNotFound: 127,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What a CairnError carries besides its message: the hint shown to the user, machine-readable `data` for library callers, and the underlying `cause`. */
export interface CairnErrorOptions {
  hint?: string;
  data?: Record<string, unknown>;
  cause?: unknown;
}

/** Base class: a failure with a code, an exit code and a hint. */
export class CairnError extends Error {
  readonly code: string = 'E_FAILED';
  readonly exitCode: ExitCode = ExitCode.failed;
  readonly hint: string;
  readonly data: Record<string, unknown>;

  constructor(message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint ?? 'run the command again with --help to see its usage';
    this.data = options.data ?? {};
  }
}

/** Bad flags or arguments. */
export class UsageError extends CairnError {
  override readonly code: string = 'E_USAGE';
  override readonly exitCode: ExitCode = ExitCode.usage;
}

/** Not inside a git repository, or cairn is not initialised there. */
export class NotARepoError extends CairnError {
  override readonly code: string = 'E_NOT_A_REPO';
  override readonly exitCode: ExitCode = ExitCode.notARepo;
}

/** A file, object, tag, table, column, remote... that does not exist. */
export class NotFoundError extends CairnError {
  override readonly code: string = 'E_NOT_FOUND';
  override readonly exitCode: ExitCode = ExitCode.notFound;
}

/** Something with that name exists already (tag, worktree, branch, file). */
export class AlreadyExistsError extends CairnError {
  override readonly code: string = 'E_EXISTS';
  override readonly exitCode: ExitCode = ExitCode.alreadyExists;
}

/** Two versions of the same thing disagree (merge conflicts, concurrent writers). */
export class ConflictError extends CairnError {
  override readonly code: string = 'E_CONFLICT';
  override readonly exitCode: ExitCode = ExitCode.conflict;
}

/** Refused because it would lose data or escape the repository. */
export class UnsafeError extends CairnError {
  override readonly code: string = 'E_UNSAFE';
  override readonly exitCode: ExitCode = ExitCode.unsafe;
}

/** Bytes that do not match their hash, or a corrupt pointer, manifest or object. */
export class IntegrityError extends CairnError {
  override readonly code: string = 'E_INTEGRITY';
  override readonly exitCode: ExitCode = ExitCode.integrity;
}

/** The command given to `cairn run` (or recorded in a tag) is not on PATH or not there. */
export class CommandNotFoundError extends CairnError {
  override readonly code: string = 'E_COMMAND_NOT_FOUND';
  override readonly exitCode: ExitCode = ExitCode.commandNotFound;
}

/** The command exists but could not be started (not executable, a folder). */
export class CannotRunError extends CairnError {
  override readonly code: string = 'E_CANNOT_RUN';
  override readonly exitCode: ExitCode = ExitCode.cannotRun;
}

/** A bug in cairn itself. */
export class InternalError extends CairnError {
  override readonly code: string = 'E_INTERNAL';
  constructor(message: string, options: CairnErrorOptions = {}) {
    super(message, { hint: 'this is a bug in cairn; please report it with the command you ran', ...options });
  }
}

/** Translate an unknown thrown value into a CairnError (OS errors keep their path). */
export function toCairnError(err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    const where = e.path ? `: ${e.path}` : '';
    switch (e.code) {
      case 'ENOENT':
        return new NotFoundError(`no such file or directory${where}`, { hint: 'check the path', cause: err });
      case 'EACCES':
      case 'EPERM':
        return new CairnError(`permission denied${where}`, { hint: 'check file permissions', cause: err });
      case 'ENOSPC':
        return new CairnError(`no space left on device${where}`, { hint: 'free some disk space (cairn gc --yes) and retry', cause: err });
      case 'EISDIR':
        return new UsageError(`a folder where a file was expected${where}`, { hint: 'name a file, not a folder', cause: err });
      case 'ENOTDIR':
        return new UsageError(`a file where a folder was expected${where}`, { hint: 'check the path', cause: err });
      case 'EEXIST':
        return new AlreadyExistsError(`already exists${where}`, { hint: 'remove it or choose another name', cause: err });
      default:
        return new CairnError(`${e.code}${where}: ${e.message}`, { hint: 'retry; if it persists, report it', cause: err });
    }
  }
  return new InternalError(err instanceof Error ? err.message : String(err), { cause: err });
}
