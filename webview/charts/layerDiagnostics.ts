/**
 * Per-layer diagnostics beside the PSI curve (issue 11): dead-unit fraction, mean response and
 * participation ratio of the category means, one panel each (own y scale), trained model and
 * controls (permuted: the median over the permuted models).
 */
import type { SparsityReport } from '../../src/core/report/schema';
import { layerStep, SERIES, SERIES_STYLE, type VlSpec } from '../specs';
import { isHighContrast } from '../theme';
import type { ChartModule } from './types';

export const DIAGNOSTICS = [
  ['deadFraction', 'dead units (fraction)'],
  ['meanResponse', 'mean response'],
  ['participationRatio', 'participation ratio'],
] as const;

export interface DiagnosticRow {
  metric: string;
  series: string;
  layer: string;
  layerIndex: number;
  value: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}

export function diagnosticsData(report: SparsityReport): DiagnosticRow[] {
  const rows: DiagnosticRow[] = [];
  const groups: [string, SparsityReport['passes']][] = [
    [SERIES.trained, report.passes.filter((p) => p.kind === 'trained')],
    [SERIES.permuted, report.passes.filter((p) => p.kind === 'permuted')],
    [SERIES.norelu, report.passes.filter((p) => p.kind === 'norelu')],
  ];
  const layers = report.passes[0]?.layers ?? [];
  for (const [series, passes] of groups) {
    if (passes.length === 0) continue;
    layers.forEach((l, li) => {
      for (const [key, metric] of DIAGNOSTICS) {
        const v = passes.map((p) => p.layers[li]?.diagnostics?.[key]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
        if (v.length) rows.push({ metric, series, layer: l.name, layerIndex: l.index, value: median(v) });
      }
    });
  }
  return rows;
}

export function diagnosticsSpec(report: SparsityReport, t: Parameters<ChartModule['spec']>[1]): VlSpec {
  const rows = diagnosticsData(report);
  const layers = (report.passes[0]?.layers ?? []).map((l) => l.name);
  const present = [SERIES.trained, SERIES.permuted, SERIES.norelu].filter((s) => rows.some((r) => r.series === s));
  const colours: Record<string, string> = { [SERIES.trained]: t.trained, [SERIES.permuted]: t.permuted, [SERIES.norelu]: t.norelu };
  const hc = isHighContrast(t);
  const x = { field: 'layer', type: 'ordinal', sort: layers, title: 'layer', axis: { labelAngle: layers.length > 8 ? -40 : 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Per-layer diagnostics (${DIAGNOSTICS.map((d) => d[1]).join(', ')}) for ${present.join(', ')}.`,
    data: { values: rows },
    facet: { row: { field: 'metric', type: 'nominal', sort: DIAGNOSTICS.map((d) => d[1]), title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: { step: layerStep(layers.length) },
      height: 90,
      mark: { type: 'line', point: { filled: true, size: hc ? 60 : 35 }, strokeWidth: hc ? 3 : 2 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false, nice: true }, axis: { tickCount: 4, format: '.3~g', labelOverlap: 'greedy' } },
        // Colour, marker and dash per series (one merged legend): never colour alone (issue 15).
        color: { field: 'series', type: 'nominal', scale: { domain: present, range: present.map((s) => colours[s]) }, legend: { title: null } },
        shape: { field: 'series', type: 'nominal', scale: { domain: present, range: present.map((s) => SERIES_STYLE[s].shape) }, legend: { title: null } },
        strokeDash: { field: 'series', type: 'nominal', scale: { domain: present, range: present.map((s) => [...SERIES_STYLE[s].dash]) }, legend: { title: null } },
        tooltip: [
          { field: 'metric', title: 'diagnostic' },
          { field: 'series', title: 'pass' },
          { field: 'layer', title: 'layer' },
          { field: 'value', title: 'value', format: '.4g' },
        ],
      },
    },
  };
}

export const LAYER_DIAGNOSTICS: ChartModule = {
  id: 'layer-diagnostics',
  title: 'Layer diagnostics',
  note: 'Per layer: fraction of units silent in every category, mean response, and effective dimensionality of the category means (participation ratio of their covariance eigenvalues). Permuted: median over models.',
  available: (r) => r.passes.some((p) => p.layers.some((l) => l.diagnostics !== undefined)),
  spec: (_view, t, full) => diagnosticsSpec(full, t),
};
