/**
 * `cairn init`: set up `.cairn/` in a git worktree. Idempotent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gitAdd, repoPaths } from '../git/git.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { CONFIG_DIR, CONFIG_FILE, LOCAL_CONFIG_FILE } from '../config/config.js';
import { defaultCacheDir } from '../repo/repo.js';
import { Confinement } from '../trust/confine.js';

/** What {@link init} did: the worktree root, the cache folder, and whether `.cairn/` was new. */
export interface InitResult {
  root: string;
  cacheDir: string;
  /** False when cairn was already initialised. */
  created: boolean;
}

/**
 * Set up cairn in the git worktree containing `cwd`: writes `.cairn/config.json`
 * and `.cairn/.gitignore` (when absent) and stages them, and creates the
 * shared cache folder. Safe to run again. Throws NotARepoError outside a git
 * work tree.
 */
export async function init(cwd: string): Promise<InitResult> {
  const paths = await repoPaths(cwd);
  const dir = path.join(paths.root, CONFIG_DIR);
  const config = path.join(dir, CONFIG_FILE);
  const ignore = path.join(dir, '.gitignore');
  // A cloned repository may commit .cairn (or a file in it) as a symlink: refuse before writing.
  const confinement = new Confinement(paths.root);
  confinement.check(`${CONFIG_DIR}/${CONFIG_FILE}`, `set up ${CONFIG_DIR}/${CONFIG_FILE}`, { leaf: true });
  confinement.check(`${CONFIG_DIR}/.gitignore`, `set up ${CONFIG_DIR}/.gitignore`, { leaf: true });
  const created = !fs.existsSync(config);
  fs.mkdirSync(dir, { recursive: true });
  if (created) writeFileAtomic(config, JSON.stringify({ remotes: {} }, null, 2) + '\n');
  if (!fs.existsSync(ignore)) writeFileAtomic(ignore, `/${LOCAL_CONFIG_FILE}\n`);
  const cacheDir = defaultCacheDir(paths.commonDir);
  fs.mkdirSync(cacheDir, { recursive: true });
  await gitAdd(paths.root, [path.join(CONFIG_DIR, CONFIG_FILE), path.join(CONFIG_DIR, '.gitignore')]);
  return { root: paths.root, cacheDir, created };
}
