/**
 * The per-category drill-down's data and chart (webview/charts/categoryDetail.ts, drawn by
 * webview/drilldown.ts), on the hand-built report test/fixtures/report/sample.sparsity.json:
 * the category's value per layer against the layer median, its accuracy, its skipped files.
 * The chart is compiled with vega-lite and rendered headless (AST + interpreter, as in the webview).
 */
import assert from 'node:assert/strict';
import { headlessView, nodeVegaKit } from './figureKit';
import type { VegaKit } from '../../webview/figure/render';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { indexView } from '../../src/core/report/indexView';
import type { SparsityReport } from '../../src/core/report/schema';
import { categoryDetail, categoryDetailSpec, categoryValueLabel, relativeToDataset, skippedOfCategory } from '../../webview/charts/categoryDetail';
import { LIGHT_THEME, vegaConfig } from '../../webview/theme';

const sample: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));

/** The sample with skipped files as the scanner writes them: absolute, under the category folders. */
function withSkips(): SparsityReport {
  const r: SparsityReport = structuredClone(sample);
  const root = r.dataset.path;
  r.skipped = [
    { file: `${root}/n01443537/broken.jpg`, reason: 'truncated JPEG', kind: 'truncated' },
    { file: `${root}/n01440764/empty.png`, reason: 'empty file', kind: 'empty' },
    { file: `${root}/n01443537/sub/a.bmp`, reason: 'BMP is not supported', kind: 'unsupported' },
    // a relative path (older reports) and one in a folder whose name only starts like a category's
    { file: 'n01443537/rel.jpg', reason: 'corrupt', kind: 'corrupt' },
    { file: `${root}/n01443537x/other.jpg`, reason: 'corrupt', kind: 'corrupt' },
    // not under the dataset at all
    { file: '/elsewhere/n01443537/x.jpg', reason: 'corrupt', kind: 'corrupt' },
  ];
  return r;
}

describe('category detail', () => {
  it('gives the category value and the layer median and quartiles for every trained layer', () => {
    const d = categoryDetail(sample, 2)!;
    assert.equal(d.name, 'n01484850');
    assert.equal(d.className, 'great white shark');
    assert.equal(d.images, 19);
    assert.equal(d.indexLabel, 'PSI');
    assert.equal(d.perUnit, false);
    const layers = sample.passes[0].layers;
    assert.deepEqual(d.layers.map((l) => l.layer), layers.map((l) => l.name));
    d.layers.forEach((l, i) => {
      assert.equal(l.value, layers[i].psi[2]);
      assert.equal(l.median, layers[i].summary.median);
      assert.equal(l.q1, layers[i].summary.q1);
      assert.equal(l.q3, layers[i].summary.q3);
      assert.equal(l.index, layers[i].index);
    });
    // the first layer's numbers, read off the fixture: this category is above the median there
    assert.equal(d.layers[0].value, 0.291412);
    assert.ok(d.layers[0].value! > d.layers[0].median);
  });

  it('says a value could not be computed (null), never a number, when the report has NaN', () => {
    const r: SparsityReport = structuredClone(sample);
    r.passes[0].layers[1].psi[0] = NaN;
    const d = categoryDetail(r, 0)!;
    assert.equal(d.layers[1].value, null);
    assert.equal(d.layers[0].value, sample.passes[0].layers[0].psi[0]);
  });

  it('gives the category accuracy with its method and the overall one; null without accuracy', () => {
    const d = categoryDetail(sample, 3)!;
    assert.deepEqual(d.accuracy, { method: 'decoder', value: sample.accuracy!.perCategory[3], overall: sample.accuracy!.overall });
    const withModel: SparsityReport = structuredClone(sample);
    withModel.accuracy!.model = { top1: [0.5, 0.25, 1, 0, 0.75, 0.5, NaN], top5: [1, 0.5, 1, 0.25, 1, 1, NaN], top1Overall: 0.5, top5Overall: 0.8 };
    assert.equal(categoryDetail(withModel, 1)!.accuracy!.top1, 0.25);
    assert.equal(categoryDetail(withModel, 1)!.accuracy!.top5, 0.5);
    assert.equal(categoryDetail(withModel, 6)!.accuracy!.top5, null);
    const none: SparsityReport = structuredClone(sample);
    delete none.accuracy;
    assert.equal(categoryDetail(none, 0)!.accuracy, null);
  });

  it('lists only the skipped files under the category folder, relative to it, with their report index', () => {
    const r = withSkips();
    assert.deepEqual(skippedOfCategory(r, 'n01443537'), [
      { index: 0, file: 'broken.jpg', reason: 'truncated JPEG' },
      { index: 2, file: 'sub/a.bmp', reason: 'BMP is not supported' },
      { index: 3, file: 'rel.jpg', reason: 'corrupt' },
    ]);
    assert.deepEqual(categoryDetail(r, 0)!.skipped, [{ index: 1, file: 'empty.png', reason: 'empty file' }]);
    assert.deepEqual(categoryDetail(r, 2)!.skipped, []);
  });

  it('relates Windows paths to a Windows dataset folder', () => {
    assert.equal(relativeToDataset('C:\\data\\cats\\tabby\\x.jpg', 'C:\\data\\cats'), 'tabby/x.jpg');
    assert.equal(relativeToDataset('D:\\other\\x.jpg', 'C:\\data\\cats'), null);
    assert.equal(relativeToDataset('/data/cats/tabby/x.jpg', '/data/cats/'), 'tabby/x.jpg');
  });

  it('follows the index selector: another per-category index gives its values; a per-unit one has no curve', () => {
    const r: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample-indices.sparsity.json'), 'utf8'));
    const layer0 = r.passes[0].layers[0];
    const ids = Object.keys(layer0.indices);
    const perCategory = ids.find((id) => id !== 'psi' && layer0.indices[id].axis === 'category');
    const perUnit = ids.find((id) => layer0.indices[id].axis === 'unit');
    assert.ok(perCategory && perUnit, `the fixture has both kinds of index: ${ids.join(', ')}`);
    const d = categoryDetail(indexView(r, perCategory), 1)!;
    assert.equal(d.layers[0].value, layer0.indices[perCategory].values[1]);
    assert.equal(d.layers[0].median, layer0.indices[perCategory].summary.median);
    assert.notEqual(d.indexLabel, 'PSI');
    const u = categoryDetail(indexView(r, perUnit), 1)!;
    assert.equal(u.perUnit, true);
    assert.deepEqual(u.layers, []);
  });

  it('has no detail for a category the report does not have', () => {
    assert.equal(categoryDetail(sample, sample.categories.length), null);
    assert.equal(categoryDetail(sample, -1), null);
  });
});

describe('category detail chart', () => {
  let kit: VegaKit;
  before(async () => {
    kit = await nodeVegaKit();
  });

  it('draws one point per layer for the category (labelled with its value) and one per layer for the median', async () => {
    const r: SparsityReport = structuredClone(sample);
    r.passes[0].layers[3].psi[4] = NaN; // this layer's point is left out, not drawn at 0
    const d = categoryDetail(r, 4)!;
    const spec = { ...categoryDetailSpec(d, LIGHT_THEME), width: 400 };
    const view = headlessView(kit, spec, vegaConfig(LIGHT_THEME));
    const svg = await view.toSVG();
    view.finalize();
    const group = (cls: string): string[] => {
      const m = svg.match(new RegExp(`<g class="mark-symbol role-mark ${cls}"[^>]*>(.*?)</g>`, 's'));
      return m ? (m[1].match(/aria-label="[^"]*"/g) ?? []) : [];
    };
    const own = group('categoryValue_marks');
    assert.equal(own.length, r.passes[0].layers.length - 1);
    assert.ok(own.includes(`aria-label="${categoryValueLabel(d, 'conv1', r.passes[0].layers[0].psi[4])}"`), own.join('\n'));
    assert.ok(!own.some((a) => a.includes('layer fc1')), 'no point for the NaN layer');
    assert.equal(group('layerMedian_marks').length, r.passes[0].layers.length);
  });
});
