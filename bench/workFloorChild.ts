/**
 * The work of section (7)'s default analysis, each part alone in one fresh process (bench item
 * 7b): `node --import tsx bench/workFloorChild.ts '<json options>'` prints one JSON line.
 *
 * Why: the whole-run target (25 s) is a wall time, and on a machine with few cores the parts of
 * the run cannot all overlap. Timed alone, with nothing else running, they give the CPU seconds
 * the exact computation needs here; divided by the cores, that is the shortest the whole run can
 * take on this machine however it is scheduled. The bench prints it beside the target.
 *
 * Measured, each with process CPU time over all threads (shuffle workers and onnxruntime's
 * intra-op threads included):
 * - decoding every image once (sharp), as the run does;
 * - the trained session's load (onnxruntime), the no-ReLU control's, and `controlSamples`
 *   permuted controls prepared one at a time (copy + shuffle in a worker + load), the mean
 *   standing for each of the `permutations`;
 * - one pass of inference over the images with every default tap (the trained session, batch
 *   `batchSize`), standing for each of the 1 + permutations + 1 passes.
 * Not counted (so the floor is, if anything, too low): scanning, the partial reports, the
 * decoder and the statistics at the end, writing the report.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBenchChild } from './childResult';

export interface WorkFloorOptions {
  model: string;
  dataset: string;
  batchSize: number;
  permutations: number;
  /** How many permuted controls to prepare and time (their mean stands for each). */
  controlSamples: number;
}

export interface WorkFloorResult {
  images: number;
  cores: number;
  decodeCpuSeconds: number;
  trainedLoadCpuSeconds: number;
  noReluLoadCpuSeconds: number;
  /** CPU seconds to prepare one permuted control (mean of the samples), and its wall seconds. */
  permutedCpuSeconds: number;
  permutedWallSeconds: number;
  /** CPU seconds of one pass of inference over all images, and its wall seconds. */
  passCpuSeconds: number;
  passWallSeconds: number;
  passes: number;
  /** Sum of the parts for the whole default analysis, CPU seconds; divided by cores = floorSeconds. */
  totalCpuSeconds: number;
  floorSeconds: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; cpu: number; wall: number }> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const value = await f();
  return { value, cpu: cpuSeconds() - c0, wall: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as WorkFloorOptions;
  const { openEngine } = await import('../src/core/engines/index');
  const { decodeImage, packBatch } = await import('../src/core/decode');
  const { LIU2020_PREPROCESSING } = await import('../src/core/types');
  const pre = LIU2020_PREPROCESSING;
  const files = fs
    .readdirSync(o.dataset, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((c) => fs.readdirSync(path.join(o.dataset, c)).sort().map((f) => path.join(o.dataset, c, f)));

  const engine = await openEngine(o.model);
  const taps = engine.defaultTaps();
  const open = (variant: Parameters<typeof engine.createSession>[0]['variant']) =>
    engine.createSession({ taps, variant, unitMode: 'channel', includeLogits: false, threads: os.availableParallelism(), tokens: 'mean' });

  const decode = await timed(async () => {
    const out = [];
    for (const f of files) out.push(await decodeImage(f, pre));
    return out;
  });
  const trained = await timed(() => open({ kind: 'trained' }));
  const noRelu = await timed(() => open({ kind: 'norelu' }));
  await noRelu.value.dispose();
  let permCpu = 0;
  let permWall = 0;
  for (let k = 0; k < o.controlSamples; k++) {
    const p = await timed(() => open({ kind: 'permuted', seed: k + 1, target: 'weights' }));
    permCpu += p.cpu;
    permWall += p.wall;
    await p.value.dispose();
  }
  engine.releaseControlTemplates?.();

  // One pass over every image: pack and run, as the run loop does (warm-up batch first).
  const session = trained.value;
  const input = new Float32Array(o.batchSize * 3 * pre.width * pre.height);
  const batches: (typeof decode.value)[] = [];
  for (let i = 0; i < decode.value.length; i += o.batchSize) batches.push(decode.value.slice(i, i + o.batchSize));
  packBatch(batches[0], pre, engine.layout, input);
  await session.run(input, batches[0].length);
  const pass = await timed(async () => {
    for (const b of batches) {
      packBatch(b, pre, engine.layout, input);
      const x = b.length === o.batchSize ? input : input.subarray(0, b.length * 3 * pre.width * pre.height);
      await session.run(x, b.length);
    }
  });
  await session.dispose();
  await engine.dispose?.();

  const passes = 1 + o.permutations + 1;
  const permutedCpu = permCpu / o.controlSamples;
  const total = decode.cpu + trained.cpu + noRelu.cpu + o.permutations * permutedCpu + passes * pass.cpu;
  const cores = os.availableParallelism();
  const out: WorkFloorResult = {
    images: files.length,
    cores,
    decodeCpuSeconds: decode.cpu,
    trainedLoadCpuSeconds: trained.cpu,
    noReluLoadCpuSeconds: noRelu.cpu,
    permutedCpuSeconds: permutedCpu,
    permutedWallSeconds: permWall / o.controlSamples,
    passCpuSeconds: pass.cpu,
    passWallSeconds: pass.wall,
    passes,
    totalCpuSeconds: total,
    floorSeconds: total / cores,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}

/** Runs the measurement in a fresh process and parses its result line. */
export function runWorkFloorChild(options: WorkFloorOptions): Promise<WorkFloorResult> {
  return runBenchChild<WorkFloorResult>('work floor child', process.execPath, ['--import', 'tsx', path.join(__dirname, 'workFloorChild.ts'), JSON.stringify(options)]);
}
