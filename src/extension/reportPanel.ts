/**
 * Report panels: the live panel of a run (a WebviewPanel restored after reload by a
 * WebviewPanelSerializer) and the custom editor for `*.sparsity.json` files
 * (CustomReadonlyEditorProvider). Both host the same webview (dist/webview.js) and speak
 * src/shared/protocol.ts; every message from the webview is validated before use.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ProgressEvent } from '../core/analyzeTypes';
import { readReport } from '../core/report/reader';
import type { SparsityReport } from '../core/report/schema';
import {
  type EmptyAction,
  sanitizePersistedState,
  validateWebviewMessage,
  type HostToWebviewMessage,
  type ReportSource,
  type RunStatus,
  type WebviewToHostMessage,
} from '../shared/protocol';
import { isComparisonFile, showComparisonFile } from './comparePanel';
import { exportChart, exportFigure, exportReportInteractive } from './exporting';
import type { Logger } from './log';
import { runPanelTitle } from './runLogic';
import { allowPanelFolders, initPanelWebview } from './panelWebview';
import { listCategoryImages } from './categoryImages';

export const PANEL_VIEW_TYPE = 'sparsityLens.report';

/** The command each button of the empty panel runs. */
const EMPTY_ACTION_COMMANDS: Record<EmptyAction, string> = { tryDemo: 'sparsityLens.tryDemo', analyzeFolder: 'sparsityLens.analyzeFolder' };
/** What a panel without a report offers: analyse a folder of one's own, or the demo. */
export const NO_REPORT_ACTIONS: EmptyAction[] = ['analyzeFolder', 'tryDemo'];
export const EDITOR_VIEW_TYPE = 'sparsityLens.reportViewer';

export interface PanelEnv {
  extensionUri: vscode.Uri;
  log: Logger;
  /** Cancels a run of this window by id (from the panel's Cancel button). */
  cancelRun(runId: string): void;
  /** "Run again": the report's dataset with the report's settings (issue 15; resumeCommands.ts). */
  runAgain?(report: SparsityReport, reportPath: string | undefined): Promise<void>;
  /** The interrupted run a panel restored after a reload can resume (its folder's, else the newest), if any. */
  findInterrupted?(datasetPath: string | undefined): ResumableRun | undefined;
  /** Resumes the interrupted run in `runDir` (its live panel: the folder's, so this one). */
  resumeRun?(runDir: string): Promise<void>;
}

/** An interrupted run a panel offers to resume. */
export interface ResumableRun {
  runDir: string;
  datasetPath: string;
  /** Which run, for the panel: dataset, model, how far it got, when. */
  description: string;
}

/** One webview showing a report (live or from a file). */
export class ReportView implements vscode.Disposable {
  private ready = false;
  private report: SparsityReport | null = null;
  private source: ReportSource | null = null;
  private empty: { message: string; actions?: EmptyAction[] } | null = null;
  private progress: { runId: string; event: ProgressEvent } | null = null;
  private status: Extract<HostToWebviewMessage, { type: 'runStatus' }> | null = null;
  private resumable: ResumableRun | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly env: PanelEnv,
  ) {
    initPanelWebview(panel, env.extensionUri, 'webview.js', env.log);
    this.disposables.push(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this.onDidDispose = panel.onDidDispose;
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
    ReportView.all.add(this);
    this.disposables.push(panel.onDidChangeViewState((e) => e.webviewPanel.active && (ReportView.lastActive = this)));
    ReportView.lastActive = this;
  }

  /** The image folder whose runs this panel shows (live run panels only; a new run of it reuses the panel). */
  datasetPath: string | undefined;
  /** 1 for a folder's first open run panel; 2, 3, … for panels of runs started beside it (shown in the title). */
  runNumber = 1;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Forgets the previous run (its report, progress and status) before a new run of the same folder. */
  resetForRun(): void {
    this.report = null;
    this.source = null;
    this.progress = null;
    this.status = null;
  }

  /** Views alive, and the one last focused (for "Export Report…"). */
  static readonly all = new Set<ReportView>();
  static lastActive: ReportView | undefined;

  get currentReport(): SparsityReport | null {
    return this.report;
  }
  get currentSource(): ReportSource | null {
    return this.source;
  }

  /** Folders the webview may read besides dist/ and media/ (the dataset folders of its reports: thumbnails). */
  private readonly allowedFolders: string[] = [];

  /** Lets the webview show images of `folder` (the drill-down's thumbnails); a no-op when it already may. */
  allowFolder(folder: string): void {
    const f = path.resolve(folder);
    if (this.allowedFolders.includes(f)) return;
    this.allowedFolders.push(f);
    allowPanelFolders(this.panel, this.env.extensionUri, this.allowedFolders);
  }

  setReport(report: SparsityReport, source: ReportSource): void {
    this.allowFolder(report.dataset.path);
    this.report = report;
    this.source = source;
    this.empty = null;
    this.post({ type: 'report', report, source });
  }

  /** No report to show: `message` says why; `actions` offers what to do (buttons, EMPTY_ACTIONS). */
  setEmpty(message: string, actions?: EmptyAction[]): void {
    this.empty = { message, actions };
    this.report = null;
    this.resumable = null;
    this.post({ type: 'empty', message, ...(actions?.length ? { actions } : {}) });
  }

  /** After setEmpty: offer a Resume button for this interrupted run (issue 15). */
  setResumable(run: ResumableRun): void {
    this.resumable = run;
    this.post({ type: 'resumable', description: run.description });
  }

  setProgress(runId: string, event: ProgressEvent): void {
    this.progress = { runId, event };
    this.post({ type: 'progress', runId, progress: event });
  }

  setStatus(runId: string, status: RunStatus, message?: string, reportPath?: string): void {
    this.status = { type: 'runStatus', runId, status, message, reportPath };
    if (reportPath && this.source) this.source = { ...this.source, reportPath };
    this.post(this.status);
  }

  private post(m: HostToWebviewMessage): void {
    if (!this.ready || this.disposed) return;
    void this.panel.webview.postMessage(m);
  }

  /** Sends the whole state (after the webview (re)loads and says `ready`). */
  private flush(): void {
    if (this.report && this.source) this.post({ type: 'report', report: this.report, source: this.source });
    else if (this.empty) this.post({ type: 'empty', message: this.empty.message, ...(this.empty.actions?.length ? { actions: this.empty.actions } : {}) });
    if (!this.report && this.resumable) this.post({ type: 'resumable', description: this.resumable.description });
    if (this.progress && (!this.status || this.status.status === 'running')) this.post({ type: 'progress', runId: this.progress.runId, progress: this.progress.event });
    if (this.status) this.post(this.status);
  }

  private onMessage(raw: unknown): void {
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.env.log.warn(`Ignored a message from the report webview: ${v.error}`);
      return;
    }
    void this.handle(v.message).catch((e: unknown) => {
      this.env.log.error(`Report panel: ${(e as Error).stack ?? String(e)}`);
      void this.panel.webview.postMessage({ type: 'exportResult', ok: false, message: (e as Error).message } satisfies HostToWebviewMessage);
    });
  }

  private async handle(m: WebviewToHostMessage): Promise<void> {
    switch (m.type) {
      case 'openAnalysisOptions':
        // The options of the shown report's folder (its workspace folder's settings), else the workspace's.
        await vscode.commands.executeCommand('sparsityLens.analysisOptions', this.report ? vscode.Uri.file(this.report.dataset.path) : undefined);
        return;
      case 'ready':
        this.ready = true;
        this.flush();
        return;
      case 'log':
        if (m.level === 'error') this.env.log.error(`webview: ${m.message}`);
        else if (m.level === 'warn') this.env.log.warn(`webview: ${m.message}`);
        else this.env.log.info(`webview: ${m.message}`);
        return;
      case 'cancelRun':
        if (this.status?.runId === m.runId || this.progress?.runId === m.runId) this.env.cancelRun(m.runId);
        return;
      case 'exportReport': {
        if (!this.report) return;
        const saved = await exportReportInteractive(this.report, this.source?.reportPath, m.format, this.env.extensionUri, this.env.log);
        if (saved) this.post({ type: 'exportResult', ok: true, message: `Saved ${saved}` });
        return;
      }
      case 'exportChart': {
        const saved = await exportChart(m.chart, m.format, m.data, this.source?.reportPath, this.env.log);
        if (saved) this.post({ type: 'exportResult', ok: true, message: `Saved ${saved}` });
        return;
      }
      case 'exportFigure': {
        const saved = await exportFigure(m, this.report, this.source?.reportPath, this.env.log);
        if (saved) this.post({ type: 'exportResult', ok: true, message: `Saved ${saved}` });
        return;
      }
      case 'runAgain': {
        // The host's own copy of the report (never settings from the webview); only a finished one.
        if (!this.report?.complete || !this.env.runAgain) return;
        await this.env.runAgain(this.report, this.source?.reportPath);
        return;
      }
      case 'resumeRun': {
        const run = this.resumable;
        if (!run || !this.env.resumeRun) return;
        this.datasetPath = run.datasetPath; // so the resumed run's live panel is this one
        await this.env.resumeRun(run.runDir);
        return;
      }
      case 'copyText':
        await vscode.env.clipboard.writeText(m.text);
        this.post({ type: 'exportResult', ok: true, message: 'Copied to the clipboard.' });
        return;
      case 'emptyAction':
        // Only from a panel that offers it (a stray message from a report view runs nothing).
        if (this.report || !this.empty?.actions?.includes(m.action)) return;
        await vscode.commands.executeCommand(EMPTY_ACTION_COMMANDS[m.action]);
        return;
      case 'listCategoryImages': {
        const r = this.report;
        if (!r) return;
        const listing = listCategoryImages(r, m.category);
        if (!listing.ok) {
          this.post({ type: 'categoryImages', category: m.category, name: listing.name, images: [], more: 0, error: listing.message });
          return;
        }
        const images = listing.files.map((f) => ({ file: path.relative(listing.folder, f), uri: this.panel.webview.asWebviewUri(vscode.Uri.file(f)).toString() }));
        this.post({ type: 'categoryImages', category: m.category, name: listing.name, images, more: listing.more, ...(listing.note ? { note: listing.note } : {}) });
        return;
      }
      case 'revealSkipped': {
        const r = this.report;
        const s = r?.skipped[m.index];
        if (!r || !s) return;
        const root = path.resolve(r.dataset.path);
        const file = path.resolve(root, s.file);
        if (file !== root && !file.startsWith(root + path.sep)) {
          this.env.log.warn(`Not revealing ${s.file}: outside the dataset folder.`);
          return;
        }
        const uri = vscode.Uri.file(file);
        if (vscode.workspace.getWorkspaceFolder(uri)) {
          await vscode.commands.executeCommand('revealInExplorer', uri);
        } else if ((await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
          await vscode.commands.executeCommand('revealFileInOS', uri);
        } else {
          // Outside the workspace the Explorer cannot show it, and code-server has no OS file
          // manager: say where it is rather than do nothing.
          this.env.log.info(`Skipped file: ${file} (${s.reason})`);
          void vscode.window.showInformationMessage(`Sparsity Lens: ${file} is outside the workspace, so the Explorer cannot show it (its path is in the Output).`);
        }
        return;
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    ReportView.all.delete(this);
    if (ReportView.lastActive === this) ReportView.lastActive = undefined;
    for (const d of this.disposables) d.dispose();
  }
}

export function panelTitle(datasetPath: string, live: boolean): string {
  return `${live ? 'Sparsity (running): ' : 'Sparsity: '}${path.basename(datasetPath)}`;
}

/**
 * The live panel of a new run: the folder's panel when one is open and not showing a running
 * analysis (so reruns do not pile up tabs or split the editor again), else a new panel — in the
 * column of another Sparsity panel when there is one, else beside the editor — numbered in its
 * title when another panel of the folder is open. `busy` tells a panel whose run is still going.
 */
export function createLivePanel(env: PanelEnv, datasetPath: string, busy: (view: ReportView) => boolean = () => false): ReportView {
  const mine = [...ReportView.all].filter((v) => !v.isDisposed && v.datasetPath === datasetPath);
  const reusable = mine.find((v) => !busy(v));
  if (reusable) {
    reusable.resetForRun();
    reusable.panel.title = runPanelTitle(path.basename(datasetPath), 'running', reusable.runNumber);
    reusable.panel.reveal(reusable.panel.viewColumn, true);
    return reusable;
  }
  const runNumber = mine.length === 0 ? 1 : Math.max(...mine.map((v) => v.runNumber)) + 1;
  const other = [...ReportView.all].find((v) => !v.isDisposed && v.datasetPath !== undefined && v.panel.viewColumn !== undefined);
  const panel = vscode.window.createWebviewPanel(
    PANEL_VIEW_TYPE,
    runPanelTitle(path.basename(datasetPath), 'running', runNumber),
    { viewColumn: other?.panel.viewColumn ?? vscode.ViewColumn.Beside, preserveFocus: true },
    { enableScripts: true, retainContextWhenHidden: false },
  );
  const view = new ReportView(panel, env);
  view.allowFolder(datasetPath); // before the page loads (changing the roots later reloads it)
  view.datasetPath = datasetPath;
  view.runNumber = runNumber;
  return view;
}

/** Restores live panels after a window reload from the state the webview saved. */
export class ReportPanelSerializer implements vscode.WebviewPanelSerializer {
  constructor(private readonly env: PanelEnv) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, rawState: unknown): Promise<void> {
    const state = sanitizePersistedState(rawState);
    const view = new ReportView(panel, this.env);
    const file = state.source?.reportPath;
    if (file && fs.existsSync(file)) {
      try {
        const report = readReport(file);
        panel.title = panelTitle(report.dataset.path, false);
        view.datasetPath = report.dataset.path;
        view.setReport(report, { kind: 'file', reportPath: file });
        return;
      } catch (e) {
        view.setEmpty((e as Error).message);
        return;
      }
    }
    panel.title = 'Sparsity (interrupted)';
    // Its checkpoint survives the reload (the worker stops without removing it): offer to resume it.
    const run = this.env.findInterrupted?.(state.source?.datasetPath);
    if (run) {
      view.datasetPath = run.datasetPath;
      view.setEmpty('The analysis shown here stopped when the window reloaded, before its report was saved. Its checkpoint is kept: Resume continues it to a complete report.');
      view.setResumable(run);
      return;
    }
    view.setEmpty('The analysis shown here stopped when the window reloaded, before its report was saved. Run "Analyze Sparsity" on the folder again.', NO_REPORT_ACTIONS);
  }
}

interface ReportDocument extends vscode.CustomDocument {
  readonly uri: vscode.Uri;
}

/** Opening a `*.sparsity.json` shows the report panel (VS Code restores these editors itself). */
export class ReportEditorProvider implements vscode.CustomReadonlyEditorProvider<ReportDocument> {
  constructor(private readonly env: PanelEnv) {}

  openCustomDocument(uri: vscode.Uri): ReportDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: ReportDocument, panel: vscode.WebviewPanel): void {
    // `*.sparsity.json` also matches comparison.sparsity.json: a comparison (told by its schema
    // id, so a renamed one too) opens in the comparison panel instead (issue 12).
    if (document.uri.scheme === 'file' && isComparisonFile(document.uri.fsPath)) {
      showComparisonFile(panel, this.env, document.uri.fsPath);
      return;
    }
    const view = new ReportView(panel, this.env);
    const load = (): void => {
      try {
        const report = readReport(document.uri.fsPath);
        view.setReport(report, { kind: 'file', reportPath: document.uri.fsPath });
      } catch (e) {
        view.setEmpty((e as Error).message);
        this.env.log.warn((e as Error).message);
      }
    };
    load();
    if (document.uri.scheme === 'file') {
      const dir = path.dirname(document.uri.fsPath);
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), path.basename(document.uri.fsPath)));
      watcher.onDidChange(load);
      watcher.onDidCreate(load);
      view.onDidDispose(() => watcher.dispose());
    }
  }
}
