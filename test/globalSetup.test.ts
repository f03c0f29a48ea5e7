/**
 * The check test/globalSetup.ts runs before the suite: dist/ is rebuilt
 * exactly when it is not the build of src/ as it is now.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, staleBuild } from './helpers/build.js';
import { tempDir } from './helpers/repo.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (s: number): Date => new Date(T0.getTime() + s * 1000);

/** A project whose every dist/ file was built 10 s after its sources were written. */
function project(): string {
  const root = tempDir();
  const put = (rel: string, at: Date): void => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    fs.utimesSync(file, at, at);
  };
  put('tsconfig.json', T0);
  for (const name of ['index', 'cli/main', 'store/cache']) {
    put(`src/${name}.ts`, T0);
    put(`dist/${name}.js`, later(10));
    put(`dist/${name}.d.ts`, later(10));
  }
  put('src/results/README.md', later(100)); // not compiled: never makes the build stale
  return root;
}

const touch = (root: string, rel: string, at: Date): void => fs.utimesSync(path.join(root, rel), at, at);

describe('globalSetup: is dist/ the build of src/?', () => {
  it('yes, when every source has an output no older than itself', () => {
    expect(staleBuild(project())).toBeNull();
  });

  it('no, when dist/ was never built', () => {
    const root = project();
    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    expect(staleBuild(root)).toBe('dist/ is not built');
  });

  it('no, when any one source is newer than its output (even a deep one, even by 1 ms)', () => {
    const root = project();
    touch(root, 'src/store/cache.ts', new Date(later(10).getTime() + 1));
    expect(staleBuild(root)).toBe('src/store/cache.ts is newer than dist/store/cache.js');
  });

  it('no, when a source has no output yet (a new file)', () => {
    const root = project();
    fs.writeFileSync(path.join(root, 'src/store/pins.ts'), '');
    touch(root, 'src/store/pins.ts', T0);
    expect(staleBuild(root)).toBe('src/store/pins.ts has no dist/store/pins.js');
  });

  it('no, when an output has no source any more (deleted or renamed)', () => {
    const root = project();
    fs.rmSync(path.join(root, 'src/store/cache.ts'));
    expect(staleBuild(root)).toBe('dist/store/cache.js has no src/store/cache.ts (deleted or renamed)');
  });

  it('no, when tsconfig.json changed after the build', () => {
    const root = project();
    touch(root, 'tsconfig.json', later(20));
    expect(staleBuild(root)).toMatch(/^tsconfig\.json is newer than dist\//);
  });

  it('ensureBuilt runs tsc only when stale, leaves no orphan output, and no output at all on a type error', () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'NodeNext', target: 'ES2022', types: [], strict: true },
        include: ['src/**/*.ts'],
      }),
    );
    fs.writeFileSync(path.join(root, 'src/a.ts'), 'export const a: number = 1;\n');
    fs.mkdirSync(path.join(root, 'dist'));
    fs.writeFileSync(path.join(root, 'dist/gone.js'), ''); // the output of a source deleted since
    expect(ensureBuilt(root)).toBe('src/a.ts has no dist/a.js');
    expect(fs.readFileSync(path.join(root, 'dist/a.js'), 'utf8')).toContain('a = 1;');
    expect(fs.existsSync(path.join(root, 'dist/gone.js'))).toBe(false);
    expect(ensureBuilt(root)).toBeNull(); // no tsc this time
    fs.writeFileSync(path.join(root, 'src/a.ts'), "export const a: number = 'not a number';\n");
    fs.utimesSync(path.join(root, 'src/a.ts'), later(1e9), later(1e9));
    expect(() => ensureBuilt(root)).toThrow();
    expect(fs.existsSync(path.join(root, 'dist/a.js'))).toBe(false); // so the next run builds again
    expect(staleBuild(root)).toBe('dist/ is not built');
  });
});
