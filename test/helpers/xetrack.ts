/**
 * xetrack-shaped results for merge tests: the tables `default`,
 * `predictions` and `metrics` with params as columns, and the asset tables
 * `assets`, `keys`, `counts` as xetrack's SqliteDict writes them (pickled
 * values). `base` is the main branch's file; `branch` is an experiment that
 * forked from it, re-logged some rows, added rows and columns, and uses a
 * different column order; `conflicting` changed a row it shares with base.
 */
import type { ColumnSpec, TableSpec } from './results.js';

const col = (name: string, sqlite: string, duckdb: string): ColumnSpec => ({ name, sqlite, duckdb });
const TEXT = (name: string) => col(name, 'TEXT', 'VARCHAR');
const REAL = (name: string) => col(name, 'REAL', 'DOUBLE');
const INT = (name: string) => col(name, 'INTEGER', 'BIGINT');
const TS = (name: string) => col(name, 'TEXT', 'TIMESTAMP');
const BLOB = (name: string) => col(name, 'BLOB', 'BLOB');

/** pickle.dumps(s, protocol=5) for a short str, as Python writes it (golden bytes). */
export function pickleStr(s: string): Buffer {
  const text = Buffer.from(s, 'utf8');
  const body = Buffer.concat([Buffer.from([0x8c, text.length]), text, Buffer.from([0x94, 0x2e])]);
  const frame = Buffer.alloc(9);
  frame[0] = 0x95;
  frame.writeUInt32LE(body.length, 1);
  return Buffer.concat([Buffer.from([0x80, 0x05]), frame, body]);
}

/** pickle.dumps(n, protocol=5) for 0 <= n <= 255: b'\x80\x05K' + n + b'.' */
export function pickleSmallInt(n: number): Buffer {
  return Buffer.from([0x80, 0x05, 0x4b, n, 0x2e]);
}

export const H1 = '1111aaaa2222bbbb';
export const H2 = '3333cccc4444dddd';

export const T1 = '2024-01-01 10:00:00.000001';
export const T2 = '2024-01-01 10:05:00.000002';
export const T3 = '2024-01-02 09:00:00.000003';
export const T4 = '2024-01-02 09:30:00';
export const T5 = '2024-01-03 08:00:00';
export const T6 = '2024-01-03 08:10:00';
export const T7 = '2024-01-03 08:20:00';

/** assets.key is the pickled hash in base64 (SqliteDict's encode_key); counts.key is the hash itself. */
export const assetKey = (hash: string): string => pickleStr(hash).toString('base64');

const assetTables = (assets: [string, Buffer][], keys: [string, string][], counts: [string, number][]): TableSpec[] => [
  { name: 'assets', columns: [TEXT('key'), BLOB('value')], pk: ['key'], rows: assets.map(([h, v]) => [assetKey(h), v]) },
  { name: 'keys', columns: [TEXT('key'), BLOB('value')], pk: ['key'], rows: keys.map(([k, h]) => [k, pickleStr(h)]) },
  { name: 'counts', columns: [TEXT('key'), BLOB('value')], pk: ['key'], rows: counts.map(([h, n]) => [h, pickleSmallInt(n)]) },
];

export function base(): TableSpec[] {
  return [
    {
      name: 'default',
      columns: [TS('timestamp'), TEXT('track_id'), TEXT('model'), REAL('lr'), REAL('acc'), TEXT('version')],
      rows: [
        [T1, 'run-a', 'bert', 0.001, 0.81, 'e0.1.0'],
        [T2, 'run-a', 'bert', 0.001, 0.83, 'e0.1.0'],
        [T3, 'run-b', 'bert', 0.01, 0.85, 'e0.2.0'],
        [T4, null, 'bert', 0.01, 0.5, 'e0.2.0'],
      ],
    },
    {
      name: 'predictions',
      columns: [TEXT('track_id'), TS('timestamp'), INT('idx'), INT('y'), INT('pred')],
      rows: [
        ['run-a', T1, 0, 1, 1],
        ['run-a', '2024-01-01 10:00:01', 1, 0, 1],
        ['run-a', '2024-01-01 10:00:02', 2, 1, 0],
      ],
    },
    {
      name: 'metrics',
      columns: [TEXT('version'), TEXT('name'), REAL('value')],
      rows: [
        ['e0.1.0', 'f1', 0.8],
        ['e0.2.0', 'f1', 0.82],
      ],
    },
    ...assetTables([[H1, Buffer.from('asset-one')]], [['gAWVa2V5MQ==', H1]], [[H1, 1]]),
  ];
}

/** The experiment branch: 4 re-logged rows (one with a NULL track_id), 3 new ones, 2 new columns, another column order. */
export function branch(): TableSpec[] {
  return [
    {
      name: 'default',
      columns: [TEXT('track_id'), TS('timestamp'), TEXT('version'), REAL('acc'), REAL('lr'), TEXT('model'), REAL('f1'), INT('epochs')],
      rows: [
        ['run-a', T1, 'e0.1.0', 0.81, 0.001, 'bert', null, null],
        ['run-a', T2, 'e0.1.0', 0.83, 0.001, 'bert', null, null],
        ['run-b', T3, 'e0.2.0', 0.85, 0.01, 'bert', null, null],
        [null, T4, 'e0.2.0', 0.5, 0.01, 'bert', null, null],
        ['run-c', T5, 'e0.3.0', 0.9, 0.01, 'cnn', 0.88, 3],
        ['run-c', T6, 'e0.3.0', 0.91, 0.01, 'cnn', 0.89, 5],
        [null, T7, 'e0.3.0', 0.4, 0.01, 'cnn', null, 1],
      ],
    },
    {
      name: 'predictions',
      columns: [INT('idx'), INT('pred'), INT('y'), TS('timestamp'), TEXT('track_id')],
      rows: [
        [0, 1, 1, T1, 'run-a'],
        [1, 1, 0, '2024-01-01 10:00:01', 'run-a'],
        [2, 0, 1, '2024-01-01 10:00:02', 'run-a'],
        [0, 0, 0, T5, 'run-c'],
        [1, 1, 1, T6, 'run-c'],
      ],
    },
    {
      name: 'metrics',
      columns: [TEXT('version'), TEXT('name'), REAL('value')],
      rows: [
        ['e0.1.0', 'f1', 0.8],
        ['e0.3.0', 'f1', 0.9],
      ],
    },
    {
      name: 'events',
      columns: [TEXT('track_id'), TEXT('event')],
      rows: [
        ['run-c', 'start'],
        ['run-c', 'stop'],
      ],
    },
    ...assetTables(
      [
        [H1, Buffer.from('asset-one')],
        [H2, Buffer.from('asset-two')],
      ],
      [
        ['gAWVa2V5MQ==', H1],
        ['gAWVa2V5Mg==', H2],
        ['gAWVa2V5Mw==', H1],
      ],
      [
        [H1, 2],
        [H2, 1],
      ],
    ),
  ];
}

/** A branch that re-logged T2 with another accuracy, and logged one new row. */
export function conflicting(): TableSpec[] {
  return [
    {
      name: 'default',
      columns: [TS('timestamp'), TEXT('track_id'), TEXT('model'), REAL('lr'), REAL('acc'), TEXT('version')],
      rows: [
        [T1, 'run-a', 'bert', 0.001, 0.81, 'e0.1.0'],
        [T2, 'run-a', 'bert', 0.001, 0.99, 'e0.1.0'],
        [T5, 'run-d', 'bert', 0.02, 0.7, 'e0.3.0'],
      ],
    },
  ];
}

/** A re-run of version e0.2.0: three rows that replace base's two. */
export function rerun(): TableSpec[] {
  return [
    {
      name: 'default',
      columns: [TS('timestamp'), TEXT('track_id'), TEXT('model'), REAL('lr'), REAL('acc'), TEXT('version')],
      rows: [
        [T5, 'run-e', 'bert', 0.01, 0.86, 'e0.2.0'],
        [T6, 'run-e', 'bert', 0.01, 0.87, 'e0.2.0'],
        [T7, 'run-e', 'bert', 0.01, 0.88, 'e0.2.0'],
      ],
    },
  ];
}
