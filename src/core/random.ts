/**
 * Seeded pseudo-random numbers. One generator for the whole product (image sampling,
 * weight permutation, CV folds) so that a seed reproduces a run on every engine.
 * mulberry32: 32-bit state, fast, good enough for shuffling (not for cryptography).
 */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /**
   * Fisher–Yates shuffle in place; returns the same array. Typed arrays take shuffleBits (the
   * same permutation and the same generator state afterwards, 2-3x faster on big tensors).
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
      const v = a as unknown as ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number };
      this.state = shuffleBits(v.buffer, v.byteOffset, v.length, v.BYTES_PER_ELEMENT, this.state);
      return a;
    }
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}

/** Swap targets computed per block: the generator runs sequentially, then the swaps (see shuffleBits). */
const BLOCK = 4096;
const blockTargets = new Int32Array(BLOCK);

/**
 * Fisher–Yates over `n` elements of `size` bytes (1, 2, 4 or 8) at `byteOffset` in `buffer`,
 * moving bit patterns (floats are never converted), with mulberry32 state `state`; returns the
 * state after. Exactly SeededRandom.shuffle: j = floor(next() * (i + 1)) for i = n-1 .. 1.
 *
 * Why it is faster: one monomorphic loop per element size with the generator inlined, and the
 * swap targets of a block of BLOCK steps computed first, so the random reads of the swaps (a
 * cache and TLB miss each on a 150 MB tensor) are independent and overlap in the CPU.
 * `u * 2^-32 * (i + 1) | 0` equals Math.floor(u / 4294967296 * (i + 1)): u * 2^-32 is exact, and
 * truncation is floor for values in [0, 2^31); longer arrays take Math.floor.
 * 8-byte elements are moved as two 32-bit halves (requires byteOffset % 4 === 0, which
 * BigUint64Array / Float64Array views always satisfy); unaligned 2/4/8-byte runs (raw bytes
 * inside an encoded model) are copied to an aligned buffer and back.
 */
export function shuffleBits(buffer: ArrayBufferLike, byteOffset: number, n: number, size: number, state: number): number {
  if (n <= 1) return state >>> 0;
  const align = size === 8 ? 4 : size;
  if (byteOffset % align !== 0) {
    const tmp = new Uint8Array(n * size);
    const src = new Uint8Array(buffer, byteOffset, n * size);
    tmp.set(src);
    const s = shuffleBits(tmp.buffer, 0, n, size, state);
    src.set(tmp);
    return s;
  }
  const exact = n <= 0x7fffffff;
  let s = state | 0;
  const J = blockTargets;
  let i = n - 1;
  const u8 = size === 1 ? new Uint8Array(buffer, byteOffset, n) : null;
  const u16 = size === 2 ? new Uint16Array(buffer, byteOffset, n) : null;
  const u32 = size === 4 || size === 8 ? new Uint32Array(buffer, byteOffset, size === 8 ? 2 * n : n) : null;
  if (!u8 && !u16 && !u32) throw new Error(`shuffleBits: unsupported element size ${size}`);
  while (i > 0) {
    const m = Math.min(BLOCK, i);
    for (let t = 0; t < m; t++) {
      let x = (s = (s + 0x6d2b79f5) | 0);
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      const u = (x ^ (x >>> 14)) >>> 0;
      J[t] = exact ? (u * 2.3283064365386963e-10 * (i - t + 1)) | 0 : Math.floor((u / 4294967296) * (i - t + 1));
    }
    // One loop per element width on purpose: each stays monomorphic (one typed-array kind), which
    // is what makes it fast; a single loop over a union of arrays is the generic shuffle it replaces.
    if (u32 && size === 4) {
      for (let t = 0; t < m; t++) {
        const k = i - t;
        const j = J[t];
        const tmp = u32[k];
        u32[k] = u32[j];
        u32[j] = tmp;
      }
    } else if (u32) {
      for (let t = 0; t < m; t++) {
        const k = 2 * (i - t);
        const j = 2 * J[t];
        const lo = u32[k];
        const hi = u32[k + 1];
        u32[k] = u32[j];
        u32[k + 1] = u32[j + 1];
        u32[j] = lo;
        u32[j + 1] = hi;
      }
    } else if (u16) {
      for (let t = 0; t < m; t++) {
        const k = i - t;
        const j = J[t];
        const tmp = u16[k];
        u16[k] = u16[j];
        u16[j] = tmp;
      }
    } else {
      const a = u8!;
      for (let t = 0; t < m; t++) {
        const k = i - t;
        const j = J[t];
        const tmp = a[k];
        a[k] = a[j];
        a[j] = tmp;
      }
    }
    i -= m;
  }
  return s >>> 0;
}

/** The mulberry32 state after `draws` calls of next() from `state` (the state only adds a constant per draw). */
export function skipDraws(state: number, draws: number): number {
  if (draws <= 0) return state >>> 0;
  // (draws * 0x6d2b79f5) mod 2^32, exactly, for draws up to 2^53.
  const lo = draws % 0x100000000;
  return (state + Math.imul(lo | 0, 0x6d2b79f5)) >>> 0;
}
