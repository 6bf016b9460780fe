/** Hoyer (2004) sparseness: (√N − L1/L2) / (√N − 1); 1 for one active unit, 0 for all equal; all-zero → 0. */
import type { Measure } from './types';

export function hoyer(v: ArrayLike<number>, offset = 0, n = v.length - offset): number {
  // √N − 1 = 0 for one unit: no spread to measure, 0 as Vinje–Gallant gives for N = 1.
  if (n < 2) return 0;
  let l1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = v[offset + i];
    l1 += Math.abs(x);
    s2 += x * x;
  }
  if (s2 === 0) return 0;
  const sq = Math.sqrt(n);
  return (sq - l1 / Math.sqrt(s2)) / (sq - 1);
}

export const HOYER: Measure = {
  id: 'hoyer',
  label: 'Hoyer',
  bounded: true,
  reference: 'Hoyer (2004), J. Mach. Learn. Res. 5:1457',
  value: hoyer,
};
