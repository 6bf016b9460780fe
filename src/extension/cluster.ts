/**
 * "Sparsity Lens: Analyze on Cluster...": the folder's analysis as a SLURM array job + merge job
 * (src/core/cluster does the work: submitRun, clusterStatus). Here only the VS Code part: ask
 * shards and partition (kept in sparsityLens.cluster.*), submit, show progress in the status bar
 * (tooltip: every shard), open the merged report when it is there. Needs `sbatch` on the PATH of
 * the extension host (e.g. Remote-SSH on a login node) and `node` for the compute nodes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { clusterStatus, formatClusterStatus, summarizeClusterStatus } from '../core/cluster/status';
import { resubmitRun, submitRun } from '../core/cluster/submit';
import { resolveModel as resolveModelFile } from '../core/models/resolve';
import { getValidSettings, updateSetting } from './config';
import type { Logger } from './log';
import { modelResolveSpec, resolveModel, type ModelContext } from './models/resolve';
import { buildAnalyzeRequest, resolveOutputRoot } from './settings';

export interface ClusterEnv {
  context: vscode.ExtensionContext;
  log: Logger;
  modelContext(folder: vscode.WorkspaceFolder | undefined, scope: vscode.Uri | undefined): ModelContext;
}

/** How often the status bar asks squeue and reads the checkpoints. */
const POLL_MS = 10_000;

/** The absolute path of `node` on the PATH (compute nodes run the CLI with it), or undefined. */
function nodeOnPath(): string | undefined {
  const r = spawnSync('node', ['-e', 'process.stdout.write(process.execPath)'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && r.stdout ? r.stdout : undefined;
}

export async function analyzeOnClusterCommand(env: ClusterEnv, arg?: vscode.Uri): Promise<void> {
  const { log } = env;
  let folder = arg instanceof vscode.Uri ? arg : undefined;
  if (!folder) {
    const picked = await vscode.window.showOpenDialog({ title: 'Analyze on Cluster: choose the image folder (one sub-folder per category)', canSelectFolders: true, canSelectFiles: false, openLabel: 'Analyze on Cluster' });
    folder = picked?.[0];
    if (!folder) return;
  }
  if (folder.scheme !== 'file' || !fs.existsSync(folder.fsPath) || !fs.statSync(folder.fsPath).isDirectory()) {
    void vscode.window.showErrorMessage(`Sparsity Lens: "${folder.fsPath}" is not a folder on this machine.`);
    return;
  }
  const datasetPath = folder.fsPath;
  const wsFolder = vscode.workspace.getWorkspaceFolder(folder);
  const settings = await getValidSettings(folder, log);
  if (!settings) return;
  const cli = vscode.Uri.joinPath(env.context.extensionUri, 'dist', 'cli.js').fsPath;
  if (!fs.existsSync(cli)) {
    void vscode.window.showErrorMessage(`Sparsity Lens is not built: ${cli} is missing (run "npm run build").`);
    return;
  }
  const node = nodeOnPath();
  if (!node) {
    void vscode.window.showErrorMessage('Sparsity Lens: `node` (version 20) is not on the PATH of this machine; the compute nodes run the shards with it. Install node 20 on a shared file system and add it to PATH.');
    return;
  }
  const modelCtx = env.modelContext(wsFolder, folder);
  const model = await resolveModel(settings, modelCtx);
  if (!model) return;

  const shardsText = await vscode.window.showInputBox({
    title: 'Analyze on Cluster (1/2): shards',
    prompt: 'How many SLURM array tasks to split the categories over',
    value: String(settings.cluster.shards),
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 10000 ? undefined : 'A whole number from 1 to 10000'),
  });
  if (shardsText === undefined) return;
  const partition = await vscode.window.showInputBox({
    title: 'Analyze on Cluster (2/2): partition',
    prompt: "SLURM partition (empty: the cluster's default)",
    value: settings.cluster.partition,
    validateInput: (v) => (/\s/.test(v.trim()) ? 'One partition name, no spaces' : undefined),
  });
  if (partition === undefined) return;
  const shards = Number(shardsText.trim());
  // Remembered for this workspace, through the one place that writes settings.
  await updateSetting('cluster.shards', shards, vscode.ConfigurationTarget.Workspace, folder);
  await updateSetting('cluster.partition', partition.trim(), vscode.ConfigurationTarget.Workspace, folder);

  const submitted = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Sparsity Lens: submitting to SLURM' }, async (progress) => {
    let modelPath = model.path;
    let modelSource = model.source;
    const spec = modelResolveSpec(model, settings, modelCtx);
    if (spec) {
      // A reference is resolved once, here: the nodes read the cached file.
      progress.report({ message: `resolving ${model.ref}` });
      const r = await resolveModelFile(spec.ref, { cacheDir: spec.cacheDir, pythonPath: spec.pythonPath, maxBytes: spec.maxBytes, onOutput: (l) => log.info(l) });
      modelPath = r.modelPath;
      modelSource = r.source;
    }
    progress.report({ message: 'writing the job scripts and calling sbatch' });
    const outputRoot = resolveOutputRoot(settings.outputFolder, wsFolder?.uri.fsPath, datasetPath);
    const request = buildAnalyzeRequest(settings, { datasetPath, modelPath, outputRoot, modelSource });
    return submitRun({
      request: { datasetPath, modelPath, modelSource, settings: request.settings, preprocessing: request.preprocessing },
      shards,
      scheduler: 'slurm',
      resources: { partition: partition.trim() || undefined, extra: [] },
      outputRoot,
      command: [node, cli],
    });
  });
  log.info(`Cluster run ${submitted.runDir}: array job ${submitted.submission?.arrayJobId ?? '-'}, merge job ${submitted.submission?.mergeJobId ?? '-'}`);
  for (const h of submitted.hints) log.info(`  ${h}`);
  follow(env, submitted.runDir);
}

/** Status bar item for one cluster run until its merged report opens (or a shard fails). */
function follow(env: ClusterEnv, runDir: string): void {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  item.name = 'Sparsity Lens cluster run';
  const label = path.basename(runDir);
  let timer: NodeJS.Timeout | undefined;
  let reportedFailure = false;
  const stop = () => {
    if (timer) clearInterval(timer);
    item.dispose();
  };
  env.context.subscriptions.push({ dispose: stop });
  const tick = async () => {
    let s;
    try {
      s = clusterStatus(runDir);
    } catch (e) {
      env.log.error(`Cluster run ${runDir}: ${(e as Error).message}`);
      return;
    }
    item.text = `$(server-process) Sparsity ${label}: ${summarizeClusterStatus(s)}`;
    item.tooltip = formatClusterStatus(s);
    item.show();
    if (s.complete && s.merge.runDir) {
      stop();
      env.log.info(`Cluster run ${runDir} merged: ${s.merge.runDir}`);
      await vscode.commands.executeCommand('sparsityLens.openReport', vscode.Uri.file(path.join(s.merge.runDir, 'report.sparsity.json')));
      return;
    }
    const failed = s.shards.filter((x) => x.state === 'failed');
    if (failed.length && !reportedFailure && !s.shards.some((x) => x.state === 'running' || x.state === 'queued')) {
      reportedFailure = true;
      env.log.error(formatClusterStatus(s));
      const c = await vscode.window.showErrorMessage(
        `Sparsity Lens: shard${failed.length > 1 ? 's' : ''} ${failed.map((x) => x.shard).join(', ')} of ${label} failed (${failed[0].reason ?? 'see its log'}; log ${failed[0].log ?? '-'}).`,
        'Resubmit Failed Shards',
        'Open Log',
      );
      if (c === 'Open Log' && failed[0].log) await vscode.window.showTextDocument(vscode.Uri.file(failed[0].log));
      if (c === 'Resubmit Failed Shards') {
        const r = await resubmitRun(runDir);
        env.log.info(`Resubmitted shards ${r.rerun.join(', ')} of ${runDir}`);
        reportedFailure = false;
      }
    }
  };
  timer = setInterval(() => void tick(), POLL_MS);
  void tick();
}
