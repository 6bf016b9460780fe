/**
 * Builds small ONNX models (ModelProto, via onnx-proto) from JS arrays, for tests and the
 * benchmark. Weights are stored as raw_data (or float_data on request) float32.
 *
 *   const b = new OnnxBuilder({ opset: 13 });
 *   const x = b.input('input', [1, 3, 4, 4]);
 *   const y = b.relu(b.conv(x, { weight: [...], dims: [2, 3, 1, 1], bias: [0, 1] }));
 *   b.output(b.gemm(b.flatten(b.gap(y)), { weight: [...], dims: [10, 2], transB: true }));
 *   b.save('/tmp/m.onnx');
 *
 * buildConvNet(spec) makes AlexNet / VGG-shaped random-weight nets (ALEXNET_SPEC, VGG11_SPEC).
 */
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import { SeededRandom } from '../../src/core/random';

const AT = onnx.AttributeProto.AttributeType;
const DT = onnx.TensorProto.DataType;

/** Attribute value: integer -> INT, integer[] -> INTS, {f} -> FLOAT, {floats} -> FLOATS, {s} -> STRING, {t} -> TENSOR. */
export type Attr = number | number[] | { f: number } | { floats: number[] } | { s: string } | { t: onnx.ITensorProto };

export type Data = ArrayLike<number>;

export interface TensorOptions {
  /** Storage of float32 data: raw_data (default, what exporters write) or float_data. */
  storage?: 'raw' | 'float';
  /** Element type (default float32). int64 is stored as int64_data. */
  dataType?: 'float32' | 'int64';
}

export function makeTensor(name: string, dims: number[], data: Data, opts: TensorOptions = {}): onnx.TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
  if (opts.dataType === 'int64') {
    return new onnx.TensorProto({ name, dims, dataType: DT.INT64, int64Data: Array.from(data) });
  }
  if (opts.storage === 'float') {
    return new onnx.TensorProto({ name, dims, dataType: DT.FLOAT, floatData: Array.from(Float32Array.from(data)) });
  }
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return new onnx.TensorProto({ name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
}

function makeAttr(name: string, v: Attr): onnx.IAttributeProto {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {f: ${v}} for floats`);
    return { name, type: AT.INT, i: v };
  }
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('f' in v) return { name, type: AT.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  if ('s' in v) return { name, type: AT.STRING, s: Buffer.from(v.s, 'utf8') };
  return { name, type: AT.TENSOR, t: v.t };
}

function valueInfo(name: string, dims?: (number | string)[], elemType: number = DT.FLOAT): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
      },
    },
  };
}

export interface ConvOptions {
  weight: Data;
  /** [outChannels, inChannels / group, kH, kW] */
  dims: number[];
  bias?: Data;
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
  name?: string;
  /** Output tensor name (default `<name>_out`). */
  output?: string;
  storage?: 'raw' | 'float';
}

export interface GemmOptions {
  weight: Data;
  /** Weight dims as stored: [out, in] with transB (torch), [in, out] without. */
  dims: [number, number];
  bias?: Data;
  transB?: boolean;
  name?: string;
  output?: string;
  storage?: 'raw' | 'float';
}

export class OnnxBuilder {
  readonly opset: number;
  readonly irVersion: number;
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inits: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly valueInfos: onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(opts: { opset?: number; irVersion?: number } = {}) {
    this.opset = opts.opset ?? 13;
    this.irVersion = opts.irVersion ?? (this.opset >= 18 ? 8 : 7);
  }

  /** A fresh tensor / node name. */
  fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }

  input(name: string, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims?: (number | string)[]): string {
    this.outputs.push(valueInfo(name, dims));
    return name;
  }

  /** Record a shape for an intermediate tensor (value_info), as exporters do. */
  valueInfo(name: string, dims: (number | string)[]): void {
    this.valueInfos.push(valueInfo(name, dims));
  }

  initializer(name: string, dims: number[], data: Data, opts: TensorOptions = {}): string {
    this.inits.push(makeTensor(name, dims, data, opts));
    return name;
  }

  /** Graph input that is also an initializer (IR < 4 style, keep_initializers_as_inputs). */
  initializerAsInput(name: string): void {
    const t = this.inits.find((x) => x.name === name);
    if (!t) throw new Error(`no initializer ${name}`);
    this.inputs.push(valueInfo(name, (t.dims ?? []).map(Number)));
  }

  /** Constant node holding a tensor; returns its output name. */
  constant(dims: number[], data: Data, opts: TensorOptions & { name?: string } = {}): string {
    const out = opts.name ?? this.fresh('const');
    return this.node('Constant', [], { value: { t: makeTensor(out, dims, data, opts) } }, { output: out });
  }

  /** Generic node; returns its first output name. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, opts: { name?: string; output?: string; outputs?: string[] } = {}): string {
    const name = opts.name ?? this.fresh(op);
    const outputs = opts.outputs ?? [opts.output ?? `${name}_out`];
    this.nodes.push({
      name,
      opType: op,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
    });
    return outputs[0];
  }

  conv(x: string, o: ConvOptions): string {
    const name = o.name ?? this.fresh('Conv');
    const w = this.initializer(`${name}.weight`, o.dims, o.weight, { storage: o.storage });
    const inputs = [x, w];
    if (o.bias) inputs.push(this.initializer(`${name}.bias`, [o.dims[0]], o.bias, { storage: o.storage }));
    const k = o.dims.slice(2);
    return this.node('Conv', inputs, {
      kernel_shape: k,
      strides: o.strides ?? k.map(() => 1),
      pads: o.pads ?? k.concat(k).map(() => 0),
      dilations: o.dilations ?? k.map(() => 1),
      group: o.group ?? 1,
    }, { name, output: o.output });
  }

  gemm(x: string, o: GemmOptions): string {
    const name = o.name ?? this.fresh('Gemm');
    const w = this.initializer(`${name}.weight`, o.dims, o.weight, { storage: o.storage });
    const inputs = [x, w];
    const out = o.transB === false ? o.dims[1] : o.dims[0];
    // C is optional from opset 11 on; before, a zero bias stands in.
    const bias = o.bias ?? (this.opset < 11 ? new Array(out).fill(0) : undefined);
    if (bias) inputs.push(this.initializer(`${name}.bias`, [out], bias, { storage: o.storage }));
    return this.node('Gemm', inputs, { alpha: { f: 1 }, beta: { f: 1 }, transB: o.transB === false ? 0 : 1 }, { name, output: o.output });
  }

  /** x @ W (W stored [in, out]) plus an optional bias Add. */
  matmul(x: string, o: { weight: Data; dims: [number, number]; bias?: Data; name?: string }): string {
    const name = o.name ?? this.fresh('MatMul');
    const w = this.initializer(`${name}.weight`, o.dims, o.weight);
    let y = this.node('MatMul', [x, w], {}, { name });
    if (o.bias) y = this.add(y, this.initializer(`${name}.bias`, [o.dims[1]], o.bias), `${name}_bias`);
    return y;
  }

  relu(x: string, name?: string): string {
    return this.node('Relu', [x], {}, { name });
  }

  /** ReLU6-style Clip: min/max as inputs (opset >= 11) or attributes (before 11). */
  clip(x: string, min: number, max: number, name?: string): string {
    if (this.opset < 11) return this.node('Clip', [x], { min: { f: min }, max: { f: max } }, { name });
    const lo = this.initializer(this.fresh('clip_min'), [], [min]);
    const hi = this.initializer(this.fresh('clip_max'), [], [max]);
    return this.node('Clip', [x, lo, hi], {}, { name });
  }

  batchNorm(x: string, p: { scale: Data; bias: Data; mean: Data; variance: Data; epsilon?: number; name?: string }): string {
    const name = p.name ?? this.fresh('BatchNormalization');
    const c = p.scale.length;
    const ins = [x, ...(['scale', 'bias', 'mean', 'variance'] as const).map((k) => this.initializer(`${name}.${k}`, [c], p[k]))];
    return this.node('BatchNormalization', ins, { epsilon: { f: p.epsilon ?? 1e-5 } }, { name });
  }

  add(a: string, b: string, name?: string): string {
    return this.node('Add', [a, b], {}, { name });
  }

  identity(x: string, name?: string): string {
    return this.node('Identity', [x], {}, { name });
  }

  dropout(x: string, name?: string): string {
    return this.node('Dropout', [x], {}, { name });
  }

  flatten(x: string, axis = 1, name?: string): string {
    return this.node('Flatten', [x], { axis }, { name });
  }

  /** Reshape to a constant shape (an initializer, int64). */
  reshape(x: string, shape: number[], name?: string): string {
    const s = this.initializer(this.fresh('shape'), [shape.length], shape, { dataType: 'int64' });
    return this.node('Reshape', [x, s], {}, { name });
  }

  gap(x: string, name?: string): string {
    return this.node('GlobalAveragePool', [x], {}, { name });
  }

  maxPool(x: string, kernel: number, stride = kernel, pad = 0, name?: string): string {
    return this.node('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] }, { name });
  }

  avgPool(x: string, kernel: number, stride = kernel, pad = 0, name?: string): string {
    return this.node('AveragePool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] }, { name });
  }

  transpose(x: string, perm: number[], name?: string): string {
    return this.node('Transpose', [x], { perm }, { name });
  }

  /** SiLU as torch.onnx.export writes nn.SiLU at opset 14: Sigmoid(x) * x, nodes `<scope>/Sigmoid`, `<scope>/Mul`. */
  silu(x: string, scope = ''): string {
    const s = this.node('Sigmoid', [x], {}, { name: scope ? `${scope}/Sigmoid` : undefined });
    return this.node('Mul', [x, s], {}, { name: scope ? `${scope}/Mul` : undefined });
  }

  /** GELU in torch's Erf form: x * 0.5 * (1 + erf(x / sqrt 2)), nodes named under `<scope>/`. */
  geluErf(x: string, scope = ''): string {
    const n = (op: string) => (scope ? `${scope}/${op}` : undefined);
    const c = (v: number) => this.initializer(this.fresh('gelu_const'), [], [v]);
    const d = this.node('Div', [x, c(Math.SQRT2)], {}, { name: n('Div') });
    const e = this.node('Erf', [d], {}, { name: n('Erf') });
    const a = this.node('Add', [e, c(1)], {}, { name: n('Add') });
    const m = this.node('Mul', [x, a], {}, { name: n('Mul') });
    return this.node('Mul', [m, c(0.5)], {}, { name: n('Mul_1') });
  }

  /** The model; fromObject makes every nested message a class instance (as decode would). */
  build(): onnx.ModelProto {
    return onnx.ModelProto.fromObject({
      irVersion: this.irVersion,
      producerName: 'sparsity-lens-test',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: 'g',
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
        valueInfo: this.valueInfos,
      },
    });
  }

  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.build()).finish();
  }

  save(file: string): string {
    fs.writeFileSync(file, this.toBytes());
    return file;
  }
}

// --------------------------------------------------------------------- conv nets

export type ConvNetLayer =
  | { type: 'conv'; out: number; kernel: number; stride?: number; pad?: number; relu?: boolean }
  | { type: 'maxpool' | 'avgpool'; kernel: number; stride?: number; pad?: number }
  | { type: 'gap' }
  | { type: 'fc'; out: number; relu?: boolean; dropout?: boolean };

export interface ConvNetSpec {
  /** Input [channels, height, width]. */
  input: [number, number, number];
  /** Fixed batch (default 1, as torch.onnx.export writes) or 'dynamic'. */
  batch?: number | 'dynamic';
  /** Layers in order; a Flatten is inserted before the first fc. ReLU defaults to on. */
  layers: ConvNetLayer[];
  /** Seed of the weights (SeededRandom). Default 0. */
  seed?: number;
  opset?: number;
  /** Node names like torch exports (`/features/features.0/Conv`). Default true. */
  torchNames?: boolean;
}

/** AlexNet (torchvision) shape: 5 conv + 3 fc, 61.1M parameters. */
export const ALEXNET_SPEC: ConvNetSpec = {
  input: [3, 224, 224],
  layers: [
    { type: 'conv', out: 64, kernel: 11, stride: 4, pad: 2 },
    { type: 'maxpool', kernel: 3, stride: 2 },
    { type: 'conv', out: 192, kernel: 5, pad: 2 },
    { type: 'maxpool', kernel: 3, stride: 2 },
    { type: 'conv', out: 384, kernel: 3, pad: 1 },
    { type: 'conv', out: 256, kernel: 3, pad: 1 },
    { type: 'conv', out: 256, kernel: 3, pad: 1 },
    { type: 'maxpool', kernel: 3, stride: 2 },
    { type: 'fc', out: 4096, dropout: true },
    { type: 'fc', out: 4096, dropout: true },
    { type: 'fc', out: 1000, relu: false },
  ],
};

/** VGG11 (torchvision, configuration A) shape: 8 conv + 3 fc, 132.9M parameters. */
export const VGG11_SPEC: ConvNetSpec = {
  input: [3, 224, 224],
  layers: [
    ...([[64], [128], [256, 256], [512, 512], [512, 512]] as number[][]).flatMap((block) => [
      ...block.map((out): ConvNetLayer => ({ type: 'conv', out, kernel: 3, pad: 1 })),
      { type: 'maxpool' as const, kernel: 2, stride: 2 },
    ]),
    { type: 'fc', out: 4096, dropout: true },
    { type: 'fc', out: 4096, dropout: true },
    { type: 'fc', out: 1000, relu: false },
  ],
};

/** Uniform(-bound, bound) float32 values from SeededRandom. */
function uniform(n: number, bound: number, rng: SeededRandom): Float32Array {
  const a = new Float32Array(n);
  const w = 2 * bound;
  for (let i = 0; i < n; i++) a[i] = (rng.next() - 0.5) * w;
  return a;
}

/**
 * A random-weight conv net (He-uniform weights, small uniform biases) following `spec`.
 * Returns the builder (`.save(path)`, `.toBytes()`); the last layer's output is the graph
 * output `logits`. AlexNet size (61M parameters) builds in about a second.
 */
export function buildConvNet(spec: ConvNetSpec): OnnxBuilder {
  const b = new OnnxBuilder({ opset: spec.opset ?? 13 });
  const rng = new SeededRandom(spec.seed ?? 0);
  const torchNames = spec.torchNames ?? true;
  let [c, h, w] = spec.input;
  const batch = spec.batch === 'dynamic' ? 'batch' : spec.batch ?? 1;
  let x = b.input('input', [batch, c, h, w]);
  let flat: number | null = null; // features once flattened
  let feat = 0; // torch-like module index
  let cls = 0;
  const last = spec.layers.length - 1;
  spec.layers.forEach((l, li) => {
    const isLast = li === last;
    const nm = (section: string, i: number, op: string): string | undefined =>
      torchNames ? `/${section}/${section}.${i}/${op}` : undefined;
    if (l.type === 'conv') {
      const k = l.kernel;
      const fanIn = c * k * k;
      const s = l.stride ?? 1;
      const p = l.pad ?? 0;
      x = b.conv(x, {
        name: nm('features', feat++, 'Conv'),
        dims: [l.out, c, k, k],
        weight: uniform(l.out * fanIn, Math.sqrt(6 / fanIn), rng),
        bias: uniform(l.out, 1 / Math.sqrt(fanIn), rng),
        strides: [s, s],
        pads: [p, p, p, p],
        output: isLast ? 'logits' : undefined,
      });
      c = l.out;
      h = Math.floor((h + 2 * p - k) / s) + 1;
      w = Math.floor((w + 2 * p - k) / s) + 1;
      if (l.relu !== false && !isLast) x = b.relu(x, nm('features', feat++, 'Relu'));
    } else if (l.type === 'maxpool' || l.type === 'avgpool') {
      const s = l.stride ?? l.kernel;
      const p = l.pad ?? 0;
      const op = l.type === 'maxpool' ? 'MaxPool' : 'AveragePool';
      x = b.node(op, [x], { kernel_shape: [l.kernel, l.kernel], strides: [s, s], pads: [p, p, p, p] }, { name: nm('features', feat++, op), output: isLast ? 'logits' : undefined });
      h = Math.floor((h + 2 * p - l.kernel) / s) + 1;
      w = Math.floor((w + 2 * p - l.kernel) / s) + 1;
    } else if (l.type === 'gap') {
      x = b.node('GlobalAveragePool', [x], {}, { name: torchNames ? '/avgpool/GlobalAveragePool' : undefined, output: isLast ? 'logits' : undefined });
      h = w = 1;
    } else if (l.type === 'fc') {
      if (flat === null) {
        x = b.flatten(x, 1, torchNames ? '/Flatten' : undefined);
        flat = c * h * w;
      }
      if (l.dropout) cls++; // torch: Dropout modules are folded away by the export
      x = b.gemm(x, {
        name: nm('classifier', cls++, 'Gemm'),
        dims: [l.out, flat],
        weight: uniform(l.out * flat, Math.sqrt(6 / flat), rng),
        bias: uniform(l.out, 1 / Math.sqrt(flat), rng),
        transB: true,
        output: isLast ? 'logits' : undefined,
      });
      flat = l.out;
      if (l.relu !== false && !isLast) x = b.relu(x, nm('classifier', cls++, 'Relu'));
    }
  });
  b.output(x, flat !== null ? [batch, flat] : [batch, c, h, w]);
  return b;
}
