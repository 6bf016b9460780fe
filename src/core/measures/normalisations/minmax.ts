/** `minmax`: min-max each category (row) across units to [0, 1] only, without the z-score (isolates the z-score's effect). */
import type { Normalisation } from '../types';

/** Row-wise min-max as step 2 of METHOD §4 (a constant row becomes 0), on R itself. */
export function minmaxRows(r: ArrayLike<number>, categories: number, units: number): Float64Array {
  const out = new Float64Array(categories * units);
  for (let c = 0; c < categories; c++) {
    const o = c * units;
    let lo = Infinity;
    let hi = -Infinity;
    for (let u = 0; u < units; u++) {
      const v = r[o + u];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    for (let u = 0; u < units; u++) out[o + u] = range > 0 ? (r[o + u] - lo) / range : 0;
  }
  return out;
}

export const MINMAX: Normalisation = {
  id: 'minmax',
  label: 'min-max categories only',
  apply: (r, categories, units) => ({ matrix: minmaxRows(r, categories, units), shifted: false }),
};
