/**
 * The state of a cluster run, per shard and for the merge: the run folder says what is done (a
 * report) and how far a shard got (its checkpoint); the scheduler says what is queued, running
 * or failed. A shard with neither a report nor a live job has failed (its log says why) or was
 * never submitted; `submit --resume` reruns exactly those.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fmt } from '../report/format';
import { checkpointProgress, hasReport, loadPlan, mergedRunDir, shardRunDir, type CheckpointProgress, type ClusterPlan, type Submission } from './layout';
import { schedulerNamed } from './index';
import type { CommandRunner } from './scheduler';

export type ShardStateName = 'queued' | 'running' | 'done' | 'failed' | 'missing';

export interface ShardStatus {
  shard: number;
  state: ShardStateName;
  /** Progress as of the shard's last checkpoint. */
  progress?: CheckpointProgress;
  /** The shard's analyze run folder. */
  runDir?: string;
  /** Log of the latest task that ran this shard. */
  log?: string;
  /** Scheduler's reason (queued: e.g. Resources; failed: e.g. cancelled, timeout). */
  reason?: string;
}

export interface ClusterStatus {
  runDir: string;
  plan: ClusterPlan;
  shards: ShardStatus[];
  merge: { state: ShardStateName; runDir?: string; log?: string; reason?: string };
  /** Every shard done and merged. */
  complete: boolean;
  note?: string;
}

export function clusterStatus(runDir: string, run?: CommandRunner): ClusterStatus {
  const plan = loadPlan(runDir);
  const scheduler = schedulerNamed(plan.scheduler);
  const view = scheduler.query(plan, run);
  const lastWith = (shard: number): Submission | undefined => [...plan.submissions].reverse().find((s) => s.shards.includes(shard));
  const shards: ShardStatus[] = [];
  for (let i = 1; i <= plan.shards; i++) {
    const dir = shardRunDir(runDir, i);
    const sub = lastWith(i);
    const log = sub ? scheduler.shardLog(runDir, sub, i) : undefined;
    const s: ShardStatus = { shard: i, state: 'missing', runDir: dir, log };
    if (dir) s.progress = checkpointProgress(dir);
    const job = view.shards.get(i);
    if (hasReport(dir)) s.state = 'done';
    else if (!sub) s.state = 'missing';
    else if (job?.state === 'queued') {
      s.state = 'queued';
      s.reason = job.reason;
    } else if (job?.state === 'running') s.state = 'running';
    else if (job?.state === 'failed') {
      s.state = 'failed';
      s.reason = job.reason;
    } else if (job?.state === 'succeeded') {
      s.state = 'failed';
      s.reason = 'the task ended without a report';
    } else {
      // The scheduler no longer knows the task: it ran (there is a log) and left no report, or it never started.
      s.state = log && fs.existsSync(log) ? 'failed' : 'missing';
      if (s.state === 'failed') s.reason = 'the task ended without a report';
    }
    shards.push(s);
  }
  const last = plan.submissions[plan.submissions.length - 1];
  const merged = mergedRunDir(runDir);
  const merge: ClusterStatus['merge'] = { state: 'missing', runDir: merged, log: last ? scheduler.mergeLog(runDir, last) : undefined };
  if (merged) merge.state = 'done';
  else if (view.merge?.state === 'queued' || view.merge?.state === 'running') {
    merge.state = view.merge.state;
    if (view.merge.state === 'queued') merge.reason = view.merge.reason;
  } else if (view.merge?.state === 'failed') {
    merge.state = 'failed';
    merge.reason = view.merge.reason;
  } else if (merge.log && fs.existsSync(merge.log)) {
    merge.state = 'failed';
    merge.reason = 'the merge job ended without a report';
  }
  return { runDir, plan, shards, merge, complete: merge.state === 'done', note: view.note };
}

/** The status as text lines (the CLI's `status`, the extension's status bar tooltip). */
export function formatClusterStatus(s: ClusterStatus): string {
  const lines = [`${s.runDir}: ${s.plan.shards} shards on ${s.plan.scheduler}, model ${s.plan.model.path}`];
  for (const x of s.shards) {
    let detail = '';
    if (x.state === 'running' || (x.state !== 'done' && x.progress && x.progress.done > 0)) {
      detail = x.progress ? ` ${fmt((100 * x.progress.done) / Math.max(1, x.progress.total), 0)}% (${x.progress.done}/${x.progress.total} image-passes at the checkpoint of ${x.progress.at.toISOString().slice(11, 19)})` : ' (no checkpoint yet)';
    }
    if (x.reason) detail += ` ${x.state === 'queued' ? `(${x.reason})` : `: ${x.reason}`}`;
    if (x.state === 'failed' && x.log) detail += `; log ${x.log}`;
    if (x.state === 'done' && x.runDir) detail += ` ${x.runDir}`;
    lines.push(`  shard ${String(x.shard).padStart(String(s.plan.shards).length)}  ${x.state.padEnd(7)}${detail}`);
  }
  const m = s.merge;
  lines.push(`  merge    ${m.state.padEnd(7)}${m.reason ? ` (${m.reason})` : ''}${m.state === 'done' && m.runDir ? ` ${path.join(m.runDir, 'report.sparsity.json')}` : ''}${m.state === 'failed' && m.log ? `; log ${m.log}` : ''}`);
  if (s.note) lines.push(`  (${s.note})`);
  const rerun = s.shards.filter((x) => x.state === 'failed' || x.state === 'missing');
  if (rerun.length || m.state === 'failed') lines.push(`Rerun what failed (each shard resumes from its checkpoint): sparsity-lens submit --resume ${s.runDir}`);
  return lines.join('\n');
}

/** One line for a status bar: `2/8 shards done, 3 running (41%)`, `merging`, `merged`, `1 failed`. */
export function summarizeClusterStatus(s: ClusterStatus): string {
  if (s.complete) return 'merged';
  const count = (st: ShardStateName) => s.shards.filter((x) => x.state === st).length;
  const total = s.shards.reduce((a, x) => a + (x.state === 'done' ? 1 : x.progress ? x.progress.done / Math.max(1, x.progress.total) : 0), 0);
  const parts = [`${count('done')}/${s.plan.shards} shards done`];
  if (count('running')) parts.push(`${count('running')} running`);
  if (count('queued')) parts.push(`${count('queued')} queued`);
  if (count('failed')) parts.push(`${count('failed')} failed`);
  if (count('done') === s.plan.shards) return s.merge.state === 'failed' ? 'merge failed' : 'merging';
  return `${parts.join(', ')} (${fmt((100 * total) / s.plan.shards, 0)}%)`;
}
