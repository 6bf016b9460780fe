/**
 * The report's sparseness-index fields (issue 11): a version-1 report opens with its PSI in the
 * version-2 index shape, and the `indices` setting refuses an unknown id.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseReport } from '../../../src/core/report/parse';
import { presetDefaults, resolveSettings } from '../../../src/core/settings';
import { INDEX_IDS } from '../../../src/core/measures/registry';

const read = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'report', name), 'utf8'));

describe('report index fields', () => {
  it('a version-1 report is upgraded to psi in every index field, without diagnostics', () => {
    const v1 = read('sample-v1.sparsity.json');
    assert.equal(v1.schemaVersion, 1);
    const r = parseReport(v1, 'sample-v1');
    assert.deepEqual(r.settings.indices, ['psi']);
    for (const [pi, p] of r.passes.entries()) {
      assert.deepEqual(p.trends, { psi: v1.passes[pi].depthTrend });
      for (const [li, l] of p.layers.entries()) {
        assert.deepEqual(Object.keys(l.indices), ['psi']);
        assert.deepEqual(l.indices.psi, { axis: 'category', values: v1.passes[pi].layers[li].psi, summary: v1.passes[pi].layers[li].summary, shifted: false });
        assert.equal(l.diagnostics, undefined);
      }
    }
    assert.deepEqual(r.indexAccuracy?.psi.perLayer, v1.psiAccuracy.perLayer);
    assert.deepEqual(r.indexAccuracy?.psi.trend, v1.psiAccuracy.trend);
    assert.deepEqual(r.controls?.byIndex.psi.medians, v1.controls.medians);
    assert.deepEqual(r.controls?.byIndex.psi.permutedSpread, v1.controls.permutedSpread);
  });

  it('a version-2 report with every index reads unchanged', () => {
    const full = read('sample-indices.sparsity.json');
    assert.deepEqual(parseReport(full, 'full'), full);
    assert.deepEqual(Object.keys(full.passes[0].layers[0].indices).sort(), [...INDEX_IDS].sort());
  });

  it('the indices setting: every index by default, an unknown id refused with the list', () => {
    assert.deepEqual(presetDefaults('liu2020').indices, INDEX_IDS);
    assert.deepEqual(resolveSettings({ indices: ['hoyer:raw', 'active'] }).indices, ['hoyer:raw', 'active']);
    assert.throws(() => resolveSettings({ indices: ['psi', 'hoyer'] }), /unknown index "hoyer".*known: psi, psi:minmax/);
  });
});
