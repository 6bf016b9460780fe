/**
 * A checkpoint cut short (disk full, kill) after some sums were written but before state.json:
 * the next load must pair the old state.json with the old sums, never new sums with the old image
 * position (which --resume would add again: silently wrong category means). Issue 14.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsNs from 'node:fs';
import * as path from 'node:path';
import { RunState, type RunMeta } from '../../src/core/runState';
import { resolveSettings } from '../../src/core/settings';
import { tempDir } from '../helpers/tempDir';

// The module object (not the import namespace), so mock.method can replace renameSync.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof fsNs = require('node:fs');

function state(): RunState {
  const meta: RunMeta = {
    datasetPath: '/d', categoriesFound: 2, imagesFound: 4, droppedCategories: [], modelPath: '/m.onnx', modelSha256: 'x',
    modelFormat: 'onnx', runtime: 'onnxruntime-node', backend: 'cpu', inputSize: { width: 4, height: 4 },
    settings: resolveSettings({}), startedAt: 'now', modelAccuracy: false, passGroupSize: 1,
  };
  const cats = ['a', 'b'].map((name) => ({ name, files: [`/${name}1`, `/${name}2`], images: 0, top1: 0, top5: 0 }));
  return new RunState(meta, cats, [{ id: 'trained', kind: 'trained', label: 'trained' }], [{ name: 'fc1', kind: 'fc', units: 2 }], -1);
}

test('checkpoint generations: sums written by a save that failed before state.json are not loaded', () => {
  const dir = path.join(tempDir('gen-'), 'state');
  const s = state();
  s.sums[0][0].set([1, 2, 0, 0]);
  s.nextImage = 1;
  s.save(dir);
  // The next checkpoint writes its sums, then the disk is full for state.json.
  s.sums[0][0].set([5, 7, 3, 3]);
  s.nextImage = 3;
  const real = fs.renameSync;
  const m = mock.method(fs, 'renameSync', (a: fsNs.PathLike, b: fsNs.PathLike) => {
    if (path.basename(String(b)) === 'state.json') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return real(a, b);
  });
  try {
    assert.throws(() => s.save(dir), /ENOSPC/);
  } finally {
    m.mock.restore();
  }
  const back = RunState.load(dir);
  assert.equal(back.nextImage, 1);
  assert.deepEqual(Array.from(back.sums[0][0]), [1, 2, 0, 0], 'the sums that go with nextImage 1');
  // No temporary file left; the next successful save removes the older generation.
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  back.nextImage = 4;
  back.save(dir);
  assert.deepEqual(Array.from(RunState.load(dir).sums[0][0]), [1, 2, 0, 0]);
  const sums = fs.readdirSync(dir).filter((f) => /^trained\.fc1\.g\d+\.f64$/.test(f));
  assert.ok(sums.includes(`trained.fc1.g${JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')).generation}.f64`));
  assert.ok(!sums.includes('trained.fc1.g1.f64'), `old generation removed: ${sums}`);
});
