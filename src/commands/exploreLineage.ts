/**
 * `cairn explore lineage <path|hash>`: which experiments (tags) hold this
 * content, newest first — as an artifact, or as a file of a tracked folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { forEachRef } from '../git/git.js';
import { pointersAt } from '../store/pointersAtRevision.js';
import type { Repo } from '../repo/repo.js';
import { hashFile, HASH_PREFIX, isHash } from '../store/hash.js';
import { readManifest } from '../artifacts/inspect.js';
import { loadArtifacts } from '../artifacts/workspace.js';
import { repoRelative } from '../repo/repo.js';
import { shortHash } from '../display.js';

/** One tag whose commit holds the content, with the tag's date and the paths the content has there. */
export interface LineageHit {
  tag: string;
  commit: string;
  date: string;
  /** Where the content sits at that commit. */
  paths: string[];
}

/** The hash {@link lineage} looked for, and the tags that hold it, newest first. */
export interface LineageResult {
  hash: string;
  experiments: LineageHit[];
}

/** The hash a user means: a hash, 64 hex digits, an artifact's path, or a file's path. */
async function targetHash(repo: Repo, cwd: string, target: string): Promise<string> {
  if (isHash(target)) return target;
  if (/^[0-9a-f]{64}$/.test(target)) return HASH_PREFIX + target;
  const abs = path.resolve(cwd, target);
  const short = /^(?:sha256:)?([0-9a-f]{7,63})$/.exec(target);
  if (short && !fs.existsSync(abs)) return expandShortHash(repo, short[1]!);
  const rel = repoRelative(repo, cwd, target);
  const artifact = (await loadArtifacts(repo)).find((a) => a.path === rel || a.pointerPath === rel);
  if (artifact) return artifact.pointer.hash;
  if (fs.statSync(abs, { throwIfNoEntry: false })?.isFile()) return (await hashFile(abs)).hash;
  throw new NotFoundError(`${target} is neither a hash, an artifact nor a file`, {
    hint: 'give a path in the workspace, a sha256:<hex> hash, or the short hash cairn printed (7+ hex digits)',
  });
}

/** The one object of the cache whose hash starts with `prefix` (the short hashes cairn prints). */
function expandShortHash(repo: Repo, prefix: string): string {
  const matches = repo.cache.listObjects().filter((h) => h.startsWith(HASH_PREFIX + prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new NotFoundError(`no object in the cache starts with ${prefix}`, {
      hint: 'give the full sha256:<hex> hash (cairn explore show VERSION lists them), or a path',
    });
  }
  throw new UsageError(`${prefix} is ambiguous: ${matches.length} objects start with it (${matches.slice(0, 3).map(shortHash).join(', ')}, ...)`, {
    hint: 'give more hex digits',
  });
}

/**
 * Which tags hold some content, newest first: `target` is a hash, an artifact
 * or a file in the workspace (hashed). Files inside tracked folders are found
 * only through manifests in the cache. Throws NotFoundError when the target is
 * none of these. Reads only.
 */
export async function lineage(repo: Repo, options: { cwd: string; target: string }): Promise<LineageResult> {
  const hash = await targetHash(repo, options.cwd, options.target);
  const tags = await forEachRef(repo.root, ['refname:strip=2', 'creatordate:iso-strict', 'objectname', '*objectname'], ['refs/tags'], ['--sort=-creatordate']);
  const experiments: LineageHit[] = [];
  for (const [tag, date, object, peeled] of tags) {
    const commit = peeled || object!;
    const paths: string[] = [];
    for (const p of await pointersAt(repo.root, commit)) {
      if (p.pointer.hash === hash) paths.push(p.path);
      else if (p.pointer.kind === 'dir') {
        for (const e of readManifest(repo.cache, p.pointer) ?? []) if (e.hash === hash) paths.push(`${p.path}/${e.path}`);
      }
    }
    if (paths.length) experiments.push({ tag: tag!, commit, date: date!, paths });
  }
  return { hash, experiments };
}
