/**
 * The import map around object stores (docs/ARCHITECTURE.md): the store
 * layer knows no remote, no domain reaches `src/remote/` (verbs that combine
 * remotes with other domains live in `src/commands/`), and the remote
 * implementations do not import the module that opens them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
/** The folders of the layers above the store (config and repo, the domains, commands, surfaces). */
const ABOVE_STORE = [
  'config',
  'repo',
  'artifacts',
  'remote',
  'results',
  'experiments',
  'versions',
  'worktrees',
  'models',
  'explore',
  'gc',
  'hooks',
  'demo',
  'commands',
  'cli',
  'index.ts',
];

/** Every module a file imports, static or dynamic, as written. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\(\s*)'([^']+)'/g)].map((m) => m[1]!);
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(SRC, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(SRC, dir, f));
}

/** The `src/` folder an import of `file` lands in. */
function folderOf(file: string, spec: string): string {
  return path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
}

describe('object stores in the layers', () => {
  it('src/store imports no domain and no command', () => {
    for (const file of filesUnder('store')) {
      const reached = importsOf(file)
        .filter((s) => s.startsWith('.'))
        .map((s) => folderOf(file, s));
      expect(
        reached.filter((f) => ABOVE_STORE.includes(f)),
        file,
      ).toEqual([]);
    }
  });

  it('artifacts and results do not reach src/remote (their remote verbs are in src/commands)', () => {
    for (const dir of ['artifacts', 'results']) {
      for (const file of filesUnder(dir)) {
        expect(
          importsOf(file).filter((s) => s.startsWith('.') && folderOf(file, s) === 'remote'),
          file,
        ).toEqual([]);
      }
    }
  });

  it('the remote implementations do not import remote.ts (no circle)', () => {
    for (const name of ['localRemote.ts', 's3Remote.ts']) {
      expect(importsOf(path.join(SRC, 'remote', name)).filter((s) => s === './remote.js')).toEqual([]);
    }
  });
});
