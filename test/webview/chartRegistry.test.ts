/**
 * The chart registry (webview/charts/index.ts): the panel draws its cards from CHART_MODULES in
 * this order and knows no chart by id (webview/render.ts), so each module's availability, note,
 * controls and view hook are what the panel shows. On the hand-built reports
 * test/fixtures/report/sample.sparsity.json (PSI only) and sample-indices.sparsity.json (every index).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import { indexView, viewIndex } from '../../src/core/report/indexView';
import { CHART_IDS, type ChartId, type WebviewPersistedState } from '../../src/shared/protocol';
import { CHART_MODULES, chartNote, type ChartContext, type ChartModule, type ChartViewState } from '../../webview/charts';
import { announcePoint, scatterPoints, scatterXTitle, shownScatterLayer } from '../../webview/charts/accuracyScatter';
import { shownDistributionPass } from '../../webview/charts/psiDistribution';
import type { VegaKit } from '../../webview/figure/render';
import { accuracyScatterSpec, psiDistributionSpec } from '../../webview/specs';
import { LIGHT_THEME, vegaConfig } from '../../webview/theme';
import { headlessView, nodeVegaKit } from './figureKit';

const read = (name: string): SparsityReport => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'report', name), 'utf8'));
const psiOnly = read('sample.sparsity.json');
const every = read('sample-indices.sparsity.json');
const ORDER = ['psi-by-layer', 'psi-distribution', 'psi-accuracy-r', 'accuracy-scatter', 'index-small-multiples', 'layer-diagnostics'];

const chart = (id: string): ChartModule => {
  const m = CHART_MODULES.find((c) => c.id === id);
  assert.ok(m, `no chart module ${id}`);
  return m;
};
const noAccuracy = (r: SparsityReport): SparsityReport => ({ ...r, accuracy: null, psiAccuracy: null }) as unknown as SparsityReport;
const trainedOnly = (r: SparsityReport): SparsityReport => ({ ...r, passes: r.passes.filter((p) => p.kind === 'trained'), controls: undefined });

/** A view state and the context a control or view hook gets, recording what it asked the panel to do. */
function recordingContext(report: SparsityReport, persisted: WebviewPersistedState = {}) {
  const calls = { save: 0, redraw: 0, opened: [] as number[] };
  const ctx: ChartContext = {
    persisted,
    memory: new Map<ChartId, string>(),
    report,
    save: () => calls.save++,
    redraw: () => calls.redraw++,
    openCategory: (i) => calls.opened.push(i),
  };
  return { ctx, calls };
}

let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});

describe('chart registry', () => {
  it('lists the six charts in the panel order, each with an id the host accepts', () => {
    assert.deepEqual(CHART_MODULES.map((m) => m.id), ORDER);
    assert.deepEqual([...CHART_IDS].sort(), [...ORDER].sort(), 'every chart id the host accepts has its module');
    assert.deepEqual(CHART_MODULES.map((m) => m.title), ['PSI by layer', 'PSI distribution per layer', 'PSI–accuracy correlation per layer', 'Accuracy vs PSI', 'Every index by layer', 'Layer diagnostics']);
  });

  it('availability follows what the report holds', () => {
    const avail = (r: SparsityReport) => CHART_MODULES.map((m) => m.available(r));
    assert.deepEqual(avail(every), [true, true, true, true, true, true]);
    assert.deepEqual(avail(psiOnly), [true, true, true, true, false, false], 'a PSI-only report has no index charts');
    assert.deepEqual(avail(noAccuracy(psiOnly)), [true, true, false, false, false, false], 'no accuracy: no correlation, no scatter');
    assert.deepEqual(avail(noAccuracy({ ...psiOnly, passes: [] })), [false, false, false, false, false, false]);
    assert.deepEqual(avail({ ...psiOnly, categories: [] }).slice(0, 2), [true, false], 'no categories: no distribution');
  });

  it('notes: fixed captions, and the PSI-by-layer caption says what this report draws', () => {
    assert.equal(chartNote(chart('psi-distribution'), psiOnly), 'Box: quartiles, whiskers: min–max; points: categories.');
    assert.equal(chartNote(chart('psi-accuracy-r'), psiOnly), 'Correlation across categories; * p < 0.05, ** p < 0.01, *** p < 0.001.');
    assert.equal(chartNote(chart('accuracy-scatter'), psiOnly), 'One point per category; line: least-squares fit.');
    const byLayer = chart('psi-by-layer');
    assert.equal(typeof byLayer.note, 'function');
    assert.match(chartNote(byLayer, psiOnly), /^Median category PSI per layer \(trained model\)/);
    assert.match(chartNote(byLayer, psiOnly), /Permuted weights: median and range over 3 models/);
    assert.match(chartNote(byLayer, trainedOnly(psiOnly)), /This run has no controls\./);
    const hoyer = chartNote(byLayer, indexView(every, 'hoyer:raw'));
    assert.match(hoyer, /^Median category Hoyer/);
    assert.doesNotMatch(hoyer, /Dashed line/, 'the PSI reference line is drawn for PSI only');
    for (const m of CHART_MODULES) assert.ok(chartNote(m, every).length > 20, `${m.id} has a caption`);
  });

  it('only the scatter and the distribution have a control, each from its module', () => {
    assert.deepEqual(CHART_MODULES.filter((m) => m.controls).map((m) => [m.id, m.controls!.label, m.controls!.testId]), [
      ['psi-distribution', 'Pass', 'distribution-pass'],
      ['accuracy-scatter', 'Layer', 'scatter-layer'],
    ]);
    assert.ok(CHART_MODULES.every((m) => (m.id === 'accuracy-scatter') === (m.onView !== undefined)), 'only the scatter listens to its view');
  });

  it('scatter: the Layer dropdown offers the report layers; the choice is saved with the panel and drawn', () => {
    const m = chart('accuracy-scatter');
    const c = m.controls!;
    assert.deepEqual(c.options(psiOnly), psiOnly.passes[0].layers.map((l) => [l.name, l.name]));
    assert.deepEqual(c.options(psiOnly)!.map(([v]) => v), ['conv1', 'conv2', 'conv3', 'fc1', 'fc2']);
    const { ctx, calls } = recordingContext(psiOnly);
    assert.equal(c.value(psiOnly, ctx), 'fc2', 'default: the decoder layer');
    const decoderConv3 = { ...psiOnly, accuracy: { ...psiOnly.accuracy!, decoder: { ...psiOnly.accuracy!.decoder!, layer: 'conv3' } } };
    assert.equal(c.value(decoderConv3, ctx), 'conv3');
    c.onChange('conv2', ctx);
    assert.equal(ctx.persisted.selectedLayer, 'conv2', 'kept in the persisted state');
    assert.deepEqual([calls.save, calls.redraw], [1, 1], 'saved through the host, then redrawn');
    assert.equal(ctx.memory.size, 0);
    assert.equal(c.value(psiOnly, ctx), 'conv2');
    assert.equal(shownScatterLayer(psiOnly, ctx), 'conv2', 'the figure export draws the same layer');
    assert.deepEqual(m.spec(psiOnly, LIGHT_THEME, psiOnly, ctx), accuracyScatterSpec(psiOnly, LIGHT_THEME, 'conv2'));
    assert.notDeepEqual(m.spec(psiOnly, LIGHT_THEME, psiOnly, ctx), accuracyScatterSpec(psiOnly, LIGHT_THEME, 'fc2'));
    // A saved layer the report does not have (another model): the default again.
    const other: ChartViewState = { persisted: { selectedLayer: 'layer4.2' }, memory: new Map() };
    assert.equal(c.value(psiOnly, other), 'fc2');
    assert.deepEqual(c.options(noAccuracy(psiOnly)), []);
  });

  it('distribution: the Pass dropdown only with more than one pass; the choice is saved with the panel, drawn and named on the chart', () => {
    const m = chart('psi-distribution');
    const c = m.controls!;
    assert.equal(c.options(trainedOnly(psiOnly)), null, 'one pass: no dropdown');
    assert.deepEqual(c.options(psiOnly), ['trained', 'permuted-1', 'permuted-2', 'permuted-3', 'norelu'].map((p) => [p, p]));
    const { ctx, calls } = recordingContext(psiOnly);
    assert.equal(c.value(psiOnly, ctx), 'trained');
    assert.deepEqual(m.spec(psiOnly, LIGHT_THEME, psiOnly, ctx).title, { text: 'Pass trained' }, 'the chart names the pass it draws');
    c.onChange('permuted-2', ctx);
    assert.equal(ctx.persisted.distributionPass, 'permuted-2', 'kept in the persisted state');
    assert.deepEqual([calls.save, calls.redraw], [1, 1], 'saved through the host, then redrawn');
    assert.equal(ctx.memory.size, 0);
    assert.equal(shownDistributionPass(psiOnly, ctx), 'permuted-2', 'the figure export draws the same pass');
    assert.equal(c.value(psiOnly, ctx), 'permuted-2');
    const spec = m.spec(psiOnly, LIGHT_THEME, psiOnly, ctx);
    assert.deepEqual(spec, psiDistributionSpec(psiOnly, LIGHT_THEME, 'permuted-2'));
    assert.notDeepEqual(spec, psiDistributionSpec(psiOnly, LIGHT_THEME, 'trained'));
    assert.deepEqual(spec.title, { text: 'Pass permuted-2' }, 'the chart names the chosen pass');
    // A saved pass the report does not have (another run's controls): the trained model again.
    const stale: ChartViewState = { persisted: { distributionPass: 'permuted-7' }, memory: new Map() };
    assert.equal(c.value(psiOnly, stale), 'trained');
    assert.deepEqual(m.spec(psiOnly, LIGHT_THEME, psiOnly, stale), psiDistributionSpec(psiOnly, LIGHT_THEME, 'trained'));
    assert.deepEqual(m.spec(psiOnly, LIGHT_THEME, psiOnly, stale).title, { text: 'Pass trained' });
  });

  it('scatter: a click on a drawn point opens that category', async () => {
    const m = chart('accuracy-scatter');
    const { ctx, calls } = recordingContext(psiOnly);
    const view = headlessView<{
      runAsync(): Promise<unknown>;
      finalize(): void;
      scenegraph(): { root: unknown };
      addEventListener(type: string, h: (e: unknown, item: unknown) => void): unknown;
    }>(kit, m.spec(psiOnly, LIGHT_THEME, psiOnly, ctx), vegaConfig(LIGHT_THEME));
    try {
      await view.runAsync();
      // The handler the module registers (a headless view dispatches no DOM events: call it as vega would).
      const handlers: [string, (e: unknown, item: unknown) => void][] = [];
      const add = view.addEventListener.bind(view);
      view.addEventListener = (type, h) => {
        handlers.push([type, h]);
        return add(type, h);
      };
      m.onView!(view as never, ctx);
      assert.deepEqual(handlers.map(([t]) => t), ['click']);
      // The drawn points (items of the `categoryScatter` mark), with the data vega hands to the handler.
      const points: { datum: { category: string } }[] = [];
      const walk = (node: unknown): void => {
        const n = node as { marktype?: string; name?: string; items?: unknown[] };
        if (n.marktype && n.name === 'categoryScatter_marks') points.push(...(n.items as { datum: { category: string } }[]));
        else for (const child of n.items ?? []) walk(child);
      };
      walk(view.scenegraph().root);
      assert.equal(points.length, psiOnly.categories.length);
      const click = handlers[0][1];
      const last = points[points.length - 1];
      click({}, last);
      assert.deepEqual(calls.opened, [psiOnly.categories.findIndex((c) => c.name === last.datum.category)]);
      assert.ok(calls.opened[0] >= 0);
      click({}, null);
      click({}, { datum: { psi: 0.3 } });
      assert.equal(calls.opened.length, 1, 'a click beside the points opens nothing');
    } finally {
      view.finalize();
    }
  });

  it('scatter keyboard order: the drawn points by the shown index (ties in category order), named by the drawn x-axis title', async () => {
    const m = chart('accuracy-scatter');
    for (const r of [psiOnly, indexView(every, 'hoyer:raw')]) {
      const { ctx } = recordingContext(r);
      const view = headlessView<{ runAsync(): Promise<unknown>; finalize(): void }>(kit, m.spec(r, LIGHT_THEME, r, ctx), vegaConfig(LIGHT_THEME));
      try {
        await view.runAsync();
        const points = scatterPoints(view as never);
        const layer = shownScatterLayer(r, ctx);
        const values = r.passes.find((p) => p.kind === 'trained')!.layers.find((l) => l.name === layer)!.psi;
        const expected = r.categories.map((c, i) => ({ name: c.name, v: values[i], i })).sort((a, b) => a.v - b.v || a.i - b.i);
        assert.deepEqual(points.map((p) => p.category), expected.map((e) => e.name));
        assert.deepEqual(points.map((p) => p.psi), expected.map((e) => e.v));
        const xTitle = scatterXTitle(view as never);
        // The index view's label (e.g. "Hoyer (raw)"), never "PSI", when the selector shows another index.
        assert.equal(xTitle, `${viewIndex(r).label} (${layer})`);
        if (r === psiOnly) assert.equal(xTitle, 'PSI (fc2)');
        if (r !== psiOnly) assert.doesNotMatch(xTitle!, /^PSI/);
        assert.match(announcePoint(points[0], xTitle, 1, points.length), new RegExp(`: ${xTitle!.replace(/[()]/g, '\\$&')} \\d\\.\\d{3}, accuracy \\d+\\.\\d%; 1 of ${points.length}\\.$`));
      } finally {
        view.finalize();
      }
    }
  });
});
