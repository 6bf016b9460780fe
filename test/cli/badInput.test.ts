/**
 * The bad-input and fault matrix (issue 14), through the CLI as a user runs it: every case asserts
 * the exit code, the message and what the report holds. The CLI's main() runs in this process
 * (stdout/stderr captured) so that ~50 runs of a tiny model stay a few seconds; faults the test
 * machine cannot produce for real (full disk, read-only file system, no permission as root) are
 * injected into node's fs; the rest are real files. A few cases spawn the real binary too.
 */
import { before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fsNs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { analyze } from '../../src/core/analyze';
import { main } from '../../src/cli/main';
import type { SparsityReport } from '../../src/core/report/schema';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

// The module object itself (not the import namespace), so that mock.method can replace its functions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof fsNs = require('node:fs');
const FIX = path.join(__dirname, '..', 'fixtures', 'decode');
const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
let root: string;
let model: string;
let base: string;
let counter = 0;

interface Run { code: number; out: string; err: string; report?: SparsityReport }

/** Runs `sparsity-lens <args>` in this process; parses the report when --json printed one. */
async function cli(args: string[]): Promise<Run> {
  const writes: string[] = [];
  let err = '';
  // The CLI writes strings; the test runner's own messages (serialized, not strings) pass through.
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  const o = mock.method(process.stdout, 'write', (s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? (writes.push(s), true) : origOut(s, ...rest)));
  const e = mock.method(process.stderr, 'write', (s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? ((err += s), true) : origErr(s, ...rest)));
  let code: number;
  try {
    code = await main(['node', 'sparsity-lens', ...args]);
  } finally {
    o.mock.restore();
    e.mock.restore();
  }
  // The report is one write; the test runner may write its own lines meanwhile.
  const json = writes.find((w) => w.startsWith('{\n "schema"'));
  const report: SparsityReport | undefined = code === 0 && json ? JSON.parse(json) : undefined;
  return { code, out: writes.join(''), err, report };
}

const FAST = ['--controls', 'none', '--accuracy', 'none', '--no-html', '--json', '--quiet'];

/** A fresh copy of the 4 x 3 solid-colour dataset, with `extra` files added: name → contents or a writer. */
async function dataset(extra: Record<string, Buffer | ((file: string) => Promise<void> | void)> = {}): Promise<{ data: string; out: string }> {
  const dir = path.join(root, `case${++counter}`);
  const data = path.join(dir, 'data');
  fs.cpSync(base, data, { recursive: true });
  for (const [rel, v] of Object.entries(extra)) {
    const f = path.join(data, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    if (Buffer.isBuffer(v)) fs.writeFileSync(f, v);
    else await v(f);
  }
  return { data, out: path.join(dir, 'out') };
}

async function analyzeJson(data: string, out: string, more: string[] = []): Promise<Run> {
  return cli(['analyze', data, '--model', model, '--out', out, ...FAST, ...more]);
}

function noStack(r: Run): void {
  assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/, `no stack trace:\n${r.err}`);
  assert.doesNotMatch(r.err, /Unexpected error|Please report/, r.err);
}

const crc32 = (buf: Buffer): number => {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
};
/** A PNG whose header says width x height (the body is a stub): a decompression-bomb stand-in. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const type = Buffer.from('IHDR');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), len, type, ihdr, crc, Buffer.alloc(64, 0)]);
}

const goodPng = (rgb: [number, number, number]) => (f: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(f).then(() => undefined);

before(async () => {
  root = tempDir('badinput-');
  model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  base = path.join(root, 'base');
  await writeStimuli(base);
});

// ---- Files: each bad file is skipped and listed with a specific, stable reason; never a crash.

const png64 = () => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer();

const SKIP_CASES: { name: string; file: string; make: () => Promise<Buffer> | Buffer; kind: string; reason: RegExp }[] = [
  { name: 'an empty .jpg', file: 'empty.jpg', make: () => Buffer.alloc(0), kind: 'empty', reason: /^empty file \(0 bytes\)/ },
  { name: 'a text file named .png', file: 'text.png', make: () => Buffer.from('hello, not a picture'), kind: 'not-an-image', reason: /^not an image/ },
  { name: 'a truncated JPEG', file: 'cut.jpg', make: () => fs.readFileSync(path.join(FIX, 'truncated.jpg')), kind: 'truncated', reason: /^truncated JPEG file.*re-download/ },
  { name: 'a JPEG with garbage in its data', file: 'garbage.jpg', make: () => fs.readFileSync(path.join(FIX, 'garbage_mid.jpg')), kind: 'corrupt', reason: /^corrupt JPEG image data/ },
  { name: 'a truncated PNG', file: 'cut.png', make: async () => (await png64()).subarray(0, 60), kind: 'truncated', reason: /^truncated PNG file/ },
  {
    name: 'a PNG with damaged data',
    file: 'damaged.png',
    make: async () => {
      const b = Buffer.from(await png64());
      b.fill(0x55, 40, 60);
      return b;
    },
    kind: 'corrupt',
    reason: /^corrupt PNG image data/,
  },
  { name: 'a BMP', file: 'old.bmp', make: () => Buffer.concat([Buffer.from('BM'), Buffer.alloc(100, 0)]), kind: 'unsupported', reason: /unsupported format: BMP.*magick "old\.bmp" "old\.png"/ },
  { name: 'a HEIC (HEVC)', file: 'phone.heic', make: () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(100, 1)]), kind: 'unsupported', reason: /HEIC.*no HEVC decoder.*heif-convert "phone\.heic" "phone\.jpg"/ },
  { name: 'a .heif of unknown brand content', file: 'x.heif', make: () => Buffer.from('plain text, not heif'), kind: 'not-an-image', reason: /^not an image/ },
  { name: 'a JPEG XL', file: 'new.jxl', make: () => Buffer.concat([Buffer.from([0xff, 0x0a]), Buffer.alloc(50, 3)]), kind: 'unsupported', reason: /unsupported format: JPEG XL/ },
  { name: 'a decompression bomb (PNG header 30000 x 30000)', file: 'bomb.png', make: () => pngHeader(30000, 30000), kind: 'too-large', reason: /^too large: 30000 x 30000 pixels/ },
  { name: 'an .ico', file: 'fav.ico', make: () => Buffer.concat([Buffer.from([0, 0, 1, 0]), Buffer.alloc(60, 0)]), kind: 'unsupported', reason: /unsupported format: ICO/ },
];

for (const c of SKIP_CASES) {
  test(`bad file: ${c.name} is skipped (kind ${c.kind}) and listed; the rest is analysed; exit 0`, async () => {
    const { data, out } = await dataset({ [`cat_a/${c.file}`]: await c.make() });
    const r = await analyzeJson(data, out);
    assert.equal(r.code, 0, r.err);
    noStack(r);
    const s = r.report!.skipped.find((x) => x.file === path.join(data, 'cat_a', c.file));
    assert.ok(s, `listed: ${JSON.stringify(r.report!.skipped)}`);
    assert.equal(s.kind, c.kind);
    assert.match(s.reason, c.reason);
    assert.equal(r.report!.dataset.imagesUsed, 12);
    assert.equal(r.report!.categories.find((x) => x.name === 'cat_a')!.images, 3);
  });
}

test('bad file: the skip reasons are the same in two runs (from the file, not a decoder race)', async () => {
  const extra: Record<string, Buffer> = {};
  for (const c of SKIP_CASES) extra[`cat_b/${c.file}`] = await c.make();
  const { data, out } = await dataset(extra);
  const a = await analyzeJson(data, out, ['--batch-size', '1']);
  const b = await analyzeJson(data, out, ['--batch-size', '16']);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.report!.skipped.length, SKIP_CASES.length);
  assert.deepEqual(a.report!.skipped, b.report!.skipped);
});

const USED_CASES: { name: string; file: string; make: (f: string) => Promise<void> }[] = [
  { name: 'an AVIF', file: 'a.avif', make: (f) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 250, g: 10, b: 10 } } }).avif().toFile(f).then(() => undefined) },
  { name: 'a PNG named .jpg', file: 'png-inside.jpg', make: goodPng([240, 20, 20]) },
  { name: 'a PIL RGBA PNG with transparent pixels', file: 'rgba.png', make: async (f) => fs.copyFileSync(path.join(FIX, 'rgba.png'), f) },
  { name: 'a palette PNG with tRNS', file: 'pal.png', make: async (f) => fs.copyFileSync(path.join(FIX, 'palette_trns.png'), f) },
  { name: 'a CMYK JPEG', file: 'cmyk.jpg', make: async (f) => fs.copyFileSync(path.join(FIX, 'cmyk.jpg'), f) },
  { name: 'a JPEG with harmless bytes before its end marker', file: 'extra.jpg', make: async (f) => fs.copyFileSync(path.join(FIX, 'extraneous.jpg'), f) },
  { name: 'a 16-bit PNG', file: 'deep.png', make: (f) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 128 } } }).toColourspace('rgb16').png().toFile(f).then(() => undefined) },
  { name: 'a grey + alpha PNG', file: 'la.png', make: async (f) => fs.copyFileSync(path.join(FIX, 'la.png'), f) },
  { name: 'an upper-case .JPEG extension', file: 'UP.JPEG', make: (f) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 250, g: 0, b: 0 } } }).jpeg().toFile(f).then(() => undefined) },
];

for (const c of USED_CASES) {
  test(`readable file: ${c.name} is analysed, nothing skipped`, async () => {
    const { data, out } = await dataset({ [`cat_a/${c.file}`]: c.make });
    const r = await analyzeJson(data, out);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.report!.skipped, []);
    assert.equal(r.report!.categories.find((x) => x.name === 'cat_a')!.images, 4);
    assert.equal(r.report!.dataset.imagesUsed, 13);
  });
}

test('files: hidden files and non-image extensions are not images (as documented), so not listed', async () => {
  const { data, out } = await dataset({ 'cat_a/.hidden.png': goodPng([1, 2, 3]), 'cat_a/notes.txt': Buffer.from('notes'), 'cat_a/._mac.jpg': Buffer.from('AppleDouble') });
  const r = await analyzeJson(data, out);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.report!.skipped, []);
  assert.equal(r.report!.dataset.imagesUsed, 12);
});

test('files: a broken symbolic link with an image name is listed, not silently dropped', async () => {
  const { data, out } = await dataset({ 'cat_a/gone.png': (f) => fs.symlinkSync(path.join(path.dirname(f), 'nowhere.png'), f) });
  const r = await analyzeJson(data, out);
  assert.equal(r.code, 0, r.err);
  const s = r.report!.skipped.find((x) => x.file.endsWith('gone.png'))!;
  assert.equal(s.kind, 'broken-link');
  assert.match(s.reason, /broken symbolic link.*nowhere\.png/);
});

test('files: a link to a file already in the category counts once and is listed as a duplicate', async () => {
  const { data, out } = await dataset({ 'cat_a/again.png': (f) => fs.symlinkSync(path.join(path.dirname(f), 'img0.png'), f) });
  const r = await analyzeJson(data, out);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.categories.find((x) => x.name === 'cat_a')!.images, 3);
  const s = r.report!.skipped.find((x) => x.file.endsWith('again.png'))!;
  assert.equal(s.kind, 'duplicate');
  assert.match(s.reason, /duplicate: a link to .*img0\.png/);
});

test('files: a category whose every image is unreadable is dropped with the reason; the others are analysed', async () => {
  const { data, out } = await dataset({ 'cat_x/a.jpg': Buffer.alloc(0), 'cat_x/b.png': Buffer.from('text') });
  const r = await analyzeJson(data, out);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.report!.categories.map((c) => c.name), ['cat_a', 'cat_b', 'cat_c', 'cat_d']);
  assert.match(r.report!.dataset.droppedCategories.find((d) => d.name === 'cat_x')!.reason, /no image could be decoded/);
  assert.equal(r.report!.skipped.length, 2);
});

// ---- Dataset structure.

test('dataset: a symlinked category sharing its images with another keeps them (a category is its folder\'s files)', async () => {
  const { data, out } = await dataset({ cat_e: (f) => fs.symlinkSync(path.join(path.dirname(f), 'cat_a'), f) });
  const r = await analyzeJson(data, out);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.categories.find((c) => c.name === 'cat_e')!.images, 3);
  assert.equal(r.report!.categories.find((c) => c.name === 'cat_a')!.images, 3);
  assert.deepEqual(r.report!.skipped, []);
  // Same images, same responses: the two categories' PSIs are equal in every layer.
  const ia = r.report!.categories.findIndex((c) => c.name === 'cat_a');
  const ie = r.report!.categories.findIndex((c) => c.name === 'cat_e');
  for (const l of r.report!.passes[0].layers) assert.equal(l.psi[ia], l.psi[ie], l.name);
});

test('dataset: the output folder inside the dataset is never a category, on the first or the next run', async () => {
  const { data } = await dataset();
  const out = path.join(data, 'runs');
  const first = await analyzeJson(data, out);
  assert.equal(first.code, 0, first.err);
  const second = await analyzeJson(data, out);
  assert.equal(second.code, 0, second.err);
  assert.deepEqual(second.report!.categories.map((c) => c.name), ['cat_a', 'cat_b', 'cat_c', 'cat_d']);
  assert.match(second.report!.dataset.droppedCategories.find((d) => d.name === 'runs')!.reason, /^not a category: this run's output folder/);
  // `analyze .` from inside: the default output folder is found the same way.
  const third = await analyzeJson(data, path.join(data, 'runs'));
  assert.deepEqual(third.report!.passes[0].layers.map((l) => l.psi), second.report!.passes[0].layers.map((l) => l.psi));
});

test('dataset: a folder holding an earlier run (report.sparsity.json) is not a category', async () => {
  const { data, out } = await dataset();
  const r0 = await analyzeJson(data, out);
  fs.cpSync(out, path.join(data, 'old_results'), { recursive: true });
  const r = await analyzeJson(data, path.join(path.dirname(out), 'out2'));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.categories.length, 4);
  assert.match(r.report!.dataset.droppedCategories.find((d) => d.name === 'old_results')!.reason, /holds Sparsity Lens run folders/);
  assert.deepEqual(r.report!.passes[0].layers.map((l) => l.psi), r0.report!.passes[0].layers.map((l) => l.psi));
});

test('dataset: a missing folder, a file instead of a folder, no sub-folders, one category: exit 2 with what to do', async () => {
  const dir = path.join(root, `case${++counter}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'file.txt');
  fs.writeFileSync(file, 'x');
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const one = path.join(dir, 'one');
  fs.mkdirSync(path.join(one, 'only'), { recursive: true });
  await goodPng([1, 2, 3])(path.join(one, 'only', 'a.png'));
  const cases: [string, RegExp][] = [
    [path.join(dir, 'missing'), /missing does not exist\. Pass a folder with one sub-folder per category/],
    [file, /file\.txt is not a folder/],
    [empty, /has no sub-folders; at least 2 categories are needed/],
    [one, /has 1 usable category; at least 2 categories are needed/] as [string, RegExp],
  ];
  for (const [d, msg] of cases) {
    const r = await cli(['analyze', d, '--model', model, '--out', path.join(dir, 'out'), ...FAST]);
    assert.equal(r.code, 2, d);
    assert.match(r.err, msg);
    noStack(r);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'out')), 'no run folder for a failed start');
});

// ---- Statistics that need a warning.

test('statistics: two categories → no accuracy statistics, and the report and CLI say why', async () => {
  const dir = path.join(root, `case${++counter}`);
  await writeStimuli(path.join(dir, 'data'), { cat_a: [[250, 10, 10], [200, 40, 30]], cat_b: [[10, 240, 20], [60, 200, 0]] });
  const r = await cli(['analyze', path.join(dir, 'data'), '--model', model, '--out', path.join(dir, 'out'), '--controls', 'none', '--no-html', '--json', '--quiet']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.accuracy, undefined);
  assert.equal(r.report!.psiAccuracy, undefined);
  assert.ok(r.report!.warnings!.some((w) => /at least 3 categories.*this run has 2/.test(w)), JSON.stringify(r.report!.warnings));
  assert.match(r.err, /Warning: Accuracy and the PSI-accuracy statistics are left out/);
});

test('statistics: a category with fewer images than folds is left out of the accuracy statistics with a warning', async () => {
  const dir = path.join(root, `case${++counter}`);
  const stimuli: Record<string, [number, number, number][]> = {
    cat_a: [[250, 10, 10], [200, 40, 30], [230, 0, 60]],
    cat_b: [[10, 240, 20], [60, 200, 0], [0, 220, 90]],
    cat_c: [[20, 30, 250], [0, 80, 210], [40, 0, 230]],
    cat_d: [[200, 200, 200], [128, 128, 128], [90, 160, 40]],
    cat_e: [[90, 90, 10]],
  };
  await writeStimuli(path.join(dir, 'data'), stimuli);
  const r = await cli(['analyze', path.join(dir, 'data'), '--model', model, '--out', path.join(dir, 'out'), '--controls', 'none', '--accuracy', 'decoder', '--no-html', '--json', '--quiet']);
  assert.equal(r.code, 0, r.err);
  const rep = r.report!;
  const ie = rep.categories.findIndex((c) => c.name === 'cat_e');
  assert.equal(rep.accuracy!.perCategory[ie], null, 'no accuracy for cat_e (NaN, null in JSON)');
  assert.ok(rep.accuracy!.perCategory.every((v, i) => i === ie || typeof v === 'number'));
  for (const c of rep.psiAccuracy!.perLayer) assert.equal(c.n, 4, `r over the 4 categories with accuracy (${c.layer})`);
  assert.ok(rep.warnings!.some((w) => /fewer images than the decoder's 2 folds.*cat_e \(1\)/.test(w)), JSON.stringify(rep.warnings));
  assert.match(r.err, /Warning: 1 category has fewer images than the decoder's 2 folds/);
});

test('statistics: -n 2 with an unreadable file among the first two takes the next readable one and says so', async () => {
  const { data, out } = await dataset({ 'cat_a/img0.png': Buffer.from('broken') });
  const r = await analyzeJson(data, out, ['-n', '2']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.categories.find((c) => c.name === 'cat_a')!.images, 2);
  assert.equal(r.report!.dataset.imagesUsed, 8);
  assert.deepEqual(r.report!.skipped.map((s) => path.basename(s.file)), ['img0.png']);
  assert.ok(r.report!.warnings!.some((w) => /cat_a: 1 unreadable file .* replaced by the next readable/.test(w)), JSON.stringify(r.report!.warnings));
});

test('statistics: -n 5 where a category has 3 readable images says it is short', async () => {
  const { data, out } = await dataset();
  const r = await analyzeJson(data, out, ['-n', '5']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.report!.dataset.imagesUsed, 12);
  assert.ok(r.report!.warnings!.some((w) => /cat_a has only 3 readable images of the 5 asked for/.test(w)), JSON.stringify(r.report!.warnings));
});

// ---- The output folder.

test('output: --out naming an existing file → exit 2 naming it and the fix; nothing else changed', async () => {
  const { data } = await dataset();
  const file = path.join(path.dirname(data), 'taken');
  fs.writeFileSync(file, 'mine');
  const r = await analyzeJson(data, file);
  assert.equal(r.code, 2);
  assert.match(r.err, /Cannot write the run's files \(EEXIST\)\. .*taken exists and is not a folder.*--out/);
  noStack(r);
  assert.equal(fs.readFileSync(file, 'utf8'), 'mine');
  const under = await analyzeJson(data, path.join(file, 'sub'));
  assert.equal(under.code, 2);
  assert.match(under.err, /\(ENOTDIR\)\. A part of .*taken.* is a file, not a folder/);
});

function errno(code: string, syscall: string, p?: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected, ${syscall}${p ? ` '${p}'` : ''}`);
  e.code = code;
  e.syscall = syscall;
  if (p) e.path = p;
  return e;
}

for (const [code, msg] of [
  ['EROFS', /\(EROFS\)\. .* is on a read-only file system\. Pass a writable folder with --out/],
  ['EACCES', /\(EACCES\)\. No permission to write in .*out.*--out/],
  ['EPERM', /\(EPERM\)\. Writing in .* is not permitted/],
] as const) {
  test(`output: ${code} when making the run folder → exit 2 naming the folder and the fix; no run folder`, async () => {
    const { data, out } = await dataset();
    const real = fs.mkdirSync;
    const m = mock.method(fs, 'mkdirSync', (p: fsNs.PathLike, o?: fsNs.MakeDirectoryOptions) => {
      if (String(p).startsWith(out)) throw errno(code, 'mkdir', String(p));
      return real(p, o);
    });
    let r: Run;
    try {
      r = await analyzeJson(data, out);
    } finally {
      m.mock.restore();
    }
    assert.equal(r.code, 2);
    assert.match(r.err, msg);
    noStack(r);
    assert.ok(!fs.existsSync(out));
  });
}

test('output: disk full (ENOSPC) while writing the report → exit 2, no temporary file left, --resume after freeing space finishes', async () => {
  const { data, out } = await dataset();
  const realWrite = fs.writeFileSync;
  const realOpen = fs.openSync;
  const tmpOf = new Map<number, string>();
  const mo = mock.method(fs, 'openSync', (p: fsNs.PathLike, ...rest: unknown[]) => {
    const fd = (realOpen as (...a: unknown[]) => number)(p, ...rest);
    tmpOf.set(fd, String(p));
    return fd;
  });
  const mw = mock.method(fs, 'writeFileSync', (f: fsNs.PathOrFileDescriptor, d: string | NodeJS.ArrayBufferView, o?: fsNs.WriteFileOptions) => {
    const name = typeof f === 'number' ? tmpOf.get(f) ?? '' : String(f);
    // Half the data lands, then the disk is full: the temporary file exists when the error comes.
    if (/\.(summary\.csv|report\.sparsity\.json)\.\d+\.\d+\.tmp$/.test(path.basename(name)) || /\.psi\.csv\./.test(name)) {
      realWrite(f, typeof d === 'string' ? d.slice(0, 10) : Buffer.alloc(10), o);
      throw errno('ENOSPC', 'write');
    }
    return realWrite(f, d, o);
  });
  let r: Run;
  try {
    r = await cli(['analyze', data, '--model', model, '--out', out, ...FAST.filter((x) => x !== '--no-html')]);
  } finally {
    mo.mock.restore();
    mw.mock.restore();
  }
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /\(ENOSPC\)\. The disk holding .*out.* is full\. Free some space.*continue the run with: sparsity-lens analyze --resume /);
  noStack(r);
  const runDir = /--resume (\S+)/.exec(r.err)![1];
  const left = fs.readdirSync(runDir, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(left, [], 'temporary files removed');
  assert.ok(!fs.existsSync(path.join(runDir, 'report.sparsity.json')));
  const resumed = await cli(['analyze', '--resume', runDir, '--json', '--quiet', '--no-html']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.report!.dataset.imagesUsed, 12);
  assert.ok(fs.existsSync(path.join(runDir, 'report.sparsity.json')));
});

// ---- Resume.

/** A run killed after its second batch (checkpoint after every batch), for --resume. */
async function killedRun(data: string, out: string, settings: Record<string, unknown> = {}): Promise<string> {
  let batches = 0;
  await assert.rejects(
    analyze(
      { datasetPath: data, modelPath: model, outputRoot: out, settings: { batchSize: 2, accuracy: 'none', controls: { permutations: 0, noNonlinearity: false }, ...settings }, html: false, checkpointSeconds: 0 },
      { onProgress: (e) => { if (e.phase === 'run' && ++batches === 3) throw new Error('simulated kill'); } },
    ),
    /simulated kill/,
  );
  return path.join(out, fs.readdirSync(out)[0]);
}

test('resume: flags that conflict with the checkpoint are refused, each named with the run\'s value', async () => {
  const { data, out } = await dataset();
  const run = await killedRun(data, out);
  const other = buildClosedFormOnnx(path.join(path.dirname(out), 'other.onnx'));
  const r = await cli(['analyze', '--resume', run, '--model', other, '--controls', 'permuted', '-n', '3', '--json']);
  assert.equal(r.code, 2);
  assert.match(r.err, /these flags conflict with it: .*--model .*other\.onnx \(the run's model: .*tiny\.onnx\)/);
  assert.match(r.err, /--controls permuted \(the run's controls\.permutations: 0\)/);
  assert.match(r.err, /--images-per-category 3 \(the run's imagesPerCategory: all\)/);
  noStack(r);
  const folder = await cli(['analyze', path.join(root, 'elsewhere'), '--resume', run]);
  assert.equal(folder.code, 2);
  assert.match(folder.err, /<folder> .*elsewhere \(the run's dataset: /);
  assert.ok(!fs.existsSync(path.join(run, 'report.sparsity.json')), 'nothing run');
});

test('resume: the original command line plus --resume is accepted and finishes to the unbroken result', async () => {
  const { data, out } = await dataset();
  const full = await cli(['analyze', data, '--model', model, '--out', path.join(path.dirname(out), 'full'), '--controls', 'none', '--accuracy', 'none', '--batch-size', '2', '--no-html', '--json', '--quiet']);
  const run = await killedRun(data, out);
  const r = await cli(['analyze', data, '--model', model, '--out', out, '--controls', 'none', '--accuracy', 'none', '--batch-size', '2', '--resume', run, '--no-html', '--json', '--quiet', '--python', 'python3']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Note: --python is not used by --resume/);
  assert.deepEqual(r.report!.passes[0].layers.map((l) => l.psi), full.report!.passes[0].layers.map((l) => l.psi));
});

test('resume: images changed, removed or added since the kill → refused, naming the files; --restart-changed recomputes to a fresh run\'s result', async () => {
  const { data, out } = await dataset();
  const run = await killedRun(data, out);
  // cat_a was done before the kill; change it and cat_c (not reached yet).
  await goodPng([10, 10, 250])(path.join(data, 'cat_a', 'img1.png'));
  fs.utimesSync(path.join(data, 'cat_a', 'img1.png'), new Date(2000, 1, 1), new Date(2000, 1, 1));
  fs.rmSync(path.join(data, 'cat_c', 'img2.png'));
  await goodPng([5, 5, 5])(path.join(data, 'cat_c', 'new.png'));
  const r = await cli(['analyze', '--resume', run, '--json', '--quiet']);
  assert.equal(r.code, 2);
  assert.match(r.err, /images changed since the run started.*cat_a: changed cat_a\/img1\.png \| cat_c: removed cat_c\/img2\.png; added cat_c\/new\.png.*--restart-changed/);
  noStack(r);
  const again = await cli(['analyze', '--resume', run, '--restart-changed', '--json', '--quiet', '--no-html']);
  assert.equal(again.code, 0, again.err);
  const fresh = await analyzeJson(data, path.join(path.dirname(out), 'fresh'), ['--batch-size', '2']);
  assert.deepEqual(again.report!.passes[0].layers.map((l) => l.psi), fresh.report!.passes[0].layers.map((l) => l.psi));
  assert.deepEqual(again.report!.categories, fresh.report!.categories);
});

test('resume: a category added since the kill is refused even with --restart-changed', async () => {
  const { data, out } = await dataset();
  const run = await killedRun(data, out);
  fs.mkdirSync(path.join(data, 'cat_z'));
  await goodPng([1, 1, 1])(path.join(data, 'cat_z', 'a.png'));
  const r = await cli(['analyze', '--resume', run, '--restart-changed']);
  assert.equal(r.code, 2);
  assert.match(r.err, /categories changed since the run started \(new categories: cat_z\).*start a new run/);
});

test('resume: a finished run and a folder that is not a run are clear errors', async () => {
  const { data, out } = await dataset();
  const r0 = await analyzeJson(data, out);
  const done = path.dirname(r0.report!.files.summaryCsv === 'summary.csv' ? path.join(out, fs.readdirSync(out)[0], 'x') : out);
  const a = await cli(['analyze', '--resume', done]);
  assert.equal(a.code, 2);
  assert.match(a.err, /already complete/);
  const b = await cli(['analyze', '--resume', data]);
  assert.equal(b.code, 2);
  assert.match(b.err, /No readable run state in/);
  noStack(a);
  noStack(b);
});

// ---- The real binary, once: exit code and stderr as a shell sees them.

test('binary: a read-only-style failure and a bad image through the spawned CLI', async () => {
  const { data, out } = await dataset({ 'cat_a/cut.jpg': fs.readFileSync(path.join(FIX, 'truncated.jpg')) });
  const file = path.join(path.dirname(out), 'afile');
  fs.writeFileSync(file, '');
  const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'analyze', data, '--model', model, '--out', file, ...FAST], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /EEXIST/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const ok = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'analyze', data, '--model', model, '--out', out, ...FAST.filter((x) => x !== '--quiet')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /Skipped 1 file\(s\), listed in the report/);
  assert.equal(JSON.parse(ok.stdout).skipped[0].kind, 'truncated');
});
