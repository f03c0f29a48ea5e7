import { describe, expect, it } from 'vitest';
import { assetRole, decodeAssetRef, decodeCount, encodeCount, planCounts } from '../../src/results/assetTables.js';
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

  it('planCounts: added keys add references, repointed keys move one, unknown hashes are copied', () => {
    const target = [
      { key: 'h1', value: pickleSmallInt(1) },
      { key: 'h3', value: pickleSmallInt(2) },
    ];
    const source = [
      { key: 'h1', value: pickleSmallInt(2) },
      { key: 'h2', value: pickleSmallInt(1) },
      { key: 'h3', value: pickleSmallInt(2) },
      { key: 'h4', value: pickleSmallInt(7) },
    ];
    const plan = planCounts(target, source, new Map([['h1', 1], ['h2', 1], ['h3', -1]]));
    expect(plan.updates).toEqual([
      { key: 'h1', value: pickleSmallInt(2) },
      { key: 'h3', value: pickleSmallInt(1) },
    ]);
    expect(plan.inserts).toEqual([
      { key: 'h2', value: pickleSmallInt(1) },
      { key: 'h4', value: pickleSmallInt(7) },
    ]);
    expect(plan.duplicates).toBe(0);
    // Nothing added: nothing changes (merging twice is a no-op).
    expect(planCounts(target, target, new Map())).toEqual({ inserts: [], updates: [], duplicates: 2, unreadable: [] });
  });
});
