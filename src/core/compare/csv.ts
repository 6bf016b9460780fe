/**
 * comparison.csv: long format, one row per run, pass and layer (pure; panel export and the
 * standalone page's download use it too). Cells through report/csv.ts (full precision, empty
 * for a missing or non-finite value).
 */
import { toCsv } from '../report/csv';
import type { Comparison } from './schema';

export const COMPARISON_CSV_COLUMNS = ['run', 'model', 'weights', 'dataset', 'pass', 'layer', 'depth', 'index', 'median', 'q1', 'q3', 'ci_low', 'ci_high', 'n'] as const;

export function comparisonCsv(c: Comparison): string {
  const rows: unknown[][] = [[...COMPARISON_CSV_COLUMNS]];
  for (const r of c.runs) {
    const w = r.model.weights ? (r.model.weights.kind === 'random' ? `random:${r.model.weights.seed}` : `pretrained:${r.model.weights.name}`) : '';
    for (const p of r.passes) for (const l of p.layers) rows.push([r.id, r.model.name, w, r.dataset.name, p.id, l.name, l.relativeDepth, c.index.id, l.median, l.q1, l.q3, l.ciLow, l.ciHigh, l.n]);
  }
  return toCsv(rows);
}

/** Paired part, long format: pair, layers, category, A, B, B - A. */
export function pairedCsv(c: Comparison): string {
  const rows: unknown[][] = [['a', 'b', 'layer_a', 'layer_b', 'matched_by', 'wilcoxon_statistic', 'wilcoxon_p', 'median_difference']];
  for (const p of c.paired) for (const l of p.layers) rows.push([p.a, p.b, l.layerA, l.layerB, l.matchedBy, l.wilcoxon.statistic, l.wilcoxon.p, l.medianDifference]);
  return toCsv(rows);
}
