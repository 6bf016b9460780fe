/**
 * Tap selection on small ONNX graphs whose node names mimic torch.onnx.export of each family
 * (issue 10): default taps, names (PyTorch module paths), unit counts and closed-form responses.
 *
 *   node --import tsx --test test/core/taps/families.test.ts
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openOnnxEngine } from '../../../src/core/engines/onnx';
import { Engine, ModelVariant, SessionOptions, UserError } from '../../../src/core/types';
import { OnnxBuilder } from '../../helpers/onnxBuilder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-taps-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const relu = (v: number) => Math.max(0, v);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (v: number) => v * sigmoid(v);
/** erf by Abramowitz-Stegun 7.1.26 is too coarse for 1e-6; use the series, exact to float32 here. */
function erf(x: number): number {
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const eye = (n: number, k = 1) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? k : 0));

async function open(b: OnnxBuilder, name: string): Promise<Engine> {
  return openOnnxEngine(b.save(path.join(tmp, `${name}.onnx`)), { threads: 1 });
}
async function run(e: Engine, taps: string[], input: number[], extra: Partial<SessionOptions> = {}) {
  const s = await e.createSession({ taps, variant: { kind: 'trained' }, unitMode: 'channel', includeLogits: false, threads: 1, ...extra });
  const out = await s.run(Float32Array.from(input), 1);
  const res = { units: s.tapUnits.slice(), taps: out.taps.map((t) => Array.from(t)), changes: s.changes };
  await s.dispose();
  return res;
}
function close(actual: number[], expected: number[], what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${v} vs ${expected[i]}`));
}
/** A 1x1 conv with weight W (out x in, row-major) and bias. */
function conv1(b: OnnxBuilder, x: string, name: string, w: number[], out: number, inC: number, bias?: number[]): string {
  return b.conv(x, { name, weight: w, dims: [out, inC, 1, 1], bias });
}
function head(b: OnnxBuilder, x: string, c: number): void {
  const f = b.flatten(b.gap(x, '/avgpool/GlobalAveragePool'), 1, '/Flatten');
  b.output(b.gemm(f, { name: '/fc/Gemm', weight: new Array(3 * c).fill(0.5), dims: [3, c], transB: true, output: 'logits' }), [1, 3]);
}
/** Constant image [C=2, H, W] with channel values v0, v1. */
const image = (v: [number, number], hw: number) => [...new Array(hw).fill(v[0]), ...new Array(hw).fill(v[1])];

describe('taps: residual blocks (ResNet-like)', () => {
  function build(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    let y = b.relu(conv1(b, x, '/conv1/Conv', eye(2), 2, 2, [0, 0]), '/relu/Relu');
    for (const blk of ['layer1.0', 'layer1.1']) {
      const s = `/layer1/${blk}`;
      const c1 = b.relu(conv1(b, y, `${s}/conv1/Conv`, eye(2, 0.5), 2, 2), `${s}/relu/Relu`);
      const c2 = conv1(b, c1, `${s}/conv2/Conv`, eye(2), 2, 2);
      y = b.relu(b.add(c2, y, `${s}/Add`), `${s}/relu_1/Relu`);
    }
    head(b, y, 2);
    return b;
  }

  it('blocks: the stem ReLU and every layerN.M, named as PyTorch modules, with closed-form values', async () => {
    const e = await open(build(), 'resnet');
    assert.deepEqual(e.defaultTaps(), ['relu', 'layer1.0', 'layer1.1']);
    // Block output = relu(0.5 r + r): each block multiplies the stem's output by 1.5.
    const r = await run(e, e.defaultTaps(), image([2, -1], 4));
    assert.deepEqual(r.units, [2, 2, 2]);
    close(r.taps.flat(), [2, 0, 3, 0, 4.5, 0], 'taps');
    // study: every ReLU after a conv (not a plain chain: the Add joins two paths).
    assert.equal(e.defaultTaps('study').length, 5);
    assert.deepEqual(e.defaultTaps('activations'), e.defaultTaps('study'));
    // The old node-derived name still selects the same layer.
    const viaAlias = await run(e, ['layer1.0.relu_1.Relu'], image([2, -1], 4));
    close(viaAlias.taps[0], [3, 0], 'alias');
    await e.dispose();
  });
});

describe('taps: inverted residual with squeeze-excitation and SiLU (EfficientNet-like)', () => {
  function build(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    const stem = b.silu(conv1(b, x, '/features/features.0/features.0.0/Conv', eye(2), 2, 2), '/features/features.0/features.0.2');
    const s = '/features/features.1/features.1.0/block';
    const expand = b.silu(conv1(b, stem, `${s}/block.0/block.0.0/Conv`, eye(2), 2, 2), `${s}/block.0/block.0.2`);
    // Squeeze-excitation: pool -> fc1 -> ReLU -> fc2 -> Sigmoid gate -> Mul with the feature map.
    const pooled = b.gap(expand, `${s}/block.1/avgpool/GlobalAveragePool`);
    const fc1 = b.relu(conv1(b, pooled, `${s}/block.1/fc1/Conv`, [1, 1], 1, 2), `${s}/block.1/activation/Relu`);
    const gate = b.node('Sigmoid', [conv1(b, fc1, `${s}/block.1/fc2/Conv`, [0, 0], 2, 1)], {}, { name: `${s}/block.1/scale_activation/Sigmoid` });
    const scaled = b.node('Mul', [gate, expand], {}, { name: `${s}/block.1/Mul` });
    const proj = conv1(b, scaled, `${s}/block.2/block.2.0/Conv`, eye(2), 2, 2);
    const out = b.add(proj, stem, '/features/features.1/features.1.0/Add');
    head(b, out, 2);
    return b;
  }

  it('blocks: features.0 (stem SiLU) and features.1.0; SE internals and the gate are not taps', async () => {
    const e = await open(build(), 'effnet');
    assert.deepEqual(e.defaultTaps(), ['features.0', 'features.1.0']);
    // An activation is named by its own module (the SiLU at block.0.2); the Conv2dNormActivation
    // it ends (block.0) selects the same tensor.
    assert.deepEqual(e.defaultTaps('activations'), ['features.0', 'features.1.0.block.0.2']);
    const v = [1.5, -0.5] as [number, number];
    const r = await run(e, [...e.defaultTaps(), 'features.1.0.block.0'], image(v, 4));
    const st = v.map(silu);
    const ex = st.map(silu);
    // The gate is sigmoid(0) = 0.5 (fc2 weights are zero).
    close(r.taps[0], st, 'stem');
    close(r.taps[1], ex.map((q, i) => 0.5 * q + st[i]), 'block');
    close(r.taps[2], ex, 'expand SiLU');
    await e.dispose();
  });

  it('no-nonlinearity replaces every SiLU and the SE ReLU, keeps the gate, changes the output, and says so', async () => {
    const e = await open(build(), 'effnet-norelu');
    const v = [1.5, -0.5] as [number, number];
    const variant: ModelVariant = { kind: 'norelu' };
    const trained = await run(e, e.defaultTaps(), image(v, 4));
    const lin = await run(e, e.defaultTaps(), image(v, 4), { variant });
    assert.deepEqual(lin.changes, { replaced: { SiLU: 2, ReLU: 1 }, gatesKept: 1, permuted: {} });
    // Linear now: stem = x; block = 0.5 x + x.
    close(lin.taps[0], v, 'stem, linear');
    close(lin.taps[1], v.map((q) => 1.5 * q), 'block, linear');
    assert.notDeepEqual(lin.taps, trained.taps);
    await e.dispose();
  });
});

describe('taps: concat module (Inception-like)', () => {
  it('the module output is the Concat, with the units of both branches', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    const stem = b.relu(conv1(b, x, '/conv1/conv/Conv', eye(2), 2, 2), '/conv1/Relu');
    const b1 = b.relu(conv1(b, stem, '/inception3a/branch1/conv/Conv', eye(2, 2), 2, 2), '/inception3a/branch1/Relu');
    const b2 = b.relu(conv1(b, stem, '/inception3a/branch2/conv/Conv', [1, 1], 1, 2, [-1]), '/inception3a/branch2/Relu');
    const cat = b.node('Concat', [b1, b2], { axis: 1 }, { name: '/inception3a/Concat' });
    head(b, cat, 3);
    const e = await open(b, 'inception');
    assert.deepEqual(e.defaultTaps(), ['conv1', 'inception3a']);
    const r = await run(e, e.defaultTaps(), image([2, 3], 4));
    assert.deepEqual(r.units, [2, 3]);
    close(r.taps[1], [4, 6, 4], 'concat');
    await e.dispose();
  });
});

describe('taps: channels-last GELU block (ConvNeXt-like)', () => {
  // Input H=3, W=2, C=2: inside the block the tensor is [N, H, W, C'] and its units are the C' = 4 channels, not 3 rows.
  function build(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 3, 2]);
    const s = '/features/features.1/features.1.0/block';
    const dw = conv1(b, x, `${s}/block.0/Conv`, eye(2), 2, 2);
    const nhwc = b.transpose(dw, [0, 2, 3, 1], `${s}/block.1/Transpose`);
    const up = b.matmul(nhwc, { name: `${s}/block.3/MatMul`, weight: [1, 0, 2, -1, 0, 1, 1, 0.5], dims: [2, 4], bias: [0, 0, -1, 0] });
    const g = b.geluErf(up, `${s}/block.4`);
    const down = b.matmul(g, { name: `${s}/block.5/MatMul`, weight: [1, 0, 0, 1, 0, 0, 0, 0], dims: [4, 2] });
    const nchw = b.transpose(down, [0, 3, 1, 2], `${s}/block.6/Transpose`);
    const out = b.add(nchw, x, '/features/features.1/features.1.0/Add');
    head(b, out, 2);
    return b;
  }
  const img = [0.5, -1, 1, 2, 0, 0.25, /* channel 1 */ 1, 0.5, -2, 0, 1.5, -0.5];
  /** up[p] for position p: [x0, x1] @ W (2x4) + bias. */
  const upAt = (p: number) => {
    const x0 = img[p];
    const x1 = img[6 + p];
    return [x0 + 0 * x1, 0 * x0 + 1 * x1, 2 * x0 + 1 * x1 - 1, -1 * x0 + 0.5 * x1];
  };

  it('the GELU tap (NHWC) has one unit per channel, averaged over H and W; the block output is NCHW', async () => {
    const e = await open(build(), 'convnext');
    assert.deepEqual(e.defaultTaps(), ['features.1.0']);
    assert.deepEqual(e.defaultTaps('activations'), ['features.1.0.block.4']);
    const gelu4 = e.layers().find((l) => l.name === 'features.1.0.block.4')!;
    assert.deepEqual(gelu4.shape, [3, 2, 4]);
    const r = await run(e, ['features.1.0.block.4', 'features.1.0'], img);
    assert.deepEqual(r.units, [4, 2]);
    const gp = Array.from({ length: 6 }, (_, p) => upAt(p).map(gelu));
    close(r.taps[0], [0, 1, 2, 3].map((k) => mean(gp.map((q) => q[k]))), 'GELU channel means');
    close(r.taps[1], [0, 1].map((k) => mean(gp.map((q, p) => q[k] + img[k * 6 + p]))), 'block output');
    // channel-position keeps every element, channel-major (C, H, W) as for NCHW.
    const cp = await run(e, ['features.1.0.block.4'], img, { unitMode: 'channel-position' });
    assert.deepEqual(cp.units, [24]);
    close(cp.taps[0], [0, 1, 2, 3].flatMap((k) => gp.map((q) => q[k])), 'channel-major');
    await e.dispose();
  });

  it('no-nonlinearity replaces the GELU pattern: the block becomes linear', async () => {
    const e = await open(build(), 'convnext-norelu');
    const r = await run(e, ['features.1.0'], img, { variant: { kind: 'norelu' } });
    assert.deepEqual(r.changes?.replaced, { GELU: 1 });
    close(r.taps[0], [0, 1].map((k) => mean(Array.from({ length: 6 }, (_, p) => upAt(p)[k] + img[k * 6 + p]))), 'linear block');
    await e.dispose();
  });
});

describe('taps: token block [N, T, D] (ViT-like)', () => {
  function build(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', [1, 2, 2, 2]);
    const p = conv1(b, x, '/conv_proj/Conv', eye(2), 2, 2);
    const tokens = b.transpose(b.reshape(p, [1, 2, 4], '/Reshape'), [0, 2, 1], '/Transpose'); // [N, 4 tokens, 2 features]
    const s = '/encoder/layers/encoder_layer_0';
    const h = b.matmul(tokens, { name: `${s}/mlp/mlp.0/MatMul`, weight: [1, 0, 1, 0, 1, -1], dims: [2, 3] });
    const g = b.geluErf(h, `${s}/mlp/mlp.1`);
    const o = b.matmul(g, { name: `${s}/mlp/mlp.3/MatMul`, weight: [1, 0, 0, 1, 0, 0], dims: [3, 2] });
    const blk = b.add(o, tokens, `${s}/Add`);
    const cls = b.node('Gather', [blk, b.initializer('idx0', [], [0], { dataType: 'int64' })], { axis: 1 }, { name: '/Gather' });
    b.output(b.gemm(cls, { name: '/heads/head/Gemm', weight: [1, 1], dims: [1, 2], transB: true, output: 'logits' }), [1, 1]);
    return b;
  }
  const img = [1, -1, 0.5, 2, /* ch 1 */ 0, 1, -0.5, 3];
  const tok = (t: number) => [img[t], img[4 + t]];
  const blockOf = (t: number) => {
    const [a, c] = tok(t);
    const h = [a, c, a - c];
    return [gelu(h[0]) + a, gelu(h[1]) + c];
  };

  it('the encoder block is a tap with one unit per feature, averaged over tokens (or the class token)', async () => {
    const e = await open(build(), 'vit');
    assert.deepEqual(e.defaultTaps(), ['encoder.layers.encoder_layer_0']);
    const r = await run(e, e.defaultTaps(), img);
    assert.deepEqual(r.units, [2]);
    const rows = [0, 1, 2, 3].map(blockOf);
    close(r.taps[0], [0, 1].map((k) => mean(rows.map((q) => q[k]))), 'mean over tokens');
    const c = await run(e, e.defaultTaps(), img, { tokens: 'class' });
    close(c.taps[0], rows[0], 'class token');
    await e.dispose();
  });
});

describe('taps: unit axis that cannot be told', () => {
  it('a tensor mixing channels and positions is a clear error, never flattened into made-up units', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    const y = b.relu(conv1(b, x, '/stem/Conv', eye(2), 2, 2), '/stem/Relu');
    const mixed = b.reshape(y, [1, 4, 2], '/mix/Reshape'); // [N, C*H, W]: neither channels nor tokens
    const z = b.relu(b.matmul(mixed, { name: '/mix/MatMul', weight: [1, 0, 0, 1], dims: [2, 2] }), '/mix/Relu');
    head(b, b.reshape(z, [1, 2, 2, 2], '/back/Reshape'), 2);
    const e = await open(b, 'mixed');
    let err: unknown;
    try {
      await run(e, ['mix.Reshape'], image([1, 2], 4));
    } catch (x) {
      err = x;
    }
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.match(err.message, /layer "mix\.Reshape"/);
    assert.match(err.message, /channel-position/);
    // With every element a unit the layer is well defined.
    const cp = await run(e, ['mix.Reshape'], image([1, 2], 4), { unitMode: 'channel-position' });
    assert.deepEqual(cp.units, [8]);
    await e.dispose();
  });
});

describe('taps: class-score map (SqueezeNet-like)', () => {
  it('Fire modules are blocks; the final conv + ReLU that the logits only pool is never a tap', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    const stem = b.relu(conv1(b, x, '/features/features.0/Conv', eye(2), 2, 2), '/features/features.1/Relu');
    const f = '/features/features.3';
    const sq = b.relu(conv1(b, stem, `${f}/squeeze/Conv`, eye(2), 2, 2), `${f}/squeeze_activation/Relu`);
    const e1 = b.relu(conv1(b, sq, `${f}/expand1x1/Conv`, eye(2), 2, 2), `${f}/expand1x1_activation/Relu`);
    const e3 = b.relu(conv1(b, sq, `${f}/expand3x3/Conv`, eye(2, 2), 2, 2), `${f}/expand3x3_activation/Relu`);
    const fire = b.node('Concat', [e1, e3], { axis: 1 }, { name: `${f}/Concat` });
    const score = b.relu(conv1(b, fire, '/classifier/classifier.1/Conv', new Array(12).fill(0.25), 3, 4), '/classifier/classifier.2/Relu');
    const logits = b.flatten(b.gap(score, '/classifier/classifier.3/GlobalAveragePool'), 1, '/Flatten');
    b.output(logits, [1, 3]);
    const e = await open(b, 'squeezenet');
    assert.deepEqual(e.defaultTaps(), ['features.1', 'features.3']);
    for (const mode of ['study', 'activations'] as const) assert.ok(!e.defaultTaps(mode).includes('classifier.2'), mode);
    const r = await run(e, e.defaultTaps(), image([1, 2], 4));
    assert.deepEqual(r.units, [2, 4]);
    close(r.taps[1], [1, 2, 2, 4], 'fire');
    await e.dispose();
  });
});

describe('taps: an op outside every module (DenseNet-like final F.relu)', () => {
  function build(): OnnxBuilder {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('input', [1, 2, 2, 2]);
    const stem = b.relu(conv1(b, x, '/features/conv0/Conv', eye(2), 2, 2), '/features/relu0/Relu');
    // A dense block: one layer's new features concatenated with its input.
    const l1 = conv1(b, b.relu(stem, '/features/denseblock1/denselayer1/relu1/Relu'), '/features/denseblock1/denselayer1/conv1/Conv', [1, 1], 1, 2);
    const block = b.node('Concat', [stem, l1], { axis: 1 }, { name: '/features/denseblock1/Concat' });
    const norm5 = conv1(b, block, '/features/norm5/Conv', eye(3, 2), 3, 3);
    // DenseNet.forward: F.relu(features) outside every module, exported as `/Relu`.
    const y = b.relu(norm5, '/Relu');
    const f = b.flatten(b.gap(y, '/GlobalAveragePool'), 1, '/Flatten');
    b.output(b.gemm(f, { name: '/classifier/Gemm', weight: new Array(9).fill(0.5), dims: [3, 3], transB: true, output: 'logits' }), [1, 3]);
    return b;
  }

  it('is named as torch.fx names it (relu), the name feature-extraction toolboxes use; the node name stays an alias', async () => {
    const e = await open(build(), 'densenet');
    const taps = e.defaultTaps();
    assert.equal(taps[taps.length - 1], 'relu', `last default tap: ${JSON.stringify(taps)}`);
    assert.ok(taps.includes('features.denseblock1'), `the dense block is a tap: ${JSON.stringify(taps)}`);
    // relu(2 * [stem0, stem1, stem0 + stem1]) with stem = relu(image) = [2, 0].
    const r = await run(e, ['relu', 'Relu'], image([2, -1], 4));
    assert.deepEqual(r.units, [3, 3]);
    close(r.taps[0], [4, 0, 4], 'relu');
    close(r.taps[1], r.taps[0], 'alias Relu');
    await e.dispose();
  });
});
