/**
 * Vega-Lite chart specs of the report, as pure functions of (report, theme, choices).
 * No DOM: test/webview/specs.test.ts compiles them with vega-lite, runs them headless with
 * vega in CSP-safe (AST + interpreter) mode and counts the rendered marks.
 *
 * Stable hooks for end-to-end tests (SVG renderer):
 * - PSI by layer: the trained medians are the `point` marks of the unit named `trainedMedian`
 *   (SVG group class `trainedMedian_marks`), one `path[role=graphics-symbol]` per layer, each
 *   with aria-label `trained median PSI, layer <name>: <value>`.
 */
import { fmt, fmtP, pClause, stars } from '../src/core/report/format';
import type { SparsityReport } from '../src/core/report/schema';
import { trainedPass } from '../src/core/report/tables';
import { isHighContrast, type ChartTheme } from './theme';
import { viewIndex } from '../src/core/report/indexView';
import type { LayerPsi } from '../src/core/report/schema';
import { BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, layerMedianInterval, type LayerMedianInterval } from '../src/core/report/uncertainty';

/** The y axis of an index view (indexView.ts): its label, and [0, 1] for a bounded index. */
function indexAxis(report: SparsityReport): { title: string; scale: Record<string, unknown> } {
  const ix = viewIndex(report);
  return { title: ix.label, scale: ix.bounded ? { domain: [0, 1] } : { zero: false, nice: true } };
}

export type VlSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const SERIES = {
  trained: 'trained',
  permuted: 'permuted weights',
  norelu: 'no ReLU',
} as const;

/** Label of the trained-median point of one layer (also its SVG aria-label). */
export function trainedMedianLabel(layer: string, median: number): string {
  return `trained median PSI, layer ${layer}: ${fmt(median, 3)}`;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(xs: number[]): number {
  return quantile([...xs].filter(Number.isFinite).sort((a, b) => a - b), 0.5);
}

// ------------------------------------------------------------------ data

export interface LayerPoint {
  layer: string;
  index: number;
  median: number;
  q1: number;
  q3: number;
  /** Bootstrap interval of the median (core/report/uncertainty.ts, the numbers Compare Runs shows); NaN when it cannot be computed. */
  low: number;
  high: number;
  /** Values the median rests on (categories). */
  n: number;
}

/**
 * The bootstrap of a layer is 2000 medians of its categories: kept per values array, so a theme
 * switch or a second chart does not redo it (an index view shares the report's value arrays).
 */
const intervalCache = new WeakMap<object, LayerMedianInterval | null>();
function intervalOf(l: LayerPsi): LayerMedianInterval | undefined {
  const key = l.psi as unknown as object;
  if (!intervalCache.has(key)) intervalCache.set(key, layerMedianInterval(l) ?? null);
  const got = intervalCache.get(key);
  // The cache is by values; the median is the layer's own (the summary of this view).
  return got ? { ...got, layer: l.name, index: l.index, median: l.summary.median } : undefined;
}

/**
 * Intervals of a complete report only: a live run sends a partial report every few seconds with
 * new value arrays, and the bootstrap (2000 medians per layer) would redo itself each time.
 */
function layerPoint(l: LayerPsi, withInterval: boolean): LayerPoint {
  const ci = withInterval ? intervalOf(l) : undefined;
  return { layer: l.name, index: l.index, median: l.summary.median, q1: l.summary.q1, q3: l.summary.q3, low: ci?.low ?? NaN, high: ci?.high ?? NaN, n: ci?.n ?? l.psi.length };
}

export interface PsiByLayerData {
  layers: string[];
  trained: (LayerPoint & { aria: string })[];
  /** Median over permuted models of each layer's median PSI, with min and max. */
  permuted: { layer: string; index: number; median: number; min: number; max: number; models: number }[];
  norelu: LayerPoint[];
  reference: { psi: number; label: string };
}

export function psiByLayerData(report: SparsityReport): PsiByLayerData {
  const trained = trainedPass(report);
  const layers = trained ? trained.layers.map((l) => l.name) : [];
  const out: PsiByLayerData = {
    layers,
    trained: (trained?.layers ?? []).map((l) => ({ ...layerPoint(l, report.complete), aria: trainedMedianLabel(l.name, l.summary.median) })),
    permuted: [],
    norelu: [],
    reference: report.reference,
  };
  const perm = report.passes.filter((p) => p.kind === 'permuted');
  const spread = report.controls?.permutedSpread;
  const ctrlLayers = report.controls?.layers;
  layers.forEach((name, i) => {
    const index = trained!.layers[i].index;
    const ci = ctrlLayers ? ctrlLayers.indexOf(name) : -1;
    if (spread && ci >= 0 && Number.isFinite(spread.median[ci])) {
      out.permuted.push({ layer: name, index, median: spread.median[ci], min: spread.min[ci], max: spread.max[ci], models: perm.length });
    } else if (perm.length > 0) {
      const meds = perm.map((p) => p.layers.find((l) => l.name === name)?.summary.median).filter((x): x is number => Number.isFinite(x));
      if (meds.length > 0) {
        out.permuted.push({ layer: name, index, median: median(meds), min: Math.min(...meds), max: Math.max(...meds), models: meds.length });
      }
    }
  });
  const norelu = report.passes.find((p) => p.kind === 'norelu');
  if (norelu) {
    for (const name of layers) {
      const l = norelu.layers.find((x) => x.name === name);
      if (l) out.norelu.push(layerPoint(l, report.complete));
    }
  }
  return out;
}

/** Deterministic jitter in [-1, 1] for a category index (golden-ratio sequence). */
export function jitter(i: number): number {
  const x = (i * 0.6180339887498949) % 1;
  return x * 2 - 1;
}

export interface DistributionRow {
  layer: string;
  index: number;
  category: string;
  psi: number;
  jitter: number;
}

export function psiDistributionData(report: SparsityReport, passId = 'trained'): DistributionRow[] {
  const pass = report.passes.find((p) => p.id === passId) ?? trainedPass(report);
  if (!pass) return [];
  const rows: DistributionRow[] = [];
  const ix = viewIndex(report);
  for (const l of pass.layers) {
    // A per-unit index (lifetime) has one value per unit, not per category: label points by unit.
    const values = ix.axis === 'unit' ? (l.indices?.[ix.id]?.values ?? []) : l.psi;
    values.forEach((psi, i) => {
      if (Number.isFinite(psi)) rows.push({ layer: l.name, index: l.index, category: ix.axis === 'unit' ? `unit ${i}` : categoryLabel(report, i), psi, jitter: jitter(i) });
    });
  }
  return rows;
}

export function categoryLabel(report: SparsityReport, i: number): string {
  const c = report.categories[i];
  if (!c) return `#${i + 1}`;
  return c.className && c.className !== c.name ? `${c.name} (${c.className})` : c.name;
}

export interface CorrelationRow {
  layer: string;
  index: number;
  r: number;
  p: number;
  n: number;
  significance: 'p < 0.05' | 'n.s.';
  stars: string;
}

export function psiAccuracyRData(report: SparsityReport): CorrelationRow[] {
  const per = report.psiAccuracy?.perLayer ?? [];
  const trained = trainedPass(report);
  const order = new Map((trained?.layers ?? []).map((l) => [l.name, l.index]));
  return per
    .filter((c) => Number.isFinite(c.r))
    .map((c) => ({
      layer: c.layer,
      index: order.get(c.layer) ?? 0,
      r: c.r,
      p: c.p,
      n: c.n,
      significance: c.p < 0.05 ? ('p < 0.05' as const) : ('n.s.' as const),
      stars: stars(c.p),
    }))
    .sort((a, b) => a.index - b.index);
}

export interface ScatterRow {
  category: string;
  /** What the point's label says. */
  label: string;
  className: string;
  images: number;
  psi: number;
  accuracy: number;
}

export interface ScatterData {
  layer: string;
  rows: ScatterRow[];
  /** Ordinary least squares of accuracy on PSI, as two end points (null with < 2 distinct x). */
  fit: { psi: number; accuracy: number }[] | null;
  slope: number | null;
  intercept: number | null;
  r: number | null;
  p: number | null;
}

/** Layers that have a scatter: trained layers (all have PSI); empty without accuracy. */
export function scatterLayers(report: SparsityReport): string[] {
  if (!report.accuracy) return [];
  return (trainedPass(report)?.layers ?? []).map((l) => l.name);
}

/** Default scatter layer: the accuracy-decoder layer, else the last analysed layer. */
export function defaultScatterLayer(report: SparsityReport): string | undefined {
  const layers = scatterLayers(report);
  const dec = report.accuracy?.decoder?.layer;
  if (dec && layers.includes(dec)) return dec;
  return layers[layers.length - 1];
}

export function linearFit(xs: number[], ys: number[]): { slope: number; intercept: number } | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export function accuracyScatterData(report: SparsityReport, layer: string): ScatterData {
  const trained = trainedPass(report);
  const l = trained?.layers.find((x) => x.name === layer);
  const acc = report.accuracy?.perCategory ?? [];
  const rows: ScatterRow[] = [];
  if (l) {
    l.psi.forEach((psi, i) => {
      const a = acc[i];
      if (Number.isFinite(psi) && Number.isFinite(a)) {
        const c = report.categories[i];
        // Labelled by the class name when the folder is a code (n01440764 → tench).
        rows.push({ category: c?.name ?? `#${i + 1}`, label: c?.className || c?.name || `#${i + 1}`, className: c?.className ?? '', images: c?.images ?? 0, psi, accuracy: a });
      }
    });
  }
  const f = linearFit(rows.map((r) => r.psi), rows.map((r) => r.accuracy));
  const corr = report.psiAccuracy?.perLayer.find((c) => c.layer === layer);
  let fit: ScatterData['fit'] = null;
  if (f) {
    const xs = rows.map((r) => r.psi);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    fit = [
      { psi: lo, accuracy: f.intercept + f.slope * lo },
      { psi: hi, accuracy: f.intercept + f.slope * hi },
    ];
  }
  return { layer, rows, fit, slope: f?.slope ?? null, intercept: f?.intercept ?? null, r: corr?.r ?? null, p: corr?.p ?? null };
}

// ------------------------------------------------------------------ specs

/** Band width per layer: charts are ~480 px wide, wider (scrolling) past 10 layers. */
export function layerStep(layers: number): number {
  return Math.max(48, Math.min(160, Math.round(480 / Math.max(1, layers))));
}

function colorScale(t: ChartTheme, present: string[]): Record<string, unknown> {
  const all: [string, string][] = [
    [SERIES.trained, t.trained],
    [SERIES.permuted, t.permuted],
    [SERIES.norelu, t.norelu],
  ];
  const used = all.filter(([k]) => present.includes(k));
  return { domain: used.map(([k]) => k), range: used.map(([, c]) => c) };
}

function xLayer(layers: string[], title = 'layer'): Record<string, unknown> {
  return { field: 'layer', type: 'ordinal', sort: layers, title, axis: { labelAngle: layers.length > 8 ? -40 : 0 } };
}

/** How each series is drawn in every theme: colour is never the only difference (issue 15, defect 8). */
export const SERIES_STYLE = {
  [SERIES.trained]: { shape: 'circle', dash: [] as number[] },
  [SERIES.permuted]: { shape: 'diamond', dash: [6, 4] },
  [SERIES.norelu]: { shape: 'square', dash: [2, 3] },
} as const;
export type SeriesName = (typeof SERIES)[keyof typeof SERIES];

/** Dash of the reference line (and its legend glyph). */
export const REFERENCE_DASH = [8, 3, 2, 3];

/** One entry of a chart's legend: what it says and the glyph it draws (the same as its marks). */
export interface LegendEntry {
  label: string;
  kind: 'line' | 'band' | 'interval' | 'reference';
  colour: string;
  /** Marker on the line (line entries). */
  shape?: 'circle' | 'diamond' | 'square';
  /** Dash of the line in px ([] solid). */
  dash?: number[];
  /** Fill opacity of a band. */
  opacity?: number;
}

/** Legend symbol size (px²): the glyph spans √size px. Glyph paths are in [-1, 1] (vega's custom-symbol box). */
const LEGEND_SYMBOL_SIZE = 400;

/** The dash in glyph units: the glyph of a √size px symbol draws the line's dash at its own px lengths. */
function dashSegments(dash: number[], symbolSize: number): string {
  if (dash.length === 0) return 'M-1,0H1';
  const glyphUnit = 2 / Math.sqrt(symbolSize);
  const parts: string[] = [];
  let x = -1;
  let i = 0;
  while (x < 1 && i < 100) {
    const len = dash[i % dash.length] * glyphUnit;
    if (i % 2 === 0) parts.push(`M${x.toFixed(3)},0H${Math.min(1, x + len).toFixed(3)}`);
    x += len;
    i++;
  }
  return parts.join('');
}

const MARKER_PATH: Record<'circle' | 'diamond' | 'square', string> = {
  circle: 'M0.36,0A0.36,0.36 0 1,1 -0.36,0A0.36,0.36 0 1,1 0.36,0Z',
  diamond: 'M0,-0.46L0.46,0L0,0.46L-0.46,0Z',
  square: 'M-0.32,-0.32H0.32V0.32H-0.32Z',
};

/** The legend glyph of an entry as a vega custom symbol path: a line with its dash and marker, a band, an error bar. */
export function legendGlyph(e: LegendEntry): string {
  return legendGlyphAt(e, LEGEND_SYMBOL_SIZE);
}

/** The glyph of an entry in a legend of `symbolSize` px² (its dash at the marks' px lengths). One argument for legendGlyph, so `entries.map(legendGlyph)` stays right. */
export function legendGlyphAt(e: LegendEntry, symbolSize: number): string {
  switch (e.kind) {
    case 'line':
      return dashSegments(e.dash ?? [], symbolSize) + (e.shape ? MARKER_PATH[e.shape] : '');
    case 'reference':
      return dashSegments(e.dash ?? [], symbolSize);
    case 'band':
      return 'M-1,-0.5H1V0.5H-1Z';
    case 'interval':
      return 'M0,-0.8V0.8M-0.4,-0.8H0.4M-0.4,0.8H0.4';
  }
}

/**
 * How a legend is laid out: the panel's and wide figures' (`WIDE_LEGEND`), or a small figure's
 * (figure/legend.ts): smaller glyphs and labels, tighter rows, every column inside the plot's width.
 */
export interface LegendLayout {
  /** Symbol size (px²; the glyph spans √size px). */
  symbolSize: number;
  /** Label font size (px); undefined: the theme's legend labels. */
  labelFontSize?: number;
  columnPadding: number;
  rowPadding: number;
  /**
   * Labels never cut (a label's number, e.g. the reference's PSI, must show), a small gap under
   * the axis: the columns are chosen so the labels fit the chart's width. Else labels are cut at
   * the chart's width less 40 px.
   */
  fitColumns: boolean;
}
export const WIDE_LEGEND: LegendLayout = { symbolSize: LEGEND_SYMBOL_SIZE, columnPadding: 14, rowPadding: 6, fitColumns: false };

/** Name of the invisible layer that carries a chart's legend (figure/legend.ts finds it by this name). */
export const LEGEND_LAYER_NAME = 'legendKey';

/**
 * An invisible layer that carries the chart's one legend: each entry's glyph is drawn from
 * `entries` (the same table the marks are drawn from), so line dash, marker, band and error bar
 * in the legend are those of the chart. Vega-Lite merges the shape, colour and opacity legends
 * of one field into one. The layer's data rows carry their entries, so a figure can lay the same
 * legend out again for its size (figure/legend.ts).
 */
export function legendLayer(entries: LegendEntry[], t: ChartTheme, chartWidth = 480, layout: LegendLayout = WIDE_LEGEND): VlSpec {
  const domain = entries.map((e) => e.label);
  // Per entry: bands are translucent fills, lines and markers solid, error bars and the reference
  // stroke only. Vega's legend symbols are encoded from the entry's value (the label).
  const pick = (values: (string | number)[]): string => `[${values.map((v) => JSON.stringify(v)).join(',')}][indexof([${domain.map((d) => JSON.stringify(d)).join(',')}], datum.value)]`;
  const fontSize = layout.labelFontSize ?? t.fontSize - 1;
  // Two columns when the longest label fits twice in the chart's width, else one (long reference names).
  // Fitted (small figures): vega fills the rows left to right, so each column is as wide as its own longest label.
  const twoColumnWidth = layout.fitColumns
    ? legendColumnWidth(entries.filter((_, i) => i % 2 === 0), layout, fontSize) + legendColumnWidth(entries.filter((_, i) => i % 2 === 1), layout, fontSize)
    : 2 * legendColumnWidth(entries, layout, fontSize);
  const columns = entries.length > 1 && twoColumnWidth <= chartWidth ? 2 : 1;
  const legend = {
    title: null,
    orient: 'bottom',
    direction: 'horizontal',
    columns,
    // 0: no limit (vega's text limit).
    labelLimit: layout.fitColumns ? 0 : Math.max(120, chartWidth - 40),
    ...(layout.fitColumns ? { offset: 6 } : {}),
    ...(layout.labelFontSize !== undefined ? { labelFontSize: layout.labelFontSize } : {}),
    symbolSize: layout.symbolSize,
    columnPadding: layout.columnPadding,
    rowPadding: layout.rowPadding,
    // Vega-Lite's legend `encoding` (values or signals): per entry colour, fill and stroke.
    encoding: {
      symbols: {
        fill: { value: { signal: pick(entries.map((e) => e.colour)) } },
        stroke: { value: { signal: pick(entries.map((e) => e.colour)) } },
        strokeWidth: { value: isHighContrast(t) ? 2.5 : 1.75 },
        fillOpacity: { value: { signal: pick(entries.map((e) => (e.kind === 'band' ? (e.opacity ?? 0.25) : e.kind === 'line' ? 1 : 0))) } },
        strokeOpacity: { value: { signal: pick(entries.map((e) => (e.kind === 'band' ? 0 : 1))) } },
        opacity: { value: 1 },
      },
    },
  };
  return {
    name: LEGEND_LAYER_NAME,
    data: { values: entries.map((e) => ({ series: e.label, entry: e })) },
    mark: { type: 'point', filled: true, aria: false, tooltip: null },
    encoding: {
      size: { value: 0 },
      shape: { field: 'series', type: 'nominal', scale: { domain, range: entries.map((e) => legendGlyphAt(e, layout.symbolSize)) }, legend },
    },
  };
}

/** Estimated width of a legend column: glyph, gap, padding and the longest label (average glyph 0.58 em). */
function legendColumnWidth(entries: LegendEntry[], layout: LegendLayout, fontSize: number): number {
  return Math.sqrt(layout.symbolSize) + 8 + layout.columnPadding + Math.max(...entries.map((e) => e.label.length)) * fontSize * 0.58;
}

/** Three or four significant digits for tooltips (d3-format; `~` drops trailing zeros). */
export const TOOLTIP_FORMAT = '.4~r';

/** y axis of an index: few ticks, greedy overlap removal, at most three decimals. */
function yAxisOf(report: SparsityReport): Record<string, unknown> {
  return { ...indexAxis(report), axis: { tickCount: 5, labelOverlap: 'greedy', format: '.2~f' } };
}

/** Band and marker opacity per theme: high contrast and print draw solid shapes, outlined bands. */
function bandOpacity(t: ChartTheme, base: number): number {
  return isHighContrast(t) ? base + 0.05 : t.kind === 'print' ? base * 0.8 : base;
}

/** The legend entries of the PSI-by-layer chart for what the report has (and only that). */
export function psiByLayerLegend(report: SparsityReport, t: ChartTheme): LegendEntry[] {
  const d = psiByLayerData(report);
  const out: LegendEntry[] = [
    { label: SERIES.trained, kind: 'line', colour: t.trained, shape: SERIES_STYLE[SERIES.trained].shape, dash: [...SERIES_STYLE[SERIES.trained].dash] },
    { label: 'trained: quartiles Q1–Q3', kind: 'band', colour: t.trained, opacity: bandOpacity(t, 0.2) },
  ];
  if (d.trained.some((p) => Number.isFinite(p.low))) {
    out.push({ label: `trained: ${Math.round(BOOTSTRAP_LEVEL * 100)}% CI of the median`, kind: 'interval', colour: t.foreground });
  }
  if (d.permuted.length) {
    out.push({ label: SERIES.permuted, kind: 'line', colour: t.permuted, shape: SERIES_STYLE[SERIES.permuted].shape, dash: [...SERIES_STYLE[SERIES.permuted].dash] });
    out.push({ label: `permuted: range over ${d.permuted[0].models} model${d.permuted[0].models === 1 ? '' : 's'}`, kind: 'band', colour: t.permuted, opacity: bandOpacity(t, 0.16) });
  }
  if (d.norelu.length) {
    out.push({ label: SERIES.norelu, kind: 'line', colour: t.norelu, shape: SERIES_STYLE[SERIES.norelu].shape, dash: [...SERIES_STYLE[SERIES.norelu].dash] });
    if (d.norelu.some((p) => Number.isFinite(p.low))) out.push({ label: `${SERIES.norelu}: ${Math.round(BOOTSTRAP_LEVEL * 100)}% CI of the median`, kind: 'interval', colour: t.norelu });
  }
  if (viewIndex(report).id === 'psi') out.push({ label: `${d.reference.label} (${fmt(d.reference.psi, 2)})`, kind: 'reference', colour: t.reference, dash: REFERENCE_DASH });
  return out;
}

/** The caption of the PSI-by-layer chart: names only what the chart draws for this report. */
export function psiByLayerNote(report: SparsityReport): string {
  const d = psiByLayerData(report);
  const label = viewIndex(report).label;
  const withCi = d.trained.some((p) => Number.isFinite(p.low));
  const parts = [
    `Median category ${label} per layer (trained model); band: quartiles` +
      (withCi
        ? `; error bars: ${Math.round(BOOTSTRAP_LEVEL * 100)}% bootstrap interval of the median (${BOOTSTRAP_RESAMPLES} resamples of the categories, seed ${BOOTSTRAP_SEED}, as in Compare Runs).`
        : !report.complete
          ? '; the bootstrap intervals of the medians appear when the run is complete.'
          : '.'),
  ];
  if (d.permuted.length) parts.push(`Permuted weights: median and range over ${d.permuted[0].models} model${d.permuted[0].models === 1 ? '' : 's'}.`);
  if (d.norelu.length) parts.push(`No ReLU: median${d.norelu.some((p) => Number.isFinite(p.low)) ? ' with its bootstrap interval' : ''}.`);
  if (!d.permuted.length && !d.norelu.length) parts.push('This run has no controls.');
  if (viewIndex(report).id === 'psi') parts.push(`Dashed line: ${d.reference.label} (${fmt(d.reference.psi, 2)}).`);
  return parts.join(' ');
}

/** PSI by layer: trained median with its quartile band and bootstrap interval, permuted range and median, no-ReLU, reference line. */
export function psiByLayerSpec(report: SparsityReport, t: ChartTheme): VlSpec {
  const d = psiByLayerData(report);
  const hc = isHighContrast(t);
  const solid = hc || t.kind === 'print';
  const legend = psiByLayerLegend(report, t);
  const x = xLayer(d.layers);
  const y = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', ...yAxisOf(report) });
  const label = viewIndex(report).label;
  // Same title on every layer's y, so Vega-Lite does not join the field names ("PSI, low, …").
  const yPlain = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', title: indexAxis(report).title });
  const ciTitle = `${Math.round(BOOTSTRAP_LEVEL * 100)}% CI`;
  const lineMark = (series: SeriesName, colour: string): Record<string, unknown> => ({
    type: 'line',
    color: colour,
    strokeDash: [...SERIES_STYLE[series].dash],
    point: { filled: true, shape: SERIES_STYLE[series].shape, size: hc ? 80 : 55, color: colour, strokeDash: [] },
  });
  /** An error bar per layer: a rule low→high (named `name`) with end ticks, `offset` px right of the layer. */
  const intervalLayers = (name: string, points: LayerPoint[], colour: string, offset: number, tick: number): VlSpec[] => {
    const data = { values: points.filter((p) => Number.isFinite(p.low)) };
    if (data.values.length === 0) return [];
    const width = hc ? 2 : 1.5;
    return [
      { name, data, mark: { type: 'rule', color: colour, strokeWidth: width, xOffset: offset }, encoding: { x, y: yPlain('low'), y2: { field: 'high' } } },
      ...(['low', 'high'] as const).map((end) => ({
        data,
        mark: { type: 'tick', orient: 'horizontal', color: colour, size: tick, thickness: width, xOffset: offset },
        encoding: { x, y: yPlain(end) },
      })),
    ];
  };
  const layer: VlSpec[] = [];
  if (d.permuted.length) {
    const perm = { values: d.permuted };
    layer.push({
      name: 'permutedRange',
      data: perm,
      mark: { type: 'area', color: t.permuted, opacity: bandOpacity(t, 0.16), ...(solid ? { stroke: t.permuted, strokeDash: [2, 2], strokeOpacity: 1 } : {}) },
      encoding: { x, y: y('min'), y2: { field: 'max' } },
    });
    layer.push({
      name: 'permutedMedian',
      data: perm,
      mark: lineMark(SERIES.permuted, t.permuted),
      encoding: {
        x,
        y: yPlain('median'),
        tooltip: [
          { field: 'layer', title: 'layer' },
          { field: 'median', title: `permuted median ${label}`, format: TOOLTIP_FORMAT },
          { field: 'min', title: 'min over models', format: TOOLTIP_FORMAT },
          { field: 'max', title: 'max over models', format: TOOLTIP_FORMAT },
          { field: 'models', title: 'models' },
        ],
      },
    });
  }
  if (d.norelu.length) {
    const nr = { values: d.norelu };
    // Beside the trained bar (7 px to the right), so the two intervals of a layer do not cover each other.
    layer.push(...intervalLayers('noreluInterval', d.norelu, t.norelu, 7, 7));
    layer.push({
      name: 'noreluMedian',
      data: nr,
      mark: lineMark(SERIES.norelu, t.norelu),
      encoding: {
        x,
        y: yPlain('median'),
        tooltip: [
          { field: 'layer', title: 'layer' },
          { field: 'median', title: `no-ReLU median ${label}`, format: TOOLTIP_FORMAT },
          { field: 'low', title: `${ciTitle} low`, format: TOOLTIP_FORMAT },
          { field: 'high', title: `${ciTitle} high`, format: TOOLTIP_FORMAT },
          { field: 'q1', title: 'Q1', format: TOOLTIP_FORMAT },
          { field: 'q3', title: 'Q3', format: TOOLTIP_FORMAT },
        ],
      },
    });
  }
  const trained = { values: d.trained };
  layer.push({
    name: 'trainedQuartiles',
    data: trained,
    mark: { type: 'area', color: t.trained, opacity: bandOpacity(t, 0.2), ...(solid ? { stroke: t.trained, strokeOpacity: 1, strokeWidth: 1 } : {}) },
    encoding: { x, y: y('q1'), y2: { field: 'q3' } },
  });
  layer.push(...intervalLayers('trainedInterval', d.trained, t.foreground, 0, 9));
  layer.push({
    data: trained,
    mark: { type: 'line', color: t.trained },
    encoding: { x, y: yPlain('median') },
  });
  layer.push({
    name: 'trainedMedian',
    data: trained,
    mark: { type: 'point', filled: true, size: hc ? 110 : 80, shape: SERIES_STYLE[SERIES.trained].shape, color: t.trained, ...(solid ? { stroke: t.foreground, strokeWidth: 1.5 } : {}) },
    encoding: {
      x,
      y: yPlain('median'),
      description: { field: 'aria', type: 'nominal' },
      tooltip: [
        { field: 'layer', title: 'layer' },
        { field: 'median', title: `median ${label}`, format: TOOLTIP_FORMAT },
        { field: 'low', title: `${ciTitle} low`, format: TOOLTIP_FORMAT },
        { field: 'high', title: `${ciTitle} high`, format: TOOLTIP_FORMAT },
        { field: 'q1', title: 'Q1', format: TOOLTIP_FORMAT },
        { field: 'q3', title: 'Q3', format: TOOLTIP_FORMAT },
        { field: 'n', title: 'categories' },
      ],
    },
  });
  // The reference is a PSI value: drawn on the PSI view only. Its label is in the legend, not on
  // the line, where it covered the data.
  if (viewIndex(report).id === 'psi') {
    const ref = { values: [{ psi: d.reference.psi, label: `${d.reference.label} (${fmt(d.reference.psi, 2)})` }] };
    layer.push({
      name: 'reference',
      data: ref,
      mark: { type: 'rule', color: t.reference, strokeDash: REFERENCE_DASH },
      encoding: { y: { field: 'psi', type: 'quantitative' }, tooltip: [{ field: 'label', title: 'reference' }] },
    });
  }
  layer.push(legendLayer(legend, t, layerStep(d.layers.length) * Math.max(1, d.layers.length)));
  return {
    $schema: SCHEMA,
    description: `Median population sparseness index by layer (${d.layers.length} layers) with ${Math.round(BOOTSTRAP_LEVEL * 100)}% bootstrap intervals, trained model${d.permuted.length || d.norelu.length ? ' and controls' : ''}${viewIndex(report).id === 'psi' ? `, with the reference PSI ${fmt(d.reference.psi, 2)}` : ''}.`,
    width: { step: layerStep(d.layers.length) },
    height: 280,
    layer,
  };
}

/** Box data of a pass: the report's own quartiles, median and range per layer (the numbers the tables print). */
export function psiBoxData(report: SparsityReport, passId = 'trained'): { layer: string; index: number; median: number; q1: number; q3: number; min: number; max: number; n: number }[] {
  const pass = report.passes.find((p) => p.id === passId) ?? trainedPass(report);
  const rows = psiDistributionData(report, pass?.id ?? passId);
  return (pass?.layers ?? [])
    .filter((l) => Number.isFinite(l.summary.median))
    .map((l) => ({ layer: l.name, index: l.index, median: l.summary.median, q1: l.summary.q1, q3: l.summary.q3, min: l.summary.min, max: l.summary.max, n: rows.filter((r) => r.layer === l.name).length }));
}

/** Category PSIs per layer of one pass: box (quartiles, whiskers min–max) and jittered points. */
export function psiDistributionSpec(report: SparsityReport, t: ChartTheme, passId = 'trained'): VlSpec {
  const rows = psiDistributionData(report, passId);
  const pass = report.passes.find((p) => p.id === passId) ?? trainedPass(report);
  const layers = (pass?.layers ?? []).map((l) => l.name);
  const hc = isHighContrast(t);
  const solid = hc || t.kind === 'print';
  const color = pass?.kind === 'norelu' ? t.norelu : pass?.kind === 'permuted' ? t.permuted : t.trained;
  const label = viewIndex(report).label;
  const x = xLayer(layers);
  const y = { field: 'psi', type: 'quantitative', ...yAxisOf(report) };
  const yOf = (field: string) => ({ field, type: 'quantitative', title: indexAxis(report).title });
  const box = { values: psiBoxData(report, pass?.id ?? passId) };
  // Drawn from the report's summaries (not Vega-Lite's boxplot): the box is the tables' numbers and its tooltip is formatted.
  const boxTooltip = [
    { field: 'layer', title: 'layer' },
    { field: 'median', title: `median ${label}`, format: TOOLTIP_FORMAT },
    { field: 'q1', title: 'Q1', format: TOOLTIP_FORMAT },
    { field: 'q3', title: 'Q3', format: TOOLTIP_FORMAT },
    { field: 'min', title: 'min', format: TOOLTIP_FORMAT },
    { field: 'max', title: 'max', format: TOOLTIP_FORMAT },
    { field: 'n', title: viewIndex(report).axis === 'unit' ? 'units' : 'categories' },
  ];
  return {
    $schema: SCHEMA,
    description: `Distribution of category ${label} per layer, pass ${pass?.id ?? passId}: ${rows.length} points.`,
    // On the chart itself (as the scatter names its layer), so an exported figure says which pass it shows.
    title: { text: `Pass ${pass?.id ?? passId}` },
    width: { step: layerStep(layers.length) },
    height: 260,
    layer: [
      { name: 'boxWhiskers', data: box, mark: { type: 'rule', color: t.foreground }, encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, tooltip: boxTooltip } },
      {
        name: 'boxes',
        data: box,
        mark: { type: 'bar', size: 26, color, opacity: solid ? 1 : 0.55, ...(solid ? { fillOpacity: 0.35, stroke: t.foreground, strokeWidth: 1.5 } : {}) },
        encoding: { x, y: yOf('q1'), y2: { field: 'q3' }, tooltip: boxTooltip },
      },
      { name: 'boxMedians', data: box, mark: { type: 'tick', size: 26, thickness: 2, color: t.foreground }, encoding: { x, y: yOf('median'), tooltip: boxTooltip } },
      {
        name: 'categoryPoints',
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 16, opacity: hc ? 1 : 0.7, color: t.foreground },
        encoding: {
          x,
          xOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-3, 3] } },
          y: yOf('psi'),
          tooltip: [
            { field: 'category', title: viewIndex(report).axis === 'unit' ? 'unit' : 'category' },
            { field: 'layer', title: 'layer' },
            { field: 'psi', title: label, format: TOOLTIP_FORMAT },
          ],
        },
      },
    ],
  };
}

/**
 * How significance is drawn, in every theme: significant bars solid and filled, n.s. bars hollow
 * (a faint fill, dashed outline), so the significant ones stand out whatever the colours.
 */
export function significanceStyle(t: ChartTheme): Record<'p < 0.05' | 'n.s.', { fill: string; fillOpacity: number; stroke: string; dash: number[] }> {
  return {
    'p < 0.05': { fill: t.significant, fillOpacity: 1, stroke: isHighContrast(t) || t.kind === 'print' ? t.foreground : t.significant, dash: [] },
    'n.s.': { fill: t.insignificant, fillOpacity: 0.18, stroke: isHighContrast(t) || t.kind === 'print' ? t.foreground : t.insignificant, dash: [3, 2] },
  };
}

/** Pearson (or Spearman) r between PSI and accuracy per layer, with significance stars. */
export function psiAccuracyRSpec(report: SparsityReport, t: ChartTheme): VlSpec {
  const rows = psiAccuracyRData(report);
  const layers = rows.map((r) => r.layer);
  const method = report.psiAccuracy?.method === 'spearman' ? 'Spearman' : 'Pearson';
  const x = xLayer(layers);
  // Short: "Pearson r (Hoyer (raw) vs accuracy)" was longer than the 240 px axis and was cut off
  // (issue 15, defect 9); two lines widened the chart past the card. The card title says what is correlated.
  const y = { field: 'r', type: 'quantitative', title: `${method} r`, scale: { domain: [-1, 1] }, axis: { tickCount: 5, format: '.1f', titleLimit: 230 } };
  const hc = isHighContrast(t);
  const sig = significanceStyle(t);
  const domain = ['p < 0.05', 'n.s.'] as const;
  const by = (key: 'fill' | 'fillOpacity' | 'stroke' | 'dash', legend: unknown = { title: null, symbolType: 'square', symbolSize: 160, symbolStrokeWidth: 1.5 }) => ({
    field: 'significance',
    type: 'ordinal',
    sort: [...domain],
    scale: { domain: [...domain], range: domain.map((d) => sig[d][key]) },
    legend,
  });
  const starText = (positive: boolean): VlSpec => ({
    data: { values: rows.filter((r) => r.stars && r.r >= 0 === positive) },
    mark: { type: 'text', baseline: positive ? 'bottom' : 'top', dy: positive ? -2 : 2, fontSize: t.fontSize + 1, fontWeight: 700, color: t.foreground },
    encoding: { x, y: { field: 'r', type: 'quantitative' }, text: { field: 'stars' } },
  });
  return {
    $schema: SCHEMA,
    description: `${method} correlation between category ${viewIndex(report).label} and accuracy per layer (${rows.length} layers); stars mark p < 0.05, 0.01, 0.001.`,
    width: { step: layerStep(layers.length) },
    height: 240,
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: t.muted },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        name: 'rBars',
        data: { values: rows.map((r) => ({ ...r, aria: `r, layer ${r.layer}: ${fmt(r.r, 3)}, p ${fmtP(r.p)}` })) },
        mark: { type: 'bar', size: 22, strokeWidth: hc ? 2 : 1.5 },
        encoding: {
          x,
          y,
          color: by('fill'),
          fillOpacity: by('fillOpacity'),
          stroke: by('stroke'),
          strokeDash: by('dash'),
          description: { field: 'aria', type: 'nominal' },
          tooltip: [
            { field: 'layer', title: 'layer' },
            { field: 'r', title: 'r', format: '.3f' },
            { field: 'p', title: 'p', format: '.2g' },
            { field: 'n', title: 'categories' },
          ],
        },
      },
      starText(true),
      starText(false),
    ],
  };
}

/** Categories the scatter names: every one up to this many, else the extremes. */
export const SCATTER_LABEL_ALL = 20;

export interface ScatterLabel {
  category: string;
  label: string;
  psi: number;
  accuracy: number;
  placement: 'right' | 'left' | 'above' | 'below' | 'above-right' | 'below-right' | 'above-left' | 'below-left';
}

const PLACEMENTS: { placement: ScatterLabel['placement']; dx: number; dy: number; align: string; baseline: string }[] = [
  { placement: 'right', dx: 7, dy: 0, align: 'left', baseline: 'middle' },
  { placement: 'left', dx: -7, dy: 0, align: 'right', baseline: 'middle' },
  { placement: 'above', dx: 0, dy: -8, align: 'center', baseline: 'bottom' },
  { placement: 'below', dx: 0, dy: 8, align: 'center', baseline: 'top' },
  { placement: 'above-right', dx: 5, dy: -5, align: 'left', baseline: 'bottom' },
  { placement: 'below-right', dx: 5, dy: 5, align: 'left', baseline: 'top' },
  { placement: 'above-left', dx: -5, dy: -5, align: 'right', baseline: 'bottom' },
  { placement: 'below-left', dx: -5, dy: 5, align: 'right', baseline: 'top' },
];

/**
 * Which categories get a label and where: all when there are few (≤ SCATTER_LABEL_ALL), else the
 * extremes (highest and lowest accuracy and PSI, farthest from the fit). Placed greedily in pixel
 * space (the chart's fixed scales) on the first side where the label overlaps no other label,
 * point or the plot's edge; a label that fits nowhere is left out (the tooltip still names it).
 */
export function scatterLabels(d: ScatterData, xDomain: [number, number], size: { width: number; height: number; fontSize: number; limit: number }): ScatterLabel[] {
  const rows = d.rows;
  let chosen: ScatterRow[];
  if (rows.length <= SCATTER_LABEL_ALL) chosen = [...rows];
  else {
    const by = (f: (r: ScatterRow) => number, k: number) => [...rows].sort((a, b) => f(a) - f(b)).slice(0, k);
    const resid = (r: ScatterRow) => (d.slope !== null && d.intercept !== null ? -Math.abs(r.accuracy - (d.intercept + d.slope * r.psi)) : 0);
    chosen = [...new Set([...by((r) => -r.accuracy, 3), ...by((r) => r.accuracy, 3), ...by((r) => -r.psi, 2), ...by((r) => r.psi, 2), ...by(resid, 3)])];
  }
  const px = (r: { psi: number; accuracy: number }) => ({
    x: ((r.psi - xDomain[0]) / (xDomain[1] - xDomain[0] || 1)) * size.width,
    y: (1 - r.accuracy) * size.height,
  });
  type Box = { x0: number; y0: number; x1: number; y1: number };
  const boxes: Box[] = rows.map((r) => {
    const p = px(r);
    return { x0: p.x - 4, y0: p.y - 4, x1: p.x + 4, y1: p.y + 4 };
  });
  const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  const out: ScatterLabel[] = [];
  const h = size.fontSize + 2;
  for (const r of chosen) {
    const p = px(r);
    const w = Math.min(size.limit, r.label.length * size.fontSize * 0.6);
    for (const pl of PLACEMENTS) {
      const x0 = pl.align === 'left' ? p.x + pl.dx : pl.align === 'right' ? p.x + pl.dx - w : p.x - w / 2;
      // (the diagonal placements start 5 px off in both directions: outside the point's 4 px box)
      const y0 = pl.baseline === 'middle' ? p.y - h / 2 : pl.baseline === 'bottom' ? p.y + pl.dy - h : p.y + pl.dy;
      const b = { x0, y0, x1: x0 + w, y1: y0 + h };
      if (b.x0 < 0 || b.y0 < 0 || b.x1 > size.width || b.y1 > size.height) continue;
      // Its own point is in `boxes` too; every placement starts outside it.
      if (boxes.some((o) => overlaps(o, b))) continue;
      boxes.push(b);
      out.push({ category: r.category, label: r.label, psi: r.psi, accuracy: r.accuracy, placement: pl.placement });
      break;
    }
  }
  return out;
}

/** Accuracy vs PSI of one layer, one point per category, with the least-squares line and category labels. */
export function accuracyScatterSpec(report: SparsityReport, t: ChartTheme, layer: string, plot: { width: number; height: number } = { width: 420, height: 300 }): VlSpec {
  const d = accuracyScatterData(report, layer);
  const hc = isHighContrast(t);
  // The labels are placed for this plot size: a figure of another size passes its own (`plot`)
  // rather than resizing the spec afterwards.
  const { width, height } = plot;
  // A fixed x domain (the data's range plus 6 %) so the label placement knows where points land.
  const xs = d.rows.map((r) => r.psi);
  const lo = xs.length ? Math.min(...xs) : 0;
  const hi = xs.length ? Math.max(...xs) : 1;
  const pad = hi > lo ? (hi - lo) * 0.06 : 0.05;
  const xDomain: [number, number] = [lo - pad, hi + pad];
  const x = { field: 'psi', type: 'quantitative', title: `${viewIndex(report).label} (${layer})`, scale: { domain: xDomain, nice: false, zero: false }, axis: { tickCount: 5, labelOverlap: 'greedy', format: '.3~r', labelFlush: true } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%', tickCount: 5 } };
  const layers: VlSpec[] = [
    {
      name: 'categoryScatter',
      data: { values: d.rows },
      mark: { type: 'point', filled: true, size: hc ? 70 : 50, color: t.trained, opacity: hc ? 1 : 0.8, ...(hc || t.kind === 'print' ? { stroke: t.foreground } : {}) },
      encoding: {
        x,
        y,
        tooltip: [
          { field: 'category', title: 'category' },
          { field: 'className', title: 'class' },
          { field: 'images', title: 'images' },
          { field: 'psi', title: viewIndex(report).label, format: TOOLTIP_FORMAT },
          { field: 'accuracy', title: 'accuracy', format: '.1%' },
        ],
      },
    },
  ];
  if (d.fit) {
    layers.push({
      name: 'fitLine',
      data: { values: d.fit },
      mark: { type: 'line', color: t.reference, strokeWidth: hc ? 3 : 2 },
      encoding: { x: { field: 'psi', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' } },
    });
  }
  const fontSize = t.fontSize - 2;
  const limit = 110;
  const labels = scatterLabels(d, xDomain, { width, height, fontSize, limit });
  for (const pl of PLACEMENTS) {
    const values = labels.filter((l) => l.placement === pl.placement);
    if (values.length === 0) continue;
    layers.push({
      name: `categoryLabels_${pl.placement}`,
      data: { values },
      mark: { type: 'text', align: pl.align, baseline: pl.baseline, dx: pl.dx, dy: pl.dy, fontSize, limit, color: t.foreground, aria: false },
      encoding: { x: { field: 'psi', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'label' } },
    });
  }
  const subtitle = d.r !== null ? `r = ${fmt(d.r, 3)}, ${pClause(d.p)}, n = ${d.rows.length}` : `n = ${d.rows.length}`;
  return {
    $schema: SCHEMA,
    description: `Accuracy against ${viewIndex(report).label} of layer ${layer} for ${d.rows.length} categories; ${subtitle}.`,
    title: { text: `Layer ${layer}`, subtitle },
    width,
    height,
    layer: layers,
  };
}

/**
 * A figure's title (above) and caption (below, wrapped) around any chart spec, for the figure
 * export. The chart itself is unchanged (its own title, e.g. the scatter's layer, stays inside).
 */
export function withTitleAndCaption(spec: VlSpec, title?: string, caption?: string, t?: ChartTheme): VlSpec {
  const { $schema, description, ...inner } = spec;
  const out: VlSpec = { $schema: $schema ?? SCHEMA, ...(description ? { description } : {}) };
  const width = typeof inner.width === 'number' ? inner.width : 480;
  const fontSize = (t?.fontSize ?? 12) - 1;
  if (caption) {
    const perLine = Math.max(30, Math.floor(width / (fontSize * 0.55)));
    const lines = wrapText(caption, perLine);
    out.vconcat = [
      inner,
      {
        width,
        height: lines.length * (fontSize + 4),
        data: { values: lines.map((text, i) => ({ text, i })) },
        mark: { type: 'text', align: 'left', baseline: 'top', fontSize, ...(t ? { color: t.foreground } : {}) },
        encoding: { x: { value: 0 }, y: { field: 'i', type: 'ordinal', axis: null, scale: { paddingOuter: 0 } }, text: { field: 'text' } },
        view: { stroke: null },
      },
    ];
    out.spacing = 10;
  } else Object.assign(out, inner);
  if (title) {
    const innerTitle = !caption ? (inner.title as { text?: string; subtitle?: string } | string | undefined) : undefined;
    const sub = typeof innerTitle === 'string' ? innerTitle : innerTitle ? [innerTitle.text, innerTitle.subtitle].filter(Boolean).join(' — ') : undefined;
    out.title = { text: title, anchor: 'start', ...(sub ? { subtitle: sub } : {}) };
  }
  return out;
}

/** Greedy word wrap to at most `perLine` characters per line (a longer word gets its own line). */
export function wrapText(text: string, perLine: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + word.length > perLine) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines;
}
