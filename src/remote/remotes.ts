/**
 * `cairn remote add | list | remove`: remotes live in `.cairn/config.json`
 * (committed); credentials only in `.cairn/config.local.json` or the
 * environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyExistsError, NotFoundError, UsageError } from '../errors.js';
import {
  checkConfigWritable,
  cloneConfigPath,
  CONFIG_FILE,
  configPaths,
  LOCAL_CONFIG_FILE,
  updateCloneConfig,
  updateConfigFile,
  type RemoteConfig,
} from '../config/config.js';
import { isReservedName, REMOTE_NAME } from '../config/schema.js';
import { gitAdd } from '../git/git.js';
import type { Repo } from '../repo/repo.js';
import { parseRemoteUrl, remoteBaseDir } from './remote.js';

/** Options of {@link addRemote}: the remote's name and URL, whether it becomes the default, and S3 connection settings (no credentials: those go in `.cairn/config.local.json` or the environment). */
export interface AddRemoteOptions {
  name: string;
  url: string;
  makeDefault?: boolean;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  profile?: string;
  /** Replace an existing remote of that name. */
  force?: boolean;
  /**
   * Write it to the committed `.cairn/config.json` (staged) to share it with
   * everyone who clones. Without it the remote is this clone's, kept in the
   * git common dir and seen by every worktree, as git remotes are.
   */
  shared?: boolean;
}

/** A configured remote as {@link listRemotes} and {@link addRemote} describe it: its settings, its kind, and whether it is the default. */
export interface RemoteInfo {
  name: string;
  url: string;
  kind: 'local' | 's3';
  default: boolean;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  profile?: string;
  /** For a local remote: the folder it resolves to. */
  path?: string;
}

export function validateRemoteName(name: string): void {
  if (!REMOTE_NAME.test(name) || isReservedName(name)) {
    throw new UsageError(`invalid remote name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit',
    });
  }
}

type Json = Record<string, unknown>;

/**
 * Add (or with `force`, replace) a remote in `.cairn/config.json` and stage
 * that file; a missing local folder is created (`created` names it). Throws
 * UsageError for a bad name, URL or endpoint (or S3 settings on a folder
 * remote), AlreadyExistsError when the name is taken.
 */
export async function addRemote(repo: Repo, options: AddRemoteOptions): Promise<RemoteInfo & { created?: string; shared: boolean }> {
  validateRemoteName(options.name);
  // Before anything is created: a symlinked .cairn or config.json is refused.
  if (options.shared) checkConfigWritable(repo.root, CONFIG_FILE);
  const url = parseRemoteUrl(options.url, remoteBaseDir(repo));
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.endpoint)) {
    throw new UsageError(`invalid endpoint ${JSON.stringify(options.endpoint)}`, { hint: 'an endpoint is an http(s) URL, e.g. http://127.0.0.1:9000' });
  }
  if (url.kind === 'local' && (options.endpoint || options.region || options.forcePathStyle || options.profile)) {
    throw new UsageError('--endpoint, --region, --force-path-style and --profile apply to s3:// remotes only', {
      hint: 'drop them for a folder remote',
    });
  }
  if (repo.config.remotes[options.name] && !options.force) {
    throw new AlreadyExistsError(`remote ${options.name} already exists (${repo.config.remotes[options.name]!.url})`, {
      hint: 'choose another name, or pass --force to replace it',
    });
  }
  let created: string | undefined;
  if (url.kind === 'local' && !fs.existsSync(url.path)) {
    fs.mkdirSync(url.path, { recursive: true });
    created = url.path;
  }
  const entry: RemoteConfig = { url: options.url };
  if (options.endpoint) entry.endpoint = options.endpoint;
  if (options.region) entry.region = options.region;
  if (options.forcePathStyle) entry.forcePathStyle = true;
  if (options.profile) entry.profile = options.profile;
  const change = (cfg: Json): Json => {
    const remotes = { ...((cfg.remotes as Json) ?? {}), [options.name]: entry };
    return { ...cfg, remotes, ...(options.makeDefault ? { remote: options.name } : {}) };
  };
  if (options.shared) {
    updateConfigFile(repo.root, CONFIG_FILE, change);
    await gitAdd(repo.root, [path.relative(repo.root, configPaths(repo.root).repo)]);
  } else {
    updateCloneConfig(repo.commonDir, change);
  }
  // Keep the caller's view of the config in step, so a push right after sees the remote.
  repo.config.remotes[options.name] = { ...repo.config.remotes[options.name], ...entry };
  if (options.makeDefault) repo.config.remote = options.name;
  return {
    name: options.name,
    shared: Boolean(options.shared),
    kind: url.kind,
    default: Boolean(options.makeDefault) || repo.config.remote === options.name,
    ...entry,
    ...(url.kind === 'local' ? { path: url.path } : {}),
    ...(created ? { created } : {}),
  };
}

/** The configured remotes, sorted by name. Reads only the loaded config; contacts no remote. */
export function listRemotes(repo: Repo): RemoteInfo[] {
  return Object.entries(repo.config.remotes)
    .map(([name, cfg]) => {
      const url = parseRemoteUrl(cfg.url, remoteBaseDir(repo));
      const info: RemoteInfo = { name, url: cfg.url, kind: url.kind, default: repo.config.remote === name };
      if (cfg.endpoint) info.endpoint = cfg.endpoint;
      if (cfg.region) info.region = cfg.region;
      if (cfg.forcePathStyle) info.forcePathStyle = true;
      if (cfg.profile) info.profile = cfg.profile;
      if (url.kind === 'local') info.path = url.path;
      return info;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Remove a remote from the clone's config, `.cairn/config.json` and
 * `.cairn/config.local.json` (and as default), then stage the committed file. The remote's objects are
 * left alone. Throws NotFoundError when no remote has that name.
 */
export async function removeRemote(repo: Repo, name: string): Promise<{ name: string; wasDefault: boolean }> {
  if (!repo.config.remotes[name]) {
    throw new NotFoundError(`no remote named ${JSON.stringify(name)}`, { hint: 'cairn remote list shows the remotes' });
  }
  const paths = configPaths(repo.root);
  let wasDefault = false;
  checkConfigWritable(repo.root, CONFIG_FILE);
  checkConfigWritable(repo.root, LOCAL_CONFIG_FILE);
  const dropFrom = (cfg: Json): Json => {
    const remotes = { ...((cfg.remotes as Json) ?? {}) };
    delete remotes[name];
    const next: Json = { ...cfg, remotes };
    if (cfg.remote === name) {
      delete next.remote;
      wasDefault = true;
    }
    return next;
  };
  if (fs.existsSync(cloneConfigPath(repo.commonDir))) updateCloneConfig(repo.commonDir, dropFrom);
  for (const [file, fileName] of [
    [paths.repo, CONFIG_FILE],
    [paths.local, LOCAL_CONFIG_FILE],
  ] as const) {
    if (fs.existsSync(file)) updateConfigFile(repo.root, fileName, dropFrom);
  }
  await gitAdd(repo.root, [path.relative(repo.root, paths.repo)]);
  delete repo.config.remotes[name];
  if (repo.config.remote === name) delete repo.config.remote;
  return { name, wasDefault };
}
