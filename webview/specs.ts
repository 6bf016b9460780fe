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
import { fmt, fmtP, stars } from '../src/core/report/format';
import type { SparsityReport } from '../src/core/report/schema';
import { trainedPass } from '../src/core/report/tables';
import { isHighContrast, type ChartTheme } from './theme';
import { viewIndex } from '../src/core/report/indexView';

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
    trained: (trained?.layers ?? []).map((l) => ({
      layer: l.name,
      index: l.index,
      median: l.summary.median,
      q1: l.summary.q1,
      q3: l.summary.q3,
      aria: trainedMedianLabel(l.name, l.summary.median),
    })),
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
      if (l) out.norelu.push({ layer: name, index: l.index, median: l.summary.median, q1: l.summary.q1, q3: l.summary.q3 });
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
        rows.push({ category: c?.name ?? `#${i + 1}`, className: c?.className ?? '', images: c?.images ?? 0, psi, accuracy: a });
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

/** PSI by layer: trained median with its quartile band, permuted range and median, no-ReLU, reference line. */
export function psiByLayerSpec(report: SparsityReport, t: ChartTheme): VlSpec {
  const d = psiByLayerData(report);
  const hc = isHighContrast(t);
  const present: string[] = [SERIES.trained];
  if (d.permuted.length) present.push(SERIES.permuted);
  if (d.norelu.length) present.push(SERIES.norelu);
  const scale = colorScale(t, present);
  const color = (series: string): Record<string, unknown> => ({ datum: series, type: 'nominal', scale, legend: { title: null, symbolOpacity: 1 } });
  const x = xLayer(d.layers);
  const yPsi = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', ...indexAxis(report) });
  const layer: VlSpec[] = [];
  if (d.permuted.length) {
    const perm = { values: d.permuted };
    layer.push({
      data: perm,
      mark: { type: 'area', opacity: hc ? 0.12 : 0.18, ...(hc ? { stroke: t.permuted, strokeDash: [2, 2] } : {}) },
      encoding: { x, y: yPsi('min'), y2: { field: 'max' }, color: color(SERIES.permuted) },
    });
    layer.push({
      data: perm,
      mark: { type: 'line', strokeDash: [5, 4], point: { filled: false, shape: 'diamond', size: 50 } },
      encoding: {
        x,
        y: yPsi('median'),
        color: color(SERIES.permuted),
        tooltip: [
          { field: 'layer', title: 'layer' },
          { field: 'median', title: 'permuted median PSI', format: '.3f' },
          { field: 'min', title: 'min', format: '.3f' },
          { field: 'max', title: 'max', format: '.3f' },
          { field: 'models', title: 'models' },
        ],
      },
    });
  }
  if (d.norelu.length) {
    layer.push({
      data: { values: d.norelu },
      mark: { type: 'line', strokeDash: [2, 3], point: { filled: true, shape: 'square', size: 45 } },
      encoding: {
        x,
        y: yPsi('median'),
        color: color(SERIES.norelu),
        tooltip: [
          { field: 'layer', title: 'layer' },
          { field: 'median', title: 'no-ReLU median PSI', format: '.3f' },
          { field: 'q1', title: 'Q1', format: '.3f' },
          { field: 'q3', title: 'Q3', format: '.3f' },
        ],
      },
    });
  }
  const trained = { values: d.trained };
  layer.push({
    data: trained,
    mark: { type: 'area', opacity: hc ? 0.25 : 0.22 },
    encoding: { x, y: yPsi('q1'), y2: { field: 'q3' }, color: color(SERIES.trained) },
  });
  layer.push({
    data: trained,
    mark: { type: 'line' },
    encoding: { x, y: yPsi('median'), color: color(SERIES.trained) },
  });
  layer.push({
    name: 'trainedMedian',
    data: trained,
    mark: { type: 'point', filled: true, size: hc ? 110 : 80, shape: 'circle', ...(hc ? { stroke: t.foreground, strokeWidth: 1.5 } : {}) },
    encoding: {
      x,
      y: yPsi('median'),
      color: color(SERIES.trained),
      description: { field: 'aria', type: 'nominal' },
      tooltip: [
        { field: 'layer', title: 'layer' },
        { field: 'median', title: 'median PSI', format: '.3f' },
        { field: 'q1', title: 'Q1', format: '.3f' },
        { field: 'q3', title: 'Q3', format: '.3f' },
      ],
    },
  });
  const ref = { values: [{ psi: d.reference.psi, label: `${d.reference.label} (${fmt(d.reference.psi, 2)})` }] };
  // The reference is a PSI value: drawn on the PSI view only.
  if (viewIndex(report).id === 'psi') layer.push({
    data: ref,
    mark: { type: 'rule', color: t.reference, strokeDash: [6, 4] },
    encoding: { y: { field: 'psi', type: 'quantitative' }, tooltip: [{ field: 'label', title: 'reference' }] },
  });
  if (viewIndex(report).id === 'psi') layer.push({
    data: ref,
    mark: { type: 'text', color: t.reference, align: 'left', baseline: 'bottom', dx: 4, dy: -3, x: 0, fontSize: t.fontSize - 1 },
    encoding: { y: { field: 'psi', type: 'quantitative' }, text: { field: 'label' } },
  });
  return {
    $schema: SCHEMA,
    description: `Median population sparseness index by layer (${d.layers.length} layers), trained model and controls, with the reference PSI ${fmt(d.reference.psi, 2)}.`,
    width: { step: layerStep(d.layers.length) },
    height: 280,
    layer,
  };
}

/** Category PSIs per layer of one pass: box (quartiles, whiskers min–max) and jittered points. */
export function psiDistributionSpec(report: SparsityReport, t: ChartTheme, passId = 'trained'): VlSpec {
  const rows = psiDistributionData(report, passId);
  const pass = report.passes.find((p) => p.id === passId) ?? trainedPass(report);
  const layers = (pass?.layers ?? []).map((l) => l.name);
  const hc = isHighContrast(t);
  const color = pass?.kind === 'norelu' ? t.norelu : pass?.kind === 'permuted' ? t.permuted : t.trained;
  const data = { values: rows };
  const x = xLayer(layers);
  const y = { field: 'psi', type: 'quantitative', ...indexAxis(report) };
  return {
    $schema: SCHEMA,
    description: `Distribution of category PSIs per layer, pass ${pass?.id ?? passId}: ${rows.length} points.`,
    width: { step: layerStep(layers.length) },
    height: 260,
    layer: [
      {
        data,
        mark: {
          type: 'boxplot',
          extent: 'min-max',
          size: 26,
          color,
          opacity: hc ? 1 : 0.55,
          median: { color: t.foreground, strokeWidth: 2 },
          rule: { color: t.foreground },
          box: hc ? { stroke: t.foreground, strokeWidth: 1.5 } : {},
        },
        encoding: { x, y },
      },
      {
        name: 'categoryPoints',
        data,
        mark: { type: 'point', filled: true, size: 16, opacity: hc ? 1 : 0.7, color: t.foreground },
        encoding: {
          x,
          xOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-3, 3] } },
          y,
          tooltip: [
            { field: 'category', title: 'category' },
            { field: 'layer', title: 'layer' },
            { field: 'psi', title: viewIndex(report).label, format: '.3f' },
          ],
        },
      },
    ],
  };
}

/** Pearson (or Spearman) r between PSI and accuracy per layer, with significance stars. */
export function psiAccuracyRSpec(report: SparsityReport, t: ChartTheme): VlSpec {
  const rows = psiAccuracyRData(report);
  const layers = rows.map((r) => r.layer);
  const method = report.psiAccuracy?.method === 'spearman' ? 'Spearman' : 'Pearson';
  const x = xLayer(layers);
  const y = { field: 'r', type: 'quantitative', title: `${method} r (${viewIndex(report).label} vs accuracy)`, scale: { domain: [-1, 1] } };
  const hc = isHighContrast(t);
  const starText = (positive: boolean): VlSpec => ({
    data: { values: rows.filter((r) => r.stars && r.r >= 0 === positive) },
    mark: { type: 'text', baseline: positive ? 'bottom' : 'top', dy: positive ? -2 : 2, fontSize: t.fontSize + 1, fontWeight: 700, color: t.foreground },
    encoding: { x, y: { field: 'r', type: 'quantitative' }, text: { field: 'stars' } },
  });
  return {
    $schema: SCHEMA,
    description: `${method} correlation between category PSI and accuracy per layer (${rows.length} layers); stars mark p < 0.05, 0.01, 0.001.`,
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
        mark: { type: 'bar', size: 22, ...(hc ? { stroke: t.foreground, strokeWidth: 1.5 } : {}) },
        encoding: {
          x,
          y,
          color: {
            field: 'significance',
            type: 'nominal',
            scale: { domain: ['p < 0.05', 'n.s.'], range: [t.significant, t.insignificant] },
            legend: { title: null },
          },
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

/** Accuracy vs PSI of one layer, one point per category, with the least-squares line. */
export function accuracyScatterSpec(report: SparsityReport, t: ChartTheme, layer: string): VlSpec {
  const d = accuracyScatterData(report, layer);
  const hc = isHighContrast(t);
  const x = { field: 'psi', type: 'quantitative', title: `${viewIndex(report).label} (${layer})`, scale: { zero: false, nice: true } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%' } };
  const layers: VlSpec[] = [
    {
      name: 'categoryScatter',
      data: { values: d.rows },
      mark: { type: 'point', filled: true, size: hc ? 70 : 50, color: t.trained, opacity: hc ? 1 : 0.8, ...(hc ? { stroke: t.foreground } : {}) },
      encoding: {
        x,
        y,
        tooltip: [
          { field: 'category', title: 'category' },
          { field: 'className', title: 'class' },
          { field: 'images', title: 'images' },
          { field: 'psi', title: viewIndex(report).label, format: '.3f' },
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
  const subtitle = d.r !== null ? `r = ${fmt(d.r, 3)}, p = ${fmtP(d.p)}, n = ${d.rows.length}` : `n = ${d.rows.length}`;
  return {
    $schema: SCHEMA,
    description: `Accuracy against PSI of layer ${layer} for ${d.rows.length} categories; ${subtitle}.`,
    title: { text: `Layer ${layer}`, subtitle },
    width: 420,
    height: 300,
    layer: layers,
  };
}
