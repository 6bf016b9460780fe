/**
 * Decoder accuracy (METHOD §7): a multinomial logistic regression on per-image activations
 * of one layer, k-fold cross-validation split within each category; the accuracy of a
 * category is correct test predictions / test images of that category, averaged over folds.
 *
 * The model matches scikit-learn's LogisticRegression defaults (multinomial, L2, C = 1):
 *   minimise  sum_i CE(softmax(x_i W + b), y_i) + 0.5 * ||W||² / C     (intercept b unpenalised)
 * on features standardised with the training fold's mean and population std (StandardScaler).
 *
 * Optimiser: full-batch L-BFGS (memory 10, as scipy's L-BFGS-B that scikit-learn uses) with a
 * nearly exact strong-Wolfe line search. The logits Z = X W are linear in the weights, so each iteration
 * costs exactly two large matrix products (X·direction, then X^T·(P - Y) at the accepted
 * point); line-search trials only re-run the softmax on Z + a·X·direction. Products run in
 * TensorFlow.js (wasm backend when nothing else was chosen; float32); the optimiser state,
 * the objective sums and the convergence tests are float64 in JS.
 *
 * Convergence: the relative decrease of the objective over one iteration
 * (f_prev - f) / max(|f_prev|, |f|, 1) <= tolerance (default 1e-6), or max |gradient| <=
 * gradientTolerance (default 1e-4, scikit-learn's `tol` on the same summed objective).
 * Stops unconverged at maxIterations or when the line search can make no progress (float32
 * precision reached); `converged` says which.
 */
import { SeededRandom } from './random';
import { loadTf, type Tf } from './tfBackend';
import { CancelledError } from './types';

type Tensor2D = import('@tensorflow/tfjs').Tensor2D;

export interface DecoderProgress {
  /** 0-based fold being trained. */
  fold: number;
  /** L-BFGS iteration within the fold (0 before the first step). */
  iteration: number;
  /** Current objective (summed cross-entropy + L2 penalty). */
  loss: number;
}

export interface DecoderOptions {
  /** Row-major [n x d] per-image features. */
  features: Float32Array;
  /** Category index (0..numCategories-1) of each row. */
  labels: Int32Array;
  numCategories: number;
  /** Cross-validation folds (default 2, as the study). */
  folds?: number;
  /** Seed of the within-category fold split (SeededRandom). Default 0. */
  seed?: number;
  /** Inverse L2 strength (scikit-learn's C). Default 1. */
  C?: number;
  /** L-BFGS iterations per fold. Default: see defaultMaxIterations(). */
  maxIterations?: number;
  /** Relative objective change that counts as converged. Default 1e-6. */
  tolerance?: number;
  /** Max-abs gradient of the summed objective that counts as converged. Default 1e-4. */
  gradientTolerance?: number;
  /**
   * Called when a fold starts and ends (done = completed folds, total = folds) and after every
   * iteration (same done, plus detail).
   */
  onProgress?: (done: number, total: number, detail?: DecoderProgress) => void;
  /** Cancels between iterations: the promise rejects with CancelledError. */
  signal?: AbortSignal;
  /** A TensorFlow.js instance to use (its current backend is kept). Default: require('@tensorflow/tfjs'). */
  tf?: Tf;
  /** Fold (0..folds-1) of every row, overriding the seeded split (tests, external splits). */
  foldAssignment?: Int32Array;
}

export interface DecoderResult {
  /** Per category: correct / test images of that category, averaged over the folds where it had test images (NaN if none). */
  perCategory: number[];
  /** Mean of perCategory over categories with a value (balanced accuracy, like model top-1 overall). */
  overall: number;
  /** Fraction of all test predictions that were correct (pooled over folds). */
  pooled: number;
  folds: number;
  /** L-BFGS iterations per fold. */
  iterations: number[];
  /** Whether each fold met the convergence criterion before maxIterations. */
  converged: boolean[];
  /** Large matrix products per fold ([n x d] by [d x K]): 1 + 2 per iteration; the cost unit. */
  matrixProducts: number[];
  /** Final objective per fold. */
  finalLoss: number[];
  /** Wall time of the whole decoder (standardise, train, predict). */
  trainSeconds: number;
  /** TensorFlow.js backend used (`wasm`, `cpu`, `tensorflow`, ...). */
  backend: string;
  /** The fold of every row, as used. */
  foldAssignment: Int32Array;
}

/**
 * Within-category k-fold split: for each category in index order, its rows (ascending) are
 * shuffled with one SeededRandom(seed) and dealt to folds 0,1,..,k-1,0,1,.. in shuffled order.
 */
export function makeFolds(labels: Int32Array, numCategories: number, folds: number, seed: number): Int32Array {
  const byCat: number[][] = Array.from({ length: numCategories }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < numCategories)) throw new RangeError(`makeFolds: label ${c} at row ${i} is outside 0..${numCategories - 1}`);
    byCat[c].push(i);
  }
  const rng = new SeededRandom(seed);
  const out = new Int32Array(labels.length);
  for (const rows of byCat) {
    rng.shuffle(rows);
    rows.forEach((r, k) => (out[r] = k % folds));
  }
  return out;
}

/**
 * Default L-BFGS iterations per fold: scikit-learn's max_iter = 100, reduced for large problems
 * so that the matrix-product work (2 x nTrain x (d+1) x K multiply-adds per iteration) stays
 * bounded: 12 at 10,000 x 4,096 x 256 (Caltech-256 on fc2, 2 folds: ~46 s on one core), never
 * fewer than 12. On synthetic fc-like data of that size (test/fixtures/decoder/bench_decoder.ts)
 * 12 iterations leave the objective ~3% above its minimum (so those folds report
 * converged = false; the full fit needs ~55 iterations, ~3.5 min), with overall accuracy within
 * 0.1 percentage point of the converged fit and per-category accuracies correlated r = 0.97
 * with it (mean absolute difference 1.3 points). Pass maxIterations: 100 for the full fit.
 */
export function defaultMaxIterations(nTrain: number, d: number, numCategories: number): number {
  const perIteration = nTrain * (d + 1) * numCategories;
  const budget = 1.3e11;
  return Math.max(12, Math.min(100, Math.floor(budget / perIteration)));
}

// ---------------------------------------------------------------------------------------------

/**
 * TensorFlow.js as the decoder uses it: a given instance keeps its backend (a caller's choice);
 * otherwise the product's one backend choice (tfBackend.ts: tfjs-node, else wasm, else cpu).
 */
export async function loadDecoderTf(given?: Tf): Promise<Tf> {
  if (given) {
    await given.ready();
    return given;
  }
  return (await loadTf()).tf;
}

function checkCancel(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

interface FoldFit {
  theta: Float64Array; // [D x K], last row = intercept
  iterations: number;
  converged: boolean;
  matrixProducts: number;
  loss: number;
}

/** Mean and population std per feature over the given rows (float64). Zero std -> 1 (StandardScaler). */
function scaler(X: Float32Array, d: number, rows: number[]): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of rows) {
    const o = r * d;
    for (let j = 0; j < d; j++) mean[j] += X[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (const r of rows) {
    const o = r * d;
    for (let j = 0; j < d; j++) {
      const v = X[o + j] - mean[j];
      sq[j] += v * v;
    }
  }
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j] / rows.length);
    scale[j] = s < 10 * 2.220446049250313e-16 ? 1 : s;
  }
  return { mean, scale };
}

/** Standardised rows with a trailing 1 (intercept column): [rows x (d+1)] float32. */
function designMatrix(X: Float32Array, d: number, rows: number[], mean: Float64Array, scale: Float64Array): Float32Array {
  const D = d + 1;
  const out = new Float32Array(rows.length * D);
  const inv = scale.map((s) => 1 / s);
  rows.forEach((r, i) => {
    const o = r * d;
    const p = i * D;
    for (let j = 0; j < d; j++) out[p + j] = (X[o + j] - mean[j]) * inv[j];
    out[p + d] = 1;
  });
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function sumRows(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}

/** Sum of squares of v[0..end): the penalised (weight, not intercept) part of theta. */
function sumSq(v: Float64Array, end: number): number {
  let s = 0;
  for (let i = 0; i < end; i++) s += v[i] * v[i];
  return s;
}

/**
 * The L-BFGS memory: the last `size` curvature pairs (s = step, y = gradient change) and
 * rho = 1 / (s . y). Float32 pairs halve the memory of a large decoder (D x K parameters).
 */
interface LbfgsMemory {
  size: number;
  S: Float32Array[];
  Y: Float32Array[];
  rho: number[];
}

/**
 * Two-loop recursion (Nocedal & Wright, Alg. 7.4): dir = -H g with H from the memory.
 * Returns g . dir. When that is not negative (numerical trouble), the memory is dropped and the
 * direction restarts from steepest descent, so the line search always gets a descent direction.
 */
function searchDirection(memory: LbfgsMemory, g: Float64Array, dir: Float64Array, alpha: Float64Array): number {
  const { S, Y, rho } = memory;
  const P = g.length;
  for (let i = 0; i < P; i++) dir[i] = -g[i];
  const h = S.length;
  for (let k = h - 1; k >= 0; k--) {
    alpha[k] = rho[k] * dot(S[k], dir);
    const yk = Y[k];
    const a = alpha[k];
    for (let i = 0; i < P; i++) dir[i] -= a * yk[i];
  }
  if (h > 0) {
    const gamma = dot(S[h - 1], Y[h - 1]) / dot(Y[h - 1], Y[h - 1]);
    for (let i = 0; i < P; i++) dir[i] *= gamma;
  }
  for (let k = 0; k < h; k++) {
    const b = rho[k] * dot(Y[k], dir);
    const sk = S[k];
    const c = alpha[k] - b;
    for (let i = 0; i < P; i++) dir[i] += c * sk[i];
  }
  let gd = dot(g, dir);
  if (!(gd < 0)) {
    S.length = 0;
    Y.length = 0;
    rho.length = 0;
    for (let i = 0; i < P; i++) dir[i] = -g[i];
    gd = dot(g, dir);
  }
  return gd;
}

/**
 * Stores the curvature pair of a step of length a along dir (gradient gOld -> g). A pair with
 * s . y not clearly positive is skipped: it keeps H positive definite.
 */
function rememberCurvature(memory: LbfgsMemory, a: number, dir: Float64Array, g: Float64Array, gOld: Float64Array): void {
  const P = g.length;
  const s = new Float32Array(P);
  const yv = new Float32Array(P);
  for (let i = 0; i < P; i++) {
    s[i] = a * dir[i];
    yv[i] = g[i] - gOld[i];
  }
  const sy = dot(s, yv);
  if (sy > 1e-10 * Math.sqrt(dot(yv, yv) * dot(s, s))) {
    if (memory.S.length === memory.size) {
      memory.S.shift();
      memory.Y.shift();
      memory.rho.shift();
    }
    memory.S.push(s);
    memory.Y.push(yv);
    memory.rho.push(1 / sy);
  }
}

async function fitFold(
  tf: Tf,
  Xtrain: Float32Array,
  ytrain: Int32Array,
  D: number,
  K: number,
  opts: { C: number; maxIterations: number; tolerance: number; gradientTolerance: number; signal?: AbortSignal; progress: (it: number, loss: number) => void },
): Promise<FoldFit> {
  const n = ytrain.length;
  const P = D * K;
  const wEnd = (D - 1) * K; // weights are theta[0..wEnd), the intercept row follows
  const lambda = 1 / opts.C;
  const Xb = tf.tensor2d(Xtrain, [n, D]);
  const XbT = tf.transpose(Xb) as Tensor2D;
  const onehot = new Float32Array(n * K);
  for (let i = 0; i < n; i++) onehot[i * K + ytrain[i]] = 1;
  const Y = tf.tensor2d(onehot, [n, K]);
  // Logits of the current point, Z = Xb theta, kept on the backend and updated along the
  // search direction (Z + a Xb dir): one forward product per iteration, any number of
  // line-search trials for the price of a softmax each.
  let Z: Tensor2D = tf.zeros([n, K]);
  let Zd: Tensor2D | null = null;
  let matMuls = 0;

  /** Gradient at logits Z and weights theta into grad; returns the objective. */
  const gradientAt = async (theta: Float64Array, grad: Float64Array): Promise<number> => {
    checkCancel(opts.signal);
    matMuls++;
    const [rowLoss, G] = tf.tidy(() => {
      const lse = tf.logSumExp(Z, 1, true);
      const probs = tf.exp(tf.sub(Z, lse));
      const g = tf.matMul(XbT, tf.sub(probs, Y));
      return [tf.sub(lse, tf.sum(tf.mul(Z, Y), 1, true)), g];
    });
    const [lossData, gData] = await Promise.all([rowLoss.data(), G.data()]);
    tf.dispose([rowLoss, G]);
    for (let i = 0; i < wEnd; i++) grad[i] = gData[i] + lambda * theta[i];
    for (let i = wEnd; i < P; i++) grad[i] = gData[i];
    return sumRows(lossData) + 0.5 * lambda * sumSq(theta, wEnd);
  };

  /** Data part of phi(a) = f(theta + a dir) and of phi'(a), from Z + a Zd (no matrix product). */
  const alongDirection = async (a: number): Promise<[number, number]> => {
    const [rowLoss, rowDeriv] = tf.tidy(() => {
      const Za = tf.add(Z, tf.mul(Zd!, a));
      const lse = tf.logSumExp(Za, 1, true);
      const probs = tf.exp(tf.sub(Za, lse));
      return [tf.sub(lse, tf.sum(tf.mul(Za, Y), 1, true)), tf.sum(tf.mul(tf.sub(probs, Y), Zd!), 1)];
    });
    const [l, dv] = await Promise.all([rowLoss.data(), rowDeriv.data()]);
    tf.dispose([rowLoss, rowDeriv]);
    return [sumRows(l), sumRows(dv)];
  };

  try {
    const memory: LbfgsMemory = { size: 10, S: [], Y: [], rho: [] };
    let x = new Float64Array(P);
    let g = new Float64Array(P);
    let f = await gradientAt(x, g);
    opts.progress(0, f);
    const dir = new Float64Array(P);
    const alpha = new Float64Array(memory.size);
    const gOld = new Float64Array(P);
    let iterations = 0;
    let converged = false;
    const gInf = (v: Float64Array) => {
      let mx = 0;
      for (let i = 0; i < v.length; i++) mx = Math.max(mx, Math.abs(v[i]));
      return mx;
    };
    if (gInf(g) <= opts.gradientTolerance) converged = true;

    while (!converged && iterations < opts.maxIterations) {
      const h = memory.S.length;
      const gd = searchDirection(memory, g, dir, alpha);
      checkCancel(opts.signal);
      // Forward product along the direction.
      Zd?.dispose();
      matMuls++;
      Zd = tf.tidy(() => tf.matMul(Xb, tf.tensor2d(Float32Array.from(dir), [D, K]))) as Tensor2D;
      // Penalty along the direction is an exact quadratic in a.
      const wd = dot(x.subarray(0, wEnd), dir.subarray(0, wEnd));
      const dd = sumSq(dir, wEnd);
      const ww = sumSq(x, wEnd);
      const phi = async (a: number): Promise<[number, number]> => {
        const [l, dl] = await alongDirection(a);
        return [l + 0.5 * lambda * (ww + 2 * a * wd + a * a * dd), dl + lambda * (wd + a * dd)];
      };
      const a0 = h === 0 ? Math.min(1, 1 / Math.sqrt(-gd)) : 1;
      const step = await strongWolfe(phi, f, gd, a0);
      if (step === null) break; // no decrease possible at float32 precision
      iterations++;
      // Move: theta += a dir, Z += a Zd; gradient at the new point (backward product).
      for (let i = 0; i < P; i++) x[i] += step.a * dir[i];
      const Znew = tf.tidy(() => tf.add(Z, tf.mul(Zd!, step.a))) as Tensor2D;
      Z.dispose();
      Z = Znew;
      gOld.set(g);
      const fNew = await gradientAt(x, g);
      rememberCurvature(memory, step.a, dir, g, gOld);
      const rel = (f - fNew) / Math.max(Math.abs(f), Math.abs(fNew), 1);
      f = fNew;
      opts.progress(iterations, f);
      if (rel <= opts.tolerance || gInf(g) <= opts.gradientTolerance) converged = true;
    }
    return { theta: x, iterations, converged, matrixProducts: matMuls, loss: f };
  } finally {
    tf.dispose([Xb, XbT, Y, Z]);
    Zd?.dispose();
  }
}

/**
 * Line search for the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6) with safeguarded
 * cubic interpolation. phi(a) returns [value, derivative]. c1 = 1e-4; c2 = 0.1, a nearly exact
 * search rather than the usual 0.9: trials are cheap here (a softmax, no matrix product), and on
 * fc-like data of Caltech-256 size it brings 12 iterations from 22% to 3% above the minimum.
 * Returns the accepted step, or null when no step decreases the objective.
 */
async function strongWolfe(
  phi: (a: number) => Promise<[number, number]>,
  f0: number,
  g0: number,
  a1: number,
): Promise<{ a: number; f: number } | null> {
  const c1 = 1e-4;
  const c2 = 0.1;
  const maxTrials = 25;
  let trials = 0;
  let best: { a: number; f: number } | null = null;
  const note = (a: number, v: number) => {
    if (Number.isFinite(v) && v < f0 + c1 * a * g0 && (!best || v < best.f)) best = { a, f: v };
  };
  const zoom = async (lo: number, flo: number, glo: number, hi: number, fhi: number, ghi: number): Promise<{ a: number; f: number } | null> => {
    while (trials < maxTrials) {
      let a = cubicMin(lo, flo, glo, hi, fhi, ghi);
      const lower = Math.min(lo, hi);
      const width = Math.abs(hi - lo);
      if (!Number.isFinite(a) || a < lower + 0.1 * width || a > lower + 0.9 * width) a = (lo + hi) / 2;
      if (width <= 1e-12 * Math.max(1, Math.abs(lo))) break;
      const [fa, ga] = await phi(a);
      trials++;
      note(a, fa);
      if (!Number.isFinite(fa) || fa > f0 + c1 * a * g0 || fa >= flo) {
        hi = a;
        fhi = fa;
        ghi = ga;
      } else {
        if (Math.abs(ga) <= -c2 * g0) return { a, f: fa };
        if (ga * (hi - lo) >= 0) {
          hi = lo;
          fhi = flo;
          ghi = glo;
        }
        lo = a;
        flo = fa;
        glo = ga;
      }
    }
    return best;
  };
  let aPrev = 0;
  let fPrev = f0;
  let gPrev = g0;
  let a = a1;
  while (trials < maxTrials) {
    const [fa, ga] = await phi(a);
    trials++;
    note(a, fa);
    if (!Number.isFinite(fa) || fa > f0 + c1 * a * g0 || (trials > 1 && fa >= fPrev)) return zoom(aPrev, fPrev, gPrev, a, fa, ga);
    if (Math.abs(ga) <= -c2 * g0) return { a, f: fa };
    if (ga >= 0) return zoom(a, fa, ga, aPrev, fPrev, gPrev);
    aPrev = a;
    fPrev = fa;
    gPrev = ga;
    a *= 2;
  }
  return best;
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb); NaN when it has none. */
function cubicMin(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  if (!Number.isFinite(fb) || !Number.isFinite(gb)) return NaN;
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - ga * gb;
  if (disc < 0) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
}

/** Predicted class per test row (argmax of logits; ties -> lowest index). Chunked to bound memory. */
async function predict(tf: Tf, X: Float32Array, d: number, rows: number[], mean: Float64Array, scale: Float64Array, theta: Float64Array, K: number): Promise<Int32Array> {
  const D = d + 1;
  const out = new Int32Array(rows.length);
  const th = tf.tensor2d(Float32Array.from(theta), [D, K]);
  try {
    const chunk = Math.max(1, Math.floor((64 * 1024 * 1024) / (4 * D)));
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.slice(start, start + chunk);
      const xb = designMatrix(X, d, part, mean, scale);
      const pred = tf.tidy(() => tf.argMax(tf.matMul(tf.tensor2d(xb, [part.length, D]), th), 1));
      const data = await pred.data();
      pred.dispose();
      out.set(data as Int32Array, start);
    }
  } finally {
    th.dispose();
  }
  return out;
}

/**
 * Cross-validated decoder accuracy per category (METHOD §7). See the file header for the
 * model, optimiser and convergence rule.
 */
export async function trainDecoder(options: DecoderOptions): Promise<DecoderResult> {
  const t0 = performance.now();
  const { features, labels, numCategories: K } = options;
  const folds = options.folds ?? 2;
  const seed = options.seed ?? 0;
  const n = labels.length;
  if (!(folds >= 2) || !Number.isInteger(folds)) throw new RangeError(`trainDecoder: folds must be an integer >= 2, got ${folds}`);
  if (!(K >= 2)) throw new RangeError(`trainDecoder: numCategories must be >= 2, got ${K}`);
  if (n === 0 || features.length % n !== 0) throw new RangeError(`trainDecoder: features length ${features.length} is not a multiple of ${n} rows`);
  const d = features.length / n;
  for (let i = 0; i < n; i++) {
    if (!(labels[i] >= 0 && labels[i] < K)) throw new RangeError(`trainDecoder: label ${labels[i]} at row ${i} is outside 0..${K - 1}`);
  }
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) throw new RangeError(`trainDecoder: feature ${i % d} of row ${Math.floor(i / d)} is ${features[i]} (not finite)`);
  }
  const foldOf = options.foldAssignment ?? makeFolds(labels, K, folds, seed);
  if (foldOf.length !== n) throw new RangeError('trainDecoder: foldAssignment must have one entry per row');
  for (let i = 0; i < n; i++) {
    if (!(foldOf[i] >= 0 && foldOf[i] < folds)) throw new RangeError(`trainDecoder: foldAssignment ${foldOf[i]} at row ${i} is outside 0..${folds - 1}`);
  }

  const tf = await loadDecoderTf(options.tf);
  const backend = tf.getBackend();
  const correct = Array.from({ length: folds }, () => new Float64Array(K));
  const tested = Array.from({ length: folds }, () => new Float64Array(K));
  const iterations: number[] = [];
  const converged: boolean[] = [];
  const matrixProducts: number[] = [];
  const finalLoss: number[] = [];

  for (let fold = 0; fold < folds; fold++) {
    checkCancel(options.signal);
    options.onProgress?.(fold, folds, { fold, iteration: 0, loss: NaN });
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === fold ? testRows : trainRows).push(i);
    if (trainRows.length === 0 || testRows.length === 0) {
      iterations.push(0);
      converged.push(false);
      matrixProducts.push(0);
      finalLoss.push(NaN);
      continue;
    }
    const { mean, scale } = scaler(features, d, trainRows);
    const ytrain = Int32Array.from(trainRows, (r) => labels[r]);
    const nTrain = trainRows.length;
    const maxIterations = options.maxIterations ?? defaultMaxIterations(nTrain, d, K);
    const fit = await fitFold(tf, designMatrix(features, d, trainRows, mean, scale), ytrain, d + 1, K, {
      C: options.C ?? 1,
      maxIterations,
      tolerance: options.tolerance ?? 1e-6,
      gradientTolerance: options.gradientTolerance ?? 1e-4,
      signal: options.signal,
      progress: (iteration, loss) => options.onProgress?.(fold, folds, { fold, iteration, loss }),
    });
    iterations.push(fit.iterations);
    converged.push(fit.converged);
    matrixProducts.push(fit.matrixProducts);
    finalLoss.push(fit.loss);
    checkCancel(options.signal);
    const pred = await predict(tf, features, d, testRows, mean, scale, fit.theta, K);
    testRows.forEach((r, i) => {
      const c = labels[r];
      tested[fold][c]++;
      if (pred[i] === c) correct[fold][c]++;
    });
    options.onProgress?.(fold + 1, folds, { fold, iteration: fit.iterations, loss: fit.loss });
  }

  const perCategory: number[] = [];
  let totalCorrect = 0;
  let totalTested = 0;
  for (let c = 0; c < K; c++) {
    let sum = 0;
    let cnt = 0;
    for (let f = 0; f < folds; f++) {
      totalCorrect += correct[f][c];
      totalTested += tested[f][c];
      if (tested[f][c] > 0) {
        sum += correct[f][c] / tested[f][c];
        cnt++;
      }
    }
    perCategory.push(cnt > 0 ? sum / cnt : NaN);
  }
  const valid = perCategory.filter((v) => !Number.isNaN(v));
  return {
    perCategory,
    overall: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN,
    pooled: totalTested > 0 ? totalCorrect / totalTested : NaN,
    folds,
    iterations,
    converged,
    matrixProducts,
    finalLoss,
    trainSeconds: (performance.now() - t0) / 1000,
    backend,
    foldAssignment: foldOf,
  };
}
