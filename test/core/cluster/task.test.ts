/**
 * A shard task re-queued while its predecessor still runs (src/core/cluster/task.ts with
 * core/runLock.ts): it neither resumes the checkpoint the live task is writing nor deletes the
 * folder a live task has just made, nor starts while the earlier task is still scanning (the
 * shard's own lock, shards/<i>.lock); once the predecessor is gone (stale lock) it resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { submitRun } from '../../../src/core/cluster/submit';
import { runShardTask } from '../../../src/core/cluster/task';
import { runLockPath } from '../../../src/core/runLock';
import { REPORT_FILE } from '../../../src/core/report/schema';
import { UserError } from '../../../src/core/types';
import { sharedTestDir } from '../../helpers/cluster';
import { buildClosedFormOnnx, writeStimuli } from '../../helpers/tinyModels';

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function writeLock(runDir: string, pid: number, lockPath = runLockPath(runDir)): void {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  fs.writeFileSync(lockPath, JSON.stringify({ pid, hostname: os.hostname(), startedAt: '2026-01-02T03:04:05.000Z', command: 'sparsity-lens cluster-task', version: '0', token: `t${pid}` }));
}

test('a re-queued shard task refuses while the earlier task lives (still scanning, its new folder, its checkpoint alike), and resumes once it is gone', async () => {
  const dir = sharedTestDir('cluster-task-lock-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  const { runDir } = await submitRun({
    request: { datasetPath: data, modelPath: model, settings: { controls: { permutations: 0, noNonlinearity: false }, accuracy: 'none', batchSize: 2 }, html: false },
    shards: 2,
    scheduler: 'slurm',
    resources: { extra: [] },
    outputRoot: path.join(dir, 'runs'),
    command: ['sparsity-lens'],
    dryRun: true,
  });

  // Shard 1: the earlier task is still scanning the images (no run folder yet) and holds the shard's lock.
  const shardLock = path.join(runDir, 'shards', '1.lock');
  writeLock('', process.pid, shardLock);
  await assert.rejects(runShardTask(runDir, 1), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.code, 'E_RUN_LOCKED');
    assert.match(e.message, new RegExp(`^Shard 1/2 of ${esc(runDir)} is being written by another process: pid ${process.pid} on host .*delete ${esc(shardLock)} and try again\\.$`));
    return true;
  });
  fs.rmSync(shardLock); // that task ended

  // Shard 1: the earlier task has made its run folder (and holds its lock) but not yet checkpointed.
  const young = path.join(runDir, 'shards', '1', 'data-tiny-20260102-030405');
  fs.mkdirSync(young, { recursive: true });
  writeLock(young, process.pid);
  await assert.rejects(runShardTask(runDir, 1), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.code, 'E_RUN_LOCKED');
    assert.match(e.message, new RegExp(`^Shard 1/2 of ${esc(runDir)} is still being written by an earlier task in ${esc(young)}: pid ${process.pid} on host`));
    assert.match(e.message, new RegExp(`delete ${esc(runLockPath(young))} and run the task again\\.$`));
    return true;
  });
  assert.ok(fs.existsSync(runLockPath(young)), 'the live task\'s folder is not deleted');

  // Shard 2: a checkpoint (a finished shard with its report removed, as a kill leaves it) held by a live task.
  const done = await runShardTask(runDir, 2);
  const shardRun = done.result.runDir;
  fs.rmSync(path.join(shardRun, REPORT_FILE));
  writeLock(shardRun, process.pid);
  await assert.rejects(runShardTask(runDir, 2), /is being written by another process: pid \d+ on host/);
  assert.equal(fs.existsSync(path.join(shardRun, REPORT_FILE)), false, 'nothing written by the refused task');

  // The earlier task died: its pid is gone, the re-queued task resumes the checkpoint.
  const gone = spawnSync(process.execPath, ['-e', '']);
  writeLock(shardRun, gone.pid as number);
  const resumed = await runShardTask(runDir, 2);
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.result.runDir, shardRun);
  assert.deepEqual(resumed.result.report.passes, done.result.report.passes);
  assert.equal(fs.existsSync(runLockPath(shardRun)), false);
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'shards')).sort(), ['1', '2'], 'the shard locks are released (no 1.lock, 2.lock left)');
});
