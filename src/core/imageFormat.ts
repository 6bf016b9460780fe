/**
 * What a file is, from its own bytes: the format by signature (not by extension, not by the
 * decoder's error text) and, after a failed decode, whether it is truncated or damaged. libvips'
 * error messages are per-thread globals that concurrent decodes overwrite ("Unknown error" in one
 * run, "libpng read error" in the next), so every skip reason here is derived from the file, and
 * the same file always gets the same reason.
 */
import * as fs from 'fs';
import * as path from 'path';
import type Sharp from 'sharp';
import type { SkippedFile } from './report/schema';

/** Why a file was not used. The report lists it with a sentence that starts with this word. */
export type SkipKind = NonNullable<SkippedFile['kind']>;

/** Formats told apart by signature. `decodable` ones the bundled libvips reads. */
export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'bmp' | 'jp2' | 'jxl' | 'ico' | 'psd' | 'pnm' | 'svg' | 'unknown';

/** Extensions taken as images when scanning a category folder: those decoded and those listed as unsupported. */
export const DECODED_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif'];
/** Image files libvips (as bundled with sharp) cannot read: listed as skipped, with how to convert them, never silently ignored. */
export const UNSUPPORTED_EXTENSIONS = ['.bmp', '.dib', '.jp2', '.j2k', '.jpx', '.jxl', '.ico', '.psd', '.ppm', '.pgm', '.pbm', '.pnm', '.cr2', '.nef', '.arw', '.dng', '.raw'];

/** Pixel count above which an image is refused before decoding (sharp's default, about 268 megapixels). */
export const MAX_PIXELS = 0x3fff * 0x3fff;

const NAMES: Record<SniffedFormat, string> = {
  jpeg: 'JPEG', png: 'PNG', gif: 'GIF', webp: 'WebP', tiff: 'TIFF', avif: 'AVIF', heic: 'HEIC/HEIF (HEVC)', bmp: 'BMP', jp2: 'JPEG 2000',
  jxl: 'JPEG XL', ico: 'ICO', psd: 'Photoshop PSD', pnm: 'PNM/PPM', svg: 'SVG', unknown: 'unknown',
};

export function formatName(f: SniffedFormat): string {
  return NAMES[f];
}

/**
 * HEIC needs an HEVC decoder, which sharp's prebuilt libvips leaves out (it reads AVIF).
 * sharp is required here, when a file is about to be decoded, not at the top: the extension host
 * imports this module at activation (dataset.ts's extension lists) and must not load the native
 * library for that (test/extension/startupImports.test.ts).
 */
export function canDecodeHeic(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const sharp = require('sharp') as typeof Sharp;
  return sharp.format.heif.input.fileSuffix?.some((s) => s === '.heic' || s === '.heif') === true;
}

/** The format from the first bytes of a file. */
export function sniffFormat(head: Uint8Array): SniffedFormat {
  const b = head;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)) return 'tiff';
  if (ascii(4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand and compatible brands say AVIF (AV1) or HEIC (HEVC).
    const size = Math.min(b.length, ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0 || 32);
    const brands: string[] = [ascii(8, 12)];
    for (let o = 16; o + 4 <= size; o += 4) brands.push(ascii(o, o + 4));
    if (brands.some((x) => x === 'avif' || x === 'avis')) return 'avif';
    if (brands.some((x) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(x))) return 'heic';
    if (ascii(8, 12) === 'jp2 ') return 'jp2';
    return 'unknown';
  }
  if (b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if ((b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && ascii(4, 8) === 'jP  ') || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)) return 'jp2';
  if ((b[0] === 0xff && b[1] === 0x0a) || (b[3] === 0x0c && ascii(4, 8) === 'JXL ')) return 'jxl';
  if (b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return 'ico';
  if (ascii(0, 4) === '8BPS') return 'psd';
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) return 'pnm';
  const text = ascii(0, Math.min(b.length, 256)).trimStart();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'svg';
  return 'unknown';
}

/** Formats the bundled libvips decodes (SVG is left out: a drawing, not a photograph, and its size is arbitrary). */
export function isDecodable(f: SniffedFormat): boolean {
  return f === 'jpeg' || f === 'png' || f === 'gif' || f === 'webp' || f === 'tiff' || f === 'avif' || (f === 'heic' && canDecodeHeic());
}

/** How to turn a file of an undecodable format into one that is read. */
export function unsupportedReason(f: SniffedFormat, file: string): string {
  const stem = path.basename(file, path.extname(file));
  if (f === 'heic') {
    return `unsupported format: ${NAMES[f]}; the bundled image decoder (libvips in sharp) reads AVIF but has no HEVC decoder. Convert it to JPEG, e.g. \`heif-convert "${path.basename(file)}" "${stem}.jpg"\` (libheif-examples) or \`magick "${path.basename(file)}" "${stem}.jpg"\``;
  }
  return `unsupported format: ${NAMES[f]}, which the bundled image decoder (libvips in sharp) cannot read. Convert it to PNG or JPEG, e.g. \`magick "${path.basename(file)}" "${stem}.png"\``;
}

/** First bytes of a file (for sniffing); throws the fs error when it cannot be read. */
export function readHead(file: string, bytes = 512): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function readTail(file: string, size: number, bytes = 64): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * After a decode failed: truncated when the file lacks its format's end marker (JPEG EOI, PNG
 * IEND, GIF trailer), else corrupt. Deterministic: only the file's bytes decide.
 */
export function damageKind(file: string, format: SniffedFormat, size: number): 'truncated' | 'corrupt' {
  let tail: Uint8Array;
  try {
    tail = readTail(file, size);
  } catch {
    return 'corrupt';
  }
  const has = (seq: number[]) => {
    outer: for (let i = tail.length - seq.length; i >= 0; i--) {
      for (let k = 0; k < seq.length; k++) if (tail[i + k] !== seq[k]) continue outer;
      return true;
    }
    return false;
  };
  if (format === 'jpeg') return has([0xff, 0xd9]) ? 'corrupt' : 'truncated';
  if (format === 'png') return has([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]) ? 'corrupt' : 'truncated';
  if (format === 'gif') return tail[tail.length - 1] === 0x3b ? 'corrupt' : 'truncated';
  return 'corrupt';
}

/** The report's sentence for a skip of `kind` (a fixed text per kind, so reasons compare across runs). */
export function skipReason(kind: SkipKind, detail = ''): string {
  switch (kind) {
    case 'empty':
      return 'empty file (0 bytes); re-copy or remove it';
    case 'unreadable':
      return `file cannot be read${detail ? ` (${detail})` : ''}; check it exists and is readable`;
    case 'not-an-image':
      return `not an image: its contents are not in any image format${detail ? ` (${detail})` : ''}; remove it or replace it with the image`;
    case 'truncated':
      return `truncated ${detail} file: it ends before its image data does (a cut-short download or copy); re-download or re-export it`;
    case 'corrupt':
      return `corrupt ${detail} image data: decoding stopped at damaged data (used as is, it would give a damaged picture); re-download or re-export it`;
    case 'too-large':
      return `too large: ${detail}, over the ${Math.round(MAX_PIXELS / 1e6)} megapixel limit that guards against decompression bombs; downscale it`;
    case 'unsupported':
    case 'duplicate':
    case 'broken-link':
      return detail;
  }
}

/** Width x height from a PNG's IHDR or a GIF's screen descriptor (the first bytes), before any decoder reads more. */
export function headerSize(format: SniffedFormat, head: Uint8Array): { width: number; height: number } | undefined {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (format === 'png' && head.length >= 24) return { width: dv.getUint32(16), height: dv.getUint32(20) };
  if (format === 'gif' && head.length >= 10) return { width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
  return undefined;
}
