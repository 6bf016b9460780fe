/**
 * "Analyze Sparsity": settings → model → worker process → progress notification + live panel.
 *
 * One forked worker per run (src/extension/workerClient.ts). Cancel (notification button,
 * panel button, "Cancel Analysis" command) asks the worker to abort; the core stops within one
 * batch and leaves no report; the worker is killed if it does not exit in time.
 * A second run on a folder that is being analysed asks: cancel the previous, run both, or keep
 * the previous.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AnalyzeRequest, AnalyzeResult, ProgressEvent } from '../core/analyzeTypes';
import { engineText, fmt, formatProgress, progressPercent } from '../core/report/format';
import { getValidSettings, openSetting, openSettingWhereSet } from './config';
import { isModelErrorCode } from './models/errors';
import { showModelError } from './models/fetch';
import { modelResolveSpec, resolveModel, type ModelContext } from './models/resolve';
import type { PickedModel } from './models/source';
import type { Logger } from './log';
import { EtaEstimator, RECOMPUTE_CHANGED, runPanelTitle, userErrorActions, type PanelState } from './runLogic';
import { createLivePanel, NO_REPORT_ACTIONS, type PanelEnv, type ReportView } from './reportPanel';
import { buildAnalyzeRequest, describeSettings, resolveOutputRoot } from './settings';
import { startAnalyze, WorkerCancelledError, WorkerError, type WorkerJob } from './workerClient';
import type { ModelResolveSpec } from './workerProtocol';

export interface RunEnv {
  context: vscode.ExtensionContext;
  log: Logger;
  panelEnv(): PanelEnv;
  modelContext(folder: vscode.WorkspaceFolder | undefined, scope: vscode.Uri | undefined): ModelContext;
}

interface ActiveRun {
  runId: string;
  datasetPath: string;
  job: WorkerJob<AnalyzeResult>;
  view: ReportView;
  startedAt: number;
  lastProgress?: ProgressEvent;
  /** The run folder a resumed run continues (a new run's folder is made by the worker). */
  resumeRunDir?: string;
  /** Resolves once the run has left the running set (its panel may then take a new run). */
  ended: Promise<void>;
  markEnded(): void;
}

export const SECOND_RUN = {
  cancelPrevious: 'Cancel Previous and Start',
  runBoth: 'Run Both',
  keepPrevious: 'Keep Previous',
} as const;

let runCounter = 0;

/** The run's panel title for its state (a closed panel has none to set). */
function setTitle(run: ActiveRun, state: PanelState): void {
  if (!run.view.isDisposed) run.view.panel.title = runPanelTitle(path.basename(run.datasetPath), state, run.view.runNumber);
}

export const REVEAL_IN_EXPLORER = 'Reveal in Explorer';

/** "Reveal in File Explorer" / "Reveal in Finder" where VS Code can open the OS file manager, else undefined. */
async function osRevealLabel(): Promise<string | undefined> {
  const commands = await vscode.commands.getCommands(true);
  if (!commands.includes('revealFileInOS')) return undefined;
  return process.platform === 'darwin' ? 'Reveal in Finder' : process.platform === 'win32' ? 'Reveal in File Explorer' : 'Open Containing Folder';
}

/** Shows the run folder in VS Code's Explorer (outside the workspace the Explorer cannot: say where it is). */
async function revealRunFolder(runDir: string, log: Logger): Promise<void> {
  const uri = vscode.Uri.file(runDir);
  if (!vscode.workspace.getWorkspaceFolder(uri)) {
    log.info(`Run folder: ${runDir}`);
    void vscode.window.showInformationMessage(`Sparsity Lens: the run folder ${runDir} is outside the workspace, so the Explorer cannot show it (its path is in the Output).`);
    return;
  }
  await vscode.commands.executeCommand('workbench.view.explorer');
  await vscode.commands.executeCommand('revealInExplorer', uri);
}

export class RunManager implements vscode.Disposable {
  private readonly runs = new Map<string, ActiveRun>();

  constructor(private readonly env: RunEnv) {}

  get active(): ActiveRun[] {
    return [...this.runs.values()];
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'sparsityLens.running', this.runs.size > 0);
  }

  workerScript(): string {
    return vscode.Uri.joinPath(this.env.context.extensionUri, 'dist', 'analysisWorker.js').fsPath;
  }

  cancel(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.env.log.info(`Cancelling the analysis of ${run.datasetPath} (run ${runId})`);
    run.job.cancel();
  }

  /** "Cancel Analysis" command: the only run, or a pick among several. */
  async cancelInteractive(): Promise<void> {
    const runs = this.active;
    if (runs.length === 0) {
      void vscode.window.showInformationMessage('Sparsity Lens: no analysis is running.');
      return;
    }
    let target = runs[0];
    if (runs.length > 1) {
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: path.basename(r.datasetPath), description: r.lastProgress ? formatProgress(r.lastProgress) : 'starting', run: r })),
        { title: 'Cancel which analysis?' },
      );
      if (!pick) return;
      target = pick.run;
    }
    this.cancel(target.runId);
  }

  /**
   * `options.model`: the model to use instead of the sparsityLens.model setting (the embedded demo
   * model of "Try the Demo", src/extension/onboarding.ts); every other setting applies as usual.
   */
  async analyzeFolder(arg?: vscode.Uri, options: { model?: PickedModel } = {}): Promise<void> {
    const log = this.env.log;
    let folder = arg instanceof vscode.Uri ? arg : undefined;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Analyze Sparsity: choose the image folder (one sub-folder per category)',
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Analyze Sparsity',
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      folder = picked?.[0];
      if (!folder) return;
    }
    if (folder.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Sparsity Lens analyses folders on this machine's disk; "${folder.toString()}" is not one.`);
      return;
    }
    const datasetPath = folder.fsPath;
    if (!fs.existsSync(datasetPath) || !fs.statSync(datasetPath).isDirectory()) {
      void vscode.window.showErrorMessage(`Sparsity Lens: "${datasetPath}" is not a folder.`);
      return;
    }
    const wsFolder = vscode.workspace.getWorkspaceFolder(folder);
    const settings = await getValidSettings(folder, log);
    if (!settings) return;
    const modelCtx = this.env.modelContext(wsFolder, folder);
    const model = options.model ?? (await resolveModel(settings, modelCtx));
    if (!model) return;
    // A model reference (torchvision:, catalog:, URL, cache:) is resolved by the worker, in the run's progress.
    const modelSpec = modelResolveSpec(model, settings, modelCtx);

    const same = this.active.filter((r) => r.datasetPath === datasetPath);
    if (same.length > 0) {
      const p = same[same.length - 1].lastProgress;
      // The first button is the dialog's default (Enter): the harmless "Keep Previous", never the
      // destructive "Cancel Previous and Start". Escape (undefined) keeps the previous run too.
      const picked = await vscode.window.showWarningMessage(
        `Sparsity Lens is already analysing "${path.basename(datasetPath)}"${p ? ` (${formatProgress(p)})` : ''}. What should happen?`,
        { modal: true, detail: 'Running both doubles the work on this machine; each run writes its own run folder.' },
        { title: SECOND_RUN.keepPrevious },
        { title: SECOND_RUN.runBoth },
        { title: SECOND_RUN.cancelPrevious },
      );
      const choice = picked?.title;
      if (!choice || choice === SECOND_RUN.keepPrevious) {
        same[same.length - 1].view.panel.reveal(undefined, true);
        return;
      }
      if (choice === SECOND_RUN.cancelPrevious) {
        for (const r of same) this.cancel(r.runId);
        // Until they have ended (their panel shows "cancelled"), so the new run can take the folder's panel.
        await Promise.all(same.map((r) => r.ended));
      }
    }

    const outputRoot = resolveOutputRoot(settings.outputFolder, wsFolder?.uri.fsPath, datasetPath);
    const request = buildAnalyzeRequest(settings, { datasetPath, modelPath: model.path, outputRoot, modelSource: model.source });
    await this.startRun(datasetPath, request, modelSpec, [
      `Analyze ${datasetPath}`,
      modelSpec ? `model: ${model.ref} (resolved through the model cache ${modelSpec.cacheDir})` : `model: ${model.path} (${model.source})`,
      `output folder: ${outputRoot}`,
      ...describeSettings(settings),
    ]);
  }

  /**
   * Starts a run of an already-built request: a new run (analyzeFolder), a rerun with a report's
   * own settings instead of the workspace's (Run again), or `request.resumeRunDir` (Resume; the
   * core takes the model, dataset and settings from the run's checkpoint). Issue 15.
   */
  async startRun(datasetPath: string, request: AnalyzeRequest, modelSpec: ModelResolveSpec | undefined, logLines: string[]): Promise<void> {
    const log = this.env.log;
    const script = this.workerScript();
    if (!fs.existsSync(script)) {
      void vscode.window.showErrorMessage(`Sparsity Lens is not built: ${script} is missing (run "npm run build").`);
      return;
    }
    const runId = `run-${Date.now().toString(36)}-${++runCounter}`;
    for (const l of logLines) log.info(l);

    const view = createLivePanel(this.env.panelEnv(), datasetPath, (v) => this.active.some((r) => r.view === v));
    view.setEmpty(`Analysing ${datasetPath}…`);
    view.setStatus(runId, 'running');

    const eta = new EtaEstimator();
    const job = startAnalyze(
      { script, onOutput: (l) => log.info(`[worker] ${l}`) },
      request,
      {
        onProgress: (raw) => {
          // The ETA from the wall clock since the first batch (runLogic.ts): unknown early, never "0 s" with work left.
          const e = eta.update(raw, Date.now());
          run.lastProgress = e;
          view.setProgress(runId, e);
          progressSink?.(e);
        },
        onPartial: (report) => view.setReport(report, { kind: 'live', runId, datasetPath }),
        onLog: (line) => log.info(line),
      },
      modelSpec,
    );
    let progressSink: ((e: ProgressEvent) => void) | undefined;
    let markEnded = (): void => undefined;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const run: ActiveRun = { runId, datasetPath, job, view, startedAt: Date.now(), ended, markEnded, resumeRunDir: request.resumeRunDir };
    this.runs.set(runId, run);
    this.updateContext();
    log.info(`worker pid ${job.pid ?? '?'} started (run ${runId})`);

    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sparsity Lens: ${path.basename(datasetPath)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => this.cancel(runId));
        let reported = 0;
        progressSink = (e) => {
          const pct = progressPercent(e);
          const increment = pct > reported ? pct - reported : 0;
          reported = Math.max(reported, pct);
          progress.report({ message: formatProgress(e), increment });
        };
        progress.report({ message: 'Starting…' });
        // Only the run itself is awaited here: the notification, the status-bar spinner and the
        // running state end with the worker, not when the user dismisses the result message.
        await run.job.done.catch(() => undefined);
      },
    );
    await this.finish(run).catch((e: unknown) => log.error(String(e)));
  }

  /** Shows the outcome of a run whose worker has ended (the progress notification is already gone). */
  private async finish(run: ActiveRun): Promise<void> {
    const { log } = this.env;
    const { view, runId } = run;
    // The worker has ended: nothing is running any more, whatever the user does with the messages.
    const outcome = await run.job.done.then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    this.runs.delete(runId);
    this.updateContext();
    run.markEnded();
    try {
      if (!outcome.ok) throw outcome.error;
      const result = outcome.result;
      setTitle(run, 'done');
      view.setReport(result.report, { kind: 'file', reportPath: result.reportPath, runId });
      view.setStatus(runId, 'done', undefined, result.reportPath);
      const t = result.report.timings;
      log.info(
        `Done in ${fmt(t.seconds, 1)} s (${fmt(t.imagesPerSecond, 1)} img/s; decode ${fmt(t.decodeSeconds, 1)} s, inference ${fmt(t.inferenceSeconds, 1)} s, stats ${fmt(t.statsSeconds, 1)} s); backend ${engineText(result.report.engine)}`,
      );
      for (const s of result.report.skipped) log.warn(`skipped ${s.file}: ${s.reason}`);
      const warnings = result.report.warnings ?? [];
      for (const w of warnings) log.warn(w);
      log.info(`Report: ${result.reportPath}`);
      // Skipped files and left-out statistics are said in the notification, not only in the log.
      const notes = [
        result.report.skipped.length ? `${result.report.skipped.length} file(s) skipped` : '',
        warnings.length ? `${warnings.length} warning(s)` : '',
      ].filter(Boolean);
      // VS Code's Explorer shows the run folder everywhere; the OS file manager only where VS Code
      // has that command (not in code-server / the browser).
      const osReveal = await osRevealLabel();
      const actions = [...(notes.length ? ['Show Output'] : []), REVEAL_IN_EXPLORER, ...(osReveal ? [osReveal] : [])];
      void vscode.window.showInformationMessage(`Sparsity Lens: report saved in ${result.runDir}${notes.length ? ` (${notes.join(', ')}; see the Output)` : ''}`, ...actions).then(async (c) => {
        if (c === 'Show Output') log.show();
        else if (c === REVEAL_IN_EXPLORER) await revealRunFolder(result.runDir, log);
        else if (c && c === osReveal) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.reportPath));
      });
    } catch (e) {
      if (e instanceof WorkerCancelledError) {
        setTitle(run, 'cancelled');
        // A cancelled run has no result: drop any partial charts and the "Analysing…" line.
        view.setEmpty(`The analysis of ${run.datasetPath} was cancelled; no report was written.`, NO_REPORT_ACTIONS);
        view.setStatus(runId, 'cancelled', e.killed ? 'Cancelled (the worker was stopped). No report was written.' : 'Cancelled. No report was written.');
        log.info(`Run ${runId} cancelled${e.killed ? ' (worker killed after the grace period)' : ''}; no report written.`);
        void vscode.window.showInformationMessage(`Sparsity Lens: analysis of "${path.basename(run.datasetPath)}" cancelled; no report was written.`);
      } else if (e instanceof WorkerError && e.isUserError && isModelErrorCode(e.code)) {
        this.showFailed(run, e.message);
        await showModelError(e.code, e.message, log);
      } else if (e instanceof WorkerError && e.isUserError) {
        this.showFailed(run, e.message);
        log.error(e.message);
        // An output folder that cannot be written is fixed in the outputFolder setting (or on disk).
        const actions = userErrorActions(e.code, run.resumeRunDir !== undefined);
        const c = await vscode.window.showErrorMessage(`Sparsity Lens: ${e.message}`, ...actions);
        if (c === RECOMPUTE_CHANGED && run.resumeRunDir) {
          // The same resume (the core reads model, dataset and settings from the checkpoint), told
          // to recompute the categories whose images changed (core/resumeCheck.ts).
          await this.startRun(run.datasetPath, { datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: run.resumeRunDir, restartChanged: true }, undefined, [
            `Resume ${run.resumeRunDir}, recomputing the categories whose images changed since it started`,
          ]);
          return;
        }
        if (c === 'Open Settings') {
          if (e.code?.startsWith('E_OUTPUT_')) await openSettingWhereSet('outputFolder', vscode.Uri.file(run.datasetPath));
          else await openSetting('sparsityLens');
        }
        if (c === 'Show Output') log.show();
      } else {
        const err = e as Error & { workerStack?: string };
        this.showFailed(run, err.message);
        log.error(`Run ${runId} failed: ${err.workerStack ?? err.stack ?? String(e)}`);
        const c = await vscode.window.showErrorMessage(`Sparsity Lens: the analysis failed: ${err.message}`, 'Show Output');
        if (c) log.show();
      }
    }
  }

  /** The panel of a failed run: no partial charts and no "Analysing…" line, the reason in the status. */
  private showFailed(run: ActiveRun, message: string): void {
    setTitle(run, 'failed');
    run.view.setEmpty(`The analysis of ${run.datasetPath} failed; no report was written.`, NO_REPORT_ACTIONS);
    run.view.setStatus(run.runId, 'failed', message);
  }

  /**
   * Whether the interrupted-looking run folder `meta` describes is a run of this window still
   * going (a new run's folder is only known when it ends): a resumed one by its folder, a new one
   * by its dataset and a start no earlier than this window started it.
   */
  isRunning(runDir: string, datasetPath: string, startedAt: string): boolean {
    const started = Date.parse(startedAt);
    return this.active.some((r) => r.resumeRunDir === runDir || (r.datasetPath === datasetPath && Number.isFinite(started) && started >= r.startedAt - 5000));
  }

  dispose(): void {
    for (const r of this.runs.values()) {
      // The window is closing or reloading: stop the worker at once WITHOUT a cancel, which would
      // remove the new run's folder; its checkpoint stays, and Resume continues it (issue 15).
      r.job.kill();
    }
  }
}
