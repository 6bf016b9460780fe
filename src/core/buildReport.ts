/**
 * The statistics stage: from a run's accumulators to a SparsityReport (METHOD §4–9).
 * Pure computation plus the decoder; file writing lives in report/writer.ts.
 */
import { controlWarning } from './controlChanges';
import type { AnalyzeHooks } from './analyzeTypes';
import { layerPsi } from './psi';
import type {
  AccuracyResult,
  ControlComparison,
  LayerPsi,
  PassResult,
  PsiAccuracyResult,
  RegressionResult,
  SparsityReport,
  TrendStat,
} from './report/schema';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION } from './report/schema';
import { relativeDepth, stageBlocks } from './report/depth';
import { CSV_TABLES } from './report/csv';
import { indexAccuracy, indexControls, indexTrends, layerIndices } from './indexStats';
import { safeName, type RunState } from './runState';
import { kendallTauB, pearson, regressionResult, spearman, spread } from './stats';
import { TOOL_NAME, TOOL_VERSION } from './version';

export interface BuildOptions {
  /** A live preview: only completed categories, no decoder, no regression. */
  partial: boolean;
  runDir: string;
  hooks?: AnalyzeHooks;
  /** Partial reports: only the first passCount passes have data yet (pass groups). */
  passCount?: number;
}

/** Depth trend (METHOD §6): Kendall tau-b of layer index vs every category PSI, pooled. */
export function depthTrend(layers: LayerPsi[]): TrendStat {
  const x: number[] = [];
  const y: number[] = [];
  for (const l of layers) for (const v of l.psi) {
    x.push(l.index);
    y.push(v);
  }
  const { tau, p, n } = kendallTauB(x, y);
  return { tau, p, n };
}

/** Categories that count: every category with at least one decoded image (and the minimum). */
function usedCategories(state: RunState, partial: boolean): number[] {
  const min = Math.max(1, state.meta.settings.minImagesPerCategory);
  const files = state.categories.map((c) => c.files.length);
  let end = 0;
  return state.categories
    .map((c, i) => {
      end += files[i];
      // In a partial report only categories the run has fully passed are final.
      const finished = !partial || end <= state.nextImage;
      return finished && c.images >= min ? i : -1;
    })
    .filter((i) => i >= 0);
}

function passResults(state: RunState, used: number[], passCount: number, hooks?: AnalyzeHooks, partial = false): PassResult[] {
  const where = stageBlocks(state.taps.map((t) => t.name));
  return state.passes.slice(0, passCount).map((p, pi) => {
    const layers: LayerPsi[] = state.taps.map((t, ti) => {
      const means = state.means(pi, ti, used);
      const psi = layerPsi(means, used.length, t.units);
      // Every chosen sparseness index and the diagnostics (issue 11; indexStats.ts).
      const ix = layerIndices({ r: means, categories: used.length, units: t.units, active: state.activeFraction(pi, ti, used) }, state.meta.settings.indices, psi, { diagnostics: !partial });
      if (ix.missing.length && pi === 0 && ti === 0) hooks?.onLog?.(`Index ${ix.missing.join(', ')} not computed: this run's saved state predates it (run again to have it).`);
      return {
        name: t.name,
        index: ti + 1,
        relativeDepth: relativeDepth(ti + 1, state.taps.length),
        ...where[ti],
        kind: t.kind,
        units: t.units,
        psi,
        summary: spread(psi),
        indices: ix.indices,
        ...(ix.diagnostics ? { diagnostics: ix.diagnostics } : {}),
        responsesFile: `responses/${p.id}/${safeName(t.name)}.npy`,
      };
    });
    return {
      id: p.id,
      kind: p.kind,
      ...(p.kind === 'permuted' ? { seed: p.seed, permuteTarget: state.meta.settings.controls.permuteTarget } : {}),
      ...(state.meta.controlChanges?.[p.id] ? { changes: state.meta.controlChanges[p.id] } : {}),
      layers,
      depthTrend: depthTrend(layers),
      trends: indexTrends(layers),
    };
  });
}

/** Warnings for the report: controls that changed nothing (analyze.ts logs them as they happen). */
function warningsOf(state: RunState): string[] {
  const out: string[] = [];
  for (const p of state.passes) {
    const c = state.meta.controlChanges?.[p.id];
    const w = c ? controlWarning(p, c) : null;
    if (w) out.push(w);
  }
  out.push(...(state.meta.dataWarnings ?? []));
  return out;
}

async function accuracyResult(state: RunState, used: number[], hooks?: AnalyzeHooks): Promise<AccuracyResult | undefined> {
  const s = state.meta.settings;
  if (s.accuracy === 'none') return undefined;
  const cats = used.map((i) => state.categories[i]);
  let model: AccuracyResult['model'];
  if (state.meta.modelAccuracy) {
    const top1 = cats.map((c) => c.top1 / c.images);
    const top5 = cats.map((c) => c.top5 / c.images);
    const n = cats.reduce((a, c) => a + c.images, 0);
    model = {
      top1,
      top5,
      top1Overall: cats.reduce((a, c) => a + c.top1, 0) / n,
      top5Overall: cats.reduce((a, c) => a + c.top5, 0) / n,
    };
  }
  let decoder: AccuracyResult['decoder'];
  if (state.decoderTap >= 0 && state.featureRows > 0 && s.accuracy !== 'model') {
    const units = state.decoderUnits();
    // Only rows of used categories, relabelled 0..used-1.
    const remap = new Int32Array(state.categories.length).fill(-1);
    used.forEach((c, k) => (remap[c] = k));
    const keep: number[] = [];
    for (let i = 0; i < state.featureRows; i++) if (remap[state.featureLabels[i]] >= 0) keep.push(i);
    const features = new Float32Array(keep.length * units);
    const labels = new Int32Array(keep.length);
    keep.forEach((row, k) => {
      features.set(state.features.subarray(row * units, (row + 1) * units), k * units);
      labels[k] = remap[state.featureLabels[row]];
    });
    hooks?.onProgress?.({ phase: 'accuracy', done: 0, total: s.folds, imagesPerSecond: 0, etaSeconds: null, message: `Training decoder on ${s.decoderLayer} (${keep.length} x ${units})` });
    // Loaded on demand: TF.js is only needed when a decoder is trained.
    const { trainDecoder } = await import('./decoder');
    const r = await trainDecoder({
      features,
      labels,
      numCategories: used.length,
      folds: s.folds,
      seed: s.seed,
      signal: hooks?.signal,
      onProgress: (done: number, total: number) =>
        hooks?.onProgress?.({ phase: 'accuracy', done, total, imagesPerSecond: 0, etaSeconds: null, message: `Decoder fold ${done}/${total}` }),
    });
    decoder = {
      layer: s.decoderLayer!,
      folds: s.folds,
      seed: s.seed,
      perCategory: r.perCategory,
      overall: r.overall,
      featureMemoryBytes: state.features.byteLength,
      trainSeconds: r.trainSeconds,
      iterations: r.iterations,
      converged: r.converged,
      backend: r.backend,
    };
    if (r.converged.some((c) => !c)) {
      hooks?.onLog?.(`Decoder stopped at its iteration cap before converging in ${r.converged.filter((c) => !c).length} of ${r.converged.length} folds (iterations ${r.iterations.join(', ')}).`);
    }
  }
  const useModel = s.accuracy === 'model' || (s.accuracy === 'auto' && model !== undefined);
  if (useModel && model) return { method: 'model', perCategory: model.top1, overall: model.top1Overall, model, decoder };
  if (decoder) return { method: 'decoder', perCategory: decoder.perCategory, overall: decoder.overall, model, decoder };
  return undefined;
}

function regressionGroups(state: RunState, names: string[]): { group: string; layers: string[] }[] {
  const taps = state.taps;
  return names
    .map((g) => {
      if (g === 'conv') return { group: g, layers: taps.filter((t) => t.kind === 'conv').map((t) => t.name) };
      if (g === 'fc') return { group: g, layers: taps.filter((t) => t.kind === 'fc').map((t) => t.name) };
      if (g === 'all') return { group: g, layers: taps.map((t) => t.name) };
      // A named list: "fc1+fc2".
      return { group: g, layers: g.split('+').map((x) => x.trim()).filter((x) => taps.some((t) => t.name === x)) };
    })
    .filter((g) => g.layers.length > 0);
}

/** The pass with only the kept categories' values (per-category indices too), for the accuracy statistics. */
function subsetPass(pass: PassResult, keep: boolean[]): PassResult {
  if (keep.every(Boolean)) return pass;
  const pick = (v: number[]) => v.filter((_, k) => keep[k]);
  return {
    ...pass,
    layers: pass.layers.map((l) => ({
      ...l,
      psi: pick(l.psi),
      indices: Object.fromEntries(Object.entries(l.indices ?? {}).map(([id, x]) => [id, x.axis === 'category' ? { ...x, values: pick(x.values) } : x])),
    })),
  };
}

function psiAccuracy(state: RunState, trained: PassResult, accuracy: number[]): PsiAccuracyResult {
  const method = state.meta.settings.correlation;
  const corr = method === 'spearman' ? spearman : pearson;
  const perLayer = trained.layers.map((l) => ({ layer: l.name, ...corr(l.psi, accuracy) }));
  const t = kendallTauB(
    trained.layers.map((l) => l.index),
    perLayer.map((c) => c.r),
  );
  const regressions: RegressionResult[] = [];
  const n = accuracy.length;
  for (const g of regressionGroups(state, state.meta.settings.regressionGroups)) {
    // OLS needs more categories than predictors + 1.
    if (n <= g.layers.length + 1) continue;
    const columns = g.layers.map((name) => trained.layers.find((l) => l.name === name)!.psi);
    regressions.push(regressionResult(g.group, accuracy, columns, g.layers));
  }
  return { method, perLayer, trend: { tau: t.tau, p: t.p, n: t.n }, regressions };
}

function controlComparison(passes: PassResult[]): ControlComparison | undefined {
  if (passes.length < 2) return undefined;
  const layers = passes[0].layers.map((l) => l.name);
  const medians: Record<string, number[]> = {};
  const trends: Record<string, TrendStat> = {};
  const riseSurvives: Record<string, boolean> = {};
  for (const p of passes) {
    medians[p.id] = p.layers.map((l) => l.summary.median);
    trends[p.id] = p.depthTrend;
    riseSurvives[p.id] = p.depthTrend.tau > 0 && p.depthTrend.p < 0.05;
  }
  const permuted = passes.filter((p) => p.kind === 'permuted');
  let permutedSpread: ControlComparison['permutedSpread'];
  if (permuted.length) {
    const per = layers.map((_, li) => permuted.map((p) => p.layers[li].summary.median));
    permutedSpread = {
      median: per.map((v) => spread(v).median),
      min: per.map((v) => Math.min(...v)),
      max: per.map((v) => Math.max(...v)),
    };
  }
  return { layers, medians, trends, riseSurvives, permutedSpread, byIndex: indexControls(passes) };
}

export async function buildReport(state: RunState, options: BuildOptions): Promise<SparsityReport> {
  const t0 = performance.now();
  const s = state.meta.settings;
  const used = usedCategories(state, options.partial);
  const passes = passResults(state, used, options.partial ? options.passCount ?? state.passes.length : state.passes.length, options.hooks, options.partial);
  const dropped = [...state.meta.droppedCategories];
  if (!options.partial) {
    state.categories.forEach((c, i) => {
      if (!used.includes(i)) dropped.push({ name: c.name, reason: c.images === 0 ? 'no image could be decoded' : `only ${c.images} images decoded, fewer than the minimum ${s.minImagesPerCategory}` });
    });
  }
  let accuracy: AccuracyResult | undefined;
  let psiAcc: PsiAccuracyResult | undefined;
  let indexAcc: SparsityReport['indexAccuracy'];
  const statWarnings: string[] = [];
  if (!options.partial && used.length < 3 && s.accuracy !== 'none') {
    statWarnings.push(`Accuracy and the PSI-accuracy statistics are left out: they need at least 3 categories (correlations across categories), this run has ${used.length}.`);
  }
  if (!options.partial && used.length >= 3) {
    accuracy = await accuracyResult(state, used, options.hooks);
    if (accuracy) {
      options.hooks?.onProgress?.({ phase: 'stats', done: 0, total: 1, imagesPerSecond: 0, etaSeconds: null, message: 'Statistics' });
      // A category with fewer images than decoder folds is not tested in every fold: its accuracy
      // is not comparable, so it is left out of the accuracy statistics (NaN, null in JSON).
      const keep = used.map((i) => accuracy!.method !== 'decoder' || state.categories[i].images >= s.folds);
      const left = used.filter((_, k) => !keep[k]).map((i) => `${state.categories[i].name} (${state.categories[i].images})`);
      if (left.length) {
        statWarnings.push(`${left.length} categor${left.length === 1 ? 'y has' : 'ies have'} fewer images than the decoder's ${s.folds} folds and ${left.length === 1 ? 'is' : 'are'} left out of the accuracy statistics: ${left.join(', ')}. Add images or lower --folds.`);
        accuracy.perCategory = accuracy.perCategory.map((v, k) => (keep[k] ? v : NaN));
        if (accuracy.decoder) accuracy.decoder.perCategory = accuracy.decoder.perCategory.map((v, k) => (keep[k] ? v : NaN));
      }
      const kept = keep.filter(Boolean).length;
      if (kept >= 3) {
        const sub = subsetPass(passes[0], keep);
        const acc = accuracy.perCategory.filter((_, k) => keep[k]);
        psiAcc = psiAccuracy(state, sub, acc);
        indexAcc = indexAccuracy(sub, acc, s.correlation);
      } else {
        statWarnings.push(`The PSI-accuracy statistics are left out: they need at least 3 categories with accuracy, this run has ${kept}.`);
      }
    }
  }
  const imagesUsed = used.reduce((a, i) => a + state.categories[i].images, 0);
  // A partial report's duration is the run's so far (elapsedBefore only grows when the passes end).
  const seconds = options.partial && state.sessionStart !== undefined ? state.elapsedBefore + (performance.now() - state.sessionStart) / 1000 : state.elapsedBefore;
  const now = new Date().toISOString();
  return {
    schema: REPORT_SCHEMA,
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt: now,
    complete: !options.partial,
    model: {
      path: state.meta.modelPath,
      sha256: state.meta.modelSha256,
      format: state.meta.modelFormat,
      ...(state.meta.modelSource ? { source: state.meta.modelSource } : {}),
      ...(state.meta.modelWeights ? { weights: state.meta.modelWeights } : {}),
      inputSize: state.meta.inputSize,
    },
    engine: { runtime: state.meta.runtime, backend: state.meta.backend },
    dataset: {
      path: state.meta.datasetPath,
      categoriesFound: state.meta.categoriesFound,
      categoriesUsed: used.length,
      imagesFound: state.meta.imagesFound,
      imagesUsed,
      droppedCategories: dropped,
    },
    settings: s,
    categories: used.map((i) => {
      const c = state.categories[i];
      return { name: c.name, images: c.images, ...(c.label ? { classIndex: c.label.index, className: c.label.name } : {}) };
    }),
    passes,
    ...(accuracy ? { accuracy } : {}),
    ...(psiAcc ? { psiAccuracy: psiAcc } : {}),
    ...(indexAcc ? { indexAccuracy: indexAcc } : {}),
    ...(passes.length > 1 ? { controls: controlComparison(passes) } : {}),
    reference: { psi: s.referencePSI, label: 'Macaque extrastriate cortex (as cited by Liu et al. 2020)' },
    skipped: state.skipped,
    ...(warningsOf(state).length + statWarnings.length ? { warnings: [...warningsOf(state), ...statWarnings] } : {}),
    timings: {
      startedAt: state.meta.startedAt,
      finishedAt: now,
      seconds,
      imagesPerSecond: seconds > 0 ? imagesUsed / seconds : 0,
      decodeSeconds: state.decodeSeconds,
      inferenceSeconds: state.inferenceSeconds,
      statsSeconds: (performance.now() - t0) / 1000,
    },
    files: {
      summaryCsv: CSV_TABLES.summary.file,
      psiCsv: CSV_TABLES.psi.file,
      responses: Object.fromEntries(passes[0].layers.map((l) => [l.name, l.responsesFile!])),
    },
  };
}
