import { describe, expect, it } from 'vitest';
import {
  assetHashOfKey,
  assetRole,
  decodeAssetRef,
  decodeCount,
  encodeAssetRef,
  encodeCount,
  keyName,
  latestEvidence,
  resolveCounts,
  resolveKeys,
} from '../../src/results/assetTables.js';
import { pickleStr, pickleSmallInt } from '../helpers/xetrack.js';

/** pickle.dumps(n, protocol) from CPython 3 (golden bytes). */
const PICKLES: [bigint, number, string][] = [
  [0n, 5, '80054b002e'],
  [255n, 5, '80054bff2e'],
  [256n, 5, '8005950400000000000000' + '4d00012e'],
  [1000n, 4, '8004950400000000000000' + '4de8032e'],
  [65536n, 5, '8005950600000000000000' + '4a000001002e'],
  [-1n, 5, '8005950600000000000000' + '4affffffff2e'],
  [-300n, 2, '80024ad4feffff2e'],
  [2n ** 31n, 5, '8005950800000000000000' + '8a0500000080002e'],
  [2n ** 40n, 2, '80028a06000000000001' + '2e'],
];

describe('xetrack asset tables (pure)', () => {
  it('recognises asset tables by name and key/value shape', () => {
    expect(assetRole('assets', ['key', 'value'])).toBe('assets');
    expect(assetRole('counts', ['value', 'KEY'])).toBe('counts');
    expect(assetRole('counts', ['key', 'value', 'extra'])).toBeNull();
    expect(assetRole('default', ['key', 'value'])).toBeNull();
  });

  it.each(PICKLES)('encodes and decodes %s as pickle protocol %s byte for byte', (n, protocol, hex) => {
    expect(Buffer.from(encodeCount(n, { kind: 'pickle', protocol }) as Buffer).toString('hex')).toBe(hex);
    expect(decodeCount(Buffer.from(hex, 'hex'))).toEqual({ count: n, format: { kind: 'pickle', protocol } });
  });

  it('plain integer counts stay integers; anything else is unreadable', () => {
    expect(decodeCount(3)).toEqual({ count: 3n, format: { kind: 'integer' } });
    expect(encodeCount(4n, { kind: 'integer' })).toBe(4);
    expect(decodeCount('3')).toBeNull();
    expect(decodeCount(Buffer.from('80054b01', 'hex'))).toBeNull(); // no STOP
    expect(decodeCount(Buffer.from('not a pickle'))).toBeNull();
  });

  it('reads the asset hash of a keys row: a pickled str (golden bytes) or text', () => {
    expect(pickleStr('0123456789abcdef').toString('hex')).toBe('8005951400000000000000' + '8c10' + Buffer.from('0123456789abcdef').toString('hex') + '942e');
    expect(decodeAssetRef(pickleStr('0123456789abcdef'))).toBe('0123456789abcdef');
    expect(decodeAssetRef('abc')).toBe('abc');
    expect(decodeAssetRef(pickleSmallInt(1))).toBeNull();
  });

  it('encodeAssetRef writes a hash as pickle.dumps(str) does (golden bytes), or as text beside text values', () => {
    expect(encodeAssetRef('0123456789abcdef')).toEqual(pickleStr('0123456789abcdef'));
    expect(encodeAssetRef('0123456789abcdef', pickleStr('x'))).toEqual(pickleStr('0123456789abcdef'));
    // pickle.dumps('ab', protocol=2)
    expect((encodeAssetRef('ab', Buffer.from('80025802000000616171002e', 'hex')) as Buffer).toString('hex')).toBe('80025802000000616271002e');
    expect(encodeAssetRef('ab', 'text')).toBe('ab');
    expect(keyName(pickleStr('model').toString('base64'))).toBe('model');
    expect(keyName('not-base64!')).toBe('not-base64!');
    expect(assetHashOfKey(pickleStr('6e1e8d773f5ffc37').toString('base64'))).toBe('6e1e8d773f5ffc37');
  });

  it("resolveKeys: the latest logged hash wins, else the target's value, else a rule that ignores source order", () => {
    const k = (name: string) => pickleStr(name).toString('base64');
    const target = [
      { key: k('model'), value: pickleStr('aaaa') },
      { key: k('scaler'), value: pickleStr('s1') },
    ];
    const a = [
      { key: k('model'), value: pickleStr('bbbb') },
      { key: k('extra'), value: pickleStr('e1') },
    ];
    const b = [
      { key: k('model'), value: pickleStr('cccc') },
      { key: k('extra'), value: pickleStr('e2') },
    ];
    const assets = new Set(['aaaa', 'bbbb', 'cccc', 'e1']);
    const latest = new Map([[k('model'), 'cccc']]);
    const ab = resolveKeys(target, [a, b], latest, assets);
    expect(ab).toEqual([
      { key: k('model'), value: pickleStr('cccc'), change: 'update' },
      // e2 is not in assets: e1 wins though e2 sorts after it
      { key: k('extra'), value: pickleStr('e1'), change: 'insert' },
    ]);
    expect(resolveKeys(target, [b, a], latest, assets)).toEqual(ab);
    // Nothing logged: the target keeps its value; merging again changes nothing.
    expect(resolveKeys(target, [a], new Map(), assets)).toEqual([{ key: k('extra'), value: pickleStr('e1'), change: 'insert' }]);
    expect(resolveKeys(target, [target], new Map(), assets)).toEqual([]);
    // A hash no keys row names yet is written in the table's format.
    expect(resolveKeys(target, [], new Map([[k('scaler'), 'dddd']]), assets)).toEqual([{ key: k('scaler'), value: pickleStr('dddd'), change: 'update' }]);
  });

  it('latestEvidence: greatest timestamp, then track_id, then hash', () => {
    const e = (hash: string, timestamp: string, trackId: string) => ({ hash, timestamp, trackId });
    expect(latestEvidence([e('a', '2026-01-01 10:00:00.1', 'x'), e('b', '2026-01-01 10:00:00.2', 'a'), e('c', '2026-01-01 10:00:00.2', 'b')])?.hash).toBe('c');
    expect(latestEvidence([e('z', 't', 'r'), e('y', 't', 'r')])?.hash).toBe('z');
    expect(latestEvidence([])).toBeNull();
  });

  it("resolveCounts: references in rows decide; unreferenced hashes keep the target's count, else the greatest source count", () => {
    const target = [
      { key: 'h1', value: pickleSmallInt(1) },
      { key: 'h3', value: pickleSmallInt(2) },
    ];
    const a = [
      { key: 'h1', value: pickleSmallInt(1) },
      { key: 'h2', value: pickleSmallInt(1) },
      { key: 'h4', value: pickleSmallInt(3) },
    ];
    const b = [{ key: 'h4', value: pickleSmallInt(7) }];
    const refs = new Map([
      ['h1', 3n],
      ['h2', 1n],
    ]);
    const out = resolveCounts(target, [a, b], new Set(['h1', 'h2', 'h3', 'h4']), refs);
    expect(out).toEqual([
      { key: 'h1', value: pickleSmallInt(3), change: 'update' },
      { key: 'h2', value: pickleSmallInt(1), change: 'insert' },
      { key: 'h4', value: pickleSmallInt(7), change: 'insert' },
    ]);
    expect(resolveCounts(target, [b, a], new Set(['h1', 'h2', 'h3', 'h4']), refs)).toEqual(out);
    // Plain integer counts stay integers; a count that cannot be read is left alone.
    expect(resolveCounts([{ key: 'h1', value: 1 }], [], new Set(['h1']), new Map([['h1', 2n]]))).toEqual([{ key: 'h1', value: 2, change: 'update' }]);
    expect(resolveCounts([{ key: 'h1', value: 'junk' }], [], new Set(['h1']), new Map([['h1', 2n]]))).toEqual([]);
  });
});
