/**
 * Procedural object stimuli for the demo (`npm run demo`, the extension's "Try the Demo" walkthrough
 * step, src/extension/onboarding.ts) and for tests: a folder per category,
 * PNG images of one drawn object on a cluttered, noisy background. Deterministic per seed:
 * the same seed gives byte-identical files (SVG drawn by sharp/librsvg, noise from SeededRandom).
 *
 * The task is made non-trivial on purpose (random position, scale, rotation, colour, contrast,
 * background clutter of lines and blobs, pixel noise) so that a small CNN reaches clearly
 * above-chance but imperfect accuracy, with accuracy varying between categories.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Sharp, SharpOptions } from 'sharp';
import { writeFileAtomic } from './fsAtomic';
import { SeededRandom } from './random';

/**
 * sharp (native) is loaded on first use: the extension host bundles this module for "Try the
 * Demo", and activating the extension must not depend on the native module loading.
 */
let sharpModule: Promise<(input?: Buffer, options?: SharpOptions) => Sharp> | undefined;
function loadSharp(): Promise<(input?: Buffer, options?: SharpOptions) => Sharp> {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
}

/** All categories, in their canonical order (the demo model's class order). */
export const STIMULUS_CATEGORIES = [
  'circle',
  'square',
  'triangle',
  'star',
  'cross',
  'ring',
  'stripes',
  'checkerboard',
  'hexagon',
  'crescent',
] as const;
export type StimulusCategory = (typeof STIMULUS_CATEGORIES)[number];

export interface StimulusOptions {
  /** Number of categories (the first N of STIMULUS_CATEGORIES) or their names. Default: all 10. */
  categories?: number | readonly string[];
  /** Images per category. Default 20. */
  perCategory?: number;
  /** Square image side in pixels. Default 64. */
  size?: number;
  /** Seed of the generator. Default 1. */
  seed?: number;
  /** File format. Default 'png' (lossless, so decoded pixels equal renderStimulus output). */
  format?: 'png' | 'jpeg';
  /** Stops between images (an AbortError is thrown; files already written stay). */
  signal?: AbortSignal;
  /** Called after each written image (done of total). */
  onImage?(done: number, total: number): void;
}

export interface StimulusSet {
  dir: string;
  categories: string[];
  /** Paths of the written images, per category, in writing order. */
  files: Record<string, string[]>;
}

function resolveCategories(c: StimulusOptions['categories']): StimulusCategory[] {
  if (c === undefined) return [...STIMULUS_CATEGORIES];
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 1 || c > STIMULUS_CATEGORIES.length) {
      throw new Error(`categories must be 1..${STIMULUS_CATEGORIES.length}, got ${c}`);
    }
    return STIMULUS_CATEGORIES.slice(0, c);
  }
  for (const name of c) {
    if (!(STIMULUS_CATEGORIES as readonly string[]).includes(name)) {
      throw new Error(`unknown stimulus category '${name}'; known: ${STIMULUS_CATEGORIES.join(', ')}`);
    }
  }
  return [...c] as StimulusCategory[];
}

const f = (x: number): string => x.toFixed(2);

function hsl(h: number, s: number, l: number): string {
  return `hsl(${f(h)},${f(s)}%,${f(l)}%)`;
}

/** Random colour; `avoidL` pushes lightness away from a background lightness (contrast varies). */
function colour(rng: SeededRandom, avoidL?: number): { css: string; l: number } {
  const h = rng.next() * 360;
  const s = 30 + rng.next() * 70;
  let l = 15 + rng.next() * 70;
  if (avoidL !== undefined) {
    const minGap = 18 + rng.next() * 30; // sometimes low contrast
    if (Math.abs(l - avoidL) < minGap) l = avoidL > 50 ? avoidL - minGap : avoidL + minGap;
    l = Math.min(95, Math.max(5, l));
  }
  return { css: hsl(h, s, l), l };
}

function polygon(n: number, r: number, inner?: number): string {
  const pts: string[] = [];
  const k = inner === undefined ? n : 2 * n;
  for (let i = 0; i < k; i++) {
    const a = (i / k) * 2 * Math.PI - Math.PI / 2;
    const rr = inner !== undefined && i % 2 === 1 ? inner : r;
    pts.push(`${f(rr * Math.cos(a))},${f(rr * Math.sin(a))}`);
  }
  return `<polygon points="${pts.join(' ')}"`;
}

/** The object, centred at 0,0 with radius ~r, as SVG markup (uses fill colour `c`). */
function objectSvg(cat: StimulusCategory, r: number, c: string, c2: string, rng: SeededRandom, id: string): string {
  switch (cat) {
    case 'circle':
      return `<circle cx="0" cy="0" r="${f(r * 0.9)}" fill="${c}"/>`;
    case 'square':
      return `<rect x="${f(-r * 0.8)}" y="${f(-r * 0.8)}" width="${f(r * 1.6)}" height="${f(r * 1.6)}" fill="${c}"/>`;
    case 'triangle':
      return `${polygon(3, r)} fill="${c}"/>`;
    case 'star':
      return `${polygon(5, r, r * (0.38 + rng.next() * 0.1))} fill="${c}"/>`;
    case 'hexagon':
      return `${polygon(6, r * 0.95)} fill="${c}"/>`;
    case 'cross': {
      const w = r * (0.45 + rng.next() * 0.2);
      return `<rect x="${f(-r)}" y="${f(-w / 2)}" width="${f(2 * r)}" height="${f(w)}" fill="${c}"/>` +
        `<rect x="${f(-w / 2)}" y="${f(-r)}" width="${f(w)}" height="${f(2 * r)}" fill="${c}"/>`;
    }
    case 'ring': {
      const w = r * (0.2 + rng.next() * 0.2);
      return `<circle cx="0" cy="0" r="${f(r * 0.9 - w / 2)}" fill="none" stroke="${c}" stroke-width="${f(w)}"/>`;
    }
    case 'crescent': {
      const off = r * (0.35 + rng.next() * 0.25);
      return `<mask id="m${id}"><rect x="${f(-2 * r)}" y="${f(-2 * r)}" width="${f(4 * r)}" height="${f(4 * r)}" fill="white"/>` +
        `<circle cx="${f(off)}" cy="0" r="${f(r * 0.8)}" fill="black"/></mask>` +
        `<circle cx="0" cy="0" r="${f(r * 0.9)}" fill="${c}" mask="url(#m${id})"/>`;
    }
    case 'stripes': {
      const period = r * (0.35 + rng.next() * 0.25);
      const n = Math.ceil((2 * r) / period) + 1;
      let s = `<clipPath id="k${id}"><circle cx="0" cy="0" r="${f(r * 0.95)}"/></clipPath><g clip-path="url(#k${id})">`;
      s += `<rect x="${f(-r)}" y="${f(-r)}" width="${f(2 * r)}" height="${f(2 * r)}" fill="${c2}"/>`;
      for (let i = 0; i < n; i++) {
        s += `<rect x="${f(-r + i * period)}" y="${f(-r)}" width="${f(period / 2)}" height="${f(2 * r)}" fill="${c}"/>`;
      }
      return s + '</g>';
    }
    case 'checkerboard': {
      const n = 3 + rng.int(3);
      const cell = (1.6 * r) / n;
      let s = `<rect x="${f(-0.8 * r)}" y="${f(-0.8 * r)}" width="${f(1.6 * r)}" height="${f(1.6 * r)}" fill="${c2}"/>`;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if ((i + j) % 2 === 0) {
            s += `<rect x="${f(-0.8 * r + i * cell)}" y="${f(-0.8 * r + j * cell)}" width="${f(cell)}" height="${f(cell)}" fill="${c}"/>`;
          }
        }
      }
      return s;
    }
  }
}

/** SVG of one stimulus (without pixel noise). Consumes random numbers from `rng`. */
export function stimulusSvg(cat: StimulusCategory, rng: SeededRandom, size: number, id = '0'): string {
  const S = size;
  const bgL = 10 + rng.next() * 80;
  const bg1 = hsl(rng.next() * 360, rng.next() * 60, bgL);
  const bg2 = hsl(rng.next() * 360, rng.next() * 60, Math.min(95, Math.max(5, bgL + (rng.next() - 0.5) * 30)));
  const ga = rng.next() * 360;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}" viewBox="0 0 ${S} ${S}">`;
  svg += `<defs><linearGradient id="g${id}" gradientTransform="rotate(${f(ga)} 0.5 0.5)"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient></defs>`;
  svg += `<rect width="${S}" height="${S}" fill="url(#g${id})"/>`;
  // Clutter: random lines and blobs.
  const nClutter = 1 + rng.int(5);
  for (let i = 0; i < nClutter; i++) {
    const c = colour(rng).css;
    const op = f(0.3 + rng.next() * 0.6);
    if (rng.next() < 0.5) {
      svg += `<line x1="${f(rng.next() * S)}" y1="${f(rng.next() * S)}" x2="${f(rng.next() * S)}" y2="${f(rng.next() * S)}" stroke="${c}" stroke-width="${f(0.5 + rng.next() * S * 0.04)}" opacity="${op}"/>`;
    } else {
      svg += `<ellipse cx="${f(rng.next() * S)}" cy="${f(rng.next() * S)}" rx="${f(1 + rng.next() * S * 0.12)}" ry="${f(1 + rng.next() * S * 0.12)}" fill="${c}" opacity="${op}"/>`;
    }
  }
  // The object.
  const r = S * (0.2 + rng.next() * 0.18);
  const cx = r + rng.next() * (S - 2 * r);
  const cy = r + rng.next() * (S - 2 * r);
  const rot = rng.next() * 360;
  const c = colour(rng, bgL).css;
  const c2 = colour(rng).css;
  const sx = 0.75 + rng.next() * 0.5; // mild aspect distortion
  svg += `<g transform="translate(${f(cx)} ${f(cy)}) rotate(${f(rot)}) scale(${f(sx)} ${f(1 / sx)})">${objectSvg(cat, r, c, c2, rng, id)}</g>`;
  // Foreground occluders, sometimes.
  const nOcc = rng.next() < 0.5 ? 0 : 1 + rng.int(3);
  for (let i = 0; i < nOcc; i++) {
    svg += `<line x1="${f(rng.next() * S)}" y1="${f(rng.next() * S)}" x2="${f(rng.next() * S)}" y2="${f(rng.next() * S)}" stroke="${colour(rng).css}" stroke-width="${f(0.5 + rng.next() * S * 0.03)}" opacity="${f(0.4 + rng.next() * 0.5)}"/>`;
  }
  return svg + '</svg>';
}

/**
 * One stimulus as raw interleaved RGB bytes (size x size x 3): the SVG rendered by sharp,
 * then Gaussian-like pixel noise of random strength. Equal to the decoded PNG that
 * generateStimuli writes for the same random stream.
 */
export async function renderStimulus(cat: StimulusCategory, rng: SeededRandom, size: number, id = '0'): Promise<Uint8Array> {
  const svg = stimulusSvg(cat, rng, size, id);
  const sharp = await loadSharp();
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 })
    .resize(size, size, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`stimulus render gave ${info.width}x${info.height}x${info.channels}`);
  }
  const out = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const sigma = rng.next() * 20;
  for (let i = 0; i < out.length; i++) {
    // Sum of 3 uniforms ~ approximately normal, sd 1.
    const n = (rng.next() + rng.next() + rng.next() - 1.5) * 2;
    const v = out[i] + n * sigma;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return out;
}

/** Per-image generator: one independent stream per (seed, category, index) so subsets agree. */
export function stimulusRng(seed: number, categoryIndex: number, index: number): SeededRandom {
  const mix = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(categoryIndex + 1, 0x85ebca77) ^ Math.imul(index + 1, 0xc2b2ae3d)) >>> 0;
  const r = new SeededRandom(mix);
  r.next();
  return r;
}

/** The file name generateStimuli gives image `index` of category `cat`. */
export function stimulusFileName(cat: string, index: number, format: 'png' | 'jpeg' = 'png'): string {
  return `${cat}_${String(index).padStart(3, '0')}.${format === 'png' ? 'png' : 'jpg'}`;
}

/** The files generateStimuli(dir, options) writes, relative to `dir` (`<category>/<file>`), in writing order. */
export function expectedStimulusFiles(options: Pick<StimulusOptions, 'categories' | 'perCategory' | 'format'> = {}): string[] {
  const perCategory = options.perCategory ?? 20;
  const out: string[] = [];
  for (const cat of resolveCategories(options.categories)) {
    for (let i = 0; i < perCategory; i++) out.push(`${cat}/${stimulusFileName(cat, i, options.format)}`);
  }
  return out;
}

/**
 * Write a stimulus folder: `dir/<category>/<category>_<NNN>.png`. Deterministic per seed.
 * Existing files with the same names are overwritten; nothing else in `dir` is touched.
 */
export async function generateStimuli(dir: string, options: StimulusOptions = {}): Promise<StimulusSet> {
  const cats = resolveCategories(options.categories);
  const perCategory = options.perCategory ?? 20;
  const size = options.size ?? 64;
  const seed = options.seed ?? 1;
  const format = options.format ?? 'png';
  if (!Number.isInteger(perCategory) || perCategory < 1) throw new Error(`perCategory must be a positive integer`);
  if (!Number.isInteger(size) || size < 8) throw new Error(`size must be an integer >= 8`);
  const sharp = await loadSharp();
  const files: Record<string, string[]> = {};
  const total = cats.length * perCategory;
  let done = 0;
  for (const cat of cats) {
    const ci = STIMULUS_CATEGORIES.indexOf(cat);
    const sub = path.join(dir, cat);
    fs.mkdirSync(sub, { recursive: true });
    files[cat] = [];
    for (let i = 0; i < perCategory; i++) {
      options.signal?.throwIfAborted();
      const pixels = await renderStimulus(cat, stimulusRng(seed, ci, i), size, `${i}`);
      const img = sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels: 3 } });
      const file = path.join(sub, stimulusFileName(cat, i, format));
      const buf = format === 'png' ? await img.png({ compressionLevel: 9 }).toBuffer() : await img.jpeg({ quality: 90 }).toBuffer();
      writeFileAtomic(file, buf);
      files[cat].push(file);
      options.onImage?.(++done, total);
    }
  }
  return { dir, categories: cats, files };
}
