import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type { ProgressEvent } from '../../src/core/analyzeTypes';
import { formatProgress } from '../../src/core/report/format';
import { effectiveScope, ETA_MIN_SECONDS, EtaEstimator, RECOMPUTE_CHANGED, runPanelTitle, userErrorActions } from '../../src/extension/runLogic';

const run = (done: number, total: number, etaSeconds: number | null, imagesPerSecond = 100): ProgressEvent => ({ phase: 'run', passLabel: 'trained', done, total, imagesPerSecond, etaSeconds });

describe('effectiveScope: the settings scope that holds the value in effect', () => {
  it('a workspace value wins over the user value (Open Settings must not open User)', () => {
    assert.equal(effectiveScope({ globalValue: 'a.onnx', workspaceValue: 'missing.onnx' }, false), 'workspace');
  });
  it('a folder value is the folder scope in a multi-root workspace, the workspace file in a single-folder window', () => {
    const i = { globalValue: 'a', workspaceValue: 'b', workspaceFolderValue: 'c' };
    assert.equal(effectiveScope(i, true), 'folder');
    assert.equal(effectiveScope(i, false), 'workspace');
  });
  it('only a user value, or nothing set: user', () => {
    assert.equal(effectiveScope({ globalValue: 'a' }, true), 'user');
    assert.equal(effectiveScope({}, false), 'user');
    assert.equal(effectiveScope(undefined, false), 'user');
  });
});

describe('EtaEstimator: the ETA shown during a run', () => {
  it('is unknown on the first batch and while too little has run, then from the wall clock', () => {
    const est = new EtaEstimator();
    const t0 = 1_000_000;
    assert.equal(est.update(run(10, 1000, 0.1), t0).etaSeconds, null, 'first batch: no rate yet');
    assert.equal(est.update(run(100, 1000, 0.1), t0 + 1000).etaSeconds, null, `under ${ETA_MIN_SECONDS} s: unknown`);
    // 4 s for 350 image-passes, 640 left: about 7.3 s, though the core's rate (fast model, one group) says 0.1 s
    const e = est.update(run(360, 1000, 0.1), t0 + 4000);
    assert.ok(e.etaSeconds !== null && Math.abs(e.etaSeconds - (4 / 350) * 640) < 1e-9, `wall-clock ETA, got ${e.etaSeconds}`);
    assert.doesNotMatch(formatProgress(e), /ETA 0 s/, formatProgress(e));
    assert.match(formatProgress(e), /36% · 100 img\/s · ETA 7 s/);
  });
  it('never less than the core estimate, never 0 s while image-passes are left, 0 at the end', () => {
    const est = new EtaEstimator();
    est.update(run(0, 10_000, null), 0);
    assert.equal(est.update(run(5000, 10_000, 120), 10_000).etaSeconds, 120, 'the core estimate when larger');
    assert.equal(est.update(run(9999, 10_000, 0), 10_000).etaSeconds, 1, 'under a second left shows 1 s');
    assert.equal(est.update(run(10_000, 10_000, 0), 11_000).etaSeconds, 0);
  });
  it('other phases pass through unchanged', () => {
    const est = new EtaEstimator();
    const stats: ProgressEvent = { phase: 'stats', done: 0, total: 1, imagesPerSecond: 0, etaSeconds: null, message: 'Statistics' };
    assert.deepEqual(est.update(stats, 5), stats);
  });
});

describe('runPanelTitle', () => {
  it('names the folder and the state; a second panel of the same folder is numbered', () => {
    assert.equal(runPanelTitle('stimuli', 'running'), 'Sparsity (running): stimuli');
    assert.equal(runPanelTitle('stimuli', 'done', 1), 'Sparsity: stimuli');
    assert.equal(runPanelTitle('stimuli', 'failed', 2), 'Sparsity (failed): stimuli #2');
  });
});

test("a resume refused because images changed offers to recompute the changed categories; other failures keep their buttons", () => {
  assert.deepEqual(userErrorActions('E_RESUME_IMAGES_CHANGED', true), [RECOMPUTE_CHANGED, 'Show Output']);
  // Not a resume (cannot happen today, but the button would have no run to resume): no offer.
  assert.deepEqual(userErrorActions('E_RESUME_IMAGES_CHANGED', false), ['Show Output']);
  // Categories added or removed cannot be recomputed: a new run is the only way.
  assert.deepEqual(userErrorActions('E_RESUME_DATASET', true), ['Show Output']);
  assert.deepEqual(userErrorActions('E_SETTINGS', false), ['Open Settings']);
  assert.deepEqual(userErrorActions('E_OUTPUT_NOT_WRITABLE', false), ['Open Settings']);
  assert.deepEqual(userErrorActions(undefined, true), ['Show Output']);
});
