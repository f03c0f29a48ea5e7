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
    const shown = path.join(CONFIG_DIR, path.basename(file));
    throw new CairnError(`cannot read ${file}: it is not a JSON object`, {
      hint: `fix the JSON in ${shown} by hand, or restore it with git checkout -- ${shown}`,
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
  if (env.CAIRN_CACHE_LINK) {
    if (!LINK_TYPES.includes(env.CAIRN_CACHE_LINK as LinkType)) {
      throw new UsageError(`CAIRN_CACHE_LINK=${env.CAIRN_CACHE_LINK} is not a link type`, {
        hint: `set CAIRN_CACHE_LINK to one of ${LINK_TYPES.join(', ')}, or unset it`,
      });
    }
    set(['cache', 'link'], env.CAIRN_CACHE_LINK);
  }
  if (env.CAIRN_REMOTE) set(['remote'], env.CAIRN_REMOTE);
  if (env.CAIRN_VERSIONS_PREFIX !== undefined) set(['versions', 'prefix'], env.CAIRN_VERSIONS_PREFIX);
  if (env.CAIRN_METRICS_PRIMARY) set(['metrics', 'primary'], env.CAIRN_METRICS_PRIMARY);
  if (env.CAIRN_TRANSFER_JOBS) {
    const jobs = Number(env.CAIRN_TRANSFER_JOBS);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
      throw new UsageError(`CAIRN_TRANSFER_JOBS=${env.CAIRN_TRANSFER_JOBS} is not a number of jobs`, {
        hint: 'set CAIRN_TRANSFER_JOBS to an integer from 1 to 256, or unset it',
      });
    }
    set(['transfer', 'jobs'], jobs);
  }
  return out;
}

function checkConfig(cfg: CairnConfig, where: string): CairnConfig {
  const bad = (what: string): UsageError =>
    new UsageError(`invalid configuration (${where}): ${what}`, { hint: 'fix .cairn/config.json or .cairn/config.local.json (or the CAIRN_* variable that sets it)' });
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

/** Every key a config file may hold, by section (`remotes.<name>` entries take REMOTE_KEYS). */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  cache: ['dir', 'link'],
  remotes: [],
  remote: [],
  versions: ['prefix'],
  metrics: ['primary', 'minimize', 'names'],
  results: ['versionColumns', 'runColumns', 'bookkeepingColumns', 'db', 'table'],
  merge: ['strategy', 'id', 'key', 'tables'],
  models: ['production'],
  transfer: ['jobs'],
};
const REMOTE_KEYS = ['url', 'endpoint', 'region', 'forcePathStyle', 'profile', 'accessKeyId', 'secretAccessKey'];

/** A typo in a config key would silently fall back to the default: refuse it, naming the keys that exist. */
function refuseUnknownKeys(cfg: Json, file: string): void {
  const unknown = (key: string, valid: readonly string[]): UsageError =>
    new UsageError(`${file}: unknown key ${key}`, { hint: `valid keys here: ${valid.join(', ')}`, data: { key, valid } });
  for (const [section, value] of Object.entries(cfg)) {
    const keys = KNOWN_KEYS[section];
    if (!keys) throw unknown(section, Object.keys(KNOWN_KEYS));
    if (section === 'remotes' && isObject(value)) {
      for (const [name, remote] of Object.entries(value)) {
        for (const k of Object.keys(isObject(remote) ? remote : {})) {
          if (!REMOTE_KEYS.includes(k)) throw unknown(`remotes.${name}.${k}`, REMOTE_KEYS);
        }
      }
    } else if (keys.length > 0 && isObject(value)) {
      for (const k of Object.keys(value)) if (!keys.includes(k)) throw unknown(`${section}.${k}`, keys);
    }
  }
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
  refuseUnknownKeys(committed, paths.repo);
  refuseCommittedSecrets(committed, paths.repo);
  let local = readConfigFile(paths.local);
  let localFile = paths.local;
  if (Object.keys(local).length === 0 && mainRoot && mainRoot !== root) {
    localFile = configPaths(mainRoot).local;
    local = readConfigFile(localFile);
  }
  refuseUnknownKeys(local, localFile);
  const merged = [committed, local, fromEnvironment(env)].reduce(
    (acc, layer) => mergeInto(acc, layer),
    defaultConfig() as unknown as Json,
  );
  return checkConfig(merged as unknown as CairnConfig, `${paths.repo} or ${LOCAL_CONFIG_FILE}`);
}

/** Change one config file (committed or local) through a function, atomically. */
export function updateConfigFile(file: string, change: (cfg: Json) => Json): Json {
  const next = change(readConfigFile(file));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n');
  return next;
}
