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

/** Percentile bootstrap interval of the median of `values` (any NaN value: NaN interval, never a silently narrower one). */
export function bootstrapMedianCi(values: ArrayLike<number>, resamples: number, seed: number, level = BOOTSTRAP_LEVEL): { low: number; high: number } {
  const n = values.length;
  if (n === 0 || Array.prototype.some.call(values, (v: number) => Number.isNaN(v))) return { low: NaN, high: NaN };
  const rng = new SeededRandom(seed);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[rng.int(n)];
    medians[b] = quantile(sample, 0.5);
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
