/**
 * The import rules of docs/ARCHITECTURE.md, checked on the source (a rule only a reviewer
 * remembers is soon broken):
 *   - nothing under src/ imports from webview/ (the panel is a client of the host, not a library;
 *     display helpers both sides need live in src/core/report/ or src/shared/);
 *   - src/core/ and src/shared/ never import `vscode` (the CLI and the worker run without it);
 *   - every src/ module the webview bundles (webview/*.ts and what they import, transitively)
 *     uses no Node API and no `vscode`: it runs in a browser page.
 * Type-only imports are erased by the compiler, so they do not count.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const WEBVIEW = path.join(ROOT, 'webview');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface Import {
  specifier: string;
  /** Erased at compile time (`import type`, or every named binding `type`). */
  typeOnly: boolean;
  line: number;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every import, re-export, dynamic import() and require() of a file, parsed by the TypeScript compiler. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Import[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, line: lineOf(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly, line: lineOf(node) });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire) out.push({ specifier: node.arguments[0].text, typeOnly: false, line: lineOf(node) });
    } else if (ts.isImportTypeNode(node)) {
      return; // `import('x').T` in a type position: erased
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names (`./a` → a.ts or a/index.ts), or null for a package. */
function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return base; // unresolved: still checked by its path
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');

describe('layering', () => {
  const srcFiles = tsFiles(SRC);

  it('finds the sources it checks', () => {
    assert.ok(srcFiles.some((f) => rel(f) === 'src/extension/extension.ts'), 'src/extension/extension.ts is scanned');
    assert.ok(srcFiles.some((f) => rel(f) === 'src/core/analyze.ts'), 'src/core/analyze.ts is scanned');
    // The parser must see the imports it rules on: a file known to import vscode does.
    assert.ok(importsOf(path.join(SRC, 'extension', 'extension.ts')).some((i) => i.specifier === 'vscode'));
  });

  it('nothing under src/ imports from webview/', () => {
    const bad = srcFiles.flatMap((f) =>
      importsOf(f)
        .filter((i) => {
          const target = resolveRelative(f, i.specifier);
          return target !== null && inside(WEBVIEW, target);
        })
        .map((i) => `${rel(f)}:${i.line} imports ${i.specifier}`),
    );
    assert.deepEqual(bad, [], 'move what both sides need into src/core/report/ (report display) or src/shared/ (messages)');
  });

  it('src/core and src/shared never import vscode', () => {
    const bad = srcFiles
      .filter((f) => inside(path.join(SRC, 'core'), f) || inside(path.join(SRC, 'shared'), f))
      .flatMap((f) => importsOf(f).filter((i) => i.specifier === 'vscode' && !i.typeOnly).map((i) => `${rel(f)}:${i.line}`));
    assert.deepEqual(bad, [], 'the CLI and the analysis worker run without vscode');
  });

  it('what the webview bundles from src/ uses neither Node APIs nor vscode', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const queue = tsFiles(WEBVIEW);
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const i of importsOf(f)) {
        if (i.typeOnly) continue;
        const target = resolveRelative(f, i.specifier);
        if (target) {
          if (fs.existsSync(target)) queue.push(target);
        } else if (inside(SRC, f) && (i.specifier === 'vscode' || NODE_BUILTINS.has(i.specifier))) {
          bad.push(`${rel(f)}:${i.line} imports ${i.specifier}`);
        }
      }
    }
    assert.ok([...seen].some((f) => rel(f) === 'src/core/report/format.ts'), 'the walk reaches src/ modules (format.ts)');
    assert.deepEqual(bad, [], 'the webview and report.html run in a browser: keep these modules pure');
  });
});
