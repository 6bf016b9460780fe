/**
 * The panel's index selector (webview/indexView.ts) and the index charts (webview/charts/):
 * the view puts the chosen index in every place the charts and tables read; the small multiples
 * and the diagnostics chart render from the every-index sample (test/fixtures/report/
 * sample-indices.sparsity.json, make_sample.py), headless in CSP-safe mode as the webview does.
 */
import assert from 'node:assert/strict';
import { headlessView, nodeVegaKit } from './figureKit';
import type { VegaKit } from '../../webview/figure/render';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import { categoryRows, depthTrendTable } from '../../src/core/report/tables';
import { CHART_IDS } from '../../src/shared/protocol';
import { CHART_MODULES } from '../../webview/charts';
import { diagnosticsData, diagnosticsSpec } from '../../webview/charts/layerDiagnostics';
import { smallMultiplesData, smallMultiplesSpec } from '../../webview/charts/indexSmallMultiples';
import { indexChoices, indexView } from '../../src/core/report/indexView';
import { accuracyScatterSpec, psiAccuracyRData, psiByLayerData, psiByLayerSpec, psiDistributionData, psiDistributionSpec, type VlSpec } from '../../webview/specs';
import { LIGHT_THEME, vegaConfig } from '../../webview/theme';

const read = (name: string): SparsityReport => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'report', name), 'utf8'));
const full = read('sample-indices.sparsity.json');
const psiOnly = read('sample.sparsity.json');
const IDS = ['psi', 'psi:minmax', 'psi:raw', 'hoyer:raw', 'gini:raw', 'kurtosis:raw', 'lifetime', 'active'];

let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});
async function renderSvg(spec: VlSpec): Promise<string> {
  const view = headlessView(kit, spec, vegaConfig(LIGHT_THEME));
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
const symbols = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<g class="mark-[a-z]+ role-mark ${cls}"[^>]*>(.*?)</g>`, 'gs'))].flatMap((m) => m[1].match(/<path[^>]*role="graphics-symbol"[^>]*>/g) ?? []);

describe('index selector (indexView)', () => {
  it('offers every index of the report, psi first; a psi-only report offers psi alone', () => {
    assert.deepEqual(indexChoices(full).map((c) => c.id), IDS);
    assert.equal(indexChoices(full).find((c) => c.id === 'lifetime')!.axis, 'unit');
    assert.equal(indexChoices(full).find((c) => c.id === 'kurtosis:raw')!.bounded, false);
    assert.deepEqual(indexChoices(psiOnly).map((c) => c.id), ['psi']);
  });

  it('psi or an unknown id is the report itself', () => {
    assert.equal(indexView(full, 'psi'), full);
    assert.equal(indexView(full, 'nope'), full);
  });

  it('puts the chosen index where every chart and table reads PSI', () => {
    const v = indexView(full, 'hoyer:raw');
    v.passes.forEach((p, pi) => {
      assert.deepEqual(p.depthTrend, full.passes[pi].trends['hoyer:raw']);
      p.layers.forEach((l, li) => {
        assert.deepEqual(l.psi, full.passes[pi].layers[li].indices['hoyer:raw'].values);
        assert.deepEqual(l.summary, full.passes[pi].layers[li].indices['hoyer:raw'].summary);
      });
    });
    assert.deepEqual(psiByLayerData(v).trained.map((t) => t.median), full.passes[0].layers.map((l) => l.indices['hoyer:raw'].summary.median));
    assert.deepEqual(psiByLayerData(v).permuted.map((t) => t.median), full.controls!.byIndex['hoyer:raw'].permutedSpread!.median);
    assert.deepEqual(psiAccuracyRData(v).map((c) => c.r), full.indexAccuracy!['hoyer:raw'].perLayer.map((c) => c.r));
    assert.deepEqual(v.psiAccuracy!.regressions, [], 'the regressions are of PSI only');
    assert.notDeepEqual(depthTrendTable(v).rows, depthTrendTable(full).rows, 'the trend table switches');
    assert.deepEqual(categoryRows(v)[2][`psi:${full.passes[0].layers[1].name}`], full.passes[0].layers[1].indices['hoyer:raw'].values[2]);
    // The scatter's accessible name (its SVG description) says the index it draws, not PSI.
    const fc2 = full.passes[0].layers[full.passes[0].layers.length - 1].name;
    const label = (accuracyScatterSpec(v, LIGHT_THEME, fc2) as { description?: string }).description ?? '';
    assert.match(label, /^Accuracy against Hoyer \(raw\) of layer /);
    assert.match((accuracyScatterSpec(full, LIGHT_THEME, fc2) as { description?: string }).description ?? '', /^Accuracy against PSI of layer /);
  });

  it('a per-unit index: distribution points per unit, no per-category values, no accuracy r', () => {
    const v = indexView(full, 'lifetime');
    const rows = psiDistributionData(v);
    assert.equal(rows.length, full.passes[0].layers.reduce((a, l) => a + l.units, 0));
    assert.equal(rows[3].category, 'unit 3');
    assert.ok(v.passes[0].layers.every((l) => l.psi.length === 0));
    assert.equal(v.psiAccuracy, undefined);
  });

  it('an unbounded index gets a free y axis and no PSI reference line; PSI keeps both', async () => {
    const k = psiByLayerSpec(indexView(full, 'kurtosis:raw'), LIGHT_THEME) as { layer: { encoding?: { y?: { title?: string; scale?: { domain?: number[] } } } }[] };
    const y = k.layer.find((l) => l.encoding?.y?.title)!.encoding!.y!;
    assert.equal(y.title, 'kurtosis (raw)');
    assert.equal(y.scale?.domain, undefined);
    const svg = await renderSvg(k as unknown as VlSpec);
    assert.equal((svg.match(/mark-rule role-mark reference_marks/g) ?? []).length, 0, 'no reference line');
    assert.equal(symbols(svg, 'trainedMedian_marks').length, full.passes[0].layers.length);
    const psiSvg = await renderSvg(psiByLayerSpec(full, LIGHT_THEME));
    assert.equal((psiSvg.match(/mark-rule role-mark reference_marks/g) ?? []).length, 1);
    const dist = await renderSvg(psiDistributionSpec(indexView(full, 'gini:raw'), LIGHT_THEME));
    assert.equal(symbols(dist, 'categoryPoints_marks').length, full.categories.length * full.passes[0].layers.length);
  });
});

describe('index charts', () => {
  it('are modules with ids the host accepts', () => {
    // The last two of the registry, after the four PSI charts (test/webview/chartRegistry.test.ts: all six).
    const indexCharts = CHART_MODULES.slice(-2);
    assert.deepEqual(indexCharts.map((m) => m.id), ['index-small-multiples', 'layer-diagnostics']);
    for (const m of indexCharts) assert.ok((CHART_IDS as readonly string[]).includes(m.id));
    assert.deepEqual(indexCharts.map((m) => m.available(full)), [true, true]);
    assert.deepEqual(indexCharts.map((m) => m.available(psiOnly)), [false, false], 'a psi-only / upgraded v1 report has neither');
  });

  it('small multiples: every index, median by layer scaled to its own range', async () => {
    const rows = smallMultiplesData(full);
    const L = full.passes[0].layers.length;
    assert.equal(rows.length, IDS.length * L);
    for (const id of IDS) {
      const r = rows.filter((x) => x.index === id);
      assert.deepEqual(r.map((x) => x.median), full.passes[0].layers.map((l) => l.indices[id].summary.median));
      const lo = Math.min(...r.map((x) => x.median));
      const hi = Math.max(...r.map((x) => x.median));
      // Equal medians in every layer (the sample's `active` is 1 throughout): the middle of the panel.
      if (hi === lo) assert.ok(r.every((x) => x.scaled === 0.5), id);
      else r.forEach((x) => assert.ok(Math.abs(x.scaled - (x.median - lo) / (hi - lo)) < 1e-15, id));
    }
    const svg = await renderSvg(smallMultiplesSpec(full, LIGHT_THEME));
    assert.equal(symbols(svg, 'indexMedian_marks').length, IDS.length * L, 'one point per index and layer');
    for (const id of IDS) assert.ok(svg.includes(`aria-label="${id}, layer conv1: median`), id);
  });

  it('diagnostics: three metrics per layer for trained, permuted (median) and no-ReLU', async () => {
    const rows = diagnosticsData(full);
    const L = full.passes[0].layers.length;
    assert.equal(rows.length, 3 * 3 * L);
    const dead = rows.find((r) => r.series === 'trained' && r.metric === 'participation ratio' && r.layer === 'fc1')!;
    assert.equal(dead.value, full.passes[0].layers[3].diagnostics!.participationRatio);
    const perm = full.passes.filter((p) => p.kind === 'permuted').map((p) => p.layers[0].diagnostics!.meanResponse).sort((a, b) => a - b);
    assert.equal(rows.find((r) => r.series === 'permuted weights' && r.metric === 'mean response' && r.layer === 'conv1')!.value, perm[1]);
    const svg = await renderSvg(diagnosticsSpec(full, LIGHT_THEME));
    assert.ok(svg.includes('participation ratio') && svg.includes('dead units (fraction)'));
  });
});

describe('tables through the index view', () => {
  it('name the chosen index; PSI by default', () => {
    assert.match(depthTrendTable(full).caption, /category PSI/);
    assert.match(depthTrendTable(indexView(full, 'gini:raw')).caption, /category Gini \(raw\)/);
    assert.match(depthTrendTable(indexView(full, 'lifetime')).caption, /unit lifetime \(raw\)/);
  });
});
