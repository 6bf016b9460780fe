/**
 * `node --import tsx bench/tune.ts [--quick] [--only batch,threads,ort,decode,pipeline]`:
 * the sweeps behind the defaults in docs/PERFORMANCE.md. Not part of `npm run bench` (longer).
 *
 *   batch     engine throughput (taps session) for batch sizes 1..32
 *   threads   intra-op threads 1 vs 2
 *   ort       onnxruntime session options on the engine's own session model: graph
 *             optimisation level, CPU memory arena, memory pattern, parallel execution, spinning
 *   decode    decode+resize alone (core/decode.ts) at 1..8 images in flight
 *   pipeline  a replica of analyze()'s run loop (prefetch look-ahead, packBatch into one reused
 *             buffer, run, accumulate) with variants of look-ahead and onnxruntime spinning,
 *             to measure changes to analyze.ts / onnx.ts before proposing them
 *
 * Every configuration is measured in interleaved rounds (median), so background load hits all
 * alike. Results: .bench/tune.json and a table on stdout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { decodeImage, packBatch, type DecodedImage } from '../src/core/decode';
import { openEngine } from '../src/core/engines';
import { readOnnxModel } from '../src/core/engines/onnx';
import { analyseModel, buildSessionModel } from '../src/core/engines/onnxGraph';
import { LIU2020_PREPROCESSING } from '../src/core/types';
import { median, randomBatch } from './engineBench';
import { BENCH_DIR, imageSet, onnxModel, type Arch } from './fixtures';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const ONLY = new Set((onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]) : 'batch,threads,ort,decode,pipeline').split(','));
const ROUNDS = QUICK ? 3 : 5;
const log = (s: string) => process.stderr.write(`[tune] ${s}\n`);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

interface Config {
  name: string;
  /** Runs one measured chunk; returns images processed. */
  chunk: () => Promise<number>;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
}

interface Measured {
  name: string;
  imagesPerSecond: number;
  rounds: number[];
  cpuMsPerImage: number;
}

/** Interleaved rounds over configs (order reversed every other round); median images/s. */
async function roundRobin(configs: Config[], rounds = ROUNDS): Promise<Measured[]> {
  for (const c of configs) {
    await c.setup?.();
    await c.chunk(); // warm-up
  }
  const rates: number[][] = configs.map(() => []);
  const cpu = configs.map(() => 0);
  const imgs = configs.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const i = r % 2 === 0 ? k : configs.length - 1 - k;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const n = await configs[i].chunk();
      rates[i].push(n / ((performance.now() - t0) / 1000));
      const c = process.cpuUsage(c0);
      cpu[i] += (c.user + c.system) / 1000;
      imgs[i] += n;
    }
  }
  for (const c of configs) await c.teardown?.();
  return configs.map((c, i) => ({ name: c.name, imagesPerSecond: median(rates[i]), rounds: rates[i], cpuMsPerImage: cpu[i] / imgs[i] }));
}

function table(title: string, rows: Measured[]): string {
  const best = Math.max(...rows.map((r) => r.imagesPerSecond));
  const lines = [`### ${title}`, '', '| Configuration | img/s (median) | vs best | CPU ms/img | rounds |', '|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.imagesPerSecond.toFixed(1)} | ${((r.imagesPerSecond / best) * 100).toFixed(0)}% | ${r.cpuMsPerImage.toFixed(1)} | ${r.rounds.map((x) => x.toFixed(1)).join(' ')} |`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ engine-level sweeps

async function batchSweep(arch: Arch, sizes: number[], batchesPerChunk: (b: number) => number): Promise<Measured[]> {
  const engine = await openEngine(onnxModel(arch));
  const taps = engine.defaultTaps();
  const configs: Config[] = [];
  for (const b of sizes) {
    let s: Awaited<ReturnType<typeof engine.createSession>>;
    const x = randomBatch(b * 3 * 224 * 224);
    configs.push({
      name: `${arch} batch ${b}`,
      setup: async () => {
        s = await engine.createSession({ taps, variant: { kind: 'trained' }, unitMode: 'channel', includeLogits: false });
      },
      chunk: async () => {
        const k = batchesPerChunk(b);
        for (let i = 0; i < k; i++) await s.run(x, b);
        return k * b;
      },
      teardown: async () => s.dispose(),
    });
  }
  const r = await roundRobin(configs);
  await engine.dispose();
  return r;
}

async function threadSweep(arch: Arch, batch: number, batches: number): Promise<Measured[]> {
  const engine = await openEngine(onnxModel(arch));
  const taps = engine.defaultTaps();
  const x = randomBatch(batch * 3 * 224 * 224);
  const configs: Config[] = [1, 2, 3, 4].map((threads) => {
    let s: Awaited<ReturnType<typeof engine.createSession>>;
    return {
      name: `${arch} intra-op threads ${threads}`,
      setup: async () => {
        s = await engine.createSession({ taps, variant: { kind: 'trained' }, unitMode: 'channel', includeLogits: false, threads });
      },
      chunk: async () => {
        for (let i = 0; i < batches; i++) await s.run(x, batch);
        return batches * batch;
      },
      teardown: async () => s.dispose(),
    };
  });
  const r = await roundRobin(configs);
  await engine.dispose();
  return r;
}

/** The engine's session options (src/core/engines/onnx.ts), as the baseline. */
function engineOptions(threads = os.cpus().length): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential', logSeverityLevel: 3 };
}

const NO_SPIN = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

/** The taps session model exactly as the engine builds it. */
async function sessionModel(arch: Arch): Promise<{ bytes: Uint8Array; inputName: string; outputs: string[] }> {
  const model = await readOnnxModel(onnxModel(arch));
  const a = analyseModel(model);
  const layers = a.layers.filter((l) => l.defaultTap);
  const built = buildSessionModel(
    a,
    layers.map((l) => ({ id: l.id, shape: a.shapes.get(l.id) ?? null, kind: l.kind })),
    { kind: 'trained' },
    'channel',
    false,
  );
  return { bytes: built.bytes, inputName: a.inputName, outputs: built.tapOutputs };
}

async function ortSweep(arch: Arch, batch: number, batches: number): Promise<Measured[]> {
  const m = await sessionModel(arch);
  const variants: [string, ort.InferenceSession.SessionOptions][] = [
    ['engine default (all, sequential, arena, mem pattern, spinning)', engineOptions()],
    ['graph optimisation basic', { ...engineOptions(), graphOptimizationLevel: 'basic' }],
    ['graph optimisation extended', { ...engineOptions(), graphOptimizationLevel: 'extended' }],
    ['graph optimisation disabled', { ...engineOptions(), graphOptimizationLevel: 'disabled' }],
    ['no CPU memory arena', { ...engineOptions(), enableCpuMemArena: false }],
    ['no memory pattern', { ...engineOptions(), enableMemPattern: false }],
    ['parallel execution mode', { ...engineOptions(), executionMode: 'parallel', interOpNumThreads: 2 }],
    ['no spinning', { ...engineOptions(), extra: NO_SPIN }],
  ];
  const x = new ort.Tensor('float32', randomBatch(batch * 3 * 224 * 224), [batch, 3, 224, 224]);
  const configs: Config[] = variants.map(([name, opts]) => {
    let s: ort.InferenceSession;
    return {
      name: `${arch}: ${name}`,
      setup: async () => {
        s = await ort.InferenceSession.create(m.bytes, opts);
      },
      chunk: async () => {
        for (let i = 0; i < batches; i++) await s.run({ [m.inputName]: x });
        return batches * batch;
      },
      teardown: async () => s.release(),
    };
  });
  return roundRobin(configs);
}

// ------------------------------------------------------------------ decode and pipeline

async function datasetFiles(): Promise<string[]> {
  const set = await imageSet(QUICK ? 'set10x20' : 'set20x40', QUICK ? 10 : 20, QUICK ? 20 : 40);
  return fs
    .readdirSync(set.dir)
    .sort()
    .flatMap((c) => fs.readdirSync(path.join(set.dir, c)).sort().map((f) => path.join(set.dir, c, f)));
}

async function decodeSweep(files: string[], n: number): Promise<Measured[]> {
  let cursor = 0;
  const next = () => files[cursor++ % files.length];
  const configs: Config[] = [1, 2, 4, 8].map((inflight) => ({
    name: `decode+resize, ${inflight} in flight`,
    chunk: async () => {
      let left = n;
      await Promise.all(
        Array.from({ length: inflight }, async () => {
          while (left-- > 0) await decodeImage(next(), LIU2020_PREPROCESSING);
        }),
      );
      return n;
    },
  }));
  return roundRobin(configs);
}

/**
 * A replica of runPasses() in src/core/analyze.ts for one pass: look-ahead prefetch of decodes
 * (same take/fill discipline as its Prefetcher), packBatch into one reused buffer, run,
 * accumulate per-category sums. Variants change one knob at a time.
 */
async function pipelineSweep(arch: Arch, files: string[], imagesPerChunk: number, batch: number): Promise<Measured[]> {
  const m = await sessionModel(arch);
  const pre = LIU2020_PREPROCESSING;
  const variants: { name: string; lookahead: number; opts: ort.InferenceSession.SessionOptions }[] = [
    { name: `look-ahead ${batch * 3} (3 batches, current)`, lookahead: batch * 3, opts: engineOptions() },
    { name: `look-ahead ${batch} (1 batch)`, lookahead: batch, opts: engineOptions() },
    { name: `look-ahead ${batch * 6} (6 batches)`, lookahead: batch * 6, opts: engineOptions() },
    { name: `look-ahead ${batch * 3}, no spinning`, lookahead: batch * 3, opts: { ...engineOptions(), extra: NO_SPIN } },
    { name: `look-ahead ${batch * 3}, 1 intra-op thread`, lookahead: batch * 3, opts: engineOptions(1) },
  ];
  let cursor = 0;
  const sums = new Float64Array(64 * 4096);
  const configs: Config[] = variants.map((v) => {
    let s: ort.InferenceSession;
    const input = new Float32Array(batch * 3 * pre.width * pre.height);
    return {
      name: `${arch} pipeline: ${v.name}`,
      setup: async () => {
        s = await ort.InferenceSession.create(m.bytes, v.opts);
      },
      chunk: async () => {
        const list = Array.from({ length: imagesPerChunk }, () => files[cursor++ % files.length]);
        const pending = new Map<number, Promise<DecodedImage>>();
        let nextToStart = 0;
        const fill = (from: number) => {
          while (nextToStart < list.length && nextToStart < from + v.lookahead) {
            const i = nextToStart++;
            pending.set(i, decodeImage(list[i], pre));
          }
        };
        let i = 0;
        while (i < list.length) {
          const imgs: DecodedImage[] = [];
          while (imgs.length < batch && i < list.length) {
            fill(i);
            const p = pending.get(i)!;
            pending.delete(i);
            imgs.push(await p);
            fill(++i);
          }
          packBatch(imgs, pre, 'NCHW', input);
          const n = imgs.length;
          const x = n === batch ? input : input.subarray(0, n * 3 * pre.width * pre.height);
          const out = await s.run({ [m.inputName]: new ort.Tensor('float32', x, [n, 3, pre.height, pre.width]) });
          for (const name of m.outputs) {
            const d = out[name].data as Float32Array;
            const u = d.length / n;
            for (let r = 0; r < n; r++) for (let k = 0; k < u; k++) sums[(r % 64) * u + k] += d[r * u + k];
          }
        }
        return list.length;
      },
      teardown: async () => s.release(),
    };
  });
  return roundRobin(configs);
}

async function main(): Promise<void> {
  const out: Record<string, Measured[]> = {};
  const md: string[] = [`Tuning sweeps, ${os.cpus().length} x ${os.cpus()[0]?.model}, load average at start ${load()}${QUICK ? ', --quick' : ''}`, ''];
  const add = (key: string, title: string, r: Measured[]) => {
    out[key] = r;
    md.push(table(title, r), '');
    process.stdout.write(table(title, r) + '\n\n');
  };
  if (ONLY.has('batch')) {
    log('batch sweep alexnet...');
    add('batchAlexnet', 'Batch size, AlexNet, taps session', await batchSweep('alexnet', [1, 2, 4, 8, 16, 32], (b) => Math.max(1, Math.round((QUICK ? 32 : 48) / b))));
    log('batch sweep vgg11...');
    add('batchVgg11', 'Batch size, VGG11, taps session', await batchSweep('vgg11', [1, 4, 8, 16], (b) => Math.max(1, Math.round((QUICK ? 8 : 16) / b))));
  }
  if (ONLY.has('threads')) {
    log('threads...');
    add('threadsAlexnet', 'Intra-op threads, AlexNet, batch 8', await threadSweep('alexnet', 8, QUICK ? 3 : 5));
  }
  if (ONLY.has('ort')) {
    log('onnxruntime options alexnet...');
    add('ortAlexnet', 'onnxruntime session options, AlexNet taps model, batch 8', await ortSweep('alexnet', 8, QUICK ? 3 : 5));
    log('onnxruntime options vgg11...');
    add('ortVgg11', 'onnxruntime session options, VGG11 taps model, batch 8', await ortSweep('vgg11', 8, 1));
  }
  const needFiles = ONLY.has('decode') || ONLY.has('pipeline');
  const files = needFiles ? await datasetFiles() : [];
  if (ONLY.has('decode')) {
    log('decode...');
    add('decode', 'Decode + resize to 224x224 (sharp), 500x375 JPEGs', await decodeSweep(files, QUICK ? 48 : 96));
  }
  if (ONLY.has('pipeline')) {
    log('pipeline replica alexnet...');
    add('pipelineAlexnet', 'Run-loop replica, AlexNet, batch 8', await pipelineSweep('alexnet', files, QUICK ? 48 : 80, 8));
  }
  md.push(`Load average at end ${load()}`);
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  fs.writeFileSync(path.join(BENCH_DIR, 'tune.json'), JSON.stringify({ date: new Date().toISOString(), quick: QUICK, results: out }, null, 2));
  fs.writeFileSync(path.join(BENCH_DIR, 'tune.md'), md.join('\n') + '\n');
  log(`done; .bench/tune.json, .bench/tune.md; load average ${load()}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
