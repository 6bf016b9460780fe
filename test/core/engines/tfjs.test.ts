/**
 * TF.js engine: tiny LayersModels built here with known weights (saved to a temp dir with
 * the file-writing IOHandler) and hand-written GraphModels (test/fixtures/tfjs/graph-*,
 * made by make-graph-models.ts). Weights and inputs are small dyadic rationals, so
 * float32 results are exact and compared with deepEqual.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTf, findWasmDir, Tf } from '../../../src/core/tfBackend';
import { openTfjsEngine } from '../../../src/core/engines/tfjs';
import { fileSaveHandler, readModelJson, detectModelKind } from '../../../src/core/engines/tfjsIo';
import { Engine, ModelSession, ModelVariant, SessionOptions, UserError } from '../../../src/core/types';
import { graphWeights, GRAPH_SHAPES } from '../../fixtures/tfjs/make-graph-models';

const FIX = path.join(__dirname, '..', '..', 'fixtures', 'tfjs');
let tf: Tf;
let tmp: string;

function hashDir(dir: string): string {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

async function save(model: import('@tensorflow/tfjs').LayersModel, name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await model.save(fileSaveHandler(tf.io, dir));
  model.dispose();
  return path.join(dir, 'model.json');
}

function opts(taps: string[], variant: ModelVariant = { kind: 'trained' }, extra: Partial<SessionOptions> = {}): SessionOptions {
  return { taps, variant, unitMode: 'channel', includeLogits: false, ...extra };
}

async function runOnce(engine: Engine, o: SessionOptions, input: Float32Array, batch: number) {
  const s = await engine.createSession(o);
  try {
    return { out: await s.run(input, batch), tapUnits: s.tapUnits, numClasses: s.numClasses };
  } finally {
    await s.dispose();
  }
}

const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y);
const relu = (x: number): number => (x > 0 ? x : 0);

// --- Model A: input [2,2,3] → conv1 (1x1, 4 ch, relu) → flatten → fc1 (3, relu) → out (2) ---
const A_K = [
  [0.5, -0.25, 1, 0.125],
  [0.25, 0.75, -0.5, 0.5],
  [-0.125, 0.5, 0.25, 1],
]; // [cin][cout]
const A_B = [0.125, -0.5, 0.25, 0];
const A_FC = Array.from({ length: 16 * 3 }, (_, i) => (((i * 7) % 9) - 4) / 8); // [16][3]
const A_FCB = [0.25, -0.125, 0.5];
const A_OUT = [0.5, -0.5, 0.25, 1, -0.75, 0.125];

function buildA(): import('@tensorflow/tfjs').LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ name: 'c1', inputShape: [2, 2, 3], filters: 4, kernelSize: 1, activation: 'relu' }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ name: 'd1', units: 3, activation: 'relu' }));
  m.add(tf.layers.dense({ name: 'out', units: 2 }));
  m.layers[0].setWeights([tf.tensor4d(A_K.flat(), [1, 1, 3, 4]), tf.tensor1d(A_B)]);
  m.layers[2].setWeights([tf.tensor2d(A_FC, [16, 3]), tf.tensor1d(A_FCB)]);
  m.layers[3].setWeights([tf.tensor2d(A_OUT, [3, 2]), tf.tensor1d([0, 0.5])]);
  return m;
}

/** Reference forward pass of model A on NHWC images; pre = without ReLU. */
function forwardA(img: Float32Array, pre = false) {
  const act = pre ? (x: number) => x : relu;
  const conv = new Float32Array(2 * 2 * 4); // NHWC
  for (let p = 0; p < 4; p++) for (let o = 0; o < 4; o++) {
    let s = A_B[o];
    for (let c = 0; c < 3; c++) s += img[p * 3 + c] * A_K[c][o];
    conv[p * 4 + o] = act(s);
  }
  const fc = new Float32Array(3);
  for (let o = 0; o < 3; o++) {
    let s = A_FCB[o];
    for (let i = 0; i < 16; i++) s += conv[i] * A_FC[i * 3 + o];
    fc[o] = act(s);
  }
  const mean = new Float32Array(4);
  for (let o = 0; o < 4; o++) mean[o] = (conv[o] + conv[4 + o] + conv[8 + o] + conv[12 + o]) / 4;
  // channel-major (C,H,W)
  const chw = new Float32Array(16);
  for (let o = 0; o < 4; o++) for (let p = 0; p < 4; p++) chw[o * 4 + p] = conv[p * 4 + o];
  return { mean, fc, chw };
}

const IMGS_A = Float32Array.from({ length: 2 * 12 }, (_, i) => (((i * 5) % 11) - 5) / 4);

before(async () => {
  tf = (await loadTf()).tf;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tfjs-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('tfBackend', () => {
  it('picks wasm here (tfjs-node is not installed), cached, version string', async () => {
    const a = await loadTf();
    const b = await loadTf();
    assert.equal(a, b);
    assert.equal(a.backend, 'wasm');
    assert.equal(a.tf.getBackend(), 'wasm');
    assert.match(a.runtime, /^tfjs \d+\.\d+\.\d+ \(wasm\)$/);
    assert.ok(a.notes.some((n) => n.includes('@tensorflow/tfjs-node')));
  });
  it('finds the wasm binaries in node_modules and in a dist-like folder holding copies', () => {
    const dir = findWasmDir();
    assert.ok(dir && fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')));
    const dist = path.join(tmp, 'fake-dist');
    fs.mkdirSync(dist, { recursive: true });
    fs.copyFileSync(path.join(dir!, 'tfjs-backend-wasm.wasm'), path.join(dist, 'tfjs-backend-wasm.wasm'));
    assert.equal(findWasmDir([dist]), dist + path.sep);
  });
});

describe('tfBackend: forced cpu (child process)', () => {
  it('SPARSITY_LENS_TF_BACKEND=cpu gives the pure-JS backend, silently', async () => {
    const { spawnSync } = await import('child_process');
    const root = path.join(__dirname, '..', '..', '..');
    const code =
      "require('./src/core/tfBackend').loadTf().then(async (r) => { const t = r.tf.tensor([1, 2]).add(1); " +
      "console.log(JSON.stringify({ runtime: r.runtime, backend: r.tf.getBackend(), v: Array.from(await t.data()) })); });";
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: root,
      env: { ...process.env, SPARSITY_LENS_TF_BACKEND: 'cpu' },
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out, { runtime: out.runtime, backend: 'cpu', v: [2, 3] });
    assert.match(out.runtime, /^tfjs \d+\.\d+\.\d+ \(cpu\)$/);
    assert.doesNotMatch(res.stdout + res.stderr, /looks like you are running/);
  });
});

describe('tfjs engine: LayersModel', () => {
  let modelA: string;
  let hashA: string;
  before(async () => {
    modelA = await save(buildA(), 'a');
    hashA = hashDir(path.dirname(modelA));
  });

  it('detects the format, lists every layer, taps conv/dense ReLUs with study names', async () => {
    assert.equal(detectModelKind(readModelJson(modelA)), 'layers');
    const e = await openTfjsEngine(modelA);
    assert.equal(e.format, 'tfjs-layers');
    assert.equal(e.layout, 'NHWC');
    assert.deepEqual(e.inputSize, { width: 2, height: 2 });
    assert.match(e.backend, /^tfjs .* \(wasm\)$/);
    assert.deepEqual(e.defaultTaps(), ['conv1', 'fc1']);
    const layers = e.layers();
    assert.deepEqual(
      layers.map((l) => [l.name, l.id, l.op, l.kind, l.shape, l.defaultTap]),
      [
        ['conv1', 'c1', 'Conv2D', 'conv', [2, 2, 4], true],
        ['flat', 'flat', 'Flatten', 'other', [16], false],
        ['fc1', 'd1', 'Dense', 'fc', [3], true],
        ['out', 'out', 'Dense', 'fc', [2], false],
      ],
    );
    await e.dispose();
  });

  it('returns exact channel means, fc units and logits', async () => {
    const e = await openTfjsEngine(modelA);
    const { out, tapUnits, numClasses } = await runOnce(e, opts(['conv1', 'fc1'], { kind: 'trained' }, { includeLogits: true }), IMGS_A, 2);
    assert.deepEqual(tapUnits, [4, 3]);
    assert.equal(numClasses, 2);
    const r0 = forwardA(IMGS_A.subarray(0, 12));
    const r1 = forwardA(IMGS_A.subarray(12));
    assert.deepEqual(Array.from(out.taps[0]), [...r0.mean, ...r1.mean]);
    assert.deepEqual(Array.from(out.taps[1]), [...r0.fc, ...r1.fc]);
    const logit = (fc: Float32Array, j: number) => Math.fround(fc[0] * A_OUT[j] + fc[1] * A_OUT[2 + j] + fc[2] * A_OUT[4 + j] + [0, 0.5][j]);
    assert.deepEqual(Array.from(out.logits!), [logit(r0.fc, 0), logit(r0.fc, 1), logit(r1.fc, 0), logit(r1.fc, 1)]);
    // A constant image gives a 1x1 conv's value at every position: the mean equals it.
    const constant = new Float32Array(12).map((_, i) => [0.5, -1, 2][i % 3]);
    const c = await runOnce(e, opts(['conv1']), constant, 1);
    const want = A_B.map((b, o) => relu(b + 0.5 * A_K[0][o] - A_K[1][o] + 2 * A_K[2][o]));
    assert.deepEqual(Array.from(c.out.taps[0]), want);
    await e.dispose();
  });

  it('channel-position mode flattens channel-major (C,H,W)', async () => {
    const e = await openTfjsEngine(modelA);
    const { out, tapUnits } = await runOnce(e, opts(['conv1', 'fc1'], { kind: 'trained' }, { unitMode: 'channel-position' }), IMGS_A, 2);
    assert.deepEqual(tapUnits, [16, 3]);
    assert.deepEqual(Array.from(out.taps[0]), [...forwardA(IMGS_A.subarray(0, 12)).chw, ...forwardA(IMGS_A.subarray(12)).chw]);
    await e.dispose();
  });

  it('no-ReLU variant returns the pre-activation values; trained model unaffected', async () => {
    const e = await openTfjsEngine(modelA);
    const nr = await runOnce(e, opts(['conv1', 'fc1'], { kind: 'norelu' }), IMGS_A, 2);
    const p0 = forwardA(IMGS_A.subarray(0, 12), true);
    const p1 = forwardA(IMGS_A.subarray(12), true);
    assert.deepEqual(Array.from(nr.out.taps[0]), [...p0.mean, ...p1.mean]);
    assert.deepEqual(Array.from(nr.out.taps[1]), [...p0.fc, ...p1.fc]);
    assert.ok(Array.from(nr.out.taps[1]).some((v) => v < 0), 'fixture must have negative pre-activations');
    const tr = await runOnce(e, opts(['fc1']), IMGS_A, 2);
    assert.ok(Array.from(tr.out.taps[0]).every((v) => v >= 0));
    await e.dispose();
  });

  it('separate ReLU / Activation(relu) layers after conv, batchnorm and dense are taps; non-chain uses layer names', async () => {
    const input = tf.input({ shape: [3, 3, 2] });
    const c = tf.layers.conv2d({ name: 'convA', filters: 2, kernelSize: 1 }).apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
    const r = tf.layers.reLU({ name: 'reluA' }).apply(c) as import('@tensorflow/tfjs').SymbolicTensor;
    const c2 = tf.layers.conv2d({ name: 'convB', filters: 2, kernelSize: 1 }).apply(r) as import('@tensorflow/tfjs').SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bnB' }).apply(c2) as import('@tensorflow/tfjs').SymbolicTensor;
    const r2 = tf.layers.activation({ name: 'actB', activation: 'relu' }).apply(bn) as import('@tensorflow/tfjs').SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([r, r2]) as import('@tensorflow/tfjs').SymbolicTensor;
    const r3 = tf.layers.reLU({ name: 'reluAfterAdd' }).apply(sum) as import('@tensorflow/tfjs').SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(r3) as import('@tensorflow/tfjs').SymbolicTensor;
    const d = tf.layers.dense({ name: 'dense1', units: 3 }).apply(g) as import('@tensorflow/tfjs').SymbolicTensor;
    const rd = tf.layers.activation({ name: 'actD', activation: 'relu6' }).apply(d) as import('@tensorflow/tfjs').SymbolicTensor;
    const out = tf.layers.dense({ name: 'logits', units: 2, activation: 'softmax' }).apply(rd) as import('@tensorflow/tfjs').SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const file = await save(m, 'branchy');
    const e = await openTfjsEngine(file);
    // The study's taps by mode; the default on a non-chain is `blocks` (issue 10): the stem ReLU,
    // the Add boundary, the last activation before global pooling.
    assert.deepEqual(e.defaultTaps('study'), ['reluA', 'actB', 'actD']);
    assert.deepEqual(e.defaultTaps(), ['reluA', 'sum', 'reluAfterAdd']);
    const info = Object.fromEntries(e.layers().map((l) => [l.name, l]));
    assert.equal(info.reluA.kind, 'conv');
    assert.equal(info.actB.kind, 'conv');
    assert.equal(info.actD.kind, 'fc');
    assert.equal(info.actD.op, 'Activation(relu6)');
    assert.ok(!e.defaultTaps('study').includes('reluAfterAdd'), 'a ReLU after a residual Add of two ReLUs is not a study tap');
    assert.equal(info.convA.defaultTap, false);
    // no-ReLU: the ReLU layer output equals the conv output
    const img = Float32Array.from({ length: 18 * 2 }, (_, i) => ((i % 7) - 3) / 2);
    const s = await runOnce(e, opts(['convA', 'reluA'], { kind: 'norelu' }, { unitMode: 'channel-position' }), img, 2);
    assert.deepEqual(Array.from(s.out.taps[1]), Array.from(s.out.taps[0]));
    const t = await runOnce(e, opts(['convA', 'reluA'], { kind: 'trained' }, { unitMode: 'channel-position' }), img, 2);
    assert.deepEqual(Array.from(t.out.taps[1]), Array.from(t.out.taps[0]).map(relu));
    assert.ok(Array.from(t.out.taps[0]).some((v) => v < 0));
    await e.dispose();
  });

  it('unknown layer names are a UserError naming the known layers', async () => {
    const e = await openTfjsEngine(modelA);
    await assert.rejects(e.createSession(opts(['conv9'])), (err: unknown) => err instanceof UserError && /conv9/.test(err.message) && /fc1/.test(err.message));
    await e.dispose();
  });

  it('a broken model.json is a UserError', async () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"hello": 1}');
    await assert.rejects(openTfjsEngine(bad), UserError);
    await assert.rejects(openTfjsEngine(path.join(tmp, 'missing', 'model.json')), UserError);
  });

  it('model files on disk are unchanged after all variants', async () => {
    const e = await openTfjsEngine(modelA);
    for (const v of [{ kind: 'permuted', seed: 3, target: 'weights' }, { kind: 'permuted', seed: 3, target: 'biases' }, { kind: 'norelu' }] as ModelVariant[]) {
      await runOnce(e, opts(['conv1', 'fc1'], v), IMGS_A, 2);
    }
    await e.dispose();
    assert.equal(hashDir(path.dirname(modelA)), hashA);
  });
});

describe('tfjs engine: permuted weights (LayersModel)', () => {
  // Dense-only model on one-hot inputs: fc1's outputs reveal its kernel rows (+ bias);
  // all weights positive so the ReLU does not hide anything.
  const K = Array.from({ length: 4 * 6 }, (_, i) => (i + 1) / 8); // [4][6], all distinct
  const B = [0.5, 0.25, 1, 2, 0.125, 4];
  let file: string;
  let engine: Engine;
  const onehots = new Float32Array(5 * 4);
  for (let i = 0; i < 4; i++) onehots[i * 4 + i] = 1; // 5th row all zero → bias

  before(async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ name: 'fc_a', inputShape: [4], units: 6, activation: 'relu' }));
    m.add(tf.layers.dense({ name: 'fc_b', units: 2 }));
    m.layers[0].setWeights([tf.tensor2d(K, [4, 6]), tf.tensor1d(B)]);
    file = await save(m, 'dense');
    engine = await openTfjsEngine(file);
    assert.deepEqual(engine.defaultTaps(), ['fc1']);
  });
  after(async () => engine.dispose());

  async function kernelAndBias(variant: ModelVariant): Promise<{ kernel: number[]; bias: number[] }> {
    const { out } = await runOnce(engine, opts(['fc1'], variant), onehots, 5);
    const v = Array.from(out.taps[0]);
    const bias = v.slice(24, 30);
    const kernel = v.slice(0, 24).map((x, i) => x - bias[i % 6]);
    return { kernel, bias };
  }

  it('trained: recovers the kernel exactly', async () => {
    const { kernel, bias } = await kernelAndBias({ kind: 'trained' });
    assert.deepEqual(kernel, K);
    assert.deepEqual(bias, B);
  });

  it('weights: a multiset-equal shuffle of the kernel, biases kept, reproducible per seed', async () => {
    const a = await kernelAndBias({ kind: 'permuted', seed: 1, target: 'weights' });
    const a2 = await kernelAndBias({ kind: 'permuted', seed: 1, target: 'weights' });
    const b = await kernelAndBias({ kind: 'permuted', seed: 2, target: 'weights' });
    assert.deepEqual(a.bias, B);
    assert.deepEqual(sorted(a.kernel), sorted(K));
    assert.notDeepEqual(a.kernel, K);
    assert.deepEqual(a2.kernel, a.kernel);
    assert.notDeepEqual(b.kernel, a.kernel);
    assert.deepEqual(sorted(b.kernel), sorted(K));
    // Fisher–Yates with SeededRandom(seed) over the flattened kernel, first tensor first.
    const { SeededRandom } = await import('../../../src/core/random');
    assert.deepEqual(a.kernel, new SeededRandom(1).shuffle(Float32Array.from(K)).reduce<number[]>((acc, x) => [...acc, x], []));
    // the trained model is not affected by an earlier permuted session
    assert.deepEqual((await kernelAndBias({ kind: 'trained' })).kernel, K);
  });

  it('biases: shuffles the biases, kernel kept', async () => {
    const a = await kernelAndBias({ kind: 'permuted', seed: 5, target: 'biases' });
    assert.deepEqual(a.kernel, K);
    assert.deepEqual(sorted(a.bias), sorted(B));
    assert.notDeepEqual(a.bias, B);
  });

  it('concurrent sessions of different variants do not interfere', async () => {
    const s1 = await engine.createSession(opts(['fc1'], { kind: 'permuted', seed: 9, target: 'weights' }));
    const s0 = await engine.createSession(opts(['fc1']));
    const r1 = await s1.run(onehots, 5);
    const r0 = await s0.run(onehots, 5);
    assert.deepEqual(Array.from(r0.taps[0]).slice(0, 24).map((x, i) => x - B[i % 6]), K);
    assert.notDeepEqual(Array.from(r1.taps[0]), Array.from(r0.taps[0]));
    await s1.dispose();
    await s0.dispose();
  });
});

describe('tfjs engine: memory', () => {
  it('tf memory does not grow across runs and returns to baseline after dispose', async () => {
    const file = await save(buildA(), 'mem');
    const e = await openTfjsEngine(file);
    const base = tf.memory().numTensors;
    for (const variant of [{ kind: 'trained' }, { kind: 'norelu' }, { kind: 'permuted', seed: 4, target: 'weights' }] as ModelVariant[]) {
      for (const unitMode of ['channel', 'channel-position'] as const) {
        const s: ModelSession = await e.createSession(opts(['conv1', 'fc1'], variant, { unitMode, includeLogits: true }));
        await s.run(IMGS_A, 2);
        const afterFirst = tf.memory().numTensors;
        const bytes = tf.memory().numBytes;
        for (let i = 0; i < 5; i++) await s.run(IMGS_A, 2);
        assert.equal(tf.memory().numTensors, afterFirst, `${variant.kind}/${unitMode}: tensors grew`);
        assert.equal(tf.memory().numBytes, bytes);
        await s.dispose();
        assert.equal(tf.memory().numTensors, base, `${variant.kind}/${unitMode}: session left tensors`);
      }
    }
    await e.dispose();
  });
});

// ------------------------------------------------------------------ GraphModel

/** Reference forward pass of the fixture graph on one 4x4x3 NHWC image. */
function forwardGraph(img: Float32Array, pre = false) {
  const w = graphWeights();
  const act = pre ? (x: number) => x : relu;
  const [H, W, C] = GRAPH_SHAPES.input;
  const O = 4;
  const conv = new Float32Array(H * W * O);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let o = 0; o < O; o++) {
    let s = 0;
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const yy = y + ky - 1;
      const xx = x + kx - 1;
      if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
      for (let c = 0; c < C; c++) s += img[(yy * W + xx) * C + c] * w.convKernel[((ky * 3 + kx) * C + c) * O + o];
    }
    conv[(y * W + x) * O + o] = act(s + w.convBias[o]);
  }
  const fc = new Float32Array(5);
  for (let o = 0; o < 5; o++) {
    let s = w.fc1Bias[o];
    for (let i = 0; i < 64; i++) s += conv[i] * w.fc1Kernel[i * 5 + o];
    fc[o] = act(s);
  }
  const mean = new Float32Array(O);
  for (let o = 0; o < O; o++) {
    let s = 0;
    for (let p = 0; p < H * W; p++) s += conv[p * O + o];
    mean[o] = s / (H * W);
  }
  const chw = new Float32Array(64);
  for (let o = 0; o < O; o++) for (let p = 0; p < 16; p++) chw[o * 16 + p] = conv[p * O + o];
  const logits = [0, 1].map((j) => {
    let s = w.fc2Bias[j];
    for (let i = 0; i < 5; i++) s += fc[i] * w.fc2Kernel[i * 2 + j];
    return s;
  });
  return { mean, fc, chw, logits };
}

const IMGS_G = Float32Array.from({ length: 3 * 48 }, (_, i) => (((i * 13) % 9) - 4) / 4);

for (const kind of ['plain', 'fused'] as const) {
  describe(`tfjs engine: GraphModel (${kind})`, () => {
    const file = path.join(FIX, `graph-${kind}`, 'model.json');
    let engine: Engine;
    let hash: string;
    before(async () => {
      hash = hashDir(path.dirname(file));
      engine = await openTfjsEngine(file);
    });
    after(async () => {
      await engine.dispose();
      assert.equal(hashDir(path.dirname(file)), hash, 'fixture files changed');
    });

    it('detects the format, taps Relu / fused-relu nodes with study names; logits not a tap', () => {
      assert.equal(detectModelKind(readModelJson(file)), 'graph');
      assert.equal(engine.format, 'tfjs-graph');
      assert.deepEqual(engine.inputSize, { width: 4, height: 4 });
      assert.deepEqual(engine.defaultTaps(), ['conv1', 'fc1']);
      const info = Object.fromEntries(engine.layers().map((l) => [l.name, l]));
      assert.equal(info.conv1.id, 'conv1/Relu');
      assert.equal(info.conv1.op, kind === 'plain' ? 'Relu' : '_FusedConv2D');
      assert.equal(info.conv1.kind, 'conv');
      assert.deepEqual(info.conv1.shape, [4, 4, 4]);
      assert.equal(info.fc1.kind, 'fc');
      assert.deepEqual(info.fc1.shape, [5]);
      assert.equal(info.logits.defaultTap, false);
      assert.ok(engine.layers().every((l) => l.op !== 'Const' && l.op !== 'Placeholder'));
    });

    it('exact channel means, fc units, logits and channel-position values', async () => {
      const refs = [0, 1, 2].map((b) => forwardGraph(IMGS_G.subarray(b * 48, (b + 1) * 48)));
      const { out, tapUnits, numClasses } = await runOnce(engine, opts(['conv1', 'fc1'], { kind: 'trained' }, { includeLogits: true }), IMGS_G, 3);
      assert.deepEqual(tapUnits, [4, 5]);
      assert.equal(numClasses, 2);
      assert.deepEqual(Array.from(out.taps[0]), refs.flatMap((r) => Array.from(r.mean)));
      assert.deepEqual(Array.from(out.taps[1]), refs.flatMap((r) => Array.from(r.fc)));
      assert.deepEqual(Array.from(out.logits!), refs.flatMap((r) => r.logits.map(Math.fround)));
      const cp = await runOnce(engine, opts(['conv1'], { kind: 'trained' }, { unitMode: 'channel-position' }), IMGS_G, 3);
      assert.deepEqual(cp.tapUnits, [64]);
      assert.deepEqual(Array.from(cp.out.taps[0]), refs.flatMap((r) => Array.from(r.chw)));
    });

    it('no-ReLU: pre-activation values', async () => {
      const refs = [0, 1, 2].map((b) => forwardGraph(IMGS_G.subarray(b * 48, (b + 1) * 48), true));
      const { out } = await runOnce(engine, opts(['conv1', 'fc1'], { kind: 'norelu' }), IMGS_G, 3);
      assert.deepEqual(Array.from(out.taps[0]), refs.flatMap((r) => Array.from(r.mean)));
      assert.deepEqual(Array.from(out.taps[1]), refs.flatMap((r) => Array.from(r.fc)));
      assert.ok(Array.from(out.taps[1]).some((v) => v < 0));
    });

    it('permuted weights: conv kernel is a shuffle (same multiset), bias kept, per-seed reproducible', async () => {
      // One zero image: conv1 = relu(bias) everywhere, unaffected by the kernel permutation.
      const zero = new Float32Array(48);
      const w = graphWeights();
      const z = await runOnce(engine, opts(['conv1'], { kind: 'permuted', seed: 7, target: 'weights' }), zero, 1);
      assert.deepEqual(Array.from(z.out.taps[0]), Array.from(w.convBias).map(relu));
      // Same seed = same outputs; another seed or the trained model differ.
      const a = await runOnce(engine, opts(['conv1', 'fc1'], { kind: 'permuted', seed: 7, target: 'weights' }), IMGS_G, 3);
      const a2 = await runOnce(engine, opts(['conv1', 'fc1'], { kind: 'permuted', seed: 7, target: 'weights' }), IMGS_G, 3);
      const b = await runOnce(engine, opts(['conv1', 'fc1'], { kind: 'permuted', seed: 8, target: 'weights' }), IMGS_G, 3);
      const t = await runOnce(engine, opts(['conv1', 'fc1']), IMGS_G, 3);
      assert.deepEqual(a.out.taps.map((x) => Array.from(x)), a2.out.taps.map((x) => Array.from(x)));
      assert.notDeepEqual(Array.from(a.out.taps[0]), Array.from(t.out.taps[0]));
      assert.notDeepEqual(Array.from(a.out.taps[0]), Array.from(b.out.taps[0]));
    });

    it('permuted weights: the 1x1 view of the kernel is a multiset-equal shuffle', async () => {
      // Read the kernel through the (non-default) conv node: a one-hot image at pixel (1,1),
      // channel c, gives K[ky,kx,c,:] at output position (2-ky, 2-kx).
      if (kind !== 'plain') return; // the fused graph has no pre-bias conv node to read (covered by the plain graph)
      const w = graphWeights();
      const K = 3 * 3 * 3 * 4;
      const recovered = async (variant: ModelVariant): Promise<number[]> => {
        const imgs = new Float32Array(3 * 48);
        for (let c = 0; c < 3; c++) imgs[c * 48 + (1 * 4 + 1) * 3 + c] = 1; // pixel (1,1), channel c
        const { out } = await runOnce(engine, opts(['conv1/Conv2D'], variant, { unitMode: 'channel-position' }), imgs, 3);
        const v = out.taps[0]; // [3][O=4][H=4][W=4]
        const k = new Array<number>(K);
        for (let c = 0; c < 3; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let o = 0; o < 4; o++) {
          // output (y,x) sees input (y+ky-1, x+kx-1) = (1,1) → y = 2-ky, x = 2-kx
          k[((ky * 3 + kx) * 3 + c) * 4 + o] = v[c * 64 + o * 16 + (2 - ky) * 4 + (2 - kx)];
        }
        return k;
      };
      assert.deepEqual(await recovered({ kind: 'trained' }), Array.from(w.convKernel));
      const p = await recovered({ kind: 'permuted', seed: 7, target: 'weights' });
      assert.deepEqual(sorted(p), sorted(w.convKernel));
      assert.notDeepEqual(p, Array.from(w.convKernel));
      const { SeededRandom } = await import('../../../src/core/random');
      assert.deepEqual(p, Array.from(new SeededRandom(7).shuffle(Float32Array.from(w.convKernel))));
      const pb = await recovered({ kind: 'permuted', seed: 7, target: 'biases' });
      assert.deepEqual(pb, Array.from(w.convKernel), 'bias permutation keeps kernels');
    });

    it('permuted biases: a zero image shows a shuffled conv bias', async () => {
      const w = graphWeights();
      const zero = new Float32Array(48);
      const { out } = await runOnce(engine, opts(['conv1'], { kind: 'permuted', seed: 3, target: 'biases' }), zero, 1);
      const want = Array.from(w.convBias).map(relu);
      assert.deepEqual(sorted(out.taps[0]), sorted(want));
    });

    it('no memory growth across runs', async () => {
      const base = tf.memory().numTensors;
      const s = await engine.createSession(opts(['conv1', 'fc1'], { kind: 'trained' }, { includeLogits: true, unitMode: 'channel-position' }));
      await s.run(IMGS_G, 3);
      const n = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await s.run(IMGS_G, 3);
      assert.equal(tf.memory().numTensors, n);
      await s.dispose();
      assert.equal(tf.memory().numTensors, base);
    });
  });
}

// ------------------------------------------------------------------ demo stimuli and model

describe('demo stimuli (scripts/demo-stimuli.ts)', () => {
  it('writes category folders of PNGs, byte-identical per seed, different across seeds', async () => {
    const { generateStimuli, STIMULUS_CATEGORIES, renderStimulus, stimulusRng } = await import('../../../scripts/demo-stimuli');
    const sharp = (await import('sharp')).default;
    const a = await generateStimuli(path.join(tmp, 'stim-a'), { categories: 3, perCategory: 2, size: 32, seed: 5 });
    const b = await generateStimuli(path.join(tmp, 'stim-b'), { categories: 3, perCategory: 2, size: 32, seed: 5 });
    const c = await generateStimuli(path.join(tmp, 'stim-c'), { categories: ['star', 'ring'], perCategory: 2, size: 32, seed: 6 });
    assert.deepEqual(a.categories, STIMULUS_CATEGORIES.slice(0, 3));
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'stim-a')).sort(), [...STIMULUS_CATEGORIES.slice(0, 3)].sort());
    assert.deepEqual(c.categories, ['star', 'ring']);
    for (const cat of a.categories) {
      assert.equal(a.files[cat].length, 2);
      a.files[cat].forEach((f, i) => assert.ok(fs.readFileSync(f).equals(fs.readFileSync(b.files[cat][i])), `${f} differs for the same seed`));
    }
    const meta = await sharp(a.files.circle[0]).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 32);
    assert.equal(meta.height, 32);
    // other seed → other image; decoded PNG equals renderStimulus's pixels
    const starA = await generateStimuli(path.join(tmp, 'stim-d'), { categories: ['star'], perCategory: 1, size: 32, seed: 5 });
    assert.ok(!fs.readFileSync(starA.files.star[0]).equals(fs.readFileSync(c.files.star[0])));
    const raw = await sharp(a.files.square[1]).removeAlpha().raw().toBuffer();
    const px = await renderStimulus('square', stimulusRng(5, STIMULUS_CATEGORIES.indexOf('square'), 1), 32, '1');
    assert.ok(Buffer.from(px).equals(raw));
    await assert.rejects(generateStimuli(path.join(tmp, 'stim-e'), { categories: ['dragon'] }), /unknown stimulus category/);
  });
});

describe('demo model (media/demo-model)', () => {
  const dir = path.join(__dirname, '..', '..', '..', 'media', 'demo-model');
  const file = path.join(dir, 'model.json');

  it('is a small LayersModel with the study chain conv1..conv4, fc1, fc2 and a valid sidecar', async () => {
    const { STIMULUS_CATEGORIES } = await import('../../../scripts/demo-stimuli');
    const total = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    assert.ok(total < 2 * 1024 * 1024, `media/demo-model is ${total} bytes`);
    const e = await openTfjsEngine(file);
    assert.equal(e.format, 'tfjs-layers');
    assert.deepEqual(e.inputSize, { width: 64, height: 64 });
    assert.deepEqual(e.defaultTaps(), ['conv1', 'conv2', 'conv3', 'conv4', 'fc1', 'fc2']);
    await e.dispose();
    const sidecar = JSON.parse(fs.readFileSync(path.join(dir, 'model.sparsity.json'), 'utf8'));
    assert.deepEqual(sidecar.preprocessing, {
      width: 64, height: 64, resize: 'stretch', shorterSide: 64, channelOrder: 'RGB', scale: 1 / 255,
      mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
    });
    assert.deepEqual(sidecar.labels, [...STIMULUS_CATEGORIES]);
  });

  it('classifies new demo stimuli well above chance', async () => {
    const { generateStimuli, STIMULUS_CATEGORIES } = await import('../../../scripts/demo-stimuli');
    const sharp = (await import('sharp')).default;
    const per = 6;
    const set = await generateStimuli(path.join(tmp, 'demo-check'), { perCategory: per, size: 64, seed: 4242 });
    const e = await openTfjsEngine(file);
    const s = await e.createSession(opts(['fc2'], { kind: 'trained' }, { includeLogits: true }));
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    let correct = 0;
    let n = 0;
    for (const [ci, cat] of STIMULUS_CATEGORIES.entries()) {
      const input = new Float32Array(per * 64 * 64 * 3);
      for (let i = 0; i < per; i++) {
        const px = await sharp(set.files[cat][i]).removeAlpha().raw().toBuffer();
        for (let k = 0; k < px.length; k++) input[i * px.length + k] = (px[k] / 255 - mean[k % 3]) / std[k % 3];
      }
      const { logits } = await s.run(input, per);
      for (let i = 0; i < per; i++) {
        const row = Array.from(logits!.subarray(i * 10, i * 10 + 10));
        if (row.indexOf(Math.max(...row)) === ci) correct++;
        n++;
      }
    }
    await s.dispose();
    await e.dispose();
    assert.ok(correct / n > 0.4, `accuracy ${correct}/${n}`);
  });

  it('the ONNX export computes the same taps as the TF.js model (trained and no-ReLU)', async (t) => {
    const onnxFile = path.join(dir, 'model.onnx');
    assert.ok(fs.existsSync(onnxFile), 'media/demo-model/model.onnx missing: run scripts/train-demo-model.ts --export-onnx');
    const { openOnnxEngine } = await import('../../../src/core/engines/onnx');
    const te = await openTfjsEngine(file);
    const oe = await openOnnxEngine(onnxFile);
    t.after(async () => {
      await te.dispose();
      await oe.dispose();
    });
    assert.deepEqual(oe.defaultTaps(), te.defaultTaps());
    const B = 2;
    const S = 64;
    const nhwc = Float32Array.from({ length: B * S * S * 3 }, (_, i) => Math.sin(i * 0.37) * 2);
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < B; b++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) {
      nchw[((b * 3 + c) * S + y) * S + x] = nhwc[((b * S + y) * S + x) * 3 + c];
    }
    for (const variant of [{ kind: 'trained' }, { kind: 'norelu' }] as ModelVariant[]) {
      for (const unitMode of ['channel', 'channel-position'] as const) {
        const o = opts(te.defaultTaps(), variant, { unitMode, includeLogits: true });
        const a = await runOnce(te, o, nhwc, B);
        const b = await runOnce(oe, o, nchw, B);
        assert.deepEqual(a.tapUnits, b.tapUnits);
        const all = [...a.out.taps, a.out.logits!];
        const ball = [...b.out.taps, b.out.logits!];
        all.forEach((x, k) => {
          let d = 0;
          let m = 1e-6;
          x.forEach((v, i) => {
            d = Math.max(d, Math.abs(v - ball[k][i]));
            m = Math.max(m, Math.abs(v));
          });
          assert.ok(d / m < 1e-4, `${variant.kind}/${unitMode} output ${k}: max diff ${d} (scale ${m})`);
        });
      }
    }
  });
});
