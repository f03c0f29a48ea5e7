/**
 * Configuration (docs/CONFIG.md): defaults < `.cairn/config.json` (committed) <
 * `.cairn/config.local.json` (ignored; credentials, cache dir) < `CAIRN_*`
 * environment < flags (applied by each command).
 */
import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError, UnsafeError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../durable/atomicWrite.js';
import { lsFiles } from '../git/git.js';
import { Confinement } from '../trust/confine.js';
import { MAX_CONFIG_BYTES, readUntrustedFile } from '../trust/untrustedFile.js';
import { checkMergedRemotes, isPlainObject, isReservedName, kindOf, validateConfigFile, valueProblem, type ConfigLayer } from './schema.js';
import { LINK_TYPES, type LinkType } from '../store/linkType.js';
import { DEFAULT_BOOKKEEPING_COLUMNS, DEFAULT_RUN_COLUMNS } from './columns.js';

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
  /** What `cairn run` adds after a successful command (default: `results.db`, when set). */
  run: { outputs?: string[] };
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
    run: {},
    transfer: { jobs: 8 },
  };
}

type Json = Record<string, unknown>;

/** Which file of `.cairn/`: the committed one or the user's ignored one. */
export type ConfigFileName = typeof CONFIG_FILE | typeof LOCAL_CONFIG_FILE;

const layerOf = (fileName: ConfigFileName): ConfigLayer => (fileName === CONFIG_FILE ? 'committed' : 'local');

/** Deep-merge plain objects (arrays and scalars replace). */
function mergeInto(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (isReservedName(k)) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeInto(out[k] as Json, v) : v;
  }
  return out;
}

/**
 * The text of `<root>/.cairn/<fileName>`, or undefined when there is none.
 * The repository controls this file: `.cairn` must be a real folder, and the
 * file a regular file (not a symlink, FIFO or device) of at most
 * MAX_CONFIG_BYTES, read without blocking. `shown` names it in messages.
 */
function readConfigText(root: string, fileName: ConfigFileName, shown: string): string | undefined {
  const rel = `${CONFIG_DIR}/${fileName}`;
  // The leaf is also opened with O_NOFOLLOW below, so a symlink put there after this check is refused too.
  new Confinement(root).check(rel, `read ${shown}`, { leaf: true });
  const read = readUntrustedFile(path.join(root, rel), MAX_CONFIG_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'text') return read.text;
  const message = `refusing to read ${shown}: it ${read.why}`;
  if (read.unsafe) {
    throw new UnsafeError(message, {
      hint: `a config file must be a regular file; replace ${shown} with one (or remove it) and retry`,
      data: { file: shown },
    });
  }
  throw new IntegrityError(message, { hint: `a config file is a small JSON object; fix ${shown} or remove it`, data: { file: shown } });
}

function parseConfigText(text: string, fileName: ConfigFileName, shown: string): Json {
  let value: unknown;
  let why: string;
  try {
    value = JSON.parse(text);
    why = `it holds ${kindOf(value)}`;
  } catch (err) {
    why = (err as Error).message;
  }
  if (isPlainObject(value)) return value;
  throw new IntegrityError(`cannot read ${shown}: it is not a JSON object (${why})`, {
    hint:
      layerOf(fileName) === 'committed' ? `fix the JSON in ${shown} by hand, or restore it with git checkout -- ${shown}` : `fix the JSON in ${shown} by hand`,
    data: { file: shown },
  });
}

/**
 * Read and check one config file of the work tree at `root` against the
 * schema; a missing file is `{}`. Throws UnsafeError (exit 7) for a symlinked
 * `.cairn` or file, a FIFO or device, and settings only the local file may
 * hold; IntegrityError (exit 8) for anything else that does not fit.
 */
export function readConfigFile(root: string, fileName: ConfigFileName, shown = `${CONFIG_DIR}/${fileName}`): Json {
  const text = readConfigText(root, fileName, shown);
  return text === undefined ? {} : validateConfigFile(parseConfigText(text, fileName, shown), shown, layerOf(fileName));
}

/**
 * A config.local.json that git tracks came with the repository (someone
 * committed it): it must not get the powers of the user's own file.
 */
async function refuseTrackedLocalConfig(root: string, shown: string): Promise<void> {
  const rel = `${CONFIG_DIR}/${LOCAL_CONFIG_FILE}`;
  if ((await lsFiles(root, [rel])).length === 0) return;
  throw new UnsafeError(`${shown} is tracked by git: it came with the repository, so it cannot be trusted as your own local config`, {
    hint: `if you committed it yourself, run git rm --cached ${rel} and commit (it holds credentials and the cache folder); otherwise remove it`,
    data: { file: shown },
  });
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
  if (env.CAIRN_VERSIONS_PREFIX !== undefined) {
    const why = valueProblem('versions', 'prefix', env.CAIRN_VERSIONS_PREFIX, 'CAIRN_VERSIONS_PREFIX');
    if (why) throw new UsageError(why, { hint: 'set CAIRN_VERSIONS_PREFIX to a prefix such as e or v, or unset it' });
    set(['versions', 'prefix'], env.CAIRN_VERSIONS_PREFIX);
  }
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

/**
 * The clone's own config: `<git common dir>/cairn/config.json`. Like git's
 * own config it is shared by every worktree of the clone and never
 * committed; `cairn remote add` keeps remotes there unless `--shared`. It
 * sits between the committed and the local file.
 */
export function cloneConfigPath(commonDir: string): string {
  return path.join(commonDir, 'cairn', CONFIG_FILE);
}

function cloneShown(commonDir: string): string {
  return cloneConfigPath(commonDir);
}

/** Read and check the clone's config (`{}` when there is none). */
export function readCloneConfig(commonDir: string): Json {
  const file = cloneConfigPath(commonDir);
  const shown = cloneShown(commonDir);
  const read = readUntrustedFile(file, MAX_CONFIG_BYTES);
  if (read.kind === 'missing') return {};
  if (read.kind === 'refused') {
    throw new (read.unsafe ? UnsafeError : IntegrityError)(`refusing to read ${shown}: it ${read.why}`, {
      hint: `replace ${shown} with a regular file (or remove it) and retry`,
      data: { file: shown },
    });
  }
  return validateConfigFile(parseConfigText(read.text, LOCAL_CONFIG_FILE, shown), shown, 'local');
}

/** Change the clone's config through a function, atomically; both versions are checked against the schema. */
export function updateCloneConfig(commonDir: string, change: (cfg: Json) => Json): Json {
  const shown = cloneShown(commonDir);
  const next = validateConfigFile(change(readCloneConfig(commonDir)), shown, 'local');
  const file = cloneConfigPath(commonDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** Where the committed and the local config files of a worktree live. */
export function configPaths(root: string): { repo: string; local: string } {
  return { repo: path.join(root, CONFIG_DIR, CONFIG_FILE), local: path.join(root, CONFIG_DIR, LOCAL_CONFIG_FILE) };
}

/** Refuse a `.cairn` or `.cairn/config.json` that is a symlink, or a `.cairn` that is not a folder (before asking whether cairn is initialised there). */
export function checkConfigDir(root: string): void {
  new Confinement(root).check(`${CONFIG_DIR}/${CONFIG_FILE}`, `read ${CONFIG_DIR}/${CONFIG_FILE}`, { leaf: true });
}

/**
 * Load the effective config for a worktree. `mainRoot` is the main worktree:
 * a linked worktree without its own config.local.json uses the main one's,
 * so credentials need no setup per worktree. Each file is checked against the
 * schema before the layers are merged (see {@link readConfigFile}); a
 * config.local.json that git tracks is refused (exit 7). A bad `CAIRN_*`
 * variable is a UsageError (exit 2): the environment is the user's own.
 */
export async function loadConfig(root: string, mainRoot: string | null, env: NodeJS.ProcessEnv = process.env, commonDir?: string): Promise<CairnConfig> {
  const committed = readConfigFile(root, CONFIG_FILE);
  const clone = commonDir ? readCloneConfig(commonDir) : {};
  let localRoot = root;
  let localShown = `${CONFIG_DIR}/${LOCAL_CONFIG_FILE}`;
  let localText = readConfigText(root, LOCAL_CONFIG_FILE, localShown);
  if ((localText === undefined || isEmptyObject(localText)) && mainRoot && mainRoot !== root) {
    localRoot = mainRoot;
    localShown = configPaths(mainRoot).local;
    localText = readConfigText(mainRoot, LOCAL_CONFIG_FILE, localShown);
  }
  let local: Json = {};
  if (localText !== undefined) {
    // Only when the file exists: the common case costs no git process.
    await refuseTrackedLocalConfig(localRoot, localShown);
    local = validateConfigFile(parseConfigText(localText, LOCAL_CONFIG_FILE, localShown), localShown, 'local');
  }
  const merged = [committed, clone, local, fromEnvironment(env)].reduce(
    (acc, layer) => mergeInto(acc, layer),
    defaultConfig() as unknown as Json,
  ) as unknown as CairnConfig;
  checkMergedRemotes(merged.remotes, localShown);
  return merged;
}

function isEmptyObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) && Object.keys(value).length === 0;
  } catch {
    return false;
  }
}

/**
 * Check, before anything is written, that `.cairn/<fileName>` may be written:
 * neither `.cairn` nor the file is a symlink (UnsafeError otherwise).
 */
export function checkConfigWritable(root: string, fileName: ConfigFileName): void {
  const rel = `${CONFIG_DIR}/${fileName}`;
  new Confinement(root).check(rel, `write ${rel}`, { leaf: true });
}

/**
 * Change one config file of the work tree at `root` through a function,
 * atomically. The file as it is and as it will be are both checked against
 * the schema, so cairn never writes a config that it would refuse to read.
 */
export function updateConfigFile(root: string, fileName: ConfigFileName, change: (cfg: Json) => Json): Json {
  checkConfigWritable(root, fileName);
  const shown = `${CONFIG_DIR}/${fileName}`;
  const next = validateConfigFile(change(readConfigFile(root, fileName)), shown, layerOf(fileName));
  const file = path.join(root, CONFIG_DIR, fileName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n');
  return next;
}
