/** Run-state checkpoints: decoder features are appended, and a cut-short append is ignored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunState, type RunMeta } from '../../src/core/runState';
import { resolveSettings } from '../../src/core/settings';

function state(): RunState {
  const meta: RunMeta = {
    datasetPath: '/d', categoriesFound: 2, imagesFound: 4, droppedCategories: [], modelPath: '/m.onnx', modelSha256: 'x',
    modelFormat: 'onnx', runtime: 'onnxruntime-node', backend: 'cpu', inputSize: { width: 4, height: 4 },
    settings: resolveSettings({}), startedAt: 'now', modelAccuracy: false, passGroupSize: 1,
  };
  const cats = ['a', 'b'].map((name) => ({ name, files: [`/${name}1`, `/${name}2`], images: 0, top1: 0, top5: 0 }));
  return new RunState(meta, cats, [{ id: 'trained', kind: 'trained', label: 'trained' }], [{ name: 'fc1', kind: 'fc', units: 3 }], 0);
}

test('checkpoints append new feature rows; load ignores rows past state.json; the next save truncates them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'));
  try {
    const s = state();
    s.addFeatures(Float32Array.from([1, 2, 3]), [0]);
    s.save(dir);
    const firstInode = fs.statSync(path.join(dir, 'features.f32')).ino;
    s.addFeatures(Float32Array.from([4, 5, 6, 7, 8, 9]), [0, 1]);
    s.save(dir);
    assert.equal(fs.statSync(path.join(dir, 'features.f32')).ino, firstInode, 'appended in place, not rewritten');
    assert.equal(fs.statSync(path.join(dir, 'features.f32')).size, 3 * 3 * 4);
    // An append that a crash cut off after the features but before state.json.
    fs.appendFileSync(path.join(dir, 'features.f32'), Buffer.from(Float32Array.from([99, 99, 99]).buffer));
    fs.appendFileSync(path.join(dir, 'featureLabels.i32'), Buffer.from(Int32Array.from([1]).buffer));
    const back = RunState.load(dir);
    assert.equal(back.featureRows, 3);
    assert.deepEqual(Array.from(back.features.subarray(0, 9)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(Array.from(back.featureLabels.subarray(0, 3)), [0, 0, 1]);
    back.addFeatures(Float32Array.from([10, 11, 12]), [1]);
    back.save(dir);
    const again = RunState.load(dir);
    assert.deepEqual(Array.from(again.features.subarray(0, 12)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(fs.statSync(path.join(dir, 'features.f32')).size, 4 * 3 * 4, 'the stray row was truncated');
    // A file shorter than state.json says is damage.
    fs.truncateSync(path.join(dir, 'features.f32'), 8);
    assert.throws(() => RunState.load(dir), /truncated/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
