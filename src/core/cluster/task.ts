/**
 * What the scheduler's jobs run (scheduler-neutral; `sparsity-lens cluster-task <run> <i>` and
 * `sparsity-lens cluster-merge <run>`):
 *   - a shard task: shard i of the plan's analysis into <run>/shards/<i>/, resuming from the
 *     shard's checkpoint when a killed or failed earlier task left one, doing nothing when the
 *     shard is already done (a resubmitted array may include finished shards);
 *   - the merge: every shard's run merged into <run>/merged/ with core/merge.ts (exact), only
 *     when all N are done.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../analyze';
import type { AnalyzeHooks, AnalyzeResult } from '../analyzeTypes';
import { mergeRuns } from '../merge';
import { modelSha256 } from '../modelHash';
import { parseReportJson } from '../report/parse';
import { REPORT_FILE } from '../report/schema';
import { acquireLockFile, describeRunLockHolder, isRunLockedByLiveWriter } from '../runLock';
import { UserError } from '../types';
import { hasReport, loadPlan, mergedRoot, mergedRunDir, shardRoot, shardRunDir, type ClusterPlan } from './layout';

export interface TaskResult {
  result: AnalyzeResult;
  /** True when the shard (or the merge) was already done and nothing ran. */
  alreadyDone: boolean;
  resumed: boolean;
}

function existingResult(runDir: string): AnalyzeResult {
  const reportPath = path.join(runDir, REPORT_FILE);
  return { report: parseReportJson(fs.readFileSync(reportPath, 'utf8'), reportPath), runDir, reportPath };
}

export async function runShardTask(runDir: string, shard: number, hooks: AnalyzeHooks = {}): Promise<TaskResult> {
  const plan = loadPlan(runDir);
  if (!Number.isInteger(shard) || shard < 1 || shard > plan.shards) {
    throw new UserError(`Shard ${shard} is not one of this run's shards 1..${plan.shards} (${runDir}); the array indices must be the shard numbers.`, 'E_CLUSTER');
  }
  // One task per shard (core/runLock.ts, <run>/shards/<i>.lock): a task re-queued while its
  // predecessor lives stops here, even while that one is still scanning, before its run folder exists.
  fs.mkdirSync(path.join(runDir, 'shards'), { recursive: true });
  const lock = acquireLockFile(path.join(runDir, 'shards', `${shard}.lock`), `Shard ${shard}/${plan.shards} of ${runDir}`);
  try {
    return await shardTask(runDir, plan, shard, hooks);
  } finally {
    lock.release();
  }
}

async function shardTask(runDir: string, plan: ClusterPlan, shard: number, hooks: AnalyzeHooks): Promise<TaskResult> {
  const existing = shardRunDir(runDir, shard);
  if (hasReport(existing)) {
    hooks.onLog?.(`Shard ${shard}/${plan.shards} is already done: ${existing}`);
    return { result: existingResult(existing), alreadyDone: true, resumed: false };
  }
  const common = { html: plan.request.html, checkpointSeconds: plan.request.checkpointSeconds };
  if (existing) {
    hooks.onLog?.(`Shard ${shard}/${plan.shards}: resuming from the checkpoint in ${existing}`);
    // analyze() checks that the model file still has the checkpoint's sha256.
    const result = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: existing, ...common }, hooks);
    return { result, alreadyDone: false, resumed: true };
  }
  const sha = await modelSha256(plan.model.path).catch((e: Error) => {
    throw new UserError(`The model ${plan.model.path} of ${runDir} cannot be read on this node (${e.message}); it must be on a file system every node mounts.`, 'E_CLUSTER_PATH');
  });
  if (sha !== plan.model.sha256) {
    throw new UserError(`The model ${plan.model.path} changed since \`submit\` (sha256 ${sha.slice(0, 12)}… instead of ${plan.model.sha256.slice(0, 12)}…); shards of two models cannot be merged. Submit a new run.`, 'E_CLUSTER');
  }
  // A task killed before its first checkpoint can leave an empty run folder: it would only confuse the merge.
  // But a task re-queued while its predecessor lives must not delete the folder that one is writing
  // (it holds the folder's writer lock, core/runLock.ts, from the folder's creation on).
  const root = shardRoot(runDir, shard);
  for (const d of fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }) : []) {
    const held = d.isDirectory() ? isRunLockedByLiveWriter(path.join(root, d.name)) : undefined;
    if (held) {
      throw new UserError(
        `Shard ${shard}/${plan.shards} of ${runDir} is still being written by an earlier task in ${path.join(root, d.name)}: ${describeRunLockHolder(held)}. ` +
          `Wait for it to finish or cancel it; if that task is gone, delete ${held.lockPath} and run the task again.`,
        'E_RUN_LOCKED',
      );
    }
  }
  if (fs.existsSync(root)) fs.rmSync(root, { recursive: true, force: true });
  hooks.onLog?.(`Shard ${shard}/${plan.shards}: starting in ${root}`);
  const result = await analyze(
    {
      ...plan.request,
      ...common,
      settings: { ...plan.request.settings, shard: `${shard}/${plan.shards}` },
      outputRoot: root,
      checkpoint: true,
    },
    hooks,
  );
  return { result, alreadyDone: false, resumed: false };
}

export async function runMergeTask(runDir: string, onLog?: (line: string) => void): Promise<TaskResult> {
  const plan = loadPlan(runDir);
  const done = mergedRunDir(runDir);
  if (done) {
    onLog?.(`Already merged: ${done}`);
    return { result: existingResult(done), alreadyDone: true, resumed: false };
  }
  const dirs: string[] = [];
  const missing: number[] = [];
  for (let i = 1; i <= plan.shards; i++) {
    const d = shardRunDir(runDir, i);
    if (hasReport(d)) dirs.push(d);
    else missing.push(i);
  }
  if (missing.length) {
    throw new UserError(`Cannot merge ${runDir}: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${plan.shards} not done. See \`sparsity-lens status ${runDir}\`; \`sparsity-lens submit --resume ${runDir}\` reruns them.`, 'E_CLUSTER');
  }
  onLog?.(`Merging ${plan.shards} shards of ${runDir}`);
  const result = await mergeRuns(dirs, mergedRoot(runDir));
  return { result, alreadyDone: false, resumed: false };
}
