/**
 * `sparsity-lens submit` through a real SLURM scheduler (scripts/slurm-local.sh: slurmctld +
 * slurmd on localhost; Debian's slurm-wlm and munge, checked by prerequisites.ts). A small
 * random-weight conv net on generated images, 3 shards:
 *   1. submit → array job + merge job → the merged report equals an unsharded run of the same
 *      settings (every report field but timings, and the response .npy files byte for byte);
 *   2. submit again, scancel one shard task mid-run (its checkpoint shows progress) → status says
 *      failed with its log → `submit --resume` reruns that shard only, from its checkpoint → the
 *      same result.
 * Bounded waits; about a minute on 2 idle cores.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { checkpointProgress, loadPlan, shardRunDir } from '../../src/core/cluster/layout';
import { clusterStatus, type ClusterStatus } from '../../src/core/cluster/status';
import { assertSameResults, sharedTestDir } from '../helpers/cluster';
import { buildConvNet } from '../helpers/onnxBuilder';
import { requireIntegrationPrerequisites } from './prerequisites';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const LOCAL_SLURM = path.join(ROOT, 'scripts', 'slurm-local.sh');
// 5 passes (trained, 3 permuted, no-ReLU), batch 1 and a checkpoint after every batch, so a shard
// runs long enough to be killed with progress on disk; the decoder (accuracy auto) runs in the merge.
const SETTINGS = ['--permutations', '3', '--batch-size', '1'];

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, seconds: number, check: () => boolean, describe: () => string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (check()) return;
    await sleep(250);
  }
  assert.fail(`Timed out after ${seconds} s waiting for ${what}:\n${describe()}`);
}

const describeStatus = (runDir: string) => () => cli(['status', runDir]).out;

/** Until the merge is done (or a shard/merge failed, which fails the test with the status). */
async function waitMerged(runDir: string, seconds: number): Promise<ClusterStatus> {
  let s: ClusterStatus | undefined;
  await waitFor(`the merged report of ${runDir}`, seconds, () => {
    s = clusterStatus(runDir);
    const failed = s.shards.find((x) => x.state === 'failed');
    if (failed) assert.fail(`shard ${failed.shard} failed (${failed.reason}); log ${failed.log}:\n${failed.log && fs.existsSync(failed.log) ? fs.readFileSync(failed.log, 'utf8') : '(no log)'}`);
    if (s.merge.state === 'failed') assert.fail(`the merge failed (${s.merge.reason}); log ${s.merge.log}:\n${s.merge.log && fs.existsSync(s.merge.log) ? fs.readFileSync(s.merge.log, 'utf8') : '(no log)'}`);
    return s.complete;
  }, describeStatus(runDir));
  return s!;
}

async function writeImages(root: string): Promise<void> {
  // 6 categories x 24 noisy images, each category brighter in one channel: distinct category means.
  for (let c = 0; c < 6; c++) {
    fs.mkdirSync(path.join(root, `cat${c}`), { recursive: true });
    for (let i = 0; i < 24; i++) {
      const px = Buffer.alloc(64 * 64 * 3);
      let s = c * 1000 + i + 1;
      for (let k = 0; k < px.length; k++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        px[k] = ((k % 3 === c % 3 ? 150 : 40) + (s % 100)) & 255;
      }
      await sharp(px, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(path.join(root, `cat${c}`, `img${String(i).padStart(2, '0')}.png`));
    }
  }
}

let dir = '';
let model = '';
let data = '';
let reference = '';

before(async () => {
  requireIntegrationPrerequisites();
  const start = spawnSync(LOCAL_SLURM, ['start'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(start.status, 0, `scripts/slurm-local.sh start failed:\n${start.stdout}${start.stderr}`);
  dir = sharedTestDir('slurm-');
  model = path.join(dir, 'net.onnx');
  buildConvNet({
    input: [3, 64, 64],
    batch: 'dynamic',
    seed: 3,
    layers: [
      { type: 'conv', out: 32, kernel: 3, pad: 1 },
      { type: 'maxpool', kernel: 2 },
      { type: 'conv', out: 64, kernel: 3, pad: 1 },
      { type: 'maxpool', kernel: 2 },
      { type: 'conv', out: 64, kernel: 3, pad: 1 },
      { type: 'gap' },
      { type: 'fc', out: 32 },
      { type: 'fc', out: 10, relu: false },
    ],
  }).save(model);
  data = path.join(dir, 'data');
  await writeImages(data);
  const u = cli(['analyze', data, '--model', model, '--out', path.join(dir, 'unsharded'), '-q', ...SETTINGS]);
  assert.equal(u.code, 0, u.err);
  reference = path.dirname(/Report: (.*)/.exec(u.out)?.[1] ?? '');
});

after(() => {
  const stop = spawnSync(LOCAL_SLURM, ['stop'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(stop.status, 0, `scripts/slurm-local.sh stop failed:\n${stop.stdout}${stop.stderr}`);
});

function submit(extra: string[] = []): string {
  const r = cli(['submit', data, '--model', model, '--shards', '3', '--out', path.join(dir, 'runs'), '--checkpoint-seconds', '0', ...SETTINGS, ...extra]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Shard array job \d+ \(shards 1, 2, 3 of 3\)/);
  assert.match(r.out, /Merge job \d+/);
  return /Run folder: (.*)/.exec(r.out)?.[1] ?? '';
}

test('slurm: a 3-shard array job and its merge job give exactly the unsharded result', async () => {
  const runDir = submit(['--partition', 'debug', '--time', '10:00']);
  const plan = loadPlan(runDir);
  assert.equal(plan.submissions.length, 1);
  const s = await waitMerged(runDir, 120);
  assert.deepEqual(s.shards.map((x) => x.state), ['done', 'done', 'done']);
  assertSameResults(s.merge.runDir!, reference);
  const st = cli(['status', runDir]);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /shard 1 {2}done/);
  assert.match(st.out, /merge {4}done .*report\.sparsity\.json/);
});

test('slurm: a shard killed mid-run (scancel) is failed in status; submit --resume reruns it from its checkpoint to the same result', async () => {
  const runDir = submit();
  const plan = loadPlan(runDir);
  const arrayJobId = plan.submissions[0].arrayJobId!;
  // The first shard whose checkpoint shows progress, before it is done.
  let victim = 0;
  let doneAtKill = 0;
  await waitFor('a shard with progress in its checkpoint', 90, () => {
    for (let i = 1; i <= 3 && !victim; i++) {
      const d = shardRunDir(runDir, i);
      const p = d ? checkpointProgress(d) : undefined;
      if (p && p.done > 0 && p.done < p.total && !fs.existsSync(path.join(d!, 'report.sparsity.json'))) {
        victim = i;
        doneAtKill = p.done;
      }
    }
    return victim > 0;
  }, describeStatus(runDir));
  const c = spawnSync('scancel', [`${arrayJobId}_${victim}`], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);

  // The others finish; the killed one is failed, the merge job is gone with its dependency.
  let s: ClusterStatus | undefined;
  await waitFor('the other shards to finish and the killed one to be failed', 120, () => {
    s = clusterStatus(runDir);
    return s.shards.every((x) => x.state === 'done' || x.state === 'failed') && s.merge.state !== 'queued' && s.merge.state !== 'running';
  }, describeStatus(runDir));
  const killed = s!.shards[victim - 1];
  assert.equal(killed.state, 'failed', JSON.stringify(killed));
  assert.equal(killed.reason, 'cancelled');
  assert.equal(killed.log, path.join(runDir, 'logs', `shard-${victim}-${arrayJobId}.log`));
  assert.ok(killed.progress && killed.progress.done >= doneAtKill && killed.progress.done < killed.progress.total, 'the checkpoint of the killed shard stays');
  assert.deepEqual(s!.shards.filter((x) => x.state === 'done').length, 2);
  assert.notEqual(s!.merge.state, 'done');
  const st = cli(['status', runDir]);
  assert.match(st.out, new RegExp(`shard ${victim} {2}failed .*cancelled; log .*shard-${victim}-${arrayJobId}\\.log`));
  assert.match(st.out, /submit --resume/);

  const r = cli(['submit', '--resume', runDir]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`Resubmitting shards ${victim}\\.`));
  const resumed = await waitMerged(runDir, 120);
  assertSameResults(resumed.merge.runDir!, reference);
  const sub = loadPlan(runDir).submissions[1];
  assert.deepEqual(sub.shards, [victim]);
  const log = fs.readFileSync(path.join(runDir, 'logs', `shard-${victim}-${sub.arrayJobId}.log`), 'utf8');
  assert.match(log, /resuming from the checkpoint/);
  assert.match(log, /Resuming .* at image [1-9]\d* of/);
  // Resuming a complete run resubmits nothing.
  const again = cli(['submit', '--resume', runDir]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /Nothing to resubmit: every shard is done and merged/);
});
