/**
 * Excess kurtosis across the vector, as scipy.stats.kurtosis(r, fisher=True, bias=True):
 * m4 / m2² − 3 with central moments about the mean (divisor N). A constant vector → 0 (scipy
 * gives NaN there); "constant" uses scipy's own test, m2 ≤ (1e-15 · mean)², so a vector that is
 * constant up to rounding of its mean is 0 too, not a huge number made of rounding error.
 */
import type { Measure } from './types';

/** numpy's finfo(float64).resolution, which scipy.stats.kurtosis uses for its near-constant test. */
const RESOLUTION = 1e-15;

export function kurtosis(v: ArrayLike<number>, offset = 0, n = v.length - offset): number {
  if (n < 1) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += v[offset + i];
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = v[offset + i] - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  if (m2 <= (RESOLUTION * mean) ** 2) return 0;
  return m4 / (m2 * m2) - 3;
}

export const KURTOSIS: Measure = {
  id: 'kurtosis',
  label: 'kurtosis',
  bounded: false,
  reference: 'excess kurtosis (Fisher), as scipy.stats.kurtosis(bias=True); Lehky, Sejnowski & Desimone (2005)',
  value: kurtosis,
};
