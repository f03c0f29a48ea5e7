/**
 * `cairn model add FILE --run ID`: a trained model becomes a candidate (src/models/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, NotFoundError, UsageError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { addArtifacts } from '../artifacts/add.js';
import { readManifest } from '../artifacts/inspect.js';
import { CANDIDATES_DIR, checkModelPaths, checkRunId, copyAtomic, listCandidates, type Candidate } from '../models/models.js';
import { candidatesReady } from './candidatesReady.js';

/** Options of {@link modelAdd}: the model `file` (relative to `cwd`) and the `run` ID it is stored under; `force` replaces that run's candidate. */
export interface ModelAddOptions {
  cwd: string;
  file: string;
  run: string;
  force?: boolean;
}

/**
 * Copy a trained model into `models/candidates/<run><ext>` and re-add the
 * candidates folder as an artifact (its pointer staged). Throws UsageError for
 * a bad run ID, NotFoundError when the file does not exist,
 * AlreadyExistsError when the run has a candidate (unless `force`), and
 * UnsafeError when the candidates folder has unrecorded changes.
 */
export async function modelAdd(repo: Repo, options: ModelAddOptions): Promise<Candidate & { hash: string }> {
  checkRunId(options.run);
  checkModelPaths(repo);
  const src = path.resolve(options.cwd, options.file);
  const st = fs.statSync(src, { throwIfNoEntry: false });
  if (!st?.isFile()) throw new NotFoundError(`no such model file: ${options.file}`, { hint: 'give the path of the trained model file' });
  await candidatesReady(repo);
  const existing = listCandidates(repo).filter((c) => c.run === options.run);
  const dest = `${CANDIDATES_DIR}/${options.run}${path.extname(src)}`;
  if (existing.length && !options.force) {
    throw new AlreadyExistsError(`run ${options.run} already has a candidate: ${existing.map((c) => c.file).join(', ')}`, {
      hint: 'pass --force to replace it, or use another run ID',
    });
  }
  if (path.resolve(repo.root, dest) === src) throw new UsageError(`${options.file} is already the candidate of run ${options.run}`);
  for (const old of existing) if (old.file !== dest) fs.rmSync(path.join(repo.root, old.file));
  await copyAtomic(src, path.join(repo.root, dest));
  const [added] = await addArtifacts(repo, { cwd: repo.root, paths: [CANDIDATES_DIR] });
  const manifest = readManifest(repo.cache, { cairn: 1, kind: 'dir', path: 'candidates', hash: added!.hash, files: 0, size: 0 }) ?? [];
  const entry = manifest.find((e) => `${CANDIDATES_DIR}/${e.path}` === dest)!;
  return { run: options.run, file: dest, size: entry.size, hash: entry.hash };
}
