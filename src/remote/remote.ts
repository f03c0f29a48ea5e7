/**
 * Remotes: object stores with the cache's layout (`objects/<h[0:2]>/<h[2:]>`)
 * somewhere else — a local or NFS folder, or S3-compatible storage. Both
 * kinds are {@link ObjectStore}s, as the cache is; the S3 client is loaded
 * only when an S3 remote is used.
 */
import path from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import type { RemoteConfig } from '../config/config.js';
import type { Repo } from '../repo/repo.js';
import type { ObjectStore } from '../store/objectStore.js';

/** A parsed remote URL (see {@link parseRemoteUrl}): a local folder (absolute path) or an S3 bucket and key prefix. */
export type RemoteUrl = { kind: 'local'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** An open remote: an object store (the interface the cache shares), and the URL it was configured with. */
export type RemoteStore = ObjectStore & { readonly url: string };

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parse a remote URL: an absolute or relative folder, `file:///abs/path`, or
 * `s3://bucket/optional/prefix`. Anything else is refused. Pure.
 */
export function parseRemoteUrl(url: string, baseDir: string): RemoteUrl {
  const bad = (why: string): UsageError =>
    new UsageError(`unsupported remote URL ${JSON.stringify(url)}: ${why}`, {
      hint: 'use a folder path (/mnt/nfs/cairn, ../store), file:///path, or s3://bucket/prefix',
    });
  if (typeof url !== 'string' || url.length === 0) throw bad('it is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(url)) throw bad('it contains control characters');
  if (url.startsWith('s3://')) {
    const rest = url.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!S3_BUCKET.test(bucket) || bucket.includes('..')) throw bad(`${JSON.stringify(bucket)} is not a valid bucket name`);
    if (prefix.split('/').some((p) => p === '..' || p === '.' || (p === '' && prefix !== ''))) {
      throw bad('the prefix may not contain empty, "." or ".." segments');
    }
    return { kind: 's3', bucket, prefix };
  }
  if (url.startsWith('file://')) {
    const p = decodeURIComponent(url.slice(7));
    if (!p.startsWith('/')) throw bad('a file:// URL needs an absolute path (file:///...)');
    return { kind: 'local', path: path.resolve(p) };
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) throw bad(`the ${url.split(':')[0]}:// scheme is not supported`);
  if (/^[^/]+:/.test(url) && !url.startsWith('./')) throw bad('it looks like an scp-style host:path, which is not supported');
  return { kind: 'local', path: path.resolve(baseDir, url) };
}

/** The folder relative remote paths are resolved against: the main worktree (so every worktree agrees). */
export function remoteBaseDir(repo: Pick<Repo, 'root' | 'mainRoot'>): string {
  return repo.mainRoot ?? repo.root;
}

/** The name of the remote to use: the one asked for, else the default, else the only one. */
export function chooseRemote(repo: Pick<Repo, 'config'>, name?: string): string {
  const names = Object.keys(repo.config.remotes);
  if (name) {
    if (!repo.config.remotes[name]) {
      throw new NotFoundError(`no remote named ${JSON.stringify(name)}`, {
        hint: names.length ? `remotes: ${names.join(', ')}` : 'add one: cairn remote add <name> <url> --default',
        data: { remote: name },
      });
    }
    return name;
  }
  if (repo.config.remote) {
    if (!repo.config.remotes[repo.config.remote]) {
      throw new NotFoundError(`the default remote ${JSON.stringify(repo.config.remote)} is not configured`, {
        hint: 'cairn remote list shows the remotes; cairn remote add <name> <url> --default sets one',
      });
    }
    return repo.config.remote;
  }
  if (names.length === 1) return names[0]!;
  throw new NotFoundError(names.length ? 'several remotes and no default' : 'no remote configured', {
    hint: names.length
      ? `pick one with -r (${names.join(', ')}) or set a default (cairn remote add ... --default)`
      : 'add one: cairn remote add <name> <url> --default',
  });
}

/** Open a remote store by name (default remote when omitted). */
export async function openRemote(repo: Repo, name?: string): Promise<RemoteStore> {
  const chosen = chooseRemote(repo, name);
  const config: RemoteConfig = repo.config.remotes[chosen]!;
  const url = parseRemoteUrl(config.url, remoteBaseDir(repo));
  if (url.kind === 'local') {
    const { LocalRemote } = await import('./localRemote.js');
    return new LocalRemote(chosen, config.url, url.path);
  }
  const { S3Remote } = await import('./s3Remote.js');
  return S3Remote.open(chosen, config, url);
}
