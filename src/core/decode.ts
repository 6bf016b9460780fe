/**
 * Image decoding and preprocessing (METHOD §2) with sharp: any supported file becomes
 * 8-bit RGB pixels at the model's input size, colour-managed sRGB or PIL's own pixels as the
 * `decoding` setting says (what is refused and why: imageFormat.ts); `packBatch` turns those into the
 * normalised float tensor in the engine's layout. Splitting the two keeps the decoded
 * image small (3 bytes/pixel) while it waits in the prefetch queue.
 */
import * as fs from 'fs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { damageKind, formatName, headerSize, isDecodable, MAX_PIXELS, readHead, skipReason, sniffFormat, unsupportedReason, type SkipKind, type SniffedFormat } from './imageFormat';
import type { AnalysisSettings } from './report/schema';
import type { Layout, Preprocessing } from './types';

// libvips' operation cache only helps repeated operations on one file; we never repeat.
sharp.cache(false);

/** One decoded image: RGB, 8-bit, row-major H x W x 3. */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * How a file becomes RGB pixels (the `decoding` setting; docs/METHOD-NOTES.md "Alpha and colour").
 * `colour-managed`: EXIF orientation applied, an embedded ICC profile converted to sRGB, CMYK
 * through libvips' CMYK profile. `pil`: the pixels of PIL's `Image.open(f).convert('RGB')`, which
 * PyTorch/torchvision loaders (and the study) feed their models: the stored orientation, the stored
 * values with any ICC profile ignored, CMYK by PIL's own formula (pilCmykToRgb).
 */
export type Decoding = NonNullable<AnalysisSettings['decoding']>;

/**
 * PIL's CMYK -> RGB (Pillow's src/libImaging/Convert.c `cmyk2rgb`, unchanged since Pillow 4.3):
 * with nk = 255 - K, each of R, G, B = nk - C*nk/255, the product rounded as Pillow's MULDIV255
 * ((t = a*b + 128, ((t >> 8) + t) >> 8)). `cmyk` has `channels` (4, or 5 with alpha) bytes per pixel.
 * Not a colour conversion: it is what a PIL pipeline's model sees for a CMYK file.
 */
export function pilCmykToRgb(cmyk: Uint8Array, channels: number, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, p = 0, q = 0; i < pixels; i++, p += channels, q += 3) {
    const nk = 255 - cmyk[p + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[p + c] * nk + 128;
      rgb[q + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return rgb;
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
async function checkFile(file: string): Promise<{ format: SniffedFormat; orientation: number; width: number; height: number; hasAlpha: boolean; cmyk: boolean; wide: boolean; grey16: boolean }> {
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
  return { format, orientation: meta.orientation ?? 1, width, height, hasAlpha: meta.hasAlpha === true, cmyk: meta.space === 'cmyk', wide: meta.depth === 'ushort', grey16: meta.channels === 1 && meta.depth === 'ushort' };
}

type Checked = Awaited<ReturnType<typeof checkFile>>;

/** 8-bit RGB, dropping the alpha channel BEFORE any resampling (see openPicture). */
async function withoutAlpha(img: Sharp): Promise<Sharp> {
  const { data, info } = await img.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } });
}

/**
 * PIL's RGB of a CMYK file at full resolution: the CMYK values as libvips reads them, no profile
 * applied, then PIL's formula. libvips (since 8.8) reads every CMYK JPEG as inverted, Adobe
 * polarity, with or without an Adobe marker, which is PIL's rule too (JpegImagePlugin: rawmode
 * "CMYK;I", "assume adobe conventions"); test/fixtures/decode/cmyk_no_adobe.jpg pins it.
 */
async function pilCmyk(file: string, failOn: 'warning' | 'error', wide: boolean): Promise<Sharp> {
  const { data, info } = await sharp(file, { failOn, sequentialRead: true, ignoreIcc: true }).pipelineColourspace('cmyk').toColourspace('cmyk').raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels < 4) throw new Error(`unexpected CMYK shape ${info.width}x${info.height}x${info.channels}`);
  // 16-bit CMYK (TIFF): the high byte of each sample, as Pillow's unpackers (unpackRGBA16B/L) take it.
  if (data.byteLength !== info.width * info.height * info.channels * (wide ? 2 : 1)) throw new Error(`unexpected CMYK data size ${data.byteLength}`);
  const bytes = wide ? Uint8Array.from(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2), (v) => v >> 8) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return sharp(pilCmykToRgb(bytes, info.channels, info.width * info.height), { raw: { width: info.width, height: info.height, channels: 3 } });
}

/**
 * PIL's RGB of a 16-bit greyscale file (no alpha): Pillow opens it as mode I / I;16, whose
 * convert('RGB') clips each value to 255 (Convert.c i2rgb, I16_RGB), not a scaling; so values
 * from 256 up are white. 16-bit RGB and grey + alpha are read as their high byte by Pillow,
 * as libvips' 16 -> 8 bit conversion does (checked on PNGs), and need nothing of their own.
 */
async function pilGrey16(file: string, failOn: 'warning' | 'error'): Promise<Sharp> {
  const { data, info } = await sharp(file, { failOn, sequentialRead: true, ignoreIcc: true }).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  if (info.channels !== 1 || data.byteLength !== n * 2) throw new Error(`unexpected 16-bit grey shape ${info.width}x${info.height}x${info.channels}`);
  const grey = new Uint16Array(data.buffer, data.byteOffset, n);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) rgb.fill(Math.min(grey[i], 255), i * 3, i * 3 + 3);
  return sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } });
}

/**
 * The full-resolution picture, before resizing, as `decoding` says. An alpha channel is dropped
 * BEFORE any resampling, so every pixel keeps its stored colour as PIL's convert('RGB') does
 * (resizing an image with alpha premultiplies it, which would turn transparent pixels black).
 */
async function openPicture(file: string, decoding: Decoding, failOn: 'warning' | 'error', checked: Checked): Promise<Sharp> {
  if (decoding === 'pil') {
    // No .rotate(): PIL ignores EXIF orientation. ignoreIcc: the stored values are the pixels.
    if (checked.cmyk) return pilCmyk(file, failOn, checked.wide);
    if (checked.grey16) return pilGrey16(file, failOn);
    const img = sharp(file, { failOn, sequentialRead: true, ignoreIcc: true }).pipelineColourspace('srgb');
    return checked.hasAlpha ? withoutAlpha(img) : img;
  }
  // pipelineColourspace('srgb'): libvips imports through the embedded ICC profile or, for CMYK
  // without one, its built-in CMYK profile (relative colorimetric; test/fixtures/decode/).
  const img = sharp(file, { failOn, sequentialRead: true }).rotate().pipelineColourspace('srgb');
  return checked.hasAlpha ? withoutAlpha(img) : img;
}

async function decodeWith(file: string, pre: Preprocessing, decoding: Decoding, failOn: 'warning' | 'error', checked: Checked): Promise<DecodedImage> {
  let img = await openPicture(file, decoding, failOn, checked);
  if (pre.resize === 'shorter-crop') {
    // EXIF orientations 5-8 swap width and height (when they are applied).
    const swap = decoding === 'colour-managed' && checked.orientation >= 5;
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
 * Decodes to 8-bit RGB as `decoding` says (colour-managed: auto-rotates (EXIF), converts to sRGB,
 * ICC-aware, CMYK through libvips' CMYK profile; pil: PIL's convert('RGB') pixels), drops alpha
 * keeping the stored colour, resizes per `pre`. Decoding is strict: a JPEG with damaged data is
 * refused (libjpeg's warning level), not recovered into a damaged picture. Every failure is an
 * ImageDecodeError whose reason comes from the file (imageFormat.ts).
 */
export async function decodeImage(file: string, pre: Preprocessing, decodingSetting?: Decoding): Promise<DecodedImage> {
  // Absent (older checkpoints and reports, callers without settings): colour-managed, as before the setting.
  const decoding: Decoding = decodingSetting ?? 'colour-managed';
  const checked = await checkFile(file);
  try {
    return await decodeWith(file, pre, decoding, checked.format === 'jpeg' ? 'warning' : 'error', checked);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (checked.format === 'jpeg' && HARMLESS_JPEG_WARNING.test(msg)) {
      try {
        return await decodeWith(file, pre, decoding, 'error', checked);
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
