/**
 * The comparison panel (issue 12): *Sparsity Lens: Compare Reports…* (palette, and the Explorer
 * context menu on two or more selected report files / run folders), *Compare with…* (the report
 * panel's title bar), and saved comparison.sparsity.json files (through the report editor, which
 * hands a comparison file to this panel: both are `*.sparsity.json`). Same webview HTML and CSP
 * as the report panel (webviewHtml.ts), its own bundle dist/comparisonWebview.js, every webview
 * message validated (shared/compareProtocol.ts) before use.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { buildComparison } from '../core/compare/build';
import { sharedIndices } from '../core/compare/values';
import { comparisonCsv } from '../core/compare/csv';
import { readComparison, readInputs, renderComparisonHtml } from '../core/compare/io';
import type { CompareInput } from '../core/compare/build';
import { isComparisonData } from '../core/compare/parse';
import { COMPARISON_CSV, COMPARISON_FILE, COMPARISON_HTML, type Comparison } from '../core/compare/schema';
import { REPORT_FILE } from '../core/report/schema';
import { validateComparisonMessage, type ComparisonToHostMessage, type HostToComparisonMessage } from '../shared/compareProtocol';
import { pngBytes } from './exporting';
import type { Logger } from './log';
import { ReportView } from './reportPanel';
import { initPanelWebview } from './panelWebview';

export const COMPARISON_PANEL_VIEW_TYPE = 'sparsityLens.comparison';

export interface CompareEnv {
  extensionUri: vscode.Uri;
  log: Logger;
}

/** Whether a `*.sparsity.json` file holds a comparison (by its schema id, not its name). */
export function isComparisonFile(file: string): boolean {
  try {
    return isComparisonData(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return false;
  }
}

export class ComparisonView implements vscode.Disposable {
  private ready = false;
  private comparison: Comparison | null = null;
  private file: string | undefined;
  /** The reports a comparison was built from (not for a saved comparison file): to rebuild it on another index. */
  private inputs: CompareInput[] | undefined;
  private empty: string | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly env: CompareEnv,
  ) {
    initPanelWebview(panel, env.extensionUri, 'comparisonWebview.js', env.log);
    this.disposables.push(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.onDidDispose = panel.onDidDispose;
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
  }

  setComparison(c: Comparison, file?: string, inputs?: CompareInput[]): void {
    this.comparison = c;
    this.file = file;
    this.inputs = inputs;
    this.empty = null;
    this.post(this.comparisonMessage());
  }

  private comparisonMessage(): HostToComparisonMessage {
    const c = this.comparison!;
    const indices = this.inputs ? sharedIndices(this.inputs.map((i) => i.report)).map((i) => ({ id: i.id, label: i.label })) : undefined;
    return { type: 'comparison', comparison: c, ...(this.file ? { file: this.file } : {}), ...(indices ? { indices } : {}) };
  }

  setEmpty(message: string): void {
    this.comparison = null;
    this.empty = message;
    this.post({ type: 'empty', message });
  }

  private post(m: HostToComparisonMessage): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private onMessage(raw: unknown): void {
    const v = validateComparisonMessage(raw);
    if (!v.ok) {
      this.env.log.warn(`Ignored a message from the comparison webview: ${v.error}`);
      return;
    }
    void this.handle(v.message).catch((e: unknown) => {
      this.env.log.error(`Comparison panel: ${(e as Error).stack ?? String(e)}`);
      this.post({ type: 'exportResult', ok: false, message: (e as Error).message });
    });
  }

  private async handle(m: ComparisonToHostMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.comparison) this.post(this.comparisonMessage());
        else if (this.empty) this.post({ type: 'empty', message: this.empty });
        return;
      case 'log':
        this.env.log[m.level === 'error' ? 'error' : m.level === 'warn' ? 'warn' : 'info'](`comparison webview: ${m.message}`);
        return;
      case 'compareIndex': {
        if (!this.inputs) return;
        // buildComparison refuses, naming the report, an index a report lacks: shown as a toast.
        const c = buildComparison(this.inputs, { passes: 'all', index: m.index });
        this.setComparison(c, undefined, this.inputs);
        this.env.log.info(`Comparison rebuilt on ${c.index.label} (${c.index.id}).`);
        return;
      }
      case 'exportComparison': {
        const c = this.comparison;
        if (!c) return;
        const name = m.format === 'json' ? COMPARISON_FILE : m.format === 'csv' ? COMPARISON_CSV : COMPARISON_HTML;
        const uri = await this.saveDialog(name, m.format === 'json' ? { 'Sparsity comparison': ['json'] } : m.format === 'csv' ? { CSV: ['csv'] } : { 'HTML page': ['html'] });
        if (!uri) return;
        const content =
          m.format === 'json' ? JSON.stringify(c, null, 1) + '\n' : m.format === 'csv' ? comparisonCsv(c) : await renderComparisonHtml(c, vscode.Uri.joinPath(this.env.extensionUri, 'dist').fsPath);
        await vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
        this.env.log.info(`Exported comparison ${m.format.toUpperCase()} to ${uri.fsPath}`);
        this.post({ type: 'exportResult', ok: true, message: `Saved ${uri.fsPath}` });
        return;
      }
      case 'exportChart': {
        const uri = await this.saveDialog(`${m.chart}.${m.format}`, m.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] });
        if (!uri) return;
        const bytes = m.format === 'svg' ? Buffer.from(m.data, 'utf8') : pngBytes(m.data);
        await vscode.workspace.fs.writeFile(uri, bytes);
        this.post({ type: 'exportResult', ok: true, message: `Saved ${uri.fsPath}` });
        return;
      }
    }
  }

  private saveDialog(name: string, filters: Record<string, string[]>): Thenable<vscode.Uri | undefined> {
    const dir = this.file ? vscode.Uri.file(path.dirname(this.file)) : vscode.workspace.workspaceFolders?.[0]?.uri;
    return vscode.window.showSaveDialog({ defaultUri: dir ? vscode.Uri.joinPath(dir, name) : undefined, filters, saveLabel: 'Export' });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function panelTitle(c: Comparison): string {
  return `Sparsity comparison: ${c.runs.map((r) => r.id + ' ' + r.model.name.replace(/\/model\.json$/, '')).join(' · ')}`;
}

/** A saved comparison in an editor tab (called by the report editor for comparison files). */
export function showComparisonFile(panel: vscode.WebviewPanel, env: CompareEnv, file: string): ComparisonView {
  const view = new ComparisonView(panel, env);
  try {
    const c = readComparison(file);
    panel.title = panelTitle(c);
    view.setComparison(c, file);
  } catch (e) {
    view.setEmpty((e as Error).message);
    env.log.warn((e as Error).message);
  }
  return view;
}

/** Compares the reports (run folders or report files) and opens the panel beside the editor. */
export function openComparison(env: CompareEnv, paths: string[]): ComparisonView {
  const inputs = readInputs(paths);
  // All passes, so the panel can show the controls on request (its Passes menu); the chart starts with the trained models.
  const c = buildComparison(inputs, { passes: 'all' });
  const panel = vscode.window.createWebviewPanel(COMPARISON_PANEL_VIEW_TYPE, panelTitle(c), vscode.ViewColumn.Beside, { enableScripts: true, retainContextWhenHidden: true });
  const view = new ComparisonView(panel, env);
  view.setComparison(c, undefined, inputs);
  env.log.info(`Compared ${paths.length} reports: ${c.runs.map((r) => `${r.id} ${r.reportFile}`).join('; ')}`);
  return view;
}

/** Report files in the workspace, for the picker (run folders hold report.sparsity.json). */
async function pickReports(title: string, exclude: string[] = [], min = 2): Promise<string[] | undefined> {
  const found = await vscode.workspace.findFiles(`**/${REPORT_FILE}`, '**/node_modules/**', 500);
  const items = found
    .map((u) => u.fsPath)
    .filter((f) => !exclude.includes(f))
    .sort()
    .map((f) => ({ label: path.basename(path.dirname(f)), description: vscode.workspace.asRelativePath(f), file: f }));
  if (items.length < min) {
    const browse = await vscode.window.showOpenDialog({ title, canSelectMany: true, canSelectFiles: true, canSelectFolders: true, openLabel: 'Compare', filters: { 'Sparsity report': ['json'] } });
    return browse?.map((u) => u.fsPath);
  }
  const picked = await vscode.window.showQuickPick(items, { title, canPickMany: true, placeHolder: `Pick ${min === 1 ? 'one or more reports' : 'two or more reports'} (run folders)` });
  return picked?.map((p) => p.file);
}

/** *Compare Reports…*: from the Explorer (clicked + selected resources) or the palette (a picker). */
export async function compareReportsCommand(env: CompareEnv, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
  let paths = (selected && selected.length ? selected : clicked instanceof vscode.Uri ? [clicked] : []).map((u) => u.fsPath);
  if (paths.length < 2) {
    const picked = await pickReports('Sparsity Lens: Compare Reports', [], 2);
    if (!picked) return;
    paths = [...new Set([...paths, ...picked])];
  }
  if (paths.length < 2) {
    void vscode.window.showWarningMessage('Sparsity Lens: pick two or more reports (or run folders) to compare.');
    return;
  }
  openComparison(env, paths);
}

/** *Compare with…* from a report panel: the panel's report against picked others. */
export async function compareWithCommand(env: CompareEnv, uri?: vscode.Uri): Promise<void> {
  const current = uri instanceof vscode.Uri && uri.fsPath.endsWith('.json') ? uri.fsPath : ReportView.lastActive?.currentSource?.reportPath;
  if (!current) {
    void vscode.window.showWarningMessage('Sparsity Lens: Compare with… needs a saved report open in a report panel.');
    return;
  }
  const picked = await pickReports(`Compare ${path.basename(path.dirname(current))} with…`, [current], 1);
  if (!picked || picked.length === 0) return;
  openComparison(env, [current, ...picked]);
}
