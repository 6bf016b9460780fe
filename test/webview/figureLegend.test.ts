/**
 * The legend of a small exported figure (issue 15): at a single column (85 mm) the PSI-by-layer
 * chart's legend goes below the plot in the compact layout (figure/legend.ts), so the plot keeps
 * most of the figure's width and the legend never covers the data; at 180 mm the legend is the
 * panel's, unchanged. Measured on the fitted figure's vega scenegraph (headless, as exported).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { SparsityReport } from '../../src/core/report/schema';
import type { FigureOptions } from '../../src/shared/protocol';
import type { ChartViewState } from '../../webview/charts';
import { figureBuilder } from '../../webview/figure/export';
import { COMPACT_LEGEND_BELOW_PX, compactLegendLayout, legendEntriesOf } from '../../webview/figure/legend';
import { DEFAULT_FIGURE_OPTIONS, layoutPx } from '../../webview/figure/options';
import { fitFigure, type VegaKit } from '../../webview/figure/render';
import { ESTIMATED_TEXT_WIDTH } from '../../webview/figure/spec';
import { LEGEND_LAYER_NAME, legendGlyphAt, psiByLayerLegend, psiByLayerSpec, type VlSpec } from '../../webview/specs';
import { DARK_THEME, PRINT_THEME } from '../../webview/theme';
import { headlessView, nodeVegaKit } from './figureKit';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
const chartState: ChartViewState = { persisted: {}, memory: new Map() };
let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});

type Bounds = { x1: number; y1: number; x2: number; y2: number };
type SceneItem = { mark?: { role?: string; marktype?: string }; bounds?: Bounds; items?: SceneItem[] };
interface Measured {
  spec: VlSpec;
  figureWidth: number;
  /** The data rectangle's left edge in the figure and its size (px). */
  plotLeft: number;
  plotWidth: number;
  plotHeight: number;
  /** The legend's bounds in the plot's coordinates (origin at the data rectangle's top left). */
  legend: Bounds;
}

/** The PSI-by-layer figure in `style` (print unless told), fitted to `widthMm` x `heightMm`, and where its plot and legend are. */
async function measured(widthMm: number, heightMm: number, style: FigureOptions['style'] = 'print'): Promise<Measured> {
  const options: FigureOptions = { ...DEFAULT_FIGURE_OPTIONS, unit: 'mm', width: widthMm, height: heightMm, format: 'svg', style };
  const { build, config, width, height } = figureBuilder({ options, report, shownTheme: DARK_THEME, chartSpec: (t) => psiByLayerSpec(report, t), chartState, kit, measure: ESTIMATED_TEXT_WIDTH });
  const fitted = await fitFigure(kit, build, { width, height }, config);
  const view = headlessView<{ runAsync(): Promise<unknown>; origin(): [number, number]; signal(n: string): number; scenegraph(): { root: SceneItem }; finalize(): void }>(kit, fitted.spec, config);
  await view.runAsync();
  const legends: Bounds[] = [];
  const walk = (it: SceneItem): void => {
    if (it.mark?.role === 'legend' && it.bounds) legends.push({ ...it.bounds });
    for (const c of it.items ?? []) walk(c);
  };
  walk(view.scenegraph().root);
  const out = { spec: fitted.spec, figureWidth: width, plotLeft: view.origin()[0], plotWidth: view.signal('width'), plotHeight: view.signal('height'), legend: legends[0] };
  view.finalize();
  assert.equal(legends.length, 1, 'one legend');
  return out;
}

const legendLayerOf = (spec: VlSpec) => (spec.layer as VlSpec[]).find((l) => l.name === LEGEND_LAYER_NAME)!;
const shapeOf = (layer: VlSpec) => (layer.encoding as { shape: { scale: { domain: string[]; range: string[] }; legend: Record<string, unknown> } }).shape;

describe('figure legend: small figures', () => {
  for (const style of ['print', 'shown'] as const) it(`85 mm, ${style} style: the plot takes at least 60% of the width and the legend sits below the data, inside the figure`, async () => {
    assert.ok(layoutPx(85, 'mm') - 80 < COMPACT_LEGEND_BELOW_PX, '85 mm is a small figure');
    const m = await measured(85, 70, style);
    assert.ok(m.plotWidth >= 0.6 * m.figureWidth, `plot ${m.plotWidth} px of ${m.figureWidth} px`);
    assert.ok(m.legend.y1 >= m.plotHeight, `legend top ${m.legend.y1} below the data (height ${m.plotHeight})`);
    assert.ok(m.legend.x1 >= 0 && m.legend.x2 <= m.plotWidth, `legend ${m.legend.x1}–${m.legend.x2} within the plot's width ${m.plotWidth}`);
    assert.ok(m.plotLeft + m.legend.x2 <= m.figureWidth, 'legend inside the figure');
    const legend = shapeOf(legendLayerOf(m.spec)).legend;
    assert.equal(legend.orient, 'bottom');
    assert.equal(legend.labelLimit, 0, 'labels are never cut (the reference label carries its PSI)');
  });

  it('85 mm: the compact legend lists the same entries, with glyphs drawing the marks\' dash at their px lengths', async () => {
    const m = await measured(85, 70);
    const entries = psiByLayerLegend(report, PRINT_THEME);
    const shape = shapeOf(legendLayerOf(m.spec));
    const layout = compactLegendLayout(PRINT_THEME);
    assert.deepEqual(shape.scale.domain, entries.map((e) => e.label));
    assert.deepEqual(shape.scale.range, entries.map((e) => legendGlyphAt(e, layout.symbolSize)));
    assert.equal(shape.legend.symbolSize, layout.symbolSize);
    assert.ok(layout.symbolSize < 400, 'smaller glyphs than the panel\'s');
    // The permuted dash [6, 4] in a 14 px glyph: 6 px drawn = 6 / 7 of the glyph's half-width.
    const permuted = entries.find((e) => e.dash?.join() === '6,4')!;
    const first = legendGlyphAt(permuted, layout.symbolSize).match(/^M(-?[\d.]+),0H(-?[\d.]+)/)!;
    assert.ok(Math.abs(Number(first[2]) - Number(first[1]) - (6 * 2) / Math.sqrt(layout.symbolSize)) < 1e-3);
    assert.deepEqual(legendEntriesOf(m.spec), entries, 'the figure kept the chart\'s own entries');
  });
});

describe('figure legend: wide figures', () => {
  it('180 mm: the legend is the chart\'s own (same layer: orient, columns, glyphs), below the plot', async () => {
    assert.ok(layoutPx(180, 'mm') - 80 >= COMPACT_LEGEND_BELOW_PX);
    const m = await measured(180, 100);
    const own = legendLayerOf(psiByLayerSpec(report, PRINT_THEME));
    // As JSON: vega tags the inline data rows it has drawn (a symbol key), not a difference of the spec.
    assert.deepEqual(JSON.parse(JSON.stringify(legendLayerOf(m.spec))), JSON.parse(JSON.stringify(own)));
    assert.equal(shapeOf(own).legend.orient, 'bottom');
    assert.ok(m.legend.y1 >= m.plotHeight);
  });
});

describe('figure legend: the multi-panel figure', () => {
  const panelA = (widthMm: number): VlSpec => {
    const options: FigureOptions = { ...DEFAULT_FIGURE_OPTIONS, figure: 'multi-panel', unit: 'mm', width: widthMm, height: 150, format: 'svg' };
    const { build } = figureBuilder({ options, report, shownTheme: DARK_THEME, chartState, kit, measure: ESTIMATED_TEXT_WIDTH });
    return (build(1, 1, { left: 6, top: 6, right: 6, bottom: 6 }).vconcat as VlSpec[])[0];
  };

  it('180 mm: panel A keeps the chart\'s own legend; a narrow multi-panel figure (110 mm) gives panel A the compact one', () => {
    const own = legendLayerOf(psiByLayerSpec(report, PRINT_THEME));
    assert.deepEqual(legendLayerOf(panelA(180)), own);
    const narrow = shapeOf(legendLayerOf(panelA(110)));
    assert.equal(narrow.legend.symbolSize, compactLegendLayout(PRINT_THEME).symbolSize);
    assert.deepEqual(narrow.scale.domain, psiByLayerLegend(report, PRINT_THEME).map((e) => e.label));
  });
});
