/**
 * Gini index of sparsity (Hurley & Rickard 2009): sort c ascending,
 * G = 1 − 2 Σ_k (c_k / ‖c‖₁) (N − k + ½) / N (k = 1..N); 1 − 1/N for one active unit, 0 for all equal; all-zero → 0.
 */
import type { Measure } from './types';

export function gini(v: ArrayLike<number>, offset = 0, n = v.length - offset): number {
  if (n < 1) return 0;
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = Math.abs(v[offset + i]);
  c.sort();
  let l1 = 0;
  for (let i = 0; i < n; i++) l1 += c[i];
  if (l1 === 0) return 0;
  let s = 0;
  for (let k = 1; k <= n; k++) s += (c[k - 1] / l1) * ((n - k + 0.5) / n);
  return 1 - 2 * s;
}

export const GINI: Measure = {
  id: 'gini',
  label: 'Gini',
  bounded: true,
  reference: 'Hurley & Rickard (2009), IEEE Trans. Inf. Theory 55:4723',
  value: gini,
};
