/**
 * Trains the embedded demo model (media/demo-model/): a small CNN on the procedural stimuli
 * of scripts/demo-stimuli.ts, with TF.js on the WebAssembly backend, using the study's
 * preprocessing (scale to [0,1], ImageNet mean/std; METHOD §2).
 *
 *   npx tsx scripts/train-demo-model.ts [--out media/demo-model] [--epochs 10] [--train 300] [--test 40] [--seed 7]
 *   npx tsx scripts/train-demo-model.ts --export-onnx media/demo-model   (model.json → model.onnx, NCHW)
 *
 * Architecture (chain naming gives conv1..conv4, fc1, fc2; `logits` is not a tap):
 *   64x64x3 → [conv3x3+ReLU → maxpool2] x 4 (16, 32, 32, 64 channels) → flatten (4x4x64)
 *   → fc1 (128, ReLU) → fc2 (64, ReLU) → logits (10, linear).
 *
 * The wasm backend lacks the Conv2DBackpropFilter kernel needed for training; it is
 * registered below from the backend's own Conv2D and Transpose kernels (training only;
 * the analysis never needs gradients). Every epoch draws new training images (generator
 * seeds seed .. seed+epochs-1); test images come from seed+1000. Deterministic up to
 * floating-point summation order. Writes model.json + weights.bin, model.sparsity.json
 * (preprocessing, labels), TRAINING.json (accuracies, history) and model.onnx (the same
 * network for the ONNX engine, see demoModelToOnnx).
 */
import * as path from 'path';
import * as fs from 'fs';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadTf, Tf } from '../src/core/tfBackend';
import { onnx } from 'onnx-proto';
import { fileSaveHandler, readModelJson, readWeightData, weightSpecs } from '../src/core/engines/tfjsIo';
import { SeededRandom } from '../src/core/random';
import { STIMULUS_CATEGORIES, renderStimulus, stimulusRng } from './demo-stimuli';

export const DEMO_INPUT_SIZE = 64;
export const DEMO_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const DEMO_STD: [number, number, number] = [0.229, 0.224, 0.225];

interface Args {
  out: string;
  epochs: number;
  train: number;
  test: number;
  seed: number;
  batch: number;
  lr: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { out: 'media/demo-model', epochs: 10, train: 300, test: 40, seed: 7, batch: 16, lr: 1e-3 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '') as keyof Args;
    const v = argv[i + 1];
    if (!(k in a) || v === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    (a as unknown as Record<string, string | number>)[k] = k === 'out' ? v : Number(v);
  }
  return a;
}

/** Conv2DBackpropFilter for the wasm backend, from Conv2D + Transpose (stride 1, dilation 1, NHWC). */
export function registerWasmConvFilterGrad(tf: Tf): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const conv = tf.getKernel('Conv2D', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!conv || !transpose) throw new Error('wasm backend lacks Conv2D/Transpose kernels');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as { x: tfTypes.TensorInfo; dy: tfTypes.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'same' | 'valid' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
      );
      if (info.strideHeight !== 1 || info.strideWidth !== 1 || dataFormat === 'NCHW') {
        throw new Error('Conv2DBackpropFilter (wasm shim) supports stride 1, NHWC only');
      }
      const b = backend as unknown as { disposeData(id: object): void };
      // out[ci, kh, kw, co] = sum_{n,y,x} xpad[n, y+kh, x+kw, ci] * dy[n, y, x, co]
      const xT = transpose.kernelFunc({ inputs: { x }, attrs: { perm: [3, 1, 2, 0] }, backend }) as tfTypes.TensorInfo; // [ci,H,W,n]
      const dyT = transpose.kernelFunc({ inputs: { x: dy }, attrs: { perm: [1, 2, 0, 3] }, backend }) as tfTypes.TensorInfo; // [Ho,Wo,n,co]
      const p = info.padInfo;
      const g = conv.kernelFunc({
        inputs: { x: xT, filter: dyT },
        attrs: { strides: 1, pad: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], dataFormat: 'NHWC', dilations: 1 } as unknown as tfTypes.NamedAttrMap,
        backend,
      }) as tfTypes.TensorInfo; // [ci,kh,kw,co]
      const out = transpose.kernelFunc({ inputs: { x: g }, attrs: { perm: [1, 2, 0, 3] }, backend }) as tfTypes.TensorInfo;
      b.disposeData(xT.dataId);
      b.disposeData(dyT.dataId);
      b.disposeData(g.dataId);
      return out;
    },
  });
}

/** The demo CNN (untrained). */
export function buildDemoModel(tf: Tf, numClasses: number, seed: number): tfTypes.Sequential {
  const m = tf.sequential({ name: 'sparsity_lens_demo' });
  const channels = [16, 32, 32, 64];
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  channels.forEach((c, i) => {
    m.add(
      tf.layers.conv2d({
        name: `conv${i + 1}`,
        filters: c,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
        ...(i === 0 ? { inputShape: [DEMO_INPUT_SIZE, DEMO_INPUT_SIZE, 3] } : {}),
      }),
    );
    m.add(tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
  });
  m.add(tf.layers.flatten({ name: 'flatten' }));
  m.add(tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.dropout({ name: 'drop1', rate: 0.3, seed: s++ }));
  m.add(tf.layers.dense({ name: 'fc2', units: 64, activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.dense({ name: 'logits', units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) }));
  return m;
}

/** Preprocess interleaved RGB bytes exactly as the study: /255, then (x - mean) / std. */
export function preprocessInto(dst: Float32Array, offset: number, rgb: Uint8Array): void {
  for (let i = 0; i < rgb.length; i++) {
    const c = i % 3;
    dst[offset + i] = (rgb[i] / 255 - DEMO_MEAN[c]) / DEMO_STD[c];
  }
}

async function makeSet(perCategory: number, seed: number): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const K = STIMULUS_CATEGORIES.length;
  const S = DEMO_INPUT_SIZE;
  const n = K * perCategory;
  const x = new Float32Array(n * S * S * 3);
  const y = new Int32Array(n);
  let k = 0;
  for (let ci = 0; ci < K; ci++) {
    for (let i = 0; i < perCategory; i++) {
      const px = await renderStimulus(STIMULUS_CATEGORIES[ci], stimulusRng(seed, ci, i), S, `${i}`);
      preprocessInto(x, k * S * S * 3, px);
      y[k++] = ci;
    }
  }
  return { x, y, n };
}

async function evaluate(tf: Tf, model: tfTypes.LayersModel, set: { x: Float32Array; y: Int32Array; n: number }): Promise<{ acc: number; perClass: number[] }> {
  const S = DEMO_INPUT_SIZE;
  const K = STIMULUS_CATEGORIES.length;
  const correct = new Array<number>(K).fill(0);
  const count = new Array<number>(K).fill(0);
  const B = 50;
  for (let s = 0; s < set.n; s += B) {
    const b = Math.min(B, set.n - s);
    const pred = tf.tidy(() => {
      const xb = tf.tensor4d(set.x.subarray(s * S * S * 3, (s + b) * S * S * 3), [b, S, S, 3]);
      return (model.predict(xb) as tfTypes.Tensor).argMax(-1);
    });
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < b; i++) {
      const t = set.y[s + i];
      count[t]++;
      if (p[i] === t) correct[t]++;
    }
  }
  const perClass = correct.map((c, i) => c / Math.max(1, count[i]));
  return { acc: correct.reduce((a, b) => a + b, 0) / set.n, perClass };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { tf, runtime } = await loadTf();
  if (tf.getBackend() === 'wasm') registerWasmConvFilterGrad(tf);
  console.log(`backend: ${runtime}`);
  const t0 = Date.now();
  let train = await makeSet(args.train, args.seed);
  const test = await makeSet(args.test, args.seed + 1000);
  console.log(`data: ${train.n} train / ${test.n} test images (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const K = STIMULUS_CATEGORIES.length;
  const S = DEMO_INPUT_SIZE;
  const model = buildDemoModel(tf, K, args.seed);
  const optimizer = tf.train.adam(args.lr);
  const rng = new SeededRandom(args.seed);
  const order = Array.from({ length: train.n }, (_, i) => i);
  const xb = new Float32Array(args.batch * S * S * 3);
  const yb = new Int32Array(args.batch);
  const history: { epoch: number; loss: number; testAccuracy: number }[] = [];
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    const te = Date.now();
    // Fresh images every epoch (the generator is cheap): no image is seen twice, so the
    // model does not overfit its training set. Test images come from another seed range.
    if (epoch > 1) train = await makeSet(args.train, args.seed + epoch - 1);
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let s = 0; s + args.batch <= train.n; s += args.batch) {
      for (let i = 0; i < args.batch; i++) {
        const k = order[s + i];
        xb.set(train.x.subarray(k * S * S * 3, (k + 1) * S * S * 3), i * S * S * 3);
        yb[i] = train.y[k];
      }
      const loss = optimizer.minimize(() => {
        const x = tf.tensor4d(xb, [args.batch, S, S, 3]);
        const y = tf.oneHot(tf.tensor1d(yb, 'int32'), K);
        const logits = model.apply(x, { training: true }) as tfTypes.Tensor;
        return tf.losses.softmaxCrossEntropy(y, logits) as tfTypes.Scalar;
      }, true);
      lossSum += (await loss!.data())[0];
      loss!.dispose();
      batches++;
    }
    const ev = await evaluate(tf, model, test);
    history.push({ epoch, loss: Number((lossSum / batches).toFixed(4)), testAccuracy: Number(ev.acc.toFixed(4)) });
    console.log(`epoch ${epoch}: loss ${(lossSum / batches).toFixed(3)}, test acc ${(ev.acc * 100).toFixed(1)}% (${((Date.now() - te) / 1000).toFixed(0)} s)`);
  }
  const trainEv = await evaluate(tf, model, train); // the last epoch's images
  const testEv = await evaluate(tf, model, test);
  console.log(`train accuracy ${(trainEv.acc * 100).toFixed(1)}%, test accuracy ${(testEv.acc * 100).toFixed(1)}% (chance ${(100 / K).toFixed(1)}%)`);
  console.log('per-category test accuracy: ' + STIMULUS_CATEGORIES.map((c, i) => `${c} ${(testEv.perClass[i] * 100).toFixed(0)}%`).join(', '));

  const out = path.resolve(args.out);
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(out)) if (f.endsWith('.bin') || f === 'model.json' || f === 'model.onnx') fs.rmSync(path.join(out, f));
  await model.save(fileSaveHandler(tf.io, out, { weightsFile: 'weights.bin' }));
  // The sidecar (read by src/core/models/preprocessing.ts): preprocessing + class labels.
  const sidecar = {
    preprocessing: {
      width: S,
      height: S,
      resize: 'stretch',
      shorterSide: S,
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: DEMO_MEAN,
      std: DEMO_STD,
    },
    label: 'Sparsity Lens demo CNN (procedural shapes, 10 classes)',
    source: 'embedded demo model (scripts/train-demo-model.ts)',
    labels: [...STIMULUS_CATEGORIES],
    notes: `Trained by scripts/train-demo-model.ts on scripts/demo-stimuli.ts images; test accuracy ${(testEv.acc * 100).toFixed(1)}% (see TRAINING.json).`,
  };
  fs.writeFileSync(path.join(out, 'model.sparsity.json'), JSON.stringify(sidecar, null, 2) + '\n');
  const training = {
    script: 'scripts/train-demo-model.ts',
    stimuli: 'scripts/demo-stimuli.ts',
    args,
    backend: runtime,
    seconds: Math.round((Date.now() - t0) / 1000),
    trainImagesPerEpoch: train.n,
    testImages: test.n,
    lastEpochTrainAccuracy: Number(trainEv.acc.toFixed(4)),
    testAccuracy: Number(testEv.acc.toFixed(4)),
    testAccuracyPerClass: Object.fromEntries(STIMULUS_CATEGORIES.map((c, i) => [c, Number(testEv.perClass[i].toFixed(4))])),
    history,
  };
  fs.writeFileSync(path.join(out, 'TRAINING.json'), JSON.stringify(training, null, 2) + '\n');
  const onnxBytes = demoModelToOnnx(path.join(out, 'model.json'));
  fs.writeFileSync(path.join(out, 'model.onnx'), onnxBytes);
  const size = fs.readdirSync(out).reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0);
  console.log(`saved ${out} (${(size / 1024).toFixed(0)} KiB), total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// ---------------------------------------------------------------- ONNX export

/**
 * The trained TF.js demo model as an equivalent ONNX model (opset 13, NCHW input `input`
 * [batch,3,64,64], output `logits`): Conv/Relu/MaxPool x4 → Flatten → Gemm/Relu x2 → Gemm.
 * Kernels are transposed HWIO → OIHW and fc1's rows reordered from TF.js's (h,w,c) flatten
 * order to ONNX's (c,h,w), so both files compute the same function.
 */
export function demoModelToOnnx(modelJsonPath: string): Uint8Array {
  const json = readModelJson(modelJsonPath);
  const specs = weightSpecs(json.weightsManifest);
  const data = readWeightData(modelJsonPath, json.weightsManifest);
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  let off = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32' || s.quantization) throw new Error(`unexpected weight ${s.name} (${s.dtype})`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    weights.set(s.name.replace(/_\d+$/, ''), { shape: s.shape, values: new Float32Array(data.slice(off, off + 4 * n)) });
    off += 4 * n;
  }
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`weight ${name} not in ${modelJsonPath} (have ${[...weights.keys()].join(', ')})`);
    return w;
  };
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const initializer: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const init = (name: string, dims: number[], v: Float32Array) =>
    initializer.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) });
  const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  let x = 'input';
  for (let i = 1; i <= 4; i++) {
    const k = get(`conv${i}/kernel`);
    const [kh, kw, ci, co] = k.shape;
    const oihw = new Float32Array(k.values.length);
    for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
      oihw[((o * ci + c) * kh + h) * kw + w] = k.values[((h * kw + w) * ci + c) * co + o];
    }
    init(`conv${i}.weight`, [co, ci, kh, kw], oihw);
    init(`conv${i}.bias`, [co], get(`conv${i}/bias`).values);
    nodes.push({ name: `conv${i}`, opType: 'Conv', input: [x, `conv${i}.weight`, `conv${i}.bias`], output: [`conv${i}_out`], attribute: [ints('kernel_shape', [kh, kw]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1])] });
    nodes.push({ name: `relu${i}`, opType: 'Relu', input: [`conv${i}_out`], output: [`relu${i}_out`] });
    nodes.push({ name: `pool${i}`, opType: 'MaxPool', input: [`relu${i}_out`], output: [`pool${i}_out`], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] });
    x = `pool${i}_out`;
  }
  nodes.push({ name: 'flatten', opType: 'Flatten', input: [x], output: ['flatten_out'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
  x = 'flatten_out';
  const fc1 = get('fc1/kernel');
  const C = get('conv4/kernel').shape[3];
  const side = Math.round(Math.sqrt(fc1.shape[0] / C)); // 4
  const reordered = new Float32Array(fc1.values.length);
  const units = fc1.shape[1];
  for (let h = 0; h < side; h++) for (let w = 0; w < side; w++) for (let c = 0; c < C; c++) {
    const src = ((h * side + w) * C + c) * units;
    const dst = ((c * side + h) * side + w) * units;
    reordered.set(fc1.values.subarray(src, src + units), dst);
  }
  const dense: [string, Float32Array, number[], boolean][] = [
    ['fc1', reordered, fc1.shape, true],
    ['fc2', get('fc2/kernel').values, get('fc2/kernel').shape, true],
    ['logits', get('logits/kernel').values, get('logits/kernel').shape, false],
  ];
  for (const [name, kernel, shape, relu] of dense) {
    init(`${name}.weight`, shape, kernel);
    init(`${name}.bias`, [shape[1]], get(`${name}/bias`).values);
    const out = relu ? `${name}_out` : 'logits';
    nodes.push({ name, opType: 'Gemm', input: [x, `${name}.weight`, `${name}.bias`], output: [out] });
    x = out;
    if (relu) {
      nodes.push({ name: `${name}_relu`, opType: 'Relu', input: [out], output: [`${name}_relu_out`] });
      x = `${name}_relu_out`;
    }
  }
  const S = DEMO_INPUT_SIZE;
  const classes = get('logits/kernel').shape[1];
  const vi = (name: string, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'sparsity-lens scripts/train-demo-model.ts',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'sparsity_lens_demo',
      node: nodes,
      initializer,
      input: [vi('input', ['batch', 3, S, S])],
      output: [vi('logits', ['batch', classes])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

if (require.main === module && process.argv[2] === '--export-onnx') {
  const dir = path.resolve(process.argv[3] ?? 'media/demo-model');
  const bytes = demoModelToOnnx(path.join(dir, 'model.json'));
  fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
  console.log(`wrote ${path.join(dir, 'model.onnx')} (${(bytes.length / 1024).toFixed(0)} KiB)`);
} else if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
