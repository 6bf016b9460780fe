/**
 * Image decoding and preprocessing (METHOD §2) with sharp: any supported file becomes
 * 8-bit sRGB RGB pixels at the model's input size (what is refused and why: imageFormat.ts); `packBatch` turns those into the
 * normalised float tensor in the engine's layout. Splitting the two keeps the decoded
 * image small (3 bytes/pixel) while it waits in the prefetch queue.
 */
import * as fs from 'fs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { damageKind, formatName, headerSize, isDecodable, MAX_PIXELS, readHead, skipReason, sniffFormat, unsupportedReason, type SkipKind, type SniffedFormat } from './imageFormat';
import type { Layout, Preprocessing } from './types';

// libvips' operation cache only helps repeated operations on one file; we never repeat.
sharp.cache(false);

/** One decoded image: RGB, 8-bit, row-major H x W x 3. */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** A file that could not be used, with a reason a person can act on (imageFormat.ts skipReason). */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    readonly kind: SkipKind = 'corrupt',
  ) {
    super(reason);
    this.name = 'ImageDecodeError';
  }
}

/**
 * libjpeg warnings that do not touch the pixels: bytes after the image data (many cameras and
 * the ImageNet set have these; PIL reads them as well). Any other warning is damage.
 */
const HARMLESS_JPEG_WARNING = /extraneous bytes before marker 0xd9/i;

/** What was checked before decoding: format by signature and the pixel count from the header. */
async function checkFile(file: string): Promise<{ format: SniffedFormat; orientation: number; width: number; height: number; hasAlpha: boolean }> {
  let size: number;
  let head: Uint8Array;
  try {
    size = fs.statSync(file).size;
    head = readHead(file);
  } catch (e) {
    throw new ImageDecodeError(file, skipReason('unreadable', (e as NodeJS.ErrnoException).code ?? 'removed or no permission'), 'unreadable');
  }
  if (size === 0) throw new ImageDecodeError(file, skipReason('empty'), 'empty');
  const format = sniffFormat(head);
  if (format === 'unknown') throw new ImageDecodeError(file, skipReason('not-an-image', `${size} bytes`), 'not-an-image');
  if (!isDecodable(format)) throw new ImageDecodeError(file, unsupportedReason(format, file), 'unsupported');
  // A decompression bomb is refused on its declared size, even if the rest of its header is cut.
  const declared = headerSize(format, head);
  if (declared && declared.width * declared.height > MAX_PIXELS) throw new ImageDecodeError(file, skipReason('too-large', `${declared.width} x ${declared.height} pixels`), 'too-large');
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageDecodeError(file, skipReason(damageKind(file, format, size), formatName(format)), damageKind(file, format, size));
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new ImageDecodeError(file, skipReason('corrupt', formatName(format)), 'corrupt');
  if (width * height > MAX_PIXELS) throw new ImageDecodeError(file, skipReason('too-large', `${width} x ${height} pixels`), 'too-large');
  return { format, orientation: meta.orientation ?? 1, width, height, hasAlpha: meta.hasAlpha === true };
}

/**
 * Full-resolution 8-bit sRGB RGB of an image with alpha: the alpha channel dropped BEFORE any
 * resampling, so every pixel keeps its stored colour as PIL's convert('RGB') does. (Resizing an
 * image with alpha premultiplies it, which would turn transparent pixels black.)
 */
async function flattenAlpha(file: string, failOn: 'warning' | 'error'): Promise<Sharp> {
  const { data, info } = await sharp(file, { failOn, sequentialRead: true }).rotate().pipelineColourspace('srgb').toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } });
}

async function decodeWith(file: string, pre: Preprocessing, failOn: 'warning' | 'error', checked: Awaited<ReturnType<typeof checkFile>>, hasAlpha: boolean): Promise<DecodedImage> {
  // pipelineColourspace('srgb'): libvips imports through the embedded ICC profile or, for CMYK
  // without one, its built-in CMYK profile (relative colorimetric; test/fixtures/decode/).
  let img = hasAlpha ? await flattenAlpha(file, failOn) : sharp(file, { failOn, sequentialRead: true }).rotate().pipelineColourspace('srgb');
  if (pre.resize === 'shorter-crop') {
    // EXIF orientations 5-8 swap width and height.
    const swap = checked.orientation >= 5;
    const w = swap ? checked.height : checked.width;
    const h = swap ? checked.width : checked.height;
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
  const { data, info } = await img.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== pre.width || info.height !== pre.height) {
    throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * Decodes, auto-rotates (EXIF), converts to sRGB RGB (ICC-aware, CMYK through libvips' CMYK
 * profile), drops alpha keeping the stored colour, resizes per `pre`. Decoding is strict: a JPEG
 * with damaged data is refused (libjpeg's warning level), not recovered into a damaged picture.
 * Every failure is an ImageDecodeError whose reason comes from the file (imageFormat.ts).
 */
export async function decodeImage(file: string, pre: Preprocessing): Promise<DecodedImage> {
  const checked = await checkFile(file);
  const hasAlpha = checked.hasAlpha;
  try {
    return await decodeWith(file, pre, checked.format === 'jpeg' ? 'warning' : 'error', checked, hasAlpha);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (checked.format === 'jpeg' && HARMLESS_JPEG_WARNING.test(msg)) {
      try {
        return await decodeWith(file, pre, 'error', checked, hasAlpha);
      } catch {
        /* classified below */
      }
    }
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new ImageDecodeError(file, skipReason('unreadable', 'removed while the run was going'), 'unreadable');
    }
    const kind = damageKind(file, checked.format, size);
    throw new ImageDecodeError(file, skipReason(kind, formatName(checked.format)), kind);
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
