/**
 * The statistics of every sparseness index (issue 11), each taking the index id as a parameter:
 * per layer values, summary and diagnostics; per pass the depth trend; for per-category indices
 * the correlation with accuracy and its trend; the control comparison. buildReport.ts calls these;
 * the psi-only fields it has always written stay as they were (and equal the `psi` entries).
 */
import { layerDiagnostics } from './measures/diagnostics';
import { indicesToCompute } from './measures/registry';
import type { LayerResponses } from './measures/types';
import type { IndexAccuracy, IndexControls, LayerDiagnostics, LayerIndex, LayerPsi, PassResult, TrendStat } from './report/schema';
import { kendallTauB, pearson, spearman, spread } from './stats';

/**
 * Every chosen index of one layer (`psi` always; its values are `psi`, the array buildReport
 * already computed with layerPsi, so the two cannot differ) and its diagnostics. An index that
 * cannot be computed from what the run has (`active` from an old checkpoint) is left out and named in `missing`.
 * `diagnostics: false` (live partial reports, every ≥ 2 s) leaves them out: the participation
 * ratio costs min(K, U)²·max(K, U) (seconds per fc layer at 1,000 categories), too much to repeat.
 */
export function layerIndices(
  layer: LayerResponses,
  chosen: readonly string[] | undefined,
  psi: number[],
  options: { diagnostics: boolean } = { diagnostics: true },
): { indices: Record<string, LayerIndex>; diagnostics?: LayerDiagnostics; missing: string[] } {
  const indices: Record<string, LayerIndex> = {};
  const missing: string[] = [];
  for (const index of indicesToCompute(chosen)) {
    const v = index.id === 'psi' ? { values: psi, shifted: false } : index.compute(layer);
    if (!v) {
      missing.push(index.id);
      continue;
    }
    indices[index.id] = { axis: index.axis, values: v.values, summary: spread(v.values), shifted: v.shifted };
  }
  return { indices, ...(options.diagnostics ? { diagnostics: layerDiagnostics(layer) } : {}), missing };
}

/** Depth trend of one index (METHOD §6 for any index): Kendall tau-b of layer index vs the pooled values of every layer. */
export function indexTrend(layers: LayerPsi[], id: string): TrendStat {
  const x: number[] = [];
  const y: number[] = [];
  for (const l of layers) {
    const v = l.indices[id]?.values;
    if (!v) continue;
    for (const value of v) {
      x.push(l.index);
      y.push(value);
    }
  }
  const { tau, p, n } = kendallTauB(x, y);
  return { tau, p, n };
}

/** Ids present in every layer of the pass (an index missing in one layer gets no pooled trend). */
export function passIndexIds(layers: LayerPsi[]): string[] {
  if (layers.length === 0) return [];
  return Object.keys(layers[0].indices).filter((id) => layers.every((l) => l.indices[id] !== undefined));
}

export function indexTrends(layers: LayerPsi[]): Record<string, TrendStat> {
  return Object.fromEntries(passIndexIds(layers).map((id) => [id, indexTrend(layers, id)]));
}

/** Per-category indices of the trained pass against accuracy: r (and p) per layer, Kendall tau of r vs layer index. */
export function indexAccuracy(trained: PassResult, accuracy: number[], method: 'pearson' | 'spearman'): Record<string, IndexAccuracy> {
  const corr = method === 'spearman' ? spearman : pearson;
  const out: Record<string, IndexAccuracy> = {};
  for (const id of passIndexIds(trained.layers)) {
    if (trained.layers[0].indices[id].axis !== 'category') continue;
    const perLayer = trained.layers.map((l) => ({ layer: l.name, ...corr(l.indices[id].values, accuracy) }));
    const t = kendallTauB(
      trained.layers.map((l) => l.index),
      perLayer.map((c) => c.r),
    );
    out[id] = { method, perLayer, trend: { tau: t.tau, p: t.p, n: t.n } };
  }
  return out;
}

/** Trained vs each control for every index (as buildReport's controlComparison does for psi). */
export function indexControls(passes: PassResult[]): Record<string, IndexControls> {
  const ids = passIndexIds(passes[0].layers).filter((id) => passes.every((p) => p.trends[id] !== undefined));
  const out: Record<string, IndexControls> = {};
  for (const id of ids) {
    const medians: Record<string, number[]> = {};
    const trends: Record<string, TrendStat> = {};
    const riseSurvives: Record<string, boolean> = {};
    for (const p of passes) {
      medians[p.id] = p.layers.map((l) => l.indices[id].summary.median);
      trends[p.id] = p.trends[id];
      riseSurvives[p.id] = p.trends[id].tau > 0 && p.trends[id].p < 0.05;
    }
    const permuted = passes.filter((p) => p.kind === 'permuted');
    const c: IndexControls = { medians, trends, riseSurvives };
    if (permuted.length) {
      const per = passes[0].layers.map((_, li) => permuted.map((p) => p.layers[li].indices[id].summary.median));
      c.permutedSpread = { median: per.map((v) => spread(v).median), min: per.map((v) => Math.min(...v)), max: per.map((v) => Math.max(...v)) };
    }
    out[id] = c;
  }
  return out;
}
