/**
 * Lines up two or more reports (issue 12). Pure: the reports come in parsed (reader.ts reads
 * them); the result is the comparison.sparsity.json object.
 *
 * Numbers: every median, quartile, depth and depth trend is the report's own (copied, not
 * recomputed: layer.summary / pass.depthTrend for `psi`, indices[id].summary / trends[id] for
 * another index). Only when a report holds an index's values without its summary or trend are
 * they computed, the same way buildReport does (numpy-linear quantiles; Kendall tau-b of layer
 * index vs the pooled values). The bootstrap interval of each median is a
 * percentile interval over `resamples` resamples of the categories, with a fresh
 * SeededRandom(seed) per layer so a layer's interval does not depend on which other runs or
 * layers are in the comparison.
 */
import { basename, modelName } from '../report/format';
import type { AnalysisSettings, LayerPsi, PassResult, SparsityReport, TrendStat } from '../report/schema';
import { weightsText } from '../report/tables';
import { BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, bootstrapMedianCi } from '../report/uncertainty';
import { kendallTauB, quantile, spearman, spread, wilcoxonSignedRank } from '../stats';
import { UserError } from '../types';
import { TOOL_VERSION } from '../version';
import {
  COMPARISON_SCHEMA,
  COMPARISON_SCHEMA_VERSION,
  type ComparedLayer,
  type ComparedPass,
  type ComparedRun,
  type Comparison,
  type PairedComparison,
  type PairedLayer,
  type SettingDifference,
} from './schema';
import { indexInfo, layerIndexSummary, layerIndexValues, passIndexTrend, type IndexInfo } from './values';

export interface CompareInput {
  report: SparsityReport;
  /** The report file it came from (shown, and recorded in the comparison). */
  file: string;
}

export interface CompareOptions {
  /** Index id (default `psi`). */
  index?: string;
  /** `trained` (default) or `all` passes (controls too). */
  passes?: 'trained' | 'all';
  resamples?: number;
  seed?: number;
  /** Fixed time for reproducible output (tests); default now. */
  createdAt?: string;
}

// One bootstrap for the comparison and the report panel (core/report/uncertainty.ts): the same
// resamples, seed and level, so a layer's interval is the same number in both.
export const DEFAULT_RESAMPLES = BOOTSTRAP_RESAMPLES;
export const DEFAULT_BOOTSTRAP_SEED = BOOTSTRAP_SEED;
const LEVEL = BOOTSTRAP_LEVEL;
export { bootstrapMedianCi };

/** Run ids A, B, … Z, then R27, R28 (nobody lines up more by eye). */
export function runId(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `R${i + 1}`;
}

/** Legend text: model (weights) on dataset. */
export function runLabel(report: SparsityReport): string {
  const w = report.model.weights ? ` · ${weightsText(report.model.weights)}` : '';
  return `${modelName(report.model.path)}${w} on ${basename(report.dataset.path)}`;
}

function reportValues(layer: LayerPsi, index: IndexInfo, file: string): number[] {
  const v = layerIndexValues(layer, index.id);
  if (!v) {
    throw new UserError(
      `${file} has no values of the index "${index.id}" for layer ${layer.name} (this report has only ${index.id === 'psi' ? 'other indices' : 'PSI'}). Compare with --index psi, or analyse again with that index.`,
      'E_COMPARE',
    );
  }
  return v;
}

function comparedLayer(layer: LayerPsi, values: number[], index: IndexInfo, o: Required<Pick<CompareOptions, 'resamples' | 'seed'>>): ComparedLayer {
  // The report's own summary when it has one (the numbers the run printed); else numpy-linear quantiles.
  const s = layerIndexSummary(layer, index.id) ?? spread(values);
  const ci = bootstrapMedianCi(values, o.resamples, o.seed, LEVEL);
  return {
    name: layer.name,
    index: layer.index,
    relativeDepth: layer.relativeDepth,
    ...(layer.stage !== undefined ? { stage: layer.stage } : {}),
    ...(layer.block !== undefined ? { block: layer.block } : {}),
    kind: layer.kind,
    units: layer.units,
    n: values.length,
    median: s.median,
    q1: s.q1,
    q3: s.q3,
    ciLow: ci.low,
    ciHigh: ci.high,
  };
}

/** Depth trend of pooled values (buildReport's rule: x = layer index repeated, y = values). */
function pooledTrend(pass: PassResult, values: number[][]): TrendStat {
  const x: number[] = [];
  const y: number[] = [];
  pass.layers.forEach((l, li) => values[li].forEach((v) => (x.push(l.index), y.push(v))));
  const k = kendallTauB(x, y);
  return { tau: k.tau, p: k.p, n: k.n };
}

function comparedPass(pass: PassResult, index: IndexInfo, file: string, o: Required<Pick<CompareOptions, 'resamples' | 'seed'>>): ComparedPass {
  const values = pass.layers.map((l) => reportValues(l, index, file));
  return {
    id: pass.id,
    kind: pass.kind,
    depthTrend: passIndexTrend(pass, index.id) ?? pooledTrend(pass, values),
    layers: pass.layers.map((l, li) => comparedLayer(l, values[li], index, o)),
  };
}

function comparedRun(input: CompareInput, i: number, index: IndexInfo, passes: 'trained' | 'all', o: Required<Pick<CompareOptions, 'resamples' | 'seed'>>): ComparedRun {
  const r = input.report;
  if (!r.complete) throw new UserError(`${input.file} is a partial report (its run had not finished). Compare complete reports.`, 'E_COMPARE');
  const chosen = passes === 'all' ? r.passes : r.passes.filter((p) => p.kind === 'trained').slice(0, 1);
  if (chosen.length === 0) throw new UserError(`${input.file} has no trained pass.`, 'E_COMPARE');
  const acc = r.psiAccuracy;
  return {
    id: runId(i),
    label: runLabel(r),
    reportFile: input.file,
    reportCreatedAt: r.createdAt,
    model: { name: modelName(r.model.path), path: r.model.path, sha256: r.model.sha256, ...(r.model.weights ? { weights: r.model.weights } : {}) },
    dataset: { name: basename(r.dataset.path), path: r.dataset.path, images: r.dataset.imagesUsed },
    categories: r.categories.map((c) => c.name),
    settings: r.settings,
    passes: chosen.map((p) => comparedPass(p, index, input.file, o)),
    // Sparseness–accuracy statistics exist for PSI only; shown for psi comparisons.
    ...(acc && index.id === 'psi' ? { psiAccuracy: { method: acc.method, perLayer: acc.perLayer, trend: acc.trend, regressions: acc.regressions } } : {}),
  };
}

// ------------------------------------------------------------------ settings that differ

/** Settings whose difference does not change any number (how the run was scheduled, display). */
const NEUTRAL_SETTINGS = new Set(['batchSize', 'concurrentPasses', 'referencePSI', 'preset', 'shard']);

function flatten(prefix: string, v: unknown, out: Map<string, string>): void {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  } else if (v !== undefined) out.set(prefix, Array.isArray(v) ? (v.length ? v.join(',') : '(default)') : String(v));
}

function runFacts(r: SparsityReport): Map<string, string> {
  const m = new Map<string, string>();
  m.set('dataset', r.dataset.path);
  m.set('categories', `${r.categories.length}`);
  m.set('model', `${modelName(r.model.path)} (sha256 ${r.model.sha256.slice(0, 12)})`);
  if (r.model.weights) m.set('weights', weightsText(r.model.weights));
  flatten('', r.settings as AnalysisSettings, m);
  return m;
}

export function settingDifferences(runs: { id: string; report: SparsityReport }[]): SettingDifference[] {
  const facts = runs.map((r) => runFacts(r.report));
  const keys: string[] = [];
  for (const f of facts) for (const k of f.keys()) if (!keys.includes(k)) keys.push(k);
  const out: SettingDifference[] = [];
  for (const k of keys) {
    const vals = facts.map((f) => f.get(k) ?? '—');
    if (vals.every((v) => v === vals[0])) continue;
    out.push({ setting: k, values: Object.fromEntries(runs.map((r, i) => [r.id, vals[i]])), changesNumbers: !NEUTRAL_SETTINGS.has(k.split('.')[0]) });
  }
  return out;
}

// ------------------------------------------------------------------ paired part

/** B's layer for each of A's: the same name when B has it, else the nearest relative depth (the shallower on a tie). */
export function matchLayers(a: { name: string; relativeDepth: number }[], b: { name: string; relativeDepth: number }[]): { a: number; b: number; by: 'name' | 'depth' }[] {
  return a.map((la, ia) => {
    const byName = b.findIndex((lb) => lb.name === la.name);
    if (byName >= 0) return { a: ia, b: byName, by: 'name' as const };
    let best = 0;
    for (let j = 1; j < b.length; j++) if (Math.abs(b[j].relativeDepth - la.relativeDepth) < Math.abs(b[best].relativeDepth - la.relativeDepth)) best = j;
    return { a: ia, b: best, by: 'depth' as const };
  });
}

function sameCategorySet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((n) => s.has(n));
}

function paired(a: CompareInput, b: CompareInput, ids: [string, string], index: IndexInfo): PairedComparison {
  const pa = a.report.passes.find((p) => p.kind === 'trained')!;
  const pb = b.report.passes.find((p) => p.kind === 'trained')!;
  const cats = a.report.categories.map((c) => c.name);
  // B's values reordered into A's category order (names match as a set).
  const bOrder = cats.map((n) => b.report.categories.findIndex((c) => c.name === n));
  const va = pa.layers.map((l) => reportValues(l, index, a.file));
  const vb = pb.layers.map((l) => reportValues(l, index, b.file)).map((v) => bOrder.map((i) => v[i]));
  const layers: PairedLayer[] = matchLayers(pa.layers, pb.layers).map((m) => {
    const x = va[m.a];
    const y = vb[m.b];
    const diff = x.map((v, i) => y[i] - v);
    const w = wilcoxonSignedRank(x, y);
    return {
      layerA: pa.layers[m.a].name,
      layerB: pb.layers[m.b].name,
      relativeDepthA: pa.layers[m.a].relativeDepth,
      relativeDepthB: pb.layers[m.b].relativeDepth,
      matchedBy: m.by,
      differences: diff,
      medianDifference: quantile(diff, 0.5),
      wilcoxon: { statistic: w.statistic, p: w.p, n: w.n, nonZero: w.nonZero, method: w.method },
    };
  });
  const la = va.length - 1;
  const lb = vb.length - 1;
  const rho = spearman(va[la], vb[lb]);
  return {
    a: ids[0],
    b: ids[1],
    pass: 'trained',
    categories: cats,
    layers,
    lastLayer: { layerA: pa.layers[la].name, layerB: pb.layers[lb].name, a: va[la], b: vb[lb], spearman: { r: rho.r, p: rho.p, n: rho.n } },
  };
}

/** The comparison of `inputs` (two or more reports; runs[0] is the reference of the paired part). */
export function buildComparison(inputs: CompareInput[], options: CompareOptions = {}): Comparison {
  if (inputs.length < 2) throw new UserError(`Compare needs two or more reports (got ${inputs.length}).`, 'E_COMPARE');
  const index = indexInfo(options.index ?? 'psi');
  const passes = options.passes ?? 'trained';
  const o = { resamples: options.resamples ?? DEFAULT_RESAMPLES, seed: options.seed ?? DEFAULT_BOOTSTRAP_SEED };
  if (!(Number.isInteger(o.resamples) && o.resamples >= 100)) throw new UserError(`Bootstrap resamples must be an integer of at least 100 (got ${o.resamples}).`, 'E_COMPARE');
  const runs = inputs.map((inp, i) => comparedRun(inp, i, index, passes, o));
  const pairs: PairedComparison[] = [];
  const unpaired: Record<string, string> = {};
  const catsA = runs[0].categories;
  for (let i = 1; i < runs.length; i++) {
    if (index.axis !== 'category') {
      unpaired[runs[i].id] = `${index.label} has one value per unit, not per category: units of two networks do not pair.`;
    } else if (!sameCategorySet(catsA, runs[i].categories)) {
      const common = runs[i].categories.filter((c) => catsA.includes(c)).length;
      unpaired[runs[i].id] = `Run ${runs[i].id} has ${runs[i].categories.length} categories, run A ${catsA.length}, ${common} in common: the paired test needs the same categories (names) in both; the overlay still compares them.`;
    } else {
      pairs.push(paired(inputs[0], inputs[i], [runs[0].id, runs[i].id], index));
    }
  }
  return {
    schema: COMPARISON_SCHEMA,
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    tool: { name: 'sparsity-lens', version: TOOL_VERSION },
    createdAt: options.createdAt ?? new Date().toISOString(),
    index,
    passes,
    bootstrap: { resamples: o.resamples, seed: o.seed, level: LEVEL, method: 'percentile' },
    runs,
    differences: settingDifferences(inputs.map((inp, i) => ({ id: runs[i].id, report: inp.report }))),
    paired: pairs,
    unpaired,
  };
}
