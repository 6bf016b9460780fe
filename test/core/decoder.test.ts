/**
 * src/core/decoder.ts: fold split, agreement with scikit-learn's LogisticRegression on the
 * fixture made by test/fixtures/decoder/make_fixtures.py, and behaviour (invariance,
 * cancellation, tensor hygiene, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { defaultMaxIterations, makeFolds, trainDecoder } from '../../src/core/decoder';
import { CancelledError } from '../../src/core/types';

interface Fixture {
  n: number;
  d: number;
  numCategories: number;
  folds: number;
  seed: number;
  features: number[];
  labels: number[];
  foldAssignment: number[];
  sklearn: { perCategory: number[]; overall: number; predictions: number[]; objective: number[] };
}
const fx: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/decoder/decoder_fixture.json'), 'utf8'));
const features = Float32Array.from(fx.features);
const labels = Int32Array.from(fx.labels);

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');

test('makeFolds reproduces the fixture split (Python port of SeededRandom) and balances folds per category', () => {
  const folds = makeFolds(labels, fx.numCategories, fx.folds, fx.seed);
  assert.deepEqual(Array.from(folds), fx.foldAssignment);
  for (let c = 0; c < fx.numCategories; c++) {
    const counts = [0, 0];
    labels.forEach((l, i) => l === c && counts[folds[i]]++);
    assert.ok(Math.abs(counts[0] - counts[1]) <= 1, `category ${c}: ${counts}`);
  }
  // Deterministic per seed, different for another seed; 3 folds deal 0,1,2 within a category.
  assert.deepEqual(makeFolds(labels, fx.numCategories, 2, fx.seed), folds);
  assert.notDeepEqual(Array.from(makeFolds(labels, fx.numCategories, 2, fx.seed + 1)), fx.foldAssignment);
  const three = makeFolds(Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1]), 2, 3, 5);
  assert.deepEqual([0, 1, 2].map((f) => three.slice(0, 5).filter((v) => v === f).length), [2, 2, 1]);
  assert.deepEqual([0, 1, 2].map((f) => three.slice(5).filter((v) => v === f).length), [1, 1, 1]);
  assert.throws(() => makeFolds(Int32Array.from([0, 3]), 2, 2, 0), /outside/);
});

test('decoder matches scikit-learn LogisticRegression (C=1, multinomial) on the fixture', async () => {
  const before = tf.memory().numTensors;
  const done: number[] = [];
  const r = await trainDecoder({
    features,
    labels,
    numCategories: fx.numCategories,
    folds: fx.folds,
    seed: fx.seed,
    onProgress: (d, total) => {
      assert.equal(total, 2);
      done.push(d);
    },
  });
  // Same split as sklearn's side.
  assert.deepEqual(Array.from(r.foldAssignment), fx.foldAssignment);
  // Accuracy within 2 percentage points overall and per category (same folds, same objective).
  assert.ok(Math.abs(r.overall - fx.sklearn.overall) <= 0.02, `overall ${r.overall} vs sklearn ${fx.sklearn.overall}`);
  r.perCategory.forEach((v, c) => assert.ok(Math.abs(v - fx.sklearn.perCategory[c]) <= 0.04, `category ${c}: ${v} vs ${fx.sklearn.perCategory[c]}`));
  // The objective (summed cross-entropy + 0.5||W||²/C, intercept free) reaches sklearn's optimum.
  r.finalLoss.forEach((f, k) => assert.ok(Math.abs(f - fx.sklearn.objective[k]) / fx.sklearn.objective[k] < 1e-4, `fold ${k}: ${f} vs ${fx.sklearn.objective[k]}`));
  assert.deepEqual(r.converged, [true, true]);
  r.iterations.forEach((it) => assert.ok(it > 2 && it < 200, `iterations ${it}`));
  r.matrixProducts.forEach((m, k) => assert.equal(m, 1 + 2 * r.iterations[k]));
  assert.equal(r.folds, 2);
  assert.ok(r.trainSeconds > 0);
  assert.ok(Math.abs(r.overall - r.perCategory.reduce((a, b) => a + b, 0) / r.perCategory.length) < 1e-12);
  assert.ok(r.pooled > 0.6 && r.pooled < 0.9);
  // Progress: completed folds, non-decreasing 0 -> 2, with per-iteration calls in between.
  assert.equal(done[0], 0);
  assert.equal(done[done.length - 1], 2);
  assert.ok(done.includes(1));
  assert.ok(done.every((v, i) => i === 0 || v >= done[i - 1]));
  assert.ok(done.length > 10);
  // Every tensor freed.
  assert.equal(tf.memory().numTensors, before);
});

test('an explicit foldAssignment is used as given', async () => {
  const r = await trainDecoder({ features, labels, numCategories: fx.numCategories, seed: 999, foldAssignment: Int32Array.from(fx.foldAssignment) });
  assert.deepEqual(Array.from(r.foldAssignment), fx.foldAssignment);
  assert.ok(Math.abs(r.overall - fx.sklearn.overall) <= 0.02);
});

test('standardisation makes the decoder invariant to per-feature shift and scale', async () => {
  const d = fx.d;
  const shifted = features.map((v, i) => v * (1 + (i % d)) * 0.37 + 100 * ((i % d) - 7));
  const a = await trainDecoder({ features, labels, numCategories: fx.numCategories, seed: fx.seed });
  const b = await trainDecoder({ features: shifted, labels, numCategories: fx.numCategories, seed: fx.seed });
  b.perCategory.forEach((v, c) => assert.ok(Math.abs(v - a.perCategory[c]) <= 0.02, `category ${c}: ${v} vs ${a.perCategory[c]}`));
});

test('hand-worked: separable data, a constant feature, per-category averaging over folds', async () => {
  // 3 categories, feature 0 = category index (+ jitter), feature 1 constant (zero variance).
  const n = 30;
  const X = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    X[i * 2] = y[i] * 10 + (i % 5) * 0.1;
    X[i * 2 + 1] = 4;
  }
  const r = await trainDecoder({ features: X, labels: y, numCategories: 3, seed: 1 });
  assert.deepEqual(r.perCategory, [1, 1, 1]);
  assert.equal(r.overall, 1);
  // A category whose images all sit in one fold is averaged over the folds where it was tested.
  const X2 = Float32Array.from([0, 0.1, 0.2, 5, 5.1, 5.2, 10]);
  const y2 = Int32Array.from([0, 0, 0, 1, 1, 1, 2]);
  const r2 = await trainDecoder({ features: X2, labels: y2, numCategories: 3, foldAssignment: Int32Array.from([0, 1, 0, 1, 0, 1, 0]) });
  assert.equal(r2.perCategory.length, 3);
  assert.ok(r2.perCategory.every((v) => v >= 0 && v <= 1));
  // Category 2 has its only image in fold 0, where it was never trained on: wrong there (0 / 1).
  assert.equal(r2.perCategory[2], 0);
});

test('cancellation rejects with CancelledError and frees tensors', async () => {
  const before = tf.memory().numTensors;
  const ac = new AbortController();
  let calls = 0;
  await assert.rejects(
    trainDecoder({
      features,
      labels,
      numCategories: fx.numCategories,
      signal: ac.signal,
      onProgress: (_d, _t, detail) => {
        if (detail && detail.iteration >= 2 && ++calls === 1) ac.abort();
      },
    }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(tf.memory().numTensors, before);
  ac.abort();
  await assert.rejects(trainDecoder({ features, labels, numCategories: fx.numCategories, signal: ac.signal }), CancelledError);
});

test('maxIterations caps the fit and is reported as not converged', async () => {
  const r = await trainDecoder({ features, labels, numCategories: fx.numCategories, seed: fx.seed, maxIterations: 3 });
  assert.deepEqual(r.iterations, [3, 3]);
  assert.deepEqual(r.converged, [false, false]);
});

test('defaultMaxIterations: sklearn default 100 for small problems, bounded for large ones', () => {
  assert.equal(defaultMaxIterations(300, 20, 6), 100);
  assert.equal(defaultMaxIterations(10000, 4096, 256), 12);
  assert.equal(defaultMaxIterations(2000, 4096, 256), 61);
  assert.equal(defaultMaxIterations(25000, 4096, 1000), 12);
});

test('invalid input is rejected with a clear error', async () => {
  await assert.rejects(trainDecoder({ features, labels, numCategories: fx.numCategories, folds: 1 }), /folds/);
  await assert.rejects(trainDecoder({ features: features.subarray(1), labels, numCategories: fx.numCategories }), /multiple/);
  await assert.rejects(trainDecoder({ features, labels, numCategories: 1 }), /numCategories/);
  await assert.rejects(trainDecoder({ features, labels, numCategories: 3 }), /outside 0..2/);
  const withNaN = Float32Array.from(features);
  withNaN[45] = NaN;
  await assert.rejects(trainDecoder({ features: withNaN, labels, numCategories: fx.numCategories }), /feature 5 of row 2 is NaN/);
  await assert.rejects(
    trainDecoder({ features, labels, numCategories: fx.numCategories, foldAssignment: new Int32Array(labels.length).fill(2) }),
    /foldAssignment 2/,
  );
});
