/**
 * The page's HTML: the same skeleton served by `cairn ui` (assets linked from
 * its own origin) and written by `cairn ui --export` (assets and data inlined).
 */
import { assetBytes } from './assets.js';

/** The strict policy of the served page: scripts, styles and data from its own origin only. */
export const SERVED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The exported file's policy: its inline scripts and styles, and no network at all. */
export const EXPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const NAV: [string, string][] = [
  ['experiments', 'Experiments'],
  ['chart', 'Metric over versions'],
  ['models', 'Models'],
  ['worktrees', 'Worktrees'],
  ['lineage', 'Lineage'],
];

function skeleton(head: string, tail: string): string {
  const nav = NAV.map(([id, label]) => `<a href="#/${id}" data-view="${id}">${label}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cairn</title>
<link rel="icon" href="data:,">
${head}
</head>
<body>
<header><h1>cairn</h1><nav>${nav}</nav></header>
<div id="banner" hidden></div>
<main id="view" data-ready="false"></main>
${tail}
</body>
</html>
`;
}

/** The page `cairn ui` serves at `/`. */
export function servedPage(): string {
  return skeleton(
    // The list (every view but models needs it) is fetched while the scripts load, not after.
    '<link rel="preload" href="/api/list" as="fetch" crossorigin>\n<link rel="stylesheet" href="/assets/uPlot.min.css">\n<link rel="stylesheet" href="/assets/style.css">\n<script src="/assets/uPlot.iife.min.js"></script>\n<script type="module" src="/assets/app.js"></script>',
    '',
  );
}

/** Text for inside a <script>: refuse what would end the element early (a minified file never needs it). */
function inlineScript(name: string): string {
  const text = assetBytes(name)!.toString('utf8');
  if (/<\/script|<!--/i.test(text)) throw new Error(`${name} holds text that would end an inline <script>`);
  return text;
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>`, `&` and
 * the line separators are escaped as \\uXXXX (still the same JSON), so no
 * value, whatever a tag message holds, can close the element.
 */
export function embeddableJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The self-contained page of `cairn ui --export`, with `data` embedded. */
export function exportedPage(data: unknown): string {
  const css = `${assetBytes('/assets/uPlot.min.css')!.toString('utf8')}\n${assetBytes('/assets/style.css')!.toString('utf8')}`.replace(
    /<\/style/gi,
    '<\\/style',
  );
  return skeleton(
    `<meta http-equiv="Content-Security-Policy" content="${EXPORT_CSP}">\n<style>\n${css}\n</style>\n<script>\n${inlineScript('/assets/uPlot.iife.min.js')}\n</script>`,
    `<script type="application/json" id="cairn-data">${embeddableJson(data)}</script>\n<script type="module">\n${inlineScript('/assets/app.js')}\n</script>`,
  );
}
