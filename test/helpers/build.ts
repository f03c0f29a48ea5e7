/**
 * Is `dist/` the build of `src/` as it is now? The end-to-end tests run the
 * built CLI, so a bare `npx vitest` after an edit must rebuild first
 * (test/globalSetup.ts). Exact, and cheap (one stat per file, no tsc):
 * every `src/**\/*.ts` needs its `dist/**\/*.js`, no older than itself or
 * than tsconfig.json; a `.js` whose source was deleted or renamed is stale too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** Files below `dir` whose names end with `ext` (declarations left out), by relative name without `ext`, with their mtimes. */
function filesBelow(dir: string, ext: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(ext) || e.name.endsWith('.d.ts')) continue;
    const abs = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, abs).split(path.sep).join('/').slice(0, -ext.length), fs.statSync(abs).mtimeMs);
  }
  return out;
}

/** Why `root/dist` is not the build of `root/src` (null: it is). */
export function staleBuild(root: string): string | null {
  const sources = filesBelow(path.join(root, 'src'), '.ts');
  const outputs = filesBelow(path.join(root, 'dist'), '.js');
  if (outputs.size === 0) return 'dist/ is not built';
  const config = fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs;
  for (const [name, mtime] of sources) {
    const built = outputs.get(name);
    if (built === undefined) return `src/${name}.ts has no dist/${name}.js`;
    if (built < mtime) return `src/${name}.ts is newer than dist/${name}.js`;
    if (built < config) return `tsconfig.json is newer than dist/${name}.js`;
  }
  for (const name of outputs.keys()) if (!sources.has(name)) return `dist/${name}.js has no src/${name}.ts (deleted or renamed)`;
  return null;
}

/** Build `root` (tsconfig.json, src/ to dist/) unless dist/ already is its build; returns why it built (null: it did not). */
export function ensureBuilt(root: string): string | null {
  const reason = staleBuild(root);
  if (!reason) return null;
  // A clean build (tsc never deletes the output of a source that is gone),
  // and none at all on a type error, so that the next run tries again.
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmitOnError'], { cwd: root, stdio: 'inherit' });
  return reason;
}
