/**
 * The CLI uses nothing but the library API (src/index.ts), and every export
 * of that API is documented.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

function cliFiles(dir = path.join(SRC, 'cli')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? cliFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Values (not types) the CLI imports from library modules, with the module they come from. */
function libraryImports(): { name: string; module: string; file: string }[] {
  const out: { name: string; module: string; file: string }[] = [];
  for (const file of cliFiles()) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    for (const stmt of source.statements) {
      if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
      const spec = stmt.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      if (target.startsWith(path.join(SRC, 'cli'))) continue;
      const clause = stmt.importClause;
      if (!clause || clause.isTypeOnly) continue;
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          if (!el.isTypeOnly) out.push({ name: (el.propertyName ?? el.name).text, module: target, file: path.relative(ROOT, file) });
        }
      }
    }
  }
  return out;
}

describe('the library API', () => {
  it('is all the CLI uses: every value it imports is the one src/index.ts exports', async () => {
    const api = (await import(path.join(ROOT, 'dist', 'index.js'))) as Record<string, unknown>;
    const imports = libraryImports();
    expect(imports.length).toBeGreaterThan(20);
    for (const imp of imports) {
      const mod = (await import(imp.module.replace(SRC, path.join(ROOT, 'dist')).replace(/\.ts$/, '.js'))) as Record<string, unknown>;
      expect(api[imp.name], `${imp.file} imports ${imp.name}, which src/index.ts does not export`).toBeDefined();
      expect(api[imp.name], `${imp.file}: ${imp.name}`).toBe(mod[imp.name]);
    }
  });

  it('documents every export with JSDoc', () => {
    const program = ts.createProgram([path.join(SRC, 'index.ts')], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true });
    const checker = program.getTypeChecker();
    const index = program.getSourceFile(path.join(SRC, 'index.ts'))!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(index)!);
    const undocumented = exports
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s))
      .filter((s) => ts.displayPartsToString(s.getDocumentationComment(checker)).trim() === '')
      .map((s) => s.getName());
    expect(exports.length).toBeGreaterThan(100);
    expect(undocumented).toEqual([]);
  });
});
