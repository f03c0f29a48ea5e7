/**
 * Reading what a revision holds straight from git's object database: no
 * checkout, no worktree, no change to HEAD, the index or the workspace.
 * Trees and blobs only: what the blobs mean (cairn pointers) is the store's
 * business (src/store/pointersAtRevision.ts).
 */
import { NotFoundError } from '../errors.js';
import { resolveCommit, splitNul } from './git.js';
import { git, gitBytes } from './run.js';

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  object: string;
  path: string;
}

/** Every blob of a commit's tree (recursively), paths from the root. */
export async function listTree(cwd: string, rev: string, pathspecs: string[] = []): Promise<TreeEntry[]> {
  const commit = await requireCommit(cwd, rev);
  const { stdout } = await git(['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...pathspecs], { cwd, readOnly: true });
  return splitNul(stdout).map((line) => {
    const tab = line.indexOf('\t');
    const [mode, type, object] = line.slice(0, tab).split(' ');
    return { mode: mode!, type: type as TreeEntry['type'], object: object!, path: line.slice(tab + 1) };
  });
}

/** Resolve `rev` to a commit or throw a NotFoundError naming it. */
export async function requireCommit(cwd: string, rev: string): Promise<string> {
  const commit = await resolveCommit(cwd, rev);
  if (!commit) {
    throw new NotFoundError(`unknown revision '${rev}'`, {
      hint: 'name a branch, tag or commit that exists (git tag, git branch -a)',
      data: { rev },
    });
  }
  return commit;
}

/** Read many blobs at once through one `git cat-file --batch`. */
export async function readBlobs(cwd: string, objects: string[]): Promise<Buffer[]> {
  if (objects.length === 0) return [];
  const all = await gitBytes(['cat-file', '--batch'], { cwd, input: objects.join('\n') + '\n', readOnly: true });
  const out: Buffer[] = [];
  let pos = 0;
  for (const object of objects) {
    const nl = all.indexOf(0x0a, pos);
    const header = all.subarray(pos, nl).toString();
    if (header.endsWith(' missing')) throw new NotFoundError(`git object ${object} is missing`);
    const size = Number(header.split(' ')[2]);
    out.push(all.subarray(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 1;
  }
  return out;
}

/** The bytes of one file at a revision, or null when the revision lacks it. */
export async function readFileAt(cwd: string, rev: string, file: string): Promise<Buffer | null> {
  const entries = await listTree(cwd, rev, [`:(literal)${file}`]);
  const entry = entries.find((e) => e.path === file && e.type === 'blob');
  if (!entry) return null;
  const [data] = await readBlobs(cwd, [entry.object]);
  return data!;
}
