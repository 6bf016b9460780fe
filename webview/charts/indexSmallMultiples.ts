/**
 * Small multiples: every index's median-by-layer curve of the trained model, each normalised to
 * its own range over the layers ((m − min) / (max − min)), so the shape — the dip after the first
 * layer, the rise — can be compared across measures at a glance whatever their scales (issue 11).
 */
import { fmt } from '../../src/core/report/format';
import type { SparsityReport } from '../../src/core/report/schema';
import type { VlSpec } from '../specs';
import { layerStep } from '../specs';
import { isHighContrast } from '../theme';
import { indexChoices } from '../../src/core/report/indexView';
import type { ChartModule } from './types';

export interface SmallMultipleRow {
  index: string;
  label: string;
  layer: string;
  layerIndex: number;
  median: number;
  /** median scaled to [0, 1] over this index's layers; 0.5 when every layer has the same median. */
  scaled: number;
  shifted: boolean;
  aria: string;
}

export function smallMultiplesData(report: SparsityReport): SmallMultipleRow[] {
  const trained = report.passes[0];
  if (!trained) return [];
  const rows: SmallMultipleRow[] = [];
  for (const c of indexChoices(report)) {
    const med = trained.layers.map((l) => l.indices?.[c.id]?.summary.median ?? NaN);
    const finite = med.filter(Number.isFinite);
    if (finite.length === 0) continue;
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    trained.layers.forEach((l, i) => {
      if (!Number.isFinite(med[i])) return;
      const scaled = hi > lo ? (med[i] - lo) / (hi - lo) : 0.5;
      rows.push({ index: c.id, label: c.label, layer: l.name, layerIndex: l.index, median: med[i], scaled, shifted: l.indices[c.id].shifted, aria: `${c.id}, layer ${l.name}: median ${fmt(med[i], 3)}` });
    });
  }
  return rows;
}

export function smallMultiplesSpec(report: SparsityReport, t: Parameters<ChartModule['spec']>[1]): VlSpec {
  const rows = smallMultiplesData(report);
  const layers = (report.passes[0]?.layers ?? []).map((l) => l.name);
  const ids = [...new Set(rows.map((r) => r.index))];
  const hc = isHighContrast(t);
  const x = { field: 'layer', type: 'ordinal', sort: layers, title: null, axis: { labelAngle: layers.length > 6 ? -40 : 0 } };
  const y = { field: 'scaled', type: 'quantitative', title: 'scaled median', scale: { domain: [0, 1] }, axis: { values: [0, 0.5, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Median by layer of ${ids.length} sparseness indices (trained model), each scaled to its own range over the layers.`,
    data: { values: rows },
    facet: { field: 'index', type: 'nominal', sort: ids, title: null, header: { labelFontWeight: 700 } },
    columns: Math.min(4, Math.max(1, ids.length)),
    spec: {
      width: { step: Math.max(18, Math.round(layerStep(layers.length) / 2.5)) },
      height: 110,
      layer: [
        { mark: { type: 'line', color: t.trained, strokeWidth: hc ? 3 : 2 }, encoding: { x, y } },
        {
          name: 'indexMedian',
          mark: { type: 'point', filled: true, color: t.trained, size: hc ? 60 : 40, ...(hc ? { stroke: t.foreground } : {}) },
          encoding: {
            x,
            y,
            shape: { field: 'shifted', type: 'nominal', scale: { domain: [false, true], range: ['circle', 'triangle-up'] }, legend: { title: 'shifted (negative responses)', titleLimit: 400, orient: 'bottom' } },
            description: { field: 'aria', type: 'nominal' },
            tooltip: [
              { field: 'label', title: 'index' },
              { field: 'layer', title: 'layer' },
              { field: 'median', title: 'median', format: '.4f' },
              { field: 'scaled', title: 'scaled', format: '.2f' },
              { field: 'shifted', title: 'shifted' },
            ],
          },
        },
      ],
    },
  };
}

export const INDEX_SMALL_MULTIPLES: ChartModule = {
  id: 'index-small-multiples',
  title: 'Every index by layer',
  note: 'Median of each index per layer (trained model), scaled to that index\'s own range over the layers: compare the shapes (the dip, the rise). Triangles: responses shifted by the layer minimum (raw indices of negative responses).',
  available: (r) => indexChoices(r).length > 1,
  spec: (_view, t, full) => smallMultiplesSpec(full, t),
};
