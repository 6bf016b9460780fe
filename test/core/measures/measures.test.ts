/**
 * Every sparseness index of src/core/measures/ on hand-worked vectors (issue 11): one active unit,
 * all equal, all zero, negative values for `raw`; the registry's ids; `psi` bit-identical to
 * core/psi.ts layerPsi.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerDiagnostics, participationRatio } from '../../../src/core/measures/diagnostics';
import { gini } from '../../../src/core/measures/gini';
import { hoyer } from '../../../src/core/measures/hoyer';
import { kurtosis } from '../../../src/core/measures/kurtosis';
import { minmaxRows } from '../../../src/core/measures/normalisations/minmax';
import { rawResponses } from '../../../src/core/measures/normalisations/raw';
import { INDEX_IDS, indexById, indicesToCompute } from '../../../src/core/measures/registry';
import { layerPsi } from '../../../src/core/psi';
import { SeededRandom } from '../../../src/core/random';

const mulberry32 = (seed: number) => {
  const g = new SeededRandom(seed);
  return () => g.next();
};

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const idx = (id: string) => {
  const i = indexById(id);
  assert.ok(i, id);
  return i;
};
const values = (id: string, r: number[], categories: number, units: number, active?: number[]) => {
  const v = idx(id).compute({ r, categories, units, active });
  assert.ok(v, `${id} has values`);
  return v;
};

describe('index registry', () => {
  it('has exactly the ids of issue 11, psi first, each with its axis', () => {
    assert.deepEqual(INDEX_IDS, ['psi', 'psi:minmax', 'psi:raw', 'hoyer:raw', 'gini:raw', 'kurtosis:raw', 'lifetime', 'active']);
    for (const id of INDEX_IDS) assert.equal(idx(id).axis, id === 'lifetime' ? 'unit' : 'category', id);
    assert.equal(indexById('psi:liu2021'), undefined);
  });

  it('always computes psi, in registry order, whatever is chosen', () => {
    assert.deepEqual(indicesToCompute(['gini:raw', 'active']).map((i) => i.id), ['psi', 'gini:raw', 'active']);
    assert.deepEqual(indicesToCompute(undefined).map((i) => i.id), INDEX_IDS);
  });

  it('psi is bit-identical to core/psi.ts layerPsi (the study, METHOD §4-5)', () => {
    const rnd = mulberry32(3);
    const r = Array.from({ length: 17 * 23 }, () => (rnd() < 0.3 ? 0 : rnd() * 5));
    assert.deepEqual(values('psi', r, 17, 23).values, layerPsi(r, 17, 23));
  });
});

describe('vector measures on hand-worked vectors', () => {
  it('Hoyer: one active unit 1, all equal 0, all zero 0; [1, 0, 0.5, 0.5]', () => {
    close(hoyer([0, 0, 3, 0]), 1);
    close(hoyer([2, 2, 2, 2]), 0);
    assert.equal(hoyer([0, 0, 0]), 0);
    // L1 = 2, L2 = sqrt(1.5), sqrt(4) = 2: (2 - 2/sqrt(1.5)) / (2 - 1).
    close(hoyer([1, 0, 0.5, 0.5]), 2 - 2 / Math.sqrt(1.5));
    assert.equal(hoyer([5]), 0);
  });

  it('Gini: one active unit 1 - 1/N, all equal 0, all zero 0; [1, 0, 0.5, 0.5]', () => {
    close(gini([0, 0, 0, 7]), 1 - 1 / 4);
    close(gini([0.2, 0.2, 0.2]), 0);
    assert.equal(gini([0, 0]), 0);
    // Sorted [0, .5, .5, 1], L1 = 2: sum = (0*3.5 + .25*2.5 + .25*1.5 + .5*.5) / 4 = 1.25 / 4; G = 1 - 2.5/4 = 0.375.
    close(gini([1, 0, 0.5, 0.5]), 0.375);
    // Order of the input does not matter (it sorts).
    close(gini([0.5, 1, 0.5, 0]), 0.375);
  });

  it('kurtosis: scipy bias=True; constant → 0; [1, 0, 0.5, 0.5] and one active unit', () => {
    // mean .5, deviations [.5, -.5, 0, 0]: m2 = .125, m4 = .03125/... = (2 * .0625) / 4 = .03125; k = .03125/.015625 - 3 = -1.
    close(kurtosis([1, 0, 0.5, 0.5]), -1);
    // One active unit of N = 5: m2 = 4/25 · ... closed form (N - 1)² / ... : for [0,0,0,0,1]: k = (N² - 3N + 3)/(N - 1) - 3 = 13/4 - 3 = 0.25.
    close(kurtosis([0, 0, 0, 0, 1]), 0.25);
    assert.equal(kurtosis([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), 0);
    assert.equal(kurtosis([0, 0, 0]), 0);
    // Shift and scale invariant.
    close(kurtosis([3, 1, 2, 2]), -1);
  });
});

describe('normalisations', () => {
  it('raw: non-negative R unchanged and not shifted; negative R shifted by the layer minimum', () => {
    const r = [0, 1, 2, 3];
    const a = rawResponses(r, 2, 2);
    assert.equal(a.shifted, false);
    assert.equal(a.matrix, r);
    const b = rawResponses([-1, 1, 0.5, -0.5], 2, 2);
    assert.equal(b.shifted, true);
    assert.deepEqual(Array.from(b.matrix), [0, 2, 1.5, 0.5]);
  });

  it('minmax: each row to [0, 1] without a z-score; a constant row → 0', () => {
    assert.deepEqual(Array.from(minmaxRows([1, 3, 2, 4, 4, 4], 2, 3)), [0, 1, 0.5, 0, 0, 0]);
  });
});

describe('indices on a layer', () => {
  // 3 categories x 4 units; category 0 drives one unit, category 1 all equally, category 2 nothing.
  const R = [0, 0, 2, 0, 1, 1, 1, 1, 0, 0, 0, 0];

  it('psi:raw, hoyer:raw, gini:raw, kurtosis:raw per category', () => {
    assert.deepEqual(values('psi:raw', R, 3, 4), { values: [1, 0, 0], shifted: false });
    assert.deepEqual(values('hoyer:raw', R, 3, 4).values, [1, 0, 0]);
    assert.deepEqual(values('gini:raw', R, 3, 4).values, [0.75, 0, 0]);
    const k = values('kurtosis:raw', R, 3, 4).values;
    // [0,0,2,0]: m2 = .75, m4 = (3·.25 + 1.5⁴... ) → (3 * 0.0625*... ) computed: deviations [-.5,-.5,1.5,-.5], m2 = .75, m4 = (3 * .0625 + 5.0625) / 4 = 1.3125; 1.3125/.5625 - 3.
    close(k[0], 1.3125 / 0.5625 - 3);
    assert.deepEqual(k.slice(1), [0, 0]);
  });

  it('psi:minmax differs from psi where the z-score matters', () => {
    // Unit 0 is 10 in every category: min-max alone keeps it as the big unit; the z-score zeroes it (no variance).
    const r = [10, 0, 1, 10, 1, 0, 10, 0, 0];
    // Rows min-max: [1, 0, .1], [1, .1, 0], [1, 0, 0]: PSI of [1, 0, .1] = (1 - (1.1/3)²/(1.01/3)) / (2/3).
    const mm = values('psi:minmax', r, 3, 3).values;
    const one = (1 - (1.1 / 3) ** 2 / (1.01 / 3)) / (2 / 3);
    close(mm[0], one);
    close(mm[1], one);
    assert.equal(mm[2], 1);
    // psi: z of units 1, 2 over categories; row 0 → [0, -.707, 1.414] → min-max [1/3, 0, 1]: (1 - (4/9)²/((1/9+1)/3)) / (2/3).
    close(values('psi', r, 3, 3).values[0], (1 - (4 / 9) ** 2 / ((1 / 9 + 1) / 3)) / (2 / 3));
  });

  it('negative responses: every raw index is flagged shifted and computed on R - min(R)', () => {
    const neg = R.map((v) => v - 1); // min -1: shifting gives R back
    for (const id of ['psi:raw', 'hoyer:raw', 'gini:raw', 'kurtosis:raw', 'lifetime']) {
      const a = values(id, neg, 3, 4);
      const b = values(id, R, 3, 4);
      assert.equal(a.shifted, true, id);
      assert.equal(b.shifted, false, id);
      assert.deepEqual(a.values, b.values, id);
    }
    for (const id of ['psi', 'psi:minmax']) assert.equal(values(id, neg, 3, 4).shifted, false, id);
  });

  it('lifetime: one value per unit, Vinje–Gallant across categories', () => {
    const v = values('lifetime', R, 3, 4);
    // Unit 0, 1, 3: [0, 1, 0] → 1; unit 2: [2, 1, 0]: mean 1, mean sq 5/3, a = 3/5, (1 - 3/5)/(1 - 1/3) = 0.6.
    assert.equal(v.values.length, 4);
    close(v.values[0], 1);
    close(v.values[2], 0.6);
    assert.deepEqual(values('lifetime', [0, 0, 0, 0], 2, 2).values, [0, 0]);
  });

  it('active: the accumulated fractions per category, or no values when the run has none', () => {
    assert.deepEqual(values('active', R, 3, 4, [0.25, 1, 0]), { values: [0.25, 1, 0], shifted: false });
    assert.equal(idx('active').compute({ r: R, categories: 3, units: 4 }), undefined);
    assert.throws(() => idx('active').compute({ r: R, categories: 3, units: 4, active: [1] }), /1 values for 3 categories/);
  });
});

describe('layer diagnostics', () => {
  it('dead units, mean response, participation ratio on a hand-worked layer', () => {
    // Units 1 and 3 dead; units 0 and 2 vary: covariance eigenvalues of [[1,0],[0,1]]-like → PR 2 when independent and equal.
    const r = [1, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, 0, -1, 0];
    const d = layerDiagnostics({ r, categories: 4, units: 4 });
    assert.equal(d.deadFraction, 0.5);
    assert.equal(d.meanResponse, 0);
    close(d.participationRatio, 2);
  });

  it('participation ratio: 1 for one direction of variance, U for isotropic, NaN for none', () => {
    // Every unit a multiple of one category profile: rank 1.
    close(participationRatio([1, 2, 3, 2, 4, 6, 0, 0, 0], 3, 3), 1);
    // Identity-like: K = U = 3 categories one-hot; centred covariance has eigenvalues (1/3, 1/3, 0) → PR 2.
    close(participationRatio([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3), 2);
    assert.ok(Number.isNaN(participationRatio([5, 5, 5, 5], 2, 2)));
    // Both branches (K ≤ U and K > U) agree with the transposed problem's covariance only through the Gram identity: same data, rows doubled.
    const rnd = mulberry32(9);
    const wide = Array.from({ length: 4 * 9 }, () => rnd());
    const tall = Array.from({ length: 9 * 4 }, () => rnd());
    assert.ok(participationRatio(wide, 4, 9) >= 1 && participationRatio(wide, 4, 9) <= 3 + 1e-12);
    assert.ok(participationRatio(tall, 9, 4) >= 1 && participationRatio(tall, 9, 4) <= 4 + 1e-12);
  });
});
