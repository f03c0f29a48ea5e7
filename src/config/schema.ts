/**
 * The schema of a config file (docs/CONFIG.md; SECURITY.md rule 3): every key cairn knows, its type and
 * shape, and what only the user's own, uncommitted file may set. Pure: one
 * parsed file goes in and comes back unchanged, or a typed error comes out
 * that names the file and the key path. Each file is checked on its own,
 * before the layers are merged and before any value is used, so a committed
 * file can never make cairn crash, write outside the repository or quietly
 * do something else than it says.
 */
import { IntegrityError, InternalError, UnsafeError } from '../errors.js';
import { LINK_TYPES } from '../store/linkType.js';
import { unsafeFileNameReason, unsafePathReason } from '../trust/pathNames.js';

/** Which file is being checked: the committed `.cairn/config.json` or the user's ignored `.cairn/config.local.json`. */
export type ConfigLayer = 'committed' | 'local';

type Json = Record<string, unknown>;

/** The problem with `value` at `key`, as a sentence that starts with the key path, or null when it fits. */
type Check = (value: unknown, key: string) => string | null;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Longest table, column, metric, region or profile name accepted. */
const MAX_NAME = 256;
/** Longest path or URL accepted. */
const MAX_PATH = 4096;
/** Most names a list may hold. */
const MAX_LIST = 1000;

/** Remote names: as `cairn remote add` accepts them. */
export const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Names that JavaScript objects already answer to: never a key of a config object. */
export function isReservedName(name: string): boolean {
  return name in Object.prototype || name === 'prototype';
}

export function isPlainObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** What a JSON value is, for messages ("it is a list"). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : 'a string';
  if (typeof v === 'number') return `the number ${v}`;
  return String(v);
}

/** A non-empty string of at most `max` characters, without control characters. */
function text(max: number): Check {
  return (v, key) => {
    if (typeof v !== 'string') return `${key} must be a string (it is ${kindOf(v)})`;
    if (v.length === 0) return `${key} must not be empty`;
    if (v.length > max) return `${key} must be at most ${max} characters (it has ${v.length})`;
    if (CONTROL.test(v)) return `${key} must not contain control characters`;
    return null;
  };
}

/** Table, column and metric names. */
const name = text(MAX_NAME);

function names(options: { min: number }): Check {
  return (v, key) => {
    if (!Array.isArray(v)) return `${key} must be a list of names (it is ${kindOf(v)})`;
    if (v.length < options.min) return `${key} must list at least ${options.min} name`;
    if (v.length > MAX_LIST) return `${key} must list at most ${MAX_LIST} names (it lists ${v.length})`;
    for (let i = 0; i < v.length; i++) {
      const why = name(v[i], `${key}[${i}]`);
      if (why) return why;
    }
    return null;
  };
}

const boolean: Check = (v, key) => (typeof v === 'boolean' ? null : `${key} must be true or false (it is ${kindOf(v)})`);

function integer(min: number, max: number): Check {
  return (v, key) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `${key} must be an integer from ${min} to ${max} (it is ${kindOf(v)})`;
}

function oneOf(choices: readonly string[]): Check {
  return (v, key) => (typeof v === 'string' && choices.includes(v) ? null : `${key} must be one of ${choices.join(', ')} (it is ${describe(v)})`);
}

function describe(v: unknown): string {
  return typeof v === 'string' && v.length > 0 && v.length <= 64 && !CONTROL.test(v) ? JSON.stringify(v) : kindOf(v);
}

function also(first: Check, then: (v: string, key: string) => string | null): Check {
  return (v, key) => first(v, key) ?? then(v as string, key);
}

/** "results.db is unsafe: "../x" climbs out with ..", from a reason that reads "it ...". */
function unsafe(key: string, v: string, why: string | null): string | null {
  return why === null ? null : `${key} is unsafe: ${JSON.stringify(v)} ${why.replace(/^it /, '')}`;
}

/** A path inside the work tree, from its root (`results.db`). */
const repoPath = also(text(MAX_PATH), (v, key) => unsafe(key, v, unsafePathReason(v)));

/** A non-empty list of paths inside the work tree (`run.outputs`). */
const repoPaths: Check = (v, key) => {
  if (!Array.isArray(v)) return `${key} must be a list of paths (it is ${kindOf(v)})`;
  if (v.length < 1) return `${key} must list at least 1 path`;
  if (v.length > MAX_LIST) return `${key} must list at most ${MAX_LIST} paths (it lists ${v.length})`;
  for (let i = 0; i < v.length; i++) {
    const why = repoPath(v[i], `${key}[${i}]`);
    if (why) return why;
  }
  return null;
};

/** A file name alone (`models.production`): it is joined to a folder cairn writes into. */
const fileName = also(text(MAX_NAME), (v, key) => unsafe(key, v, unsafeFileNameReason(v)));

/** As `checkPrefix` in versions/: it becomes the start of tag names. */
const versionPrefix: Check = (v, key) => {
  if (typeof v !== 'string') return `${key} must be a string (it is ${kindOf(v)})`;
  if (v.length > 64 || !/^[A-Za-z0-9._-]*$/.test(v) || v.startsWith('-') || v.startsWith('.') || v.includes('..')) {
    return `${key} may only hold letters, digits, ".", "_" and "-" (at most 64), and may not start with "-" or "." nor hold ".."`;
  }
  return null;
};

const remoteName: Check = also(text(64), (v, key) =>
  REMOTE_NAME.test(v) && !isReservedName(v)
    ? null
    : `${key} must be a remote name (letters, digits, ".", "_" and "-", starting with a letter or digit; it is ${describe(v)})`,
);

/** The forms `parseRemoteUrl` accepts: a folder path, `file:///abs/path` or `s3://bucket/prefix`. */
const remoteUrl = also(text(MAX_PATH), (url, key) => {
  const bad = (why: string): string => `${key} must be a folder path, file:///path or s3://bucket/prefix (${why})`;
  if (url.startsWith('s3://')) {
    const rest = url.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!S3_BUCKET.test(bucket) || bucket.includes('..')) return bad(`${describe(bucket)} is not a valid bucket name`);
    if (prefix !== '' && prefix.split('/').some((p) => p === '' || p === '.' || p === '..')) return bad('the prefix has an empty, "." or ".." segment');
    return null;
  }
  if (url.startsWith('file://')) {
    let p: string;
    try {
      p = decodeURIComponent(url.slice(7));
    } catch {
      return bad('its %-escapes are not valid');
    }
    if (!p.startsWith('/')) return bad('a file:// URL needs an absolute path');
    if (CONTROL.test(p)) return bad('it decodes to control characters');
    return null;
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) return bad(`the ${url.split(':')[0]}:// scheme is not supported`);
  if (/^[^/]+:/.test(url) && !url.startsWith('./')) return bad('an scp-style host:path is not supported');
  return null;
});

const httpUrl = also(text(MAX_PATH), (v, key) => (/^https?:\/\/[^\s/]+/.test(v) ? null : `${key} must be an http(s) URL such as http://127.0.0.1:9000`));

/** What a key may hold, and whether the committed file may set it at all. */
interface KeySpec {
  check: Check;
  /** The committed file may not set it: why, for the UnsafeError. */
  notCommitted?: { why: string; hint: string };
}

const SECRET_HINT = 'move accessKeyId/secretAccessKey to .cairn/config.local.json (ignored by git) or use AWS_* variables, then rotate the key';

const REMOTE: Record<string, KeySpec> = {
  url: { check: remoteUrl },
  endpoint: { check: httpUrl },
  region: { check: text(64) },
  forcePathStyle: { check: boolean },
  profile: { check: name },
  // Never in the committed file: validateConfigFile refuses them there first.
  accessKeyId: { check: text(MAX_NAME) },
  secretAccessKey: { check: text(MAX_NAME) },
};

/** Every section and its keys; `remotes` holds one REMOTE object per name, `remote` is a plain value. */
const SECTIONS: Record<string, Record<string, KeySpec>> = {
  cache: {
    dir: {
      check: text(MAX_PATH),
      notCommitted: {
        why: 'a cloned repository must not choose where cairn writes objects and where gc deletes them',
        hint: 'set cache.dir in .cairn/config.local.json (ignored by git) or CAIRN_CACHE_DIR instead, and remove it from .cairn/config.json',
      },
    },
    link: { check: oneOf(LINK_TYPES) },
  },
  versions: { prefix: { check: versionPrefix } },
  metrics: { primary: { check: name }, minimize: { check: boolean }, names: { check: names({ min: 0 }) } },
  results: {
    versionColumns: { check: names({ min: 1 }) },
    runColumns: { check: names({ min: 1 }) },
    bookkeepingColumns: { check: names({ min: 0 }) },
    db: { check: repoPath },
    table: { check: name },
  },
  merge: {
    strategy: { check: oneOf(['merge', 'rebase']) },
    id: { check: names({ min: 0 }) },
    key: { check: names({ min: 1 }) },
    tables: { check: names({ min: 0 }) },
  },
  models: { production: { check: fileName } },
  run: { outputs: { check: repoPaths } },
  transfer: { jobs: { check: integer(1, 256) } },
};

const TOP_LEVEL = ['cache', 'remotes', 'remote', 'versions', 'metrics', 'results', 'merge', 'models', 'run', 'transfer'];

/** Every key a config file may hold, by section (`remotes.<name>` takes the remote keys; `remote` is a value, not a section). */
export const CONFIG_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  TOP_LEVEL.map((s) => [s, s === 'remotes' ? Object.keys(REMOTE) : Object.keys(SECTIONS[s] ?? {})]),
);

/**
 * Check one parsed config file against the schema. `shown` is how the file
 * is named in messages (`.cairn/config.json`). Throws IntegrityError (exit 8)
 * for a wrong type, shape or value, an unknown key or a remote without a url
 * in the committed file; UnsafeError (exit 7) for what only the user's local
 * file may set (`cache.dir`, credentials).
 */
export function validateConfigFile(cfg: unknown, shown: string, layer: ConfigLayer): Json {
  const invalid = (problem: string, key: string): IntegrityError =>
    new IntegrityError(`${shown}: ${problem}`, {
      hint:
        layer === 'committed'
          ? `fix ${shown} by hand (docs/CONFIG.md lists every key), or restore it with git checkout -- ${shown}`
          : `fix ${shown} by hand (docs/CONFIG.md lists every key)`,
      data: { file: shown, key },
    });
  const unknown = (key: string, valid: readonly string[]): IntegrityError =>
    new IntegrityError(`${shown}: unknown key ${key}`, { hint: `valid keys here: ${valid.join(', ')}`, data: { file: shown, key, valid } });
  const keysOf = (obj: Json, key: string, spec: Record<string, KeySpec>): void => {
    for (const [k, value] of Object.entries(obj)) {
      const at = `${key}.${k}`;
      const rule = Object.hasOwn(spec, k) ? spec[k]! : undefined;
      if (!rule) throw unknown(at, Object.keys(spec));
      if (layer === 'committed' && rule.notCommitted) {
        throw new UnsafeError(`${shown} sets ${at}, and that file is committed: ${rule.notCommitted.why}`, {
          hint: rule.notCommitted.hint,
          data: { file: shown, key: at },
        });
      }
      const why = rule.check(value, at);
      if (why) throw invalid(why, at);
    }
  };

  if (!isPlainObject(cfg)) throw invalid(`the file must hold a JSON object (it holds ${kindOf(cfg)})`, '');
  for (const [section, value] of Object.entries(cfg)) {
    if (!TOP_LEVEL.includes(section)) throw unknown(section, TOP_LEVEL);
    if (section === 'remote') {
      const why = remoteName(value, section);
      if (why) throw invalid(why, section);
      continue;
    }
    if (!isPlainObject(value)) throw invalid(`${section} must be an object (it is ${kindOf(value)})`, section);
    if (section !== 'remotes') {
      keysOf(value, section, SECTIONS[section]!);
      continue;
    }
    for (const [remote, entry] of Object.entries(value)) {
      const at = `remotes.${remote}`;
      if (!REMOTE_NAME.test(remote) || isReservedName(remote)) {
        throw invalid(`${at}: ${describe(remote)} is not a remote name (letters, digits, ".", "_" and "-", starting with a letter or digit)`, at);
      }
      if (!isPlainObject(entry)) throw invalid(`${at} must be an object with a url (it is ${kindOf(entry)})`, at);
      if (layer === 'committed' && ('secretAccessKey' in entry || 'accessKeyId' in entry)) {
        // The established message, checked before anything else in the entry: a leak is worse than a typo.
        throw new UnsafeError(`${shown} holds credentials for remote ${remote}, and that file is committed`, {
          hint: SECRET_HINT,
          data: { file: shown, key: at },
        });
      }
      keysOf(entry, at, REMOTE);
      // The local file may add credentials to a remote the committed file defines; there the url comes from the merge.
      if (layer === 'committed' && !('url' in entry)) throw invalid(`${at}.url is missing (every remote needs a url)`, `${at}.url`);
    }
  }
  return cfg;
}

/**
 * After the layers are merged: every remote must have its url from some file.
 * `shown` names the local file, the only one that can lack it.
 */
export function checkMergedRemotes(remotes: Record<string, { url?: unknown }>, shown: string): void {
  for (const [remote, entry] of Object.entries(remotes)) {
    if (entry.url === undefined) {
      throw new IntegrityError(`${shown}: remotes.${remote}.url is missing (every remote needs a url, here or in .cairn/config.json)`, {
        hint: `add a url to remotes.${remote} in ${shown}, or remove that entry`,
        data: { file: shown, key: `remotes.${remote}.url` },
      });
    }
  }
}

/** The problem with one value of `section.key` (named `shown` in the sentence), or null: for values that come from elsewhere, such as `CAIRN_*` variables. */
export function valueProblem(section: string, key: string, value: unknown, shown: string): string | null {
  const rule = SECTIONS[section]?.[key];
  if (!rule) throw new InternalError(`no config key ${section}.${key}`);
  return rule.check(value, shown);
}
