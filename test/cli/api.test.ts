/**
 * The CLI uses nothing but the library API (src/index.ts), every export of
 * that API is documented, and the README's "## Library" section names exactly
 * the API's values.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const CLI = path.join(SRC, 'cli');

interface LibraryImport {
  name: string;
  module: string;
  file: string;
}

function cliFiles(dir = CLI): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? cliFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The library module (src/**.ts outside src/cli/) a relative specifier names, or undefined. */
function libraryModule(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
  return target.startsWith(CLI + path.sep) ? undefined : target;
}

function strip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAwaitExpression(e)) e = e.expression;
  return e;
}

/** The specifier of `import('...')`, or undefined. */
function importCallSpec(e: ts.Node): string | undefined {
  return ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.ImportKeyword && e.arguments.length === 1 && ts.isStringLiteral(e.arguments[0]!)
    ? e.arguments[0].text
    : undefined;
}

/** Names an object binding pattern takes: `{ a, b: c }` takes a and b. */
function boundNames(pattern: ts.ObjectBindingPattern): string[] {
  return pattern.elements.map((el) => (el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName : (el.name as ts.Identifier)).text);
}

/**
 * The values one CLI file takes from library modules. Static imports, and the
 * dynamic `import()` forms the CLI uses:
 *   const { a, b } = await import('m');
 *   (await import('m')).a
 *   const [{ a }, { b }, x] = await Promise.all([import('m'), import('n'), other]);
 *   const loading = () => import('m');  ...  (await loading()).a  /  const { a } = await loading();
 * Any other dynamic import of a library module is reported in `unread`, so a
 * new form fails the test instead of escaping it.
 */
function fileImports(file: string): { imports: LibraryImport[]; unread: string[] } {
  const rel = path.relative(ROOT, file);
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const imports: LibraryImport[] = [];
  const read = new Set<ts.Node>();
  const take = (names: string[], module: string) => imports.push(...names.map((name) => ({ name, module, file: rel })));

  for (const stmt of source.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
    const module = libraryModule(file, stmt.moduleSpecifier.text);
    const clause = stmt.importClause;
    if (!module || !clause || clause.isTypeOnly) continue;
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamedImports(bindings))
      take(
        bindings.elements.filter((el) => !el.isTypeOnly).map((el) => (el.propertyName ?? el.name).text),
        module,
      );
  }

  // `const loading = () => import('m')`: a call to loading() stands for import('m').
  const loaders = new Map<string, string>();
  const visitLoaders = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isArrowFunction(node.initializer) &&
      node.initializer.parameters.length === 0
    ) {
      const body = node.initializer.body;
      const spec = importCallSpec(body);
      const module = spec === undefined ? undefined : libraryModule(file, spec);
      if (module) {
        loaders.set(node.name.text, module);
        read.add(body);
      }
    }
    ts.forEachChild(node, visitLoaders);
  };
  visitLoaders(source);

  /** The library module an expression loads: import('m') or loading(), under any await and parentheses. */
  const loaded = (e: ts.Expression): { module: string; call: ts.Node } | undefined => {
    const call = strip(e);
    const spec = importCallSpec(call);
    if (spec !== undefined) {
      const module = libraryModule(file, spec);
      return module ? { module, call } : undefined;
    }
    if (ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.arguments.length === 0 && loaders.has(call.expression.text))
      return { module: loaders.get(call.expression.text)!, call };
    return undefined;
  };

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const l = loaded(node.expression);
      if (l) {
        take([node.name.text], l.module);
        read.add(l.call);
      }
    }
    if (ts.isVariableDeclaration(node) && node.initializer) {
      if (ts.isObjectBindingPattern(node.name)) {
        const l = loaded(node.initializer);
        if (l) {
          take(boundNames(node.name), l.module);
          read.add(l.call);
        }
      }
      const all = strip(node.initializer);
      if (
        ts.isArrayBindingPattern(node.name) &&
        ts.isCallExpression(all) &&
        all.expression.getText(source) === 'Promise.all' &&
        all.arguments[0] &&
        ts.isArrayLiteralExpression(all.arguments[0])
      ) {
        const items = all.arguments[0].elements;
        node.name.elements.forEach((el, i) => {
          const l = items[i] && loaded(items[i]);
          if (l && ts.isBindingElement(el) && ts.isObjectBindingPattern(el.name)) {
            take(boundNames(el.name), l.module);
            read.add(l.call);
          }
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  const unread: string[] = [];
  const findUnread = (node: ts.Node): void => {
    const spec = importCallSpec(node);
    const isLoaderCall = ts.isCallExpression(node) && ts.isIdentifier(node.expression) && loaders.has(node.expression.text);
    if (((spec !== undefined && libraryModule(file, spec)) || isLoaderCall) && !read.has(node)) {
      unread.push(`${rel}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${node.getText(source)}`);
    }
    ts.forEachChild(node, findUnread);
  };
  findUnread(source);
  return { imports, unread };
}

/** Values (not types) the CLI takes from library modules, statically or through import(), with the module they come from. */
function libraryImports(): { imports: LibraryImport[]; unread: string[] } {
  const all = cliFiles().map(fileImports);
  return { imports: all.flatMap((f) => f.imports), unread: all.flatMap((f) => f.unread) };
}

async function api(): Promise<Record<string, unknown>> {
  return (await import(path.join(ROOT, 'dist', 'index.js'))) as Record<string, unknown>;
}

/** The names in backticks in the list items (`- ...`, with their indented continuation lines) of the README's "## Library" section. */
function readmeLibraryNames(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## Library\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Library" section');
  const items = section.replace(/^```[\s\S]*?^```/gm, '').match(/^- .*(\n[ \t]+\S.*)*/gm) ?? [];
  return items.flatMap((item) => [...item.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!));
}

describe('the library API', () => {
  it('is all the CLI uses: every value it imports, statically or with import(), is the one src/index.ts exports', async () => {
    const exported = await api();
    const { imports, unread } = libraryImports();
    expect(unread, 'dynamic imports of library modules in a form this test does not read').toEqual([]);
    expect(imports.length).toBeGreaterThan(60);
    // The dynamic forms are read: these come only through import().
    for (const name of [
      'openRepo',
      'addArtifacts',
      'status',
      'runExperiment',
      'shellQuote',
      'exploreShow',
      'configSet',
      'parseValue',
      'exploreGet',
      'startUiServer',
    ]) {
      expect(imports.map((i) => i.name)).toContain(name);
    }
    for (const imp of imports) {
      const mod = (await import(imp.module.replace(SRC, path.join(ROOT, 'dist')).replace(/\.ts$/, '.js'))) as Record<string, unknown>;
      expect(mod[imp.name], `${imp.file}: ${imp.name} is not exported by ${path.relative(ROOT, imp.module)}`).toBeDefined();
      expect(exported[imp.name], `${imp.file} imports ${imp.name}, which src/index.ts does not export`).toBeDefined();
      expect(exported[imp.name], `${imp.file}: ${imp.name}`).toBe(mod[imp.name]);
    }
  });

  it('documents every export with JSDoc', () => {
    const program = ts.createProgram([path.join(SRC, 'index.ts')], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
    });
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

  it('is what the README\'s "## Library" section lists: every value export, and nothing else', async () => {
    const values = Object.keys(await api()).sort();
    const named = new Set(readmeLibraryNames());
    expect(
      values.filter((v) => !named.has(v)),
      'exported by src/index.ts but not named in README "## Library"',
    ).toEqual([]);
    expect([...named].filter((n) => !values.includes(n)).sort(), 'named in README "## Library" but not exported by src/index.ts').toEqual([]);
  });
});
