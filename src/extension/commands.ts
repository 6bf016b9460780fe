/** The commands other than "Analyze Sparsity" (runs.ts): open, choose model, layers, export. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { getValidSettings, readSetting, updateSetting } from './config';
import { fetchModelRef } from './models/fetch';
import { describeModelRef } from './models/refs';
import { chooseAndMaybeSave, modelResolveSpec, resolveModel, type ModelContext } from './models/resolve';
import { exportReportInteractive } from './exporting';
import type { Logger } from './log';
import { EDITOR_VIEW_TYPE, ReportView } from './reportPanel';
import { readReport } from '../core/report/reader';
import { resolveOutputRoot } from './settings';
import { startListLayers, WorkerError } from './workerClient';
import type { ModelLayers } from '../core/modelInfo';
import type { ReportExportFormat } from '../shared/protocol';

export interface CommandEnv {
  context: vscode.ExtensionContext;
  log: Logger;
  modelContext(folder: vscode.WorkspaceFolder | undefined, scope: vscode.Uri | undefined): ModelContext;
  workerScript(): string;
}

function currentFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
}

export async function openReportCommand(env: CommandEnv, arg?: vscode.Uri): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (!uri) {
    const folder = currentFolder();
    let defaultUri = folder?.uri;
    if (folder) {
      const configured = readSetting('outputFolder', folder.uri);
      const out = typeof configured === 'string' ? configured : '.sparsity-lens';
      const p = resolveOutputRoot(out, folder.uri.fsPath, folder.uri.fsPath);
      if (fs.existsSync(p)) defaultUri = vscode.Uri.file(p);
    }
    const picked = await vscode.window.showOpenDialog({
      title: 'Open a Sparsity Lens report',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      defaultUri,
      openLabel: 'Open Report',
      filters: { 'Sparsity report': ['json'] },
    });
    uri = picked?.[0];
    if (!uri) return;
  }
  await vscode.commands.executeCommand('vscode.openWith', uri, EDITOR_VIEW_TYPE);
}

export async function chooseModelCommand(env: CommandEnv): Promise<void> {
  const folder = currentFolder();
  const ctx = env.modelContext(folder, folder?.uri);
  const picked = await chooseAndMaybeSave(ctx, true);
  if (picked) env.log.info(`Model chosen: ${picked.ref}${picked.path && picked.path !== picked.ref ? ` → ${picked.path}` : ''} (${picked.source})`);
}

export function layerDescription(l: ModelLayers['layers'][number]): string {
  const shape = l.shape.map((d) => (d === null ? '?' : String(d))).join('×');
  return `${l.op} · ${l.kind}${shape ? ` · ${shape}` : ''}`;
}

export async function showLayersCommand(env: CommandEnv): Promise<void> {
  const folder = currentFolder();
  const settings = await getValidSettings(folder?.uri, env.log);
  if (!settings) return;
  const modelCtx = env.modelContext(folder, folder?.uri);
  const model = await resolveModel(settings, modelCtx);
  if (!model) return;
  const spec = modelResolveSpec(model, settings, modelCtx);
  if (spec) {
    // A model reference: get it into the cache first (export / download with progress).
    const r = await fetchModelRef(spec.ref, {
      cacheDir: spec.cacheDir,
      pythonPath: spec.pythonPath,
      maxBytes: spec.maxBytes,
      log: (l) => env.log.info(l),
      error: (l) => env.log.error(l),
      showLog: () => env.log.show(),
      title: `Preparing ${describeModelRef(spec.ref)}`,
    });
    if (!r) return;
    model.path = r.modelPath;
  }
  const script = env.workerScript();
  if (!fs.existsSync(script)) {
    void vscode.window.showErrorMessage(`Sparsity Lens is not built: ${script} is missing (run "npm run build").`);
    return;
  }
  let info: ModelLayers;
  try {
    info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sparsity Lens: reading the layers of ${path.basename(model.path)}…`, cancellable: true },
      async (_p, token) => {
        const job = startListLayers({ script, onOutput: (l) => env.log.info(`[worker] ${l}`) }, model.path);
        token.onCancellationRequested(() => job.cancel());
        return job.done;
      },
    );
  } catch (e) {
    const msg = e instanceof WorkerError && e.isUserError ? e.message : `could not read the model's layers: ${(e as Error).message}`;
    env.log.error(msg);
    void vscode.window.showErrorMessage(`Sparsity Lens: ${msg}`);
    return;
  }
  const defaults = new Set(info.defaultTaps ?? info.layers.filter((l) => l.defaultTap).map((l) => l.name));
  env.log.info(`Layers of ${model.path} (${info.format}, ${info.backend}); * = analysed by default`);
  for (const l of info.layers) env.log.info(`${defaults.has(l.name) ? '*' : ' '} ${l.name.padEnd(24)} ${layerDescription(l)}`);
  const current = settings.layers.length ? new Set(settings.layers) : defaults;
  const items = info.layers.map((l) => ({
    label: l.name,
    description: layerDescription(l),
    detail: defaults.has(l.name) ? 'analysed by default (ReLU output after conv / fc)' : undefined,
    picked: current.has(l.name),
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Layers of ${path.basename(model.path)} (${info.layers.length}; ${defaults.size} by default)`,
    placeHolder: 'Pick the layers to analyse and press Enter to save them in sparsityLens.layers (Escape: just look)',
    canPickMany: true,
    matchOnDescription: true,
  });
  if (!picked) return;
  const names = info.layers.map((l) => l.name).filter((n) => picked.some((p) => p.label === n));
  const isDefault = names.length === defaults.size && names.every((n) => defaults.has(n));
  const target = folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global;
  await updateSetting('layers', isDefault ? [] : names, target, folder?.uri);
  void vscode.window.showInformationMessage(
    isDefault ? 'Sparsity Lens: using the model\'s default layers (sparsityLens.layers cleared).' : `Sparsity Lens: sparsityLens.layers set to ${names.length} layer(s).`,
  );
}

export async function exportReportCommand(env: CommandEnv, arg?: vscode.Uri): Promise<void> {
  let report = undefined as ReturnType<typeof readReport> | undefined;
  let reportPath: string | undefined;
  if (arg instanceof vscode.Uri && arg.fsPath.endsWith('.json')) {
    reportPath = arg.fsPath;
  } else {
    const view = ReportView.lastActive ?? [...ReportView.all][0];
    if (view?.currentReport) {
      report = view.currentReport;
      reportPath = view.currentSource?.reportPath;
    }
  }
  if (!report && !reportPath) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Export which Sparsity Lens report?',
      canSelectFiles: true,
      canSelectMany: false,
      filters: { 'Sparsity report': ['json'] },
      defaultUri: currentFolder()?.uri,
    });
    reportPath = picked?.[0]?.fsPath;
    if (!reportPath) return;
  }
  if (!report) {
    try {
      report = readReport(reportPath!);
    } catch (e) {
      void vscode.window.showErrorMessage(`Sparsity Lens: ${(e as Error).message}`);
      return;
    }
  }
  const fmt = await vscode.window.showQuickPick(
    [
      { label: 'JSON', description: 'the report file (*.sparsity.json)', format: 'json' as ReportExportFormat },
      { label: 'CSV', description: 'a table of the report', format: 'csv' as ReportExportFormat },
      { label: 'HTML', description: 'a standalone page with the charts (no network needed)', format: 'html' as ReportExportFormat },
    ],
    { title: `Export the report of ${path.basename(report.dataset.path)} as…` },
  );
  if (!fmt) return;
  try {
    const saved = await exportReportInteractive(report, reportPath, fmt.format, env.context.extensionUri, env.log);
    if (saved) void vscode.window.showInformationMessage(`Sparsity Lens: exported ${saved}`);
  } catch (e) {
    env.log.error(`Export failed: ${(e as Error).stack ?? String(e)}`);
    void vscode.window.showErrorMessage(`Sparsity Lens: export failed: ${(e as Error).message}`);
  }
}
