import { describe, expect, it } from 'vitest';
import { bestRowIndex, hasMetricWord, metricValue, summarizeRow, type ColumnRules } from '../../src/results/row.js';
import { DEFAULT_BOOKKEEPING_COLUMNS, DEFAULT_RUN_COLUMNS } from '../../src/results/row.js';

const rules: ColumnRules = {
  versionColumns: ['version', 'experiment_version'],
  runColumns: DEFAULT_RUN_COLUMNS,
  bookkeepingColumns: DEFAULT_BOOKKEEPING_COLUMNS,
};

describe('the best row', () => {
  const rows = [
    { f1: 0.7, loss: 0.9 },
    { f1: 0.9, loss: 0.4 },
    { f1: null, loss: null },
    { f1: 0.8, loss: 0.2 },
    { f1: 0.9, loss: 0.3 },
  ];
  it('is the highest metric; the newest row does not win by being newest', () => {
    expect(bestRowIndex(rows.slice(0, 4), 'f1', false)).toBe(1);
  });
  it('breaks a tie by the rows themselves, never by their order: earliest timestamp, then run id, then the other values', () => {
    const tied = [
      { track_id: 'b-run', timestamp: '2026-01-01 10:00:00.000002', f1: 0.9, loss: 0.1 },
      { track_id: 'a-run', timestamp: '2026-01-01 10:00:00.000002', f1: 0.9, loss: 0.2 },
      { track_id: 'c-run', timestamp: '2026-01-01 10:00:00.000001', f1: 0.9, loss: 0.3 },
      { track_id: 'a-run', timestamp: '2026-01-01 10:00:00.000002', f1: 0.9, loss: 0.05 },
      { track_id: 'z-run', timestamp: null, f1: 0.9, loss: 0 },
    ];
    const winner = (list: typeof tied) => list[bestRowIndex(list, 'f1', false)];
    // every order of the five rows gives the same winner
    const orders = [tied, [...tied].reverse(), [tied[3]!, tied[1]!, tied[4]!, tied[0]!, tied[2]!]];
    for (const order of orders) expect(winner(order)).toBe(tied[2]); // the earliest timestamp
    const sameTime = tied.filter((r) => r.timestamp === '2026-01-01 10:00:00.000002');
    for (const order of [sameTime, [...sameTime].reverse()]) expect(winner(order)).toBe(tied[3]); // a-run, then the smaller loss
    for (const order of [rows, [...rows].reverse()]) expect(order[bestRowIndex(order, 'f1', false)]).toEqual({ f1: 0.9, loss: 0.3 });
  });
  it('is the lowest with minimize', () => {
    expect(bestRowIndex(rows, 'loss', true)).toBe(3);
  });
  it('never has a NULL, NaN, infinite or text metric', () => {
    expect(bestRowIndex([{ m: null }, { m: NaN }, { m: Infinity }, { m: 'n/a' }, { m: -5 }], 'm', false)).toBe(4);
    expect(bestRowIndex([{ m: null }, { m: -Infinity }], 'm', true)).toBe(-1);
    expect(bestRowIndex([], 'm', false)).toBe(-1);
  });
  it('reads numbers stored as text and as bigint', () => {
    expect(metricValue('0.5')).toBe(0.5);
    expect(metricValue(' 1e-3 ')).toBe(0.001);
    expect(metricValue(7n)).toBe(7);
    expect(metricValue('abc')).toBeNull();
  });
});

describe('splitting a row into run, metrics and params', () => {
  const row = {
    timestamp: '2024-01-01',
    track_id: 'brave-otter-0042',
    version: 'e0.2.0',
    function_name: 'train',
    git_commit_hash: 'abc',
    model: 'bert',
    lr: 0.0001,
    epochs: 3,
    f1: 0.89,
    val_loss: 0.4,
    test_accuracy: 0.91,
    notes: null,
    blob: Buffer.from('x'),
    long: 'x'.repeat(201),
    tuned: true,
  };
  const columns = Object.keys(row);

  it('drops bookkeeping, takes the run id, and names metrics by the primary and metric words', () => {
    expect(summarizeRow(row, columns, { primary: 'f1', rules })).toEqual({
      run: 'brave-otter-0042',
      metrics: { f1: 0.89, val_loss: 0.4, test_accuracy: 0.91 },
      params: { model: 'bert', lr: 0.0001, epochs: 3, tuned: true },
    });
  });

  it('puts the primary metric first', () => {
    expect(Object.keys(summarizeRow(row, columns, { primary: 'test_accuracy', rules }).metrics)).toEqual(['test_accuracy', 'f1', 'val_loss']);
  });

  it('with metrics.names, only those columns (and the primary) are metrics', () => {
    const summary = summarizeRow(row, columns, { primary: 'f1', rules: { ...rules, metricNames: ['epochs'] } });
    expect(summary.metrics).toEqual({ f1: 0.89, epochs: 3 });
    expect(summary.params).toMatchObject({ val_loss: 0.4, test_accuracy: 0.91 });
  });

  it('recognises metric words as parts of a name, not inside words', () => {
    expect(['f1', 'val_loss', 'test-accuracy', 'AUC', 'eval.f1', 'top1'].filter((n) => !hasMetricWord(n))).toEqual([]);
    expect(['lossless_mode', 'accurate', 'dropout', 'learning_rate', 'recall_k'].filter(hasMetricWord)).toEqual(['recall_k']);
  });
});
