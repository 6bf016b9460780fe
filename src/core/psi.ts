/**
 * Population sparseness index exactly as METHOD §4–5 (and the authors' activation_PSI.py):
 * z-score each unit across categories (ddof 0, zero variance → 0), then min-max scale each
 * category across units to [0, 1], then Vinje & Gallant's index per category.
 */

/**
 * Normalises a row-major [categories x units] matrix of category-mean responses in the
 * study's order. Returns a new Float64Array; the input is not modified.
 */
export function normaliseResponses(r: ArrayLike<number>, categories: number, units: number): Float64Array {
  const z = new Float64Array(categories * units);
  // 1. z-score every unit (column) across categories, population sd.
  for (let u = 0; u < units; u++) {
    let mean = 0;
    for (let c = 0; c < categories; c++) mean += r[c * units + u];
    mean /= categories;
    let ss = 0;
    for (let c = 0; c < categories; c++) {
      const d = r[c * units + u] - mean;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / categories);
    for (let c = 0; c < categories; c++) z[c * units + u] = sd > 0 ? (r[c * units + u] - mean) / sd : 0;
  }
  // 2. min-max scale every category (row) across units to [0, 1]; a constant row becomes 0.
  for (let c = 0; c < categories; c++) {
    const o = c * units;
    let lo = Infinity;
    let hi = -Infinity;
    for (let u = 0; u < units; u++) {
      const v = z[o + u];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    for (let u = 0; u < units; u++) z[o + u] = range > 0 ? (z[o + u] - lo) / range : 0;
  }
  return z;
}

/** Vinje & Gallant (2000) sparseness of one non-negative vector; all-zero → 0; N = 1 → 0. */
export function vinjeGallant(r: ArrayLike<number>, offset = 0, n = r.length - offset): number {
  if (n < 2) return 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r[offset + i];
    s += v;
    s2 += v * v;
  }
  if (s2 === 0) return 0; // a = 1 by definition when every r is 0
  const a = (s / n) ** 2 / (s2 / n);
  return (1 - a) / (1 - 1 / n);
}

/** PSI per category for one layer's [categories x units] category-mean responses. */
export function layerPsi(r: ArrayLike<number>, categories: number, units: number): number[] {
  const z = normaliseResponses(r, categories, units);
  const out: number[] = new Array(categories);
  for (let c = 0; c < categories; c++) out[c] = vinjeGallant(z, c * units, units);
  return out;
}
