/**
 * `cairn hooks run NAME` (hidden): what the installed hook scripts (src/hooks/) run.
 * post-checkout checks the artifacts out, pre-push pushes them, pre-commit
 * refuses pointers whose content the cache lacks: artifacts and remote
 * together, so a command.
 */
import fs from 'node:fs';
import { UsageError, type CairnError } from '../errors.js';
import { gitPaths, topLevel } from '../git/git.js';
import { isInitialized, openRepo } from '../repo/repo.js';
import { checkout } from '../artifacts/checkout.js';
import { expandObjects, stagedPointers } from '../artifacts/references.js';
import { push } from './push.js';
import { HOOK_NAMES, type HookName } from '../hooks/hooks.js';
import { plural } from '../display.js';

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
