// The end-to-end tests run the built CLI: make sure dist/ exists and is not
// older than src/ (a bare `npx vitest` after an edit must not test a stale build).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const built = fs.statSync(path.join(root, 'dist', 'cli', 'main.js'), { throwIfNoEntry: false });
  if (!built || newestMtime(path.join(root, 'src')) > built.mtimeMs) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  }
}
