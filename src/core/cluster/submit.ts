/**
 * `submit`: a new cluster run folder (core/cluster/layout.ts) with the plan, the scheduler's job
 * scripts, and (unless dry) the array job + merge job submitted. `submit --resume`: the shards
 * that failed or never ran are submitted again (each task resumes from its checkpoint), with a
 * new merge job after them and after the shards still queued or running.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createUniqueDir } from '../fsAtomic';
import { modelSha256 } from '../modelHash';
import { parseShard } from '../dataset';
import { UserError } from '../types';
import { runFolderBase } from '../runName';
import { schedulerNamed } from './index';
import { loadPlan, PLAN_VERSION, requireShared, savePlan, type ClusterPlan, type ClusterResources, type ShardRequest, type Submission } from './layout';
import type { CommandRunner, ScriptFiles, WaitFor } from './scheduler';
import { clusterStatus } from './status';

export interface SubmitOptions {
  request: ShardRequest;
  shards: number;
  scheduler: string;
  resources: ClusterResources;
  /** Parent of the new cluster run folder. */
  outputRoot: string;
  /** argv that runs sparsity-lens on a compute node. */
  command: string[];
  dryRun?: boolean;
  run?: CommandRunner;
}

export interface SubmitResult {
  runDir: string;
  plan: ClusterPlan;
  scripts: ScriptFiles;
  /** Undefined for a dry run, or when nothing needed resubmitting. */
  submission?: Submission;
  /** Lines telling how to follow the jobs (or, for a dry run, how to submit them). */
  hints: string[];
}

/** `<dataset>-<model>-cluster-<time>`: named like a local run (core/runName.ts), and says it is a cluster run. */
function runFolderName(datasetPath: string, modelPath: string, modelSource?: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${runFolderBase(datasetPath, modelPath, modelSource)}-cluster-${stamp}`;
}

export async function submitRun(o: SubmitOptions): Promise<SubmitResult> {
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new UserError(`--shards ${o.shards}: give a whole number of shards, at least 1.`, 'E_CLUSTER_ARG');
  if (o.request.settings?.shard !== undefined) throw new UserError('--shard is set by `submit` for each task; leave it out (use --shards N).', 'E_CLUSTER_ARG');
  parseShard(`1/${o.shards}`);
  const scheduler = schedulerNamed(o.scheduler);
  const datasetPath = path.resolve(o.request.datasetPath);
  if (!fs.existsSync(datasetPath) || !fs.statSync(datasetPath).isDirectory()) throw new UserError(`The image folder ${datasetPath} does not exist or is not a folder.`, 'E_DATASET');
  const modelPath = path.resolve(o.request.modelPath);
  if (!fs.existsSync(modelPath)) throw new UserError(`The model ${modelPath} does not exist.`, 'E_MODEL');
  requireShared(modelPath, 'The model');
  requireShared(datasetPath, 'The image folder');
  requireShared(path.resolve(o.outputRoot), 'The output folder (--out)');
  for (const p of o.command.filter((a) => path.isAbsolute(a))) requireShared(p, 'The sparsity-lens installation file');
  const sha256 = await modelSha256(modelPath);
  fs.mkdirSync(path.resolve(o.outputRoot), { recursive: true });
  const runDir = createUniqueDir(path.resolve(o.outputRoot), runFolderName(datasetPath, modelPath, o.request.modelSource));
  const plan: ClusterPlan = {
    version: PLAN_VERSION,
    scheduler: scheduler.name,
    createdAt: new Date().toISOString(),
    shards: o.shards,
    request: { ...o.request, datasetPath, modelPath },
    model: { path: modelPath, sha256, source: o.request.modelSource },
    resources: o.resources,
    command: o.command,
    submissions: [],
  };
  let scripts: ScriptFiles;
  try {
    scripts = scheduler.writeScripts(runDir, plan);
  } catch (e) {
    fs.rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
  savePlan(runDir, plan);
  if (o.dryRun) {
    return { runDir, plan, scripts, hints: [`Dry run: nothing submitted. Submit it with: sparsity-lens submit --resume ${runDir}`] };
  }
  const all = Array.from({ length: o.shards }, (_, i) => i + 1);
  let submission: Submission;
  try {
    submission = scheduler.submit(runDir, plan, all, [], o.run);
  } catch (e) {
    // Nothing is queued: the folder would only be a stale run.
    fs.rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
  plan.submissions.push(submission);
  savePlan(runDir, plan);
  return { runDir, plan, scripts, submission, hints: scheduler.followHints(runDir, submission) };
}

/** `submit --resume <run>`: reruns failed and never-run shards (and the merge when it is all that is left). */
export async function resubmitRun(runDir: string, o: { run?: CommandRunner; dryRun?: boolean } = {}): Promise<SubmitResult & { rerun: number[]; waiting: number[] }> {
  const dir = path.resolve(runDir);
  const plan = loadPlan(dir);
  const scheduler = schedulerNamed(plan.scheduler);
  const status = clusterStatus(dir, o.run);
  const scripts = scheduler.writeScripts(dir, plan);
  if (status.complete) {
    return { runDir: dir, plan, scripts, rerun: [], waiting: [], hints: [`Nothing to resubmit: every shard is done and merged in ${status.merge.runDir}.`] };
  }
  const rerun = status.shards.filter((s) => s.state === 'failed' || s.state === 'missing').map((s) => s.shard);
  const waiting = status.shards.filter((s) => s.state === 'queued' || s.state === 'running').map((s) => s.shard);
  if (rerun.length === 0 && (status.merge.state === 'queued' || status.merge.state === 'running')) {
    return { runDir: dir, plan, scripts, rerun, waiting, hints: [`Nothing to resubmit: shards ${waiting.join(', ') || '(none)'} are queued or running and the merge job is ${status.merge.state}. Follow with: sparsity-lens status ${dir}`] };
  }
  const sha = await modelSha256(plan.model.path);
  if (sha !== plan.model.sha256) {
    throw new UserError(`The model ${plan.model.path} changed since this run was submitted (sha256 differs); its shards cannot be merged with new ones. Submit a new run.`, 'E_CLUSTER');
  }
  if (o.dryRun) return { runDir: dir, plan, scripts, rerun, waiting, hints: [`Dry run: would resubmit shards ${rerun.join(', ') || '(none)'} and the merge job.`] };
  const waitFor: WaitFor[] = waiting.flatMap((shard) => {
    const sub = [...plan.submissions].reverse().find((s) => s.shards.includes(shard));
    return sub?.arrayJobId ? [{ arrayJobId: sub.arrayJobId, shard }] : [];
  });
  // An earlier merge job still waiting would wait for a failed task forever (or merge twice): take it back.
  const last = plan.submissions[plan.submissions.length - 1];
  if (last && status.merge.state === 'queued') scheduler.cancel([last.mergeJobId], o.run);
  const submission = scheduler.submit(dir, plan, rerun, waitFor, o.run);
  plan.submissions.push(submission);
  savePlan(dir, plan);
  return { runDir: dir, plan, scripts, submission, rerun, waiting, hints: scheduler.followHints(dir, submission) };
}
