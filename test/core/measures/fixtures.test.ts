/**
 * src/core/measures/ against an independent numpy/scipy implementation on random matrices
 * (test/fixtures/measures/measures.json, made by make_fixtures.py beside it): every index value
 * and shifted flag, and the diagnostics (the participation ratio there from an eigen-decomposition).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { layerDiagnostics } from '../../../src/core/measures/diagnostics';
import { indexById } from '../../../src/core/measures/registry';

interface Case {
  name: string;
  categories: number;
  units: number;
  r: number[];
  indices: Record<string, number[]>;
  shifted: boolean;
  diagnostics: { deadFraction: number; meanResponse: number; participationRatio: number | null };
}
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'measures', 'measures.json');
const cases: Case[] = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')).cases;

/** Relative agreement (absolute near 0): float64 sums in another order differ by a few ulps. */
function near(a: number, b: number, what: string, rel = 1e-10): void {
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs numpy ${b}`);
}

describe('measures vs numpy/scipy (make_fixtures.py)', () => {
  it('has cases that exercise shifting, dead units and both covariance shapes', () => {
    assert.ok(cases.some((c) => c.shifted) && cases.some((c) => !c.shifted));
    assert.ok(cases.some((c) => c.diagnostics.deadFraction > 0));
    assert.ok(cases.some((c) => c.categories > c.units) && cases.some((c) => c.categories < c.units));
  });

  for (const c of cases) {
    it(c.name, () => {
      const ids = Object.keys(c.indices);
      assert.equal(ids.length, 7);
      for (const id of ids) {
        const index = indexById(id);
        assert.ok(index, id);
        const got = index.compute({ r: c.r, categories: c.categories, units: c.units });
        assert.ok(got, id);
        const want = c.indices[id];
        assert.equal(got.values.length, want.length, `${id} length`);
        got.values.forEach((v, i) => near(v, want[i], `${id}[${i}]`));
        assert.equal(got.shifted, id.endsWith(':raw') || id === 'lifetime' ? c.shifted : false, `${id} shifted`);
      }
      const d = layerDiagnostics({ r: c.r, categories: c.categories, units: c.units });
      assert.equal(d.deadFraction, c.diagnostics.deadFraction);
      near(d.meanResponse, c.diagnostics.meanResponse, 'meanResponse');
      assert.ok(c.diagnostics.participationRatio !== null);
      near(d.participationRatio, c.diagnostics.participationRatio, 'participationRatio', 1e-9);
    });
  }
});
