/**
 * `raw`: R as it is when every value is ≥ 0 (ReLU outputs). The measures on it (Vinje–Gallant,
 * Hoyer, Gini) are defined for non-negative vectors only, so where a layer has negative values
 * (no-ReLU control, GELU, block outputs without a final ReLU) R − min(R) over the whole layer
 * matrix is used instead and the report flags the layer as shifted: the number is then a
 * property of the shifted responses, which the reader must know.
 */
import type { Normalisation, Normalised } from '../types';

export function rawResponses(r: ArrayLike<number>, categories: number, units: number): Normalised {
  const n = categories * units;
  let lo = Infinity;
  for (let i = 0; i < n; i++) if (r[i] < lo) lo = r[i];
  if (!(lo < 0)) return { matrix: r, shifted: false };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = r[i] - lo;
  return { matrix: out, shifted: true };
}

export const RAW: Normalisation = { id: 'raw', label: 'raw responses (shifted by the layer minimum when negative)', apply: rawResponses };
