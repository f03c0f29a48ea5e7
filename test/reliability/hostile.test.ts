/**
 * The hand-written hostile inputs of fixtures/hostile (pointers, manifests,
 * paths, config, remotes, SQL, tag messages, versions, worktrees). The
 * generated trust-boundary corpus runs in hostile-trust.test.ts.
 */
import fs from 'node:fs';
import { describeCorpus, HOSTILE_DIR } from '../helpers/hostile.js';

const files = fs
  .readdirSync(HOSTILE_DIR)
  .filter((f) => f.endsWith('.json') && !f.startsWith('trust-'))
  .sort();
describeCorpus('hostile input corpus', files, 40);
