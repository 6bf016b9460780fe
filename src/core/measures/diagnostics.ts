/**
 * Per-layer diagnostics beside the indices (issue 11): what else changes from layer to layer,
 * so a dip in PSI can be seen to coincide with something here, or not.
 */
import type { LayerResponses } from './types';

export interface LayerDiagnosticsValues {
  /** Fraction of units whose category mean is exactly 0 in every category (dead ReLU units). */
  deadFraction: number;
  /** Mean of R over categories and units. */
  meanResponse: number;
  /**
   * Effective dimensionality of the category means: participation ratio (Σλ)² / Σλ² of the
   * eigenvalues λ of the units' covariance across categories. NaN when no unit varies.
   */
  participationRatio: number;
}

/**
 * (Σλ)² / Σλ² without an eigen-decomposition: Σλ = trace(C) and Σλ² = trace(C²) = ‖C‖²_F for
 * the symmetric covariance C, so PR = trace(C)² / ‖C‖²_F exactly. The covariance's scale
 * (1/K or 1/(K−1)) cancels. With X the column-centred R [K x U], C ∝ XᵀX [U x U], and ‖XᵀX‖_F =
 * ‖XXᵀ‖_F, so the smaller Gram matrix is used: min(K, U)² · max(K, U) / 2 multiply-adds
 * (AlexNet fc at 1000 categories: 2·10⁹, a few seconds), never an U x U matrix in memory.
 */
export function participationRatio(r: ArrayLike<number>, categories: number, units: number): number {
  const K = categories;
  const U = units;
  const x = new Float64Array(K * U);
  const mean = new Float64Array(U);
  for (let c = 0; c < K; c++) for (let u = 0; u < U; u++) mean[u] += r[c * U + u];
  for (let u = 0; u < U; u++) mean[u] /= K;
  let trace = 0;
  for (let c = 0; c < K; c++) {
    for (let u = 0; u < U; u++) {
      const d = r[c * U + u] - mean[u];
      x[c * U + u] = d;
      trace += d * d;
    }
  }
  if (!(trace > 0)) return NaN;
  let frob = 0;
  if (K <= U) {
    // Rows are contiguous: G[a][b] = row a · row b, upper triangle counted twice.
    for (let a = 0; a < K; a++) {
      const oa = a * U;
      for (let b = a; b < K; b++) {
        const ob = b * U;
        let g = 0;
        for (let u = 0; u < U; u++) g += x[oa + u] * x[ob + u];
        frob += a === b ? g * g : 2 * g * g;
      }
    }
  } else {
    // Columns: transpose once for contiguous dot products.
    const t = new Float64Array(U * K);
    for (let c = 0; c < K; c++) for (let u = 0; u < U; u++) t[u * K + c] = x[c * U + u];
    for (let a = 0; a < U; a++) {
      const oa = a * K;
      for (let b = a; b < U; b++) {
        const ob = b * K;
        let g = 0;
        for (let c = 0; c < K; c++) g += t[oa + c] * t[ob + c];
        frob += a === b ? g * g : 2 * g * g;
      }
    }
  }
  return (trace * trace) / frob;
}

export function layerDiagnostics({ r, categories, units }: LayerResponses): LayerDiagnosticsValues {
  let dead = 0;
  for (let u = 0; u < units; u++) {
    let zero = true;
    for (let c = 0; c < categories && zero; c++) if (r[c * units + u] !== 0) zero = false;
    if (zero) dead++;
  }
  let sum = 0;
  const n = categories * units;
  for (let i = 0; i < n; i++) sum += r[i];
  return {
    deadFraction: units > 0 ? dead / units : NaN,
    meanResponse: n > 0 ? sum / n : NaN,
    participationRatio: participationRatio(r, categories, units),
  };
}
