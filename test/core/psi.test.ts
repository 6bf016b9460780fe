import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerPsi, normaliseResponses, vinjeGallant } from '../../src/core/psi';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('Vinje-Gallant: one active unit is 1, all equal is 0, all zero is 0', () => {
  close(vinjeGallant([0, 0, 1, 0, 0]), 1);
  close(vinjeGallant([0.3, 0.3, 0.3, 0.3]), 0);
  close(vinjeGallant([0, 0, 0]), 0);
});

test('Vinje-Gallant: hand-worked vector [1, 0, 0.5, 0.5]', () => {
  // mean = 0.5, mean of squares = (1 + 0.25 + 0.25) / 4 = 0.375, a = 0.25 / 0.375 = 2/3,
  // PSI = (1 - 2/3) / (1 - 1/4) = 4/9.
  close(vinjeGallant([1, 0, 0.5, 0.5]), 4 / 9);
});

test('normalisation: z-score units across categories (ddof 0) THEN min-max each category', () => {
  // 3 categories x 2 units. Unit 0 = [1,2,3] -> z = [-1.2247, 0, 1.2247]; unit 1 = [10,10,40] -> z = [-0.7071,-0.7071,1.4142].
  const r = [1, 10, 2, 10, 3, 40];
  const z = normaliseResponses(r, 3, 2);
  // Row 0: [-1.2247, -0.7071] -> min-max -> [0, 1]; row 1: [0, -0.7071] -> [1, 0]; row 2: [1.2247, 1.4142] -> [0, 1].
  assert.deepEqual(Array.from(z), [0, 1, 1, 0, 0, 1]);
  // The opposite order (min-max rows first) turns every raw row into [0, 1]; the columns are then
  // constant and z-score to all zeros, so this expectation tells the two orders apart.
});

test('normalisation: a zero-variance unit becomes 0 everywhere; a constant row gives PSI 0', () => {
  const r = [5, 1, 5, 2, 5, 3];
  const z = normaliseResponses(r, 3, 2);
  // Unit 0 constant -> z 0. Unit 1 = [1,2,3] -> z [-1.22, 0, 1.22].
  // Row 0: [0, -1.22] -> [1, 0]; row 1: [0, 0] -> constant -> [0, 0], so its PSI is 0; row 2: [0, 1.22] -> [0, 1].
  assert.deepEqual(Array.from(z), [1, 0, 0, 0, 0, 1]);
  const psi = layerPsi(r, 3, 2);
  assert.equal(psi[1], 0);
});

test('layerPsi: a category that drives one unit far more than others is sparse', () => {
  // 4 categories x 4 units, category k drives unit k strongly, others weakly.
  const C = 4, U = 4;
  const r: number[] = [];
  for (let c = 0; c < C; c++) for (let u = 0; u < U; u++) r.push(u === c ? 10 : 1);
  const psi = layerPsi(r, C, U);
  // After z-scoring, each row is [a, b, b, b] with a > b, min-max -> [1, 0, 0, 0] -> PSI 1.
  for (const p of psi) close(p, 1);
});
