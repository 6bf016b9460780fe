/**
 * ONNX engine (src/core/engines/onnx.ts): taps, naming, unit modes, lesion controls,
 * dynamic batch, errors, on models built with test/helpers/onnxBuilder.ts whose activations
 * are known in closed form. Real torchvision exports compared with PyTorch (live Python) are in
 * test/integration/onnxTorchvision.test.ts.
 *
 *   node --import tsx --test test/core/engines/onnx.test.ts
 *
 * SL_KEEP_TMP=1 keeps the temporary models for inspection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { openOnnxEngine, ONNXRUNTIME_VERSION } from '../../../src/core/engines/onnx';
import { analyseModel, buildSessionModel, num, tensorValues } from '../../../src/core/engines/onnxGraph';
import { SeededRandom } from '../../../src/core/random';
import { Engine, ModelVariant, SessionOptions, UserError } from '../../../src/core/types';
import { ALEXNET_SPEC, buildConvNet, OnnxBuilder } from '../../helpers/onnxBuilder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-onnx-'));
after(() => { if (!process.env.SL_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true }); });

const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const trained: ModelVariant = { kind: 'trained' };
/** The graph of a model, with its repeated fields typed as present (protobufjs always sets them). */
const G = (m: onnx.IModelProto): onnx.GraphProto => m.graph as onnx.GraphProto;

function session(e: Engine, taps: string[], extra: Partial<SessionOptions> = {}) {
  return e.createSession({ taps, variant: trained, unitMode: 'channel', includeLogits: false, threads: 1, ...extra });
}

async function rejectsUser(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected UserError, got ${(e as Error)?.stack}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(e.message.includes(part), `message lacks "${part}": ${e.message}`);
      else assert.match(e.message, part);
    }
    return e;
  }
  assert.fail('expected a UserError');
}

// ----------------------------------------------------------------- model A (closed form)
// input [1,2,4,4] -> Conv 1x1 (3 out) -> Relu -> GAP -> Flatten -> Gemm (2) -> Relu -> Gemm (2) = logits
// All values are dyadic rationals, so float32 results are exact.
const W1 = [[1, -1], [0.5, 0.25], [-2, 1]];
const B1 = [0.5, -1, 0.25];
const W2 = [[1, 0.5, -1], [-0.5, 1, 2]];
const B2 = [0.25, -0.5];
const W3 = [[1, 0], [0, -1]];
const relu = (v: number): number => Math.max(0, v);

function buildModelA(opset = 13, batch: number | string = 1): OnnxBuilder {
  const b = new OnnxBuilder({ opset });
  const x = b.input('image', [batch, 2, 4, 4]);
  const c = b.conv(x, { name: 'c1', weight: W1.flat(), dims: [3, 2, 1, 1], bias: B1 });
  const r = b.relu(c, 'r1');
  const f = b.flatten(b.gap(r, 'gap'), 1, 'flat');
  const g = b.gemm(f, { name: 'g1', weight: W2.flat(), dims: [2, 3], bias: B2, transB: true, storage: 'float' });
  const r2 = b.relu(g, 'r2');
  b.gemm(r2, { name: 'g2', weight: W3.flat(), dims: [2, 2], bias: [0, 0], transB: true, output: 'logits' });
  b.output('logits', [batch, 2]);
  return b;
}

/** Image with per-channel values x[c][p] (16 positions each), packed NCHW. */
function packImages(imgs: number[][][]): Float32Array {
  return Float32Array.from(imgs.flat(2));
}
const constImage = (v: number[]): number[][] => v.map((c) => new Array(16).fill(c));
const patternImage = (k: number): number[][] => [0, 1].map((c) => Array.from({ length: 16 }, (_, p) => (p - 7) / 4 + c / 2 - k));

/** Pre-activation conv output [3][16] of one image. */
const convPre = (img: number[][]): number[][] => W1.map((w, m) => img[0].map((_, p) => w[0] * img[0][p] + w[1] * img[1][p] + B1[m]));
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
function fcOf(conv: number[]): number[] {
  return W2.map((w, j) => w.reduce((s, wk, k) => s + wk * conv[k], B2[j]));
}

describe('ONNX engine: closed-form model', () => {
  let file: string;
  let hash: string;
  let e: Engine;
  before(async () => {
    file = buildModelA().save(path.join(tmp, 'a.onnx'));
    hash = sha(file);
    e = await openOnnxEngine(file, { threads: 1 });
  });
  after(async () => {
    await e.dispose();
    // Nothing above may have touched the file.
    assert.equal(sha(file), hash, 'model file changed on disk');
  });

  it('reports format, backend, layout, input size and layers', () => {
    assert.equal(e.format, 'onnx');
    assert.equal(e.backend, `onnxruntime-node ${ONNXRUNTIME_VERSION} (cpu)`);
    assert.equal(ONNXRUNTIME_VERSION, '1.30.0');
    assert.equal(e.layout, 'NCHW');
    assert.deepEqual(e.inputSize, { width: 4, height: 4 });
    assert.deepEqual(e.defaultTaps(), ['conv1', 'fc1']);
    const byName = Object.fromEntries(e.layers().map((l) => [l.name, l]));
    assert.deepEqual(byName.conv1, { name: 'conv1', id: 'r1_out', op: 'Relu', kind: 'conv', shape: [3, 4, 4], defaultTap: true });
    assert.deepEqual(byName.fc1, { name: 'fc1', id: 'r2_out', op: 'Relu', kind: 'fc', shape: [2], defaultTap: true });
    assert.deepEqual(byName.c1, { name: 'c1', id: 'c1_out', op: 'Conv', kind: 'conv', shape: [3, 4, 4], defaultTap: false });
    // Graph order; the logits are a layer but not a tap.
    assert.deepEqual(e.layers().map((l) => l.name), ['c1', 'conv1', 'gap', 'flat', 'g1', 'fc1', 'g2']);
    assert.equal(byName.g2.defaultTap, false);
  });

  it('reads per-channel means and fc units exactly, for a batch larger than the fixed 1', async () => {
    const imgs = [constImage([1, 0.5]), constImage([-0.5, 2]), constImage([0.25, -3])];
    const s = await session(e, ['fc1', 'conv1'], { includeLogits: true });
    assert.deepEqual(s.tapUnits, [2, 3]);
    assert.equal(s.numClasses, 2);
    const out = await s.run(packImages(imgs), 3);
    const conv = imgs.map((im) => convPre(im).map((ch) => relu(mean(ch))));
    const fc = conv.map((c) => fcOf(c).map(relu));
    const logits = fc.map((f) => [f[0], 0 - f[1]]);
    assert.deepEqual(Array.from(out.taps[1]), conv.flat());
    assert.deepEqual(Array.from(out.taps[0]), fc.flat());
    assert.deepEqual(Array.from(out.logits!), logits.flat());
    // Row i of a batch equals the same image alone.
    const one = await s.run(packImages([imgs[1]]), 1);
    assert.deepEqual(Array.from(one.taps[1]), conv[1]);
    await s.dispose();
  });

  it('channel mode averages non-constant maps; channel-position keeps every unit channel-major', async () => {
    const imgs = [patternImage(0), patternImage(1)];
    const post = imgs.map((im) => convPre(im).map((ch) => ch.map(relu)));
    const sc = await session(e, ['conv1']);
    const outC = await sc.run(packImages(imgs), 2);
    assert.deepEqual(Array.from(outC.taps[0]), post.map((m) => m.map(mean)).flat());
    await sc.dispose();
    const sp = await session(e, ['conv1', 'fc1', 'c1'], { unitMode: 'channel-position' });
    assert.deepEqual(sp.tapUnits, [48, 2, 48]);
    const outP = await sp.run(packImages(imgs), 2);
    assert.deepEqual(Array.from(outP.taps[0]), post.flat(2));
    assert.deepEqual(Array.from(outP.taps[2]), imgs.map(convPre).flat(2));
    const fc = post.map((m) => fcOf(m.map(mean)).map(relu));
    assert.deepEqual(Array.from(outP.taps[1]), fc.flat());
    await sp.dispose();
  });

  it('no-ReLU control: each tap equals the pre-activation of the same layer, read through Identity', async () => {
    const imgs = [patternImage(0), constImage([-0.5, 2])];
    const pre = await session(e, ['c1']);
    const preOut = await pre.run(packImages(imgs), 2);
    const nr = await session(e, ['conv1', 'fc1'], { variant: { kind: 'norelu' }, includeLogits: true });
    const out = await nr.run(packImages(imgs), 2);
    // First layer: exactly the original's pre-activation.
    assert.deepEqual(Array.from(out.taps[0]), Array.from(preOut.taps[0]));
    assert.ok(Array.from(out.taps[0]).some((v) => v < 0), 'no-ReLU values must include negatives');
    // Deeper: the linear network.
    const convMeans = imgs.map((im) => convPre(im).map(mean));
    assert.deepEqual(Array.from(out.taps[1]), convMeans.map(fcOf).flat());
    assert.deepEqual(Array.from(out.logits!), convMeans.map(fcOf).map((f) => [f[0], 0 - f[1]]).flat());
    await pre.dispose();
    await nr.dispose();
  });

  it('permuted control runs, differs from trained and is reproducible per seed', async () => {
    const imgs = [patternImage(0), patternImage(2)];
    const run = async (variant: ModelVariant) => {
      const s = await session(e, ['conv1', 'fc1'], { variant, includeLogits: true });
      const o = await s.run(packImages(imgs), 2);
      await s.dispose();
      return [...o.taps, o.logits!].map((a) => Array.from(a));
    };
    const t = await run(trained);
    const p1 = await run({ kind: 'permuted', seed: 3, target: 'weights' });
    const p1b = await run({ kind: 'permuted', seed: 3, target: 'weights' });
    const p2 = await run({ kind: 'permuted', seed: 4, target: 'weights' });
    assert.deepEqual(p1, p1b);
    assert.notDeepEqual(p1, t);
    assert.notDeepEqual(p1, p2);
    const pb = await run({ kind: 'permuted', seed: 3, target: 'biases' });
    assert.notDeepEqual(pb, t);
  });

  it('rejects an unknown tap with the list of layers', async () => {
    await rejectsUser(session(e, ['conv9']), 'conv9', file, 'conv1, fc1', 'c1');
  });

  it('accepts a tensor id as a tap name too', async () => {
    const s = await session(e, ['r1_out']);
    assert.deepEqual(s.tapUnits, [3]);
    await s.dispose();
  });
});

// ----------------------------------------------------------------- permutation, exactly

describe('ONNX engine: permuted weights', () => {
  /** Conv (raw_data) -> Relu -> GAP -> Flatten -> Gemm (float_data) -> Relu -> MatMul+Add -> Relu -> Gemm */
  function buildB(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', [1, 2, 5, 5]);
    const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i + 1) * k);
    let y = b.relu(b.conv(x, { name: 'conv', weight: seq(72, 0.01), dims: [4, 2, 3, 3], bias: seq(4, 0.1), pads: [1, 1, 1, 1] }));
    y = b.flatten(b.gap(y));
    y = b.relu(b.gemm(y, { name: 'dense', weight: seq(12, -0.05), dims: [3, 4], bias: seq(3, 0.2), transB: true, storage: 'float' }));
    y = b.relu(b.matmul(y, { name: 'mm', weight: seq(6, 0.3), dims: [3, 2], bias: [0.5, -0.5] }));
    b.gemm(y, { name: 'head', weight: seq(4, 1), dims: [2, 2], bias: [1, 2], transB: true, output: 'logits' });
    b.output('logits', [1, 2]);
    return b;
  }
  const model = buildB().build();
  const a = analyseModel(model);
  const inits = (bytes: Uint8Array) =>
    new Map(G(onnx.ModelProto.decode(bytes)).initializer.map((t) => [t.name, tensorValues(t)] as const));
  const orig = new Map(G(model).initializer.map((t) => [t.name, tensorValues(t)] as const));
  const taps = a.layers.filter((l) => l.defaultTap).map((l) => ({ id: l.id, shape: a.shapes.get(l.id) ?? null, kind: l.kind }));
  const build = (variant: ModelVariant) => buildSessionModel(a, taps, variant, 'channel', true);
  const sorted = (v: readonly number[]) => v.slice().sort((x, y) => x - y);
  const weights = ['conv.weight', 'dense.weight', 'mm.weight', 'head.weight'];
  const biases = ['conv.bias', 'dense.bias', 'mm.bias', 'head.bias'];

  it('finds conv1, fc1, fc2 (MatMul + Add counts as fc)', () => {
    assert.deepEqual(a.layers.filter((l) => l.defaultTap).map((l) => `${l.name}:${l.kind}`), ['conv1:conv', 'fc1:fc', 'fc2:fc']);
  });

  it('shuffles every weight tensor (raw_data and float_data) and keeps the biases', () => {
    const m = build({ kind: 'permuted', seed: 11, target: 'weights' });
    assert.deepEqual(m.permutedTensors, weights);
    const p = inits(m.bytes);
    for (const w of weights) {
      assert.deepEqual(sorted(p.get(w)!), sorted(orig.get(w)!), `${w}: same multiset`);
      assert.notDeepEqual(p.get(w), orig.get(w), `${w}: order changed`);
    }
    for (const bias of biases) assert.deepEqual(p.get(bias), orig.get(bias), `${bias} kept`);
    // The convention: one SeededRandom(seed), Fisher–Yates per tensor, tensors in graph order.
    const rng = new SeededRandom(11);
    for (const w of weights) {
      const expect = rng.shuffle(Float32Array.from(orig.get(w)!));
      assert.deepEqual(p.get(w), Array.from(expect), `${w}: SeededRandom(seed) Fisher–Yates`);
    }
  });

  it('is reproducible per seed and different across seeds', () => {
    const b1 = build({ kind: 'permuted', seed: 5, target: 'weights' }).bytes;
    const b2 = build({ kind: 'permuted', seed: 5, target: 'weights' }).bytes;
    const b3 = build({ kind: 'permuted', seed: 6, target: 'weights' }).bytes;
    assert.ok(Buffer.from(b1).equals(Buffer.from(b2)));
    assert.ok(!Buffer.from(b1).equals(Buffer.from(b3)));
  });

  it('the biases option shuffles biases and keeps weights', () => {
    const m = build({ kind: 'permuted', seed: 11, target: 'biases' });
    assert.deepEqual(m.permutedTensors, biases);
    const p = inits(m.bytes);
    for (const w of weights) assert.deepEqual(p.get(w), orig.get(w));
    for (const bias of ['conv.bias', 'dense.bias']) {
      assert.deepEqual(sorted(p.get(bias)!), sorted(orig.get(bias)!));
      assert.notDeepEqual(p.get(bias), orig.get(bias));
    }
  });

  it('never changes the loaded model (sessions share it)', () => {
    build({ kind: 'permuted', seed: 1, target: 'weights' });
    build({ kind: 'norelu' });
    const again = new Map(G(model).initializer.map((t) => [t.name, tensorValues(t)] as const));
    assert.deepEqual(again, orig);
    assert.deepEqual(G(model).node.map((n) => n.opType), G(buildB().build()).node.map((n) => n.opType));
  });

  it('no-ReLU replaces Relu by Identity with the same output names', () => {
    const m = onnx.ModelProto.decode(build({ kind: 'norelu' }).bytes);
    const ops = G(m).node.map((n) => n.opType);
    assert.ok(!ops.includes('Relu'));
    const reluOuts = G(model).node.filter((n) => n.opType === 'Relu').map((n) => (n.output ?? [])[0]);
    for (const o of reluOuts) assert.equal(G(m).node.find((n) => (n.output ?? [])[0] === o)?.opType, 'Identity');
  });

  it('shuffles a weight shared through Identity once, and Constant-node weights', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', [1, 1, 3, 3]);
    const w = b.initializer('w', [2, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const w2 = b.node('Identity', [w], {}, { name: 'wcopy' });
    const y1 = b.relu(b.node('Conv', [x, w], { kernel_shape: [2, 2] }, { name: 'ca' }));
    const y2 = b.relu(b.node('Conv', [x, w2], { kernel_shape: [2, 2] }, { name: 'cb' }));
    const k = b.constant([8, 3], Array.from({ length: 24 }, (_, i) => i), { name: 'kconst' });
    const f = b.relu(b.node('MatMul', [b.flatten(b.add(y1, y2)), k], {}, { name: 'mm' }));
    b.output(b.gemm(f, { weight: [1, 1, 1], dims: [1, 3], transB: true, name: 'head' }));
    const an = analyseModel(b.build());
    const m = buildSessionModel(an, [], { kind: 'permuted', seed: 2, target: 'weights' }, 'channel', true);
    assert.deepEqual(m.permutedTensors, ['w', 'kconst', 'head.weight']);
    const g = G(onnx.ModelProto.decode(m.bytes));
    const rng = new SeededRandom(2);
    assert.deepEqual(tensorValues(g.initializer.find((t) => t.name === 'w')!), Array.from(rng.shuffle(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]))));
    const kc = (g.node.find((n) => n.opType === 'Constant')!.attribute ?? [])[0].t!;
    assert.deepEqual(tensorValues(kc), Array.from(rng.shuffle(Float32Array.from({ length: 24 }, (_, i) => i))));
    // And the edited model runs.
    const file = b.save(path.join(tmp, 'shared.onnx'));
    const e = await openOnnxEngine(file);
    // Not a plain chain (Add of two branches): names come from nodes; the study's taps by mode
    // (the default here is `blocks`: stem ReLU, the Add, the last ReLU).
    assert.deepEqual(e.layers().filter((l) => l.defaultTap).map((l) => l.op), ['Relu', 'Add', 'Relu']);
    const study = new Set(e.defaultTaps('study'));
    const tapLayers = e.layers().filter((l) => study.has(l.name));
    assert.deepEqual(tapLayers.map((l) => [l.op, l.kind]), [['Relu', 'conv'], ['Relu', 'conv'], ['Relu', 'fc']]);
    assert.ok(tapLayers.every((l) => !/^(conv|fc)\d+$/.test(l.name)));
    const s = await session(e, e.defaultTaps('study'), { variant: { kind: 'permuted', seed: 2, target: 'weights' } });
    const out = await s.run(new Float32Array(9).fill(1), 1);
    assert.equal(out.taps.length, 3);
    await s.dispose();
    await e.dispose();
  });
});

// ----------------------------------------------------------------- taps and naming

describe('ONNX engine: default taps and names', () => {
  it('plain chain through BN, Clip (ReLU6), Identity, Dropout, Constant-shaped Reshape, MatMul', async () => {
    for (const opset of [10, 13, 18]) {
      const b = new OnnxBuilder({ opset });
      const x = b.input('input', [1, 3, 8, 8]);
      let y = b.conv(x, { name: 'convA', weight: new Array(4 * 3 * 9).fill(0.1), dims: [4, 3, 3, 3], bias: [0, 0, 0, 0], pads: [1, 1, 1, 1] });
      y = b.batchNorm(y, { scale: [1, 1, 1, 1], bias: [0, 0, 0, 0], mean: [0, 0, 0, 0], variance: [1, 1, 1, 1] });
      y = b.relu(y);
      y = b.maxPool(y, 2);
      y = b.identity(y);
      y = b.conv(y, { weight: new Array(6 * 4 * 9).fill(-0.1), dims: [6, 4, 3, 3], pads: [1, 1, 1, 1] });
      y = b.clip(y, 0, 6);
      y = b.relu(b.node('AveragePool', [y], { kernel_shape: [2, 2], strides: [2, 2] })); // Relu after a pool: not a tap
      const shape = b.constant([2], [1, -1], { dataType: 'int64' });
      y = b.node('Reshape', [y, shape]);
      y = b.dropout(y);
      y = b.relu(b.gemm(y, { weight: new Array(5 * 24).fill(0.01), dims: [5, 24], bias: new Array(5).fill(0.1), transB: true }));
      y = b.identity(y);
      y = b.clip(b.matmul(y, { weight: new Array(15).fill(0.5), dims: [5, 3], bias: [0, 1, 2] }), 0, 6);
      y = b.gemm(y, { weight: new Array(6).fill(1), dims: [2, 3], transB: true, output: 'out' });
      b.output('out', [1, 2]);
      const file = b.save(path.join(tmp, `chain${opset}.onnx`));
      const e = await openOnnxEngine(file);
      const taps = e.layers().filter((l) => l.defaultTap);
      assert.deepEqual(taps.map((l) => [l.name, l.op, l.kind, l.shape]), [
        ['conv1', 'Relu', 'conv', [4, 8, 8]],
        ['conv2', 'Clip', 'conv', [6, 4, 4]],
        ['fc1', 'Relu', 'fc', [5]],
        ['fc2', 'Clip', 'fc', [3]],
      ], `opset ${opset}`);
      assert.deepEqual(e.defaultTaps(), ['conv1', 'conv2', 'fc1', 'fc2']);
      assert.ok(!e.layers().some((l) => l.op === 'Identity' || l.op === 'Dropout' || l.op === 'Constant'));
      // Runs with batch 2 although the export fixed batch 1 and the Reshape target is [1, -1];
      // both reductions work (ReduceMean axes as attribute before opset 18, as input from 18).
      for (const unitMode of ['channel', 'channel-position'] as const) {
        const s = await session(e, e.defaultTaps(), { unitMode, includeLogits: true });
        assert.deepEqual(s.tapUnits, unitMode === 'channel' ? [4, 6, 5, 3] : [256, 96, 5, 3]);
        const input = Float32Array.from({ length: 2 * 3 * 64 }, (_, i) => (i % 7) - 3);
        const out = await s.run(input, 2);
        assert.deepEqual(out.taps.map((t) => t.length), s.tapUnits.map((u) => 2 * u));
        assert.equal(out.logits!.length, 4);
        await s.dispose();
      }
      // No-ReLU also replaces the ReLU6 Clips: negative values reach conv2 and fc2.
      for (const variant of [trained, { kind: 'norelu' }] as ModelVariant[]) {
        const s = await session(e, ['conv2', 'fc2'], { variant });
        const o = await s.run(new Float32Array(3 * 64).fill(10), 1);
        const min = Math.min(...o.taps[0], ...o.taps[1]);
        if (variant.kind === 'trained') assert.ok(min >= 0, `opset ${opset}: clipped at 0`);
        else assert.ok(min < -1, `opset ${opset}: no clipping without ReLU (min ${min})`);
        await s.dispose();
      }
      await e.dispose();
    }
  });

  it('x.view(x.size(0), -1): a Reshape to a shape computed by Shape/Gather/Unsqueeze/Concat', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 4, 4]);
    const y = b.relu(b.conv(x, { weight: [1, 0, 0, 1, 1, 1], dims: [3, 2, 1, 1] }));
    const shp = b.node('Shape', [y]);
    const n = b.node('Gather', [shp, b.initializer('zero', [], [0], { dataType: 'int64' })], { axis: 0 });
    const u = b.node('Unsqueeze', [n, b.initializer('axes0', [1], [0], { dataType: 'int64' })]);
    const target = b.node('Concat', [u, b.initializer('minus1', [1], [-1], { dataType: 'int64' })], { axis: 0 });
    const flat = b.node('Reshape', [y, target]);
    const fc = b.relu(b.gemm(flat, { weight: new Array(48 * 5).fill(0.125), dims: [5, 48], transB: true }));
    b.output(b.gemm(fc, { weight: new Array(10).fill(1), dims: [2, 5], transB: true }));
    const e = await openOnnxEngine(b.save(path.join(tmp, 'view.onnx')));
    assert.deepEqual(e.defaultTaps(), ['conv1', 'fc1']);
    assert.ok(!e.layers().some((l) => ['Shape', 'Gather', 'Unsqueeze', 'Concat'].includes(l.op)), 'shape arithmetic is not a layer');
    const s = await session(e, e.defaultTaps());
    assert.deepEqual(s.tapUnits, [3, 5]);
    const out = await s.run(Float32Array.from({ length: 2 * 32 }, (_, i) => (i < 32 ? 1 : 2)), 2);
    // Image 1: channels 1,1,2 everywhere -> fc = 0.125 * 16 * (1+1+2) = 8; image 2 doubles.
    assert.deepEqual(Array.from(out.taps[0]), [1, 1, 2, 2, 2, 4]);
    assert.deepEqual(Array.from(out.taps[1]), [8, 8, 8, 8, 8, 16, 16, 16, 16, 16]);
    await s.dispose();
    await e.dispose();
  });

  it('residual / branching graph: node names, sanitised and unique', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 4, 4]);
    const w = (o: number, i: number) => ({ weight: new Array(o * i).fill(0.25), dims: [o, i, 1, 1] });
    const stem = b.relu(b.conv(x, { ...w(2, 2), name: '/stem/conv' }), '/stem/relu/Relu');
    const c1 = b.relu(b.conv(stem, { ...w(2, 2), name: '/block/conv1' }), '/block/relu/Relu');
    const c2 = b.batchNorm(b.conv(c1, { ...w(2, 2), name: '/block/conv2' }), { scale: [1, 1], bias: [0, 0], mean: [0, 0], variance: [1, 1] });
    // Same node name as above (torch names a reused module's calls alike).
    const sum = b.node('Relu', [b.add(c2, stem)], {}, { name: '/block/relu/Relu', output: 'sum_relu' });
    const noName = b.node('Relu', [b.conv(sum, w(2, 2))], {}, { name: '', output: 'tensor:7' });
    const head = b.gemm(b.flatten(b.gap(noName)), { weight: [1, 0, 0, 1], dims: [2, 2], transB: true, output: 'logits' });
    b.output(head, [1, 2]);
    const e = await openOnnxEngine(b.save(path.join(tmp, 'res.onnx')));
    // Scoped names: a layer that ends a module is named by its module path (`stem`, `block.relu`),
    // others by their node name; the default is `blocks` (stem activation, last activation).
    assert.deepEqual(e.defaultTaps('study'), ['stem', 'block.relu.Relu', 'block.relu', 'tensor_7']);
    assert.deepEqual(e.defaultTaps(), ['stem', 'tensor_7']);
    const names = e.layers().map((l) => l.name);
    assert.equal(new Set(names).size, names.length, 'names are unique');
    const s = await session(e, e.defaultTaps('study'), { includeLogits: true });
    const out = await s.run(new Float32Array(2 * 2 * 16).fill(1), 2);
    // stem = relu(0.5) = 0.5 per channel; c1 = 0.25; c2 = 0.125 / sqrt(1 + 1e-5); sum = 0.625-ish.
    assert.deepEqual(Array.from(out.taps[0]), [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(Array.from(out.taps[1]), [0.25, 0.25, 0.25, 0.25]);
    const expectSum = Math.fround(0.125 / Math.sqrt(1 + 1e-5)) + 0.5;
    for (const v of out.taps[2]) assert.ok(Math.abs(v - expectSum) < 1e-6);
    await s.dispose();
    await e.dispose();
  });

  it('Relu not after a weight layer, and a ReLU that is the graph output, are not taps', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 1, 2, 2]);
    const r0 = b.relu(x, 'inputRelu');
    const c = b.conv(r0, { weight: [2], dims: [1, 1, 1, 1] });
    b.output(b.relu(c, 'finalRelu'));
    const e = await openOnnxEngine(b.save(path.join(tmp, 'notap.onnx')));
    assert.deepEqual(e.defaultTaps(), []);
    assert.ok(e.layers().some((l) => l.name === 'inputRelu' && !l.defaultTap));
    await e.dispose();
  });

  it('dynamic input sizes: inputSize null, units found at run time for channel-position', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', ['N', 1, 'H', 'W']);
    const r = b.relu(b.conv(x, { weight: [1, -1], dims: [2, 1, 1, 1] }));
    b.output(b.gemm(b.flatten(b.gap(r)), { weight: [1, 1], dims: [1, 2], transB: true, output: 'logits' }));
    const e = await openOnnxEngine(b.save(path.join(tmp, 'dyn.onnx')));
    assert.equal(e.inputSize, null);
    const s = await session(e, ['conv1'], { unitMode: 'channel' });
    assert.deepEqual(s.tapUnits, [2]);
    const out = await s.run(Float32Array.from({ length: 2 * 36 }, (_, i) => (i % 2 ? 1 : -1)), 2);
    assert.deepEqual(Array.from(out.taps[0]), [0.5, 0.5, 0.5, 0.5]);
    await s.dispose();
    const sp = await session(e, ['conv1'], { unitMode: 'channel-position' });
    const outP = await sp.run(new Float32Array(3 * 9).fill(1), 3);
    assert.deepEqual(sp.tapUnits, [18]);
    assert.equal(outP.taps[0].length, 54);
    await sp.dispose();
    await e.dispose();
  });
});

// ----------------------------------------------------------------- files and errors

describe('ONNX engine: files and errors', () => {
  it('not an ONNX model', async () => {
    const txt = path.join(tmp, 'notes.onnx');
    fs.writeFileSync(txt, 'hello, this is text\n'.repeat(20));
    await rejectsUser(openOnnxEngine(txt), txt, 'not an ONNX model');
    const json = path.join(tmp, 'model.onnx.json');
    fs.writeFileSync(json, JSON.stringify({ format: 'layers-model', modelTopology: {} }));
    await rejectsUser(openOnnxEngine(json), json, 'not an ONNX model', 'JSON');
    const empty = path.join(tmp, 'empty.onnx');
    fs.writeFileSync(empty, '');
    await rejectsUser(openOnnxEngine(empty), empty, 'not an ONNX model');
    const png = path.join(tmp, 'pic.onnx');
    fs.writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'));
    await rejectsUser(openOnnxEngine(png), png, 'not an ONNX model');
    await rejectsUser(openOnnxEngine(tmp), tmp, 'folder');
    await rejectsUser(openOnnxEngine(path.join(tmp, 'missing.onnx')), 'missing.onnx');
  });

  it('model without a 4-D image input, or with a channels-last input', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('features', [1, 10]);
    b.output(b.gemm(x, { weight: new Array(20).fill(1), dims: [2, 10], transB: true }));
    const f = b.save(path.join(tmp, 'tabular.onnx'));
    await rejectsUser(openOnnxEngine(f), f, '4-D', 'NCHW');
    const h = new OnnxBuilder({ opset: 13 });
    const xi = h.input('img', [1, 32, 32, 3]);
    h.output(h.relu(h.node('Transpose', [xi], { perm: [0, 3, 1, 2] })));
    const g = h.save(path.join(tmp, 'nhwc.onnx'));
    await rejectsUser(openOnnxEngine(g), g, 'NHWC');
    const two = new OnnxBuilder({ opset: 13 });
    two.output(two.add(two.input('a', [1, 3, 8, 8]), two.input('b', [1, 3, 8, 8])));
    const t = two.save(path.join(tmp, 'two.onnx'));
    await rejectsUser(openOnnxEngine(t), t, '2 inputs', 'a, b');
  });

  it('external weights: loaded when present, a clear error when missing', async () => {
    const model = buildModelA().build();
    const w = G(model).initializer.find((t) => t.name === 'c1.weight')!;
    const data = Buffer.from(w.rawData!);
    const ext = path.join(tmp, 'ext');
    fs.mkdirSync(ext);
    fs.writeFileSync(path.join(ext, 'weights.bin'), Buffer.concat([Buffer.alloc(16), data]));
    w.rawData = new Uint8Array(0);
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    w.externalData = [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: '16' },
      { key: 'length', value: String(data.length) },
    ];
    const file = path.join(ext, 'model.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const e = await openOnnxEngine(file);
    const s = await session(e, ['conv1'], { variant: { kind: 'permuted', seed: 1, target: 'weights' } });
    const out = await s.run(packImages([constImage([1, 0.5])]), 1);
    assert.equal(out.taps[0].length, 3);
    await s.dispose();
    await e.dispose();
    fs.rmSync(path.join(ext, 'weights.bin'));
    await rejectsUser(openOnnxEngine(file), file, 'weights.bin', 'save_as_external_data=False');
  });

  it('a bias-free model cannot permute biases (UserError, not a silent no-op)', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', [1, 1, 2, 2]);
    b.output(b.gemm(b.flatten(b.gap(b.relu(b.conv(x, { weight: [1, 2], dims: [2, 1, 1, 1] })))), { weight: [1, 1], dims: [1, 2], transB: true }));
    const f = b.save(path.join(tmp, 'nobias.onnx'));
    const e = await openOnnxEngine(f);
    await rejectsUser(session(e, ['conv1'], { variant: { kind: 'permuted', seed: 1, target: 'biases' } }), f, 'biases');
    await e.dispose();
  });
});

// ----------------------------------------------------------------- benchmark builder

describe('onnxBuilder.buildConvNet', () => {
  it('builds an AlexNet-shaped random net that reads as conv1..conv5, fc1, fc2', async () => {
    const t0 = Date.now();
    const b = buildConvNet(ALEXNET_SPEC);
    const m = b.build();
    const params = G(m).initializer.reduce((s, t) => s + (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1), 0);
    assert.equal(params, 61_100_840);
    const file = b.save(path.join(tmp, 'alexlike.onnx'));
    assert.ok(Date.now() - t0 < 20_000, 'builds in seconds');
    const e = await openOnnxEngine(file);
    assert.deepEqual(e.defaultTaps(), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc1', 'fc2']);
    const s = await session(e, e.defaultTaps(), { includeLogits: true, threads: 2 });
    assert.deepEqual(s.tapUnits, [64, 192, 384, 256, 256, 4096, 4096]);
    assert.equal(s.numClasses, 1000);
    const out = await s.run(Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), 1);
    assert.ok(out.taps.every((t) => t.every(Number.isFinite) && t.some((v) => v > 0)));
    await s.dispose();
    await e.dispose();
    fs.rmSync(file);
  });
});
