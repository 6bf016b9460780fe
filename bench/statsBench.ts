/**
 * Bench items 4 and 5: the statistics stage on study-sized data and the decoder.
 *
 * (4) 1,000 categories x 4,096 units x 7 layers of category-mean responses, one pass: PSI
 *     per layer (z-score → min-max → Vinje–Gallant, core/psi.ts), spread, the pooled depth
 *     trend (Kendall tau-b on 7,000 pairs), Pearson r of PSI vs accuracy per layer, the
 *     Kendall trend of those r, and the OLS + forward-stepwise regressions of the default
 *     groups (conv, fc, all) — the same calls buildReport makes, timed one by one; then, when
 *     core/buildReport.ts loads, buildReport itself on a synthetic RunState (accuracy
 *     "model", so no decoder) as the end-to-end figure.
 * (5) trainDecoder (core/decoder.ts) on 20,000 x 4,096 features of 256 classes, 2 folds.
 */
import { runBenchChild } from './childResult';
import { layerPsi } from '../src/core/psi';
import { SeededRandom } from '../src/core/random';
import { kendallTauB, pearson, regressionResult, spread } from '../src/core/stats';

export interface StatsTiming {
  categories: number;
  units: number;
  layers: number;
  psiSeconds: number;
  trendSeconds: number;
  correlationSeconds: number;
  regressionSeconds: number;
  /** Sum of the parts above. */
  totalSeconds: number;
  /** buildReport() end to end on a synthetic run state (null if it could not be loaded). */
  buildReportSeconds: number | null;
  buildReportError?: string;
  /** PSI alone for the default 12 passes (trained + 10 permuted + no-ReLU), for scale. */
  psiTwelvePassesSeconds: number;
}

/** Non-negative category means with some category-selective units, like ReLU layers. */
function syntheticMeans(categories: number, units: number, rng: SeededRandom): Float64Array {
  const r = new Float64Array(categories * units);
  for (let i = 0; i < r.length; i++) {
    const v = rng.next();
    r[i] = v < 0.7 ? v * 0.2 : v * v * 3;
  }
  return r;
}

export async function benchStats(categories = 1000, units = 4096, layers = 7): Promise<StatsTiming> {
  const rng = new SeededRandom(11);
  const means = Array.from({ length: layers }, () => syntheticMeans(categories, units, rng));
  const accuracy = Array.from({ length: categories }, () => 0.3 + 0.6 * rng.next());

  let t = performance.now();
  const psi = means.map((m) => layerPsi(m, categories, units));
  const summaries = psi.map((p) => spread(p));
  const psiSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const x: number[] = [];
  const y: number[] = [];
  psi.forEach((p, li) => p.forEach((v) => (x.push(li + 1), y.push(v))));
  const trend = kendallTauB(x, y);
  const trendSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const perLayer = psi.map((p) => pearson(p, accuracy));
  const rTrend = kendallTauB(
    perLayer.map((_, i) => i + 1),
    perLayer.map((c) => c.r),
  );
  const correlationSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const names = psi.map((_, i) => (i < 5 ? `conv${i + 1}` : `fc${i - 4}`));
  const groups = [
    { group: 'conv', idx: [0, 1, 2, 3, 4] },
    { group: 'fc', idx: [5, 6] },
    { group: 'all', idx: [0, 1, 2, 3, 4, 5, 6] },
  ].map((g) => ({ ...g, idx: g.idx.filter((i) => i < layers) }));
  const regs = groups.map((g) => regressionResult(g.group, accuracy, g.idx.map((i) => psi[i]), g.idx.map((i) => names[i])));
  const regressionSeconds = (performance.now() - t) / 1000;
  // Keep the results alive so nothing is optimised away.
  if (!Number.isFinite(trend.tau + rTrend.n + regs.length + summaries.length)) throw new Error('stats bench: non-finite result');

  t = performance.now();
  for (let pass = 0; pass < 12; pass++) for (const m of means) layerPsi(m, categories, units);
  const psiTwelvePassesSeconds = (performance.now() - t) / 1000;

  let buildReportSeconds: number | null = null;
  let buildReportError: string | undefined;
  try {
    buildReportSeconds = await timeBuildReport(means, accuracy, categories, units, names);
  } catch (e) {
    buildReportError = (e as Error).message.split('\n')[0];
  }
  return {
    categories,
    units,
    layers,
    psiSeconds,
    trendSeconds,
    correlationSeconds,
    regressionSeconds,
    totalSeconds: psiSeconds + trendSeconds + correlationSeconds + regressionSeconds,
    buildReportSeconds,
    buildReportError,
    psiTwelvePassesSeconds,
  };
}

/** buildReport() on a RunState holding exactly these means (50 images per category). */
async function timeBuildReport(means: Float64Array[], accuracy: number[], categories: number, units: number, names: string[]): Promise<number> {
  const { buildReport } = await import('../src/core/buildReport');
  const { RunState } = await import('../src/core/runState');
  const { resolveSettings } = await import('../src/core/settings');
  const settings = resolveSettings({ accuracy: 'model', controls: { permutations: 0, noNonlinearity: false } });
  const images = 50;
  const state = new RunState(
    {
      datasetPath: '/bench',
      categoriesFound: categories,
      imagesFound: categories * images,
      droppedCategories: [],
      modelPath: '/bench/model.onnx',
      modelSha256: '0'.repeat(64),
      modelFormat: 'onnx',
      runtime: 'onnxruntime-node',
      backend: 'bench',
      inputSize: { width: 224, height: 224 },
      settings,
      startedAt: new Date().toISOString(),
      modelAccuracy: true,
      passGroupSize: 1,
    },
    accuracy.map((a, i) => ({
      name: `c${i}`,
      files: Array.from({ length: images }, (_, k) => `c${i}/${k}.jpg`),
      label: { index: i % 1000, name: `class${i}` },
      images,
      top1: Math.round(a * images),
      top5: images,
    })),
    [{ id: 'trained', kind: 'trained', label: 'trained' }],
    names.map((name, i) => ({ name, kind: i < 5 ? ('conv' as const) : ('fc' as const), units })),
    -1,
  );
  means.forEach((m, ti) => {
    const sums = state.sums[0][ti];
    for (let i = 0; i < m.length; i++) sums[i] = m[i] * images;
  });
  state.nextImage = state.totalImages;
  const t = performance.now();
  const report = await buildReport(state, { partial: false, runDir: '/nonexistent' });
  const s = (performance.now() - t) / 1000;
  if (!report.psiAccuracy) throw new Error('buildReport produced no PSI–accuracy statistics');
  return s;
}

export interface DecoderTiming {
  rows: number;
  units: number;
  classes: number;
  folds: number;
  seconds: number;
  overall: number;
  iterations?: unknown;
  converged?: unknown;
  backend?: string;
  error?: string;
}

/** Synthetic fc2-like features: class prototypes (sparse, non-negative) plus noise, ReLU. */
export function syntheticFeatures(rows: number, units: number, classes: number, seed = 5): { features: Float32Array; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  const proto = new Float32Array(classes * units);
  for (let i = 0; i < proto.length; i++) proto[i] = rng.next() < 0.05 ? 0.08 + 0.12 * rng.next() : 0;
  const features = new Float32Array(rows * units);
  const labels = new Int32Array(rows);
  const perClass = Math.floor(rows / classes);
  for (let r = 0; r < rows; r++) {
    // Category-major rows, as the run state keeps them.
    const c = Math.min(classes - 1, Math.floor(r / perClass));
    labels[r] = c;
    const o = r * units;
    const p = c * units;
    for (let u = 0; u < units; u++) {
      const v = proto[p + u] * (0.5 + rng.next()) + (rng.next() - 0.6) * 1.6;
      features[o + u] = v > 0 ? v : 0;
    }
  }
  return { features, labels };
}

export async function benchDecoder(rows = 20000, units = 4096, classes = 256, folds = 2): Promise<DecoderTiming> {
  let mod: { trainDecoder: (o: Record<string, unknown>) => Promise<{ overall: number; iterations?: unknown; converged?: unknown; trainSeconds?: number; backend?: string }> };
  try {
    mod = (await import('../src/core/decoder')) as unknown as typeof mod;
  } catch (e) {
    return { rows, units, classes, folds, seconds: NaN, overall: NaN, error: `core/decoder.ts not loadable: ${(e as Error).message.split('\n')[0]}` };
  }
  const { features, labels } = syntheticFeatures(rows, units, classes);
  const t = performance.now();
  const r = await mod.trainDecoder({ features, labels, numCategories: classes, folds, seed: 0 });
  const seconds = (performance.now() - t) / 1000;
  return { rows, units, classes, folds, seconds, overall: r.overall, iterations: r.iterations, converged: r.converged, backend: r.backend };
}

/**
 * `node --import tsx bench/statsBench.ts decoder|stats`: one measurement in a fresh process
 * (prints `BENCH_RESULT {json}`), so that what ran before in the benchmark cannot slow it
 * down (inside the benchmark's process, after every other section, the decoder once took 65 s
 * instead of its 45-47 s alone).
 */
if (require.main === module) {
  const what = process.argv[2];
  const run = what === 'decoder' ? benchDecoder() : benchStats();
  run.then(
    (r) => process.stdout.write(`BENCH_RESULT ${JSON.stringify(r)}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}

/** Runs benchDecoder / benchStats in a child process. */
export async function inChild<T>(what: 'decoder' | 'stats'): Promise<T> {
  const path = await import('path');
  return runBenchChild<T>(`statsBench ${what}`, process.execPath, ['--import', 'tsx', path.join(__dirname, 'statsBench.ts'), what]);
}
