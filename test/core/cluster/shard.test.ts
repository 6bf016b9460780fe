/** `--shard auto`: the task's shard from SLURM array or Kubernetes Indexed Job variables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveShardSpec } from '../../../src/core/cluster/shard';

const slurm = (id: number, min: number, max: number, count = max - min + 1) => ({
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: String(min),
  SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_COUNT: String(count),
});

test('shard auto: a SLURM array starting at 0, at 1 or elsewhere gives shards 1..N by position', () => {
  assert.deepEqual([0, 1, 2].map((i) => resolveShardSpec('auto', slurm(i, 0, 2))), ['1/3', '2/3', '3/3']);
  assert.deepEqual([1, 2, 3].map((i) => resolveShardSpec('auto', slurm(i, 1, 3))), ['1/3', '2/3', '3/3']);
  assert.equal(resolveShardSpec('auto', slurm(12, 10, 13)), '3/4');
  assert.equal(resolveShardSpec(' AUTO ', slurm(1, 1, 1)), '1/1');
});

test('shard auto/N: the count given, the index from SLURM or from JOB_COMPLETION_INDEX (0-based)', () => {
  assert.equal(resolveShardSpec('auto/8', slurm(2, 0, 7)), '3/8');
  assert.deepEqual([0, 1, 4].map((i) => resolveShardSpec('auto/5', { JOB_COMPLETION_INDEX: String(i) })), ['1/5', '2/5', '5/5']);
});

test('shard auto: clear errors for gaps, missing counts, no scheduler and too many tasks', () => {
  assert.throws(() => resolveShardSpec('auto', slurm(3, 1, 3, 2)), /gaps or a step.*--shard \$SLURM_ARRAY_TASK_ID\/N/);
  assert.throws(() => resolveShardSpec('auto', { JOB_COMPLETION_INDEX: '2' }), /does not tell its number of completions; pass --shard auto\/N/);
  assert.throws(() => resolveShardSpec('auto', {}), /neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX/);
  assert.throws(() => resolveShardSpec('auto/2', { JOB_COMPLETION_INDEX: '2' }), /shard 3 but the count is 2/);
  assert.throws(() => resolveShardSpec('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '', SLURM_ARRAY_TASK_MAX: '1', SLURM_ARRAY_TASK_COUNT: '1' }), /SLURM_ARRAY_TASK_MIN is "", not a whole number/);
  assert.throws(() => resolveShardSpec('auto/0', {}), /at least 1/);
});

test('shard: i/n passes through unchanged (parseShard checks it)', () => {
  assert.equal(resolveShardSpec('2/4', slurm(1, 1, 3)), '2/4');
});
