/**
 * `npm run bench [-- options]`: the speed and memory benchmark of issue 6 (docs/PERFORMANCE.md).
 *
 * Offline and self-contained: builds random-weight AlexNet- and VGG11-shaped ONNX models and a
 * TF.js LayersModel of the AlexNet shape, generates 500x375 JPEGs, then measures
 *   (1) engine throughput, logits only, on a pre-decoded batch
 *   (2) the same with all default taps and their in-graph spatial means
 *   (3) the full pipeline: analyze() with controls off and accuracy none (scan, decode,
 *       resize, forward, taps, accumulate), steady-state images/s, in a child process
 *   (4) the statistics stage for 1,000 categories x 4,096 units x 7 layers
 *   (5) decoder training on 20,000 x 4,096 features, 256 classes ((4) and (5) in fresh processes)
 *   (6) peak RSS of the pipeline for N and 4N images (child processes)
 *   (7) a fast first chart (issue 15): the default analysis (trained + 10 permuted + no-ReLU) of
 *       AlexNet on 10 categories x 12 images in a child process: seconds to the trained pass's
 *       first partial report and to the end (section firstchart)
 *   and the PyTorch pipeline (bench/torch_pipeline.py, Debian's /usr/bin/python3) on the same
 *   images, then prints a table, the targets as met / not met, and writes .bench/results.json.
 *
 * Options:
 *   --quick            fewer images and rounds (about a third of the time; noisier)
 *   --only a,b         sections: onnx, tfjs, torch, rss, stats, decoder, firstchart (default: all)
 *   --batch N          batch size for every measurement (default 8, the settings default)
 *   --torch-workers W  DataLoader workers of the PyTorch pipeline (default 1, its fastest; PERFORMANCE.md)
 *   --record           also copy the results to bench/results.json
 * Generated data lives in .bench/ (git-ignored) and is reused by later runs.
 */
import { runBenchChild } from './childResult';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { interleaved, randomBatch, type Timed } from './engineBench';
import { BENCH_DIR, ROOT, imageSet, onnxModel, tfjsAlexnet, type ImageSet } from './fixtures';
import { runChild, type ChildResult } from './pipelineChild';
import { inChild, type DecoderTiming, type StatsTiming } from './statsBench';
import { runWorkFloorChild, type WorkFloorResult } from './workFloorChild';

// ------------------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
};
const QUICK = flag('quick');
const ALL_SECTIONS = ['onnx', 'tfjs', 'torch', 'rss', 'stats', 'decoder', 'firstchart'] as const;
type Section = (typeof ALL_SECTIONS)[number];
const ONLY = new Set<Section>((value('only')?.split(',').map((s) => s.trim()) ?? [...ALL_SECTIONS]) as Section[]);
for (const s of ONLY) if (!ALL_SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}" (use ${ALL_SECTIONS.join(', ')})`);
const BATCH = Number(value('batch') ?? 8);
const TORCH_WORKERS = Number(value('torch-workers') ?? 1);
const PYTHON = '/usr/bin/python3';

/** Sizes. The 4N set is the AlexNet pipeline set; N is its first quarter of every category. */
const SIZES = QUICK
  ? { categories: 10, perCategory: 20, vggPerCategory: 4, tfjsPerCategory: 2, rounds: 3, alexBatches: 4, vggBatches: 1, tfjsBatches: 1 }
  : { categories: 20, perCategory: 40, vggPerCategory: 10, tfjsPerCategory: 4, rounds: 7, alexBatches: 10, vggBatches: 2, tfjsBatches: 2 };

// ------------------------------------------------------------------------------ helpers

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const f1 = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(1));
const f2 = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));
const pct = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

interface EngineRow {
  logits?: Timed;
  taps?: Timed;
  tapNames?: string[];
  backend?: string;
  error?: string;
}

interface TorchResult {
  imagesPerSecond: number;
  wallSeconds: number;
  cpuMsPerImage: number;
  images: number;
  workers: number;
  threads: number;
  torch: string;
  maxRssMB: number;
  error?: string;
}

interface Results {
  date: string;
  quick: boolean;
  batch: number;
  machine: { cpus: number; model: string; memoryGB: number; loadStart: string; loadEnd?: string; node: string };
  images?: { dir: string; total: number; meanKB: number; size: string };
  engines: Record<string, EngineRow>;
  pipeline: Record<string, ChildResult | { error: string }>;
  torch: Record<string, TorchResult | { error: string }>;
  rss?: { n: number; n4: number; small: ChildResult | { error: string }; large: ChildResult | { error: string }; controls?: ChildResult | { error: string } };
  stats?: StatsTiming | { error: string };
  decoder?: DecoderTiming;
  firstChart?: ChildResult | { error: string };
  /** (7b) the same analysis's work, each part alone: the shortest its wall time can be on this machine. */
  workFloor?: WorkFloorResult | { error: string };
  targets: { name: string; met: boolean | null; figure: string }[];
  seconds?: number;
}

async function engineRow(modelPath: string, rounds: number, batchesPerRound: number): Promise<EngineRow> {
  const { openEngine } = await import('../src/core/engines');
  const engine = await openEngine(modelPath);
  try {
    const taps = engine.defaultTaps();
    const trained = { kind: 'trained' as const };
    const logits = await engine.createSession({ taps: [], variant: trained, unitMode: 'channel', includeLogits: true });
    const tapped = await engine.createSession({ taps, variant: trained, unitMode: 'channel', includeLogits: false });
    const size = engine.inputSize ?? { width: 224, height: 224 };
    const input = randomBatch(BATCH * 3 * size.width * size.height);
    const [a, b] = await interleaved([logits, tapped], input, BATCH, { rounds, batchesPerRound, warmup: 1 });
    await logits.dispose();
    await tapped.dispose();
    return { logits: a, taps: b, tapNames: taps, backend: engine.backend };
  } finally {
    await engine.dispose();
  }
}

function runTorch(dataset: string, arch: string, perCategory: number): Promise<TorchResult> {
  const args = [path.join(__dirname, 'torch_pipeline.py'), '--dataset', dataset, '--arch', arch, '--batch', String(BATCH), '--workers', String(TORCH_WORKERS), '--threads', String(os.cpus().length), '--images-per-category', String(perCategory)];
  return runBenchChild<TorchResult>('torch_pipeline.py', PYTHON, args);
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (e) {
    const msg = (e as Error).message.split('\n').slice(0, 3).join(' ');
    log(`${what} failed: ${msg}`);
    return { error: msg };
  }
}

const ok = <T extends object>(r: T | { error: string } | undefined): T | undefined => (r && !('error' in r) ? (r as T) : undefined);

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const t0 = performance.now();
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const res: Results = {
    date: new Date().toISOString(),
    quick: QUICK,
    batch: BATCH,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', memoryGB: Math.round(os.totalmem() / 2 ** 30), loadStart: load(), node: process.version },
    engines: {},
    pipeline: {},
    torch: {},
    targets: [],
  };
  log(`${QUICK ? 'quick' : 'full'} run, batch ${BATCH}, ${os.cpus().length} CPUs, load average ${load()}`);

  // Fixtures.
  const needImages = ONLY.has('onnx') || ONLY.has('tfjs') || ONLY.has('torch') || ONLY.has('rss');
  let images: ImageSet | undefined;
  if (needImages) {
    log(`images: ${SIZES.categories} categories x ${SIZES.perCategory} JPEGs (500x375)...`);
    images = await imageSet(`set${SIZES.categories}x${SIZES.perCategory}`, SIZES.categories, SIZES.perCategory);
    res.images = { dir: path.relative(ROOT, images.dir), total: images.total, meanKB: images.meanBytes / 1024, size: '500x375 (1 in 4 portrait 375x500)' };
  }
  const runs = path.join(BENCH_DIR, 'runs');
  const nQuarter = Math.max(1, Math.floor(SIZES.perCategory / 4));

  // ---- ONNX AlexNet / VGG11: (1), (2), (3), PyTorch, RSS
  const onnxArchs = (['alexnet', 'vgg11'] as const).filter(() => ONLY.has('onnx') || ONLY.has('torch') || ONLY.has('rss'));
  for (const arch of onnxArchs) {
    log(`${arch}: building model if needed...`);
    const model = onnxModel(arch);
    const per = arch === 'alexnet' ? SIZES.perCategory : SIZES.vggPerCategory;
    const key = `${arch}-onnx`;
    if (ONLY.has('onnx')) {
      log(`${arch}: (1)/(2) engine throughput...`);
      const rounds = arch === 'alexnet' ? SIZES.rounds : Math.min(SIZES.rounds, 5);
      res.engines[key] = await attempt(`${arch} engine`, () => engineRow(model, rounds, arch === 'alexnet' ? SIZES.alexBatches : SIZES.vggBatches)).then((r) => ('error' in r ? { error: r.error } : r));
      log(`${arch}: (3) full pipeline on ${SIZES.categories * per} images...`);
      res.pipeline[key] = await attempt(`${arch} pipeline`, () => runChild({ model, dataset: images!.dir, outputRoot: runs, batchSize: BATCH, imagesPerCategory: per }));
    }
    if (ONLY.has('torch')) {
      log(`${arch}: PyTorch pipeline on the same ${SIZES.categories * per} images...`);
      res.torch[arch] = await attempt(`${arch} torch`, () => runTorch(images!.dir, arch, per));
    }
    if (arch === 'alexnet' && ONLY.has('rss')) {
      // 4N is the (3) run above when it ran; N is a quarter of every category.
      log(`alexnet: (6) RSS for N = ${SIZES.categories * nQuarter} and 4N = ${SIZES.categories * nQuarter * 4} images...`);
      const large = ok<ChildResult>(res.pipeline[key]) && nQuarter * 4 === SIZES.perCategory ? res.pipeline[key] : await attempt('rss 4N', () => runChild({ model, dataset: images!.dir, outputRoot: runs, batchSize: BATCH, imagesPerCategory: nQuarter * 4 }));
      const small = await attempt('rss N', () => runChild({ model, dataset: images!.dir, outputRoot: runs, batchSize: BATCH, imagesPerCategory: nQuarter }));
      // For scale: the default analysis (trained + 10 permuted + no-ReLU) holds 12 sessions.
      log('alexnet: (6b) RSS with the default controls (12 passes), 1 image per category...');
      const controls = await attempt('rss controls', () => runChild({ model, dataset: images!.dir, outputRoot: runs, batchSize: BATCH, imagesPerCategory: 1, controls: 'default' }));
      res.rss = { n: SIZES.categories * nQuarter, n4: SIZES.categories * nQuarter * 4, small, large, controls };
    }
  }

  // ---- TF.js AlexNet: (1), (2), (3)
  if (ONLY.has('tfjs')) {
    const key = 'alexnet-tfjs';
    if (!fs.existsSync(path.join(ROOT, 'src/core/engines/tfjs.ts'))) {
      res.engines[key] = { error: 'src/core/engines/tfjs.ts not present yet' };
      log('tfjs: engine not present yet, skipped');
    } else {
      log('tfjs: building the TF.js AlexNet if needed...');
      const model = await tfjsAlexnet();
      log('tfjs: (1)/(2) engine throughput...');
      res.engines[key] = await attempt('tfjs engine', () => engineRow(model, Math.min(SIZES.rounds, 5), SIZES.tfjsBatches)).then((r) => ('error' in r ? { error: r.error } : r));
      log(`tfjs: (3) full pipeline on ${SIZES.categories * SIZES.tfjsPerCategory} images...`);
      res.pipeline[key] = await attempt('tfjs pipeline', () => runChild({ model, dataset: images!.dir, outputRoot: runs, batchSize: BATCH, imagesPerCategory: SIZES.tfjsPerCategory }));
    }
  }

  // ---- (7) a fast first chart: default controls, AlexNet, 10 x 12 images
  if (ONLY.has('firstchart')) {
    log('(7) first chart: images 10 categories x 12 JPEGs...');
    const set = await imageSet('set10x12', 10, 12);
    const model = onnxModel('alexnet');
    log('(7) first chart: default analysis (trained + 10 permuted + no-ReLU) of AlexNet on 120 images...');
    res.firstChart = await attempt('first chart', () => runChild({ model, dataset: set.dir, outputRoot: runs, batchSize: BATCH, controls: 'default', accuracy: 'default' }));
    log('(7b) the same work, each part alone (decode, loads, 2 permuted controls, one pass)...');
    res.workFloor = await attempt('work floor', () => runWorkFloorChild({ model, dataset: set.dir, batchSize: BATCH, permutations: 10, controlSamples: 2 }));
  }

  // ---- (4) statistics, (5) decoder
  if (ONLY.has('stats')) {
    log('(4) statistics stage, 1,000 x 4,096 x 7...');
    res.stats = await attempt('stats', () => inChild<StatsTiming>('stats'));
  }
  if (ONLY.has('decoder')) {
    log('(5) decoder, 20,000 x 4,096, 256 classes (allocates ~0.7 GB)...');
    res.decoder = await inChild<DecoderTiming>('decoder').catch((e) => ({ rows: 20000, units: 4096, classes: 256, folds: 2, seconds: NaN, overall: NaN, error: (e as Error).message.split('\n')[0] }));
    if (res.decoder.error) log(`decoder: ${res.decoder.error}`);
  }

  res.machine.loadEnd = load();
  res.seconds = (performance.now() - t0) / 1000;
  evaluateTargets(res);
  const table = renderTable(res);
  process.stdout.write(table + '\n');
  const json = JSON.stringify(res, null, 2);
  fs.writeFileSync(path.join(BENCH_DIR, 'results.json'), json);
  fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), table + '\n');
  if (flag('record')) {
    fs.writeFileSync(path.join(__dirname, 'results.json'), json);
    fs.writeFileSync(path.join(__dirname, 'results.md'), table + '\n');
  }
  log(`done in ${res.seconds.toFixed(0)} s; results in .bench/results.json${flag('record') ? ' and bench/results.json' : ''}`);
  fs.rmSync(runs, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------ targets

function evaluateTargets(res: Results): void {
  const t = res.targets;
  for (const arch of ['alexnet', 'vgg11']) {
    const e = res.engines[`${arch}-onnx`];
    const p = ok<ChildResult>(res.pipeline[`${arch}-onnx`]);
    if (e?.taps && p) {
      const r = p.imagesPerSecond / e.taps.imagesPerSecond;
      t.push({ name: `Full pipeline >= 90% of (2), ${arch}`, met: r >= 0.9, figure: `${pct(r)} (${f1(p.imagesPerSecond)} of ${f1(e.taps.imagesPerSecond)} img/s)` });
    }
  }
  for (const arch of ['alexnet', 'vgg11']) {
    const e = res.engines[`${arch}-onnx`];
    if (e?.taps && e.logits) {
      const over = e.logits.imagesPerSecond / e.taps.imagesPerSecond - 1;
      t.push({ name: `Taps cost <= 15% over (1), ${arch}`, met: over <= 0.15, figure: `${pct(over)} (${f1(e.logits.imagesPerSecond)} -> ${f1(e.taps.imagesPerSecond)} img/s)` });
    }
  }
  const st = ok<StatsTiming>(res.stats);
  if (st) {
    const s = st.buildReportSeconds ?? st.totalSeconds;
    t.push({ name: 'Statistics stage < 1 s', met: s < 1, figure: `${f2(s)} s (${st.buildReportSeconds != null ? 'buildReport' : 'sum of parts'}; PSI ${f2(st.psiSeconds)} s)` });
  }
  if (res.decoder) {
    t.push({ name: 'Decoder < 60 s', met: Number.isFinite(res.decoder.seconds) ? res.decoder.seconds < 60 : null, figure: res.decoder.error ? res.decoder.error : `${f1(res.decoder.seconds)} s` });
  }
  if (res.rss) {
    const a = ok<ChildResult>(res.rss.small);
    const b = ok<ChildResult>(res.rss.large);
    if (a && b) {
      // The streaming property: the peak after model loading must not grow with the images.
      const exact = Number.isFinite(a.runPeakMB) && Number.isFinite(b.runPeakMB);
      const g = exact ? b.runPeakMB - a.runPeakMB : b.maxRssMB - a.maxRssMB;
      t.push({
        name: `Peak RSS growth < 50 MB from N=${res.rss.n} to 4N=${res.rss.n4}`,
        met: g < 50,
        figure: exact
          ? `${f1(g)} MB (peak after model load ${f1(a.runPeakMB)} -> ${f1(b.runPeakMB)} MB; whole process incl. loading ${f1(a.maxRssMB)} -> ${f1(b.maxRssMB)} MB)`
          : `${f1(g)} MB (whole-process peak ${f1(a.maxRssMB)} -> ${f1(b.maxRssMB)} MB)`,
      });
    }
  }
  const fc = ok<ChildResult>(res.firstChart);
  if (fc) {
    t.push({ name: 'First chart: trained pass\'s first partial report within 5 s of the start (AlexNet, default controls, 120 images)', met: Number.isFinite(fc.firstPartialSeconds) ? fc.firstPartialSeconds <= 5 : false, figure: `${f1(fc.firstPartialSeconds)} s from process start` });
    const wf = ok<WorkFloorResult>(res.workFloor);
    // The floor says whether the target can be met on this machine at all (see workFloorChild.ts).
    const floor = wf ? `; its work alone is ${f1(wf.totalCpuSeconds)} CPU s, so on ${wf.cores} cores no schedule beats ${f1(wf.floorSeconds)} s here${wf.floorSeconds > 25 ? ` (25 s needs >= ${Math.ceil(wf.totalCpuSeconds / 25)} such cores)` : ''}` : '';
    t.push({ name: 'First chart: whole run within 25 s (same run)', met: fc.processSeconds <= 25, figure: `${f1(fc.processSeconds)} s whole process (analyze() ${f1(fc.wallSeconds)} s), ${fc.passes} passes, ${fc.images} images${floor}` });
  }
  for (const arch of ['alexnet', 'vgg11']) {
    const p = ok<ChildResult>(res.pipeline[`${arch}-onnx`]);
    const q = ok<TorchResult>(res.torch[arch]);
    if (p && q) {
      const r = p.imagesPerSecond / q.imagesPerSecond;
      t.push({ name: `At least as fast as PyTorch, ${arch}`, met: r >= 1, figure: `x${f2(r)} steady (${f1(p.imagesPerSecond)} vs ${f1(q.imagesPerSecond)} img/s); wall x${f2(q.wallSeconds / p.wallSeconds)}` });
    }
  }
}

// ------------------------------------------------------------------------------ table

function renderTable(res: Results): string {
  const cols = [
    { key: 'alexnet-onnx', title: 'AlexNet ONNX', torch: 'alexnet' },
    { key: 'vgg11-onnx', title: 'VGG11 ONNX', torch: 'vgg11' },
    { key: 'alexnet-tfjs', title: 'AlexNet TF.js', torch: '' },
  ];
  const rows: string[][] = [];
  const row = (label: string, cell: (c: (typeof cols)[number]) => string) => rows.push([label, ...cols.map(cell)]);
  row('(1) engine, logits only, pre-decoded [img/s]', (c) => f1(res.engines[c.key]?.logits?.imagesPerSecond));
  row('(2) + all default taps, in-graph means [img/s]', (c) => f1(res.engines[c.key]?.taps?.imagesPerSecond));
  row('    taps cost, (1)/(2) - 1', (c) => {
    const e = res.engines[c.key];
    return e?.taps && e.logits ? pct(e.logits.imagesPerSecond / e.taps.imagesPerSecond - 1) : 'n/a';
  });
  row('    CPU ms per image, (1) / (2)', (c) => {
    const e = res.engines[c.key];
    return e?.taps && e.logits ? `${f1(e.logits.cpuMsPerImage)} / ${f1(e.taps.cpuMsPerImage)}` : 'n/a';
  });
  row('(3) full pipeline, analyze() steady [img/s]', (c) => f1(ok<ChildResult>(res.pipeline[c.key])?.imagesPerSecond));
  row('    (3)/(2)', (c) => {
    const p = ok<ChildResult>(res.pipeline[c.key]);
    const e = res.engines[c.key];
    return p && e?.taps ? pct(p.imagesPerSecond / e.taps.imagesPerSecond) : 'n/a';
  });
  row('    images, wall s (load+run+stats+write)', (c) => {
    const p = ok<ChildResult>(res.pipeline[c.key]);
    return p ? `${p.images}, ${f1(p.wallSeconds)}` : 'n/a';
  });
  row('    CPU ms per image', (c) => f1(ok<ChildResult>(res.pipeline[c.key])?.cpuMsPerImage));
  row('PyTorch pipeline (hooks, PIL) steady [img/s]', (c) => (c.torch ? f1(ok<TorchResult>(res.torch[c.torch])?.imagesPerSecond) : '-'));
  row('    images, wall s; CPU ms per image', (c) => {
    const q = c.torch ? ok<TorchResult>(res.torch[c.torch]) : undefined;
    return q ? `${q.images}, ${f1(q.wallSeconds)}; ${f1(q.cpuMsPerImage)}` : c.torch ? 'n/a' : '-';
  });
  row('    Sparsity Lens / PyTorch, steady', (c) => {
    const p = ok<ChildResult>(res.pipeline[c.key]);
    const q = c.torch ? ok<TorchResult>(res.torch[c.torch]) : undefined;
    return p && q ? `x${f2(p.imagesPerSecond / q.imagesPerSecond)}` : c.torch ? 'n/a' : '-';
  });
  const header = ['Measure', ...cols.map((c) => c.title)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];

  const extra: string[] = [];
  const st = ok<StatsTiming>(res.stats);
  if (st) {
    extra.push(
      `| (4) statistics stage, 1,000 cat x 4,096 units x 7 layers | ${st.buildReportSeconds != null ? `buildReport ${f2(st.buildReportSeconds)} s` : `n/a (${st.buildReportError})`}; parts: PSI ${f2(st.psiSeconds)} s, depth trend ${f2(st.trendSeconds)} s, correlations ${f2(st.correlationSeconds)} s, regressions ${f2(st.regressionSeconds)} s; PSI for 12 passes ${f2(st.psiTwelvePassesSeconds)} s |`,
    );
  } else if (res.stats) extra.push(`| (4) statistics stage | error: ${(res.stats as { error: string }).error} |`);
  if (res.decoder) {
    const d = res.decoder;
    extra.push(`| (5) decoder, ${d.rows.toLocaleString('en')} x ${d.units.toLocaleString('en')}, ${d.classes} classes, ${d.folds} folds | ${d.error ? `n/a (${d.error})` : `${f1(d.seconds)} s (accuracy ${pct(d.overall)}, ${d.backend ?? '?'}, iterations per fold ${JSON.stringify(d.iterations)}, converged ${JSON.stringify(d.converged)})`} |`);
  }
  if (res.rss) {
    const a = ok<ChildResult>(res.rss.small);
    const b = ok<ChildResult>(res.rss.large);
    const c = ok<ChildResult>(res.rss.controls);
    extra.push(
      `| (6) peak RSS, AlexNet pipeline, N=${res.rss.n} / 4N=${res.rss.n4} images | ${a && b ? `after model load: ${f1(a.runPeakMB)} / ${f1(b.runPeakMB)} MB (growth ${f1(b.runPeakMB - a.runPeakMB)} MB; run starts at ${f1(a.runBaseMB)} / ${f1(b.runBaseMB)} MB); whole process incl. loading: ${f1(a.maxRssMB)} / ${f1(b.maxRssMB)} MB` : 'n/a'} |`,
    );
    if (c) extra.push(`| (6b) peak RSS, AlexNet, default controls (${c.passes} passes, ${c.images} images) | ${f1(c.maxRssMB)} MB whole process; ${f1(c.runBaseMB)} MB at the first batch (pass-major since issue 15: controls are still being prepared then); wall ${f1(c.wallSeconds)} s |`);
  }
  const fc = ok<ChildResult>(res.firstChart);
  if (fc) {
    extra.push(
      `| (7) first chart, AlexNet, default controls (${fc.passes} passes, ${fc.images} images) | first partial report ${f1(fc.firstPartialSeconds)} s, whole process ${f1(fc.processSeconds)} s (analyze() ${f1(fc.wallSeconds)} s); ${fc.partialPasses.length} partial reports (passes: ${fc.partialPasses.join(' ')}); peak RSS ${f1(fc.maxRssMB)} MB |`,
    );
  } else if (res.firstChart) extra.push(`| (7) first chart | error: ${(res.firstChart as { error: string }).error} |`);
  const wf = ok<WorkFloorResult>(res.workFloor);
  if (wf) {
    extra.push(
      `| (7b) the same work, each part alone (CPU seconds, all threads) | decode ${f1(wf.decodeCpuSeconds)}; loads: trained ${f1(wf.trainedLoadCpuSeconds)}, no-ReLU ${f1(wf.noReluLoadCpuSeconds)}; ` +
        `10 permuted controls x ${f1(wf.permutedCpuSeconds)} (copy, shuffle, load; ${f1(wf.permutedWallSeconds)} s wall each); ${wf.passes} passes x ${f1(wf.passCpuSeconds)} (${wf.images} images, ${f1(wf.passWallSeconds)} s wall each); ` +
        `sum ${f1(wf.totalCpuSeconds)} CPU s = at least ${f1(wf.floorSeconds)} s on ${wf.cores} cores |`,
    );
  } else if (res.workFloor) extra.push(`| (7b) work floor | error: ${(res.workFloor as { error: string }).error} |`);
  const out = [...lines];
  if (extra.length) out.push('', '| Measure | Result |', '|---|---|', ...extra);
  out.push('', 'Targets:');
  for (const t of res.targets) out.push(`- [${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}] ${t.name}: ${t.figure}`);
  const m = res.machine;
  out.push(
    '',
    `${m.cpus} x ${m.model}, ${m.memoryGB} GB, node ${m.node}; batch ${res.batch}${res.quick ? ', --quick' : ''}; ` +
      `load average (1/5/15 min) at start ${m.loadStart}, at end ${m.loadEnd}; ` +
      (res.images ? `${res.images.total} JPEGs ${res.images.size}, mean ${res.images.meanKB.toFixed(0)} KB; ` : '') +
      `PyTorch DataLoader workers ${TORCH_WORKERS}; ${res.date}; ${f1(res.seconds)} s total.`,
  );
  return out.join('\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
