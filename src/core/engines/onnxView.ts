/**
 * The ONNX side of tap selection (issue 10): adapts an analysed ONNX graph to the neutral
 * view of src/core/taps/view.ts — node kinds, activations (including multi-node patterns,
 * via the registry in taps/activations.ts), module scopes from torch.onnx.export node names,
 * and axis labels (which axis is channel / feature, which are spatial / tokens) propagated
 * through Conv, Reshape, Transpose, Flatten, Gather, MatMul, so that units are the true
 * channels or features in NCHW, NHWC (inside ConvNeXt blocks) and token [N, T, D] tensors.
 */
import { OpGraph, OpNode, recogniseActivations, Recognised } from '../taps/activations';
import { AxisLabel, GraphView, NodeKind, torchScope, ViewNode } from '../taps/view';
import type { ConstantLookup, Dim, GraphNode, Shape } from './onnxGraph';
import { attrInt, attrInts, clipBounds, constTensor, constValues, nodeInputs } from './onnxGraph';

const COPY_OPS = new Set(['Identity', 'Dropout']);
const NORM_OPS = new Set(['BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'GroupNormalization', 'LRN']);
const POOL_OPS = new Set(['MaxPool', 'AveragePool', 'LpPool']);
const GLOBAL_POOL_OPS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);
const RESHAPE_OPS = new Set(['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Gather', 'Slice', 'Split', 'Expand']);
/** Ops whose output has the input's axes (elementwise, normalisation, activations). */
const SAME_AXES_OPS = new Set([
  'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus',
  'Softsign', 'Mish', 'Gelu', 'Erf', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Identity', 'Dropout',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'GroupNormalization', 'LRN', 'Cast', 'Round', 'Sign',
  'MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Pad', 'Slice', 'Split',
  'Softmax', 'LogSoftmax', 'Expand',
]);
const BROADCAST_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where']);

export interface OnnxViewInput {
  nodes: GraphNode[];
  inputName: string;
  activations: Set<string>;
  shapes: Map<string, Shape>;
  lookup: ConstantLookup;
  consumers: Map<string, GraphNode[]>;
  graphOutputs: Set<string>;
  opset: number;
}

export interface OnnxView {
  view: GraphView;
  recognised: Recognised;
  axes: Map<string, AxisLabel[] | null>;
}

function opNodeOf(g: GraphNode): OpNode {
  return { name: g.node.name ?? '', op: g.op, inputs: (g.node.input ?? []).slice(), outputs: (g.node.output ?? []).slice() };
}

/** The op-graph interface the activation matchers read, over an ONNX graph. */
export function onnxOpGraph(x: OnnxViewInput): { graph: OpGraph; ops: OpNode[]; byNode: Map<OpNode, GraphNode> } {
  const byNode = new Map<OpNode, GraphNode>();
  const byOut = new Map<string, OpNode>();
  const ops = x.nodes.map((g) => {
    const o = opNodeOf(g);
    byNode.set(o, g);
    for (const t of o.outputs) byOut.set(t, o);
    return o;
  });
  const cons = new Map<string, OpNode[]>();
  for (const o of ops) for (const i of o.inputs) cons.set(i, [...(cons.get(i) ?? []), o]);
  const graph: OpGraph = {
    producer: (t) => byOut.get(t),
    consumers: (t) => cons.get(t) ?? [],
    constScalar: (t) => {
      if (x.activations.has(t)) return null;
      const v = constValues(t, x.lookup);
      return v && v.length === 1 ? v[0] : null;
    },
    clipBounds: (n) => clipBounds(byNode.get(n)!.node, x.lookup),
    isData: (t) => x.activations.has(t),
  };
  return { graph, ops, byNode };
}

function kindOf(g: GraphNode, out: string, dataInputs: string[], rec: Recognised, x: Ctx): NodeKind {
  if (rec.activations.has(out)) return 'activation';
  if (rec.gates.has(out)) return 'gate';
  const op = g.op;
  if (op === 'Conv' || op === 'ConvTranspose') return 'conv';
  if (op === 'Gemm') return 'fc';
  if (op === 'MatMul') return (g.node.input ?? []).some((i) => i && !x.activations.has(i)) ? 'fc' : 'matmul';
  if (op === 'Add' || op === 'Sum') return 'add';
  if (op === 'Mul') return 'mul';
  if (op === 'Concat') return dataInputs.length > 0 ? 'concat' : 'other';
  if (NORM_OPS.has(op)) return 'norm';
  if (POOL_OPS.has(op)) return 'pool';
  if (GLOBAL_POOL_OPS.has(op)) return 'globalPool';
  if (op === 'ReduceMean' || op === 'ReduceMax') {
    // A mean over every spatial axis that keeps the channels is a global pool (ShuffleNet's x.mean([2, 3])).
    const inAxes = x.axesOf(g.node.input?.[0] ?? '');
    const red = reducedAxes(g, inAxes?.length ?? 0, x);
    if (inAxes && red && inAxes.some((l, i) => l === 'S' && red.includes(i)) && inAxes.every((l, i) => (l === 'S' ? red.includes(i) : !red.includes(i) || l === '1'))) return 'globalPool';
    return 'other';
  }
  if (RESHAPE_OPS.has(op)) return 'reshape';
  if (COPY_OPS.has(op)) return 'copy';
  return 'other';
}

function reducedAxes(g: GraphNode, rank: number, x: OnnxViewInput): number[] | null {
  const fromInput = (g.op === 'ReduceSum' && x.opset >= 13) || x.opset >= 18;
  const axes = fromInput ? constValues(g.node.input?.[1], x.lookup) : attrInts(g.node, 'axes');
  const list = axes && axes.length ? axes : Array.from({ length: rank }, (_, i) => i);
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** The view input plus the axis labels computed so far (filled in graph order). */
type Ctx = OnnxViewInput & { axesOf(t: string): AxisLabel[] | null };

// ------------------------------------------------------------------ axis labels

const lower = (l: AxisLabel): AxisLabel => (l === 'C' || l === 'c' ? 'c' : l === 'S' || l === 's' ? 's' : 'X');

/** Labels of a merged group of axes (Reshape / Flatten). */
function mergeLabels(ls: AxisLabel[], dims: Dim[]): AxisLabel {
  const kept = ls.filter((l, i) => !(l === '1' || dims[i] === 1));
  if (kept.length === 0) return '1';
  if (kept.length === 1) return kept[0] === 'c' ? 'C' : kept[0] === 's' ? 'S' : kept[0];
  if (kept.every((l) => l === 'S' || l === 's')) return 'S';
  if (kept.every((l) => l === 'c')) return 'C';
  if (kept.every((l) => l === 'C' || l === 'c' || l === 'S' || l === 's' || l === 'F')) return 'F';
  return 'X';
}

/** Reshape labels by matching products of input and output dims (both fully known but the batch). */
function reshapeLabels(inAxes: AxisLabel[], inShape: Dim[], outShape: Dim[]): AxisLabel[] | null {
  if (inAxes[0] !== 'N' || outShape.length < 1) return null;
  const a = inShape.slice(1);
  const b = outShape.slice(1);
  if (a.some((d) => d === null) || b.some((d) => d === null)) return null;
  const la = inAxes.slice(1);
  const out: AxisLabel[] = ['N'];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Singletons on either side map on their own.
    if (j < b.length && b[j] === 1 && !(i < a.length && a[i] === 1)) {
      out.push('1');
      j++;
      continue;
    }
    if (i < a.length && a[i] === 1 && !(j < b.length && b[j] === 1)) {
      i++;
      continue;
    }
    if (i >= a.length || j >= b.length) return null;
    let pa = a[i] as number;
    let pb = b[j] as number;
    const gi = [i++];
    const gj = [j++];
    while (pa !== pb) {
      if (pa < pb) {
        if (i >= a.length) return null;
        pa *= a[i] as number;
        gi.push(i++);
      } else {
        if (j >= b.length) return null;
        pb *= b[j] as number;
        gj.push(j++);
      }
    }
    const labels = gi.map((k) => la[k]);
    if (gj.length === 1) out.push(mergeLabels(labels, gi.map((k) => a[k])));
    else if (gi.length === 1) {
      const nonOne = gj.filter((k) => b[k] !== 1).length;
      for (const k of gj) out.push(b[k] === 1 ? '1' : nonOne === 1 ? labels[0] : lower(labels[0]));
    } else for (const _k of gj) out.push('X');
  }
  return out;
}

function broadcastLabels(inputs: (AxisLabel[] | null)[], shapes: Shape[], outRank: number): AxisLabel[] | null {
  const known = inputs.map((l, k) => ({ l, s: shapes[k] })).filter((x) => x.l && x.l.length === outRank) as { l: AxisLabel[]; s: Shape }[];
  if (known.length === 0) return null;
  const out: AxisLabel[] = [];
  for (let i = 0; i < outRank; i++) {
    const ls = new Set(known.map((k) => k.l[i]).filter((l) => l !== '1' && l !== 'X'));
    if (ls.size > 1) return null;
    out.push(ls.size === 1 ? [...ls][0] : known[0].l[i]);
  }
  return out;
}

function inferAxes(g: GraphNode, axesOf: (t: string) => AxisLabel[] | null, shapeOf: (t: string) => Shape, x: Ctx, outIndex: number): AxisLabel[] | null {
  const node = g.node;
  const ins = node.input ?? [];
  const a0 = axesOf(ins[0] ?? '');
  const out = node.output?.[outIndex] ?? '';
  const outShape = shapeOf(out);
  const op = g.op;
  if (op === 'Conv' || op === 'ConvTranspose') {
    const s = outShape ?? shapeOf(ins[0] ?? '');
    return s ? ['N', 'C', ...s.slice(2).map((): AxisLabel => 'S')] : null;
  }
  if (SAME_AXES_OPS.has(op)) return a0;
  if (BROADCAST_OPS.has(op)) {
    const data = ins.filter((i) => i && x.activations.has(i));
    if (!outShape) return null;
    return broadcastLabels(data.map(axesOf), data.map(shapeOf), outShape.length);
  }
  if (op === 'Concat') {
    // Labels of the data inputs (a constant such as ViT's class token has none of its own).
    const data = ins.filter((i) => i && x.activations.has(i));
    const ls = data.map(axesOf);
    if (ls.length === 0 || ls.some((l) => !l)) return null;
    const first = ls[0]!;
    return ls.every((l) => l!.length === first.length && l!.every((v, i) => v === first[i])) ? first : null;
  }
  if (!a0) return null;
  switch (op) {
    case 'Gemm':
      return ['N', 'C'];
    case 'MatMul': {
      const w = ins[1] && !x.activations.has(ins[1]);
      return w ? [...a0.slice(0, -1), 'C'] : null;
    }
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? a0.map((_, i) => a0.length - 1 - i);
      return perm.map((p) => a0[p] ?? 'X');
    }
    case 'Flatten': {
      const inShape = shapeOf(ins[0] ?? '');
      if (!inShape) return null;
      const axis = attrInt(node, 'axis', 1);
      const ax = axis < 0 ? axis + a0.length : axis;
      if (ax !== 1 || a0[0] !== 'N') return null;
      return ['N', mergeLabels(a0.slice(1), inShape.slice(1))];
    }
    case 'Reshape': {
      const inShape = shapeOf(ins[0] ?? '');
      if (!inShape || !outShape) return null;
      return reshapeLabels(a0, inShape, outShape);
    }
    case 'Squeeze': case 'Unsqueeze': {
      const inShape = shapeOf(ins[0] ?? '');
      if (!inShape || !outShape) return null;
      if (op === 'Squeeze') {
        const axes = x.opset >= 13 ? constValues(ins[1], x.lookup) : attrInts(node, 'axes');
        const ax = new Set((axes ?? inShape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((k) => (k < 0 ? k + a0.length : k)));
        return a0.filter((_, i) => !ax.has(i));
      }
      const axes = x.opset >= 13 ? constValues(ins[1], x.lookup) : attrInts(node, 'axes');
      if (!axes) return null;
      const rank = a0.length + axes.length;
      const ax = new Set(axes.map((k) => (k < 0 ? k + rank : k)));
      const res: AxisLabel[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) res.push(ax.has(i) ? '1' : a0[j++]);
      return res;
    }
    case 'Gather': {
      const axis = attrInt(node, 'axis', 0);
      const ax = axis < 0 ? axis + a0.length : axis;
      const idx = constTensor(ins[1] ?? '', x.lookup);
      if (!idx) return null;
      const idxRank = (idx.dims ?? []).length;
      // A scalar index removes the axis (ViT's class token x[:, 0]); a vector keeps it.
      return idxRank === 0 ? a0.filter((_, i) => i !== ax) : idxRank === 1 ? a0 : null;
    }
    default:
      if (op.startsWith('Reduce')) {
        const red = reducedAxes(g, a0.length, x);
        if (!red) return null;
        const keep = attrInt(node, 'keepdims', 1) === 1;
        const res: AxisLabel[] = [];
        a0.forEach((l, i) => (red.includes(i) ? keep && res.push('1') : res.push(l)));
        return res;
      }
      return null;
  }
}

/** Adapt an analysed ONNX graph to the neutral view. */
export function buildOnnxView(x: OnnxViewInput): OnnxView {
  const { graph, ops, byNode } = onnxOpGraph(x);
  const recognised = recogniseActivations(ops, graph);
  const axes = new Map<string, AxisLabel[] | null>();
  const shapeOf = (t: string): Shape => x.shapes.get(t) ?? null;
  const inShape = shapeOf(x.inputName);
  axes.set(x.inputName, ['N', 'C', ...(inShape ?? [null, null, null, null]).slice(2).map((): AxisLabel => 'S')]);
  const axesOf = (t: string): AxisLabel[] | null => axes.get(t) ?? null;
  const input: Ctx = { ...x, axesOf };
  const nodes: ViewNode[] = [
    { id: x.inputName, index: 0, kind: 'input', op: 'Input', inputs: [], scope: [], rawName: x.inputName, shape: inShape, axes: axesOf(x.inputName), isOutput: false, hidden: true },
  ];
  let scoped = false;
  for (const o of ops) {
    const g = byNode.get(o)!;
    const scope = torchScope(g.node.name ?? '');
    if (scope.length) scoped = true;
    const dataInputs = nodeInputs(g.node).filter((i) => x.activations.has(i));
    (g.node.output ?? []).forEach((out, k) => {
      if (!out || !x.activations.has(out)) return;
      let ax: AxisLabel[] | null = null;
      try {
        ax = inferAxes(g, axesOf, shapeOf, input, k);
      } catch {
        ax = null;
      }
      const shape = shapeOf(out);
      if (ax && shape && ax.length !== shape.length) ax = null;
      axes.set(out, ax);
      const match = recognised.activations.get(out);
      const kind = kindOf(g, out, dataInputs, recognised, input);
      const hidden =
        COPY_OPS.has(g.op) || (k > 0 && (g.op === 'MaxPool' || g.op === 'BatchNormalization' || g.op === 'Dropout')) || (!!shape && shape.length < 2);
      nodes.push({
        id: out,
        index: nodes.length,
        kind,
        op: g.op,
        activation: match?.kind,
        inputs: dataInputs,
        scope,
        rawName: (g.node.name || out) + (k > 0 ? `_out${k}` : ''),
        shape,
        axes: ax,
        isOutput: x.graphOutputs.has(out),
        hidden,
      });
    });
  }
  return { view: { nodes, inputId: x.inputName, scoped }, recognised, axes };
}

