/**
 * The SLURM scheduler without a cluster: the generated job scripts, the sbatch command lines it
 * submits (through a fake command runner), its error messages, and how it reads squeue.
 * Against the real scheduler: test/integration/slurm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ClusterPlan } from '../../../src/core/cluster/layout';
import type { CommandResult, CommandRunner } from '../../../src/core/cluster/scheduler';
import { arraySpec, jobStateOf, mergeScript, shardsScript, shellQuote, slurm } from '../../../src/core/cluster/slurm';
import { sharedTestDir } from '../../helpers/cluster';

function plan(over: Partial<ClusterPlan> = {}): ClusterPlan {
  return {
    version: 1,
    scheduler: 'slurm',
    createdAt: '2026-12-01T00:00:00.000Z',
    shards: 3,
    request: { datasetPath: '/lab/data/my images', modelPath: '/lab/models/alexnet.onnx', settings: { seed: 1 } },
    model: { path: '/lab/models/alexnet.onnx', sha256: 'ab'.repeat(32) },
    resources: { partition: 'cpu', time: '4:00:00', cpusPerTask: 4, mem: '16G', extra: ['--account=lab', '--qos=long'] },
    command: ['/usr/bin/node', '/opt/sparsity lens/dist/cli.js'],
    submissions: [],
    ...over,
  };
}

interface Call {
  command: string;
  args: string[];
}

function fakeRunner(answers: Record<string, (args: string[]) => Partial<CommandResult>>): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = (command, args) => {
    calls.push({ command, args });
    const a = answers[command]?.(args) ?? { error: Object.assign(new Error(`spawnSync ${command} ENOENT`), { code: 'ENOENT' }) };
    return { status: 0, stdout: '', stderr: '', ...a };
  };
  return { run, calls };
}

test('slurm: shellQuote and arraySpec', () => {
  assert.equal(shellQuote('/a/b.onnx'), '/a/b.onnx');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  assert.equal(shellQuote('$HOME'), `'$HOME'`);
  assert.equal(arraySpec([5, 1, 2, 3, 7, 8, 2]), '1-3,5,7-8');
  assert.equal(arraySpec([4]), '4');
});

test('slurm: the array script runs one shard per task, index = shard number, with the resources asked', () => {
  const s = shardsScript('/lab/runs/r1', plan());
  const lines = s.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  for (const d of ['--array=1-3', '--output=/lab/runs/r1/logs/shard-%a-%A.log', '--partition=cpu', '--time=4:00:00', '--cpus-per-task=4', '--mem=16G', '--account=lab', '--qos=long', '--job-name=sparsity-my_images']) {
    assert.ok(lines.includes(`#SBATCH ${d}`), `${d} in\n${s}`);
  }
  // Every #SBATCH line precedes the first command (sbatch stops reading directives there).
  const firstCommand = lines.findIndex((l) => l && !l.startsWith('#'));
  assert.ok(lines.slice(firstCommand).every((l) => !l.startsWith('#SBATCH')));
  assert.ok(lines.includes(`exec /usr/bin/node '/opt/sparsity lens/dist/cli.js' cluster-task /lab/runs/r1 "$SLURM_ARRAY_TASK_ID"`), s);
  const m = mergeScript('/lab/runs/r1', plan());
  assert.ok(m.includes('#SBATCH --output=/lab/runs/r1/logs/merge-%j.log'));
  assert.ok(m.includes(`exec /usr/bin/node '/opt/sparsity lens/dist/cli.js' cluster-merge /lab/runs/r1\n`));
  assert.ok(!m.includes('--array'));
});

test('slurm: a resource value cannot add lines or options to the scripts', () => {
  assert.throws(() => slurm.writeScripts('/r', plan({ resources: { partition: 'cpu\n#SBATCH --wrap=x', extra: [] } })), /--partition "cpu[^]*give one word without spaces or quotes/);
  assert.throws(() => slurm.writeScripts('/r', plan({ resources: { extra: ['account=lab'] } })), /--sbatch-arg "account=lab": give one sbatch option/);
  assert.throws(() => slurm.writeScripts('/r', plan({ resources: { time: '4 h', extra: [] } })), /--time "4 h"/);
});

test('slurm: submit sends the array, then the merge with afterok on it (and on tasks still running), kill-on-invalid-dep', () => {
  const dir = sharedTestDir('slurm-unit-');
  const ids = ['101', '102;cluster'];
  const { run, calls } = fakeRunner({ sbatch: () => ({ stdout: `${ids.shift()}\n` }) });
  const sub = slurm.submit(dir, plan(), [3, 1], [{ arrayJobId: '90', shard: 2 }], run);
  assert.deepEqual(sub.shards, [1, 3]);
  assert.equal(sub.arrayJobId, '101');
  assert.equal(sub.mergeJobId, '102');
  assert.deepEqual(calls, [
    { command: 'sbatch', args: ['--parsable', '--array=1,3', path.join(dir, 'shards.sbatch')] },
    { command: 'sbatch', args: ['--parsable', '--dependency=afterok:101:90_2', '--kill-on-invalid-dep=yes', path.join(dir, 'merge.sbatch')] },
  ]);
  assert.equal(slurm.shardLog(dir, sub, 3), path.join(dir, 'logs', 'shard-3-101.log'));
  assert.equal(slurm.mergeLog(dir, sub), path.join(dir, 'logs', 'merge-102.log'));
});

test('slurm: sbatch missing, a rejected submission (sbatch\'s message), a rejected merge takes the array back', () => {
  const dir = sharedTestDir('slurm-unit-');
  assert.throws(() => slurm.submit(dir, plan(), [1], [], fakeRunner({}).run), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'E_SBATCH_MISSING');
    assert.match(e.message, /sbatch is not on the PATH.*scripts\/slurm-local\.sh start.*--dry-run/);
    return true;
  });
  const rejected = fakeRunner({ sbatch: () => ({ status: 1, stderr: 'sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified\n' }) });
  assert.throws(() => slurm.submit(dir, plan(), [1, 2], [], rejected.run), /SLURM rejected the shard array job \(shards 1-2\).*invalid partition specified: gpu \/ sbatch: error: Batch job submission failed: Invalid partition name specified/);
  let n = 0;
  const mergeRejected = fakeRunner({ sbatch: () => (n++ === 0 ? { stdout: '7\n' } : { status: 1, stderr: 'sbatch: error: Job dependency problem' }), scancel: () => ({}) });
  assert.throws(() => slurm.submit(dir, plan(), [1], [], mergeRejected.run), /rejected the merge job.*Job dependency problem/);
  assert.deepEqual(mergeRejected.calls[2], { command: 'scancel', args: ['7'] });
});

test('slurm: query reads squeue per task (latest submission wins), falls back to sacct, and maps states', () => {
  assert.deepEqual(jobStateOf('PENDING', 'Resources'), { state: 'queued', reason: 'Resources' });
  assert.deepEqual(jobStateOf('CANCELLED+'), { state: 'failed', reason: 'cancelled' });
  assert.deepEqual(jobStateOf('OUT_OF_MEMORY'), { state: 'failed', reason: 'out of memory' });
  assert.deepEqual(jobStateOf('COMPLETED'), { state: 'succeeded' });
  const p = plan({
    submissions: [
      { at: '', shards: [1, 2, 3], arrayJobId: '10', mergeJobId: '11' },
      { at: '', shards: [2], arrayJobId: '20', mergeJobId: '21' },
    ],
  });
  const { run } = fakeRunner({
    squeue: (args) => {
      const id = args[args.indexOf('-j') + 1];
      if (id === '10') return { stdout: '10|1|COMPLETED|None\n10|2|FAILED|NonZeroExitCode\n10|3|RUNNING|None\n' };
      if (id === '20') return { stdout: '20|2|PENDING|Priority\n' };
      if (id === '21') return { status: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' };
      return { stdout: '' };
    },
    sacct: () => ({ stdout: '21|PENDING\n' }),
  });
  const v = slurm.query(p, run);
  assert.deepEqual(v.shards.get(1), { state: 'succeeded' });
  assert.deepEqual(v.shards.get(2), { state: 'queued', reason: 'Priority' });
  assert.deepEqual(v.shards.get(3), { state: 'running' });
  assert.deepEqual(v.merge, { state: 'queued', reason: undefined });
  assert.equal(v.note, undefined);
  const none = slurm.query(p, fakeRunner({}).run);
  assert.equal(none.shards.size, 0);
  assert.match(none.note ?? '', /squeue is not available/);
});
