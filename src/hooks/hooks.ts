/**
 * Git hooks that keep artifacts in step with git: install and uninstall the
 * scripts of `hooks/` (chaining any hook the user already had), and the logic
 * those scripts call back into (`cairn hooks run <name>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnsafeError } from '../errors.js';
import { gitPaths } from '../git/git.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { LEGACY_TEMPLATES } from './legacyHooks.js';

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
