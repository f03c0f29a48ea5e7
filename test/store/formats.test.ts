import { describe, expect, it } from 'vitest';
import { hashBytes, isHash } from '../../src/store/hash.js';
import { parsePointer, renderPointer } from '../../src/store/pointer.js';
import { isGitDirName, unsafeFileNameReason, unsafePathReason } from '../../src/trust/pathNames.js';
import { compareUtf8, parseManifest, renderManifest, type ManifestEntry } from '../../src/store/manifest.js';
import { IntegrityError, UnsafeError } from '../../src/errors.js';

const HELLO = 'sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('hashes (golden values)', () => {
  it('known bytes give known sha256 hashes', () => {
    expect(hashBytes('hello\n')).toBe(HELLO);
    expect(hashBytes(new Uint8Array())).toBe(EMPTY);
  });
  it('recognises well-formed hashes only', () => {
    expect(isHash(HELLO)).toBe(true);
    expect(isHash(HELLO.slice(0, -1))).toBe(false);
    expect(isHash(HELLO.toUpperCase())).toBe(false);
    expect(isHash('md5:' + HELLO.slice(7))).toBe(false);
  });
});

describe('pointer format', () => {
  const pointer = { cairn: 1 as const, kind: 'file' as const, path: 'train.parquet', hash: HELLO, size: 6 };

  it('renders keys in order, 2-space indent, trailing newline', () => {
    expect(renderPointer(pointer)).toBe(`{\n  "cairn": 1,\n  "kind": "file",\n  "path": "train.parquet",\n  "hash": "${HELLO}",\n  "size": 6\n}\n`);
    expect(renderPointer({ cairn: 1, kind: 'dir', path: 'images', hash: HELLO, files: 2, size: 10 })).toBe(
      `{\n  "cairn": 1,\n  "kind": "dir",\n  "path": "images",\n  "hash": "${HELLO}",\n  "files": 2,\n  "size": 10\n}\n`,
    );
  });

  it('parses what it renders', () => {
    expect(parsePointer(renderPointer(pointer), 'train.parquet.cairn', 'train.parquet')).toEqual(pointer);
  });

  const bad: [string, string, typeof IntegrityError | typeof UnsafeError, RegExp][] = [
    ['not JSON', '{"cairn": 1,', IntegrityError, /not JSON/],
    ['a BOM', '\ufeff' + renderPointer(pointer), IntegrityError, /byte-order mark/],
    ['an array', '[]', IntegrityError, /not a JSON object/],
    ['a future version', JSON.stringify({ ...pointer, cairn: 2 }), IntegrityError, /unsupported format version/],
    ['an unknown kind', JSON.stringify({ ...pointer, kind: 'link' }), IntegrityError, /unknown kind/],
    ['a short hash', JSON.stringify({ ...pointer, hash: HELLO.slice(0, 20) }), IntegrityError, /hash/],
    ['a negative size', JSON.stringify({ ...pointer, size: -1 }), IntegrityError, /size/],
    ['a huge size', JSON.stringify({ ...pointer, size: 2 ** 60 }), IntegrityError, /size/],
    ['a traversal path', JSON.stringify({ ...pointer, path: '../../etc/passwd' }), UnsafeError, /unsafe/],
    ['an absolute path', JSON.stringify({ ...pointer, path: '/etc/passwd' }), UnsafeError, /absolute/],
    ['a path naming another file', JSON.stringify({ ...pointer, path: 'other.bin' }), IntegrityError, /named for/],
    ['a nested path', JSON.stringify({ ...pointer, path: 'a/train.parquet' }), IntegrityError, /beside the pointer/],
  ];
  it.each(bad)('refuses a pointer with %s', (_what, text, type, message) => {
    expect(() => parsePointer(text, 'train.parquet.cairn', 'train.parquet')).toThrow(type);
    expect(() => parsePointer(text, 'train.parquet.cairn', 'train.parquet')).toThrow(message);
  });

  it('explains why a path is unsafe', () => {
    expect(unsafePathReason('a/../b')).toMatch(/\.\./);
    expect(unsafePathReason('C:\\x')).toMatch(/absolute/);
    expect(unsafePathReason('a\nb')).toMatch(/control/);
    expect(unsafePathReason('a//b')).toMatch(/empty/);
    expect(unsafePathReason('data/train.csv')).toBeNull();
  });

  it.each([
    '.git',
    '.GIT',
    '.gIt',
    '.git.',
    '.git..',
    '.git ',
    '.git . .',
    'git~1',
    'GIT~1',
    'git~1.',
    '.g\u200cit',
    '\ufeff.git',
    '.git::$INDEX_ALLOCATION',
    '.git:stream',
  ])('refuses %j as a path segment anywhere (git verify_path, NTFS and HFS+ spellings)', (name) => {
    expect(isGitDirName(name)).toBe(true);
    expect(unsafePathReason(`vendor/${name}/config`)).toMatch(/git's own folder/);
    expect(unsafePathReason(name)).toMatch(/git's own folder/);
  });

  it.each(['.gitignore', '.github', 'git', '.gitx', 'x.git', 'git~2', '.git-data', 'my.git'])('accepts %j, which git accepts too', (name) => {
    expect(isGitDirName(name)).toBe(false);
    expect(unsafePathReason(`a/${name}`)).toBeNull();
  });

  it('takes only bare file names where a file name is asked for', () => {
    expect(unsafeFileNameReason('model.bin')).toBeNull();
    expect(unsafeFileNameReason('../model.bin')).toMatch(/bare file name/);
    expect(unsafeFileNameReason('.GIT')).toMatch(/git's own folder/);
    expect(unsafeFileNameReason('')).toMatch(/empty/);
  });
});

describe('manifest format', () => {
  const tree: ManifestEntry[] = [
    { path: 'bin/run.sh', hash: 'sha256:299001868fb8c02fd431c336c6d058f5558c5dff5b5af5e6fe04b870a6a9cbba', size: 18, mode: 0o755 },
    { path: 'café/naïve.txt', hash: 'sha256:ebc45fabefbabdd06424b3c476b11e93fec784069ff10844e7383d59f491f8cb', size: 8, mode: 0o644 },
    { path: 'a.txt', hash: HELLO, size: 6, mode: 0o644 },
    { path: 'Zeta.txt', hash: EMPTY, size: 0, mode: 0o644 },
  ];
  const golden =
    '[\n' +
    `{"path":"Zeta.txt","hash":"${EMPTY}","size":0,"mode":420},\n` +
    `{"path":"a.txt","hash":"${HELLO}","size":6,"mode":420},\n` +
    '{"path":"bin/run.sh","hash":"sha256:299001868fb8c02fd431c336c6d058f5558c5dff5b5af5e6fe04b870a6a9cbba","size":18,"mode":493},\n' +
    '{"path":"café/naïve.txt","hash":"sha256:ebc45fabefbabdd06424b3c476b11e93fec784069ff10844e7383d59f491f8cb","size":8,"mode":420}\n' +
    ']\n';

  it('a known tree gives known manifest bytes and hash', () => {
    expect(renderManifest(tree)).toBe(golden);
    expect(hashBytes(renderManifest(tree))).toBe('sha256:dcda30b44b64f602823d6a2f0e0e42ffedd1e6c93976f6fe644ae9ed2a2b7ab5');
  });

  it('sorts by UTF-8 bytes, not by locale or UTF-16', () => {
    expect(['é', 'z', 'Z', '\u{1F600}', '\uFF5E'].sort(compareUtf8)).toEqual(['Z', 'z', 'é', '\uFF5E', '\u{1F600}']);
  });

  it('round-trips', () => {
    expect(parseManifest(golden, 'm')).toEqual([...tree].sort((a, b) => compareUtf8(a.path, b.path)).map((e) => ({ ...e })));
    expect(parseManifest(renderManifest([]), 'm')).toEqual([]);
  });

  const entry = (p: string) => `{"path":${JSON.stringify(p)},"hash":"${HELLO}","size":6,"mode":420}`;
  it.each([
    ['duplicate entries', `[${entry('a')},${entry('a')}]`, /twice/],
    ['a .. entry', `[${entry('../escape')}]`, /unsafe/],
    ['an absolute entry', `[${entry('/etc/passwd')}]`, /unsafe/],
    ['unsorted entries', `[${entry('b')},${entry('a')}]`, /not sorted/],
    ['a file that is also a folder', `[${entry('a')},${entry('a/b')}]`, /both a file and a folder/],
    ['a bad mode', `[{"path":"a","hash":"${HELLO}","size":6,"mode":511}]`, /mode/],
    ['not JSON', '[{', /not JSON/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseManifest(text, 'm')).toThrow(IntegrityError);
    expect(() => parseManifest(text, 'm')).toThrow(message);
  });
});

describe('UTF-8 byte order', () => {
  it('agrees with comparing the encoded bytes, surrogates included', () => {
    const words = ['a', 'b', 'ab', '', 'é', 'z', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', 'a\u{1F600}', 'a\uFFFD', 'Z', '~'];
    for (const x of words) {
      for (const y of words) {
        const bytes = Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(Math.sign(compareUtf8(x, y)), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`).toBe(bytes);
      }
    }
  });
});
