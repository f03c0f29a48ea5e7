/**
 * The invalidation rule of a cache keyed by git object id — cairn has one:
 * `<git common dir>/cairn/tag-summaries.json` (src/experiments/summaries.ts),
 * what `git for-each-ref` printed about each experiment tag's object.
 *
 * The rule (docs/ARCHITECTURE.md, "Caches"): an entry holds what git printed
 * about one object id, and holds for as long as a ref names that id, since an
 * object's bytes never change. The whole cache is passed over (git asked about
 * every object, nothing read or written) while git could print something else
 * for the same id:
 * - replace refs are in force: a ref under `refs/replace/`, or
 *   `GIT_REPLACE_REF_BASE` set, and `GIT_NO_REPLACE_OBJECTS` not set;
 * - `trailer.*` config is set (it changes how git parses a message's
 *   trailers), anywhere git reads config: asked of git itself, so system,
 *   global, repository, worktree, `include`, `includeIf` and `GIT_CONFIG_*`
 *   are all counted as git counts them.
 * Nothing else here knows git's layout: the repository is found by git
 * (`repoPaths`), and no config file is read by cairn.
 */
import { git } from './run.js';

/** Whether any `trailer.*` key is set in the config git reads in `cwd`. */
export async function trailerConfigSet(cwd: string): Promise<boolean> {
  const { exitCode } = await git(['config', '--get-regexp', '^trailer\\.'], { cwd, okCodes: [1], readOnly: true });
  return exitCode === 0;
}

/**
 * Start checking the rule for the repository at `cwd` (git is asked about
 * trailer config at once, while the caller lists its refs); the function
 * returned answers, given the full names of the refs listed — which must
 * include `refs/replace/` — whether entries keyed by object id may be used.
 */
export function objectIdCacheUsable(cwd: string, env: NodeJS.ProcessEnv = process.env): (listedRefs: string[]) => Promise<boolean> {
  const trailers = trailerConfigSet(cwd);
  trailers.catch(() => {}); // awaited below; a failure surfaces there
  return async (listedRefs) => {
    if (env.GIT_NO_REPLACE_OBJECTS === undefined) {
      if (env.GIT_REPLACE_REF_BASE !== undefined || listedRefs.some((ref) => ref.startsWith('refs/replace/'))) return false;
    }
    return !(await trailers);
  };
}
