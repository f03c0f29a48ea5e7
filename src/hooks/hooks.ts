/**
 * Git hooks that keep artifacts in step with git: install and uninstall the
 * scripts of `hooks/` (chaining any hook the user already had), and the logic
 * those scripts call back into (`cairn hooks run <name>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError, UnsafeError, UsageError } from '../errors.js';
import { gitPaths, topLevel } from '../git/git.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { isInitialized, openRepo } from '../repo/repo.js';
import { checkout } from '../artifacts/checkout.js';
import { expandObjects, stagedPointers } from '../artifacts/references.js';
import { push } from '../commands/push.js';
import { LEGACY_TEMPLATES } from './legacyHooks.js';
import { plural } from '../display.js';

/** The git hooks cairn installs: post-checkout checks out artifacts, pre-push pushes their objects, pre-commit refuses pointers whose content is not cached. */
export const HOOK_NAMES = ['post-checkout', 'pre-push', 'pre-commit'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

const CHAINED = '.cairn-chained';
const TEMPLATES = fileURLToPath(new URL('../../hooks/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));
/** Where a template takes the recorded path of bin/cairn.js (single-quoted for sh). */
const FALLBACK = '@CAIRN_FALLBACK@';
/** A hook file larger than this is not one cairn wrote (and is not read whole to find out). */
const MAX_HOOK_BYTES = 64 * 1024;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A word of sh made only of single-quoted parts and escaped quotes, as shellQuote writes them. */
const QUOTED = /^(?:'[^']*'|\\')+$/;

/** The folder git runs hooks from (honours core.hooksPath; shared by linked worktrees). */
export async function hooksDir(cwd: string): Promise<string> {
  const [dir] = await gitPaths(cwd, ['hooks']);
  return dir!;
}

function template(name: HookName): string {
  return fs.readFileSync(path.join(TEMPLATES, name), 'utf8');
}

/**
 * The script cairn installs as hook `name`. It runs `cairn` from PATH, else
 * `node <fallback>` with the node on PATH: no absolute path to a node binary,
 * which a version manager or an upgrade moves.
 */
export function hookScript(name: HookName, fallback: string = BIN): string {
  return template(name).replaceAll(FALLBACK, shellQuote(fallback));
}

/**
 * Is `text` exactly a script cairn writes as hook `name` (this version's, for
 * whatever fallback path it records, or an earlier version's)? Compared byte
 * for byte after re-rendering, never by a marker a user's hook may contain.
 */
export function isCairnHook(name: HookName, text: string): boolean {
  const recorded = /^cairn_fallback=(.*)$/m.exec(text)?.[1];
  if (recorded !== undefined && QUOTED.test(recorded) && template(name).replaceAll(FALLBACK, recorded) === text) return true;
  return (LEGACY_TEMPLATES[name] ?? []).some((legacy) => {
    const at = legacy.indexOf('@CAIRN@');
    if (at < 0 || !text.startsWith(legacy.slice(0, at))) return false;
    const command = /^((?:'[^']*'|\\')+) ((?:'[^']*'|\\')+) /.exec(text.slice(at));
    return command !== null && legacy.replaceAll('@CAIRN@', `${command[1]} ${command[2]}`) === text;
  });
}

/** What is at a hook's path: nothing, cairn's own script, or something of the user's (a symlink counts, dangling or not). */
type HookFile = { kind: 'none' } | { kind: 'cairn' } | { kind: 'user'; callsChained: boolean } | { kind: 'other'; what: string };

/** The text of a hook (through a symlink), when it is a regular file small enough to be a script; else null. */
function hookText(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size <= MAX_HOOK_BYTES ? fs.readFileSync(file, 'utf8') : null;
  } catch {
    return null; // dangling, or unreadable: git could not run it either
  }
}

function inspectHook(name: HookName, file: string): HookFile {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  if (!st.isFile() && !st.isSymbolicLink()) return { kind: 'other', what: st.isDirectory() ? 'a folder' : 'not a regular file' };
  const text = hookText(file);
  if (st.isFile() && text !== null && isCairnHook(name, text)) return { kind: 'cairn' };
  // A hook that itself runs <name>.cairn-chained (an edited cairn hook) would, once moved there, run itself.
  return { kind: 'user', callsChained: text?.includes(name + CHAINED) ?? false };
}

/** What {@link installHooks} or {@link uninstallHooks} did in the hooks folder `dir`, by hook name. */
export interface HooksResult {
  dir: string;
  installed: string[];
  /** Existing hooks that now run before cairn's (install) or were put back (uninstall). */
  chained: string[];
  removed: string[];
  /** Hooks left alone by uninstall: not cairn's, byte for byte (the user's own, or edited). */
  kept: string[];
}

/**
 * Install the hook scripts. An existing hook that is not exactly cairn's
 * (a user's script, one that mentions cairn, a symlink even if dangling) is
 * moved aside to `<name>.cairn-chained` and runs first; it is never
 * overwritten. Anything that cannot be chained is refused before any hook
 * is touched. Idempotent.
 */
export async function installHooks(cwd: string): Promise<HooksResult> {
  const dir = await hooksDir(cwd);
  const result: HooksResult = { dir, installed: [], chained: [], removed: [], kept: [] };
  const plan: { name: HookName; target: string; chain: boolean }[] = [];
  for (const name of HOOK_NAMES) {
    const target = path.join(dir, name);
    const found = inspectHook(name, target);
    if (found.kind === 'other') {
      throw new UnsafeError(`${target} is ${found.what}; cairn will not replace it`, {
        hint: `move it away (or make it a script), then run cairn hooks install again`,
      });
    }
    if (found.kind === 'user' && found.callsChained) {
      throw new UnsafeError(`${target} is not cairn's hook (edited, or another version's) but runs ${name + CHAINED} like one`, {
        hint: `chaining it would make it run itself: move it away (or delete it if it is an old cairn hook), then run cairn hooks install again`,
      });
    }
    const chain = found.kind === 'user';
    if (chain && lexists(target + CHAINED)) {
      throw new UnsafeError(`both ${target} and ${target + CHAINED} exist, and the first is not cairn's`, {
        hint: 'merge them by hand (or remove one), then run cairn hooks install again',
      });
    }
    plan.push({ name, target, chain });
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const { name, target, chain } of plan) {
    if (chain) {
      // The link itself moves, not what it points at: a relative link stays valid beside it.
      fs.renameSync(target, target + CHAINED);
      result.chained.push(name);
    }
    writeFileAtomic(target, hookScript(name), { mode: 0o755 });
    fs.chmodSync(target, 0o755);
    result.installed.push(name);
  }
  return result;
}

/** Remove cairn's hooks (only files that are exactly cairn's) and put back the ones they chained. */
export async function uninstallHooks(cwd: string): Promise<HooksResult> {
  const dir = await hooksDir(cwd);
  const result: HooksResult = { dir, installed: [], chained: [], removed: [], kept: [] };
  for (const name of HOOK_NAMES) {
    const target = path.join(dir, name);
    const found = inspectHook(name, target);
    if (found.kind === 'cairn') {
      fs.rmSync(target);
      result.removed.push(name);
    } else if (found.kind !== 'none') {
      result.kept.push(name);
    }
    if (lexists(target + CHAINED) && !lexists(target)) {
      fs.renameSync(target + CHAINED, target);
      result.chained.push(name);
    }
  }
  return result;
}

/** Does anything (a dangling symlink included) exist at `file`? */
function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The outcome of {@link runHook}: the exit code the hook script should exit with (non-zero stops git), and messages for stderr. */
export interface HookRun {
  exitCode: number;
  messages: string[];
}

/** Is a rebase (or am) in progress in this worktree? Then post-checkout stays out of the way. */
async function rebasing(cwd: string): Promise<boolean> {
  return (await gitPaths(cwd, ['rebase-merge', 'rebase-apply'])).some((p) => fs.existsSync(p));
}

/** What the hook scripts run. Never throws: the exit code says whether git may go on. */
export async function runHook(cwd: string, name: string, args: string[], stdin: string): Promise<HookRun> {
  if (!(HOOK_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown hook ${JSON.stringify(name)}`, { hint: `hooks: ${HOOK_NAMES.join(', ')}` });
  }
  const messages: string[] = [];
  try {
    const root = await topLevel(cwd);
    if (!isInitialized(root)) return { exitCode: 0, messages };
    const repo = await openRepo(root);
    switch (name as HookName) {
      case 'post-checkout': {
        if (args[2] !== '1' || (await rebasing(root))) return { exitCode: 0, messages };
        try {
          const r = await checkout(repo, { cwd: root });
          if (r.written.length || r.removed.length) {
            messages.push(`cairn: checked out ${plural(r.written.length, 'file')}, removed ${r.removed.length}`);
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
        messages.push(`cairn: pushed ${plural(r.uploaded, 'object')} to ${r.remote} (${r.present} already there)`);
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
