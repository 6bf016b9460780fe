/**
 * Statistics of the analysis (METHOD §5–§7), written to agree with the reference
 * implementations the study used: numpy (quantiles), scipy 1.10 (kendalltau, pearsonr,
 * spearmanr) and statsmodels (OLS). test/fixtures/stats/make_fixtures.py stores those
 * libraries' answers; test/core/stats.test.ts checks ours against them.
 *
 * Distribution functions come from @stdlib (ports of Boost / FreeBSD libm, accurate to a
 * few ulp, so p-values match scipy's to ~1e-12 relative even when tiny).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
import betainc = require('@stdlib/math-base-special-betainc');
// eslint-disable-next-line @typescript-eslint/no-var-requires
import erfc = require('@stdlib/math-base-special-erfc');
import type { RegressionCoefficient, RegressionResult, Spread } from './report/schema';

type Numbers = ArrayLike<number>;

export interface CorrelationResult {
  /** Statistic (Pearson r, Spearman rho or Kendall tau-b). NaN when undefined (constant input, NaN input, n < 2). */
  r: number;
  /** Two-sided p-value. */
  p: number;
  /** Number of pairs. */
  n: number;
}

export interface KendallResult {
  tau: number;
  p: number;
  n: number;
}

// ---------------------------------------------------------------------------------------
// Distribution helpers
// ---------------------------------------------------------------------------------------

/** Two-sided p-value of a standard normal statistic: 2 * norm.sf(|z|) (scipy: erfc(|z|/sqrt2)). */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return Math.min(1, erfc(Math.abs(z) * Math.SQRT1_2));
}

/** Two-sided p-value of a Student t statistic with `df` degrees of freedom: 2 * t.sf(|t|, df). */
export function tTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || !(df > 0)) return NaN;
  const a = Math.abs(t);
  if (a === Infinity) return 0;
  const t2 = a * a;
  if (t2 === Infinity) return 0;
  // 2*sf = I_{df/(df+t²)}(df/2, 1/2). Use whichever argument is away from 1 for accuracy.
  if (t2 < df) {
    return Math.min(1, betainc(t2 / (df + t2), 0.5, df / 2, true, true));
  }
  return Math.min(1, betainc(df / (df + t2), df / 2, 0.5, true, false));
}

// ---------------------------------------------------------------------------------------
// Quantiles and spread
// ---------------------------------------------------------------------------------------

function hasNaN(v: Numbers): boolean {
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i])) return true;
  return false;
}

function sortedCopy(values: Numbers): Float64Array {
  const s = Float64Array.from(values as ArrayLike<number>);
  s.sort(); // typed-array sort is numeric
  return s;
}

/** Quantile of already sorted values (ascending), numpy's default 'linear' method. */
function quantileSorted(s: Numbers, q: number): number {
  const n = s.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = s[lo];
  const b = s[hi];
  // numpy's _lerp: a + (b-a)*t, computed from the upper end when t >= 0.5 (monotone, exact ends).
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * The q-quantile (q in [0, 1]) of `values` exactly as numpy.quantile(values, q) with its
 * default linear interpolation. NaN if the input is empty or contains NaN (numpy propagates NaN).
 * Pass `sorted = true` to skip the sort when `values` is already ascending.
 */
export function quantile(values: Numbers, q: number, sorted = false): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  if (values.length === 0 || hasNaN(values)) return NaN;
  return quantileSorted(sorted ? values : sortedCopy(values), q);
}

/** Median, quartiles (numpy linear), mean, min, max. All NaN when empty or when any value is NaN. */
export function spread(values: Numbers): Spread {
  const n = values.length;
  if (n === 0 || hasNaN(values)) return { median: NaN, q1: NaN, q3: NaN, mean: NaN, min: NaN, max: NaN };
  const s = sortedCopy(values);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return {
    median: quantileSorted(s, 0.5),
    q1: quantileSorted(s, 0.25),
    q3: quantileSorted(s, 0.75),
    mean: sum / n,
    min: s[0],
    max: s[n - 1],
  };
}

// ---------------------------------------------------------------------------------------
// Ranks
// ---------------------------------------------------------------------------------------

function argsort(v: Numbers): Uint32Array {
  const idx = new Uint32Array(v.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  // Stable (Array.prototype.sort is stable; typed-array sort with comparator is too in V8 ≥ 7).
  idx.sort((a, b) => (v[a] < v[b] ? -1 : v[a] > v[b] ? 1 : a - b));
  return idx;
}

/** Dense ranks 1..k (equal values share a rank), as scipy builds them inside kendalltau. */
function denseRanks(v: Numbers): { ranks: Int32Array; counts: number[] } {
  const n = v.length;
  const order = argsort(v);
  const ranks = new Int32Array(n);
  const counts: number[] = [];
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0 || v[order[i]] !== v[order[i - 1]]) {
      r++;
      counts.push(0);
    }
    ranks[order[i]] = r;
    counts[r - 1]++;
  }
  return { ranks, counts };
}

/** Average ranks (1-based, ties get the mean of their positions): scipy.stats.rankdata(method='average'). */
export function rankAverage(v: Numbers): Float64Array {
  const n = v.length;
  const order = argsort(v);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && v[order[j]] === v[order[i]]) j++;
    const avg = (i + 1 + j) / 2; // mean of positions i+1..j
    for (let k = i; k < j; k++) out[order[k]] = avg;
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Kendall tau-b
// ---------------------------------------------------------------------------------------

function checkPair(x: Numbers, y: Numbers, what: string): void {
  if (x.length !== y.length) throw new RangeError(`${what}: x and y must have the same length (got ${x.length} and ${y.length})`);
}

/** Exact two-sided p-value of Kendall's tau without ties (scipy.stats._mstats_basic._kendall_p_exact). */
export function kendallExactP(n: number, c: number): number {
  const tot = (n * (n - 1)) / 2;
  c = Math.min(c, tot - c);
  let prob: number;
  if (n <= 0) throw new RangeError(`kendallExactP: n (${n}) must be positive`);
  if (c < 0 || 4 * c > n * (n - 1)) throw new RangeError(`kendallExactP: c (${c}) out of range`);
  if (n === 1 || n === 2) prob = 1;
  else if (c === 0) prob = n < 171 ? 2 / factorial(n) : 0;
  else if (c === 1) prob = n < 172 ? 2 / factorial(n - 1) : 0;
  else if (4 * c === n * (n - 1)) prob = 1;
  else if (n < 171) {
    let cur = new Float64Array(c + 1);
    cur[0] = 1;
    cur[1] = 1;
    for (let j = 3; j <= n; j++) {
      const next = new Float64Array(c + 1);
      let acc = 0;
      for (let k = 0; k <= c; k++) next[k] = acc += cur[k];
      if (j <= c) for (let k = c; k >= j; k--) next[k] -= next[k - j];
      cur = next;
    }
    let sum = 0;
    for (let k = 0; k <= c; k++) sum += cur[k];
    prob = (2 * sum) / factorial(n);
  } else {
    let cur = new Float64Array(c + 1);
    cur[0] = 1;
    cur[1] = 1;
    for (let j = 3; j <= n; j++) {
      const next = new Float64Array(c + 1);
      let acc = 0;
      for (let k = 0; k <= c; k++) next[k] = (acc += cur[k]) / j;
      if (j <= c) for (let k = c; k >= j; k--) next[k] -= next[k - j];
      cur = next;
    }
    let sum = 0;
    for (let k = 0; k <= c; k++) sum += cur[k];
    prob = sum;
  }
  return Math.min(1, Math.max(0, prob));
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/**
 * Kendall's tau-b with its two-sided p-value, as scipy.stats.kendalltau(x, y) (variant 'b',
 * method 'auto'): the exact null distribution when there are no ties and n <= 33 (or the
 * ranking is perfect up to one discordant pair), else the normal approximation with the
 * tie-corrected variance. O(n log n) (dense ranks + Fenwick tree for discordant pairs).
 * NaN (tau and p) when empty, when any value is NaN, or when x or y is constant.
 * p may underflow to 0 exactly as scipy's does.
 */
export function kendallTauB(x: Numbers, y: Numbers): KendallResult {
  checkPair(x, y, 'kendallTauB');
  const n = x.length;
  if (n === 0 || hasNaN(x) || hasNaN(y)) return { tau: NaN, p: NaN, n };

  const rx = denseRanks(x);
  const ry = denseRanks(y);
  // Order by (x rank, y rank).
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const xr = rx.ranks;
  const yr = ry.ranks;
  order.sort((a, b) => xr[a] - xr[b] || yr[a] - yr[b]); // integer ranks: subtraction is safe

  // Discordant pairs: for each element, earlier elements with smaller x and larger y.
  const sup = ry.counts.length + 1;
  const tree = new Float64Array(sup);
  let dis = 0;
  let i = 0;
  while (i < n) {
    let k = i;
    while (k < n && xr[order[k]] === xr[order[i]]) {
      // elements before the current x group: i of them; subtract those with y <= y[k]
      dis += i;
      for (let idx = yr[order[k]]; idx > 0; idx &= idx - 1) dis -= tree[idx];
      k++;
    }
    for (; i < k; i++) {
      for (let idx = yr[order[i]]; idx < sup; idx += idx & -idx) tree[idx] += 1;
    }
  }

  // Joint ties (same x and same y).
  let ntie = 0;
  let run = 1;
  for (let j = 1; j <= n; j++) {
    if (j < n && xr[order[j]] === xr[order[j - 1]] && yr[order[j]] === yr[order[j - 1]]) run++;
    else {
      ntie += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  const tieStats = (counts: number[]): [number, number, number] => {
    let t = 0;
    let v0 = 0;
    let v1 = 0;
    for (const c of counts) {
      if (c > 1) {
        t += (c * (c - 1)) / 2;
        v0 += c * (c - 1) * (c - 2);
        v1 += c * (c - 1) * (2 * c + 5);
      }
    }
    return [t, v0, v1];
  };
  const [xtie, x0, x1] = tieStats(rx.counts);
  const [ytie, y0, y1] = tieStats(ry.counts);
  const tot = (n * (n - 1)) / 2;
  if (xtie === tot || ytie === tot) return { tau: NaN, p: NaN, n };

  const conMinusDis = tot - xtie - ytie + ntie - 2 * dis;
  let tau = conMinusDis / Math.sqrt(tot - xtie) / Math.sqrt(tot - ytie);
  tau = Math.min(1, Math.max(-1, tau));

  let p: number;
  if (xtie === 0 && ytie === 0 && (n <= 33 || Math.min(dis, tot - dis) <= 1)) {
    p = kendallExactP(n, tot - dis);
  } else {
    const m = n * (n - 1);
    const variance = (m * (2 * n + 5) - x1 - y1) / 18 + (2 * xtie * ytie) / m + (x0 * y0) / (9 * m * (n - 2));
    p = normalTwoSidedP(conMinusDis / Math.sqrt(variance));
  }
  return { tau, p, n };
}

// ---------------------------------------------------------------------------------------
// Pearson and Spearman
// ---------------------------------------------------------------------------------------

function isConstant(v: Numbers): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** Euclidean norm without overflow (scaled sum of squares, as LAPACK's nrm2). */
function norm2(v: Float64Array): number {
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a === 0) continue;
    if (scale < a) {
      ssq = 1 + ssq * (scale / a) * (scale / a);
      scale = a;
    } else ssq += (a / scale) * (a / scale);
  }
  return scale * Math.sqrt(ssq);
}

/**
 * Pearson correlation with its two-sided p-value, as scipy.stats.pearsonr(x, y).
 * NaN (r and p) for a constant input or NaN values; n = 2 gives r = ±1, p = 1.
 * Throws for n < 2 or unequal lengths (as scipy raises).
 */
export function pearson(x: Numbers, y: Numbers): CorrelationResult {
  checkPair(x, y, 'pearson');
  const n = x.length;
  if (n < 2) throw new RangeError('pearson: x and y must have length at least 2');
  if (isConstant(x) || isConstant(y)) return { r: NaN, p: NaN, n };
  if (hasNaN(x) || hasNaN(y)) return { r: NaN, p: NaN, n };
  if (n === 2) return { r: Math.sign(x[1] - x[0]) * Math.sign(y[1] - y[0]), p: 1, n };
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  const xm = new Float64Array(n);
  const ym = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xm[i] = x[i] - mx;
    ym[i] = y[i] - my;
  }
  const nx = norm2(xm);
  const ny = norm2(ym);
  let r = 0;
  for (let i = 0; i < n; i++) r += (xm[i] / nx) * (ym[i] / ny);
  r = Math.max(Math.min(r, 1), -1);
  // r ~ Beta(n/2-1, n/2-1) on (-1, 1) under H0: p = 2 * sf(|r|) = 2 * I_{1-(|r|+1)/2}(ab, ab).
  const ab = n / 2 - 1;
  const u = 1 - (Math.abs(r) + 1) / 2;
  const p = Math.min(1, 2 * betainc(u, ab, ab, true, false));
  return { r, p, n };
}

/**
 * Spearman rank correlation with its two-sided p-value (t approximation), as
 * scipy.stats.spearmanr(x, y): Pearson correlation of average ranks.
 * NaN (r and p) for n < 2, a constant input, or NaN values.
 */
export function spearman(x: Numbers, y: Numbers): CorrelationResult {
  checkPair(x, y, 'spearman');
  const n = x.length;
  if (n <= 1) return { r: NaN, p: NaN, n };
  if (isConstant(x) || isConstant(y) || hasNaN(x) || hasNaN(y)) return { r: NaN, p: NaN, n };
  const rx = rankAverage(x);
  const ry = rankAverage(y);
  // np.corrcoef: cov / sqrt(var_x * var_y), clipped to [-1, 1].
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += rx[i];
    my += ry[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = rx[i] - mx;
    const b = ry[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  let r = sxy / Math.sqrt(sxx) / Math.sqrt(syy);
  r = Math.max(Math.min(r, 1), -1);
  const dof = n - 2;
  let q = dof / ((r + 1) * (1 - r));
  if (q < 0) q = 0; // clip(0); NaN stays NaN
  const t = r * Math.sqrt(q);
  return { r, p: tTwoSidedP(t, dof), n };
}

// ---------------------------------------------------------------------------------------
// Ordinary least squares
// ---------------------------------------------------------------------------------------

export interface OlsOptions {
  /** z-score y and every predictor before the fit (METHOD §7). Default true. */
  zscore?: boolean;
}

export interface OlsResult {
  r2: number;
  adjR2: number;
  /** Rows used (rows with a non-finite value in y or any column are dropped). */
  n: number;
  /** Residual degrees of freedom: n - predictors - 1. */
  dfResid: number;
  /** Intercept estimate (≈ 0 when z-scored). */
  intercept: number;
  /** One per predictor (intercept excluded), in `names` order. */
  coefficients: RegressionCoefficient[];
  /** True when the design matrix is rank deficient (all statistics are then NaN). */
  singular: boolean;
}

/**
 * z-score with the population standard deviation (ddof = 0), as scipy.stats.zscore.
 * Note: with an intercept, standardised betas, R², t and p do not depend on the ddof used,
 * as long as y and the predictors use the same one (the ddof factor cancels).
 * A constant vector gives NaN (scipy: NaN for exactly constant input), which makes the fit
 * singular. "Constant" includes a spread that is pure rounding noise (sd <= 1e-13 |mean|), where
 * scipy would return meaningless huge values.
 */
function zscore(v: Float64Array): Float64Array<ArrayBuffer> {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
  const sd = Math.sqrt(ss / n);
  const out = new Float64Array(n);
  if (!(sd > 1e-13 * Math.abs(m))) return out.fill(NaN);
  for (let i = 0; i < n; i++) out[i] = (v[i] - m) / sd;
  return out;
}

function nanOls(names: string[], n: number, singular: boolean): OlsResult {
  return {
    r2: NaN,
    adjR2: NaN,
    n,
    dfResid: n - names.length - 1,
    intercept: NaN,
    coefficients: names.map((layer) => ({ layer, beta: NaN, se: NaN, t: NaN, p: NaN })),
    singular,
  };
}

/**
 * Ordinary least squares of y on the columns with an intercept, as
 * statsmodels.api.OLS(y, add_constant(X)).fit(): R², adjusted R², and per predictor the
 * coefficient, its standard error, t and two-sided p (t distribution, n - k - 1 df).
 * Solved by Householder QR (no normal equations). Rows holding a non-finite value are
 * dropped (listwise). A rank-deficient design (e.g. a constant or duplicated predictor)
 * returns NaN statistics with `singular: true` instead of throwing.
 */
export function ols(y: Numbers, columns: Numbers[], names: string[], options: OlsOptions = {}): OlsResult {
  const doZ = options.zscore ?? true;
  const k = columns.length;
  if (names.length !== k) throw new RangeError(`ols: ${k} columns but ${names.length} names`);
  for (const c of columns) if (c.length !== y.length) throw new RangeError('ols: every column must have the length of y');

  // Listwise deletion of rows with non-finite values.
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) {
    let ok = Number.isFinite(y[i]);
    for (let j = 0; ok && j < k; j++) ok = Number.isFinite(columns[j][i]);
    if (ok) keep.push(i);
  }
  const n = keep.length;
  const p = k + 1;
  if (n < p || n === 0) return nanOls(names, n, n < p);

  let yv = Float64Array.from(keep, (i) => y[i]);
  let cols = columns.map((c) => Float64Array.from(keep, (i) => c[i]));
  if (doZ) {
    yv = zscore(yv);
    cols = cols.map(zscore);
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(yv[i])) return nanOls(names, n, false);

  // Design matrix, column-major: [1, x1, ..., xk].
  const A: Float64Array[] = [new Float64Array(n).fill(1), ...cols.map((c) => Float64Array.from(c))];
  for (const col of A) for (let i = 0; i < n; i++) if (!Number.isFinite(col[i])) return nanOls(names, n, true);

  // Householder QR: A = Q R; apply Q^T to y alongside.
  const R = new Float64Array(p * p); // row-major upper triangle
  const qty = Float64Array.from(yv);
  const colNorms = A.map((c) => norm2(c));
  const maxNorm = Math.max(...colNorms);
  for (let j = 0; j < p; j++) {
    const a = A[j];
    // norm of a[j..n)
    const sub = a.subarray(j);
    const alpha0 = norm2(sub);
    const alpha = a[j] > 0 ? -alpha0 : alpha0;
    // v = a[j..] - alpha e1
    const v = Float64Array.from(sub);
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv > 0) {
      const apply = (col: Float64Array) => {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += v[i] * col[j + i];
        const f = (2 * d) / vv;
        for (let i = 0; i < v.length; i++) col[j + i] -= f * v[i];
      };
      for (let l = j; l < p; l++) apply(A[l]);
      apply(qty);
    }
    for (let l = j; l < p; l++) R[j * p + l] = A[l][j];
  }
  // Rank check (like numpy.linalg.matrix_rank's tolerance, relative to the largest column).
  const tol = Math.max(n, p) * 2.220446049250313e-16 * maxNorm;
  for (let j = 0; j < p; j++) if (!(Math.abs(R[j * p + j]) > tol)) return nanOls(names, n, true);

  // beta = R^{-1} (Q^T y)[0..p)
  const beta = new Float64Array(p);
  for (let j = p - 1; j >= 0; j--) {
    let s = qty[j];
    for (let l = j + 1; l < p; l++) s -= R[j * p + l] * beta[l];
    beta[j] = s / R[j * p + j];
  }
  // Residual sum of squares = ||(Q^T y)[p..n)||².
  let ssr = 0;
  for (let i = p; i < n; i++) ssr += qty[i] * qty[i];
  let ym = 0;
  for (let i = 0; i < n; i++) ym += yv[i];
  ym /= n;
  let tss = 0;
  for (let i = 0; i < n; i++) tss += (yv[i] - ym) * (yv[i] - ym);
  const dfResid = n - p;
  const r2 = 1 - ssr / tss;
  const adjR2 = dfResid > 0 ? 1 - ((n - 1) / dfResid) * (1 - r2) : NaN;
  const sigma2 = dfResid > 0 ? ssr / dfResid : NaN;

  // (X^T X)^{-1} = R^{-1} R^{-T}; diagonal = squared row norms of R^{-1}.
  const Rinv = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    // solve R x = e_c
    for (let j = p - 1; j >= 0; j--) {
      let s = j === c ? 1 : 0;
      for (let l = j + 1; l < p; l++) s -= R[j * p + l] * Rinv[l * p + c];
      Rinv[j * p + c] = s / R[j * p + j];
    }
  }
  const coefficients: RegressionCoefficient[] = [];
  for (let j = 1; j < p; j++) {
    let d = 0;
    for (let c = 0; c < p; c++) d += Rinv[j * p + c] * Rinv[j * p + c];
    const se = Math.sqrt(sigma2 * d);
    const t = beta[j] / se;
    coefficients.push({ layer: names[j - 1], beta: beta[j], se, t, p: tTwoSidedP(t, dfResid) });
  }
  return { r2, adjR2, n, dfResid, intercept: beta[0], coefficients, singular: false };
}

export interface StepwiseResult {
  selected: string[];
  steps: { added: string; adjR2: number }[];
}

/**
 * Forward stepwise selection by adjusted R², as in the study (the common statsmodels
 * `forward_selected` recipe): start with no predictor (adjusted R² 0), at each step add the
 * candidate whose model has the highest adjusted R², stop when that does not exceed the
 * current value. Ties go to the name that sorts last (as that recipe's sort + pop).
 * Degenerate candidates (NaN adjusted R²) are never chosen.
 */
export function forwardStepwise(y: Numbers, columns: Numbers[], names: string[]): StepwiseResult {
  if (names.length !== columns.length) throw new RangeError(`forwardStepwise: ${columns.length} columns but ${names.length} names`);
  const remaining = names.map((_, i) => i);
  const selected: number[] = [];
  const steps: { added: string; adjR2: number }[] = [];
  let current = 0;
  while (remaining.length > 0) {
    let best = -1;
    let bestScore = -Infinity;
    for (const c of remaining) {
      const idx = [...selected, c];
      const fit = ols(
        y,
        idx.map((i) => columns[i]),
        idx.map((i) => names[i]),
        { zscore: true },
      );
      const s = fit.adjR2;
      if (Number.isNaN(s)) continue;
      if (s > bestScore || (s === bestScore && names[c] > names[best])) {
        bestScore = s;
        best = c;
      }
    }
    if (best < 0 || !(bestScore > current)) break;
    selected.push(best);
    remaining.splice(remaining.indexOf(best), 1);
    steps.push({ added: names[best], adjR2: bestScore });
    current = bestScore;
  }
  return { selected: selected.map((i) => names[i]), steps };
}

/** Multiple regression of accuracy on a layer group's PSIs (METHOD §7), in the report's shape. */
export function regressionResult(group: string, y: Numbers, columns: Numbers[], names: string[]): RegressionResult {
  const fit = ols(y, columns, names, { zscore: true });
  return {
    group,
    layers: [...names],
    r2: fit.r2,
    adjR2: fit.adjR2,
    n: fit.n,
    coefficients: fit.coefficients,
    stepwise: forwardStepwise(y, columns, names),
  };
}

// ---------------------------------------------------------------------------------------
// Wilcoxon signed-rank test (issue 12: paired comparison of two runs per layer)
// ---------------------------------------------------------------------------------------

export interface WilcoxonResult {
  /** min(R+, R-) of the non-zero differences (scipy's two-sided statistic). NaN when undefined. */
  statistic: number;
  /** Two-sided p-value. NaN when undefined (no pairs, or every difference zero). */
  p: number;
  /** Pairs given. */
  n: number;
  /** Pairs with a non-zero difference (the ones ranked). */
  nonZero: number;
  /** How p was computed: scipy's exact null distribution, or its normal approximation. */
  method: 'exact' | 'approx' | 'none';
}

/**
 * Exact null distribution of R+ for n ranks 1..n (scipy.stats._hypotests._get_wilcoxon_distr):
 * probabilities of R+ = 0 .. n(n+1)/2, built by the same halving recursion so sums match scipy's.
 */
function wilcoxonNullPmf(n: number): Float64Array {
  let c = new Float64Array([1]);
  for (let k = 1; k <= n; k++) {
    const prev = c;
    c = new Float64Array((k * (k + 1)) / 2 + 1);
    const m = prev.length;
    for (let i = 0; i < m; i++) c[i] = prev[i] * 0.5;
    for (let i = 0; i < m; i++) c[c.length - m + i] += prev[i] * 0.5;
  }
  return c;
}

/**
 * Two-sided Wilcoxon signed-rank test of x - y, exactly as scipy 1.10's
 * scipy.stats.wilcoxon(x, y) with its defaults (zero_method='wilcox', correction=False,
 * method='auto'):
 *  - 'auto' picks the exact distribution when len(d) <= 50 (zeros included in that count) and
 *    no difference is zero; otherwise the normal approximation on the non-zero differences, with
 *    the tie correction of the variance.
 *  - In exact mode scipy 1.10 does not check for tied |d|; R+ (then a half-integer possibly) is
 *    truncated to an integer before the tail sums. We do the same so p equals scipy's, and the
 *    fixture has a tied case that pins it.
 * Every difference zero (scipy raises) or no pairs (scipy returns NaN): NaN with method 'none'.
 */
export function wilcoxonSignedRank(x: Numbers, y: Numbers): WilcoxonResult {
  checkPair(x, y, 'wilcoxonSignedRank');
  const n = x.length;
  const none = (nonZero: number): WilcoxonResult => ({ statistic: NaN, p: NaN, n, nonZero, method: 'none' });
  if (n === 0 || hasNaN(x) || hasNaN(y)) return none(0);
  const all = new Float64Array(n);
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    all[i] = x[i] - y[i];
    if (all[i] === 0) zeros++;
  }
  const exact = n <= 50 && zeros === 0;
  if (zeros === n) return none(0);
  // The exact branch has no zeros; the approximate one drops them ('wilcox').
  const d = exact ? all : all.filter((v) => v !== 0);
  const count = d.length;
  const r = rankAverage(d.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  for (let i = 0; i < count; i++) {
    if (d[i] > 0) rPlus += r[i];
    else if (d[i] < 0) rMinus += r[i];
  }
  const T = Math.min(rPlus, rMinus);
  if (exact) {
    const pmf = wilcoxonNullPmf(count);
    const rp = Math.trunc(rPlus); // scipy: int(r_plus)
    let p: number;
    if (rp === Math.floor((pmf.length - 1) / 2)) p = 1; // scipy: the centre of the distribution
    else {
      // np.sum over slices: pairwise summation in numpy; plain sums of these non-negative terms
      // agree with it far below the 1e-12 the fixture test asks for.
      let less = 0;
      for (let i = 0; i <= rp; i++) less += pmf[i];
      let greater = 0;
      for (let i = rp; i < pmf.length; i++) greater += pmf[i];
      p = Math.min(1, Math.max(0, 2 * Math.min(greater, less)));
    }
    return { statistic: T, p, n, nonZero: count, method: 'exact' };
  }
  const mn = count * (count + 1) * 0.25;
  let se = count * (count + 1) * (2 * count + 1);
  // find_repeats(r): every rank value that occurs more than once, with its count.
  const sorted = Float64Array.from(r).sort();
  for (let i = 0; i < count; ) {
    let j = i + 1;
    while (j < count && sorted[j] === sorted[i]) j++;
    const t = j - i;
    if (t > 1) se -= 0.5 * (t * (t * t - 1));
    i = j;
  }
  se = Math.sqrt(se / 24);
  const z = (T - mn) / se;
  return { statistic: T, p: normalTwoSidedP(z), n, nonZero: count, method: 'approx' };
}
