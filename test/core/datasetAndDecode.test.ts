import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { scanDataset, parseShard } from '../../src/core/dataset';
import { decodeImage, ImageDecodeError, packBatch } from '../../src/core/decode';
import { imagenetClassOf, readLabelFile } from '../../src/core/labels';
import { LIU2020_PREPROCESSING, UserError, type Preprocessing } from '../../src/core/types';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir;
const base = { imagesPerCategory: 'all' as const, sampling: 'first' as const, seed: 0, minImagesPerCategory: 1 };

async function png(file: string, rgb: [number, number, number], w = 8, h = 8) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(file);
}

test('scan: sorted categories, extensions, hidden files ignored, nested folders, symlink loops', async () => {
  const root = tmp('scan-');
  await png(path.join(root, 'b_cat', 'x2.png'), [1, 2, 3]);
  await png(path.join(root, 'b_cat', 'x1.PNG'), [1, 2, 3]);
  await png(path.join(root, 'b_cat', 'nested', 'deep.png'), [1, 2, 3]);
  fs.writeFileSync(path.join(root, 'b_cat', 'notes.txt'), 'not an image');
  await png(path.join(root, 'b_cat', '.hidden.png'), [1, 2, 3]);
  await png(path.join(root, 'a_cat', 'y.png'), [1, 2, 3]);
  fs.symlinkSync(path.join(root, 'a_cat'), path.join(root, 'a_cat', 'loop'));
  fs.symlinkSync(path.join(root, 'b_cat', 'x1.PNG'), path.join(root, 'b_cat', 'x1-again.png'));
  fs.mkdirSync(path.join(root, 'empty_cat'));
  fs.mkdirSync(path.join(root, '.git'));
  const r = scanDataset(root, base);
  assert.deepEqual(r.categories.map((c) => c.name), ['a_cat', 'b_cat']);
  assert.deepEqual(r.categories[0].files.map((f) => path.relative(root, f)), ['a_cat/y.png']);
  assert.deepEqual(r.categories[1].files.map((f) => path.relative(root, f)), ['b_cat/x1.PNG', 'b_cat/x2.png', 'b_cat/nested/deep.png']);
  assert.deepEqual(r.dropped, [{ name: 'empty_cat', reason: 'no image files' }]);
  assert.equal(r.categoriesFound, 3);
});

test('scan: first N, seeded random sample, minimum per category, shards', async () => {
  const root = tmp('scan2-');
  for (const c of ['c1', 'c2', 'c3']) for (let i = 0; i < 6; i++) await png(path.join(root, c, `i${i}.png`), [i, i, i]);
  await png(path.join(root, 'c4', 'only.png'), [0, 0, 0]);
  const first = scanDataset(root, { ...base, imagesPerCategory: 2 });
  assert.deepEqual(first.categories[0].files.map((f) => path.basename(f)), ['i0.png', 'i1.png']);
  const r1 = scanDataset(root, { ...base, imagesPerCategory: 3, sampling: 'random', seed: 7 });
  const r2 = scanDataset(root, { ...base, imagesPerCategory: 3, sampling: 'random', seed: 7 });
  const r3 = scanDataset(root, { ...base, imagesPerCategory: 3, sampling: 'random', seed: 8 });
  assert.deepEqual(r1.categories.map((c) => c.files), r2.categories.map((c) => c.files));
  assert.notDeepEqual(r1.categories.map((c) => c.files), r3.categories.map((c) => c.files));
  assert.equal(r1.categories[0].files.length, 3);
  const min = scanDataset(root, { ...base, minImagesPerCategory: 2 });
  assert.deepEqual(min.categories.map((c) => c.name), ['c1', 'c2', 'c3']);
  assert.match(min.dropped[0].reason, /fewer than the minimum 2/);
  const s1 = scanDataset(root, { ...base, shard: '1/2' });
  const s2 = scanDataset(root, { ...base, shard: '2/2' });
  assert.deepEqual(s1.categories.map((c) => c.name), ['c1', 'c3']);
  assert.deepEqual(s2.categories.map((c) => c.name), ['c2', 'c4']);
  assert.throws(() => parseShard('3/2'), UserError);
});

test('scan: fewer than 2 categories and a missing folder are clear errors', async () => {
  const root = tmp('scan3-');
  await png(path.join(root, 'only', 'a.png'), [0, 0, 0]);
  assert.throws(() => scanDataset(root, base), (e: Error) => e instanceof UserError && /at least 2 categories/.test(e.message) && e.message.includes(root));
  assert.throws(() => scanDataset(path.join(root, 'nope'), base), (e: Error) => e instanceof UserError && /does not exist/.test(e.message));
});

test('labels: synset folders map to ImageNet indices; label files in JSON and CSV', () => {
  assert.deepEqual(imagenetClassOf('n01440764'), { index: 0, name: 'tench' });
  assert.equal(imagenetClassOf('n15075141')?.index, 999);
  assert.equal(imagenetClassOf('cats'), undefined);
  const dir = tmp('labels-');
  fs.writeFileSync(path.join(dir, 'l.json'), JSON.stringify({ cats: 281, dogs: { index: 207, name: 'golden retriever' } }));
  fs.writeFileSync(path.join(dir, 'l.csv'), 'folder,index,name\ncats,281,tabby\ndogs,207\n');
  fs.writeFileSync(path.join(dir, 'bad.csv'), 'cats,x\n');
  assert.deepEqual(readLabelFile(path.join(dir, 'l.json')).get('dogs'), { index: 207, name: 'golden retriever' });
  assert.deepEqual(readLabelFile(path.join(dir, 'l.csv')).get('cats'), { index: 281, name: 'tabby' });
  assert.throws(() => readLabelFile(path.join(dir, 'bad.csv')), (e: Error) => e instanceof UserError && e.message.includes('bad.csv'));
});

const pre: Preprocessing = { ...LIU2020_PREPROCESSING, width: 4, height: 4 };

test('decode: grayscale, alpha, CMYK, 16-bit and EXIF rotation all become 3-channel sRGB at the target size', async () => {
  const dir = tmp('decode-');
  const gray = path.join(dir, 'g.png');
  await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 100, g: 100, b: 100 } } }).grayscale().png().toFile(gray);
  const rgba = path.join(dir, 'a.png');
  await sharp({ create: { width: 6, height: 6, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toFile(rgba);
  const cmyk = path.join(dir, 'c.jpg');
  await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 200, g: 50, b: 50 } } }).toColourspace('cmyk').jpeg({ quality: 100 }).toFile(cmyk);
  const deep = path.join(dir, 'd.png');
  await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 255, g: 0, b: 128 } } }).toColourspace('rgb16').png().toFile(deep);
  for (const f of [gray, rgba, cmyk, deep]) {
    const img = await decodeImage(f, pre);
    assert.equal(img.pixels.length, 4 * 4 * 3, f);
  }
  const g = await decodeImage(gray, pre);
  assert.deepEqual(Array.from(g.pixels.slice(0, 3)), [100, 100, 100]);
  const a = await decodeImage(rgba, pre);
  // Alpha dropped, like PIL convert('RGB') (sharp's synthetic image rounds by one level).
  Array.from(a.pixels.slice(0, 3)).forEach((v, i) => assert.ok(Math.abs(v - [10, 20, 30][i]) <= 1, `rgba -> ${a.pixels.slice(0, 3)}`));
  const c = await decodeImage(cmyk, pre);
  assert.ok(c.pixels[0] > 150 && c.pixels[1] < 100, `CMYK red came out as ${c.pixels.slice(0, 3)}`);
  const d = await decodeImage(deep, pre);
  Array.from(d.pixels.slice(0, 3)).forEach((v, i) => assert.ok(Math.abs(v - [255, 0, 128][i]) <= 1, `16-bit -> ${d.pixels.slice(0, 3)}`));
  // EXIF orientation 6 (rotate 90° clockwise): a 2x1 image [red, blue] becomes a column with red on top.
  const rot = path.join(dir, 'r.jpg');
  const raw = Buffer.from([255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255]); // 4x1: red red blue blue
  await sharp(raw, { raw: { width: 4, height: 1, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(rot);
  const r = await decodeImage(rot, { ...pre, width: 1, height: 4 });
  assert.ok(r.pixels[0] > 200 && r.pixels[2] < 60, `top is red: ${r.pixels.slice(0, 3)}`);
  assert.ok(r.pixels[9 + 2] > 200 && r.pixels[9] < 60, `bottom is blue: ${r.pixels.slice(9, 12)}`);
});

test('decode: corrupt, truncated, empty and non-image files fail with a reason', async () => {
  const dir = tmp('bad-');
  const good = path.join(dir, 'good.jpg');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toFile(good);
  const bytes = fs.readFileSync(good);
  const cases: Record<string, Buffer> = {
    'empty.jpg': Buffer.alloc(0),
    'text.jpg': Buffer.from('hello, I am not a picture'),
    'truncated.jpg': bytes.subarray(0, Math.floor(bytes.length / 2)),
    'garbage.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]),
  };
  for (const [name, buf] of Object.entries(cases)) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, buf);
    await assert.rejects(decodeImage(f, pre), (e: Error) => e instanceof ImageDecodeError && e.file === f && e.message.length > 0, name);
  }
  const reasons = await Promise.all(Object.keys(cases).map((n) => decodeImage(path.join(dir, n), pre).catch((e: Error) => e.message)));
  assert.match(String(reasons[0]), /empty/);
  assert.match(String(reasons[1]), /not an image/);
});

test('packBatch: (x/255 - mean)/std in NCHW and NHWC, and BGR order', () => {
  const img = { width: 1, height: 2, pixels: Uint8Array.from([255, 0, 51, 0, 255, 102]) };
  const p: Preprocessing = { ...LIU2020_PREPROCESSING, width: 1, height: 2 };
  const nchw = packBatch([img], p, 'NCHW', new Float32Array(6));
  const f = (v: number, c: number) => Math.fround((v / 255 - p.mean[c]) / p.std[c]);
  const expectNchw = [f(255, 0), f(0, 0), f(0, 1), f(255, 1), f(51, 2), f(102, 2)];
  nchw.forEach((v, i) => assert.ok(Math.abs(v - expectNchw[i]) < 1e-5, `nchw[${i}]`));
  const nhwc = packBatch([img], p, 'NHWC', new Float32Array(6));
  const expectNhwc = [f(255, 0), f(0, 1), f(51, 2), f(0, 0), f(255, 1), f(102, 2)];
  nhwc.forEach((v, i) => assert.ok(Math.abs(v - expectNhwc[i]) < 1e-5, `nhwc[${i}]`));
  const caffe: Preprocessing = { ...p, channelOrder: 'BGR', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] };
  const bgr = packBatch([img], caffe, 'NCHW', new Float32Array(6));
  // Channel 0 is blue: pixel blue values 51, 102 minus the blue mean.
  assert.ok(Math.abs(bgr[0] - (51 - 103.939)) < 1e-4 && Math.abs(bgr[1] - (102 - 103.939)) < 1e-4);
  assert.ok(Math.abs(bgr[4] - (255 - 123.68)) < 1e-4);
});
