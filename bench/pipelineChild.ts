/**
 * One full-pipeline run (bench items 3 and 6) in a fresh process, so that its peak RSS is its
 * own: `node --import tsx bench/pipelineChild.ts '<json options>'`. Prints one JSON line.
 *
 * The run is analyze() as the CLI calls it, with controls off and accuracy none (the trained
 * pass only), no checkpoints and no HTML. Throughput is measured in steady state from the
 * progress events (first to last batch), so model loading and the report are not counted in
 * it; wall time of the whole analyze() call is reported beside it.
 */
import { runBenchChild } from './childResult';
import * as fs from 'fs';
import * as path from 'path';

export interface ChildOptions {
  model: string;
  dataset: string;
  outputRoot: string;
  batchSize: number;
  imagesPerCategory?: number;
  /** 'none' (default): trained pass only; 'default': the preset's 10 permuted + no-ReLU passes. */
  controls?: 'none' | 'default';
  /** 'none' (default) or the settings' default (auto: the decoder when labels do not map). */
  accuracy?: 'none' | 'default';
}

export interface ChildResult {
  images: number;
  passes: number;
  batches: number;
  /** Steady-state images/s: images done between the first and the last progress event / time. */
  imagesPerSecond: number;
  /** Whole analyze() call, seconds (load, probe, scan, run, stats, write). */
  wallSeconds: number;
  decodeSeconds: number;
  inferenceSeconds: number;
  /** process.resourceUsage().maxRSS at the end, MB (peak over the whole process, model loading included). */
  maxRssMB: number;
  /** Peak RSS up to the first batch (model load, session build, first batch), MB (VmHWM). */
  loadPeakMB: number;
  /** RSS after the first batch and one full GC, MB: the base the run starts from. */
  runBaseMB: number;
  /**
   * Peak RSS from the first batch to the end (run, statistics, report), MB: VmHWM reset at the
   * first batch (after one full GC) through /proc/self/clear_refs. NaN where that is not available.
   */
  runPeakMB: number;
  /** Highest RSS sampled at each batch during the run phase, MB. */
  runRssMaxMB: number;
  /** RSS at the first and the last batch, MB. */
  runRssFirstMB: number;
  runRssLastMB: number;
  heapUsedLastMB: number;
  /** Process CPU time (all threads) per image between the first and the last batch, ms. */
  cpuMsPerImage: number;
  backend: string;
  /** Seconds from process start to the first live partial report (the trained pass's first chart); NaN if none came. */
  firstPartialSeconds: number;
  /** Seconds from process start to the end of analyze() (report written). */
  processSeconds: number;
  /** Passes in each partial report, in order. */
  partialPasses: number[];
}

/** VmHWM / VmRSS of this process in MB (Linux), NaN elsewhere. */
function procStatus(field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0). */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as ChildOptions;
  const { analyze } = await import('../src/core/analyze');
  const MB = 1024 * 1024;
  let first: { t: number; done: number; cpu: number } | null = null;
  let last: { t: number; done: number; cpu: number } | null = null;
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let batches = 0;
  let rssMax = 0;
  let rssFirst = 0;
  let rssLast = 0;
  let heapLast = 0;
  let loadPeak = NaN;
  let runBase = NaN;
  let peakReset = false;
  let firstPartial = NaN;
  const partialPasses: number[] = [];
  const t0 = performance.now();
  fs.mkdirSync(o.outputRoot, { recursive: true });
  const result = await analyze(
    {
      datasetPath: o.dataset,
      modelPath: o.model,
      outputRoot: o.outputRoot,
      checkpoint: false,
      html: false,
      settings: {
        batchSize: o.batchSize,
        ...(o.accuracy === 'default' ? {} : { accuracy: 'none' as const }),
        ...(o.controls === 'default' ? {} : { controls: { permutations: 0, noNonlinearity: false } }),
        ...(o.imagesPerCategory ? { imagesPerCategory: o.imagesPerCategory } : {}),
      },
    },
    {
      onPartial(r) {
        if (!Number.isFinite(firstPartial)) firstPartial = process.uptime();
        partialPasses.push(r.passes.length);
      },
      onProgress(e) {
        if (e.phase !== 'run') return;
        const now = performance.now();
        batches++;
        if (!first) {
          // Separate model loading from the run: one full GC (load garbage: file bytes, edited
          // model copies), then restart the peak RSS counter.
          loadPeak = procStatus('VmHWM');
          (globalThis as { gc?: () => void }).gc?.();
          peakReset = resetPeak();
          runBase = procStatus('VmRSS');
        }
        const cpu = cpuNow();
        if (!first) first = { t: now, done: e.done, cpu };
        last = { t: now, done: e.done, cpu };
        const m = process.memoryUsage();
        if (!rssFirst) rssFirst = m.rss;
        rssLast = m.rss;
        heapLast = m.heapUsed;
        if (m.rss > rssMax) rssMax = m.rss;
      },
    },
  );
  const wall = (performance.now() - t0) / 1000;
  const runPeak = peakReset ? procStatus('VmHWM') : NaN;
  const f = first as { t: number; done: number; cpu: number } | null;
  const l = last as { t: number; done: number; cpu: number } | null;
  const steady = f && l && l.t > f.t ? (l.done - f.done) / ((l.t - f.t) / 1000) : 0;
  const out: ChildResult = {
    images: result.report.dataset.imagesUsed,
    passes: result.report.passes.length,
    batches,
    imagesPerSecond: steady,
    wallSeconds: wall,
    decodeSeconds: result.report.timings.decodeSeconds,
    inferenceSeconds: result.report.timings.inferenceSeconds,
    // ru_maxrss follows VmHWM, which the reset restarted: the whole-process peak is the larger of the two.
    maxRssMB: Math.max((process.resourceUsage().maxRSS * 1024) / MB, Number.isFinite(loadPeak) ? loadPeak : 0),
    loadPeakMB: loadPeak,
    runBaseMB: runBase,
    runPeakMB: runPeak,
    runRssMaxMB: rssMax / MB,
    runRssFirstMB: rssFirst / MB,
    runRssLastMB: rssLast / MB,
    heapUsedLastMB: heapLast / MB,
    cpuMsPerImage: f && l && l.done > f.done ? (l.cpu - f.cpu) / (l.done - f.done) : 0,
    backend: result.report.engine.backend,
    firstPartialSeconds: firstPartial,
    processSeconds: process.uptime(),
    partialPasses,
  };
  fs.rmSync(result.runDir, { recursive: true, force: true });
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}

/** Runs one child and parses its result line. */
export function runChild(options: ChildOptions, env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return runBenchChild<ChildResult>('pipeline child', process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'pipelineChild.ts'), JSON.stringify(options)], env);
}
