import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import {
  bumpVersion,
  checkPrefix,
  compareExperimentTags,
  compareParts,
  latestVersion,
  nextFreeTag,
  nextVersion,
  nextWorktreeTag,
  parseExperimentTag,
  parseSemverTag,
  parseWorktreeTag,
  type BumpKind,
} from '../../src/versions/version.js';
import { UsageError } from '../../src/errors.js';

const part = fc.integer({ min: 0, max: 10_000 });
const plain = fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);
const bump = fc.constantFrom<BumpKind>('major', 'minor', 'patch');

describe('parsing versions', () => {
  it('reads <prefix>X.Y.Z with the prefix given', () => {
    expect(parseSemverTag('e0.3.0', 'e')).toEqual({ kind: 'semver', tag: 'e0.3.0', prefix: 'e', version: '0.3.0', parts: [0, 3, 0] });
    expect(parseSemverTag('v12.0.7', 'v')?.parts).toEqual([12, 0, 7]);
    expect(parseSemverTag('1.2.3', '')?.version).toBe('1.2.3');
    expect(parseSemverTag('release-1.2.3', 'release-')?.version).toBe('1.2.3');
  });

  it.each([
    'e1',
    'e1.x',
    'e1.2',
    'e1.2.3.4',
    'e01.2.3',
    'e1.02.3',
    'e1.2.3-rc.1',
    'e1.2.3+build',
    'e 1.2.3',
    'v1.2.3',
    'e',
    'e-1.2.3',
    'E1.2.3',
    'e99999999999999999.0.0',
  ])('skips the malformed or foreign tag %j (null, never an error)', (tag) => {
    expect(parseSemverTag(tag, 'e')).toBeNull();
  });

  it('reads worktree experiment tags exp-<name>-v<N>', () => {
    expect(parseWorktreeTag('exp-cnn-v3')).toEqual({ kind: 'worktree', tag: 'exp-cnn-v3', name: 'cnn', n: 3 });
    expect(parseWorktreeTag('exp-big-model-v12')).toMatchObject({ name: 'big-model', n: 12 });
    for (const bad of ['exp-cnn', 'exp-cnn-v0', 'exp-cnn-v01', 'exp--v1', 'exp-cnn-vx', 'exp-cnn-v1.0', 'xexp-a-v1']) {
      expect(parseWorktreeTag(bad), bad).toBeNull();
    }
    expect(parseExperimentTag('exp-cnn-v1', 'e')).toMatchObject({ kind: 'worktree' });
    expect(parseExperimentTag('e0.1.0', 'e')).toMatchObject({ kind: 'semver' });
    expect(parseExperimentTag('v0.1.0', 'e')).toBeNull();
  });

  it('never throws on arbitrary tag names', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('e', 'v', '', 'exp-'), (tag, prefix) => {
        const parsed = parseExperimentTag(tag, prefix);
        if (parsed?.kind === 'semver') expect(semver.valid(parsed.version)).toBe(parsed.version);
      }),
    );
  });

  it('refuses prefixes that cannot start a tag name', () => {
    expect(checkPrefix('e')).toBe('e');
    expect(checkPrefix('')).toBe('');
    for (const bad of ['-e', '.e', 'a..b', 'e/x', 'e x', 'e*']) expect(() => checkPrefix(bad), bad).toThrow(UsageError);
  });
});

describe('ordering and bumping agree with semver', () => {
  it('compares like semver.compare', () => {
    fc.assert(
      fc.property(plain, plain, (a, b) => {
        const pa = parseSemverTag('e' + a, 'e')!;
        const pb = parseSemverTag('e' + b, 'e')!;
        expect(Math.sign(compareParts(pa.parts, pb.parts))).toBe(semver.compare(a, b));
      }),
    );
  });

  it('bumps like semver.inc', () => {
    fc.assert(
      fc.property(plain, bump, (v, kind) => {
        expect(bumpVersion(v, kind)).toBe(semver.inc(v, kind));
      }),
    );
  });

  it('orders by version, not by string: e0.10.0 after e0.9.0; worktree tags after versions', () => {
    const tags = ['exp-cnn-v10', 'e0.10.0', 'e1.0.0', 'exp-cnn-v2', 'e0.9.0', 'e0.9.10', 'exp-attn-v1', 'e0.9.2'];
    const sorted = tags
      .map((t) => parseExperimentTag(t, 'e')!)
      .sort(compareExperimentTags)
      .map((t) => t.tag);
    expect(sorted).toEqual(['e0.9.0', 'e0.9.2', 'e0.9.10', 'e0.10.0', 'e1.0.0', 'exp-attn-v1', 'exp-cnn-v2', 'exp-cnn-v10']);
  });
});

describe('the next version', () => {
  it('is e0.1.0 when there is none, whatever else is tagged', () => {
    expect(nextVersion([], 'e')).toBe('e0.1.0');
    expect(nextVersion(['v3.0.0', 'e1', 'e1.x', 'exp-a-v4', 'release'], 'e')).toBe('e0.1.0');
    expect(nextVersion([], 'e', 'major')).toBe('e1.0.0');
    expect(nextVersion([], 'e', 'patch')).toBe('e0.0.1');
  });

  it('bumps the highest version, minor by default', () => {
    const tags = ['e0.9.0', 'e0.10.0', 'e0.2.5', 'e0.10.0-rc.1', 'e2'];
    expect(latestVersion(tags, 'e')?.tag).toBe('e0.10.0');
    expect(nextVersion(tags, 'e')).toBe('e0.11.0');
    expect(nextVersion(tags, 'e', 'patch')).toBe('e0.10.1');
    expect(nextVersion(tags, 'e', 'major')).toBe('e1.0.0');
    expect(nextVersion(['v1.4.2', 'e9.9.9'], 'v')).toBe('v1.5.0');
  });

  it('is always above every existing version of the prefix (property)', () => {
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 20 }), bump, (versions, kind) => {
        const next = nextVersion(
          versions.map((v) => 'e' + v),
          'e',
          kind,
        ).slice(1);
        for (const v of versions) expect(semver.gt(next, v)).toBe(true);
      }),
    );
  });

  it('numbers worktree tags per experiment', () => {
    const tags = ['exp-cnn-v1', 'exp-cnn-v7', 'exp-cnn-v3', 'exp-rnn-v2'];
    expect(nextWorktreeTag(tags, 'cnn')).toBe('exp-cnn-v8');
    expect(nextWorktreeTag(tags, 'attn')).toBe('exp-attn-v1');
    expect(nextFreeTag(parseWorktreeTag('exp-rnn-v2')!, tags)).toBe('exp-rnn-v3');
    expect(nextFreeTag(parseSemverTag('e0.1.0', 'e')!, ['e0.1.0', 'e0.4.0'])).toBe('e0.5.0');
  });
});
