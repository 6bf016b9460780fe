/**
 * The panel's index selector (issue 11): the report seen through one sparseness index. Every
 * chart (webview/specs.ts, webview/charts/) and table (tables.ts) of the panel reads a layer's `psi`/`summary`, a pass's `depthTrend`,
 * `psiAccuracy` and `controls`; indexView puts the chosen index's values in those places, so
 * they all switch with one choice and none needs an index parameter of its own. Pure.
 */
import { indexById } from '../measures/registry';
import type { IndexAxis, SparsityReport } from './schema';

export interface IndexChoice {
  id: string;
  label: string;
  axis: IndexAxis;
  /** Values in [0, 1] (charts fix the axis there). */
  bounded: boolean;
}

/** The report's view through one index; `index` says which (absent: psi, the report itself). */
export type IndexView = SparsityReport & { index?: IndexChoice };

const PSI: IndexChoice = { id: 'psi', label: 'PSI', axis: 'category', bounded: true };

function choiceOf(id: string, axis: IndexAxis): IndexChoice {
  const known = indexById(id);
  // An id this build does not know (a newer report): shown by its id, its axis from the report, unbounded.
  return { id, label: known?.label ?? id, axis, bounded: known?.bounded ?? false };
}

/** Indices every layer of the trained pass has, in the report's order (psi first). */
export function indexChoices(report: SparsityReport): IndexChoice[] {
  const layers = report.passes[0]?.layers ?? [];
  if (layers.length === 0 || !layers[0].indices) return [PSI];
  return Object.keys(layers[0].indices)
    .filter((id) => layers.every((l) => l.indices?.[id]))
    .map((id) => (id === 'psi' ? PSI : choiceOf(id, layers[0].indices[id].axis)));
}

/** Which index a view shows. */
export function viewIndex(r: SparsityReport): IndexChoice {
  return (r as IndexView).index ?? PSI;
}

/**
 * The report with `id`'s values in the psi places: layer psi/summary, pass depthTrend, the
 * accuracy correlations (no regressions: they are of PSI), the controls. A per-unit index has no
 * per-category values, so the category table shows none for it (`psi` of a layer is then []),
 * and the distribution chart reads its unit values (psiDistributionData). psi or an id the report
 * lacks: the report itself.
 */
export function indexView(report: SparsityReport, id: string): IndexView {
  const choice = indexChoices(report).find((c) => c.id === id);
  if (!choice || id === 'psi') return report;
  const passes = report.passes.map((p) => ({
    ...p,
    layers: p.layers.map((l) => {
      const ix = l.indices[id];
      return ix ? { ...l, psi: ix.axis === 'category' ? ix.values : [], summary: ix.summary } : l;
    }),
    depthTrend: p.trends?.[id] ?? { tau: NaN, p: NaN, n: 0 },
  }));
  const acc = report.indexAccuracy?.[id];
  const by = report.controls?.byIndex?.[id];
  return {
    ...report,
    index: choice,
    passes,
    psiAccuracy: acc ? { method: acc.method, perLayer: acc.perLayer, trend: acc.trend, regressions: [] } : undefined,
    controls: report.controls ? { ...report.controls, medians: by?.medians ?? {}, trends: by?.trends ?? {}, riseSurvives: by?.riseSurvives ?? {}, permutedSpread: by?.permutedSpread } : undefined,
  };
}
