/**
 * CSV tables of the sparseness indices (issue 11), registered in csv.ts CSV_TABLES: one long
 * table of every value, the summary per index, and the per-layer diagnostics. Pure (bundled by
 * the standalone page). Cells as csv.ts: full precision, empty for missing or non-finite.
 */
import type { SparsityReport } from './schema';

/** Long format: pass, layer, index, axis, category (per-category indices) or unit (per-unit), value. */
export function indicesCsv(report: SparsityReport): unknown[][] {
  const rows: unknown[][] = [['pass', 'layer', 'index', 'axis', 'category', 'unit', 'value']];
  for (const p of report.passes) {
    for (const l of p.layers) {
      for (const [id, ix] of Object.entries(l.indices ?? {})) {
        if (ix.axis === 'category') ix.values.forEach((v, i) => rows.push([p.id, l.name, id, ix.axis, report.categories[i]?.name, undefined, v]));
        else ix.values.forEach((v, u) => rows.push([p.id, l.name, id, ix.axis, undefined, u, v]));
      }
    }
  }
  return rows;
}

/** Per pass, layer and index: summary, shifted flag, r/p with accuracy (trained, per-category indices), the pass's depth trend of the index. */
export function indexSummaryCsv(report: SparsityReport): unknown[][] {
  const rows: unknown[][] = [['pass', 'layer', 'layer_index', 'index', 'axis', 'shifted', 'n', 'median', 'q1', 'q3', 'mean', 'min', 'max', 'r_accuracy', 'p_accuracy', 'trend_tau', 'trend_p']];
  for (const p of report.passes) {
    for (const l of p.layers) {
      for (const [id, ix] of Object.entries(l.indices ?? {})) {
        const c = p.kind === 'trained' ? report.indexAccuracy?.[id]?.perLayer.find((x) => x.layer === l.name) : undefined;
        const t = p.trends?.[id];
        const s = ix.summary;
        rows.push([p.id, l.name, l.index, id, ix.axis, ix.shifted, ix.values.length, s.median, s.q1, s.q3, s.mean, s.min, s.max, c?.r, c?.p, t?.tau, t?.p]);
      }
    }
  }
  return rows;
}

/** Per pass and layer: dead-unit fraction, mean response, participation ratio. */
export function diagnosticsCsv(report: SparsityReport): unknown[][] {
  const rows: unknown[][] = [['pass', 'layer', 'layer_index', 'units', 'dead_fraction', 'mean_response', 'participation_ratio']];
  for (const p of report.passes) {
    for (const l of p.layers) {
      const d = l.diagnostics;
      if (d) rows.push([p.id, l.name, l.index, l.units, d.deadFraction, d.meanResponse, d.participationRatio]);
    }
  }
  return rows;
}

/** Whether any layer has diagnostics (reports upgraded from version 1 have none). */
export function hasDiagnostics(report: SparsityReport): boolean {
  return report.passes.some((p) => p.layers.some((l) => l.diagnostics !== undefined));
}
