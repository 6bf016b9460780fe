/**
 * Vega-Lite specs of the comparison panel and comparison.html (issue 12), pure functions of
 * (comparison, theme). No DOM.
 *
 * Stable hooks for end-to-end tests (SVG renderer): the medians are the `point` marks of the
 * unit named `runMedian` (SVG group class `runMedian_marks`), one per run, pass and layer, each
 * with aria-label `<run id> <pass> median <index>, layer <name>: <value>`.
 */
import type { Comparison } from '../src/core/compare/schema';
import { fmt, fmtP } from '../src/core/report/format';
import { isHighContrast, type ChartTheme } from './theme';
import type { VlSpec } from './specs';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Legend entry of a run's pass: `A · demo-model/model.json on shapes` (+ ` · norelu` for a control). */
export function seriesName(c: Comparison, runId: string, passId: string): string {
  const r = c.runs.find((x) => x.id === runId)!;
  return `${r.id} · ${r.label}${passId === 'trained' ? '' : ` · ${passId}`}`;
}

export function medianLabel(c: Comparison, runId: string, passId: string, layer: string, median: number): string {
  return `${runId} ${passId} median ${c.index.label}, layer ${layer}: ${fmt(median, 3)}`;
}

export interface DepthPoint {
  series: string;
  run: string;
  pass: string;
  layer: string;
  depth: number;
  median: number;
  q1: number;
  q3: number;
  ciLow: number;
  ciHigh: number;
  aria: string;
}

export function depthData(c: Comparison, passes: 'trained' | 'all' = 'trained'): DepthPoint[] {
  const out: DepthPoint[] = [];
  for (const r of c.runs) {
    for (const p of r.passes) {
      if (passes === 'trained' && p.kind !== 'trained') continue;
      for (const l of p.layers) {
        out.push({
          series: seriesName(c, r.id, p.id),
          run: r.id,
          pass: p.id,
          layer: l.name,
          depth: l.relativeDepth,
          median: l.median,
          q1: l.q1,
          q3: l.q3,
          ciLow: l.ciLow,
          ciHigh: l.ciHigh,
          aria: medianLabel(c, r.id, p.id, l.name, l.median),
        });
      }
    }
  }
  return out;
}

/** Index by relative depth: one line per run (and pass), its interquartile band, points with the bootstrap CI in the tooltip. */
export function depthSpec(c: Comparison, t: ChartTheme, passes: 'trained' | 'all' = 'trained'): VlSpec {
  const values = depthData(c, passes);
  const hc = isHighContrast(t);
  const series = [...new Set(values.map((v) => v.series))];
  const color = { field: 'series', type: 'nominal', scale: { domain: series }, legend: { title: null, orient: 'bottom', direction: 'vertical', labelLimit: 600, symbolOpacity: 1 } };
  const x = { field: 'depth', type: 'quantitative', title: 'relative depth (first layer 0, last 1)', scale: { domain: [0, 1] } };
  const y = (field: string) => ({ field, type: 'quantitative', title: `median ${c.index.label}` });
  const data = { values };
  return {
    $schema: SCHEMA,
    description: `Median ${c.index.label} by relative depth for ${c.runs.length} runs, with interquartile bands.`,
    width: 520,
    height: 300,
    layer: [
      { data, mark: { type: 'area', opacity: hc ? 0.14 : 0.16 }, encoding: { x, y: y('q1'), y2: { field: 'q3' }, color, detail: { field: 'series' } } },
      { data, mark: { type: 'line' }, encoding: { x, y: y('median'), color, strokeDash: { field: 'pass', type: 'nominal', legend: null } } },
      {
        name: 'runMedian',
        data,
        mark: { type: 'point', filled: true, size: hc ? 90 : 60, ...(hc ? { stroke: t.foreground, strokeWidth: 1.2 } : {}) },
        encoding: {
          x,
          y: y('median'),
          color,
          shape: { field: 'run', type: 'nominal', legend: null },
          description: { field: 'aria', type: 'nominal' },
          tooltip: [
            { field: 'series', title: 'run' },
            { field: 'layer', title: 'layer' },
            { field: 'depth', title: 'relative depth', format: '.3f' },
            { field: 'median', title: 'median', format: '.3f' },
            { field: 'q1', title: 'Q1', format: '.3f' },
            { field: 'q3', title: 'Q3', format: '.3f' },
            { field: 'ciLow', title: '95% CI low', format: '.3f' },
            { field: 'ciHigh', title: '95% CI high', format: '.3f' },
          ],
        },
      },
    ],
  };
}

/** Per matched layer: median per-category difference B − A, coloured by Wilcoxon p < 0.05. */
export function pairedDiffSpec(c: Comparison, pairIndex: number, t: ChartTheme): VlSpec {
  const p = c.paired[pairIndex];
  const values = p.layers.map((l) => ({
    layer: `${l.layerA}${l.layerB !== l.layerA ? ` ↔ ${l.layerB}` : ''}`,
    diff: l.medianDifference,
    p: l.wilcoxon.p,
    pText: fmtP(l.wilcoxon.p),
    sig: l.wilcoxon.p < 0.05 ? 'p < 0.05' : 'p ≥ 0.05',
  }));
  return {
    $schema: SCHEMA,
    description: `Median per-category difference ${p.b} − ${p.a} of ${c.index.label} per layer, Wilcoxon signed-rank.`,
    width: { step: 36 },
    height: 220,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'layer', type: 'ordinal', sort: values.map((v) => v.layer), title: `layer (${p.a} ↔ ${p.b})`, axis: { labelAngle: values.length > 8 ? -40 : 0 } },
      y: { field: 'diff', type: 'quantitative', title: `median ${p.b} − ${p.a}` },
      color: { field: 'sig', type: 'nominal', scale: { domain: ['p < 0.05', 'p ≥ 0.05'], range: [t.significant, t.insignificant] }, legend: { title: 'Wilcoxon' } },
      tooltip: [
        { field: 'layer', title: 'layer' },
        { field: 'diff', title: 'median difference', format: '.4f' },
        { field: 'pText', title: 'Wilcoxon p' },
      ],
    },
  };
}

/** Last analysed layer: per category, run A's value against run B's, with the identity line. */
export function pairedScatterSpec(c: Comparison, pairIndex: number, t: ChartTheme): VlSpec {
  const p = c.paired[pairIndex];
  const values = p.categories.map((cat, i) => ({ category: cat, a: p.lastLayer.a[i], b: p.lastLayer.b[i] }));
  const all = values.flatMap((v) => [v.a, v.b]).filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  return {
    $schema: SCHEMA,
    description: `Per-category ${c.index.label} of run ${p.a} (${p.lastLayer.layerA}) against run ${p.b} (${p.lastLayer.layerB}); Spearman rho ${fmt(p.lastLayer.spearman.r, 3)}.`,
    title: { text: `Spearman ρ = ${fmt(p.lastLayer.spearman.r, 3)}, p ${fmtP(p.lastLayer.spearman.p)}`, fontWeight: 'normal', fontSize: t.fontSize },
    width: 260,
    height: 260,
    layer: [
      { data: { values: [{ a: lo, b: lo }, { a: hi, b: hi }] }, mark: { type: 'line', color: t.muted, strokeDash: [4, 4] }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'point', filled: true, color: t.trained },
        encoding: {
          x: { field: 'a', type: 'quantitative', title: `${p.a}: ${p.lastLayer.layerA}`, scale: { zero: false } },
          y: { field: 'b', type: 'quantitative', title: `${p.b}: ${p.lastLayer.layerB}`, scale: { zero: false } },
          tooltip: [
            { field: 'category', title: 'category' },
            { field: 'a', title: p.a, format: '.3f' },
            { field: 'b', title: p.b, format: '.3f' },
          ],
        },
      },
    ],
  };
}
