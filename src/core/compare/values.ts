/**
 * The values of one sparseness index for one layer of a report. The index is a parameter
 * (issue 11's registry ids: `psi`, `hoyer:raw`, …): `psi` is the report's own per-category PSI;
 * other ids are read from the layer's `indices` once the report carries them (schema work of
 * issue 11). A report without the index is an error naming the index and the fix, never a
 * silent fallback to another index.
 */
import { DEFAULT_INDEX, INDEX_IDS, indexById } from '../measures/registry';
import type { LayerPsi } from '../report/schema';
import { UserError } from '../types';

export interface IndexInfo {
  id: string;
  label: string;
  axis: 'category' | 'unit';
}

export function indexInfo(id: string): IndexInfo {
  const idx = indexById(id);
  if (!idx) throw new UserError(`Unknown index "${id}". Known indices: ${INDEX_IDS.join(', ')}.`, 'E_COMPARE');
  return { id: idx.id, label: idx.label, axis: idx.axis };
}

/** Pulls number[] out of the shapes an index entry may have (`number[]` or `{ values: number[] }`). */
function asValues(entry: unknown): number[] | undefined {
  const v = Array.isArray(entry) ? entry : typeof entry === 'object' && entry !== null ? (entry as { values?: unknown }).values : undefined;
  return Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null) ? v.map((x) => (x === null ? NaN : (x as number))) : undefined;
}

/**
 * One value per category (or per unit) of `layer` for index `id`, or undefined when the
 * report does not have it (the caller names the report in its error).
 */
export function layerIndexValues(layer: LayerPsi, id: string): number[] | undefined {
  if (id === DEFAULT_INDEX) return layer.psi;
  const indices = (layer as unknown as { indices?: unknown }).indices;
  if (typeof indices !== 'object' || indices === null) return undefined;
  return asValues((indices as Record<string, unknown>)[id]);
}

/** The report's own summary of the index for this layer (psi: layer.summary; others: indices[id].summary), if it has one. */
export function layerIndexSummary(layer: LayerPsi, id: string): { median: number; q1: number; q3: number } | undefined {
  if (id === DEFAULT_INDEX) return layer.summary;
  const entry = ((layer as unknown as { indices?: Record<string, unknown> }).indices ?? {})[id];
  const s = typeof entry === 'object' && entry !== null ? (entry as { summary?: unknown }).summary : undefined;
  if (typeof s !== 'object' || s === null) return undefined;
  const { median, q1, q3 } = s as Record<string, unknown>;
  return typeof median === 'number' && typeof q1 === 'number' && typeof q3 === 'number' ? { median, q1, q3 } : undefined;
}

/** The report's own depth trend of the index for a pass (psi: depthTrend; others: trends[id]), if it has one. */
export function passIndexTrend(pass: { depthTrend: { tau: number; p: number; n: number } }, id: string): { tau: number; p: number; n: number } | undefined {
  if (id === DEFAULT_INDEX) return pass.depthTrend;
  const t = ((pass as unknown as { trends?: Record<string, unknown> }).trends ?? {})[id];
  if (typeof t !== 'object' || t === null) return undefined;
  const { tau, p, n } = t as Record<string, unknown>;
  return typeof tau === 'number' && typeof p === 'number' && typeof n === 'number' ? { tau, p, n } : undefined;
}

/**
 * The indices every given report holds for every layer of every pass (registry order, `psi`
 * first): what a comparison of these reports can be made on. The panel offers these.
 */
export function sharedIndices(reports: readonly { passes: readonly { layers: readonly LayerPsi[] }[] }[]): IndexInfo[] {
  return INDEX_IDS.filter((id) => reports.every((r) => r.passes.every((p) => p.layers.every((l) => layerIndexValues(l, id) !== undefined)))).map(indexInfo);
}
