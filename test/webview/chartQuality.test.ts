/**
 * Chart quality of the report panel (issue 15): legend glyphs are the marks' own (dash, marker,
 * band, error bar), the print theme, high-contrast series told apart by shape and dash,
 * significance that stands out in every theme, the bootstrap interval of each layer's median
 * (the comparison's numbers), formatted tooltips, scatter labels, the figure title/caption hook.
 * Specs are compiled with vega-lite and run headless by vega in CSP-safe mode, as the webview does.
 */
import assert from 'node:assert/strict';
import { headlessView, nodeVegaKit } from './figureKit';
import type { VegaKit } from '../../webview/figure/render';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildComparison } from '../../src/core/compare/build';
import type { SparsityReport } from '../../src/core/report/schema';
import {
  accuracyScatterData,
  accuracyScatterSpec,
  legendGlyph,
  psiAccuracyRSpec,
  psiByLayerData,
  psiByLayerLegend,
  psiByLayerNote,
  psiByLayerSpec,
  psiDistributionSpec,
  SCATTER_LABEL_ALL,
  scatterLabels,
  SERIES,
  SERIES_STYLE,
  significanceStyle,
  TOOLTIP_FORMAT,
  withTitleAndCaption,
  type VlSpec,
} from '../../webview/specs';
import { DARK_THEME, highContrastTheme, LIGHT_THEME, PRINT_THEME, vegaConfig, type ChartTheme } from '../../webview/theme';

const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/report/sample.sparsity.json'), 'utf8'));
const page = { font: 'sans-serif', fontSize: 13 };
const HC_DARK = highContrastTheme('high-contrast', { ...page, foreground: '#ffffff', background: '#000000', grid: '#6fc3df' });
const HC_LIGHT = highContrastTheme('high-contrast-light', { ...page, foreground: '#292929', background: '#ffffff', grid: '#0f4a85' });
const THEMES: ChartTheme[] = [LIGHT_THEME, DARK_THEME, HC_DARK, HC_LIGHT, PRINT_THEME];

type Item = { tooltip?: unknown; items?: Item[]; name?: string; marktype?: string };
type View = { toSVG(): Promise<string>; runAsync(): Promise<unknown>; scenegraph(): { root: Item }; finalize(): void };
let kit: VegaKit;
before(async () => {
  kit = await nodeVegaKit();
});
function view(spec: VlSpec, t: ChartTheme): View {
  return headlessView<View>(kit, spec, vegaConfig(t));
}
async function svgOf(spec: VlSpec, t: ChartTheme = LIGHT_THEME): Promise<string> {
  const v = view(spec, t);
  try {
    return await v.toSVG();
  } finally {
    v.finalize();
  }
}
/** The evaluated tooltips of the items of the mark named `name` (vega scenegraph). */
async function tooltipsOf(spec: VlSpec, name: string): Promise<Record<string, string>[]> {
  const v = view(spec, LIGHT_THEME);
  await v.runAsync();
  const out: Record<string, string>[] = [];
  const walk = (it: Item): void => {
    if (it.name === name && it.items) for (const x of it.items) if (x.tooltip) out.push(x.tooltip as Record<string, string>);
    for (const c of it.items ?? []) walk(c);
  };
  walk(v.scenegraph().root);
  v.finalize();
  return out;
}
type Layer = { name?: string; mark: { type: string; strokeDash?: number[]; point?: { shape: string }; color?: string }; encoding?: Record<string, { scale?: { domain: string[]; range: unknown[] }; legend?: unknown; format?: string; type?: string; field?: string }>; data?: { values: Record<string, unknown>[] } };
const layersOf = (spec: VlSpec) => spec.layer as Layer[];
const named = (spec: VlSpec, name: string) => layersOf(spec).find((l) => l.name === name)!;

describe('PSI by layer: legend entries are the marks', () => {
  for (const t of THEMES) {
    it(`${t.kind}: every series' line dash and marker, every band and error bar has its entry, drawn the same`, () => {
      const spec = psiByLayerSpec(report, t);
      const legend = psiByLayerLegend(report, t);
      const key = named(spec, 'legendKey').encoding!.shape!;
      assert.deepEqual(key.scale!.domain, legend.map((e) => e.label), 'the one legend lists the entries');
      assert.deepEqual(key.scale!.range, legend.map(legendGlyph), 'each entry draws its glyph');
      const lines: [string, string, string][] = [
        ['permutedMedian', SERIES.permuted, t.permuted],
        ['noreluMedian', SERIES.norelu, t.norelu],
      ];
      for (const [layer, series, colour] of lines) {
        const mark = named(spec, layer).mark;
        const entry = legend.find((e) => e.label === series)!;
        assert.deepEqual(mark.strokeDash, entry.dash, `${series} dash`);
        assert.equal(mark.point!.shape, entry.shape, `${series} marker`);
        assert.equal(mark.color, colour);
        assert.equal(entry.colour, colour);
        // The glyph carries the dash as segments: a dashed line is several sub-paths.
        const segments = (legendGlyph(entry).match(/M[-0-9.]+,0H/g) ?? []).length;
        assert.ok(segments > 1, `${series} glyph is dashed (${segments} segments)`);
      }
      const trained = legend.find((e) => e.label === SERIES.trained)!;
      assert.equal(named(spec, 'trainedMedian').mark.type, 'point');
      assert.equal((named(spec, 'trainedMedian').mark as unknown as { shape: string }).shape, trained.shape);
      assert.equal((legendGlyph(trained).match(/M[-0-9.]+,0H/g) ?? []).length, 1, 'trained: solid line');
      // Bands and intervals: one entry per area / error-bar layer.
      assert.equal(legend.filter((e) => e.kind === 'band').length, layersOf(spec).filter((l) => l.mark.type === 'area').length);
      assert.equal(legend.filter((e) => e.kind === 'interval').length, layersOf(spec).filter((l) => /Interval$/.test(l.name ?? '')).length);
      assert.equal(legend.filter((e) => e.kind === 'reference').length, 1);
      assert.ok(!layersOf(spec).some((l) => l.mark.type === 'text'), 'no reference label over the data');
    });
  }

  it('renders the legend with one custom symbol per entry and the reference in it', async () => {
    const svg = await svgOf(psiByLayerSpec(report, LIGHT_THEME));
    for (const e of psiByLayerLegend(report, LIGHT_THEME)) assert.ok(svg.includes(`>${e.label.replace(/&/g, '&amp;')}<`), e.label);
    assert.equal((svg.match(/class="mark-group role-legend"/g) ?? []).length, 1, 'one legend');
    const symbols = [...svg.matchAll(/<g class="mark-symbol role-legend-symbol"[^>]*><path[^>]*d="([^"]+)"[^>]*fill="([^"]+)"/g)];
    assert.equal(symbols.length, psiByLayerLegend(report, LIGHT_THEME).length, 'a symbol per entry');
    // trained: a solid line through a filled circle in the trained colour.
    assert.match(symbols[0][1], /^M-10,0L10,0M3\.6,0C/);
    assert.equal(symbols[0][2], LIGHT_THEME.trained);
  });

  it('a run without controls: no control entries, and the caption names none', () => {
    const trainedOnly: SparsityReport = { ...report, passes: [report.passes[0]], controls: undefined };
    const labels = psiByLayerLegend(trainedOnly, LIGHT_THEME).map((e) => e.label);
    assert.ok(!labels.some((l) => /permuted|ReLU/.test(l)), labels.join(', '));
    assert.match(psiByLayerNote(trainedOnly), /no controls/);
    assert.doesNotMatch(psiByLayerNote(trainedOnly), /ermuted|ReLU/);
    assert.match(psiByLayerNote(report), /Permuted weights: median and range over 3 models/);
    assert.match(psiByLayerNote(report), /No ReLU/);
  });
});

describe('uncertainty of the layer medians', () => {
  it('the chart draws the bootstrap interval the comparison computes, and its tooltip shows it', async () => {
    const c = buildComparison([{ report, file: 'a' }, { report, file: 'b' }], { passes: 'all', createdAt: 'x' });
    const compared = c.runs[0].passes.find((p) => p.id === 'trained')!.layers;
    const d = psiByLayerData(report);
    d.trained.forEach((p, i) => {
      assert.equal(p.low, compared[i].ciLow);
      assert.equal(p.high, compared[i].ciHigh);
    });
    const noreluCompared = c.runs[0].passes.find((p) => p.id === 'norelu')!.layers;
    d.norelu.forEach((p, i) => assert.deepEqual([p.low, p.high], [noreluCompared[i].ciLow, noreluCompared[i].ciHigh]));
    const spec = psiByLayerSpec(report, LIGHT_THEME);
    const bars = named(spec, 'trainedInterval');
    assert.equal(bars.mark.type, 'rule');
    assert.deepEqual(bars.data!.values.map((v) => [v.low, v.high]), compared.map((l) => [l.ciLow, l.ciHigh]));
    const svg = await svgOf(spec);
    assert.ok(svg.includes('trainedInterval'), 'error bars rendered');
    const tips = await tooltipsOf(spec, 'trainedMedian_marks');
    assert.equal(tips.length, compared.length);
    const fmt4 = (x: number) => String(Number(x.toPrecision(4)));
    tips.forEach((tip, i) => {
      assert.equal(tip['95% CI low'], fmt4(compared[i].ciLow));
      assert.equal(tip['95% CI high'], fmt4(compared[i].ciHigh));
    });
  });

  it('a partial (live) report: no intervals yet, and the caption says when they come', () => {
    const partial = { ...report, complete: false };
    assert.ok(psiByLayerData(partial).trained.every((p) => Number.isNaN(p.low)));
    assert.ok(!psiByLayerLegend(partial, LIGHT_THEME).some((e) => e.kind === 'interval'));
    assert.match(psiByLayerNote(partial), /appear when the run is complete/);
  });

  it('a per-unit index has no category bootstrap: no error bars, no CI entry, and the caption says none', () => {
    const unitView = { ...report, index: { id: 'lifetime', label: 'lifetime (raw)', axis: 'unit', bounded: true }, passes: report.passes.map((p) => ({ ...p, layers: p.layers.map((l) => ({ ...l, psi: [] })) })) } as SparsityReport;
    assert.ok(psiByLayerData(unitView).trained.every((p) => Number.isNaN(p.low)));
    assert.ok(!psiByLayerLegend(unitView, LIGHT_THEME).some((e) => e.kind === 'interval'));
    assert.doesNotMatch(psiByLayerNote(unitView), /bootstrap/);
  });
});

describe('print theme', () => {
  it('white background, black text and axes, grey series', async () => {
    const c = vegaConfig(PRINT_THEME) as { background: string; axis: Record<string, string>; legend: Record<string, string>; title: Record<string, string> };
    assert.equal(c.background, '#ffffff');
    for (const k of ['labelColor', 'titleColor', 'domainColor', 'tickColor']) assert.equal(c.axis[k], '#000000', k);
    assert.equal(c.legend.labelColor, '#000000');
    assert.equal(c.title.color, '#000000');
    assert.equal(vegaConfig(LIGHT_THEME).background, 'transparent', 'on screen the panel shows through');
    const grey = (hex: string) => hex.length === 7 && hex.slice(1, 3) === hex.slice(3, 5) && hex.slice(3, 5) === hex.slice(5, 7);
    for (const k of ['trained', 'permuted', 'norelu', 'reference', 'significant', 'insignificant'] as const) assert.ok(grey(PRINT_THEME[k]), `${k} ${PRINT_THEME[k]} is grey`);
    const svg = await svgOf(psiByLayerSpec(report, PRINT_THEME), PRINT_THEME);
    assert.ok(/<rect[^>]*fill="#ffffff"/.test(svg) || svg.includes('background-color: #ffffff'), 'white background drawn');
    assert.ok(svg.includes('fill="#000000"'), 'black text');
  });
});

describe('high contrast', () => {
  for (const t of [HC_DARK, HC_LIGHT]) {
    it(`${t.kind}: series differ in colour, marker and dash`, () => {
      const styles = [SERIES.trained, SERIES.permuted, SERIES.norelu].map((s) => ({ s, ...SERIES_STYLE[s], colour: s === SERIES.trained ? t.trained : s === SERIES.permuted ? t.permuted : t.norelu }));
      for (let i = 0; i < styles.length; i++) {
        for (let j = i + 1; j < styles.length; j++) {
          assert.notEqual(styles[i].shape, styles[j].shape);
          assert.notDeepEqual(styles[i].dash, styles[j].dash);
          assert.notEqual(styles[i].colour, styles[j].colour, `${styles[i].s} vs ${styles[j].s}`);
        }
      }
      assert.notEqual(t.trained, t.norelu, 'trained and no-ReLU are not both blue');
      const spec = psiByLayerSpec(report, t);
      assert.deepEqual(named(spec, 'noreluMedian').mark.strokeDash, SERIES_STYLE[SERIES.norelu].dash);
      assert.equal(named(spec, 'noreluMedian').mark.point!.shape, 'square');
    });
  }
});

describe('significance stands out in every theme', () => {
  for (const t of THEMES) {
    it(`${t.kind}: significant bars solid, n.s. hollow and dashed`, async () => {
      const s = significanceStyle(t);
      assert.ok(s['p < 0.05'].fillOpacity > 3 * s['n.s.'].fillOpacity);
      assert.deepEqual(s['p < 0.05'].dash, []);
      assert.ok(s['n.s.'].dash.length > 0);
      const spec = psiAccuracyRSpec(report, t);
      const enc = named(spec, 'rBars').encoding!;
      assert.deepEqual(enc.fillOpacity.scale!.range, [s['p < 0.05'].fillOpacity, s['n.s.'].fillOpacity]);
      assert.deepEqual(enc.strokeDash.scale!.range, [s['p < 0.05'].dash, s['n.s.'].dash]);
      const svg = await svgOf(spec, t);
      const bars = svg.slice(svg.indexOf('rBars_marks')).match(/<path[^>]*role="graphics-symbol"[^>]*>/g)!.slice(0, 5);
      // fc2 is the one significant layer of the fixture.
      const fc2 = bars.find((b) => b.includes('layer fc2'))!;
      const ns = bars.filter((b) => !b.includes('layer fc2'));
      assert.ok(!/fill-opacity="0\.18"/.test(fc2), fc2);
      assert.ok(ns.every((b) => /fill-opacity="0\.18"/.test(b) && /stroke-dasharray="3,2"/.test(b)), ns.join('\n'));
    });
  }

  it('the y axis title fits the axis (it was cut off at the chart height)', async () => {
    const y = named(psiAccuracyRSpec(report, LIGHT_THEME), 'rBars').encoding!.y as unknown as { title: string; axis: { titleLimit: number } };
    assert.equal(y.title, 'Pearson r');
    assert.ok(y.axis.titleLimit <= 240, 'no longer than the 240 px axis');
    assert.ok((await svgOf(psiAccuracyRSpec(report, LIGHT_THEME))).includes('>Pearson r<'));
  });
});

describe('tooltips and axes', () => {
  it('every quantitative tooltip field has a format; the box tooltips show four significant digits', async () => {
    for (const spec of [psiByLayerSpec(report, LIGHT_THEME), psiDistributionSpec(report, LIGHT_THEME), accuracyScatterSpec(report, LIGHT_THEME, 'fc2')]) {
      for (const l of layersOf(spec)) {
        const tip = (l.encoding?.tooltip ?? []) as unknown as { field: string; format?: string }[];
        for (const f of tip) {
          const v = l.data?.values[0]?.[f.field];
          if (typeof v === 'number' && !Number.isInteger(v)) assert.ok(f.format, `${l.name}.${f.field} has a format`);
        }
      }
    }
    const spec = psiDistributionSpec(report, LIGHT_THEME);
    const tips = await tooltipsOf(spec, 'boxes_marks');
    assert.equal(tips.length, 5);
    const l0 = report.passes[0].layers[0].summary;
    assert.equal(tips[0].Q1, String(Number(l0.q1.toPrecision(4))));
    assert.equal(tips[0]['median PSI'], String(Number(l0.median.toPrecision(4))));
    assert.ok(Object.values(tips[0]).every((v) => String(v).length <= 7), JSON.stringify(tips[0]));
    assert.equal(TOOLTIP_FORMAT, '.4~r');
  });

  it('axes: few ticks with overlap removal', () => {
    const x = named(accuracyScatterSpec(report, LIGHT_THEME, 'fc2'), 'categoryScatter').encoding!.x as unknown as { axis: { tickCount: number; labelOverlap: string } };
    assert.equal(x.axis.labelOverlap, 'greedy');
    assert.ok(x.axis.tickCount <= 6);
  });
});

describe('scatter labels', () => {
  const size = { width: 420, height: 300, fontSize: 10, limit: 110 };
  const boxOf = (l: { psi: number; accuracy: number; label: string; placement: string }, dom: [number, number]) => {
    const x = ((l.psi - dom[0]) / (dom[1] - dom[0])) * size.width;
    const y = (1 - l.accuracy) * size.height;
    const w = Math.min(size.limit, l.label.length * size.fontSize * 0.6);
    const h = size.fontSize + 2;
    const x0 = l.placement === 'right' ? x + 7 : l.placement === 'left' ? x - 7 - w : x - w / 2;
    const y0 = l.placement === 'above' ? y - 8 - h : l.placement === 'below' ? y + 8 : y - h / 2;
    return { x0, y0, x1: x0 + w, y1: y0 + h };
  };
  const disjoint = (bs: { x0: number; y0: number; x1: number; y1: number }[]) => bs.every((a, i) => bs.every((b, j) => i === j || a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0));

  it('few categories: every one named (class name when there is one), in the chart, none overlapping', async () => {
    const spec = accuracyScatterSpec(report, LIGHT_THEME, 'fc2');
    const values = layersOf(spec).filter((l) => l.name?.startsWith('categoryLabels_')).flatMap((l) => l.data!.values);
    assert.equal(values.length, report.categories.length);
    assert.ok(values.some((v) => v.label === 'tench'), 'n01440764 is labelled by its class');
    const svg = await svgOf(spec);
    assert.ok(svg.includes('>tench<'));
  });

  it('subtitle: r, the p clause (never "p = < 0.001") and n', () => {
    const spec = accuracyScatterSpec(report, LIGHT_THEME, 'fc2') as { title?: { subtitle?: string } };
    const sub = spec.title?.subtitle ?? '';
    assert.match(sub, /^r = -?\d\.\d{3}, p\u00a0(=\u00a0\d|<\u00a00\.001), n = \d+$/);
    assert.doesNotMatch(sub, /= </);
  });

  it('many categories: only the extremes, none overlapping each other', () => {
    const n = 60;
    const d = { ...accuracyScatterData(report, 'fc2'), rows: Array.from({ length: n }, (_, i) => ({ category: `c${i}`, label: `category ${i}`, className: '', images: 10, psi: 0.2 + (i * 0.37) % 0.3, accuracy: ((i * 0.61) % 1) })) };
    d.slope = 0;
    d.intercept = 0.5;
    const dom: [number, number] = [0.18, 0.52];
    const labels = scatterLabels(d, dom, size);
    assert.ok(n > SCATTER_LABEL_ALL);
    assert.ok(labels.length > 0 && labels.length <= 13, `${labels.length} labels`);
    const best = [...d.rows].sort((a, b) => b.accuracy - a.accuracy)[0];
    assert.ok(labels.some((l) => l.category === best.category), 'the most accurate category is named');
    assert.ok(disjoint(labels.map((l) => boxOf(l, dom))), 'no two labels overlap');
  });
});

describe('figure title and caption hook', () => {
  it('wraps any chart with a title above and the caption below, in the print theme', async () => {
    const caption = 'Median category PSI per layer of the trained model with 95% bootstrap intervals; permuted weights and no-ReLU controls; dashed: macaque reference.';
    for (const base of [psiByLayerSpec(report, PRINT_THEME), accuracyScatterSpec(report, PRINT_THEME, 'fc2')]) {
      const spec = withTitleAndCaption(base, 'Figure 2. Sparseness by depth', caption, PRINT_THEME);
      const svg = await svgOf(spec, PRINT_THEME);
      assert.ok(svg.includes('Figure 2. Sparseness by depth'));
      assert.ok(svg.includes('Median category PSI per layer'), 'caption drawn');
      assert.ok(svg.includes('macaque reference.'), 'caption wrapped, not cut');
    }
    const plain = withTitleAndCaption(psiByLayerSpec(report, LIGHT_THEME), 'T');
    assert.equal((plain.title as { text: string }).text, 'T');
    assert.ok(Array.isArray(plain.layer), 'without caption the chart stays one view');
  });
});
