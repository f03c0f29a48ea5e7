/**
 * `cairn model list`: the production model and the candidates, with their metric values (src/models/). Reads only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../repo/repo.js';
import { MAX_CONFIG_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';
import { PRODUCTION_DIR, PROVENANCE_FILE, checkModelPaths, listCandidates, type Candidate, type Provenance, type ResultsUsed } from '../models/models.js';
import { rankRuns } from '../models/ranking.js';
import { readRunRows, type RunRowsOptions } from '../models/runs.js';

/** What {@link modelList} reports: the production model and its provenance (null when there is none), the candidates, and the metric their values come from. */
export interface ModelList {
  production: { path: string; size: number; provenance: Provenance | null } | null;
  candidates: (Candidate & { value: number | null })[];
  /** The metric of the values (null: none known, or the table lacks it; values are then null). */
  metric: string | null;
  /** Where the values came from (null: no results database, or no table holds the candidates' runs). */
  results: ResultsUsed | null;
  /** Why no values are shown, when a table could not be chosen (several hold the runs: --table chooses). */
  notes: string[];
}

/**
 * The production model and the candidates in the workspace, with each run's
 * best metric value when a results database (--db, results.db from the
 * config, or results.db at the root) holds the runs and a metric is known.
 * Needs no metric. Writes nothing.
 */
export async function modelList(repo: Repo, options: Partial<RunRowsOptions> = {}): Promise<ModelList> {
  const productionRel = checkModelPaths(repo);
  const prodAbs = path.join(repo.root, productionRel);
  let provenance: Provenance | null;
  const text = readUntrustedFile(path.join(repo.root, PRODUCTION_DIR, PROVENANCE_FILE), MAX_CONFIG_BYTES);
  try {
    provenance = text.kind === 'text' ? (JSON.parse(text.text) as Provenance) : null;
  } catch {
    provenance = null;
  }
  const production =
    fs.existsSync(prodAbs) || fs.existsSync(prodAbs + '.cairn')
      ? { path: productionRel, size: fs.statSync(prodAbs, { throwIfNoEntry: false })?.size ?? 0, provenance }
      : null;
  const candidates = listCandidates(repo);
  let values = new Map<string, number | null>();
  const notes: string[] = [];
  const read = candidates.length
    ? await readRunRows(repo, { ...options, cwd: options.cwd ?? repo.root }, { runs: candidates.map((c) => c.run), metricRequired: false, skipped: notes })
    : null;
  if (read?.metric) {
    values = new Map(
      rankRuns(read.rows, read.runColumn, read.metric, options.minimize ?? repo.config.metrics.minimize, repo.config.results.runColumns).map((r) => [
        r.run,
        r.value,
      ]),
    );
  }
  return {
    production,
    candidates: candidates.map((c) => ({ ...c, value: values.get(c.run) ?? null })),
    metric: read?.metric ?? null,
    results: read ? { location: read.location, why: read.why } : null,
    notes,
  };
}
