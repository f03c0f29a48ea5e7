// The end-to-end tests run the built CLI: make sure dist/ exists.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  }
}
