/**
 * Git hooks that keep artifacts in step with git: install and uninstall the
 * scripts of `hooks/` (chaining any hook the user already had), and the logic
 * those scripts call back into (`cairn hooks run <name>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError, UsageError } from '../errors.js';
import { git } from '../git/git.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { isInitialized, openRepo } from '../repo/repo.js';
import { checkout } from '../artifacts/checkout.js';
import { expandObjects, stagedPointers } from '../artifacts/references.js';
import { push } from '../remote/transfer.js';

/** The git hooks cairn installs: post-checkout checks out artifacts, pre-push pushes their objects, pre-commit refuses pointers whose content is not cached. */
export const HOOK_NAMES = ['post-checkout', 'pre-push', 'pre-commit'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

const MARKER = '# cairn-hook:';
const CHAINED = '.cairn-chained';
const TEMPLATES = fileURLToPath(new URL('../../hooks/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The folder git runs hooks from (honours core.hooksPath; shared by linked worktrees). */
export async function hooksDir(cwd: string): Promise<string> {
  const { stdout } = await git(['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { cwd });
  return stdout.trim();
}

function isOurs(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').includes(MARKER);
  } catch {
    return false;
  }
}

/** What {@link installHooks} or {@link uninstallHooks} did in the hooks folder `dir`, by hook name. */
export interface HooksResult {
  dir: string;
  installed: string[];
  /** Existing hooks that now run before cairn's (install) or were put back (uninstall). */
  chained: string[];
  removed: string[];
}

/** Install the hook scripts; an existing user hook is kept and chained. Idempotent. */
export async function installHooks(cwd: string): Promise<HooksResult> {
  const dir = await hooksDir(cwd);
  fs.mkdirSync(dir, { recursive: true });
  const result: HooksResult = { dir, installed: [], chained: [], removed: [] };
  const command = `${shellQuote(process.execPath)} ${shellQuote(BIN)}`;
  for (const name of HOOK_NAMES) {
    const target = path.join(dir, name);
    if (fs.existsSync(target) && !isOurs(target)) {
      const chained = target + CHAINED;
      if (fs.existsSync(chained)) {
        throw new CairnError(`both ${target} and ${chained} exist, and the first is not cairn's`, {
          hint: 'merge them by hand (or remove one), then run cairn hooks install again',
        });
      }
      fs.renameSync(target, chained);
      result.chained.push(name);
    }
    const script = fs.readFileSync(path.join(TEMPLATES, name), 'utf8').replaceAll('@CAIRN@', command);
    writeFileAtomic(target, script, { mode: 0o755 });
    fs.chmodSync(target, 0o755);
    result.installed.push(name);
  }
  return result;
}

/** Remove cairn's hooks and put back the ones they chained. */
export async function uninstallHooks(cwd: string): Promise<HooksResult> {
  const dir = await hooksDir(cwd);
  const result: HooksResult = { dir, installed: [], chained: [], removed: [] };
  for (const name of HOOK_NAMES) {
    const target = path.join(dir, name);
    if (isOurs(target)) {
      fs.rmSync(target);
      result.removed.push(name);
    }
    if (fs.existsSync(target + CHAINED) && !fs.existsSync(target)) {
      fs.renameSync(target + CHAINED, target);
      result.chained.push(name);
    }
  }
  return result;
}

/** The outcome of {@link runHook}: the exit code the hook script should exit with (non-zero stops git), and messages for stderr. */
export interface HookRun {
  exitCode: number;
  messages: string[];
}

/** Is a rebase (or am) in progress in this worktree? Then post-checkout stays out of the way. */
async function rebasing(cwd: string): Promise<boolean> {
  const { stdout } = await git(['rev-parse', '--path-format=absolute', '--git-path', 'rebase-merge', '--git-path', 'rebase-apply'], { cwd });
  return stdout.split('\n').filter(Boolean).some((p) => fs.existsSync(p));
}

/** What the hook scripts run. Never throws: the exit code says whether git may go on. */
export async function runHook(cwd: string, name: string, args: string[], stdin: string): Promise<HookRun> {
  if (!(HOOK_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown hook ${JSON.stringify(name)}`, { hint: `hooks: ${HOOK_NAMES.join(', ')}` });
  }
  const messages: string[] = [];
  try {
    const { stdout } = await git(['rev-parse', '--show-toplevel'], { cwd });
    const root = stdout.trim();
    if (!isInitialized(root)) return { exitCode: 0, messages };
    const repo = await openRepo(root);
    switch (name as HookName) {
      case 'post-checkout': {
        if (args[2] !== '1' || (await rebasing(root))) return { exitCode: 0, messages };
        try {
          const r = await checkout(repo, { cwd: root });
          if (r.written.length || r.removed.length) {
            messages.push(`cairn: checked out ${r.written.length} file(s), removed ${r.removed.length}`);
          }
        } catch (err) {
          // post-checkout cannot undo the checkout: warn, never fail.
          const e = err as CairnError;
          messages.push(`cairn: warning: artifacts not checked out: ${e.message}`, `hint: ${e.hint ?? 'run cairn checkout'}`);
        }
        return { exitCode: 0, messages };
      }
      case 'pre-push': {
        const revs = stdin
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f.length >= 2 && !/^0+$/.test(f[1]!))
          .map((f) => f[1]!);
        if (revs.length === 0) return { exitCode: 0, messages };
        if (Object.keys(repo.config.remotes).length === 0) {
          messages.push('cairn: no cairn remote configured; artifacts were not pushed (cairn remote add <name> <url> --default)');
          return { exitCode: 0, messages };
        }
        const r = await push(repo, { revs });
        messages.push(`cairn: pushed ${r.uploaded} object(s) to ${r.remote} (${r.present} already there)`);
        return { exitCode: 0, messages };
      }
      case 'pre-commit': {
        const staged = await stagedPointers(root);
        const incomplete = staged.filter((ref) => repo.cache.missing(expandObjects(repo.cache, [ref]).objects.keys()).size > 0);
        if (incomplete.length === 0) return { exitCode: 0, messages };
        messages.push(
          'cairn: refusing to commit: these staged pointers name content that is not in the cache:',
          ...incomplete.map((ref) => `  ${ref.where.replace(/^index:/, '')}`),
          'hint: cairn add the files again (or cairn pull them) before committing; git commit --no-verify skips this check',
        );
        return { exitCode: 1, messages };
      }
    }
  } catch (err) {
    const e = err as CairnError;
    messages.push(`cairn: ${name} hook failed: ${e.message}`, `hint: ${e.hint ?? 'run the cairn command by hand'}`);
    return { exitCode: name === 'post-checkout' ? 0 : 1, messages };
  }
  return { exitCode: 0, messages };
}
