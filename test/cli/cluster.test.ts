/**
 * `submit --dry-run`, the generated job scripts run by bash as SLURM would run them (array task
 * variables set by hand, no scheduler), `status` from the run folder, the merged result against
 * an unsharded run, and `analyze --shard auto`. Node only; the real scheduler is
 * test/integration/slurm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { assertSameResults, sharedTestDir } from '../helpers/cluster';
import { tempDir } from '../helpers/tempDir';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const SETTINGS = ['--controls', 'none', '--accuracy', 'none', '--batch-size', '2'];

test('cluster: submit --dry-run writes plan and scripts; the scripts run the shards and the merge to the unsharded result', async () => {
  const dir = sharedTestDir('cluster-cli-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  const s = run(['submit', data, '--model', model, '--shards', '2', '--out', path.join(dir, 'runs'), '--partition', 'debug', '--dry-run', ...SETTINGS]);
  assert.equal(s.code, 0, s.err);
  const runDir = /Run folder: (.*)/.exec(s.out)?.[1] ?? '';
  assert.ok(fs.existsSync(path.join(runDir, 'cluster.json')), s.out);
  // Named like a local run (<dataset>-<model>-...), so a list of run folders says what each is.
  assert.match(path.basename(runDir), /^data-tiny-cluster-\d{8}-\d{6}$/);
  assert.match(s.out, /Dry run: nothing submitted.*submit --resume/);
  const plan = JSON.parse(fs.readFileSync(path.join(runDir, 'cluster.json'), 'utf8'));
  assert.equal(plan.shards, 2);
  assert.equal(plan.model.path, model);
  assert.match(plan.model.sha256, /^[0-9a-f]{64}$/);
  assert.equal(plan.request.settings.controls.permutations, 0);
  assert.equal(plan.request.settings.controls.noNonlinearity, false);
  assert.equal(plan.request.settings.batchSize, 2);
  assert.deepEqual(plan.submissions, []);
  const script = fs.readFileSync(path.join(runDir, 'shards.sbatch'), 'utf8');
  assert.match(script, /#SBATCH --partition=debug/);

  let st = run(['status', runDir]);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /shard 1 {2}missing/);
  assert.match(st.out, /submit --resume/);
  const dry = run(['submit', '--resume', runDir, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /would resubmit shards 1, 2 and the merge job/);
  const mixed = run(['submit', '--resume', runDir, '--shards', '4', '--dry-run']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /reruns the run as it was submitted .*leave out --shards/);

  // bash reads #SBATCH lines as comments: this is what each array task and the merge job execute.
  const bash = (file: string, env: Record<string, string>) => spawnSync('bash', [path.join(runDir, file)], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  for (const id of ['1', '2']) {
    const r = bash('shards.sbatch', { SLURM_ARRAY_TASK_ID: id });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Shard ${id} done`));
  }
  const early = spawnSync('bash', [path.join(runDir, 'shards.sbatch')], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '3' } });
  assert.equal(early.status, 2);
  assert.match(early.stderr, /Shard 3 is not one of this run's shards 1\.\.2/);
  const m = bash('merge.sbatch', {});
  assert.equal(m.status, 0, m.stderr);
  const merged = /Merged report: (.*)/.exec(m.stdout)?.[1] ?? '';
  assert.ok(merged.startsWith(path.join(runDir, 'merged')), m.stdout);

  // A rerun of a finished task (a resubmitted array) does nothing and succeeds.
  const again = bash('shards.sbatch', { SLURM_ARRAY_TASK_ID: '1' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /Shard 1 was already done/);

  const u = run(['analyze', data, '--model', model, '--out', path.join(dir, 'unsharded'), '--json', '-q', ...SETTINGS]);
  assert.equal(u.code, 0, u.err);
  const unsharded = fs.readdirSync(path.join(dir, 'unsharded')).map((d) => path.join(dir, 'unsharded', d))[0];
  assertSameResults(path.dirname(merged), unsharded);

  st = run(['status', runDir, '--json']);
  assert.equal(st.code, 0, st.err);
  const j = JSON.parse(st.out);
  assert.deepEqual(j.shards.map((x: { state: string }) => x.state), ['done', 'done']);
  assert.equal(j.merge.state, 'done');
  assert.equal(j.complete, true);
});

test('cluster: a shard task resumes from the checkpoint its killed predecessor left', async () => {
  const dir = sharedTestDir('cluster-resume-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  const data = path.join(dir, 'data');
  await writeStimuli(data);
  const s = run(['submit', data, '--model', model, '--shards', '2', '--out', path.join(dir, 'runs'), '--dry-run', ...SETTINGS]);
  assert.equal(s.code, 0, s.err);
  const runDir = /Run folder: (.*)/.exec(s.out)?.[1] ?? '';
  const t = run(['cluster-task', runDir, '2']);
  assert.equal(t.code, 0, t.err);
  // What a kill leaves: the run folder with its checkpoint, no report.
  const shardRun = fs.readdirSync(path.join(runDir, 'shards', '2')).map((d) => path.join(runDir, 'shards', '2', d))[0];
  const full = JSON.parse(fs.readFileSync(path.join(shardRun, 'report.sparsity.json'), 'utf8'));
  fs.rmSync(path.join(shardRun, 'report.sparsity.json'));
  const state = path.join(shardRun, 'state', 'state.json');
  const st = run(['status', runDir, '--json']);
  const j = JSON.parse(st.out);
  assert.equal(j.shards[1].state, 'missing', 'not submitted through a scheduler: missing, so --resume submits it');
  assert.deepEqual([j.shards[1].progress.done, j.shards[1].progress.total], [6, 6], 'progress from the checkpoint');
  assert.ok(fs.existsSync(state));
  const r = run(['cluster-task', runDir, '2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /resuming from the checkpoint in .*shards\/2\//);
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'shards', '2')), [path.basename(shardRun)], 'the same run folder, no second one');
  const resumed = JSON.parse(fs.readFileSync(path.join(shardRun, 'report.sparsity.json'), 'utf8'));
  assert.deepEqual(resumed.passes, full.passes);
});

test('cluster: submit refuses a model under the temp folder (not on compute nodes) and a --shard of its own', async () => {
  const tmp = tempDir('cluster-tmp-');
  const model = buildClosedFormOnnx(path.join(tmp, 'tiny.onnx'));
  const shared = sharedTestDir('cluster-err-');
  await writeStimuli(path.join(shared, 'data'));
  // Without the override a checkout under /tmp may have set (test/helpers/cluster.ts).
  let r = run(['submit', path.join(shared, 'data'), '--model', model, '--shards', '2', '--out', path.join(shared, 'runs'), '--dry-run'], { SPARSITY_LENS_NODE_LOCAL_OK: '' });
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, new RegExp(`The model ${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not readable from compute nodes: it is under .*temporary folder.*every node mounts`));
  assert.ok(os.tmpdir().length > 0);
  assert.ok(!fs.existsSync(path.join(shared, 'runs')), 'no run folder for a refused submission');
  const m2 = buildClosedFormOnnx(path.join(shared, 'tiny.onnx'));
  r = run(['submit', path.join(shared, 'data'), '--model', m2, '--shards', '2', '--shard', '1/2', '--dry-run']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--shard'/);
  r = run(['submit', path.join(shared, 'data'), '--model', m2, '--dry-run']);
  assert.equal(r.code, 2);
  assert.match(r.err, /Missing --shards/);
});

test('cluster: analyze --shard auto takes the shard from the SLURM array variables', async () => {
  const dir = tempDir('shard-auto-');
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  await writeStimuli(path.join(dir, 'data'));
  const env = { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '1', SLURM_ARRAY_TASK_COUNT: '2' };
  const r = run(['analyze', path.join(dir, 'data'), '--model', model, '--shard', 'auto', '--out', path.join(dir, 'out'), '--json', '-q', ...SETTINGS], env);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.settings.shard, '2/2');
  assert.deepEqual(report.categories.map((c: { name: string }) => c.name), ['cat_b', 'cat_d']);
  const k = run(['analyze', path.join(dir, 'data'), '--model', model, '--shard', 'auto', '--out', path.join(dir, 'out2')], { JOB_COMPLETION_INDEX: '0' });
  assert.equal(k.code, 2);
  assert.match(k.err, /pass --shard auto\/N/);
});
