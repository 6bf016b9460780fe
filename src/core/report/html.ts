/**
 * The standalone `report.html` of a run: one self-contained file (no network, no other files)
 * that shows the same report UI as the VS Code panel. It inlines
 *   - the bundled renderer dist/reportStandalone.js (built from webview/standalone.ts),
 *   - the panel stylesheet dist/report.css (copied from media/report.css) plus light/dark
 *     fallbacks for the VS Code theme variables,
 *   - the report JSON in <script type="application/json" id="sparsity-report">.
 * A Content-Security-Policy meta tag allows exactly the inlined script and style (by SHA-256
 * hash) and data:/blob: images, nothing else; the renderer uses vega's interpreter (no eval).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { SparsityReport } from './schema';
import { UserError } from '../types';

export const STANDALONE_SCRIPT = 'reportStandalone.js';
export const STANDALONE_CSS = 'report.css';

/** Folder holding dist/reportStandalone.js (and report.css), or null when the renderer is not built. */
export function findStandaloneAssets(extraDirs: string[] = []): string | null {
  const candidates = [...extraDirs];
  if (typeof __dirname === 'string') {
    // Bundled: dist/extension.js, dist/analysisWorker.js and dist/cli.js live beside the assets.
    // From source (tsx): src/core/report → ../../../dist.
    candidates.push(__dirname, path.join(__dirname, '..', '..', '..', 'dist'), path.join(__dirname, '..', 'dist'));
  }
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, STANDALONE_SCRIPT))) return dir;
  }
  return null;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe inside <script type="application/json">: no `</script`, `<!--`, or line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text safe inside <script>: breaks up `</script` (esbuild already escapes it in strings). */
export function scriptForHtml(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Fallbacks for the VS Code theme variables the UI reads, light and dark (prefers-color-scheme). */
export const STANDALONE_THEME_CSS = `
:root { color-scheme: light dark;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-foreground: #3b3b3b; --vscode-foreground: #3b3b3b; --vscode-editor-background: #ffffff;
  --vscode-descriptionForeground: #717171; --vscode-panel-border: #e0e0e0; --vscode-sideBar-background: #f8f8f8;
  --vscode-charts-blue: #1a85ff; --vscode-charts-orange: #d18616; --vscode-charts-red: #b5200d;
  --vscode-charts-foreground: #8a8a8a; --vscode-charts-lines: #e5e5e5; --vscode-textLink-foreground: #006ab1;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff;
  --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-dropdown-background: #ffffff; --vscode-dropdown-foreground: #3b3b3b; --vscode-dropdown-border: #cecece;
  --vscode-badge-background: #cccccc; --vscode-badge-foreground: #3b3b3b; }
@media (prefers-color-scheme: dark) { :root {
  --vscode-editor-foreground: #cccccc; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f;
  --vscode-descriptionForeground: #9d9d9d; --vscode-panel-border: #3c3c3c; --vscode-sideBar-background: #181818;
  --vscode-charts-blue: #3794ff; --vscode-charts-orange: #e2a03f; --vscode-charts-red: #f48771;
  --vscode-charts-foreground: #9d9d9d; --vscode-charts-lines: #3c3c3c; --vscode-textLink-foreground: #4daafc;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc; --vscode-dropdown-border: #3c3c3c;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8;
  --vscode-editorHoverWidget-background: #202020; --vscode-editorHoverWidget-foreground: #cccccc;
  --vscode-editorHoverWidget-border: #454545; } }
`;

/** What a self-contained page (report.html, comparison.html) is made of. */
export interface StandalonePageParts {
  /** The renderer bundle's file name in the assets folder (e.g. reportStandalone.js). */
  script: string;
  /** What the page shows, for the missing-renderer error ("report", "comparison"). */
  what: string;
  /** Folder holding the bundle and report.css (default: findStandaloneAssets()). */
  assetsDir?: string;
  title: string;
  generator: string;
  /** Id of the <script type="application/json"> holding the data. */
  dataId: string;
  /** The data, already made safe with jsonForScript. */
  dataJson: string;
  /** Text shown without JavaScript (plain text, escaped here). */
  noscript: string;
}

/**
 * Assembles a self-contained page: inlines the renderer bundle and the stylesheet, allows exactly
 * them by hash in the CSP, and embeds the data. Throws a UserError when the bundle is missing.
 */
export async function renderStandalonePage(p: StandalonePageParts): Promise<string> {
  const dir = p.assetsDir ?? findStandaloneAssets();
  const scriptPath = dir ? path.join(dir, p.script) : null;
  if (!scriptPath || !fs.existsSync(scriptPath)) {
    throw new UserError(
      `The ${p.what} renderer ${p.script} was not found${dir ? ` in ${dir}` : ''}; build it with "npm run build".`,
      'E_HTML_ASSETS',
    );
  }
  const js = scriptForHtml(await fs.promises.readFile(scriptPath, 'utf8'));
  const cssPath = path.join(dir!, STANDALONE_CSS);
  const baseCss = fs.existsSync(cssPath) ? await fs.promises.readFile(cssPath, 'utf8') : '';
  const css = STANDALONE_THEME_CSS + '\n' + baseCss.replace(/<\/(style)/gi, '<\\/$1');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(js)}'`,
    // The second hash is that of an empty <style>: the UI toolkit (FAST) probes :focus-visible with one.
    `style-src 'sha256-${sha256(css)}' 'sha256-${sha256('')}'`,
    'img-src data: blob:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(p.generator)}">`,
    `<title>${escapeHtml(p.title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    `<div id="root"><noscript>${escapeHtml(p.noscript)}</noscript></div>`,
    `<script type="application/json" id="${escapeHtml(p.dataId)}">${p.dataJson}</script>`,
    `<script>${js}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Renders the self-contained report.html. `assetsDir` is the folder holding reportStandalone.js
 * and report.css (default: found next to the running bundle, or the project's dist/).
 * Throws a UserError when the renderer bundle is missing (run `npm run build`).
 */
export async function renderStandaloneHtml(report: SparsityReport, assetsDir?: string): Promise<string> {
  const model = report.model?.path ? path.basename(report.model.path) : 'model';
  const dataset = report.dataset?.path ? path.basename(report.dataset.path) : 'images';
  return renderStandalonePage({
    script: STANDALONE_SCRIPT,
    what: 'report',
    assetsDir,
    title: `Sparsity report: ${model} on ${dataset}`,
    generator: `${report.tool?.name ?? 'sparsity-lens'} ${report.tool?.version ?? ''}`.trim(),
    dataId: 'sparsity-report',
    dataJson: jsonForScript(report),
    noscript: 'This report needs JavaScript to draw its charts; the data is in report.sparsity.json beside this file.',
  });
}
