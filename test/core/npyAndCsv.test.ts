import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeNpy, encodeNpy } from '../../src/core/npy';
import { toCsv } from '../../src/core/report/csv';
import { createUniqueDir, writeFileAtomic } from '../../src/core/fsAtomic';
import { tempDir } from '../helpers/tempDir';

test('npy round trip and header alignment', () => {
  const a = Float32Array.from([1, 2.5, -3, 4, 5, 6]);
  const buf = encodeNpy(a, [2, 3]);
  const headerLen = buf[8] | (buf[9] << 8);
  assert.equal((10 + headerLen) % 64, 0);
  const back = decodeNpy(buf);
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(Array.from(back.data), Array.from(a));
});

// Files written by numpy's np.save (test/fixtures/npy/make_fixtures.py), for the same arrays.
const NPY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'npy');
const NUMPY_ARRAYS: [string, Float32Array | Float64Array | Int32Array, number[]][] = [
  ['f4_2x2.npy', Float32Array.from([0.5, 1.5, 2.5, 3.5]), [2, 2]],
  ['f8_5.npy', Float64Array.from([-1, 0, 0.1, 1e300, -2.5e-310]), [5]],
  ['i4_2x3x4.npy', Int32Array.from({ length: 24 }, (_, i) => i - 12), [2, 3, 4]],
  ['f4_1x1000.npy', Float32Array.from({ length: 1000 }, (_, i) => i / 8), [1, 1000]],
];

test('npy is readable by numpy: byte for byte what np.save writes for the same array', () => {
  // Identical bytes to numpy's own output means numpy loads our files (dtype, shape, values)
  // exactly as it loads its own, without needing Python to run this test.
  for (const [name, data, shape] of NUMPY_ARRAYS) {
    const numpyBytes = fs.readFileSync(path.join(NPY_FIXTURES, name));
    assert.deepEqual(Buffer.from(encodeNpy(data, shape)), numpyBytes, name);
  }
});

test('npy written by numpy decodes to its dtype, shape and values', () => {
  for (const [name, data, shape] of NUMPY_ARRAYS) {
    const back = decodeNpy(fs.readFileSync(path.join(NPY_FIXTURES, name)));
    assert.equal(back.data.constructor, data.constructor, name);
    assert.deepEqual(back.shape, shape, name);
    assert.deepEqual(Array.from(back.data), Array.from(data), name);
  }
});

test('CSV quoting', () => {
  assert.equal(toCsv([['a,b', 'x"y', 1, NaN, undefined]]), '"a,b","x""y",1,,\n');
});

test('atomic write replaces content; unique dirs never reuse a folder', () => {
  const dir = tempDir('atomic-');
  const f = path.join(dir, 'r.json');
  writeFileAtomic(f, 'one');
  writeFileAtomic(f, 'two');
  assert.equal(fs.readFileSync(f, 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(dir), ['r.json']);
  const a = createUniqueDir(dir, 'run');
  const b = createUniqueDir(dir, 'run');
  assert.notEqual(a, b);
  assert.equal(path.basename(b), 'run-2');
});
