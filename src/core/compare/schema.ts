/**
 * The saved comparison (`<out>/comparison.sparsity.json`, issue 12): two or more runs' reports
 * lined up by relative depth. Its own schema id and version, independent of the report's; bump
 * COMPARISON_SCHEMA_VERSION on any incompatible change (parse.ts checks it).
 *
 * Every median, quartile, depth and trend here is copied from the runs' own reports (for the
 * `psi` index) or computed from the per-category values the reports hold; the bootstrap
 * intervals and the paired tests are the comparison's own.
 */
import type { AnalysisSettings, CorrelationStat, ModelWeights, PassKind, RegressionResult, TrendStat } from '../report/schema';

export const COMPARISON_SCHEMA = 'sparsity-lens/comparison';
export const COMPARISON_SCHEMA_VERSION = 1;
export const COMPARISON_FILE = 'comparison.sparsity.json';
export const COMPARISON_CSV = 'comparison.csv';
export const COMPARISON_HTML = 'comparison.html';

export interface ComparedLayer {
  name: string;
  /** 1-based index in its pass. */
  index: number;
  /** (index - 1) / (L - 1), as the report has it. */
  relativeDepth: number;
  stage?: number;
  block?: number;
  kind: string;
  units: number;
  /** Values the summary is over (categories, or units for a per-unit index). */
  n: number;
  median: number;
  q1: number;
  q3: number;
  /** Percentile bootstrap 95% interval of the median (comparison.bootstrap says how). */
  ciLow: number;
  ciHigh: number;
}

export interface ComparedPass {
  /** `trained`, `permuted-1`, `norelu`. */
  id: string;
  kind: PassKind;
  /** Kendall tau-b of layer index vs the pooled values (the report's own for `psi`). */
  depthTrend: TrendStat;
  layers: ComparedLayer[];
}

export interface ComparedRun {
  /** `A`, `B`, `C`… in the order given. */
  id: string;
  /** Legend text: model, weights, dataset. */
  label: string;
  /** The report file read (absolute). */
  reportFile: string;
  reportCreatedAt: string;
  model: { name: string; path: string; sha256: string; weights?: ModelWeights };
  dataset: { name: string; path: string; images: number };
  /** Category names, in the report's order (the values' order). */
  categories: string[];
  settings: AnalysisSettings;
  passes: ComparedPass[];
  /** The report's sparseness–accuracy statistics (PSI only), when it has them. */
  psiAccuracy?: { method: string; perLayer: CorrelationStat[]; trend: TrendStat; regressions: RegressionResult[] };
}

/** One setting (dotted path) whose value is not the same in every run. */
export interface SettingDifference {
  setting: string;
  /** run id -> value as text (`—` when the run's report does not have it). */
  values: Record<string, string>;
  /** Whether the difference changes the numbers (preprocessing, units, images, dataset…). */
  changesNumbers: boolean;
}

export interface PairedLayer {
  /** Layer of run A and its matched layer of run B. */
  layerA: string;
  layerB: string;
  relativeDepthA: number;
  relativeDepthB: number;
  /** `name`: same layer name; `depth`: nearest relative depth. */
  matchedBy: 'name' | 'depth';
  /** Per category (paired.categories order): B - A. */
  differences: number[];
  medianDifference: number;
  /** Wilcoxon signed-rank (scipy.stats.wilcoxon defaults) of A vs B over categories. */
  wilcoxon: { statistic: number; p: number; n: number; nonZero: number; method: 'exact' | 'approx' | 'none' };
}

/** Run A (runs[0]) against run B over the categories both have (same names). */
export interface PairedComparison {
  a: string;
  b: string;
  /** Pass compared (the trained pass). */
  pass: string;
  categories: string[];
  layers: PairedLayer[];
  /** Last analysed layer of each run: per-category values and their Spearman rho. */
  lastLayer: { layerA: string; layerB: string; a: number[]; b: number[]; spearman: { r: number; p: number; n: number } };
}

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  schemaVersion: typeof COMPARISON_SCHEMA_VERSION;
  tool: { name: string; version: string };
  createdAt: string;
  index: { id: string; label: string; axis: 'category' | 'unit' };
  /** Which passes were compared. */
  passes: 'trained' | 'all';
  bootstrap: { resamples: number; seed: number; level: number; method: 'percentile' };
  runs: ComparedRun[];
  differences: SettingDifference[];
  paired: PairedComparison[];
  /** Why a run is not in the paired part (run id -> sentence); empty when every run is. */
  unpaired: Record<string, string>;
}
