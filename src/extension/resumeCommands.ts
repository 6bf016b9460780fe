/**
 * Resume and Run again in VS Code (issue 15): the "Resume Analysis…" command, the notification
 * on activation when this workspace has an interrupted run, the Resume button of a panel
 * restored after a reload, and the panel's "Run again". The decisions are in resume.ts (no vscode).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { modelSha256 } from '../core/modelHash';
import { isOrphanedWorker, isRunLockedByLiveWriter } from '../core/runLock';
import type { SparsityReport } from '../core/report/schema';
import { readSetting } from './config';
import type { Logger } from './log';
import type { ResumableRun } from './reportPanel';
import { describeInterruptedRun, describeRunInProgress, describeRunInProgressItem, readRunFolder, runAgainPlan, runAgainProblems, scanRunFolders, type InterruptedRun, type RunFolderScan, type RunInProgress } from './resume';
import type { RunManager } from './runs';
import { resolveOutputRoot } from './settings';

/** The output roots of this workspace: each folder's sparsityLens.outputFolder. */
export function workspaceOutputRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => {
    const configured = readSetting('outputFolder', f.uri);
    return resolveOutputRoot(typeof configured === 'string' && configured ? configured : '.sparsity-lens', f.uri.fsPath, f.uri.fsPath);
  });
}

/**
 * This workspace's run folders in one pass (each read once): the interrupted ones, newest first,
 * and those a writer elsewhere holds; neither list has the runs still going in this window.
 */
export function workspaceRunFolders(runs: RunManager): RunFolderScan {
  const scan = scanRunFolders(workspaceOutputRoots());
  const notInThisWindow = (r: InterruptedRun): boolean => !runs.isRunning(r.runDir, r.datasetPath, r.startedAt);
  return { interrupted: scan.interrupted.filter(notInThisWindow), inProgress: scan.inProgress.filter(notInThisWindow) };
}

/** Interrupted runs of this workspace, newest first, without the runs still going in this window. */
export function interruptedRuns(runs: RunManager): InterruptedRun[] {
  return workspaceRunFolders(runs).interrupted;
}

function resumable(run: InterruptedRun): ResumableRun {
  const d = describeInterruptedRun(run);
  return { runDir: run.runDir, datasetPath: run.datasetPath, description: `${d.label}: ${d.description}; ${d.detail}` };
}

/** For a restored panel: the interrupted run of its folder (the newest), else the workspace's newest. */
export function findInterruptedFor(runs: RunManager, datasetPath: string | undefined): ResumableRun | undefined {
  const all = interruptedRuns(runs);
  const mine = datasetPath ? all.find((r) => r.datasetPath === datasetPath) : undefined;
  const run = mine ?? all[0];
  return run ? resumable(run) : undefined;
}

export async function resumeRun(runs: RunManager, runDir: string, log: Logger): Promise<void> {
  // This folder only, read once: whether it is resumable and, if not, who holds it come from the same look.
  const folder = readRunFolder(runDir);
  if (folder?.kind !== 'interrupted') {
    // Listed a moment ago but its writer (another window, a terminal) holds it now: say so, never a second writer.
    void vscode.window.showErrorMessage(folder?.kind === 'in-progress' ? `Sparsity Lens cannot resume: ${describeRunInProgress(folder.run)}` : `Sparsity Lens: ${runDir} has no checkpoint to resume (it finished, or was removed).`);
    return;
  }
  const run = folder.run;
  // The worker of the window before a reload stops within a batch: wait for it rather than fail on its lock.
  const stopping = isRunLockedByLiveWriter(runDir);
  if (stopping && isOrphanedWorker(stopping)) {
    log.info(`Waiting for the previous window's analysis worker (pid ${stopping.holder?.pid}) to stop before resuming ${runDir}`);
    for (const end = Date.now() + 30_000; Date.now() < end; ) {
      const lock = isRunLockedByLiveWriter(runDir);
      if (!lock || !isOrphanedWorker(lock)) break; // gone (or, if someone else took it, analyze says who)
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await runs.startRun(run.datasetPath, { datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: runDir }, undefined, [
    `Resume ${runDir} (${describeInterruptedRun(run).description})`,
    `dataset: ${run.datasetPath}; model: ${run.modelPath}`,
  ]);
  log.info(`Resumed run ${runDir} ended.`);
}

/** "Sparsity Lens: Resume Analysis…": pick an interrupted run of this workspace. */
export async function resumeAnalysisCommand(runs: RunManager, log: Logger): Promise<void> {
  // One pass: the interrupted runs, and those another window, a terminal or a cluster task is
  // writing (listed so they are not a mystery, never resumed).
  const { interrupted: list, inProgress: elsewhere } = workspaceRunFolders(runs);
  if (list.length === 0) {
    const note = elsewhere.length ? ` ${elsewhere.map(describeRunInProgress).join(' ')}` : '';
    void vscode.window.showInformationMessage(`Sparsity Lens: no interrupted analysis in this workspace (run folders with a checkpoint and no report).${note}`);
    return;
  }
  type Item = vscode.QuickPickItem & { run?: InterruptedRun; inProgress?: RunInProgress };
  const items: Item[] = list.map((r) => ({ ...describeInterruptedRun(r), run: r }));
  if (elsewhere.length) {
    items.push({ label: 'Running elsewhere (cannot be resumed)', kind: vscode.QuickPickItemKind.Separator });
    items.push(...elsewhere.map((r) => ({ ...describeRunInProgressItem(r), inProgress: r })));
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'Resume which analysis?', matchOnDescription: true, matchOnDetail: true });
  if (pick?.inProgress) void vscode.window.showInformationMessage(`Sparsity Lens: ${describeRunInProgress(pick.inProgress)}`);
  else if (pick?.run) await resumeRun(runs, pick.run.runDir, log);
}

/** On activation: a non-modal notification when this workspace has an interrupted run. */
export function notifyInterruptedRuns(runs: RunManager, log: Logger): void {
  let list: InterruptedRun[];
  try {
    const scan = workspaceRunFolders(runs);
    list = scan.interrupted;
    // Runs another window, a terminal or a cluster task is writing need nothing from the user
    // (no notification), but the Output says where they are, so a folder without a report yet is no mystery.
    for (const r of scan.inProgress) log.info(`In progress elsewhere: ${describeRunInProgress(r)}`);
  } catch (e) {
    log.warn(`Looking for interrupted runs: ${(e as Error).message}`);
    return;
  }
  if (list.length === 0) return;
  const d = describeInterruptedRun(list[0]);
  const more = list.length > 1 ? ` (${list.length - 1} more interrupted)` : '';
  const actions = list.length > 1 ? ['Resume', 'Choose…'] : ['Resume'];
  log.info(`Interrupted runs in this workspace: ${list.map((r) => r.runDir).join(', ')}`);
  void vscode.window.showInformationMessage(`Sparsity Lens: the analysis of "${d.label}" (${d.description}) was interrupted${more}.`, ...actions).then(async (c) => {
    if (c === 'Resume') await resumeRun(runs, list[0].runDir, log);
    else if (c === 'Choose…') await resumeAnalysisCommand(runs, log);
  });
}

/**
 * The panel's "Run again": the report's dataset and model file with the report's settings. A
 * missing dataset or model stops it; a model file that changed (sha256) or settings the report
 * does not record (older reports) are said, and the user decides.
 */
export async function runAgain(runs: RunManager, report: SparsityReport, reportPath: string | undefined, log: Logger): Promise<void> {
  let sha: string | undefined;
  try {
    sha = await modelSha256(report.model.path);
  } catch {
    sha = undefined; // missing: runAgainProblems says so
  }
  const problems = runAgainProblems(report, sha);
  if (problems.blocking.length) {
    void vscode.window.showErrorMessage(`Sparsity Lens cannot run this report again: ${problems.blocking.join(' ')}`);
    return;
  }
  const plan = runAgainPlan(report, reportPath, path.join(path.dirname(report.dataset.path), '.sparsity-lens'));
  const notes = [...problems.warnings];
  if (plan.notRecorded.length) notes.push(`This report does not record ${plan.notRecorded.join(', ')}; the rerun uses today's default for them.`);
  if (notes.length) {
    const go = await vscode.window.showWarningMessage('Sparsity Lens: the rerun will not be exactly the same run.', { modal: true, detail: notes.join('\n\n') }, 'Run Anyway');
    if (go !== 'Run Anyway') return;
  }
  await runs.startRun(report.dataset.path, plan.request, undefined, [
    `Run again ${report.dataset.path} with the settings of ${reportPath ?? 'the report shown'}`,
    `model: ${report.model.path} (sha256 ${report.model.sha256.slice(0, 12)}…)`,
    `output folder: ${plan.request.outputRoot}`,
    `settings: ${JSON.stringify({ ...plan.request.settings })}`,
    ...notes,
  ]);
}
