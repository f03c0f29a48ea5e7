/**
 * The exploration worktrees cairn created, recorded in the common git dir
 * (`<common dir>/cairn/explorations.json`) so cleanup removes exactly those
 * and never guesses from folder names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import type { Repo } from '../repo/repo.js';

export interface Exploration {
  version: string;
  path: string;
  commit: string;
  created: string;
}

function registryFile(repo: Pick<Repo, 'commonDir'>): string {
  return path.join(repo.commonDir, 'cairn', 'explorations.json');
}

export function readExplorations(repo: Pick<Repo, 'commonDir'>): Exploration[] {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(registryFile(repo), 'utf8'));
    return Array.isArray(value) ? (value as Exploration[]).filter((e) => e && typeof e.path === 'string' && typeof e.version === 'string') : [];
  } catch {
    return [];
  }
}

export function writeExplorations(repo: Pick<Repo, 'commonDir'>, list: Exploration[]): void {
  const file = registryFile(repo);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(list, null, 2) + '\n');
}
