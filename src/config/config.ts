/**
 * Configuration (DESIGN §2): defaults < `.cairn/config.json` (committed) <
 * `.cairn/config.local.json` (ignored; credentials, cache dir) < `CAIRN_*`
 * environment < flags (applied by each command).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CairnError, UnsafeError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { LINK_TYPES, type LinkType } from '../store/linkType.js';
import { DEFAULT_BOOKKEEPING_COLUMNS, DEFAULT_RUN_COLUMNS } from '../experiments/row.js';

/** One named remote in the config: its URL (a folder, `file:///path` or `s3://bucket/prefix`) and, for S3, how to reach and authenticate to it. */
export interface RemoteConfig {
  url: string;
  /** S3: custom endpoint (MinIO, s3rver...). */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** S3: named profile from ~/.aws (credentials stay out of the repo). */
  profile?: string;
  /** S3 credentials: only ever read from config.local.json or the environment. */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** The effective configuration: defaults, then `.cairn/config.json`, `.cairn/config.local.json` and the `CAIRN_*` environment, in that order (see {@link loadConfig}). */
export interface CairnConfig {
  cache: { dir?: string; link: LinkType };
  remotes: Record<string, RemoteConfig>;
  /** Name of the default remote. */
  remote?: string;
  versions: { prefix: string };
  /**
   * `primary` picks the best row of a version (highest, or lowest with
   * `minimize`); `names` lists the metric columns (when unset, numeric columns
   * named like metrics are).
   */
  metrics: { primary?: string; minimize: boolean; names?: string[] };
  /**
   * Where `cairn tag` reads metrics: `db` (from the repo root) and `table`;
   * which columns hold the version and the run id; which are bookkeeping.
   */
  results: {
    versionColumns: string[];
    runColumns: string[];
    bookkeepingColumns: string[];
    db?: string;
    table?: string;
  };
  merge: { strategy: 'merge' | 'rebase'; id?: string[]; key: string[]; tables?: string[] };
  models: { production: string };
  transfer: { jobs: number };
}

export const CONFIG_DIR = '.cairn';
export const CONFIG_FILE = 'config.json';
export const LOCAL_CONFIG_FILE = 'config.local.json';

/** The built-in defaults every config layer is merged onto; a fresh object on each call, so callers may change it. */
export function defaultConfig(): CairnConfig {
  return {
    cache: { link: 'copy' },
    remotes: {},
    versions: { prefix: 'e' },
    metrics: { minimize: false },
    results: {
      versionColumns: ['version', 'experiment_version'],
      runColumns: [...DEFAULT_RUN_COLUMNS],
      bookkeepingColumns: [...DEFAULT_BOOKKEEPING_COLUMNS],
    },
    merge: { strategy: 'merge', key: ['version'] },
    models: { production: 'model.bin' },
    transfer: { jobs: 8 },
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Deep-merge plain objects (arrays and scalars replace). */
function mergeInto(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = isObject(v) && isObject(out[k]) ? mergeInto(out[k] as Json, v) : v;
  }
  return out;
}

/** Read a JSON config file; missing → {}, malformed → a clear error. */
export function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isObject(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new CairnError(`cannot read ${file}: it is not a JSON object`, {
      hint: `fix the JSON by hand, or restore it with git checkout -- ${path.basename(file)}`,
    });
  }
}

/** The `CAIRN_*` variables that map onto config keys. */
function fromEnvironment(env: NodeJS.ProcessEnv): Json {
  const out: Json = {};
  const set = (keys: string[], value: unknown): void => {
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Json;
    node[keys[keys.length - 1]!] = value;
  };
  if (env.CAIRN_CACHE_DIR) set(['cache', 'dir'], env.CAIRN_CACHE_DIR);
  if (env.CAIRN_CACHE_LINK) set(['cache', 'link'], env.CAIRN_CACHE_LINK);
  if (env.CAIRN_REMOTE) set(['remote'], env.CAIRN_REMOTE);
  if (env.CAIRN_VERSIONS_PREFIX !== undefined) set(['versions', 'prefix'], env.CAIRN_VERSIONS_PREFIX);
  if (env.CAIRN_METRICS_PRIMARY) set(['metrics', 'primary'], env.CAIRN_METRICS_PRIMARY);
  if (env.CAIRN_TRANSFER_JOBS) set(['transfer', 'jobs'], Number(env.CAIRN_TRANSFER_JOBS));
  return out;
}

function checkConfig(cfg: CairnConfig, where: string): CairnConfig {
  const bad = (what: string): UsageError =>
    new UsageError(`invalid configuration (${where}): ${what}`, { hint: 'fix .cairn/config.json or the CAIRN_* variable' });
  if (!LINK_TYPES.includes(cfg.cache.link)) throw bad(`cache.link must be one of ${LINK_TYPES.join(', ')}`);
  if (typeof cfg.versions.prefix !== 'string' || !/^[A-Za-z0-9._-]*$/.test(cfg.versions.prefix)) {
    throw bad('versions.prefix may only hold letters, digits, ".", "_" and "-"');
  }
  const isNames = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  for (const [key, value] of Object.entries({
    'results.versionColumns': cfg.results.versionColumns,
    'results.runColumns': cfg.results.runColumns,
    'results.bookkeepingColumns': cfg.results.bookkeepingColumns,
  })) {
    if (!isNames(value)) throw bad(`${key} must be a list of column names`);
  }
  if (cfg.metrics.names !== undefined && !isNames(cfg.metrics.names)) throw bad('metrics.names must be a list of column names');
  if (cfg.merge.strategy !== 'merge' && cfg.merge.strategy !== 'rebase') throw bad('merge.strategy must be merge or rebase');
  if (!Number.isInteger(cfg.transfer.jobs) || cfg.transfer.jobs < 1 || cfg.transfer.jobs > 256) {
    throw bad('transfer.jobs must be an integer from 1 to 256');
  }
  if (!isObject(cfg.remotes)) throw bad('remotes must be an object');
  return cfg;
}

/** Credentials must never sit in the committed config. */
function refuseCommittedSecrets(cfg: Json, file: string): void {
  for (const [name, remote] of Object.entries(isObject(cfg.remotes) ? cfg.remotes : {})) {
    if (isObject(remote) && ('secretAccessKey' in remote || 'accessKeyId' in remote)) {
      throw new UnsafeError(`${file} holds credentials for remote ${name}, and that file is committed`, {
        hint: 'move accessKeyId/secretAccessKey to .cairn/config.local.json (ignored by git) or use AWS_* variables, then rotate the key',
      });
    }
  }
}

/** Where the committed and the local config files of a worktree live. */
export function configPaths(root: string): { repo: string; local: string } {
  return { repo: path.join(root, CONFIG_DIR, CONFIG_FILE), local: path.join(root, CONFIG_DIR, LOCAL_CONFIG_FILE) };
}

/**
 * Load the effective config for a worktree. `mainRoot` is the main worktree:
 * a linked worktree without its own config.local.json uses the main one's,
 * so credentials need no setup per worktree.
 */
export function loadConfig(root: string, mainRoot: string | null, env: NodeJS.ProcessEnv = process.env): CairnConfig {
  const paths = configPaths(root);
  const committed = readConfigFile(paths.repo);
  refuseCommittedSecrets(committed, paths.repo);
  let local = readConfigFile(paths.local);
  if (Object.keys(local).length === 0 && mainRoot && mainRoot !== root) {
    local = readConfigFile(configPaths(mainRoot).local);
  }
  const merged = [committed, local, fromEnvironment(env)].reduce(
    (acc, layer) => mergeInto(acc, layer),
    defaultConfig() as unknown as Json,
  );
  return checkConfig(merged as unknown as CairnConfig, paths.repo);
}

/** Change one config file (committed or local) through a function, atomically. */
export function updateConfigFile(file: string, change: (cfg: Json) => Json): Json {
  const next = change(readConfigFile(file));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n');
  return next;
}
