/**
 * Decoding against PIL on real files PIL wrote (test/fixtures/decode/make_decode_fixtures.py):
 * transparency keeps the stored colour as PIL's convert('RGB') does, also through a resize; CMYK
 * goes through libvips' built-in CMYK profile and matches littlecms' ICC conversion; a JPEG with
 * damaged data is refused (PIL lets it through as a damaged picture), a truncated one too, one with
 * harmless bytes before its end marker is read. Plus AVIF/HEIC and deterministic skip reasons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage, ImageDecodeError } from '../../src/core/decode';
import { canDecodeHeic, sniffFormat } from '../../src/core/imageFormat';
import { LIU2020_PREPROCESSING, type Preprocessing } from '../../src/core/types';
import { tempDir } from '../helpers/tempDir';

const FIX = path.join(__dirname, '..', 'fixtures', 'decode');
interface Entry { mode: string; size: [number, number]; rgb?: number[]; error?: string; meanAbsDiffFromGood?: number; iccRelative?: number[] }
const REF: { images: Record<string, Entry> } = JSON.parse(fs.readFileSync(path.join(FIX, 'reference.json'), 'utf8'));
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
