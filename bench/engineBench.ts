/**
 * Engine throughput on pre-decoded tensors (bench items 1 and 2): one session, a fixed random
 * batch, warm-up, then timed batches. Several sessions can be measured in interleaved rounds
 * so that background load (other processes on the 2 cores) hits them alike.
 */
import { SeededRandom } from '../src/core/random';
import type { ModelSession } from '../src/core/types';

export interface Timed {
  imagesPerSecond: number;
  /** Per-round images/s; the reported figure is their median. */
  rounds: number[];
  /** Process CPU time (all threads) per image over all rounds, ms. */
  cpuMsPerImage: number;
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function randomBatch(values: number, seed = 7): Float32Array {
  const rng = new SeededRandom(seed);
  const a = new Float32Array(values);
  for (let i = 0; i < a.length; i++) a[i] = (rng.next() - 0.5) * 4;
  return a;
}

/**
 * Runs `sessions` in `rounds` interleaved rounds of `batchesPerRound` batches each (after
 * `warmup` batches per session) and returns the median images/s per session.
 */
export async function interleaved(
  sessions: ModelSession[],
  input: Float32Array,
  batch: number,
  opts: { rounds: number; batchesPerRound: number; warmup: number },
): Promise<Timed[]> {
  for (const s of sessions) for (let i = 0; i < opts.warmup; i++) await s.run(input, batch);
  const rounds: number[][] = sessions.map(() => []);
  const cpu = sessions.map(() => 0);
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < sessions.length; k++) {
      // Alternate the order so that neither session always runs right after the other.
      const si = r % 2 === 0 ? k : sessions.length - 1 - k;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let b = 0; b < opts.batchesPerRound; b++) await sessions[si].run(input, batch);
      rounds[si].push((opts.batchesPerRound * batch) / ((performance.now() - t0) / 1000));
      const c = process.cpuUsage(c0);
      cpu[si] += (c.user + c.system) / 1000;
    }
  }
  const images = opts.rounds * opts.batchesPerRound * batch;
  return rounds.map((r, i) => ({ imagesPerSecond: median(r), rounds: r, cpuMsPerImage: cpu[i] / images }));
}
