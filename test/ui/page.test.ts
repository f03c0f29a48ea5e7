/**
 * The pure parts of cairn ui: which comparisons an export embeds, and JSON
 * that cannot end the <script> element it is embedded in.
 */
import { describe, expect, test } from 'vitest';
import { snapshotPairs } from '../../src/commands/ui.js';
import { embeddableJson, exportedPage } from '../../src/ui/page.js';

describe('snapshotPairs', () => {
  test('every pair when at most 6 are detailed', () => {
    expect(snapshotPairs(['a', 'b', 'c'], {})).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(snapshotPairs(['1', '2', '3', '4', '5', '6'], {})).toHaveLength(15);
  });

  test('beyond that, each with the one before it, and each variant with its base when both are detailed', () => {
    const tags = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'exp-x-v1', 'exp-y-v1'];
    expect(snapshotPairs(tags, { 'exp-x-v1': 'e2', 'exp-y-v1': 'e0', 'exp-z-v1': 'e3' })).toEqual([
      ['e1', 'e2'],
      ['e2', 'e3'],
      ['e3', 'e4'],
      ['e4', 'e5'],
      ['e5', 'e6'],
      ['e6', 'exp-x-v1'],
      ['exp-x-v1', 'exp-y-v1'],
      ['e2', 'exp-x-v1'],
    ]);
  });
});

describe('embeddableJson', () => {
  const hostile = { subject: '</script><script>alert(1)</script>', more: '<!-- & -->', sep: '\u2028\u2029' };

  test('holds no <, > or & and parses back to the same value', () => {
    const text = embeddableJson(hostile);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(hostile);
  });

  test('the exported page has exactly its own script elements, whatever the data says', () => {
    const html = exportedPage(hostile);
    expect(html.match(/<script\b/g)).toHaveLength(3); // uPlot, the data, the page
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';');
  });
});
