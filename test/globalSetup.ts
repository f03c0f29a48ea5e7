// The end-to-end tests run the built CLI: make sure dist/ is the build of
// src/ as it is now (a bare `npx vitest` after an edit must not test a stale
// build). The check is exact and cheap: see test/helpers/build.ts.
import path from 'node:path';
import { ensureBuilt } from './helpers/build.js';

export default function setup(): void {
  const reason = ensureBuilt(path.resolve(import.meta.dirname, '..'));
  if (reason) console.log(`[globalSetup] rebuilt dist/: ${reason}`);
}
