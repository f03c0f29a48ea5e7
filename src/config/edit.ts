/**
 * `cairn config get | set | unset | list`: read and change config keys by
 * their dotted path (`metrics.primary`, `remotes.store.url`) instead of
 * editing JSON by hand. Writes go through updateConfigFile, so the schema
 * checks a change before it is written.
 */
import { UsageError, NotFoundError } from '../errors.js';
import { gitAdd } from '../git/git.js';
import { CONFIG_DIR, CONFIG_FILE, LOCAL_CONFIG_FILE, updateConfigFile, type CairnConfig, type ConfigFileName } from './config.js';
import { CONFIG_KEYS, isPlainObject, isReservedName } from './schema.js';

type Json = Record<string, unknown>;

/** Split a key path and check that the schema knows it. */
export function parseKeyPath(key: string): string[] {
  const parts = key.split('.');
  const [section, ...rest] = parts;
  const bad = (why: string): UsageError =>
    new UsageError(`${key} is not a config key: ${why}`, {
      hint: `keys: ${Object.entries(CONFIG_KEYS)
        .map(([s, keys]) => (s === 'remote' ? s : s === 'remotes' ? 'remotes.<name>.<key>' : keys.map((k) => `${s}.${k}`).join(', ')))
        .join(', ')}`,
      data: { key },
    });
  if (parts.some((p) => p === '' || isReservedName(p))) throw bad('empty or reserved part');
  if (!section || !(section in CONFIG_KEYS)) throw bad(`no section ${JSON.stringify(section)}`);
  if (section === 'remote') {
    if (rest.length) throw bad('remote is a value (the default remote name)');
    return parts;
  }
  if (section === 'remotes') {
    if (rest.length === 1 || (rest.length === 2 && CONFIG_KEYS.remotes!.includes(rest[1]!))) return parts;
    throw bad(`a remote takes ${CONFIG_KEYS.remotes!.join(', ')}`);
  }
  if (rest.length !== 1 || !CONFIG_KEYS[section]!.includes(rest[0]!)) throw bad(`${section} takes ${CONFIG_KEYS[section]!.join(', ')}`);
  return parts;
}

/** A value typed on the command line: JSON when it parses (numbers, true, lists), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The effective value at a key path (every layer merged), or throws NotFoundError when unset. */
export function configGet(config: CairnConfig, key: string): unknown {
  let node: unknown = config;
  for (const part of parseKeyPath(key)) {
    node = isPlainObject(node) ? node[part] : undefined;
  }
  if (node === undefined) throw new NotFoundError(`${key} is not set`, { hint: `cairn config set ${key} <value>`, data: { key } });
  return node;
}

/** Every set key of the effective config as `[dotted path, value]`, sorted. */
export function configEntries(config: CairnConfig): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (node: Json, prefix: string, depth: number): void => {
    for (const [k, v] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${k}` : k;
      // Sections and remotes are objects; values (even objects) below them are leaves.
      if (isPlainObject(v) && depth < (prefix.startsWith('remotes') || k === 'remotes' ? 2 : 1)) walk(v, key, depth + 1);
      else if (!/(secretAccessKey|accessKeyId)$/.test(key)) out.push([key, v]);
      else out.push([key, '<hidden>']);
    }
  };
  walk(config as unknown as Json, '', 0);
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** Set (or, with `value` undefined, unset) a key in the committed config (then staged) or, with `local`, in config.local.json. */
export async function configSet(root: string, key: string, value: unknown, options: { local?: boolean } = {}): Promise<{ file: string }> {
  const parts = parseKeyPath(key);
  const file: ConfigFileName = options.local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
  updateConfigFile(root, file, (cfg) => {
    const next = structuredClone(cfg);
    let node: Json = next;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) {
        if (value === undefined) return next;
        node[part] = {};
      }
      node = node[part] as Json;
    }
    const last = parts[parts.length - 1]!;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return next;
  });
  if (file === CONFIG_FILE) await gitAdd(root, [`:(literal)${CONFIG_DIR}/${CONFIG_FILE}`]);
  return { file: `${CONFIG_DIR}/${file}` };
}
