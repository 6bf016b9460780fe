/**
 * Decoding against PIL on real files PIL wrote (test/fixtures/decode/make_decode_fixtures.py):
 * transparency keeps the stored colour as PIL's convert('RGB') does, also through a resize; CMYK
 * goes through libvips' built-in CMYK profile and matches littlecms' ICC conversion; a JPEG with
 * damaged data is refused (PIL lets it through as a damaged picture), a truncated one too, one with
 * harmless bytes before its end marker is read. Plus AVIF/HEIC and deterministic skip reasons.
 * `decoding: "pil"` gives PIL's own pixels (no EXIF rotation, ICC profile ignored, PIL's CMYK
 * formula) where the default colour-managed decoding differs from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage, ImageDecodeError, pilCmykToRgb } from '../../src/core/decode';
import { canDecodeHeic, sniffFormat } from '../../src/core/imageFormat';
import { LIU2020_PREPROCESSING, type Preprocessing } from '../../src/core/types';
import { tempDir } from '../helpers/tempDir';

const FIX = path.join(__dirname, '..', 'fixtures', 'decode');
interface Entry {
  mode: string;
  size: [number, number];
  rgb?: number[];
  error?: string;
  meanAbsDiffFromGood?: number;
  iccRelative?: number[];
  adobe?: boolean;
  orientation?: number;
  exifTransposed?: number[];
  exifTransposedSize?: [number, number];
  iccProfile?: boolean;
  iccToSrgb?: number[];
  values?: number[];
}
const REF: { images: Record<string, Entry>; cmykToRgb: { k: number[]; r: number[][] } } = JSON.parse(fs.readFileSync(path.join(FIX, 'reference.json'), 'utf8'));
const at = (w: number, h: number): Preprocessing => ({ ...LIU2020_PREPROCESSING, width: w, height: h });

function diff(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  assert.equal(a.length, b.length);
  let s = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    s += d;
    max = Math.max(max, d);
  }
  return { mean: s / a.length, max };
}

test('decode vs PIL: RGBA, palette+tRNS and grey+alpha keep the stored colour of transparent pixels (convert("RGB"))', async () => {
  for (const name of ['rgba.png', 'palette_trns.png', 'la.png']) {
    const ref = REF.images[name];
    const img = await decodeImage(path.join(FIX, name), at(8, 8));
    assert.deepEqual(Array.from(img.pixels), ref.rgb, name);
  }
});

test('decode: alpha is dropped before resizing, so a resized transparent image equals the resized PIL RGB image', async () => {
  const dir = tempDir('alpha-');
  for (const name of ['rgba.png', 'palette_trns.png']) {
    const ref = REF.images[name];
    // PIL's RGB pixels as a plain RGB PNG: resizing it is what "convert('RGB'), then resize" gives.
    const rgbFile = path.join(dir, `${name}.rgb.png`);
    await sharp(Buffer.from(ref.rgb!), { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(rgbFile);
    for (const [w, h] of [[4, 4], [13, 11]]) {
      const a = await decodeImage(path.join(FIX, name), at(w, h));
      const b = await decodeImage(rgbFile, at(w, h));
      assert.deepEqual(Array.from(a.pixels), Array.from(b.pixels), `${name} at ${w}x${h}`);
    }
    // And no pixel went black where PIL has colour (the old premultiplied resize did that).
    const small = await decodeImage(path.join(FIX, name), at(4, 4));
    assert.ok(Array.from({ length: 16 }, (_, i) => small.pixels[i * 3] + small.pixels[i * 3 + 1] + small.pixels[i * 3 + 2]).every((s) => s > 0), name);
  }
});

test('decode vs littlecms: a CMYK JPEG without a profile goes through libvips\' CMYK profile (within 3 levels, mean < 0.5), not the naive formula', async () => {
  const ref = REF.images['cmyk.jpg'];
  const img = await decodeImage(path.join(FIX, 'cmyk.jpg'), at(8, 8));
  const icc = diff(img.pixels, ref.iccRelative!);
  assert.ok(icc.max <= 3 && icc.mean < 0.5, `ICC reference: mean ${icc.mean}, max ${icc.max}`);
  // PIL's own CMYK->RGB is not colour-managed: far from it (this is what the reference is not).
  const naive = diff(img.pixels, ref.rgb!);
  assert.ok(naive.mean > 5, `naive differs by ${naive.mean}`);
});

test('decode: damaged JPEG data is refused (as PIL: "broken data stream"; libvips alone would recover a damaged picture), truncation too; harmless trailing bytes are read', async () => {
  assert.match(REF.images['garbage_mid.jpg'].error!, /broken data stream/, 'PIL refuses it too');
  await assert.rejects(decodeImage(path.join(FIX, 'garbage_mid.jpg'), at(8, 8)), (e: unknown) => e instanceof ImageDecodeError && e.kind === 'corrupt' && /^corrupt JPEG image data/.test(e.message));
  assert.match(REF.images['truncated.jpg'].error!, /truncated/);
  await assert.rejects(decodeImage(path.join(FIX, 'truncated.jpg'), at(8, 8)), (e: unknown) => e instanceof ImageDecodeError && e.kind === 'truncated' && /^truncated JPEG file/.test(e.message));
  assert.equal(REF.images['extraneous.jpg'].meanAbsDiffFromGood, 0);
  const good = await decodeImage(path.join(FIX, 'good.jpg'), at(16, 16));
  const extra = await decodeImage(path.join(FIX, 'extraneous.jpg'), at(16, 16));
  assert.deepEqual(Array.from(extra.pixels), Array.from(good.pixels));
});

test('decode: AVIF is read; HEIC (HEVC) is refused with how to convert it; reasons are the same on every try', async () => {
  const dir = tempDir('heif-');
  const avif = path.join(dir, 'a.avif');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } } }).avif({ quality: 90 }).toFile(avif);
  const img = await decodeImage(avif, at(4, 4));
  assert.ok(Math.abs(img.pixels[0] - 200) < 12 && img.pixels[1] < 60, `AVIF red: ${img.pixels.slice(0, 3)}`);
  // A HEIC header (ftyp heic): the bundled libvips has no HEVC decoder.
  const heic = path.join(dir, 'b.heic');
  fs.writeFileSync(heic, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(200, 1)]));
  assert.equal(sniffFormat(fs.readFileSync(heic)), 'heic');
  assert.equal(canDecodeHeic(), false, 'this sharp build has no HEVC; if it gains it, HEIC files are decoded and this test needs a real HEIC');
  await assert.rejects(decodeImage(heic, at(4, 4)), (e: unknown) => e instanceof ImageDecodeError && e.kind === 'unsupported' && /HEIC/.test(e.message) && /heif-convert "b\.heic" "b\.jpg"/.test(e.message));
  // The same corrupt PNG, decoded 12 times concurrently, gets one and the same reason.
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
  const cut = path.join(dir, 'cut.png');
  fs.writeFileSync(cut, png.subarray(0, png.length - 20));
  const bad = path.join(dir, 'bad.png');
  const damaged = Buffer.from(png);
  damaged.fill(0x55, 40, 60);
  fs.writeFileSync(bad, damaged);
  for (const f of [cut, bad]) {
    const reasons = await Promise.all(Array.from({ length: 12 }, () => decodeImage(f, at(4, 4)).then(() => 'decoded', (e: Error) => e.message)));
    assert.equal(new Set(reasons).size, 1, reasons.join('\n'));
  }
  assert.match(await decodeImage(cut, at(4, 4)).catch((e: Error) => e.message) as string, /^truncated PNG file/);
  assert.match(await decodeImage(bad, at(4, 4)).catch((e: Error) => e.message) as string, /^corrupt PNG image data/);
});

// ------------------------------------------------------------------ decoding: "pil"

/** Rows top..top+h, columns left..left+w of a row-major RGB image `width` pixels wide. */
function crop(rgb: number[], width: number, left: number, top: number, w: number, h: number): number[] {
  const out: number[] = [];
  for (let y = top; y < top + h; y++) out.push(...rgb.slice((y * width + left) * 3, (y * width + left + w) * 3));
  return out;
}

test('decoding "pil": the fixtures are what they claim (EXIF orientation 6, an embedded profile, CMYK with and without the Adobe marker)', () => {
  assert.equal(REF.images['exif6.jpg'].orientation, 6);
  assert.deepEqual(REF.images['exif6.jpg'].exifTransposedSize, [24, 32]);
  assert.equal(REF.images['icc_wide.jpg'].iccProfile, true);
  assert.equal(REF.images['icc_wide.png'].iccProfile, true);
  assert.equal(REF.images['cmyk.jpg'].adobe, true);
  assert.equal(REF.images['cmyk_no_adobe.jpg'].adobe, false);
  assert.equal(REF.images['cmyk_no_adobe.jpg'].mode, 'CMYK');
});

test("decoding \"pil\" gives exactly PIL's Image.open(f).convert('RGB') pixels: EXIF orientation not applied, ICC profile ignored, CMYK by PIL's formula (also without an Adobe marker), 16-bit grey clipped at 255, alpha as before", async () => {
  for (const name of ['exif6.jpg', 'icc_wide.jpg', 'icc_wide.png', 'grey16.png', 'cmyk.jpg', 'cmyk_no_adobe.jpg', 'rgba.png', 'palette_trns.png', 'la.png']) {
    const ref = REF.images[name];
    const [w, h] = ref.size;
    const img = await decodeImage(path.join(FIX, name), at(w, h), 'pil');
    assert.deepEqual([img.width, img.height], [w, h], name);
    assert.deepEqual(Array.from(img.pixels), ref.rgb, name);
  }
});

test('decoding "colour-managed" (the default) still rotates by EXIF and applies the ICC profile, so it differs from PIL on these files', async () => {
  // EXIF orientation 6: the picture PIL's own exif_transpose gives (24 x 32), exactly.
  const exif = REF.images['exif6.jpg'];
  for (const decoding of [undefined, 'colour-managed'] as const) {
    const rotated = await decodeImage(path.join(FIX, 'exif6.jpg'), at(24, 32), decoding);
    assert.deepEqual(Array.from(rotated.pixels), exif.exifTransposed, `exif6.jpg, decoding ${decoding}`);
  }
  const pilTall = await decodeImage(path.join(FIX, 'exif6.jpg'), at(24, 32), 'pil');
  assert.ok(diff(pilTall.pixels, exif.exifTransposed!).mean > 20, 'pil does not rotate');
  // Embedded Adobe-RGB-like profile: littlecms' conversion to sRGB (perceptual, as sharp does),
  // within 1 level (mean < 0.1; libvips and PIL link different littlecms builds), and far from
  // PIL's stored values.
  for (const name of ['icc_wide.jpg', 'icc_wide.png']) {
    const ref = REF.images[name];
    const img = await decodeImage(path.join(FIX, name), at(32, 24));
    const icc = diff(img.pixels, ref.iccToSrgb!);
    assert.ok(icc.max <= 1 && icc.mean < 0.1, `${name} vs littlecms: mean ${icc.mean}, max ${icc.max}`);
    const pil = diff(img.pixels, ref.rgb!);
    assert.ok(pil.mean > 5 && pil.max > 50, `${name}: colour-managed differs from PIL's stored values (mean ${pil.mean}, max ${pil.max})`);
  }
  // CMYK without the Adobe marker is read as inverted too (libvips' rule, and PIL's): the same
  // colour-managed pixels as the file with the marker, and far from PIL's formula.
  const withMarker = await decodeImage(path.join(FIX, 'cmyk.jpg'), at(8, 8));
  const noMarker = await decodeImage(path.join(FIX, 'cmyk_no_adobe.jpg'), at(8, 8));
  assert.deepEqual(Array.from(noMarker.pixels), Array.from(withMarker.pixels));
  assert.ok(diff(noMarker.pixels, REF.images['cmyk_no_adobe.jpg'].rgb!).mean > 5);
  // 16-bit grey: scaled to 8 bits (the high byte), where PIL clips at 255.
  const grey16 = REF.images['grey16.png'];
  assert.ok(grey16.values!.some((v) => v > 255) && grey16.values!.some((v) => v < 256), 'values on both sides of 255');
  const scaled = await decodeImage(path.join(FIX, 'grey16.png'), at(32, 24));
  assert.deepEqual(Array.from(scaled.pixels), grey16.values!.flatMap((v) => [v >> 8, v >> 8, v >> 8]));
});

test('decoding "pil" with shorter-crop: the stored (unrotated) picture is cropped, the colour-managed one the rotated picture', async () => {
  const exif = REF.images['exif6.jpg'];
  const pre: Preprocessing = { ...at(24, 24), resize: 'shorter-crop', shorterSide: 24 };
  // 32 x 24 stored: the shorter side is already 24, so only the centre crop acts (columns 4..27).
  const pil = await decodeImage(path.join(FIX, 'exif6.jpg'), pre, 'pil');
  assert.deepEqual(Array.from(pil.pixels), crop(exif.rgb!, 32, 4, 0, 24, 24));
  // 24 x 32 rotated: rows 4..27.
  const managed = await decodeImage(path.join(FIX, 'exif6.jpg'), pre);
  assert.deepEqual(Array.from(managed.pixels), crop(exif.exifTransposed!, 24, 0, 4, 24, 24));
});

test("pilCmykToRgb is PIL's CMYK -> RGB for every ink value at K = 0, 1, 2, 50, 127, 128, 200, 254, 255", () => {
  const { k: ks, r } = REF.cmykToRgb;
  ks.forEach((k, row) => {
    // One pixel per C value, the same C in all three inks: R, G and B all follow PIL's R.
    const cmyk = new Uint8Array(256 * 5);
    for (let c = 0; c < 256; c++) cmyk.set([c, c, c, k, 255], c * 5);
    const rgb = pilCmykToRgb(cmyk, 5, 256);
    for (let c = 0; c < 256; c++) {
      assert.deepEqual([rgb[c * 3], rgb[c * 3 + 1], rgb[c * 3 + 2]], [r[row][c], r[row][c], r[row][c]], `C ${c}, K ${k}`);
    }
  });
});
