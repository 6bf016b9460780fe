/**
 * Uncertainty of a layer's median: a seeded percentile bootstrap over the categories (or units,
 * for a per-unit index). One definition for the report panel's PSI-by-layer chart and the run
 * comparison (core/compare/build.ts calls bootstrapMedianCi from here with the same constants),
 * so the interval a reader sees beside a median is the same number in both places.
 *
 * Each layer gets a fresh SeededRandom(seed): a layer's interval does not depend on which other
 * layers, passes or runs are shown. Pure (the webview bundles it).
 */
import { layerIndexSummary, layerIndexValues } from '../compare/values';
import { SeededRandom } from '../random';
import { quantile } from '../stats';
import type { LayerPsi, SparsityReport } from './schema';

/** Resamples of the categories per interval (compare's default; `compare --resamples` may change it there). */
export const BOOTSTRAP_RESAMPLES = 2000;
export const BOOTSTRAP_SEED = 0;
/** Two-sided coverage of the interval. */
export const BOOTSTRAP_LEVEL = 0.95;

/**
 * quantile(values, 0.5) of stats.ts, bit for bit, by selection instead of a sort (the bootstrap
 * takes 2000 medians per layer; sorting made 1000 categories take half a second a layer).
 * Reorders `a`. The order statistics are the sort's; the interpolation of an even count is
 * stats.ts's own (quantile of the two middle values at 0.5 is the same numpy lerp with t = 0.5).
 */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const k = (n - 1) >> 1;
  select(a, k);
  if (n % 2 === 1) return a[k];
  let next = Infinity;
  for (let i = k + 1; i < n; i++) if (a[i] < next) next = a[i];
  return quantile(Float64Array.of(a[k], next), 0.5, true);
}

/** Hoare quickselect: afterwards a[k] is the k-th smallest, smaller-or-equal values left of it, greater-or-equal right. */
function select(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three as the pivot (deterministic; the resamples are random already).
    const mid = (lo + hi) >> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Percentile bootstrap interval of the median of `values` (any NaN value: NaN interval, never a silently narrower one). */
export function bootstrapMedianCi(values: ArrayLike<number>, resamples: number, seed: number, level = BOOTSTRAP_LEVEL): { low: number; high: number } {
  const n = values.length;
  if (n === 0 || Array.prototype.some.call(values, (v: number) => Number.isNaN(v))) return { low: NaN, high: NaN };
  const rng = new SeededRandom(seed);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[rng.int(n)];
    medians[b] = medianInPlace(sample);
  }
  medians.sort();
  const alpha = (1 - level) / 2;
  return { low: quantile(medians, alpha, true), high: quantile(medians, 1 - alpha, true) };
}

export interface LayerMedianInterval {
  layer: string;
  /** Layer index in the network (the chart's order). */
  index: number;
  /** Values the interval rests on (categories, or units of a per-unit index). */
  n: number;
  /** The report's own median (its summary), the number the tables print. */
  median: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  level?: number;
}

/**
 * The median of one layer with its bootstrap interval for index `indexId` (`psi` reads layer.psi /
 * layer.summary, so an index view of the report — core/report/indexView.ts — gives that index's
 * interval too), or undefined when the layer has no values of the index (the caller draws no
 * interval rather than a made-up one).
 */
export function layerMedianInterval(layer: LayerPsi, indexId = 'psi', options: BootstrapOptions = {}): LayerMedianInterval | undefined {
  const values = layerIndexValues(layer, indexId);
  if (!values || values.length === 0) return undefined;
  const ci = bootstrapMedianCi(values, options.resamples ?? BOOTSTRAP_RESAMPLES, options.seed ?? BOOTSTRAP_SEED, options.level ?? BOOTSTRAP_LEVEL);
  const median = layerIndexSummary(layer, indexId)?.median ?? quantile(values, 0.5);
  return { layer: layer.name, index: layer.index, n: values.length, median, low: ci.low, high: ci.high };
}

/** layerMedianInterval of every layer of pass `passId` that has values of the index. Unknown pass: []. */
export function layerMedianIntervals(report: SparsityReport, passId: string, indexId = 'psi', options: BootstrapOptions = {}): LayerMedianInterval[] {
  const pass = report.passes.find((p) => p.id === passId);
  if (!pass) return [];
  return pass.layers.map((l) => layerMedianInterval(l, indexId, options)).filter((x): x is LayerMedianInterval => x !== undefined);
}
