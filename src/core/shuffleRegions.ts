/**
 * Permuted controls as byte edits (issue 15): a control model is the encoded template
 * (engines/onnxGraph.ts buildPermutationTemplate) with each permuted tensor's raw_data shuffled in
 * place, one seeded stream over the tensors in graph order, exactly as permuteWeights shuffles
 * them. Pure and dependency-free (random.ts only) so that the worker (shuffleWorker.ts) bundles
 * nothing else.
 */
import { shuffleBits, skipDraws } from './random';

/** Where one permuted tensor's raw_data lies in the encoded template, its element size and count. */
export interface PermutationRegion {
  name: string;
  /** Byte offset in the template; -1: the tensor was pruned from this session model (nothing reads it), it only advances the stream. */
  offset: number;
  count: number;
  elementSize: number;
}

/** Shuffles each region of `bytes` (a copy of the template) in place with SeededRandom(seed)'s stream. */
export function shuffleRegions(bytes: Uint8Array, regions: readonly PermutationRegion[], seed: number): void {
  let state = seed >>> 0;
  for (const r of regions) {
    if (r.offset < 0) state = skipDraws(state, r.count - 1);
    else state = shuffleBits(bytes.buffer, bytes.byteOffset + r.offset, r.count, r.elementSize, state);
  }
}

/** Request to the shuffle worker: copy the shared template, shuffle, send the copy back (transferred). */
export interface ShuffleJob {
  id: number;
  template: SharedArrayBuffer;
  byteLength: number;
  regions: PermutationRegion[];
  seed: number;
}

export type ShuffleReply = { id: number; bytes: ArrayBuffer } | { id: number; error: string };
