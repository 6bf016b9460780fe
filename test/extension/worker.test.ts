/**
 * The analysis worker process and its host-side client (src/extension/workerClient.ts +
 * workerMain.ts), forked for real with a scripted core (test/fixtures/worker/scriptedWorker.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ProgressEvent } from '../../src/core/analyzeTypes';
import { startAnalyze, startListLayers, WorkerCancelledError, WorkerError, type WorkerSpawnOptions } from '../../src/extension/workerClient';
import { throttle } from '../../src/extension/workerMain';
import { tempDir } from '../helpers/tempDir';

const script = path.join(__dirname, '../fixtures/worker/scriptedWorker.ts');
const opts = (o: Partial<WorkerSpawnOptions> = {}): WorkerSpawnOptions => ({ script, execArgv: ['--import', 'tsx'], ...o });

function request(dataset: string) {
  const root = tempDir('sl-worker-');
  return { datasetPath: path.join(root, dataset), modelPath: '/m.onnx', outputRoot: path.join(root, 'out') };
}
const exited = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return false;
  } catch {
    return true;
  }
};

describe('analysis worker process', () => {
  it('streams progress, partial reports and log lines, then the result; exits after the job', async () => {
    const progress: ProgressEvent[] = [];
    let partials = 0;
    const logs: string[] = [];
    const req = request('fish');
    const job = startAnalyze(opts(), req, { onProgress: (e) => progress.push(e), onPartial: () => partials++, onLog: (l) => logs.push(l) });
    const result = await job.done;
    assert.equal(result.reportPath, path.join(req.outputRoot, 'run-1', 'report.sparsity.json'));
    assert.ok(fs.existsSync(result.reportPath));
    assert.equal(progress.at(-1)!.done, 12);
    assert.ok(partials >= 2 && partials <= 12, `partials throttled: ${partials}`);
    assert.equal(logs.length, 12);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(exited(job.pid), 'worker exited');
  });

  it('cancel stops within a batch, leaves no report and reports cancellation', async () => {
    const req = request('fish');
    let seen = 0;
    let afterCancel = 0;
    let cancelled = false;
    const job = startAnalyze(opts(), req, {
      onProgress: (e) => {
        if (cancelled) afterCancel++;
        seen = e.done;
        if (e.done === 3 && !cancelled) {
          cancelled = true;
          job.cancel();
        }
      },
    });
    const t0 = Date.now();
    await assert.rejects(job.done, (e: unknown) => e instanceof WorkerCancelledError && !e.killed);
    // A guard against a stuck worker, not a speed target (bench does those): `seen` below is what
    // shows cancel took effect within one batch; 5 s failed on a loaded 2-core machine.
    assert.ok(Date.now() - t0 < 30_000, `cancelled in ${Date.now() - t0} ms`);
    assert.ok(seen <= 4, `stopped within one batch (last progress ${seen})`);
    assert.equal(afterCancel, 0, 'no progress forwarded after cancel');
    assert.ok(!fs.existsSync(path.join(req.outputRoot, 'run-1')), 'no report written');
  });

  it('kills a worker that does not stop after the grace period', async () => {
    const job = startAnalyze(opts({ killAfterMs: 300 }), request('ignore-cancel'), {
      onProgress: (e) => e.done === 2 && job.cancel(),
    });
    await assert.rejects(job.done, (e: unknown) => e instanceof WorkerCancelledError && e.killed);
    assert.ok(exited(job.pid));
  });

  it('passes UserErrors through with their message and code', async () => {
    const job = startAnalyze(opts(), request('user-error'), {});
    await assert.rejects(job.done, (e: unknown) => e instanceof WorkerError && e.isUserError && e.code === 'E_DATASET' && /one sub-folder per category/.test(e.message));
  });

  it('reports a crashed worker', async () => {
    const job = startAnalyze(opts(), request('crash'), {});
    await assert.rejects(job.done, /ended unexpectedly \(exit code 3\)/);
  });

  it('lists model layers', async () => {
    const info = await startListLayers(opts(), '/models/alexnet.onnx').done;
    assert.equal(info.layers[0].name, 'conv1');
    assert.deepEqual(info.defaultTaps, ['conv1']);
    await assert.rejects(startListLayers(opts(), '/x.txt').done, (e: unknown) => e instanceof WorkerError && e.code === 'E_MODEL');
  });
});

describe('throttle', () => {
  it('passes the first value, coalesces a burst and delivers the last one', (t) => {
    // Mocked clock: the assertions are about order, not about how busy the machine is.
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const got: number[] = [];
    const th = throttle<number>(40, (v) => got.push(v));
    for (let i = 0; i < 10; i++) th.push(i);
    assert.deepEqual(got, [0]);
    t.mock.timers.tick(39);
    assert.deepEqual(got, [0]);
    t.mock.timers.tick(1);
    assert.deepEqual(got, [0, 9]);
    t.mock.timers.tick(40);
    th.push(10); // interval over: delivered at once
    th.push(11); // inside the interval: pending, then cancelled
    th.cancel();
    t.mock.timers.tick(100);
    assert.deepEqual(got, [0, 9, 10]);
  });
});
