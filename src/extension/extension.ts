/**
 * Sparsity Lens extension entry (bundled to dist/extension.js).
 *
 * Registers the commands, the report custom editor for `*.sparsity.json`, the serializer that
 * restores live report panels after a reload, and the "Sparsity Lens" output channel.
 * The analysis itself runs in a forked worker process (dist/analysisWorker.js), never here.
 */
import * as vscode from 'vscode';
import { compareReportsCommand, compareWithCommand } from './comparePanel';
import { chooseModelCommand, exportReportCommand, openReportCommand, showLayersCommand, type CommandEnv } from './commands';
import { analysisOptionsCommand } from './analysisOptions';
import { analyzeOnClusterCommand } from './cluster';
import { createLogger } from './log';
import { manageModelsCommand } from './models/cacheCommands';
import { gettingStartedCommand, tryDemoCommand, type OnboardingEnv } from './onboarding';
import type { ModelContext } from './models/resolve';
import { EDITOR_VIEW_TYPE, PANEL_VIEW_TYPE, ReportEditorProvider, ReportPanelSerializer, type PanelEnv } from './reportPanel';
import { RunManager } from './runs';
import { findInterruptedFor, notifyInterruptedRuns, resumeAnalysisCommand, resumeRun, runAgain } from './resumeCommands';

const RECENT_KEY = 'sparsityLens.recentModels';
const SAVE_ANSWER_KEY = 'sparsityLens.saveChosenModel';

export function activate(context: vscode.ExtensionContext): void {
  const log = createLogger();
  context.subscriptions.push(log);
  log.info(`Sparsity Lens ${String(context.extension.packageJSON.version ?? '')} activated (workspace trusted: ${vscode.workspace.isTrusted})`);

  const modelContext = (folder: vscode.WorkspaceFolder | undefined, scope: vscode.Uri | undefined): ModelContext => ({
    workspaceFolder: folder,
    scope,
    storageDir: context.globalStorageUri,
    log,
    recent: context.globalState.get<string[]>(RECENT_KEY, []),
    rememberRecent: (p) => {
      const list = [p, ...context.globalState.get<string[]>(RECENT_KEY, []).filter((x) => x !== p)].slice(0, 8);
      void context.globalState.update(RECENT_KEY, list);
    },
    // Per workspace: "save in workspace settings" means this workspace's.
    saveAnswer: {
      get: () => {
        const a = context.workspaceState.get<unknown>(SAVE_ANSWER_KEY);
        return a === 'workspace' || a === 'user' || a === 'none' ? a : undefined;
      },
      set: (a) => void context.workspaceState.update(SAVE_ANSWER_KEY, a),
    },
  });

  const panelEnv: PanelEnv = {
    extensionUri: context.extensionUri,
    log,
    cancelRun: (id) => runs.cancel(id),
    runAgain: (report, reportPath) => runAgain(runs, report, reportPath, log),
    findInterrupted: (datasetPath) => findInterruptedFor(runs, datasetPath),
    resumeRun: (runDir) => resumeRun(runs, runDir, log),
  };
  const runs = new RunManager({ context, log, panelEnv: () => panelEnv, modelContext });
  context.subscriptions.push(runs);

  const cmdEnv: CommandEnv = { context, log, modelContext, workerScript: () => runs.workerScript() };
  const onboardingEnv: OnboardingEnv = { context, log, runs };
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await fn(...args);
      } catch (e) {
        log.error(`${name}: ${(e as Error).stack ?? String(e)}`);
        void vscode.window.showErrorMessage(`Sparsity Lens: ${(e as Error).message}`);
      }
    };

  context.subscriptions.push(
    vscode.commands.registerCommand('sparsityLens.analyzeFolder', guard('analyzeFolder', (uri?: vscode.Uri) => runs.analyzeFolder(uri))),
    vscode.commands.registerCommand('sparsityLens.analyzeOnCluster', guard('analyzeOnCluster', (uri?: vscode.Uri) => analyzeOnClusterCommand(cmdEnv, uri))),
    vscode.commands.registerCommand('sparsityLens.openReport', guard('openReport', (uri?: vscode.Uri) => openReportCommand(cmdEnv, uri))),
    vscode.commands.registerCommand('sparsityLens.chooseModel', guard('chooseModel', () => chooseModelCommand(cmdEnv))),
    vscode.commands.registerCommand('sparsityLens.manageModels', guard('manageModels', () => manageModelsCommand(cmdEnv))),
    vscode.commands.registerCommand('sparsityLens.showLayers', guard('showLayers', () => showLayersCommand(cmdEnv))),
    vscode.commands.registerCommand('sparsityLens.analysisOptions', guard('analysisOptions', (uri?: vscode.Uri) => analysisOptionsCommand(log, uri))),
    vscode.commands.registerCommand('sparsityLens.exportReport', guard('exportReport', (uri?: vscode.Uri) => exportReportCommand(cmdEnv, uri))),
    vscode.commands.registerCommand('sparsityLens.compareReports', guard('compareReports', (uri?: vscode.Uri, uris?: vscode.Uri[]) => compareReportsCommand(panelEnv, uri, uris))),
    vscode.commands.registerCommand('sparsityLens.compareWith', guard('compareWith', (uri?: vscode.Uri) => compareWithCommand(panelEnv, uri))),
    vscode.commands.registerCommand('sparsityLens.cancelAnalysis', guard('cancelAnalysis', () => runs.cancelInteractive())),
    vscode.commands.registerCommand('sparsityLens.tryDemo', guard('tryDemo', () => tryDemoCommand(onboardingEnv))),
    vscode.commands.registerCommand('sparsityLens.gettingStarted', guard('gettingStarted', () => gettingStartedCommand(onboardingEnv))),
    vscode.commands.registerCommand('sparsityLens.resumeAnalysis', guard('resumeAnalysis', () => resumeAnalysisCommand(runs, log))),
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE, new ReportEditorProvider(panelEnv), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new ReportPanelSerializer(panelEnv)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => log.info('Workspace trusted: the workspace\'s sparsityLens.model is used from now on.')),
  );
  void vscode.commands.executeCommand('setContext', 'sparsityLens.running', false);
  // A run of this workspace interrupted by a reload or a crash: say so once, without a dialog (issue 15).
  notifyInterruptedRuns(runs, log);
}

export function deactivate(): void {
  /* RunManager.dispose (a subscription) cancels running workers. */
}
