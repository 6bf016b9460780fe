/**
 * The fast typed-array shuffle (random.ts shuffleBits, issue 15) is Fisher–Yates exactly as the
 * generic SeededRandom.shuffle loop: the same permutation and the same generator state after, on
 * every element size, unaligned offsets, several sizes (around the 4096-step block) and seeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, shuffleBits, skipDraws } from '../../src/core/random';

/** The reference: the generic loop on a plain array (never the typed-array path). */
function reference(n: number, seed: number): { order: number[]; after: number } {
  const rng = new SeededRandom(seed);
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return { order, after: rng.next() };
}

const SIZES = [0, 1, 2, 3, 17, 4095, 4096, 4097, 10_000, 70_001];
const SEEDS = [0, 1, 42_001, 0xffffffff];

test('SeededRandom.shuffle on typed arrays equals the generic loop (1, 2, 4, 8-byte elements)', () => {
  for (const n of SIZES) {
    for (const seed of SEEDS) {
      const ref = reference(n, seed);
      const arrays = [
        Uint8Array.from({ length: n }, (_, i) => i & 0xff),
        Uint16Array.from({ length: n }, (_, i) => i & 0xffff),
        Int32Array.from({ length: n }, (_, i) => i - 5),
        Float32Array.from({ length: n }, (_, i) => i * 0.5),
        Float64Array.from({ length: n }, (_, i) => i / 3),
        BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 0x100000001n),
      ];
      for (const a of arrays) {
        const before = Array.from(a as ArrayLike<number | bigint>);
        const rng = new SeededRandom(seed);
        assert.equal(rng.shuffle(a), a, 'shuffles in place');
        const got = Array.from(a as ArrayLike<number | bigint>);
        assert.deepEqual(got, ref.order.map((k) => before[k]), `${a.constructor.name} n=${n} seed=${seed}`);
        assert.equal(rng.next(), ref.after, `${a.constructor.name} n=${n} seed=${seed}: generator state after`);
      }
    }
  }
});

test('shuffleBits moves bit patterns at unaligned offsets (raw tensor bytes inside an encoded model)', () => {
  for (const size of [2, 4, 8]) {
    for (const n of [5, 4097]) {
      const ref = reference(n, 7);
      const buf = new Uint8Array(3 + n * size + 2);
      for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 7) & 0xff;
      const before = buf.slice();
      const state = shuffleBits(buf.buffer, 3, n, size, 7);
      for (let k = 0; k < n; k++) {
        const src = 3 + ref.order[k] * size;
        assert.deepEqual(Array.from(buf.subarray(3 + k * size, 3 + (k + 1) * size)), Array.from(before.subarray(src, src + size)), `size ${size} n ${n} element ${k}`);
      }
      assert.deepEqual(Array.from(buf.subarray(0, 3)), Array.from(before.subarray(0, 3)), 'bytes before the run untouched');
      assert.deepEqual(Array.from(buf.subarray(3 + n * size)), Array.from(before.subarray(3 + n * size)), 'bytes after the run untouched');
      const rng = new SeededRandom(0);
      (rng as unknown as { state: number }).state = state;
      assert.equal(rng.next(), ref.after);
    }
  }
});

test('NaN payloads survive (bits are moved, never converted to numbers)', () => {
  const u = new Uint32Array([0x7fc00001, 0x7fa00002, 0xffc00003, 1, 2, 3, 4, 5]);
  const f = new Float32Array(u.buffer);
  new SeededRandom(3).shuffle(f);
  assert.deepEqual([...u].sort(), [0x7fc00001, 0x7fa00002, 0xffc00003, 1, 2, 3, 4, 5].sort());
});

test('skipDraws is the state after that many next() calls', () => {
  for (const draws of [0, 1, 2, 1000, 123_457]) {
    const rng = new SeededRandom(99);
    for (let i = 0; i < draws; i++) rng.next();
    const skipped = new SeededRandom(0);
    (skipped as unknown as { state: number }).state = skipDraws(99, draws);
    assert.equal(skipped.next(), rng.next(), `draws ${draws}`);
  }
});
