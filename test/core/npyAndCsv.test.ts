import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeNpy, encodeNpy } from '../../src/core/npy';
import { toCsv } from '../../src/core/report/writer';
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

test('npy is readable by numpy', () => {
  const dir = tempDir('npy-');
  const f = path.join(dir, 'a.npy');
  fs.writeFileSync(f, encodeNpy(Float32Array.from([0.5, 1.5, 2.5, 3.5]), [2, 2]));
  const out = execFileSync('python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(f)}); print(a.dtype, a.shape, float(a.sum()), float(a[1,0]))`]).toString().trim();
  assert.equal(out, 'float32 (2, 2) 8.0 2.5');
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
