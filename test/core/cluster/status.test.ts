/**
 * clusterStatus: the run folder (reports, checkpoints, logs) and the scheduler's view (a fake
 * squeue) combined per shard, and the one-line summary of the status bar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLAN_VERSION, savePlan, shardRoot, type ClusterPlan } from '../../../src/core/cluster/layout';
import type { CommandRunner } from '../../../src/core/cluster/scheduler';
import { clusterStatus, formatClusterStatus, summarizeClusterStatus } from '../../../src/core/cluster/status';
import { sharedTestDir } from '../../helpers/cluster';

/** A shard run folder with a checkpoint at `nextImage` of 10 images x 2 passes, and a report when done. */
function shardRun(runDir: string, shard: number, nextImage: number, done: boolean): void {
  const d = path.join(shardRoot(runDir, shard), 'data-20261201');
  fs.mkdirSync(path.join(d, 'state'), { recursive: true });
  const files = Array.from({ length: 5 }, (_, i) => `f${i}.png`);
  fs.writeFileSync(path.join(d, 'state', 'state.json'), JSON.stringify({ categories: [{ files }, { files }], passes: [{}, {}], passGroup: 0, nextImage, meta: { passGroupSize: 2 } }));
  if (done) fs.writeFileSync(path.join(d, 'report.sparsity.json'), '{}');
}

test('cluster status: done from reports, running with checkpoint progress, failed from squeue or from a log, missing; merge queued', () => {
  const runDir = sharedTestDir('status-');
  const plan: ClusterPlan = {
    version: PLAN_VERSION,
    scheduler: 'slurm',
    createdAt: '',
    shards: 5,
    request: { datasetPath: '/d', modelPath: '/m.onnx' },
    model: { path: '/m.onnx', sha256: 'x' },
    resources: { extra: [] },
    command: ['node', 'cli.js'],
    submissions: [{ at: '', shards: [1, 2, 3, 4], arrayJobId: '40', mergeJobId: '41' }],
  };
  savePlan(runDir, plan);
  shardRun(runDir, 1, 10, true);
  shardRun(runDir, 2, 4, false);
  shardRun(runDir, 3, 7, false);
  fs.mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'logs', 'shard-4-40.log'), 'Error: out of memory\n');
  const squeue: CommandRunner = (command, args) => {
    const id = args[args.indexOf('-j') + 1];
    if (command === 'squeue' && id === '40') return { status: 0, stdout: '40|1|COMPLETED|None\n40|2|RUNNING|None\n40|3|TIMEOUT|None\n', stderr: '' };
    if (command === 'squeue' && id === '41') return { status: 0, stdout: '41|N/A|PENDING|Dependency\n', stderr: '' };
    return { status: 1, stdout: '', stderr: 'no accounting' };
  };
  const s = clusterStatus(runDir, squeue);
  assert.deepEqual(s.shards.map((x) => x.state), ['done', 'running', 'failed', 'failed', 'missing']);
  assert.deepEqual([s.shards[1].progress?.done, s.shards[1].progress?.total], [8, 20]);
  assert.equal(s.shards[2].reason, 'timeout');
  assert.equal(s.shards[2].log, path.join(runDir, 'logs', 'shard-3-40.log'));
  assert.equal(s.shards[3].reason, 'the task ended without a report');
  assert.deepEqual([s.merge.state, s.merge.reason], ['queued', 'Dependency']);
  assert.equal(s.complete, false);
  const text = formatClusterStatus(s);
  assert.match(text, /shard 2 {2}running 40% \(8\/20 image-passes/);
  assert.match(text, /shard 3 {2}failed .*: timeout; log .*shard-3-40\.log/);
  assert.match(text, /shard 5 {2}missing/);
  assert.match(text, /merge {4}queued  \(Dependency\)/);
  assert.match(text, /submit --resume/);
  // (1 done + 0.4 + 0.7 from the checkpoints of shards 2 and 3) / 5 shards
  assert.equal(summarizeClusterStatus(s), '1/5 shards done, 1 running, 2 failed (42%)');
});
