/**
 * The `active` index's accumulators in the run state (issue 11): saved and loaded exactly, merged
 * side by side, and absent (not zero) for a state saved before they existed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunState, type RunMeta } from '../../src/core/runState';
import { resolveSettings } from '../../src/core/settings';
import { tempDir } from '../helpers/tempDir';

function state(names: string[]): RunState {
  const meta: RunMeta = {
    datasetPath: '/d', categoriesFound: names.length, imagesFound: 2 * names.length, droppedCategories: [], modelPath: '/m.onnx', modelSha256: 'x',
    modelFormat: 'onnx', runtime: 'onnxruntime-node', backend: 'cpu', inputSize: { width: 4, height: 4 },
    settings: resolveSettings({}), startedAt: 'now', modelAccuracy: false, passGroupSize: 1,
  };
  const cats = names.map((name) => ({ name, files: [`/${name}1`, `/${name}2`], images: 2, top1: 0, top5: 0 }));
  const s = new RunState(meta, cats, [{ id: 'trained', kind: 'trained', label: 'trained' }], [{ name: 'fc1', kind: 'fc', units: 4 }], -1);
  s.nextImage = s.totalImages;
  return s;
}

test('active counts: fraction per category, saved and loaded exactly', () => {
  const dir = tempDir('active-');
  const s = state(['a', 'b']);
  // Category a: images with 1 and 2 of 4 units > 0; b: 4 and 4.
  s.active![0][0].set([3, 8]);
  assert.deepEqual(Array.from(s.activeFraction(0, 0, [0, 1])!), [3 / 8, 1]);
  assert.deepEqual(Array.from(s.activeFraction(0, 0, [1])!), [1]);
  s.save(path.join(dir, 'state'));
  const back = RunState.load(path.join(dir, 'state'));
  assert.deepEqual(Array.from(back.active![0][0]), [3, 8]);
});

test('active counts: a state saved before them loads without them (no index rather than zeros)', () => {
  const dir = path.join(tempDir('active-'), 'state');
  state(['a', 'b']).save(dir);
  const file = path.join(dir, 'state.json');
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const name = Object.keys(j.binaries).find((k) => k.endsWith('.active.f64'))!;
  assert.equal(name, 'trained.fc1.active.f64');
  delete j.binaries[name];
  fs.writeFileSync(file, JSON.stringify(j));
  const old = RunState.load(dir);
  assert.equal(old.active, undefined);
  assert.equal(old.activeFraction(0, 0, [0, 1]), undefined);
  // A merge with such a shard has none either; two shards with counts merge side by side.
  const b = state(['b']);
  b.active![0][0].set([5]);
  const a = state(['a']);
  a.active![0][0].set([2]);
  assert.deepEqual(Array.from(RunState.merge([b, a]).active![0][0]), [2, 5]);
  const noCounts = state(['c']);
  noCounts.active = undefined;
  assert.equal(RunState.merge([a, noCounts]).active, undefined);
});
