/**
 * Image decoding and preprocessing (METHOD §2) with sharp: any supported file becomes
 * 8-bit sRGB RGB pixels at the model's input size; `packBatch` turns those into the
 * normalised float tensor in the engine's layout. Splitting the two keeps the decoded
 * image small (3 bytes/pixel) while it waits in the prefetch queue.
 */
import * as fs from 'fs';
import sharp from 'sharp';
import type { Layout, Preprocessing } from './types';

// libvips' operation cache only helps repeated operations on one file; we never repeat.
sharp.cache(false);

/** One decoded image: RGB, 8-bit, row-major H x W x 3. */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** A file that could not be used, with a reason a person can act on. */
export class ImageDecodeError extends Error {
  constructor(readonly file: string, reason: string) {
    super(reason);
    this.name = 'ImageDecodeError';
  }
}

function describeSharpError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/empty|missing/i.test(msg)) return 'empty file';
  if (/unsupported image format/i.test(msg)) return 'not an image (unsupported or unrecognised format)';
  if (/premature end|truncated|corrupt|VipsJpeg|read error|bad|invalid/i.test(msg)) return `corrupt or truncated image (${msg.split('\n')[0]})`;
  return msg.split('\n')[0];
}

/** Decodes, auto-rotates (EXIF), converts to sRGB RGB, drops alpha, resizes per `pre`. */
export async function decodeImage(file: string, pre: Preprocessing): Promise<DecodedImage> {
  try {
    // failOn 'error': a truncated JPEG is rejected instead of silently padded with grey.
    let img = sharp(file, { failOn: 'error', sequentialRead: true }).rotate();
    if (pre.resize === 'shorter-crop') {
      const meta = await sharp(file).metadata();
      // EXIF orientations 5-8 swap width and height.
      const swap = (meta.orientation ?? 1) >= 5;
      const w = (swap ? meta.height : meta.width) ?? 0;
      const h = (swap ? meta.width : meta.height) ?? 0;
      if (!w || !h) throw new Error('unreadable image size');
      const scale = pre.shorterSide / Math.min(w, h);
      const rw = Math.max(pre.width, Math.round(w * scale));
      const rh = Math.max(pre.height, Math.round(h * scale));
      img = img.resize(rw, rh, { fit: 'fill', kernel: 'linear' }).extract({
        left: Math.floor((rw - pre.width) / 2),
        top: Math.floor((rh - pre.height) / 2),
        width: pre.width,
        height: pre.height,
      });
    } else {
      img = img.resize(pre.width, pre.height, { fit: 'fill', kernel: 'linear' });
    }
    const { data, info } = await img
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== pre.width || info.height !== pre.height) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    let empty = false;
    try {
      empty = fs.statSync(file).size === 0;
    } catch {
      throw new ImageDecodeError(file, 'file cannot be read (removed or no permission)');
    }
    throw new ImageDecodeError(file, empty ? 'empty file (0 bytes)' : describeSharpError(e));
  }
}

/**
 * Writes `images` into `out` (length >= n * 3 * H * W) as normalised floats:
 * (pixel * scale - mean) / std per channel, in RGB or BGR order, NCHW or NHWC.
 */
export function packBatch(images: DecodedImage[], pre: Preprocessing, layout: Layout, out: Float32Array): Float32Array {
  const hw = pre.width * pre.height;
  const order = pre.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  // Per output channel c (in model order): value = pixel * a[c] + b[c].
  const a = order.map((src) => pre.scale / pre.std[src]);
  const b = order.map((src) => -pre.mean[src] / pre.std[src]);
  // One pass over the RGB pixels: source channel s goes to output channel d[s].
  const d = [order.indexOf(0), order.indexOf(1), order.indexOf(2)];
  const [a0, a1, a2] = [a[d[0]], a[d[1]], a[d[2]]];
  const [b0, b1, b2] = [b[d[0]], b[d[1]], b[d[2]]];
  for (let n = 0; n < images.length; n++) {
    const px = images[n].pixels;
    const base = n * 3 * hw;
    if (layout === 'NCHW') {
      const o0 = base + d[0] * hw;
      const o1 = base + d[1] * hw;
      const o2 = base + d[2] * hw;
      for (let i = 0, p = 0; i < hw; i++, p += 3) {
        out[o0 + i] = px[p] * a0 + b0;
        out[o1 + i] = px[p + 1] * a1 + b1;
        out[o2 + i] = px[p + 2] * a2 + b2;
      }
    } else {
      const [d0, d1, d2] = d;
      for (let i = 0, p = 0; i < hw; i++, p += 3) {
        out[base + p + d0] = px[p] * a0 + b0;
        out[base + p + d1] = px[p + 1] * a1 + b1;
        out[base + p + d2] = px[p + 2] * a2 + b2;
      }
    }
  }
  return out;
}
