import { describe, expect, it } from 'vitest';
import { IntegrityError, UnsafeError } from '../../src/errors.js';
import { CONFIG_KEYS, checkMergedRemotes, validateConfigFile, valueProblem } from '../../src/config/schema.js';

const FILE = '.cairn/config.json';
const LOCAL = '.cairn/config.local.json';

/** A config holding `value` at the dotted `key` (`remotes.a.url` included). */
function at(key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.');
  let out: unknown = value;
  for (const p of parts.reverse()) out = { [p]: out };
  const cfg = out as Record<string, Record<string, Record<string, unknown>>>;
  // A remote entry needs its url to be complete in the committed file.
  if (key.startsWith('remotes.a.') && key !== 'remotes.a.url') cfg.remotes!.a!.url = 's3://bucket/p';
  return cfg;
}

function problem(cfg: unknown, layer: 'committed' | 'local' = 'committed'): unknown {
  try {
    validateConfigFile(cfg, layer === 'committed' ? FILE : LOCAL, layer);
    return null;
  } catch (err) {
    return err;
  }
}

const long = 'x'.repeat(5000);

/** Every key: values it accepts, and values it refuses with the words the message must hold. */
const KEYS: Record<string, { good: unknown[]; bad: [unknown, string][]; localOnly?: boolean }> = {
  'cache.dir': {
    localOnly: true,
    good: ['/mnt/cache', '../shared-cache', '.cache'],
    bad: [
      [5, 'must be a string (it is the number 5)'],
      ['', 'must not be empty'],
      [null, 'must be a string (it is null)'],
      [['a'], 'must be a string (it is a list)'],
      ['a\nb', 'control characters'],
      [long, 'at most 4096'],
    ],
  },
  'cache.link': {
    good: ['copy', 'reflink', 'hardlink', 'symlink'],
    bad: [
      ['teleport', 'must be one of copy, reflink, hardlink, symlink (it is "teleport")'],
      [true, 'must be one of'],
      ['COPY', 'must be one of'],
      [null, '(it is null)'],
    ],
  },
  'remotes.a.url': {
    good: ['/srv/store', '../store', './rel:colon', 'file:///srv/store', 'file:///srv/with%20space', 's3://bucket', 's3://bucket/some/prefix/'],
    bad: [
      [5, 'must be a string'],
      ['', 'must not be empty'],
      ['http://example.com/x', 'the http:// scheme is not supported'],
      ['ssh://host/x', 'the ssh:// scheme is not supported'],
      ['host:/srv/x', 'scp-style'],
      ['file://relative', 'needs an absolute path'],
      ['file:///a%zz', '%-escapes are not valid'],
      ['file:///a%00b', 'decodes to control characters'],
      ['s3://Bad_Bucket/x', 'is not a valid bucket name'],
      ['s3://bucket/../x', 'empty, "." or ".." segment'],
      ['s3://bucket//x', 'empty, "." or ".." segment'],
      ['/srv/a\u0007b', 'control characters'],
      [{ path: '/x' }, 'must be a string (it is an object)'],
    ],
  },
  'remotes.a.endpoint': {
    good: ['http://127.0.0.1:9000', 'https://s3.example.com'],
    bad: [
      [9000, 'must be a string'],
      ['127.0.0.1:9000', 'must be an http(s) URL'],
      ['ftp://x', 'must be an http(s) URL'],
      ['', 'must not be empty'],
    ],
  },
  'remotes.a.region': {
    good: ['eu-west-1'],
    bad: [
      [1, 'must be a string'],
      ['', 'must not be empty'],
      ['x'.repeat(65), 'at most 64'],
    ],
  },
  'remotes.a.forcePathStyle': {
    good: [true, false],
    bad: [
      ['true', 'must be true or false (it is a string)'],
      [1, 'must be true or false (it is the number 1)'],
      [null, 'must be true or false (it is null)'],
    ],
  },
  'remotes.a.profile': {
    good: ['default'],
    bad: [
      [{}, 'must be a string (it is an object)'],
      ['', 'must not be empty'],
    ],
  },
  'remotes.a.accessKeyId': {
    localOnly: true,
    good: ['AKIA123'],
    bad: [
      [123, 'must be a string'],
      ['', 'must not be empty'],
    ],
  },
  'remotes.a.secretAccessKey': {
    localOnly: true,
    good: ['s3cr3t'],
    bad: [
      [false, 'must be a string (it is false)'],
      ['a\u0000b', 'control characters'],
    ],
  },
  remote: {
    good: ['origin', 'my.store_2', 'a-b'],
    bad: [
      [5, 'must be a string'],
      ['', 'must not be empty'],
      ['../x', 'must be a remote name'],
      ['-x', 'must be a remote name'],
      ['constructor', 'must be a remote name'],
      [['origin'], 'must be a string (it is a list)'],
    ],
  },
  'versions.prefix': {
    good: ['e', 'v', '', 'exp-', 'model_v1.'],
    bad: [
      [1, 'must be a string (it is the number 1)'],
      ['-x', 'may not start with "-"'],
      ['.x', 'may not start'],
      ['a..b', '".."'],
      ['a/b', 'may only hold'],
      ['x'.repeat(65), 'at most 64'],
      [null, 'must be a string (it is null)'],
    ],
  },
  'metrics.primary': {
    good: ['f1', 'val loss', 'accuracy@1'],
    bad: [
      [['f1'], 'metrics.primary must be a string (it is a list)'],
      ['', 'must not be empty'],
      [0.5, 'must be a string'],
      ['f\t1', 'control characters'],
      ['x'.repeat(257), 'at most 256'],
    ],
  },
  'metrics.minimize': {
    good: [true, false],
    bad: [
      ['yes', 'must be true or false'],
      [0, 'must be true or false'],
      [null, 'must be true or false (it is null)'],
    ],
  },
  'metrics.names': {
    good: [[], ['f1', 'loss']],
    bad: [
      ['f1', 'must be a list of names (it is a string)'],
      [[1], 'metrics.names[0] must be a string (it is the number 1)'],
      [['f1', ''], 'metrics.names[1] must not be empty'],
      [{ 0: 'f1' }, 'must be a list of names (it is an object)'],
      [Array(1001).fill('m'), 'at most 1000'],
    ],
  },
  'results.versionColumns': {
    good: [['version'], ['v', 'experiment_version']],
    bad: [
      [[], 'must list at least 1 name'],
      ['version', 'must be a list of names (it is a string)'],
      [[null], 'results.versionColumns[0] must be a string (it is null)'],
    ],
  },
  'results.runColumns': {
    good: [['run_id']],
    bad: [
      [[], 'must list at least 1 name'],
      [[['run']], 'results.runColumns[0] must be a string (it is a list)'],
    ],
  },
  'results.bookkeepingColumns': {
    good: [[], ['timestamp']],
    bad: [
      [{}, 'must be a list of names (it is an object)'],
      [['a\nb'], 'control characters'],
    ],
  },
  'results.db': {
    good: ['results.db', 'results/exp.db', 'a b/c.duckdb'],
    bad: [
      [5, 'results.db must be a string (it is the number 5)'],
      ['', 'must not be empty'],
      ['../outside.db', 'results.db is unsafe: "../outside.db" climbs out with ..'],
      ['/etc/passwd', 'is absolute'],
      ['C:/x.db', 'is absolute'],
      ['.git/config', "names git's own folder"],
      ['sub/.GIT./x', "names git's own folder"],
      ['git~1/x', "names git's own folder"],
      ['a\\b.db', 'backslash'],
      ['a//b.db', 'empty or "." segment'],
      ['./a.db', 'empty or "." segment'],
    ],
  },
  'results.table': {
    good: ['default', 'my table'],
    bad: [
      [['default'], 'must be a string (it is a list)'],
      ['', 'must not be empty'],
      [{}, 'must be a string (it is an object)'],
    ],
  },
  'merge.strategy': {
    good: ['merge', 'rebase'],
    bad: [
      ['squash', 'must be one of merge, rebase (it is "squash")'],
      [1, 'must be one of merge, rebase (it is the number 1)'],
    ],
  },
  'merge.id': {
    good: [[], ['track_id', 'timestamp']],
    bad: [
      ['track_id', 'merge.id must be a list of names (it is a string)'],
      [[''], 'merge.id[0] must not be empty'],
      [[1, 2], 'merge.id[0] must be a string'],
    ],
  },
  'merge.key': {
    good: [['version']],
    bad: [
      [[], 'merge.key must list at least 1 name'],
      ['version', 'must be a list of names'],
      [null, 'must be a list of names (it is null)'],
    ],
  },
  'merge.tables': {
    good: [[], ['default', 'events']],
    bad: [
      ['default', 'must be a list of names'],
      [[true], 'merge.tables[0] must be a string (it is true)'],
    ],
  },
  'run.outputs': {
    good: [['results/experiments.db'], ['results/experiments.db', 'models/candidates']],
    bad: [
      [[], 'run.outputs must list at least 1 path'],
      ['results.db', 'must be a list of paths'],
      [['../x'], 'run.outputs[0] is unsafe: "../x" climbs out with ..'],
      [['ok.db', '.git/config'], 'run.outputs[1] is unsafe'],
      [[5], 'run.outputs[0] must be a string'],
    ],
  },
  'models.production': {
    good: ['model.bin', 'best.pt', 'model with space.onnx'],
    bad: [
      [5, 'must be a string'],
      ['', 'must not be empty'],
      ['../../x', 'models.production is unsafe: "../../x" is not a bare file name'],
      ['sub/model.bin', 'is not a bare file name'],
      ['..', 'climbs out with ..'],
      ['.', 'empty or "." segment'],
      ['.git', "names git's own folder"],
      ['.Git ', "names git's own folder"],
      ['GIT~1', "names git's own folder"],
      ['m\\..\\x', 'backslash'],
      ['m\u001bx', 'control character'],
    ],
  },
  'transfer.jobs': {
    good: [1, 8, 256],
    bad: [
      [0, 'must be an integer from 1 to 256 (it is the number 0)'],
      [257, 'from 1 to 256'],
      [1e308, 'from 1 to 256'],
      [2.5, 'from 1 to 256'],
      ['8', 'from 1 to 256 (it is a string)'],
      [-1, 'from 1 to 256'],
      [null, '(it is null)'],
    ],
  },
};

describe('the config schema', () => {
  it('the table below covers every key the schema knows', () => {
    const known = Object.entries(CONFIG_KEYS).flatMap(([section, keys]) =>
      keys.length === 0 ? [section] : keys.map((k) => (section === 'remotes' ? `remotes.a.${k}` : `${section}.${k}`)),
    );
    expect(Object.keys(KEYS).sort()).toEqual(known.sort());
  });

  const goods = Object.entries(KEYS).flatMap(([key, c]) => c.good.map((v): [string, unknown, boolean] => [key, v, c.localOnly ?? false]));
  it.each(goods)('%s accepts %j', (key, value, localOnly) => {
    expect(problem(at(key, value), localOnly ? 'local' : 'committed')).toBeNull();
  });

  const bads = Object.entries(KEYS).flatMap(([key, c]) => c.bad.map((b): [string, unknown, string, boolean] => [key, b[0], b[1], c.localOnly ?? false]));
  it.each(bads)('%s refuses %j: exit 8 naming the file and the key', (key, value, words, localOnly) => {
    const layer = localOnly ? 'local' : 'committed';
    const err = problem(at(key, value), layer) as IntegrityError;
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.exitCode).toBe(8);
    expect(err.message).toContain(`${layer === 'local' ? LOCAL : FILE}: ${key}`);
    expect(err.message).toContain(words);
    expect(err.hint).toContain(layer === 'local' ? LOCAL : FILE);
  });
});

describe('the shape of sections', () => {
  it.each([
    ['metrics', null],
    ['metrics', []],
    ['metrics', 'f1'],
    ['cache', 5],
    ['results', ['db']],
    ['merge', true],
    ['models', 'model.bin'],
    ['transfer', 8],
    ['versions', 'e'],
    ['remotes', []],
    ['remotes', null],
    ['remotes', 's3://bucket'],
  ])('%s: %j is not an object', (section, value) => {
    const err = problem({ [section]: value }) as IntegrityError;
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toMatch(new RegExp(`^\\.cairn/config\\.json: ${section} must be an object \\(it is `));
  });

  it.each([
    [{ a: null }, 'remotes.a must be an object with a url (it is null)'],
    [{ a: 's3://bucket' }, 'remotes.a must be an object with a url (it is a string)'],
    [{ a: ['s3://bucket'] }, 'remotes.a must be an object with a url (it is a list)'],
    [{ a: {} }, 'remotes.a.url is missing'],
    [{ a: { endpoint: 'http://x' } }, 'remotes.a.url is missing'],
    [{ '../x': { url: '/x' } }, 'remotes.../x: "../x" is not a remote name'],
    [{ '': { url: '/x' } }, 'remotes.: an empty string is not a remote name'],
    [{ constructor: { url: '/x' } }, 'remotes.constructor: "constructor" is not a remote name'],
    [{ hasOwnProperty: { url: '/x' } }, 'remotes.hasOwnProperty: "hasOwnProperty" is not a remote name'],
    [JSON.parse('{"__proto__": {"url": "/x"}}') as object, 'remotes.__proto__: "__proto__" is not a remote name'],
    [{ a: { url: '/x', endpiont: 'http://x' } }, 'unknown key remotes.a.endpiont'],
  ])('remotes %j', (remotes, words) => {
    const err = problem({ remotes }) as IntegrityError;
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain(`${FILE}: ${words}`);
  });

  it('a file that is not an object', () => {
    for (const v of [[], null, 'x', 5]) expect(problem(v)).toBeInstanceOf(IntegrityError);
  });

  it.each([
    ['{"__proto__": {"cache": {"dir": "/x"}}}', 'unknown key __proto__'],
    ['{"metrics": {"__proto__": {"primary": 5}}}', 'unknown key metrics.__proto__'],
    ['{"constructor": {}}', 'unknown key constructor'],
    ['{"cache": {"toString": "x"}}', 'unknown key cache.toString'],
    ['{"remotes": {"a": {"url": "/x", "__proto__": {}}}}', 'unknown key remotes.a.__proto__'],
    ['{"metrics": {"primry": "f1"}}', 'unknown key metrics.primry'],
    ['{"remtoes": {}}', 'unknown key remtoes'],
  ])('%s: unknown key, exit 8', (text, words) => {
    const err = problem(JSON.parse(text)) as IntegrityError;
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toBe(`${FILE}: ${words}`);
    expect(err.hint).toMatch(/^valid keys here: /);
  });

  it('accepts a full, valid file and leaves it as it was', () => {
    const cfg = {
      cache: { link: 'hardlink' },
      remotes: {
        origin: { url: 's3://bucket/p', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, profile: 'lab' },
        nfs: { url: '/mnt/nfs' },
      },
      remote: 'origin',
      versions: { prefix: 'v' },
      metrics: { primary: 'f1', minimize: false, names: ['f1', 'acc'] },
      results: { versionColumns: ['version'], runColumns: ['run_id'], bookkeepingColumns: [], db: 'results/exp.db', table: 'default' },
      merge: { strategy: 'rebase', id: ['track_id'], key: ['version'], tables: ['default'] },
      models: { production: 'model.onnx' },
      transfer: { jobs: 4 },
    };
    const copy = structuredClone(cfg);
    expect(validateConfigFile(cfg, FILE, 'committed')).toBe(cfg);
    expect(cfg).toEqual(copy);
  });
});

describe('what only the local file may set', () => {
  it('cache.dir in the committed file: exit 7, whatever its value', () => {
    for (const dir of ['/home/victim', '.cache', 5]) {
      const err = problem({ cache: { dir } }) as UnsafeError;
      expect(err).toBeInstanceOf(UnsafeError);
      expect(err.exitCode).toBe(7);
      expect(err.message).toContain('.cairn/config.json sets cache.dir, and that file is committed');
      expect(err.hint).toContain('CAIRN_CACHE_DIR');
    }
    expect(problem({ cache: { dir: '/mnt/cache' } }, 'local')).toBeNull();
  });

  it('credentials in the committed file: exit 7; a local entry may add them without a url', () => {
    for (const key of ['accessKeyId', 'secretAccessKey']) {
      const err = problem({ remotes: { s: { url: 's3://bucket', [key]: 'x' } } }) as UnsafeError;
      expect(err).toBeInstanceOf(UnsafeError);
      expect(err.message).toBe('.cairn/config.json holds credentials for remote s, and that file is committed');
    }
    expect(problem({ remotes: { s: { accessKeyId: 'a', secretAccessKey: 'b' } } }, 'local')).toBeNull();
  });

  it('after the merge, a remote the local file adds without a url is named', () => {
    expect(() => checkMergedRemotes({ s: { url: 's3://b' } }, LOCAL)).not.toThrow();
    expect(() => checkMergedRemotes({ s: {} }, LOCAL)).toThrow(/^\.cairn\/config\.local\.json: remotes\.s\.url is missing/);
  });
});

describe('values from elsewhere', () => {
  it('valueProblem names what the caller names', () => {
    expect(valueProblem('versions', 'prefix', '-x', 'CAIRN_VERSIONS_PREFIX')).toMatch(/^CAIRN_VERSIONS_PREFIX may only hold/);
    expect(valueProblem('versions', 'prefix', 'v', 'CAIRN_VERSIONS_PREFIX')).toBeNull();
  });
});
