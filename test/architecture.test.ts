/**
 * The import map matches the folder map (docs/ARCHITECTURE.md, "Layers"):
 * every `import`, `export ... from` and `import()` in src/ is read with
 * TypeScript's own pre-processor, and the test fails on an import from a
 * lower layer to a higher one, on a domain importing a sibling domain, and
 * on any import cycle between files.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '..', 'src');

/** Layers, bottom to top; a folder (or a file at the top of src/) belongs to exactly one. */
const LAYERS: { name: string; members: string[]; domains?: true }[] = [
  { name: 'foundations', members: ['errors.ts', 'trust', 'durable', 'concurrency.ts', 'progress.ts', 'display.ts', 'child.ts'] },
  { name: 'git', members: ['git'] },
  { name: 'store', members: ['store'] },
  { name: 'config and repo', members: ['config', 'repo'] },
  { name: 'results and versions', members: ['results', 'versions'], domains: true },
  {
    name: 'domains',
    members: ['artifacts', 'remote', 'experiments', 'worktrees', 'models', 'explore', 'gc', 'hooks', 'demo'],
    domains: true,
  },
  { name: 'commands', members: ['commands'] },
  { name: 'surfaces', members: ['cli', 'ui', 'index.ts'] },
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const abs = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(abs);
    return d.name.endsWith('.ts') ? [abs] : [];
  });
}

/** src-relative POSIX path of every file `file` imports from src/ (statically, by re-export, or dynamically). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => {
      const abs = path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts'));
      if (!fs.existsSync(abs)) throw new Error(`${rel(file)} imports ${name}, which is not a file of src/`);
      return rel(abs);
    });
}

function rel(abs: string): string {
  return path.relative(SRC, abs).split(path.sep).join('/');
}

/** The folder (or top-level file) a src-relative path belongs to. */
function unitOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}

function layerOf(file: string): number {
  const i = LAYERS.findIndex((l) => l.members.includes(unitOf(file)));
  if (i === -1) throw new Error(`${file}: ${unitOf(file)} is in no layer; add it to docs/ARCHITECTURE.md and to LAYERS here`);
  return i;
}

/** Each strongly connected component of more than one file (Tarjan), its files sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The rule an import `from -> to` breaks, or null. */
function violation(from: string, to: string): string | null {
  const [a, b] = [layerOf(from), layerOf(to)];
  if (a < b) return `${LAYERS[a]!.name} imports ${LAYERS[b]!.name} (a higher layer)`;
  if (a === b && LAYERS[a]!.domains && unitOf(from) !== unitOf(to)) return `domain ${unitOf(from)} imports sibling domain ${unitOf(to)}`;
  return null;
}

const graph = new Map(sourceFiles(SRC).map((abs) => [rel(abs), importsOf(abs)]));

describe('the import map matches the folder map', () => {
  it('reads the imports of every file (static, re-exports and import())', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('cli/main.ts')!.length).toBeGreaterThan(0);
    // A dynamic import counts: the CLI loads its command groups on demand.
    expect(graph.get('cli/commands/explore.ts')).toContain('commands/exploreList.ts');
  });

  it('no import runs from a lower layer to a higher one, and no domain imports a sibling domain', () => {
    const found: string[] = [];
    for (const [from, tos] of graph) {
      for (const to of new Set(tos)) {
        const broken = violation(from, to);
        if (broken) found.push(`${from} -> ${to}: ${broken}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('there is no import cycle between files', () => {
    const found = cycles(graph).map((scc) => scc.join(' '));
    expect(found).toEqual([]);
  });

  it('the rules catch what they should (a lower layer reaching up, a sibling, a cycle)', () => {
    expect(violation('config/config.ts', 'experiments/row.ts')).toMatch(/higher layer/);
    expect(violation('models/runs.ts', 'experiments/list.ts')).toMatch(/sibling domain experiments/);
    expect(violation('commands/tag.ts', 'artifacts/status.ts')).toBeNull();
    expect(violation('experiments/tagPlan.ts', 'results/row.ts')).toBeNull();
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });
});
