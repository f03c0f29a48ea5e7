/**
 * The page's files: a fixed table from URL to file. The server answers these
 * names and nothing else, so no request path ever reaches the file system.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  file: string;
  type: string;
}

const require = createRequire(import.meta.url);
const own = (name: string): string => fileURLToPath(new URL(`../../assets/ui/${name}`, import.meta.url));

/** URL path → the file served there. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/assets/app.js', { file: own('app.js'), type: 'text/javascript; charset=utf-8' }],
  ['/assets/style.css', { file: own('style.css'), type: 'text/css; charset=utf-8' }],
  ['/assets/uPlot.iife.min.js', { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' }],
  ['/assets/uPlot.min.css', { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' }],
]);

const read = new Map<string, Buffer>();

/** An asset's bytes (read once). */
export function assetBytes(urlPath: string): Buffer | undefined {
  const asset = ASSETS.get(urlPath);
  if (!asset) return undefined;
  let bytes = read.get(urlPath);
  if (!bytes) read.set(urlPath, (bytes = fs.readFileSync(asset.file)));
  return bytes;
}
