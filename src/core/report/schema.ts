/**
 * The saved report (`<run>/report.sparsity.json`): the one data contract between the core,
 * the CLI, the extension panel, the standalone report.html and exported files.
 * Bump REPORT_SCHEMA_VERSION on any incompatible change; readers check it.
 */
import type { ControlChanges, LayerKind, ModelFormat, Preprocessing, TapSelection, TokenUnit, UnitMode } from '../types';

export const REPORT_SCHEMA = 'sparsity-lens/report';
/** Name of the report in a run folder; its presence means the run is complete. */
export const REPORT_FILE = 'report.sparsity.json';
/** 2: every layer has relativeDepth, and stage/block where its name says; every layer its indices by id and
 *  diagnostics, every pass a trend per index, indexAccuracy, controls.byIndex, settings.indices (parse.ts upgrades 1). */
export const REPORT_SCHEMA_VERSION = 2;

/** Summary of a distribution of category PSIs (METHOD §5: median, with spread). */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  mean: number;
  min: number;
  max: number;
}

/** What a sparseness index gives one value for (src/core/measures/types.ts). */
export type IndexAxis = 'category' | 'unit';

/** One sparseness index of one layer (issue 11; ids in src/core/measures/registry.ts). */
export interface LayerIndex {
  axis: IndexAxis;
  /** One value per category (report.categories order) or per unit (unit order). */
  values: number[];
  summary: Spread;
  /** The layer had negative responses and the `raw` normalisation shifted them by the layer minimum. */
  shifted: boolean;
}

/** What else changes from layer to layer (src/core/measures/diagnostics.ts). */
export interface LayerDiagnostics {
  /** Fraction of units whose category mean is 0 in every category. */
  deadFraction: number;
  /** Mean of the category-mean responses over categories and units. */
  meanResponse: number;
  /** (Σλ)² / Σλ² of the units' covariance across categories (null in JSON when no unit varies). */
  participationRatio: number;
}

export interface LayerPsi {
  /** Layer name (as listed by `sparsity-lens layers`). */
  name: string;
  /** 1-based depth index used for the depth trend. */
  index: number;
  /** (index - 1) / (L - 1) over the pass's L layers, in [0, 1] (0 for a single layer): lays networks of different depth side by side. */
  relativeDepth: number;
  /** Stage of the layer's module path (layer3.1 → 3, features.5.2 → 5), when its name says (report/depth.ts). */
  stage?: number;
  /** Block within the stage (layer3.1 → 1, features.5.2 → 2), when its name says. */
  block?: number;
  kind: LayerKind;
  units: number;
  /** One PSI per category, in report.categories order. */
  psi: number[];
  summary: Spread;
  /** Every computed index by id; `psi` always (the same values as `psi`/`summary`). Version-1 reports are upgraded to `psi` only. */
  indices: Record<string, LayerIndex>;
  /** Per-layer diagnostics; absent in reports upgraded from version 1 (they need the responses). */
  diagnostics?: LayerDiagnostics;
  /** File (relative to the run folder) holding category-mean responses, float32 [categories x units]. */
  responsesFile?: string;
}

/** Kendall tau-b of layer index vs pooled category PSIs (METHOD §6). */
export interface TrendStat {
  tau: number;
  p: number;
  n: number;
}

export type PassKind = 'trained' | 'permuted' | 'norelu';

/** One forward pass over the images: the trained model or a lesion control. */
export interface PassResult {
  /** `trained`, `permuted-1` .. `permuted-N`, `norelu`. */
  id: string;
  kind: PassKind;
  /** Seed of a permuted pass. */
  seed?: number;
  /** What a permuted pass shuffled. */
  permuteTarget?: 'weights' | 'biases';
  /** What this control changed in the model: activations replaced by kind, tensors permuted by role (issue 10). */
  changes?: ControlChanges;
  layers: LayerPsi[];
  depthTrend: TrendStat;
  /** Depth trend of every index in the layers' `indices` (pooled values vs layer index); `psi` equals depthTrend. */
  trends: Record<string, TrendStat>;
}

export interface CategoryInfo {
  name: string;
  /** Images used (decoded successfully). */
  images: number;
  /** Model output index when the folder maps to a class (synset id or label file). */
  classIndex?: number;
  className?: string;
}

export interface CorrelationStat {
  layer: string;
  r: number;
  p: number;
  n: number;
}

export interface RegressionCoefficient {
  layer: string;
  beta: number;
  se: number;
  t: number;
  p: number;
}

export interface RegressionResult {
  /** `conv`, `fc`, `all` or a user-named list. */
  group: string;
  layers: string[];
  r2: number;
  adjR2: number;
  n: number;
  coefficients: RegressionCoefficient[];
  /** Forward stepwise selection by adjusted R² (METHOD §7). */
  stepwise: { selected: string[]; steps: { added: string; adjR2: number }[] };
}

export interface AccuracyResult {
  /** Which accuracy the PSI-vs-accuracy statistics use. */
  method: 'model' | 'decoder';
  /** Per category, report.categories order, in [0, 1]. */
  perCategory: number[];
  overall: number;
  /** Model accuracy, when categories map to output classes. */
  model?: { top1: number[]; top5: number[]; top1Overall: number; top5Overall: number };
  /** Decoder accuracy (METHOD §7): logistic regression on one layer's per-image responses. */
  decoder?: {
    layer: string;
    folds: number;
    seed: number;
    perCategory: number[];
    overall: number;
    /** Bytes held for per-image features of the decoder layer. */
    featureMemoryBytes: number;
    trainSeconds: number;
    iterations: number[];
    converged: boolean[];
    /** TF.js backend the decoder trained on. */
    backend?: string;
  };
}

export interface PsiAccuracyResult {
  method: 'pearson' | 'spearman';
  perLayer: CorrelationStat[];
  /** Kendall tau of per-layer r against layer index. */
  trend: TrendStat;
  regressions: RegressionResult[];
}

/** One per-category index against accuracy (as PsiAccuracyResult without the regressions). */
export interface IndexAccuracy {
  method: 'pearson' | 'spearman';
  perLayer: CorrelationStat[];
  /** Kendall tau of per-layer r against layer index. */
  trend: TrendStat;
}

/** The control comparison of one index (ControlComparison's fields, for any index). */
export interface IndexControls {
  medians: Record<string, number[]>;
  trends: Record<string, TrendStat>;
  riseSurvives: Record<string, boolean>;
  permutedSpread?: { median: number[]; min: number[]; max: number[] };
}

/** Trained vs each control, per layer (METHOD §8). */
export interface ControlComparison {
  layers: string[];
  /** pass id -> median PSI per layer (layers order). */
  medians: Record<string, number[]>;
  /** pass id -> depth trend. */
  trends: Record<string, TrendStat>;
  /** pass id -> whether PSI still rises with depth (tau > 0 and p < 0.05). */
  riseSurvives: Record<string, boolean>;
  /** For N permuted passes: per-layer median over permutations of the median PSI, and min/max. */
  permutedSpread?: { median: number[]; min: number[]; max: number[] };
  /** The same comparison for every index by id (`psi`: the fields above). */
  byIndex: Record<string, IndexControls>;
}

export interface SkippedFile {
  file: string;
  reason: string;
  /** What kind of problem (src/core/imageFormat.ts); absent in reports written before it existed. */
  kind?: 'empty' | 'unreadable' | 'not-an-image' | 'unsupported' | 'truncated' | 'corrupt' | 'too-large' | 'duplicate' | 'broken-link';
}

export interface AnalysisSettings {
  preset: string;
  imagesPerCategory: number | 'all';
  sampling: 'first' | 'random';
  minImagesPerCategory: number;
  seed: number;
  batchSize: number;
  layers: string[];
  unit: UnitMode;
  preprocessing: Preprocessing;
  accuracy: 'auto' | 'model' | 'decoder' | 'none';
  decoderLayer?: string;
  folds: number;
  correlation: 'pearson' | 'spearman';
  controls: {
    permutations: number;
    permuteTarget: 'weights' | 'biases';
    noNonlinearity: boolean;
    /** Leave remaining normalisation scales / shifts unpermuted (issue 10; absent in older reports: false). */
    keepNorms?: boolean;
  };
  /** Default layers when `layers` is empty (issue 10; absent in older reports: the study's). */
  taps?: 'auto' | TapSelection;
  /** Unit of token layers [N, T, D] (absent in older reports: mean). */
  tokens?: TokenUnit;
  /** How files became RGB pixels (src/core/decode.ts; absent in older reports and checkpoints: colour-managed). */
  decoding?: 'colour-managed' | 'pil';
  regressionGroups: string[];
  /** Passes held in memory and run together on each decoded image ('auto': as many as fit in half the RAM). */
  concurrentPasses: number | 'auto';
  referencePSI: number;
  /** Sparseness indices computed besides `psi` (always computed), by id (src/core/measures/registry.ts). */
  indices: string[];
  labelFile?: string;
  /** `i/n` when this run is one shard of a category split. */
  shard?: string;
}

/** The weights of the analysed model, when its export recorded them (torchvision:<arch>). */
export type ModelWeights =
  | {
      kind: 'pretrained';
      /** The weights' name, e.g. `IMAGENET1K_V1`. */
      name: string;
      /** torchvision's full name, e.g. `ResNet18_Weights.IMAGENET1K_V1`. */
      enum?: string;
    }
  | {
      kind: 'random';
      /** torch.manual_seed right before the model was built. */
      seed: number;
    };

export interface SparsityReport {
  schema: typeof REPORT_SCHEMA;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: string; version: string };
  createdAt: string;
  /** False while a run is still going (live panel); the saved file is always complete. */
  complete: boolean;
  model: {
    path: string;
    sha256: string;
    format: ModelFormat;
    source?: string;
    /** Pretrained (which) or random (seed); absent when the model file does not say. */
    weights?: ModelWeights;
    inputSize: { width: number; height: number };
  };
  engine: { runtime: string; backend: string };
  dataset: {
    path: string;
    categoriesFound: number;
    categoriesUsed: number;
    imagesFound: number;
    imagesUsed: number;
    droppedCategories: { name: string; reason: string }[];
  };
  settings: AnalysisSettings;
  categories: CategoryInfo[];
  /** passes[0] is always the trained model. */
  passes: PassResult[];
  accuracy?: AccuracyResult;
  psiAccuracy?: PsiAccuracyResult;
  /** Every per-category index against accuracy, by id (`psi`: psiAccuracy without its regressions). */
  indexAccuracy?: Record<string, IndexAccuracy>;
  controls?: ControlComparison;
  reference: { psi: number; label: string };
  skipped: SkippedFile[];
  /** Things the reader must know to trust the numbers (e.g. a control that changed nothing); absent: none. */
  warnings?: string[];
  timings: {
    startedAt: string;
    finishedAt: string;
    seconds: number;
    imagesPerSecond: number;
    /** Seconds the run loop waited for decoded images: decoding NOT hidden behind inference. */
    decodeSeconds: number;
    /** Seconds in forward passes (all passes). */
    inferenceSeconds: number;
    statsSeconds: number;
  };
  /** Files written beside the JSON, relative to the run folder. */
  files: { summaryCsv: string; psiCsv: string; html?: string; responses: Record<string, string> };
}
