/**
 * Seeded synthetic stimuli for the live-Python cross-checks (test/integration): four categories
 * whose images differ in statistics a CNN responds to differently (gratings, discs, checkers,
 * noise), written as PNG so that no lossy decoding stands between the two pipelines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { SeededRandom } from '../../src/core/random';

/** The categories' folder names, in order. */
export const SYNTHETIC_CATEGORIES = ['a_gratings', 'b_discs', 'c_checkers', 'd_noise'] as const;

type Painter = (rng: SeededRandom, x: number, y: number) => [number, number, number];

function categories(size: number, gratingPhase: boolean): Record<string, (rng: SeededRandom) => Painter> {
  return {
    // Oriented sinusoidal gratings of random frequency, angle, (phase) and tint.
    a_gratings: (rng) => {
      const f = 0.04 + rng.next() * 0.2;
      const th = rng.next() * Math.PI;
      const ph = gratingPhase ? rng.next() * 6.28 : 0;
      const tint = [rng.next(), rng.next(), rng.next()];
      return (_r, x, y) => {
        const v = 0.5 + 0.5 * Math.sin(f * (x * Math.cos(th) + y * Math.sin(th)) + ph);
        return [v * 255 * (0.4 + 0.6 * tint[0]), v * 255 * (0.4 + 0.6 * tint[1]), v * 255 * (0.4 + 0.6 * tint[2])];
      };
    },
    // Bright filled discs on a dark background.
    b_discs: (rng) => {
      const discs = Array.from({ length: 3 + rng.int(5) }, () => ({ cx: rng.next() * size, cy: rng.next() * size, r: 10 + rng.next() * 40, c: [150 + rng.int(106), 150 + rng.int(106), rng.int(256)] }));
      return (_r, x, y) => {
        for (const d of discs) if ((x - d.cx) ** 2 + (y - d.cy) ** 2 < d.r * d.r) return d.c as [number, number, number];
        return [20, 20, 40];
      };
    },
    // Checkerboards of random cell size and two random colours.
    c_checkers: (rng) => {
      const cell = 6 + rng.int(30);
      const c0 = [rng.int(256), rng.int(256), rng.int(256)];
      const c1 = [rng.int(256), rng.int(256), rng.int(256)];
      return (_r, x, y) => ((Math.floor(x / cell) + Math.floor(y / cell)) % 2 ? c0 : c1) as [number, number, number];
    },
    // Per-pixel coloured noise (i.i.d. uniform).
    d_noise: () => (r) => [r.int(256), r.int(256), r.int(256)],
  };
}

/**
 * Writes `<root>/<category>/img<i>.png`, `perCategory` images of `size`x`size` per category, from
 * one SeededRandom(2020) stream. `gratingPhase`: gratings get a random phase (crossCheck's images).
 */
export async function writeSyntheticImages(root: string, o: { perCategory: number; size: number; gratingPhase: boolean }): Promise<void> {
  const rng = new SeededRandom(2020);
  for (const [cat, make] of Object.entries(categories(o.size, o.gratingPhase))) {
    fs.mkdirSync(path.join(root, cat), { recursive: true });
    for (let i = 0; i < o.perCategory; i++) {
      const paint = make(rng);
      const px = Buffer.alloc(o.size * o.size * 3);
      for (let y = 0; y < o.size; y++) {
        for (let x = 0; x < o.size; x++) {
          const v = paint(rng, x, y);
          // A little seeded noise everywhere so no image is piecewise constant.
          for (let c = 0; c < 3; c++) px[(y * o.size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v[c] + (rng.next() - 0.5) * 16)));
        }
      }
      await sharp(px, { raw: { width: o.size, height: o.size, channels: 3 } }).png().toFile(path.join(root, cat, `img${i}.png`));
    }
  }
}
