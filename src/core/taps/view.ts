/**
 * The engine-neutral graph view that tap selection works on (issue 10). Each engine adapts its
 * own graph to it (ONNX: engines/onnxGraph.ts; TF.js: engines/tfjs.ts): one node per readable
 * tensor, with what kind of layer produced it, its module scope and its output layout. The
 * default taps, the study's names and the block rules are then decided once, in taps/select.ts.
 */
import type { ActivationKind } from './activations';

/** What produced a tensor, as far as tap selection cares. */
export type NodeKind =
  | 'input'
  | 'conv'
  | 'fc' // Gemm, Dense, MatMul with a stored weight
  | 'matmul' // activation x activation (attention)
  | 'activation' // a nonlinearity (see activations.ts), possibly a multi-node pattern
  | 'gate' // a sigmoid whose output multiplies another tensor (squeeze-excitation)
  | 'add'
  | 'mul'
  | 'concat'
  | 'norm'
  | 'pool'
  | 'globalPool'
  | 'reshape' // Reshape / Transpose / Flatten / Squeeze / Gather ...: layout changes
  | 'copy' // Identity / Dropout
  | 'other';

/**
 * Semantic label of one axis of a tensor: N batch, C channel / feature, S spatial position or
 * token, F flat features (every element a unit, e.g. a flattened conv map), 1 a singleton,
 * c / s a part of a split channel / spatial axis, X unknown.
 */
export type AxisLabel = 'N' | 'C' | 'S' | 'F' | '1' | 'c' | 's' | 'X';

/** Where a tensor's units are, derived from its axis labels. */
export type UnitLayout = 'NCHW' | 'NHWC' | 'tokens' | 'flat';

export interface ViewNode {
  /** The engine's id of the tensor (ONNX tensor name, TF.js layer / node name). */
  id: string;
  /** Position in graph (topological) order. */
  index: number;
  kind: NodeKind;
  /** Engine operator (`Relu`, `Conv`, `Mul`, `Dense` ...). For a pattern: its last node's op. */
  op: string;
  /** Set when kind is 'activation'. */
  activation?: ActivationKind;
  /** Ids of the view nodes this one reads (data only: no weights or shape metadata). */
  inputs: string[];
  /** Module paths containing the node, outermost first (`['layer1', 'layer1.0', 'layer1.0.relu_1']`). */
  scope: string[];
  /** The engine's node / layer name as written in the file. */
  rawName: string;
  /** Output shape including the batch axis (null entries unknown), or null if unknown. */
  shape: (number | null)[] | null;
  /** One label per axis of `shape`, or null when the layout could not be inferred. */
  axes: AxisLabel[] | null;
  /** A graph output (the logits). */
  isOutput: boolean;
  /** Traversed but not listed as a layer (copies, second outputs, scalars). */
  hidden?: boolean;
}

export interface GraphView {
  nodes: ViewNode[];
  /** Id of the image input node. */
  inputId: string;
  /** Whether node names carry module scopes (torch.onnx.export, Keras nested models). */
  scoped: boolean;
}

export interface ViewIndex {
  byId: Map<string, ViewNode>;
  consumers: Map<string, ViewNode[]>;
}

export function indexView(v: GraphView): ViewIndex {
  const byId = new Map(v.nodes.map((n) => [n.id, n] as const));
  const consumers = new Map<string, ViewNode[]>();
  for (const n of v.nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }
  return { byId, consumers };
}

/**
 * Module scope of a torch.onnx.export node name. torch writes each scope with its parent's
 * prefix repeated (`/features/features.1/conv/conv.0/Conv`) or relative (`/layer1/layer1.0/relu_1/Relu`);
 * the last segment is the operator. Returns the full module paths, outermost first:
 * `/layer1/layer1.0/relu_1/Relu` → `['layer1', 'layer1.0', 'layer1.0.relu_1']`,
 * `/encoder/layers/encoder_layer_4/Add` → `['encoder', 'encoder.layers', 'encoder.layers.encoder_layer_4']`.
 * Names without a leading `/` (other exporters, hand-built graphs) have no scope.
 */
export function torchScope(nodeName: string): string[] {
  if (!nodeName.startsWith('/')) return [];
  const parts = nodeName.split('/').filter((p) => p.length > 0);
  parts.pop(); // the operator
  const out: string[] = [];
  let prevRaw = '';
  for (const p of parts) {
    const parent = out.length ? out[out.length - 1] : '';
    let full: string;
    if (prevRaw && p.startsWith(prevRaw + '.')) {
      // `features.1` under `features`: the segment repeats the parent's own name.
      full = parent + p.slice(prevRaw.length);
    } else {
      full = parent ? `${parent}.${p}` : p;
    }
    out.push(full);
    prevRaw = p;
  }
  return out;
}

/** Which axis holds the units, and the layout, from axis labels; null when it cannot be told. */
export function unitAxisOf(axes: AxisLabel[] | null): { axis: number; layout: UnitLayout; reduce: number[] } | null {
  if (!axes || axes.length < 2 || axes[0] !== 'N') return null;
  const rest = axes.slice(1);
  const unitIdx = rest.map((l, i) => (l === 'C' || l === 'F' ? i + 1 : -1)).filter((i) => i > 0);
  if (unitIdx.length !== 1) return null;
  const axis = unitIdx[0];
  const others = axes.map((l, i) => ({ l, i })).filter(({ i }) => i !== 0 && i !== axis);
  if (others.some(({ l }) => l !== 'S' && l !== '1')) return null;
  // Flat features (channels and positions merged) are units only when nothing is left to average.
  if (axes[axis] === 'F' && others.some(({ l }) => l === 'S')) return null;
  const reduce = others.map(({ i }) => i);
  const spatial = others.filter(({ l }) => l === 'S').length;
  let layout: UnitLayout;
  if (axes[axis] === 'F' || reduce.length === 0) layout = 'flat';
  else if (axis === 1) layout = 'NCHW';
  else if (axis === axes.length - 1 && spatial === 1 && axes.length === 3) layout = 'tokens';
  else if (axis === axes.length - 1) layout = 'NHWC';
  else return null;
  return { axis, layout, reduce };
}
