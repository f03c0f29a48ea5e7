/**
 * The candidates pattern: every run's model goes to `models/candidates/`
 * (one directory artifact, `models/candidates.cairn`); one of them is
 * promoted to `models/production/<model.bin>` (a file artifact) with its
 * provenance in `models/production/PROVENANCE.json` (tracked by git);
 * `prune` keeps the best K runs. Pruned models stay in the cache and in the
 * commits that recorded them.
 *
 * This folder holds what the model verbs share (names, paths, checks, the
 * ranking); the verbs themselves, which add and check out artifacts, are
 * src/commands/model*.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError, UsageError } from '../errors.js';
import { escapes, type Repo } from '../repo/repo.js';
import { copyFileBytes } from '../store/copy.js';
import { replaceFileAtomic } from '../durable/atomicWrite.js';
import { Confinement } from '../trust/confine.js';
import { unsafeFileNameReason } from '../trust/pathNames.js';

export const CANDIDATES_DIR = 'models/candidates';
export const PRODUCTION_DIR = 'models/production';
export const PROVENANCE_FILE = 'PROVENANCE.json';

/** A run ID names a file: no separators, no `..`, nothing odd. */
export function checkRunId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) || id.includes('..')) {
    throw new UsageError(`invalid run ID ${JSON.stringify(id)}`, {
      hint: 'a run ID is letters, digits, ".", "_" and "-" (no "/" or "\\"), starting with a letter or digit',
    });
  }
}

/** A candidate model in `models/candidates/`: the run it came from (the file name without extension), its repo-relative path, and size. */
export interface Candidate {
  run: string;
  file: string;
  size: number;
}

/**
 * Every path the model commands read, write or delete, checked before the
 * first of them: the candidates and production folders must be real folders
 * of the work tree (a committed symlink there would send copies and deletes
 * elsewhere), and the production name from the config a bare file name.
 * Returns the production model's repo-relative path.
 */
export function checkModelPaths(repo: Repo): string {
  const name = repo.config.models.production;
  const reason = unsafeFileNameReason(name);
  if (reason) {
    throw new IntegrityError(`invalid configuration: models.production ${JSON.stringify(name)} is not a file name (${reason})`, {
      hint: 'set models.production in .cairn/config.json to a bare file name such as model.bin',
      data: { key: 'models.production' },
    });
  }
  const confinement = new Confinement(repo.root);
  for (const rel of [CANDIDATES_DIR, PRODUCTION_DIR]) confinement.check(rel, `use ${rel}`, { leaf: true });
  const productionRel = `${PRODUCTION_DIR}/${name}`;
  confinement.check(productionRel, `write ${productionRel}`);
  confinement.check(`${PRODUCTION_DIR}/${PROVENANCE_FILE}`, `write ${PRODUCTION_DIR}/${PROVENANCE_FILE}`, { leaf: true });
  return productionRel;
}

/** The candidate files in the workspace (the folder must match its pointer). */
export function listCandidates(repo: Repo): Candidate[] {
  const dir = path.join(repo.root, CANDIDATES_DIR);
  if (!fs.existsSync(dir)) return [];
  return (
    fs
      .readdirSync(dir, { withFileTypes: true })
      // A symlink is a candidate only when it is cairn's own link into the cache (symlink link mode); it is never followed elsewhere.
      .filter((d) => !d.name.startsWith('.') && (d.isFile() || (d.isSymbolicLink() && linksIntoCache(repo, path.join(dir, d.name)))))
      .map((d) => {
        const ext = path.extname(d.name);
        return { run: ext ? d.name.slice(0, -ext.length) : d.name, file: `${CANDIDATES_DIR}/${d.name}`, size: fs.statSync(path.join(dir, d.name)).size };
      })
      .sort((a, b) => a.run.localeCompare(b.run))
  );
}

/** Copy a file to `dest` atomically (reflink or streamed copy, flushed, renamed), writable. */
export function copyAtomic(src: string, dest: string): Promise<void> {
  return replaceFileAtomic(dest, async (tmp) => {
    await copyFileBytes(src, tmp, 0o644);
  });
}

/** A symlink whose target is an object of the cache. */
export function linksIntoCache(repo: Repo, link: string): boolean {
  const rel = path.relative(repo.cache.objectsDir, path.resolve(path.dirname(link), fs.readlinkSync(link)));
  return rel !== '' && !escapes(rel);
}

/** Where the production model came from, as written to `models/production/PROVENANCE.json`: the run, its version and metric value, the candidate file and its hash, and when. */
export interface Provenance {
  run: string;
  version: string | null;
  metric: { name: string; value: number | null } | null;
  source: { path: string; hash: string };
  promotedAt: string;
}

/** Where a model command read its results rows: `file#table`, and why that table (results/resultsTable.ts). */
export interface ResultsUsed {
  location: string;
  why: string;
}
