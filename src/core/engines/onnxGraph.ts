/**
 * ONNX graph helpers for the ONNX engine (src/core/engines/onnx.ts): reading a ModelProto,
 * finding the image input, static shape inference, the METHOD §2 default taps and their
 * names, and the in-memory edits a session needs (extra outputs, per-channel reduction,
 * dynamic batch, lesion controls of METHOD §8). Nothing here touches the model file.
 *
 * The decoded ModelProto of a loaded model is shared by every session and is never
 * mutated after loading: session edits build new node / tensor / graph objects.
 */
import { onnx } from 'onnx-proto';
import { SeededRandom } from '../random';
import type { PermutationRegion } from '../shuffleRegions';
import type { Recognised } from '../taps/activations';
import { defaultTapIds, planTaps, sanitizeName, TapPlan } from '../taps/select';
import { AxisLabel, GraphView, unitAxisOf } from '../taps/view';
import { ControlChanges, LayerInfo, LayerKind, ModelVariant, TokenUnit, UnitMode } from '../types';
import { nonlinearity } from '../taps/activations';
import { buildOnnxView } from './onnxView';

// ---------------------------------------------------------------- small utilities

type Int64 = number | { toNumber(): number } | null | undefined;

/** int64 fields decode as Long objects when the `long` package is present. */
export function num(v: Int64): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Unknown dimension. */
export type Dim = number | null;
/** A tensor shape with unknown entries; `null` as a whole means unknown rank. */
export type Shape = Dim[] | null;

export const DT = onnx.TensorProto.DataType;

const DTYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64',
  15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2',
  20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
};
export function dtypeName(t: number): string {
  return DTYPE_NAMES[t] ?? `dtype ${t}`;
}

/** Bytes per element in raw_data, or 0 when elements are not whole bytes / not fixed width. */
function rawElementSize(t: number): number {
  switch (t) {
    case DT.UINT8: case DT.INT8: case DT.BOOL: case 17: case 18: case 19: case 20: return 1;
    case DT.UINT16: case DT.INT16: case DT.FLOAT16: case DT.BFLOAT16: return 2;
    case DT.FLOAT: case DT.INT32: case DT.UINT32: return 4;
    case DT.INT64: case DT.UINT64: case DT.DOUBLE: case DT.COMPLEX64: return 8;
    default: return 0;
  }
}

export function tensorElementCount(t: onnx.ITensorProto): number {
  return (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
}

function copyBytes(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.byteLength);
  out.set(src);
  return out;
}

/** Numeric values of a small constant tensor (shapes, axes, clip bounds). */
export function tensorValues(t: onnx.ITensorProto): number[] {
  const type = t.dataType ?? 0;
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const b = copyBytes(raw);
    const dv = new DataView(b.buffer);
    const size = rawElementSize(type);
    const n = size ? Math.floor(b.byteLength / size) : 0;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (type) {
        case DT.FLOAT: out.push(dv.getFloat32(o, true)); break;
        case DT.DOUBLE: out.push(dv.getFloat64(o, true)); break;
        case DT.INT64: out.push(Number(dv.getBigInt64(o, true))); break;
        case DT.UINT64: out.push(Number(dv.getBigUint64(o, true))); break;
        case DT.INT32: out.push(dv.getInt32(o, true)); break;
        case DT.UINT32: out.push(dv.getUint32(o, true)); break;
        case DT.INT16: out.push(dv.getInt16(o, true)); break;
        case DT.UINT16: out.push(dv.getUint16(o, true)); break;
        case DT.INT8: out.push(dv.getInt8(o)); break;
        case DT.UINT8: case DT.BOOL: out.push(dv.getUint8(o)); break;
        case DT.FLOAT16: out.push(halfToFloat(dv.getUint16(o, true))); break;
        default: throw new Error(`cannot read constant of type ${dtypeName(type)}`);
      }
    }
    return out;
  }
  if (type === DT.FLOAT16) return (t.int32Data ?? []).map(halfToFloat);
  if (t.floatData?.length) return t.floatData.slice();
  if (t.doubleData?.length) return t.doubleData.slice();
  if (t.int64Data?.length) return t.int64Data.map(num);
  if (t.uint64Data?.length) return t.uint64Data.map(num);
  if (t.int32Data?.length) return t.int32Data.slice();
  return [];
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * A copy of `t` whose elements are shuffled (Fisher–Yates over the whole flattened tensor,
 * `rng.shuffle`). Works on raw_data for every whole-byte fixed-width dtype (float32, float16,
 * bfloat16, float64, int8..int64; bit patterns are moved, never converted) and on the typed
 * repeated fields (float_data, int32_data, int64_data, double_data, uint64_data).
 * Throws for string, complex128 and sub-byte (int4/uint4) tensors.
 */
export function shuffledTensor(t: onnx.ITensorProto, rng: SeededRandom): onnx.TensorProto {
  const type = t.dataType ?? 0;
  const out = new onnx.TensorProto({ ...t });
  const n = tensorElementCount(t);
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const size = rawElementSize(type);
    if (!size) throw new Error(`cannot permute a ${dtypeName(type)} tensor`);
    if (raw.byteLength !== n * size) throw new Error(`tensor ${t.name}: raw_data has ${raw.byteLength} bytes, expected ${n * size}`);
    const b = copyBytes(raw);
    const view =
      size === 1 ? b : size === 2 ? new Uint16Array(b.buffer) : size === 4 ? new Uint32Array(b.buffer) : new BigUint64Array(b.buffer);
    rng.shuffle(view);
    out.rawData = b;
    return out;
  }
  const fields = ['floatData', 'int32Data', 'int64Data', 'doubleData', 'uint64Data'] as const;
  for (const f of fields) {
    const arr = t[f] as unknown[] | null | undefined;
    if (arr && arr.length > 0) {
      if (arr.length !== n) throw new Error(`tensor ${t.name}: ${f} has ${arr.length} values, expected ${n}`);
      (out as unknown as Record<string, unknown[]>)[f] = rng.shuffle(arr.slice());
      return out;
    }
  }
  if (n <= 1) return out; // a scalar or empty tensor is its own permutation
  throw new Error(`cannot permute tensor ${t.name} (${dtypeName(type)}): no supported data field`);
}

// ---------------------------------------------------------------- graph analysis

/** Ops whose output is a copy of the input (skipped as layers, traversed when tracing). */
const COPY_OPS = new Set(['Identity', 'Dropout']);
/** Ops that turn activations into shape metadata (not activations). */
const SHAPE_OPS = new Set(['Shape', 'Size']);
/** Ops a default tap may be reached through from its Conv / Gemm / MatMul. */
const TAP_PASS_OPS = new Set(['BatchNormalization', 'Add', 'Identity', 'Dropout']);
const WEIGHT_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
const SAME_SHAPE_OPS = new Set([
  'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh',
  'Softplus', 'Softsign', 'Mish', 'Gelu', 'Erf', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil',
  'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LRN', 'Softmax',
  'LogSoftmax', 'Cast', 'Not', 'ThresholdedRelu', 'Shrink', 'Round', 'Sign',
]);
const BROADCAST_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Greater', 'Less', 'Where']);
const POOL_OPS = new Set(['MaxPool', 'AveragePool', 'LpPool']);
const REDUCE_OPS = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare']);

export interface GraphNode {
  /** Position in topological order. */
  index: number;
  node: onnx.INodeProto;
  op: string;
}

export interface ModelAnalysis {
  model: onnx.IModelProto;
  graph: onnx.IGraphProto;
  /** Opset of the default ONNX domain. */
  opset: number;
  /** Nodes in topological order. */
  nodes: GraphNode[];
  inputName: string;
  /** Input dims as stored (dimValue, or null for symbolic / missing). */
  inputDims: Dim[];
  /** Name of the model's (first) graph output: the logits. */
  logitsName: string | null;
  /** Tensor name -> producing node. */
  producer: Map<string, GraphNode>;
  /** Tensor name -> consuming nodes. */
  consumers: Map<string, GraphNode[]>;
  initializers: Map<string, onnx.ITensorProto>;
  /** Tensors computed from the image input (not constants, not shape metadata). */
  activations: Set<string>;
  /** Inferred shapes including the batch dimension (index 0, unknown = null). */
  shapes: Map<string, Shape>;
  /** Readable layers, in graph order. */
  layers: LayerInfo[];
  /** True if the default taps form a plain chain (AlexNet / VGG naming). */
  plainChain: boolean;
  /** The neutral view tap selection works on. */
  view: GraphView;
  /** Default taps per mode, names, aliases (taps/select.ts). */
  plan: TapPlan;
  /** Activations (by output tensor) and gates, for the no-nonlinearity control. */
  recognised: Recognised;
  /** Axis labels per activation tensor (null: layout unknown). */
  axes: Map<string, AxisLabel[] | null>;
}

export class GraphError extends Error {}

export function defaultOpset(model: onnx.IModelProto): number {
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') return num(o.version);
  }
  return 0;
}

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a ? num(a.i) : dflt;
}
export function attrInts(node: onnx.INodeProto, name: string): number[] | null {
  const a = attr(node, name);
  return a ? (a.ints ?? []).map(num) : null;
}
function attrFloat(node: onnx.INodeProto, name: string): number | null {
  const a = attr(node, name);
  return a ? (a.f ?? 0) : null;
}
function attrString(node: onnx.INodeProto, name: string): string | null {
  const a = attr(node, name);
  return a?.s ? Buffer.from(a.s).toString('utf8') : null;
}

function dimsOf(vi: onnx.IValueInfoProto | undefined): Shape {
  const shape = vi?.type?.tensorType?.shape;
  if (!vi?.type?.tensorType || !shape) return null;
  return (shape.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null));
}

/** Kahn's algorithm, keeping the file's order among ready nodes (ONNX files are usually sorted already). */
function topoSort(graph: onnx.IGraphProto, available: Set<string>): onnx.INodeProto[] {
  const nodes = graph.node ?? [];
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producedBy.set(o, i)));
  const deps: number[][] = nodes.map(() => []);
  const pending = nodes.map(() => 0);
  nodes.forEach((n, i) => {
    const seen = new Set<number>();
    for (const inp of nodeInputs(n)) {
      const p = producedBy.get(inp);
      if (p !== undefined && p !== i && !available.has(inp) && !seen.has(p)) {
        seen.add(p);
        deps[p].push(i);
        pending[i]++;
      }
    }
  });
  const ready: number[] = [];
  pending.forEach((c, i) => c === 0 && ready.push(i));
  const order: onnx.INodeProto[] = [];
  // Small graphs: a sorted ready list is enough (min-index first keeps file order).
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const j of deps[i]) if (--pending[j] === 0) ready.push(j);
  }
  if (order.length !== nodes.length) throw new GraphError('the graph has a cycle or a node input that nothing produces');
  return order;
}

/** Inputs of a node including outer-scope names its subgraphs (If / Loop / Scan) read. */
export function nodeInputs(node: onnx.INodeProto): string[] {
  const out = (node.input ?? []).filter((s) => !!s);
  for (const a of node.attribute ?? []) {
    const graphs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
    for (const g of graphs) {
      const local = new Set<string>([
        ...(g.initializer ?? []).map((t) => t.name ?? ''),
        ...(g.input ?? []).map((v) => v.name ?? ''),
      ]);
      for (const n of g.node ?? []) for (const o of n.output ?? []) local.add(o);
      for (const n of g.node ?? []) for (const i of nodeInputs(n)) if (!local.has(i)) out.push(i);
    }
  }
  return out;
}

export interface ConstantLookup {
  initializers: Map<string, onnx.ITensorProto>;
  producer: Map<string, GraphNode>;
  /** Batch size the model file fixes for its input (torch.onnx.export writes 1), if any. */
  fixedBatch?: Dim;
  /** Values of shape arithmetic computed from the image's static shape (Shape -> Gather -> Concat ...); null entries unknown. */
  values?: Map<string, Dim[]>;
}

/** A constant, or a shape value computed from static shapes (unknown entries null). */
export function valuesOf(name: string | undefined | null, c: ConstantLookup): Dim[] | null {
  if (!name) return null;
  return constValues(name, c) ?? c.values?.get(name) ?? null;
}

/**
 * Values of the small integer tensors exporters compute from shapes (torch writes
 * `x.view(x.size(0), -1)` and `expand(n, -1, -1)` as Shape -> Gather -> Unsqueeze -> Concat,
 * ConstantOfShape / Equal / Where): evaluated on the static shapes, so that the Reshape /
 * Expand / Slice behind them get a static shape too. The batch entry stays unknown (null).
 */
function evalShapeValues(g: GraphNode, shapeOf: (n: string) => Shape, c: ConstantLookup, opset: number): Dim[] | null {
  const node = g.node;
  const inputs = node.input ?? [];
  const v = (i: number): Dim[] | null => valuesOf(inputs[i], c);
  const elementwise = (f: (a: number, b: number) => number): Dim[] | null => {
    const a = v(0);
    const b = v(1);
    if (!a || !b) return null;
    const n = Math.max(a.length, b.length);
    if (a.length !== n && a.length !== 1) return null;
    if (b.length !== n && b.length !== 1) return null;
    return Array.from({ length: n }, (_, i) => {
      const x = a[a.length === 1 ? 0 : i];
      const y = b[b.length === 1 ? 0 : i];
      return x === null || y === null ? null : f(x, y);
    });
  };
  switch (g.op) {
    case 'Shape': {
      // A 1-D value vector (shape arithmetic itself, e.g. ViT's expand(n, -1, -1)) has shape [length].
      const vals = shapeOf(inputs[0] ?? '') ? null : v(0);
      const s = shapeOf(inputs[0] ?? '') ?? (vals ? [vals.length] : null);
      if (!s) return null;
      const start = attrInt(node, 'start', 0);
      const endA = attr(node, 'end');
      const norm = (k: number) => Math.max(0, Math.min(s.length, k < 0 ? k + s.length : k));
      return s.slice(norm(start), endA ? norm(num(endA.i)) : s.length);
    }
    case 'Size': {
      const s = shapeOf(inputs[0] ?? '');
      return s ? [product(s)] : null;
    }
    case 'Gather': {
      const data = v(0);
      const idx = v(1);
      if (!data || !idx || attrInt(node, 'axis', 0) !== 0) return null;
      return idx.map((i) => (i === null ? null : data[i < 0 ? i + data.length : i] ?? null));
    }
    case 'Unsqueeze': case 'Squeeze': case 'Cast': case 'Identity':
      return v(0);
    case 'Reshape': {
      const x = v(0);
      const t = v(1);
      return x && t && t.length === 1 && (t[0] === -1 || t[0] === x.length) ? x : null;
    }
    case 'Concat': {
      const parts = inputs.map((_, i) => v(i));
      return parts.some((p) => p === null) ? null : (parts as Dim[][]).flat();
    }
    case 'Slice': {
      const data = v(0);
      if (!data) return null;
      const starts = opset >= 10 ? v(1) : attrInts(node, 'starts');
      const ends = opset >= 10 ? v(2) : attrInts(node, 'ends');
      if (!starts || !ends || starts[0] === null || ends[0] === null) return null;
      const clamp = (k: number) => Math.max(0, Math.min(data.length, k < 0 ? k + data.length : k));
      return data.slice(clamp(starts[0]), clamp(ends[0]));
    }
    case 'Add': return elementwise((a, b) => a + b);
    case 'Sub': return elementwise((a, b) => a - b);
    case 'Mul': return elementwise((a, b) => a * b);
    case 'Div': return elementwise((a, b) => Math.trunc(a / b));
    case 'Equal': return elementwise((a, b) => (a === b ? 1 : 0));
    case 'ConstantOfShape': {
      const shape = v(0);
      const t = attr(node, 'value')?.t;
      const fill = t ? tensorValues(t)[0] ?? 0 : 0;
      if (!shape || shape.length !== 1 || shape[0] === null) return null;
      return new Array<Dim>(shape[0]).fill(fill);
    }
    case 'Where': {
      const cond = v(0);
      const a = v(1);
      const b = v(2);
      if (!cond || !a || !b) return null;
      const n = Math.max(cond.length, a.length, b.length);
      const at = (x: Dim[], i: number) => x[x.length === 1 ? 0 : i];
      return Array.from({ length: n }, (_, i) => {
        const k = at(cond, i);
        return k === null ? null : k ? at(a, i) : at(b, i);
      });
    }
    default:
      return null;
  }
}

/** Value of a constant tensor: initializer, Constant node, or through Identity. */
export function constTensor(name: string, c: ConstantLookup): onnx.ITensorProto | null {
  for (let guard = 0; guard < 100; guard++) {
    const init = c.initializers.get(name);
    if (init) return init;
    const p = c.producer.get(name);
    if (!p) return null;
    if (p.op === 'Identity') {
      name = p.node.input?.[0] ?? '';
      continue;
    }
    if (p.op === 'Constant') return constantNodeTensor(p.node);
    return null;
  }
  return null;
}

function constantNodeTensor(node: onnx.INodeProto): onnx.ITensorProto | null {
  for (const a of node.attribute ?? []) {
    switch (a.name) {
      case 'value': return a.t ?? null;
      case 'value_float': return { dataType: DT.FLOAT, dims: [], floatData: [a.f ?? 0] };
      case 'value_floats': return { dataType: DT.FLOAT, dims: [(a.floats ?? []).length], floatData: a.floats ?? [] };
      case 'value_int': return { dataType: DT.INT64, dims: [], int64Data: [num(a.i)] };
      case 'value_ints': return { dataType: DT.INT64, dims: [(a.ints ?? []).length], int64Data: (a.ints ?? []).map(num) };
    }
  }
  return null;
}

export function constValues(name: string | undefined | null, c: ConstantLookup): number[] | null {
  if (!name) return null;
  const t = constTensor(name, c);
  return t ? tensorValues(t) : null;
}

/** Clip bounds (attributes before opset 11, optional inputs from 11 on). */
export function clipBounds(node: onnx.INodeProto, c: ConstantLookup): { min: number | null; max: number | null } {
  const inputs = node.input ?? [];
  let min = attrFloat(node, 'min');
  let max = attrFloat(node, 'max');
  if (inputs.length > 1 && inputs[1]) min = constValues(inputs[1], c)?.[0] ?? NaN;
  if (inputs.length > 2 && inputs[2]) max = constValues(inputs[2], c)?.[0] ?? NaN;
  return { min, max };
}

/** Display name from a node name (taps/select.ts). */
export { sanitizeName };

// ------------------------------------------------------------------ shape inference

function convOut(inDim: Dim, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean, autoPad: string): Dim {
  if (inDim === null) return null;
  const ek = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(inDim / s);
  if (autoPad === 'VALID') return Math.floor((inDim - ek) / s) + 1;
  const v = (inDim + pb + pe - ek) / s;
  let out = (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
  // ceil_mode: the last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= inDim + pb) out--;
  return out;
}

function spatialOut(node: onnx.INodeProto, x: Dim[], kernel: number[], channels: Dim, ceil: boolean): Shape {
  const r = x.length - 2;
  if (r < 1 || kernel.length !== r) return null;
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const dil = attrInts(node, 'dilations') ?? kernel.map(() => 1);
  const pads = attrInts(node, 'pads') ?? kernel.map(() => 0).concat(kernel.map(() => 0));
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  const out: Dim[] = [x[0], channels];
  for (let i = 0; i < r; i++) out.push(convOut(x[i + 2], kernel[i], strides[i] ?? 1, dil[i] ?? 1, pads[i] ?? 0, pads[i + r] ?? 0, ceil, autoPad));
  return out;
}

function broadcast(shapes: Shape[]): Shape {
  if (shapes.some((s) => s === null)) return null;
  const ss = shapes as Dim[][];
  const rank = Math.max(...ss.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    let unknown = false;
    for (const s of ss) {
      const v = s[s.length - rank + i];
      if (v === undefined) continue;
      if (v === null) unknown = true;
      else if (v !== 1) d = v;
    }
    out.push(d !== 1 ? d : unknown ? null : 1);
  }
  return out;
}

function product(dims: Dim[]): Dim {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function inferNode(g: GraphNode, shapeOf: (n: string) => Shape, c: ConstantLookup, opset: number): Shape {
  const node = g.node;
  const inputs = node.input ?? [];
  const x = shapeOf(inputs[0] ?? '');
  const op = g.op;
  if (SAME_SHAPE_OPS.has(op)) return x;
  if (BROADCAST_OPS.has(op)) return broadcast(inputs.filter((s) => !!s).map(shapeOf));
  if (x === null && op === 'Gemm') {
    // Input shape unknown (e.g. a Reshape to a computed shape): the weight still gives the units.
    const b = constTensor(inputs[1] ?? '', c);
    if (!b) return null;
    const bd = (b.dims ?? []).map(num);
    return [null, attrInt(node, 'transB', 0) ? bd[0] : bd[1]];
  }
  if (x === null) return null;
  switch (op) {
    case 'Conv': {
      const w = constTensor(inputs[1] ?? '', c);
      const wd = w ? (w.dims ?? []).map(num) : null;
      const kernel = attrInts(node, 'kernel_shape') ?? (wd ? wd.slice(2) : null);
      if (!kernel) return null;
      return spatialOut(node, x, kernel, wd ? wd[0] : null, false);
    }
    case 'MaxPool': case 'AveragePool': case 'LpPool': {
      const kernel = attrInts(node, 'kernel_shape');
      if (!kernel) return null;
      return spatialOut(node, x, kernel, x[1], attrInt(node, 'ceil_mode', 0) === 1);
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
      return [x[0], x[1], ...x.slice(2).map(() => 1)];
    case 'Flatten': {
      const axis = normAxis(attrInt(node, 'axis', 1), x.length);
      return [product(x.slice(0, axis)), product(x.slice(axis))];
    }
    case 'Expand': {
      const target = valuesOf(inputs[1], c);
      return target ? broadcast([x, target]) : null;
    }
    case 'Gather': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const idxShape = constTensor(inputs[1] ?? '', c)?.dims?.map(num) ?? shapeOf(inputs[1] ?? '');
      if (!idxShape) return null;
      return [...x.slice(0, axis), ...idxShape, ...x.slice(axis + 1)];
    }
    case 'Slice': {
      if (opset < 10) return null;
      const starts = valuesOf(inputs[1], c);
      const ends = valuesOf(inputs[2], c);
      const axes = inputs[3] ? valuesOf(inputs[3], c) : starts?.map((_, i) => i) ?? null;
      const steps = inputs[4] ? valuesOf(inputs[4], c) : starts?.map(() => 1) ?? null;
      if (!starts || !ends || !axes || !steps) return null;
      const out = x.slice();
      for (let k = 0; k < axes.length; k++) {
        const ax = axes[k];
        if (ax === null) return null;
        const a = normAxis(ax, x.length);
        const d = x[a];
        const st = starts[k];
        const en = ends[k];
        const sp = steps[k];
        if (d === null || st === null || en === null || sp === null || sp <= 0) {
          out[a] = null;
          continue;
        }
        const clamp = (q: number) => Math.max(0, Math.min(d, q < 0 ? q + d : q));
        out[a] = Math.max(0, Math.ceil((clamp(en) - clamp(st)) / sp));
      }
      return out;
    }
    case 'Reshape': {
      const target = valuesOf(inputs[1], c);
      if (!target) return null;
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      const out: Dim[] = target.map((v, i) => (v === 0 && !allowZero ? (x[i] ?? null) : v === -1 ? -1 : v));
      // The exported batch size written into the target where the input's batch is unknown:
      // that axis is the batch (the session copies it, see unpinBatch).
      if (x[0] === null && out.length > 1 && c.fixedBatch != null && out[0] === c.fixedBatch) out[0] = null;
      const inKnown = x.filter((d) => d !== null).reduce<number>((a, d) => a * (d as number), 1);
      const inUnknown = x.filter((d) => d === null).length;
      const outKnown = out.filter((d) => d !== null && d !== -1).reduce<number>((a, d) => a * (d as number), 1);
      const outUnknown = out.filter((d) => d === null).length;
      return out.map((d) => (d === -1 ? (inUnknown === outUnknown && outKnown > 0 ? inKnown / outKnown : null) : d));
    }
    case 'Gemm': {
      const b = constTensor(inputs[1] ?? '', c);
      if (x.length !== 2) return null;
      const m = attrInt(node, 'transA', 0) ? x[1] : x[0];
      let n: Dim = null;
      if (b) {
        const bd = (b.dims ?? []).map(num);
        n = attrInt(node, 'transB', 0) ? bd[0] : bd[1];
      }
      return [m, n];
    }
    case 'MatMul': {
      const b = constTensor(inputs[1] ?? '', c);
      const bs: Shape = b ? (b.dims ?? []).map(num) : shapeOf(inputs[1] ?? '');
      if (!bs || bs.length < 2 || x.length < 2) return null;
      const batch = broadcast([x.slice(0, -2), bs.slice(0, -2)]);
      return batch ? [...batch, x[x.length - 2], bs[bs.length - 1]] : null;
    }
    case 'Concat': {
      const shapes = inputs.map(shapeOf);
      if (shapes.some((s) => s === null)) return null;
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const out = x.slice();
      out[axis] = (shapes as Dim[][]).reduce<Dim>((a, s) => (a === null || s[axis] === null ? null : a + (s[axis] as number)), 0);
      return out;
    }
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      return perm.map((p) => x[p] ?? null);
    }
    case 'Squeeze': case 'Unsqueeze': {
      const axes = opset >= 13 ? constValues(inputs[1], c) : attrInts(node, 'axes');
      if (op === 'Squeeze') {
        if (!axes) return x.every((d) => d !== null) ? x.filter((d) => d !== 1) : null;
        const ax = new Set(axes.map((a) => normAxis(a, x.length)));
        return x.filter((_, i) => !ax.has(i));
      }
      if (!axes) return null;
      const rank = x.length + axes.length;
      const ax = new Set(axes.map((a) => normAxis(a, rank)));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(ax.has(i) ? 1 : x[j++]);
      return out;
    }
    case 'Pad': {
      const pads = opset >= 11 ? constValues(inputs[1], c) : attrInts(node, 'pads');
      if (!pads || pads.length !== 2 * x.length) return null;
      return x.map((d, i) => (d === null ? null : d + pads[i] + pads[i + x.length]));
    }
    default:
      if (REDUCE_OPS.has(op)) {
        const keep = attrInt(node, 'keepdims', 1) === 1;
        const axesFromInput = (op === 'ReduceSum' && opset >= 13) || opset >= 18;
        const axes = axesFromInput ? constValues(inputs[1], c) : attrInts(node, 'axes');
        const ax = new Set((axes && axes.length ? axes : x.map((_, i) => i)).map((a) => normAxis(a, x.length)));
        const out: Dim[] = [];
        x.forEach((d, i) => (ax.has(i) ? keep && out.push(1) : out.push(d)));
        return out;
      }
      return null;
  }
}

// ------------------------------------------------------------------ analysis

/**
 * Analyse a model, in phases: the image input, node order and tensor maps, which tensors are
 * activations, static shapes, the neutral view (onnxView.ts) and the tap plan (taps/select.ts),
 * and the readable layers.
 */
export function analyseModel(model: onnx.IModelProto): ModelAnalysis {
  const graph = model.graph;
  if (!graph) throw new GraphError('the file has no graph');
  const opset = defaultOpset(model);
  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) initializers.set(t.name, t);
  const { inputName, inputDims, realInputs } = imageInput(graph, initializers);
  const { nodes, producer, consumers } = orderNodes(graph, initializers, realInputs);
  const lookup: ConstantLookup = { initializers, producer, values: new Map(), fixedBatch: inputDims[0] };
  const activations = activationTensors(nodes, inputName);
  const shapes = inferShapes(graph, nodes, inputName, inputDims, activations, lookup, opset);
  const logitsName = graph.output?.[0]?.name ?? null;
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const { view, recognised, axes } = buildOnnxView({ nodes, inputName, activations, shapes, lookup, consumers, graphOutputs, opset });
  const plan = planTaps(view);
  const layers = listLayers(view, plan);
  return {
    model, graph, opset, nodes, inputName, inputDims, logitsName, producer, consumers, initializers, activations, shapes, layers,
    plainChain: plan.plainChain, view, plan, recognised, axes,
  };
}

/** The single float32 NCHW image input; a GraphError naming the problem otherwise. */
function imageInput(graph: onnx.IGraphProto, initializers: Map<string, onnx.ITensorProto>): { inputName: string; inputDims: Dim[]; realInputs: onnx.IValueInfoProto[] } {
  const realInputs = (graph.input ?? []).filter((v) => v.name && !initializers.has(v.name));
  if (realInputs.length === 0) throw new GraphError('the graph has no input (every input is an initializer)');
  const input = realInputs[0];
  const inputName = input.name!;
  const inputDims = dimsOf(input);
  if (!inputDims || inputDims.length !== 4) {
    throw new GraphError(
      `its input "${inputName}" has shape ${inputDims ? '[' + inputDims.map((d) => d ?? '?').join(', ') + ']' : '(unknown)'}, not a 4-D image batch`,
    );
  }
  const elemType = input.type?.tensorType?.elemType ?? 0;
  if (elemType !== DT.FLOAT) {
    throw new GraphError(`its input "${inputName}" holds ${dtypeName(elemType)} values; this engine feeds float32 images`);
  }
  if (realInputs.length > 1) {
    throw new GraphError(
      `it has ${realInputs.length} inputs (${realInputs.map((v) => v.name).join(', ')}); only models with a single image input can be run`,
    );
  }
  const [, ch, , last] = inputDims;
  if (last !== null && (last === 1 || last === 3) && ch !== null && ch !== 1 && ch !== 3) {
    throw new GraphError(
      `its input "${inputName}" has shape [${inputDims.map((d) => d ?? '?').join(', ')}], channels last (NHWC); this engine reads channels-first (NCHW) models`,
    );
  }
  return { inputName, inputDims, realInputs };
}

function orderNodes(graph: onnx.IGraphProto, initializers: Map<string, onnx.ITensorProto>, realInputs: onnx.IValueInfoProto[]) {
  const available = new Set<string>([...initializers.keys(), ...realInputs.map((v) => v.name!)]);
  const ordered = topoSort(graph, available);
  const nodes: GraphNode[] = ordered.map((node, index) => ({ index, node, op: node.opType ?? '' }));
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, GraphNode[]>();
  for (const g of nodes) {
    for (const o of g.node.output ?? []) if (o) producer.set(o, g);
    for (const i of nodeInputs(g.node)) {
      const list = consumers.get(i) ?? [];
      if (!list.includes(g)) list.push(g);
      consumers.set(i, list);
    }
  }
  return { nodes, producer, consumers };
}

/** Everything computed from the image input, except shape metadata. */
function activationTensors(nodes: GraphNode[], inputName: string): Set<string> {
  const activations = new Set<string>([inputName]);
  for (const g of nodes) {
    if (SHAPE_OPS.has(g.op)) continue;
    if (nodeInputs(g.node).some((i) => activations.has(i))) for (const o of g.node.output ?? []) if (o) activations.add(o);
  }
  return activations;
}

/**
 * Static shapes with the batch axis (index 0) unknown. Shape arithmetic on the way (Shape ->
 * Gather -> Concat -> Reshape) is evaluated into lookup.values; stored value_info / outputs
 * fill what the inference leaves open.
 */
function inferShapes(
  graph: onnx.IGraphProto,
  nodes: GraphNode[],
  inputName: string,
  inputDims: Dim[],
  activations: Set<string>,
  lookup: ConstantLookup,
  opset: number,
): Map<string, Shape> {
  const stored = new Map<string, Shape>();
  for (const vi of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const s = dimsOf(vi);
    if (vi.name && s) stored.set(vi.name, s.length ? [null, ...s.slice(1)] : s);
  }
  const shapes = new Map<string, Shape>();
  shapes.set(inputName, [null, ...inputDims.slice(1)]);
  const shapeOf = (n: string): Shape => {
    if (shapes.has(n)) return shapes.get(n)!;
    const t = lookup.initializers.get(n) ?? constTensor(n, lookup);
    if (t) return (t.dims ?? []).map(num);
    return stored.get(n) ?? null;
  };
  const valid = (s: Shape): boolean => s !== null && s.every((d) => d === null || (Number.isInteger(d) && d >= 0));
  for (const g of nodes) {
    const out0 = g.node.output?.[0];
    if (!out0) continue;
    if (!activations.has(out0)) {
      // Shape arithmetic: its values, for the Reshape / Expand / Slice that read them; and the
      // shape of constants computed in the graph (ViT's class token, expanded to the batch).
      try {
        const v = evalShapeValues(g, shapeOf, lookup, opset);
        if (v) lookup.values!.set(out0, v);
        if (!SHAPE_OPS.has(g.op) && g.op !== 'Constant') {
          const cs = inferNode(g, shapeOf, lookup, opset);
          if (valid(cs)) shapes.set(out0, cs);
        }
      } catch {
        /* not evaluable: the consumer's shape stays unknown */
      }
      continue;
    }
    if (g.op === 'Split') {
      splitShapes(g, shapeOf, lookup, opset).forEach((s, k) => {
        const o = g.node.output?.[k];
        if (o) shapes.set(o, valid(s) ? s : stored.get(o) ?? null);
      });
      continue;
    }
    let s: Shape = null;
    try {
      s = inferNode(g, shapeOf, lookup, opset);
    } catch {
      s = null;
    }
    if (!valid(s)) s = stored.get(out0) ?? null;
    shapes.set(out0, s);
  }
  return shapes;
}

/** Output shapes of a Split (explicit sizes from the input or attribute, else equal parts). */
function splitShapes(g: GraphNode, shapeOf: (n: string) => Shape, c: ConstantLookup, opset: number): Shape[] {
  const outs = (g.node.output ?? []).length;
  const x = shapeOf(g.node.input?.[0] ?? '');
  if (!x) return new Array<Shape>(outs).fill(null);
  const axis = normAxis(attrInt(g.node, 'axis', 0), x.length);
  const sizes = opset >= 13 ? valuesOf(g.node.input?.[1], c) : attrInts(g.node, 'split');
  const d = x[axis];
  return Array.from({ length: outs }, (_, k) => {
    const size = sizes ? sizes[k] ?? null : d === null || d % outs !== 0 ? null : d / outs;
    const s = x.slice();
    s[axis] = size;
    return s;
  });
}

/** Readable layers in graph order: every listed view node, named and flagged by the tap plan. */
function listLayers(view: GraphView, plan: TapPlan): LayerInfo[] {
  const defaults = new Set(defaultTapIds(plan));
  const layers: LayerInfo[] = [];
  for (const n of view.nodes) {
    if (n.kind === 'input' || n.hidden) continue;
    layers.push({
      name: plan.names.get(n.id)!,
      id: n.id,
      op: n.op,
      kind: plan.kinds.get(n.id) ?? 'other',
      shape: n.shape ? n.shape.slice(1) : [],
      defaultTap: defaults.has(n.id),
    });
  }
  return layers;
}

// ------------------------------------------------------------------ session model

export interface TapRequest {
  /** Tensor to read. */
  id: string;
  /** Its shape with batch dim, if known. */
  shape: Shape;
  kind: LayerKind;
  /** Layer name, for errors. */
  name?: string;
  /** Axis labels (onnxView.ts); undefined: taken from the analysis. */
  axes?: AxisLabel[] | null;
}

export interface SessionModel {
  bytes: Uint8Array;
  /** Output name per tap, in request order. */
  tapOutputs: string[];
  logitsOutput: string | null;
  /** Number of tensors the permutation changed (0 for other variants). */
  permutedTensors: string[];
  /** What the variant changed, for the report. */
  changes: ControlChanges;
}

const newNode = (p: onnx.INodeProto): onnx.NodeProto => new onnx.NodeProto(p);
const intsAttr = (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
const intAttr = (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

function dynamicBatch(vi: onnx.IValueInfoProto): onnx.IValueInfoProto {
  const tt = vi.type?.tensorType;
  const dims = tt?.shape?.dim;
  if (!tt || !dims || dims.length === 0) return vi;
  const d0 = dims[0];
  if (d0.dimParam) return vi;
  const newDims = [{ dimParam: 'batch' }, ...dims.slice(1)];
  return { ...vi, type: { ...vi.type, tensorType: { ...tt, shape: { dim: newDims } } } };
}

/**
 * Weight-bearing nodes and their weight / bias tensor names, in graph order.
 * MatMul: the constant operand is the weight; its bias is the constant operand of a single
 * Add consumer. Normalisation layers that remain in the graph (torch.onnx.export folds
 * BatchNorm into the convolutions in eval mode, so this is rare) have their scale (weights)
 * or shift (biases) permuted too, as the folded ones are, unless keepNorms.
 */
function weightTensors(a: ModelAnalysis, target: 'weights' | 'biases', keepNorms: boolean): { node: GraphNode; tensor: string; role: string }[] {
  const out: { node: GraphNode; tensor: string; role: string }[] = [];
  const role = target === 'weights' ? 'conv/fc weights' : 'conv/fc biases';
  for (const g of a.nodes) {
    const inputs = g.node.input ?? [];
    if (NORM_PARAM_OPS.has(g.op) && !keepNorms && inputs.some((i) => a.activations.has(i))) {
      const t = inputs[target === 'weights' ? 1 : 2];
      if (t && !a.activations.has(t)) out.push({ node: g, tensor: t, role: target === 'weights' ? 'norm scales' : 'norm shifts' });
      continue;
    }
    if (!WEIGHT_OPS.has(g.op)) continue;
    if (!inputs.some((i) => a.activations.has(i))) continue;
    if (g.op === 'MatMul') {
      const wIdx = inputs.findIndex((i) => !!i && !a.activations.has(i));
      if (wIdx < 0) continue; // activation x activation: no weight
      if (target === 'weights') out.push({ node: g, tensor: inputs[wIdx], role });
      else {
        const cons = a.consumers.get(g.node.output?.[0] ?? '') ?? [];
        if (cons.length === 1 && cons[0].op === 'Add') {
          const b = (cons[0].node.input ?? []).find((i) => !!i && !a.activations.has(i));
          if (b) out.push({ node: cons[0], tensor: b, role });
        }
      }
      continue;
    }
    const t = inputs[target === 'weights' ? 1 : 2];
    if (t) out.push({ node: g, tensor: t, role });
  }
  return out;
}

/** Normalisation ops with a learned scale (input 1) and shift (input 2). */
const NORM_PARAM_OPS = new Set(['BatchNormalization', 'InstanceNormalization', 'LayerNormalization']);

/** Resolve a weight input to the stored tensor it is (initializer or Constant node), through copies / layout ops. */
function storedSource(name: string, a: ModelAnalysis): { kind: 'initializer' | 'constant'; name: string; node?: GraphNode } | null {
  for (let guard = 0; guard < 100; guard++) {
    if (a.initializers.has(name)) return { kind: 'initializer', name };
    const p = a.producer.get(name);
    if (!p) return null;
    if (p.op === 'Constant') return { kind: 'constant', name, node: p };
    if (['Identity', 'Transpose', 'Reshape', 'Cast', 'Squeeze', 'Unsqueeze', 'Flatten'].includes(p.op)) {
      name = p.node.input?.[0] ?? '';
      continue;
    }
    return null;
  }
  return null;
}

export class SessionModelError extends Error {}

/**
 * Build the edited model for one session, in phases: the lesion variant, a dynamic batch,
 * the tap outputs (reduced to units in the graph), the logits, and pruning / encoding.
 */
export function buildSessionModel(
  a: ModelAnalysis,
  taps: TapRequest[],
  variant: ModelVariant,
  unitMode: UnitMode,
  includeLogits: boolean,
  tokens: TokenUnit = 'mean',
): SessionModel {
  return buildSession(a, taps, variant, unitMode, includeLogits, tokens);
}

/** A stored tensor the permutation shuffles, left unshuffled in a PermutationTemplate. */
interface PermutedSource {
  kind: 'initializer' | 'constant';
  /** Initializer name, or the Constant node's output. */
  name: string;
  tensor: onnx.ITensorProto;
}

/**
 * The session model of a permuted variant encoded ONCE with its tensors unshuffled, plus where
 * each tensor's raw_data lies in those bytes, in the order of the permutation's seeded stream.
 * A control is then the bytes with each region shuffled in place (shuffleRegions): the same
 * model as buildSessionModel(variant) (same graph, same shuffled bit patterns) without
 * re-serialising 244 MB per control (issue 15). Controls differ only by seed, so one template
 * serves all of them.
 */
export interface PermutationTemplate extends Omit<SessionModel, 'bytes'> {
  bytes: Uint8Array;
  regions: PermutationRegion[];
}

/**
 * The template for `variant` (a permuted variant; its seed is not used), or null when some
 * tensor to permute is not in raw_data form (typed repeated fields, a Constant given as
 * value_floats, ...): those models take buildSessionModel per control.
 */
export function buildPermutationTemplate(
  a: ModelAnalysis,
  taps: TapRequest[],
  variant: Extract<ModelVariant, { kind: 'permuted' }>,
  unitMode: UnitMode,
  includeLogits: boolean,
  tokens: TokenUnit = 'mean',
): PermutationTemplate | null {
  const sources: PermutedSource[] = [];
  const built = buildSession(a, taps, variant, unitMode, includeLogits, tokens, sources);
  const regions: PermutationRegion[] = [];
  const located = locateRawData(built.bytes);
  for (const src of sources) {
    const t = src.tensor;
    const size = rawElementSize(t.dataType ?? 0);
    const n = tensorElementCount(t);
    const at = (src.kind === 'initializer' ? located.initializers : located.constants).get(src.name);
    // Pruned (e.g. the logits layer when no logits are read): shuffled today all the same, so its
    // n - 1 draws are skipped in the stream, which only needs its element count.
    if (!at && src.kind === 'initializer' && !located.initializerNames.has(src.name)) {
      regions.push({ name: src.name, offset: -1, count: n, elementSize: 1 });
      continue;
    }
    if (!t.rawData || t.rawData.byteLength === 0 || !size || t.rawData.byteLength !== n * size) return null;
    if (!at || at.length !== t.rawData.byteLength) return null;
    regions.push({ name: src.name, offset: at.offset, count: n, elementSize: size });
  }
  // protobufjs may encode small messages into a shared slab that later encodes overwrite: a
  // template outlives them, so it owns its bytes (a copy; Buffer#slice would be a view).
  const own = built.bytes.byteOffset === 0 && built.bytes.buffer.byteLength === built.bytes.byteLength ? built.bytes : new Uint8Array(built.bytes);
  return { ...built, bytes: own, regions };
}

/**
 * Offsets of raw_data in an encoded ModelProto: initializers by name, Constant nodes' `value`
 * tensors by the node's output. A minimal protobuf walk (ModelProto.graph = 7; GraphProto.node = 1,
 * .initializer = 5; NodeProto.output = 2, .attribute = 5, .op_type = 4; AttributeProto.name = 1,
 * .t = 5; TensorProto.name = 8, .raw_data = 9).
 */
export function locateRawData(bytes: Uint8Array): {
  initializers: Map<string, { offset: number; length: number }>;
  /** Every initializer in the model, raw_data or not. */
  initializerNames: Set<string>;
  constants: Map<string, { offset: number; length: number }>;
} {
  const initializers = new Map<string, { offset: number; length: number }>();
  const initializerNames = new Set<string>();
  const constants = new Map<string, { offset: number; length: number }>();
  const dec = new TextDecoder();
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  /** Calls fn(field, start, end) for each length-delimited field of the message in [from, to); skips the rest. */
  const fields = (from: number, to: number, fn: (field: number, start: number, end: number) => void): void => {
    p = from;
    while (p < to) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (wire === 0) varint();
      else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else if (wire === 2) {
        const len = varint();
        const start = p;
        fn(field, start, start + len);
        p = start + len;
      } else throw new Error(`encoded model: unsupported wire type ${wire}`);
    }
  };
  const tensor = (from: number, to: number): { name: string; raw?: { offset: number; length: number } } => {
    let name = '';
    let raw: { offset: number; length: number } | undefined;
    fields(from, to, (f, s, e) => {
      if (f === 8) name = dec.decode(bytes.subarray(s, e));
      else if (f === 9) raw = { offset: s, length: e - s };
    });
    return { name, raw };
  };
  fields(0, bytes.length, (f, gs, ge) => {
    if (f !== 7) return;
    fields(gs, ge, (gf, s, e) => {
      if (gf === 5) {
        const t = tensor(s, e);
        initializerNames.add(t.name);
        if (t.raw) initializers.set(t.name, t.raw);
      } else if (gf === 1) {
        let op = '';
        const outputs: string[] = [];
        let value: { offset: number; length: number } | undefined;
        fields(s, e, (nf, ns, ne) => {
          if (nf === 4) op = dec.decode(bytes.subarray(ns, ne));
          else if (nf === 2) outputs.push(dec.decode(bytes.subarray(ns, ne)));
          else if (nf === 5) {
            let aname = '';
            let t: { offset: number; length: number } | undefined;
            fields(ns, ne, (af, as, ae) => {
              if (af === 1) aname = dec.decode(bytes.subarray(as, ae));
              else if (af === 5) t = tensor(as, ae).raw;
            });
            if (aname === 'value' && t) value = t;
          }
        });
        if (op === 'Constant' && value && outputs[0]) constants.set(outputs[0], value);
      }
    });
  });
  return { initializers, initializerNames, constants };
}

function buildSession(
  a: ModelAnalysis,
  taps: TapRequest[],
  variant: ModelVariant,
  unitMode: UnitMode,
  includeLogits: boolean,
  tokens: TokenUnit,
  record?: PermutedSource[],
): SessionModel {
  const initializers = new Map(a.initializers);
  const changes: ControlChanges = { replaced: {}, gatesKept: 0, permuted: {} };
  let nodes: onnx.INodeProto[] = a.nodes.map((g) => g.node);
  let permutedTensors: string[] = [];
  if (variant.kind === 'norelu') nodes = withoutNonlinearities(a, nodes, changes);
  else if (variant.kind === 'permuted') ({ nodes, permutedTensors } = permuteWeights(a, nodes, initializers, variant, changes, record));
  const fixedBatch = a.inputDims[0];
  if (fixedBatch !== null) nodes = unpinBatch(a, nodes, initializers, fixedBatch);
  const outs = tapReadouts(a, taps, unitMode, tokens, initializers);
  const outputs = outs.outputs;
  const outNames = new Set(outputs.map((o) => o.name ?? ''));
  let logitsOutput: string | null = null;
  if (includeLogits && a.logitsName) {
    logitsOutput = a.logitsName;
    if (!outNames.has(logitsOutput)) {
      const vi = (a.graph.output ?? []).find((o) => o.name === logitsOutput)!;
      outputs.push(fixedBatch !== null ? dynamicBatch(vi) : vi);
      outNames.add(logitsOutput);
    }
  }
  if (outputs.length === 0) throw new SessionModelError('nothing to read: no taps and no logits requested');
  const bytes = encodePruned(a, [...nodes, ...outs.extra], initializers, outputs, outNames, fixedBatch);
  return { bytes, tapOutputs: outs.tapOutputs, logitsOutput, permutedTensors, changes };
}

/** METHOD §8 no-nonlinearity: every recognised activation (any kind, taps/activations.ts) becomes Identity(x). */
function withoutNonlinearities(a: ModelAnalysis, nodes: onnx.INodeProto[], changes: ControlChanges): onnx.INodeProto[] {
  const replace = new Map<onnx.INodeProto, onnx.INodeProto>();
  for (const [out, m] of a.recognised.activations) {
    const g = a.producer.get(out);
    if (!g) continue;
    replace.set(g.node, newNode({ name: g.node.name, opType: 'Identity', input: [m.input], output: [out] }));
    const label = nonlinearity(m.kind).label;
    changes.replaced[label] = (changes.replaced[label] ?? 0) + 1;
  }
  changes.gatesKept = a.recognised.gates.size;
  return nodes.map((n) => replace.get(n) ?? n);
}

/** METHOD §8 permuted weights: every conv / fc weight (or bias) tensor shuffled, one seeded stream in graph order. */
function permuteWeights(
  a: ModelAnalysis,
  nodes: onnx.INodeProto[],
  initializers: Map<string, onnx.ITensorProto>,
  variant: Extract<ModelVariant, { kind: 'permuted' }>,
  changes: ControlChanges,
  /** Template mode (buildPermutationTemplate): list the tensors in stream order, shuffle none. */
  record?: PermutedSource[],
): { nodes: onnx.INodeProto[]; permutedTensors: string[] } {
  const rng = new SeededRandom(variant.seed);
  const done = new Set<string>();
  const replacedConst = new Map<onnx.INodeProto, onnx.INodeProto>();
  const permutedTensors: string[] = [];
  for (const { node, tensor, role } of weightTensors(a, variant.target, variant.keepNorms === true)) {
    const src = storedSource(tensor, a);
    if (!src) {
      throw new SessionModelError(
        `cannot permute the ${variant.target} of node "${node.node.name || node.op}": its input "${tensor}" is computed (for example dequantised), not a stored tensor`,
      );
    }
    if (done.has(src.name)) continue; // shared tensor: shuffled once
    done.add(src.name);
    if (src.kind === 'initializer') {
      if (record) record.push({ kind: 'initializer', name: src.name, tensor: initializers.get(src.name)! });
      else initializers.set(src.name, shuffledTensor(initializers.get(src.name)!, rng));
    } else {
      const cn = src.node!.node;
      const t = constantNodeTensor(cn);
      if (!t) throw new SessionModelError(`cannot permute Constant node "${cn.name}"`);
      if (record) {
        // Only a `value` tensor is spliced; value_floats etc. make the template refuse (rawData absent).
        record.push({ kind: 'constant', name: src.name, tensor: (cn.attribute ?? []).length === 1 && cn.attribute![0].name === 'value' ? t : {} });
        permutedTensors.push(src.name);
        changes.permuted[role] = (changes.permuted[role] ?? 0) + 1;
        continue;
      }
      const shuffled = shuffledTensor(t, rng);
      replacedConst.set(cn, newNode({ ...cn, attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: shuffled }] }));
    }
    permutedTensors.push(src.name);
    changes.permuted[role] = (changes.permuted[role] ?? 0) + 1;
  }
  if (permutedTensors.length === 0) {
    throw new SessionModelError(`the model has no Conv / Gemm / MatMul ${variant.target} to permute`);
  }
  return { nodes: nodes.map((n) => replacedConst.get(n) ?? n), permutedTensors };
}

/** Reshape targets that pin the exported batch size copy the batch instead (the input gets a dynamic batch). */
function unpinBatch(a: ModelAnalysis, nodes: onnx.INodeProto[], initializers: Map<string, onnx.ITensorProto>, fixedBatch: number): onnx.INodeProto[] {
  return nodes.map((n) => {
    if (n.opType !== 'Reshape' || !a.activations.has(n.input?.[0] ?? '') || attrInt(n, 'allowzero', 0) === 1) return n;
    const target = constTensor(n.input?.[1] ?? '', a);
    if (!target) return n;
    const vals = tensorValues(target);
    // Only where the data's first axis is the batch and the target pins it to the old size.
    const inShape = a.shapes.get(n.input?.[0] ?? '');
    if (vals.length < 2 || vals[0] !== fixedBatch || !inShape || inShape[0] !== null) return n;
    const name = `${n.input![1]}__sl_batch`;
    initializers.set(name, { name, dataType: DT.INT64, dims: [vals.length], int64Data: [0, ...vals.slice(1)] });
    return newNode({ ...n, input: [n.input![0], name] });
  });
}

/**
 * One output per tap with [batch x units] (METHOD §3): the channel / feature axis found from
 * the tensor's axis labels (NCHW, NHWC, tokens [N, T, D]); `channel` averages every spatial /
 * token axis in the graph (ReduceMean; the class token instead with tokens = 'class'),
 * `channel-position` keeps every element, channel-major. A tensor whose unit axis is unknown is
 * an error naming the layer, never flattened into made-up units.
 */
function tapReadouts(
  a: ModelAnalysis,
  taps: TapRequest[],
  unitMode: UnitMode,
  tokens: TokenUnit,
  initializers: Map<string, onnx.ITensorProto>,
): { extra: onnx.INodeProto[]; outputs: onnx.IValueInfoProto[]; tapOutputs: string[] } {
  const extra: onnx.INodeProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  const outNames = new Set<string>();
  const floatOut = (name: string): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: DT.FLOAT } } });
  const tapOutputs: string[] = [];
  const constInts = (name: string, vals: number[]): string => {
    initializers.set(name, { name, dataType: DT.INT64, dims: [vals.length], int64Data: vals });
    return name;
  };
  for (const t of taps) {
    const axes = t.axes === undefined ? a.axes.get(t.id) ?? null : t.axes;
    const unit = unitAxisOf(axes);
    const rank = t.shape ? t.shape.length : axes ? axes.length : null;
    let outName = t.id;
    if (rank !== 2 || (unit && unit.axis !== 1)) {
      if (!unit) {
        if (unitMode !== 'channel-position') throw new SessionModelError(unitAxisMessage(t, axes));
        // channel-position: every element is a unit, whatever the layout; order does not change PSI.
        outName = `${t.id}__sl_flat`;
        if (!outNames.has(outName)) extra.push({ name: `${outName}_node`, opType: 'Flatten', input: [t.id], output: [outName], attribute: [intAttr('axis', 1)] });
      } else if (unitMode === 'channel' && unit.reduce.length > 0) {
        const useClass = tokens === 'class' && unit.layout === 'tokens';
        outName = `${t.id}__sl_${useClass ? 'cls' : 'mean'}`;
        if (!outNames.has(outName)) {
          if (useClass) {
            const idx = `${t.id}__sl_cls_index`;
            initializers.set(idx, { name: idx, dataType: DT.INT64, dims: [], int64Data: [0] });
            extra.push({ name: `${outName}_node`, opType: 'Gather', input: [t.id, idx], output: [outName], attribute: [intAttr('axis', unit.reduce[0])] });
          } else if (a.opset >= 18) {
            extra.push({ name: `${outName}_node`, opType: 'ReduceMean', input: [t.id, constInts(`${t.id}__sl_axes`, unit.reduce)], output: [outName], attribute: [intAttr('keepdims', 0)] });
          } else {
            extra.push({ name: `${outName}_node`, opType: 'ReduceMean', input: [t.id], output: [outName], attribute: [intsAttr('axes', unit.reduce), intAttr('keepdims', 0)] });
          }
        }
      } else {
        // Every channel x position, channel-major (C, then the other axes), as NCHW flattening.
        outName = `${t.id}__sl_flat`;
        if (!outNames.has(outName)) {
          let src = t.id;
          if (unit.axis !== 1) {
            const perm = [0, unit.axis, ...Array.from({ length: (axes ?? []).length }, (_, i) => i).filter((i) => i !== 0 && i !== unit.axis)];
            src = `${t.id}__sl_cmajor`;
            extra.push({ name: `${src}_node`, opType: 'Transpose', input: [t.id], output: [src], attribute: [intsAttr('perm', perm)] });
          }
          extra.push({ name: `${outName}_node`, opType: 'Flatten', input: [src], output: [outName], attribute: [intAttr('axis', 1)] });
        }
      }
    }
    if (!outNames.has(outName)) {
      outNames.add(outName);
      outputs.push(floatOut(outName));
    }
    tapOutputs.push(outName);
  }
  return { extra, outputs, tapOutputs };
}

/** The error for a tap whose unit axis is unknown: names the layer, its shape and the fixes. */
export function unitAxisMessage(t: { id: string; name?: string; shape: Shape }, axes: AxisLabel[] | null): string {
  const shape = t.shape ? `[${t.shape.map((d, i) => (i === 0 ? 'N' : d ?? '?')).join(', ')}]` : '(unknown shape)';
  const layout = axes ? ` (axes read as ${axes.join(',')})` : '';
  return (
    `layer "${t.name ?? t.id}" has shape ${shape}${layout}: which axis holds its channels / features cannot be told from the graph, ` +
    'so its units would be made up. Choose a block output or another layer in NCHW, NHWC or [N, tokens, features] layout ' +
    '(list them with "sparsity-lens layers"), or use unit "channel-position" (every element a unit)'
  );
}

/** Prune what no output needs, make node names unique, encode. */
function encodePruned(
  a: ModelAnalysis,
  all: onnx.INodeProto[],
  initializers: Map<string, onnx.ITensorProto>,
  outputs: onnx.IValueInfoProto[],
  outNames: Set<string>,
  fixedBatch: Dim,
): Uint8Array {
  const graph = a.graph;
  const needed = new Set<string>(outNames);
  const keep: boolean[] = all.map(() => false);
  for (let i = all.length - 1; i >= 0; i--) {
    if ((all[i].output ?? []).some((o) => needed.has(o))) {
      keep[i] = true;
      for (const inp of nodeInputs(all[i])) needed.add(inp);
    }
  }
  // onnxruntime rejects duplicate node names, which some exporters write: make them unique.
  const nodeNames = new Set<string>();
  const keptNodes = all
    .filter((_, i) => keep[i])
    .map((n) => {
      if (!n.name) return n;
      let name = n.name;
      for (let k = 2; nodeNames.has(name); k++) name = `${n.name}__${k}`;
      nodeNames.add(name);
      return name === n.name ? n : newNode({ ...n, name });
    });
  const keptInits = [...initializers.values()].filter((t) => needed.has(t.name ?? ''));
  const inputVi = (graph.input ?? []).find((v) => v.name === a.inputName)!;
  const inputs = (graph.input ?? [])
    .filter((v) => v.name === a.inputName || (needed.has(v.name ?? '') && initializers.has(v.name ?? '')))
    .map((v) => (v.name === a.inputName && fixedBatch !== null ? dynamicBatch(inputVi) : v));
  const newGraph = new onnx.GraphProto({
    ...graph,
    node: keptNodes as onnx.NodeProto[],
    initializer: keptInits as onnx.TensorProto[],
    input: inputs as onnx.ValueInfoProto[],
    output: outputs as onnx.ValueInfoProto[],
    valueInfo: [], // stored shapes may pin the batch to 1; onnxruntime infers them again
  });
  const newModel = new onnx.ModelProto({ ...a.model, graph: newGraph });
  return onnx.ModelProto.encode(newModel).finish();
}
