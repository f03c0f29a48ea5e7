/**
 * Property tests (fast-check) for the on-disk formats. Version bumping and
 * tag message round trips have theirs in test/versions and test/experiments.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/store/hash.js';
import { compareUtf8, parseManifest, renderManifest, type ManifestEntry } from '../../src/store/manifest.js';
import { parsePointer, renderPointer, type Pointer } from '../../src/store/pointer.js';
import { unsafePathReason } from '../../src/trust/pathNames.js';
import { IntegrityError, UnsafeError } from '../../src/errors.js';

const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  // eslint-disable-next-line no-control-regex
  .filter((s) => !s.includes('/') && !s.includes('\\') && s !== '.' && s !== '..' && !/[\u0000-\u001f]/.test(s));
const relPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const hash = fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => hashBytes(b));
const entry = fc.record({ path: relPath, hash, size: fc.nat({ max: 2 ** 40 }), mode: fc.constantFrom(0o644, 0o755) });

/** Entries with unique paths, none being both a file and a folder. */
const entries = fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 30 }).map((list) => {
  const names = new Set(list.map((e) => e.path));
  return list.filter(
    (e) =>
      !e.path
        .split('/')
        .slice(0, -1)
        .some((_, i, parts) => names.has(parts.slice(0, i + 1).join('/'))),
  );
});

describe('manifest format (properties)', () => {
  it('any valid tree renders, parses back to the same entries in UTF-8 byte order, and renders identically', () => {
    fc.assert(
      fc.property(entries, (list: ManifestEntry[]) => {
        const text = renderManifest(list);
        const parsed = parseManifest(text, 'm');
        expect(parsed).toEqual([...list].sort((a, b) => compareUtf8(a.path, b.path)));
        expect(renderManifest(parsed)).toBe(text);
        for (let i = 1; i < parsed.length; i++) {
          expect(Buffer.compare(Buffer.from(parsed[i - 1]!.path), Buffer.from(parsed[i]!.path))).toBeLessThan(0);
        }
      }),
    );
  });

  it('the order of the input never changes the bytes (so the hash is a function of the tree)', () => {
    fc.assert(
      fc.property(entries, fc.nat(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.path.length * 31 + seed) % 7) - ((b.path.length * 31 + seed) % 7));
        expect(hashBytes(renderManifest(shuffled))).toBe(hashBytes(renderManifest(list)));
      }),
    );
  });

  it('a traversal segment anywhere is refused', () => {
    fc.assert(
      fc.property(
        entries.filter((l) => l.length > 0),
        fc.nat(),
        (list, at) => {
          const bad = list.map((e, i) => (i === at % list.length ? { ...e, path: `${e.path}/../../x` } : e));
          expect(() => parseManifest(renderManifest(bad), 'm')).toThrow(IntegrityError);
        },
      ),
    );
  });
});

const pointer: fc.Arbitrary<Pointer> = fc.oneof(
  fc.record({ cairn: fc.constant(1 as const), kind: fc.constant('file' as const), path: segment, hash, size: fc.nat({ max: 2 ** 50 }) }),
  fc.record({
    cairn: fc.constant(1 as const),
    kind: fc.constant('dir' as const),
    path: segment,
    hash,
    files: fc.nat({ max: 1e6 }),
    size: fc.nat({ max: 2 ** 50 }),
  }),
);

describe('pointer format (properties)', () => {
  it('any pointer renders and parses back to itself', () => {
    fc.assert(
      fc.property(pointer, (p) => {
        const text = renderPointer(p);
        expect(parsePointer(text, `${p.path}.cairn`, p.path)).toEqual(p);
        expect(text.endsWith('}\n')).toBe(true);
      }),
    );
  });

  it('any path with a .. segment, or absolute, is refused as unsafe and never parsed into a pointer', () => {
    const unsafe = fc.oneof(
      relPath.map((p) => `../${p}`),
      relPath.map((p) => `${p}/..`),
      relPath.map((p) => `/${p}`),
    );
    fc.assert(
      fc.property(pointer, unsafe, (p, bad) => {
        expect(unsafePathReason(bad)).not.toBeNull();
        expect(() => parsePointer(JSON.stringify({ ...p, path: bad }), 'x.cairn', p.path)).toThrow(UnsafeError);
      }),
    );
  });

  it('arbitrary text is either a valid pointer or a typed error, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parsePointer(text, 'x.cairn', 'x');
        } catch (err) {
          expect(err instanceof IntegrityError || err instanceof UnsafeError).toBe(true);
        }
      }),
    );
  });
});
