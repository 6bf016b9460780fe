/**
 * TF.js engine: LayersModel and GraphModel (model.json + weight shards), NHWC.
 *
 * - Files are read with our own IOHandler (tfjsIo.ts); @tensorflow/tfjs-node is optional.
 * - Default taps (METHOD §2): the ReLU outputs after conv / fully connected layers.
 *   LayersModel: Conv1D/2D/3D, DepthwiseConv2D, SeparableConv2D, Dense layers with activation relu|relu6, and ReLU / Activation(relu)
 *   layers fed (possibly through BatchNormalization) by a conv/dense layer.
 *   GraphModel: Relu/Relu6 nodes fed (through BiasAdd / bias Add / FusedBatchNorm / Identity)
 *   by Conv2D / DepthwiseConv2dNative / MatMul, and _FusedConv2D / FusedDepthwiseConv2dNative /
 *   _FusedMatMul nodes whose fused ops include Relu/Relu6.
 *   The model's final output is never a tap.
 * - Names: on a plain chain, conv1.. / fc1.. in graph order (the study's names); otherwise the
 *   layer / node name.
 * - Units (METHOD §3): conv taps are averaged over space inside the backend (tf.mean over
 *   the spatial axes); `channel-position` flattens channel-major (C,H,W) like ONNX (NCHW).
 * - Variants (METHOD §8): every session loads its own model instance from the artifacts read
 *   at open time, so neither the file on disk nor another session's model is ever changed.
 *   `permuted` shuffles every conv/dense kernel (or bias) with SeededRandom(seed);
 *   `norelu` rewrites the topology (ReLU → linear / Identity).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { loadTf, Tf } from '../tfBackend';
import { SeededRandom } from '../random';
import { defaultTapIds, planTaps, TapPlan } from '../taps/select';
import type { AxisLabel, GraphView, NodeKind, ViewNode } from '../taps/view';
import { ActivationKind, kerasActivationKind, nonlinearity, OpGraph, OpNode, recogniseActivations, Recognised } from '../taps/activations';
import {
  ControlChanges,
  Engine,
  LayerInfo,
  LayerKind,
  Layout,
  ModelSession,
  ModelVariant,
  SessionOptions,
  SessionOutput,
  TapSelection,
  UserError,
} from '../types';
import { detectModelKind, loadArtifacts, memoryHandler, readModelJson, TfjsModelJson, TfjsModelKind } from './tfjsIo';

type LayersModel = tfTypes.LayersModel;
type GraphModel = tfTypes.GraphModel;
type Layer = tfTypes.layers.Layer;
type Tensor = tfTypes.Tensor;
type ModelArtifacts = tfTypes.io.ModelArtifacts;

/** Internal description of a readable output. */
interface TapMeta extends LayerInfo {
  /** Axis of channels in the (batch-including) output: last for NHWC, 1 for channels-first. */
  channelAxis: number;
}

const CONV_LAYERS = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Conv3DTranspose']);
const DENSE_LAYERS = new Set(['Dense']);
const RELU_ACTIVATIONS = new Set(['relu', 'relu6']);
/** Layers a ReLU layer may follow and still count as "after conv/fc". */
const PASS_THROUGH_LAYERS = new Set(['BatchNormalization']);

const GRAPH_CONV_OPS = new Set(['Conv2D', 'DepthwiseConv2dNative', 'Conv3D', 'Conv2DBackpropInput']);
const GRAPH_FUSED_CONV_OPS = new Set(['_FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedDepthwiseConv2dNative']);
const GRAPH_MATMUL_OPS = new Set(['MatMul', 'BatchMatMul', 'BatchMatMulV2', 'Einsum']);
const GRAPH_FUSED_MATMUL_OPS = new Set(['_FusedMatMul', '_FusedBatchMatMul']);
const GRAPH_RELU_OPS = new Set(['Relu', 'Relu6']);
const GRAPH_PASS_OPS = new Set(['BiasAdd', 'FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', 'Identity']);
const GRAPH_SKIP_LIST = new Set(['Const', 'Placeholder', 'PlaceholderWithDefault', 'NoOp']);

function activationName(config: Record<string, unknown>): string | null {
  const a = config.activation;
  if (typeof a === 'string') return a.toLowerCase();
  if (a && typeof a === 'object') {
    const o = a as { class_name?: unknown; config?: { name?: unknown } };
    if (typeof o.config?.name === 'string') return o.config.name.toLowerCase();
    if (typeof o.class_name === 'string') return o.class_name.toLowerCase();
  }
  return null;
}

function isReluLayer(className: string, config: Record<string, unknown>): boolean {
  if (className === 'ReLU') return true;
  if (className === 'Activation') return RELU_ACTIVATIONS.has(activationName(config) ?? '');
  return false;
}

function product(xs: (number | null)[]): number | null {
  let p = 1;
  for (const x of xs) {
    if (x == null || x < 0) return null;
    p *= x;
  }
  return p;
}

/** Units of one tap for a given (batch-less) output shape. */
function unitsOf(meta: TapMeta, shape: (number | null)[], unitMode: SessionOptions['unitMode']): number | null {
  if (shape.length <= 1 || unitMode === 'channel-position') return product(shape);
  return shape[meta.channelAxis - 1] ?? null;
}

/** Reduce a tap output [B, ...] to [B, units] inside the backend (METHOD §3). */
function reduceTap(tf: Tf, t: Tensor, channelAxis: number, unitMode: SessionOptions['unitMode']): Tensor {
  const rank = t.rank;
  if (rank <= 2) return rank === 2 ? t : t.reshape([t.shape[0], -1]);
  const spatial: number[] = [];
  for (let a = 1; a < rank; a++) if (a !== channelAxis) spatial.push(a);
  if (unitMode === 'channel') return tf.mean(t, spatial);
  // channel-position: channel-major (C, spatial...) order, like NCHW flattening.
  const moved = channelAxis === 1 ? t : tf.transpose(t, [0, channelAxis, ...spatial]);
  return moved.reshape([t.shape[0], -1]);
}

// ---------------------------------------------------------------- LayersModel helpers

function layerOutputShape(layer: Layer): (number | null)[] {
  let s: unknown;
  try {
    s = layer.outputShape;
  } catch {
    return [];
  }
  const shape = (Array.isArray(s) && Array.isArray((s as unknown[])[0]) ? (s as unknown[])[0] : s) as (number | null)[];
  return Array.isArray(shape) ? shape.slice(1).map((d) => (d == null || d < 0 ? null : d)) : [];
}

function inboundLayers(layer: Layer): Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes ?? [];
  const out: Layer[] = [];
  for (const n of nodes) out.push(...n.inboundLayers);
  return out;
}

function outboundCount(layer: Layer): number {
  return ((layer as unknown as { outboundNodes: unknown[] }).outboundNodes ?? []).length;
}

function layerConfig(layer: Layer): Record<string, unknown> {
  try {
    return layer.getConfig() as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Kind of the conv/dense layer that a layer's output comes from, through pass-through layers. */
function sourceKind(layer: Layer, depth = 0): { kind: LayerKind; channelsFirst: boolean } | null {
  const cls = layer.getClassName();
  if (CONV_LAYERS.has(cls)) return { kind: 'conv', channelsFirst: layerConfig(layer).dataFormat === 'channelsFirst' };
  if (DENSE_LAYERS.has(cls)) return { kind: 'fc', channelsFirst: false };
  if (depth < 3 && PASS_THROUGH_LAYERS.has(cls)) {
    const ins = inboundLayers(layer);
    if (ins.length === 1) return sourceKind(ins[0], depth + 1);
  }
  return null;
}

/** Neutral node kind of a Keras layer class (taps/view.ts). */
function kerasKind(cls: string): NodeKind {
  if (CONV_LAYERS.has(cls)) return 'conv';
  if (DENSE_LAYERS.has(cls)) return 'fc';
  if (cls === 'BatchNormalization' || cls === 'LayerNormalization') return 'norm';
  if (cls === 'Add') return 'add';
  if (cls === 'Concatenate') return 'concat';
  if (cls === 'Multiply') return 'mul';
  if (/^Global(Average|Max)Pooling/.test(cls)) return 'globalPool';
  if (/Pooling[123]D$/.test(cls)) return 'pool';
  if (['Flatten', 'Reshape', 'Permute'].includes(cls)) return 'reshape';
  if (['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'AlphaDropout'].includes(cls)) return 'copy';
  return 'other';
}

/** Axis labels of a Keras output (batch-less shape), channels last unless channelsFirst. */
function kerasAxes(shape: (number | null)[], channelsFirst: boolean): AxisLabel[] {
  const rank = shape.length + 1;
  if (rank === 2) return ['N', 'C'];
  const spatial = Array.from({ length: rank - 2 }, (): AxisLabel => 'S');
  return channelsFirst ? ['N', 'C', ...spatial] : ['N', ...spatial, 'C'];
}

/**
 * The neutral view of a LayersModel (taps/view.ts): one node per layer, named by the layer.
 * A conv / dense layer with a fused activation becomes a hidden weight node followed by the
 * activation node that carries the layer's name, so the shared study rule sees "activation
 * after conv / fc" exactly as for a separate ReLU layer.
 */
function layersView(model: LayersModel, layers: Layer[], outputLayers: Set<Layer>): GraphView {
  const nodes: ViewNode[] = [];
  // Input layers: a Sequential does not list its InputLayer, so take what the layers read that is not a layer.
  const own = new Set(layers.map((l) => l.name));
  const inputs: string[] = [];
  for (const l of layers) for (const i of inboundLayers(l)) if (!own.has(i.name) && !inputs.includes(i.name)) inputs.push(i.name);
  for (const name of inputs) {
    nodes.push({ id: name, index: nodes.length, kind: 'input', op: 'InputLayer', inputs: [], scope: [], rawName: name, shape: null, axes: null, isOutput: false, hidden: true });
  }
  for (const layer of layers) {
    const cls = layer.getClassName();
    const config = layerConfig(layer);
    const shape = layerOutputShape(layer);
    const channelsFirst = config.dataFormat === 'channelsFirst';
    const base = { scope: [], rawName: layer.name, shape: [null, ...shape], axes: kerasAxes(shape, channelsFirst), isOutput: outputLayers.has(layer) };
    const ins = inboundLayers(layer).map((l) => l.name);
    let kind = kerasKind(cls);
    let activation = ACTIVATION_LAYER_CLASSES.has(cls) ? kerasActivationKind(cls) : cls === 'Activation' ? kerasActivationKind(activationName(config)) : null;
    if (activation) kind = 'activation';
    const fused = (kind === 'conv' || kind === 'fc') ? kerasActivationKind(activationName(config)) : null;
    if (fused) {
      const pre = `${layer.name}\u0000pre`;
      nodes.push({ ...base, id: pre, index: nodes.length, kind, op: cls, inputs: ins, hidden: true, isOutput: false });
      nodes.push({ ...base, id: layer.name, index: nodes.length, kind: 'activation', activation: fused, op: cls, inputs: [pre] });
      continue;
    }
    nodes.push({ ...base, id: layer.name, index: nodes.length, kind, ...(activation ? { activation } : {}), op: cls, inputs: ins });
    activation = null;
  }
  return { nodes, inputId: inputs[0] ?? '', scoped: false };
}

/** Keras layer classes that are only an activation (their kind comes from the class name). */
const ACTIVATION_LAYER_CLASSES = new Set(['ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'ThresholdedReLU']);

function describeLayersModel(model: LayersModel): { metas: TapMeta[]; plan: TapPlan } {
  const outputLayers = new Set<Layer>((model as unknown as { outputLayers: Layer[] }).outputLayers ?? []);
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  // Default taps, the study's names and kinds: once, in taps/select.ts.
  const plan = planTaps(layersView(model, layers, outputLayers));
  const defaults = new Set(defaultTapIds(plan));
  const study = new Set(plan.taps.study);
  const metas: TapMeta[] = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    const config = layerConfig(layer);
    const shape = layerOutputShape(layer);
    const isStudy = study.has(layer.name);
    let kind: LayerKind = CONV_LAYERS.has(cls) ? 'conv' : DENSE_LAYERS.has(cls) ? 'fc' : 'other';
    let channelsFirst = config.dataFormat === 'channelsFirst';
    if (isStudy && kind === 'other') {
      kind = plan.kinds.get(layer.name) ?? 'other';
      const ins = inboundLayers(layer);
      const src = ins.length === 1 ? sourceKind(ins[0]) : null;
      if (src) channelsFirst = src.channelsFirst;
    }
    const rank = shape.length + 1;
    metas.push({
      name: plan.plainChain && isStudy ? plan.names.get(layer.name)! : layer.name,
      id: layer.name,
      op: cls === 'Activation' ? `Activation(${activationName(config)})` : cls,
      kind,
      shape,
      defaultTap: defaults.has(layer.name),
      channelAxis: channelsFirst && rank > 2 ? 1 : rank - 1,
    });
  }
  return { metas: dedupeNames(metas), plan };
}

/** Non-tap names that collide with a study name get a `layer:` prefix. */
function dedupeNames(metas: TapMeta[]): TapMeta[] {
  const tapNames = new Set(metas.filter((m) => m.defaultTap).map((m) => m.name));
  const seen = new Set<string>();
  for (const m of metas) {
    if (!m.defaultTap && tapNames.has(m.name)) m.name = `layer:${m.id}`;
    let n = m.name;
    for (let k = 2; seen.has(n); k++) n = `${m.name}#${k}`;
    m.name = n;
    seen.add(n);
  }
  return metas;
}

/**
 * Kinds the no-nonlinearity control replaces in Keras models: every registry kind
 * (taps/activations.ts) except sigmoid / hard sigmoid, which in Keras are gates (squeeze-
 * excitation) or the output activation of a binary classifier, not a hidden nonlinearity.
 */
function kerasReplaced(name: string | null): ActivationKind | null {
  const k = kerasActivationKind(name);
  return k && k !== 'sigmoid' && k !== 'hardSigmoid' ? k : null;
}

/** Keras layer classes that are nothing but an activation. */
const ACTIVATION_LAYERS = new Set(['ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU']);

/**
 * Deep-copied topology with every nonlinearity made linear (METHOD §8, no nonlinearity): ReLU,
 * LeakyReLU, PReLU, ELU layers become linear Activation layers, and every layer's `activation`
 * of a registry kind becomes `linear`. `changes`, when given, counts what was replaced by kind.
 */
export function stripReluFromLayersTopology(topology: unknown, changes?: ControlChanges): unknown {
  const count = (k: ActivationKind): void => {
    if (!changes) return;
    const label = nonlinearity(k).label;
    changes.replaced[label] = (changes.replaced[label] ?? 0) + 1;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v == null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    if (typeof out.class_name === 'string' && out.config && typeof out.config === 'object') {
      const cfg = out.config as Record<string, unknown>;
      if (ACTIVATION_LAYERS.has(out.class_name)) {
        count(kerasActivationKind(out.class_name) ?? 'relu');
        out.class_name = 'Activation';
        const lin: Record<string, unknown> = { name: cfg.name, trainable: cfg.trainable ?? true, activation: 'linear' };
        if (cfg.dtype !== undefined) lin.dtype = cfg.dtype;
        out.config = lin;
        if ('registered_name' in out) out.registered_name = 'Activation';
      } else if (kerasReplaced(activationName(cfg))) {
        count(kerasReplaced(activationName(cfg))!);
        cfg.activation = 'linear';
      }
    }
    return out;
  };
  return walk(topology);
}

/** Layer variables that are the conv/dense kernels (or biases) of a LayersModel. */
function permutationTargets(model: LayersModel, target: 'weights' | 'biases'): tfTypes.LayerVariable[] {
  const out: tfTypes.LayerVariable[] = [];
  const visit = (layers: Layer[]): void => {
    for (const layer of layers) {
      const cls = layer.getClassName();
      const nested = (layer as unknown as { layers?: Layer[] }).layers;
      if (Array.isArray(nested) && (cls === 'Sequential' || cls === 'Model' || cls === 'Functional')) {
        visit(nested);
        continue;
      }
      if (!CONV_LAYERS.has(cls) && !DENSE_LAYERS.has(cls)) continue;
      const l = layer as unknown as Record<string, unknown>;
      const kernels = ['kernel', 'depthwiseKernel', 'pointwiseKernel'].map((k) => l[k]).filter((x) => x != null);
      const vars = layer.weights;
      for (const w of vars) {
        const isKernel = kernels.includes(w);
        const isBias = w === l.bias;
        if ((target === 'weights' && isKernel) || (target === 'biases' && isBias)) out.push(w);
      }
    }
  };
  visit(model.layers);
  return out;
}

// ---------------------------------------------------------------- GraphModel helpers

interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; list?: { s?: string[]; i?: string[] }; b?: boolean; [k: string]: unknown }>;
  [k: string]: unknown;
}

function graphNodes(json: TfjsModelJson): GraphNodeDef[] {
  return ((json.modelTopology as { node?: GraphNodeDef[] }).node ?? []) as GraphNodeDef[];
}

function inputName(ref: string): string | null {
  if (ref.startsWith('^')) return null;
  const i = ref.indexOf(':');
  return i >= 0 ? ref.slice(0, i) : ref;
}

function b64decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function b64encode(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function fusedOps(node: GraphNodeDef): string[] {
  return (node.attr?.fused_ops?.list?.s ?? []).map(b64decode);
}

function dataFormatOf(node: GraphNodeDef): string {
  const s = node.attr?.data_format?.s;
  return s ? b64decode(s) : 'NHWC';
}

interface GraphIndex {
  byName: Map<string, GraphNodeDef>;
  consumers: Map<string, string[]>;
}

function indexGraph(nodes: GraphNodeDef[]): GraphIndex {
  const byName = new Map<string, GraphNodeDef>();
  const consumers = new Map<string, string[]>();
  for (const n of nodes) byName.set(n.name, n);
  for (const n of nodes) {
    for (const r of n.input ?? []) {
      const src = inputName(r);
      if (src == null) continue;
      if (!consumers.has(src)) consumers.set(src, []);
      consumers.get(src)!.push(n.name);
    }
  }
  return { byName, consumers };
}

/** Data (non-Const) inputs of a node. */
function dataInputs(g: GraphIndex, n: GraphNodeDef): GraphNodeDef[] {
  const out: GraphNodeDef[] = [];
  for (const r of n.input ?? []) {
    const src = inputName(r);
    const s = src == null ? undefined : g.byName.get(src);
    if (s && s.op !== 'Const') out.push(s);
  }
  return out;
}

function graphSourceKind(g: GraphIndex, n: GraphNodeDef, depth = 0): { kind: LayerKind; channelsFirst: boolean } | null {
  if (GRAPH_CONV_OPS.has(n.op) || GRAPH_FUSED_CONV_OPS.has(n.op)) return { kind: 'conv', channelsFirst: dataFormatOf(n).startsWith('NC') };
  if (GRAPH_MATMUL_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op)) return { kind: 'fc', channelsFirst: false };
  if (depth > 4) return null;
  const ins = dataInputs(g, n);
  // Pass through bias/batch-norm/identity, and Add/AddV2 with one constant operand (a bias).
  if (GRAPH_PASS_OPS.has(n.op) || ((n.op === 'Add' || n.op === 'AddV2') && ins.length === 1)) {
    if (ins.length >= 1) return graphSourceKind(g, ins[0], depth + 1);
  }
  return null;
}

/**
 * The neutral view of a GraphModel (taps/view.ts): one node per compute node; a fused conv /
 * matmul with an activation becomes a hidden weight node plus the activation node with its name.
 */
function graphView(nodes: GraphNodeDef[], g: GraphIndex, outputNames: Set<string>): GraphView {
  const rec = recogniseGraphActivations(nodes);
  const view: ViewNode[] = [];
  let inputId = '';
  for (const n of nodes) {
    if (n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault') {
      if (!inputId) inputId = n.name;
      view.push({ id: n.name, index: view.length, kind: 'input', op: n.op, inputs: [], scope: [], rawName: n.name, shape: null, axes: null, isOutput: false, hidden: true });
      continue;
    }
    if (GRAPH_SKIP_LIST.has(n.op) || n.op === 'Const') continue;
    const ins = dataInputs(g, n).map((x) => x.name);
    const base = { scope: [], rawName: n.name, shape: null, axes: null, isOutput: outputNames.has(n.name) || (g.consumers.get(n.name) ?? []).length === 0 };
    const conv = GRAPH_CONV_OPS.has(n.op) || GRAPH_FUSED_CONV_OPS.has(n.op);
    const mm = GRAPH_MATMUL_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op);
    const fusedAct = GRAPH_FUSED_CONV_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op) ? fusedOps(n).find((o) => FUSED_ACTIVATIONS[o]) : undefined;
    if (fusedAct) {
      const pre = `${n.name}\u0000pre`;
      view.push({ ...base, id: pre, index: view.length, kind: conv ? 'conv' : 'fc', op: n.op, inputs: ins, hidden: true, isOutput: false });
      view.push({ ...base, id: n.name, index: view.length, kind: 'activation', activation: FUSED_ACTIVATIONS[fusedAct], op: n.op, inputs: [pre] });
      continue;
    }
    const m = rec.activations.get(n.name);
    let kind: NodeKind = 'other';
    if (m) kind = 'activation';
    else if (rec.gates.has(n.name)) kind = 'gate';
    else if (conv) kind = 'conv';
    else if (mm) kind = 'fc';
    else if (n.op === 'BiasAdd' || n.op === 'Add' || n.op === 'AddV2' || n.op === 'AddN') kind = 'add';
    else if (n.op.startsWith('FusedBatchNorm')) kind = 'norm';
    else if (n.op === 'Identity') kind = 'copy';
    else if (n.op === 'ConcatV2' || n.op === 'Concat') kind = 'concat';
    else if (n.op === 'Mul') kind = 'mul';
    else if (n.op === 'MaxPool' || n.op === 'AvgPool') kind = 'pool';
    else if (n.op === 'Mean') kind = 'globalPool';
    else if (['Reshape', 'Transpose', 'Squeeze', 'ExpandDims'].includes(n.op)) kind = 'reshape';
    view.push({ ...base, id: n.name, index: view.length, kind, ...(m ? { activation: m.kind } : {}), op: n.op, inputs: ins });
  }
  return { nodes: view, inputId, scoped: false };
}

function describeGraphModel(json: TfjsModelJson, outputNames: Set<string>): { metas: TapMeta[]; plan: TapPlan } {
  const nodes = graphNodes(json);
  const g = indexGraph(nodes);
  const compute = nodes.filter((n) => !GRAPH_SKIP_LIST.has(n.op));
  // Default taps, the study's names and kinds: once, in taps/select.ts.
  const plan = planTaps(graphView(nodes, g, outputNames));
  const defaults = new Set(defaultTapIds(plan));
  const study = new Set(plan.taps.study);
  const metas: TapMeta[] = [];
  for (const n of compute) {
    let kind: LayerKind = 'other';
    let channelsFirst = false;
    const isTap = defaults.has(n.name);
    if (study.has(n.name) && !(GRAPH_FUSED_CONV_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op))) {
      const ins = dataInputs(g, n);
      const src = ins.length === 1 ? graphSourceKind(g, ins[0]) : null;
      kind = plan.kinds.get(n.name) ?? src?.kind ?? 'other';
      channelsFirst = src?.channelsFirst ?? false;
    } else if (GRAPH_FUSED_CONV_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op)) {
      kind = GRAPH_FUSED_CONV_OPS.has(n.op) ? 'conv' : 'fc';
      channelsFirst = kind === 'conv' && dataFormatOf(n).startsWith('NC');
    } else if (GRAPH_CONV_OPS.has(n.op)) {
      kind = 'conv';
      channelsFirst = dataFormatOf(n).startsWith('NC');
    } else if (GRAPH_MATMUL_OPS.has(n.op)) {
      kind = 'fc';
    }
    const name = plan.plainChain && study.has(n.name) ? plan.names.get(n.name)! : n.name;
    metas.push({ name, id: n.name, op: n.op, kind, shape: [], defaultTap: isTap, channelAxis: channelsFirst ? 1 : -1 });
  }
  return { metas: dedupeNames(metas), plan };
}

/** Activations TF.js can fuse into _FusedConv2D / _FusedMatMul, by registry kind. */
const FUSED_ACTIVATIONS: Record<string, ActivationKind> = { Relu: 'relu', Relu6: 'relu6', Elu: 'elu', LeakyRelu: 'leakyRelu', Prelu: 'prelu', Sigmoid: 'sigmoid' };

/**
 * Deep-copied graph with every nonlinearity the registry recognises (taps/activations.ts:
 * Relu, Relu6, Elu, Selu, LeakyRelu, Prelu, Tanh, SiLU = Sigmoid·x, GELU's Erf form, ...) made
 * Identity of its input, and fused activations removed from fused conv / matmul nodes.
 * Gating sigmoids (squeeze-excitation) stay. `changes`, when given, counts what was replaced.
 */
export function stripReluFromGraph(json: TfjsModelJson, changes?: ControlChanges): TfjsModelJson {
  const copy = JSON.parse(JSON.stringify(json)) as TfjsModelJson;
  const nodes = graphNodes(copy);
  const rec = recogniseGraphActivations(nodes);
  const count = (k: ActivationKind): void => {
    if (!changes) return;
    const label = nonlinearity(k).label;
    changes.replaced[label] = (changes.replaced[label] ?? 0) + 1;
  };
  for (const n of nodes) {
    const m = rec.activations.get(n.name);
    if (m) {
      // Identity of x: keep the node's name (readers refer to it), read the pattern's input.
      const ctrl = (n.input ?? []).filter((r) => r.startsWith('^'));
      n.op = 'Identity';
      n.input = [(n.input ?? []).find((r) => (inputName(r) ?? r) === m.input) ?? m.input, ...ctrl];
      n.attr = n.attr?.T ? { T: n.attr.T } : {};
      count(m.kind);
    } else if (GRAPH_FUSED_CONV_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op)) {
      const fops = fusedOps(n);
      const act = fops.find((o) => FUSED_ACTIVATIONS[o]);
      if (act) {
        n.attr!.fused_ops!.list!.s = fops.filter((o) => !FUSED_ACTIVATIONS[o]).map(b64encode);
        count(FUSED_ACTIVATIONS[act]);
      }
    }
  }
  if (changes) changes.gatesKept = rec.gates.size;
  return copy;
}

/** The activation registry's matchers (taps/activations.ts) over a GraphModel's nodes. */
function recogniseGraphActivations(nodes: GraphNodeDef[]): Recognised {
  const g = indexGraph(nodes);
  const ops: OpNode[] = nodes.map((n) => ({ name: n.name, op: n.op, inputs: (n.input ?? []).filter((r) => !r.startsWith('^')).map((r) => inputName(r) ?? r), outputs: [n.name] }));
  const byName = new Map(ops.map((o) => [o.name, o] as const));
  const opGraph: OpGraph = {
    producer: (t) => byName.get(t),
    consumers: (t) => (g.consumers.get(t) ?? []).map((c) => byName.get(c)!).filter((c) => !!c),
    constScalar: (t) => {
      const n = g.byName.get(t);
      return n && n.op === 'Const' ? constScalarOf(n) : null;
    },
    isData: (t) => {
      const n = g.byName.get(t);
      return !!n && !GRAPH_SKIP_LIST.has(n.op) && n.op !== 'Const';
    },
  };
  return recogniseActivations(ops, opGraph);
}

/** The value of a scalar Const node of a GraphModel (stored in attr.value.tensor), else null. */
function constScalarOf(n: GraphNodeDef): number | null {
  const t = (n.attr?.value as { tensor?: { floatVal?: number[]; intVal?: number[]; tensorShape?: { dim?: unknown[] } } } | undefined)?.tensor;
  if (!t) return null;
  const dims = t.tensorShape?.dim ?? [];
  if (dims.length > 0) return null;
  const v = t.floatVal?.[0] ?? t.intVal?.[0];
  return typeof v === 'number' ? v : null;
}

/** Names of the Const nodes holding conv/matmul kernels or biases, in graph order. */
function graphPermutationTargets(json: TfjsModelJson, target: 'weights' | 'biases'): string[] {
  const nodes = graphNodes(json);
  const g = indexGraph(nodes);
  const constOf = (ref: string | undefined): string | null => {
    let name = ref == null ? null : inputName(ref);
    for (let hops = 0; name != null && hops < 4; hops++) {
      const n = g.byName.get(name);
      if (!n) return null;
      if (n.op === 'Const') return n.name;
      if (n.op !== 'Identity') return null;
      name = inputName((n.input ?? [])[0] ?? '');
    }
    return null;
  };
  const out: string[] = [];
  const add = (c: string | null): void => {
    if (c != null && !out.includes(c)) out.push(c);
  };
  for (const n of nodes) {
    const conv = GRAPH_CONV_OPS.has(n.op) || GRAPH_FUSED_CONV_OPS.has(n.op);
    const mm = GRAPH_MATMUL_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op);
    if (target === 'weights' && (conv || mm) && n.op !== 'Einsum') {
      add(constOf(n.input?.[1])); // the filter / right-hand matrix (Conv2DBackpropInput too)
      if (mm) add(constOf(n.input?.[0])); // a constant left-hand matrix (transposed layouts)
    } else if (target === 'biases') {
      if ((GRAPH_FUSED_CONV_OPS.has(n.op) || GRAPH_FUSED_MATMUL_OPS.has(n.op)) && fusedOps(n)[0] === 'BiasAdd') {
        add(constOf(n.input?.[2]));
      } else if (n.op === 'BiasAdd' || n.op === 'Add' || n.op === 'AddV2') {
        const ins = n.input ?? [];
        const src = g.byName.get(inputName(ins[0] ?? '') ?? '');
        if (src && (GRAPH_CONV_OPS.has(src.op) || GRAPH_MATMUL_OPS.has(src.op))) add(constOf(ins[1]));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- permutation

/** Fisher–Yates over the flattened values, in place. */
function shuffleValues(values: Float32Array | Int32Array | Uint8Array, rng: SeededRandom): void {
  rng.shuffle(values);
}

/** Artifacts whose named float tensors are shuffled (one SeededRandom stream, in `names` order). */
function permuteArtifacts(tf: Tf, artifacts: ModelArtifacts, names: string[], seed: number): ModelArtifacts {
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData as ArrayBuffer;
  const map = tf.io.decodeWeights(data, specs);
  const rng = new SeededRandom(seed);
  const out: tfTypes.NamedTensorMap = { ...map };
  const created: Tensor[] = [];
  try {
    // One random stream, consumed in graph order of the targets.
    for (const name of names) {
      const t = map[name];
      if (!t) continue;
      const v = t.dataSync().slice() as Float32Array;
      shuffleValues(v, rng);
      const nt = tf.tensor(v, t.shape, t.dtype);
      created.push(nt);
      out[name] = nt;
    }
    return encodeSync(artifacts, out, specs.map((s) => s.name));
  } finally {
    for (const t of Object.values(map)) t.dispose();
    for (const t of created) t.dispose();
  }
}

/** Encode a name → tensor map back into artifacts (float32 / int32 / bool), synchronously. */
function encodeSync(artifacts: ModelArtifacts, map: tfTypes.NamedTensorMap, order: string[]): ModelArtifacts {
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const name of order) {
    const t = map[name];
    const v = t.dataSync();
    if (t.dtype === 'string') throw new Error(`string weights are not supported (${name})`);
    const bytes =
      t.dtype === 'bool'
        ? Uint8Array.from(v as Uint8Array)
        : new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
    specs.push({ name, shape: t.shape, dtype: t.dtype as 'float32' | 'int32' | 'bool' });
    parts.push(bytes);
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  return { ...artifacts, weightSpecs: specs, weightData: buf.buffer };
}

// ---------------------------------------------------------------- the engine

class TfjsEngine implements Engine {
  readonly layout: Layout;
  readonly inputSize: { width: number; height: number } | null;
  private disposed = false;

  constructor(
    private readonly tf: Tf,
    readonly backend: string,
    readonly format: 'tfjs-layers' | 'tfjs-graph',
    private readonly modelPath: string,
    private readonly json: TfjsModelJson,
    private readonly artifacts: ModelArtifacts,
    private readonly metas: TapMeta[],
    /** Model input shape including batch, in the model's layout. */
    private readonly inputShape: (number | null)[],
    private readonly numOutputs: number | null,
    /** The shared tap plan (taps/select.ts). */
    private readonly plan: TapPlan | null = null,
  ) {
    const s = inputShape;
    const channelsFirst = s.length === 4 && (s[1] === 1 || s[1] === 3) && s[3] !== 1 && s[3] !== 3;
    this.layout = channelsFirst ? 'NCHW' : 'NHWC';
    const [h, w] = channelsFirst ? [s[2], s[3]] : [s[1], s[2]];
    this.inputSize = s.length === 4 && h != null && w != null && h > 0 && w > 0 ? { width: w, height: h } : null;
  }

  layers(): LayerInfo[] {
    return this.metas.map(({ channelAxis: _c, ...info }) => ({ ...info, shape: [...info.shape] }));
  }

  defaultTaps(mode?: TapSelection): string[] {
    if (!this.plan || !mode) return this.metas.filter((m) => m.defaultTap).map((m) => m.name);
    const byId = new Map(this.metas.map((m) => [m.id, m.name] as const));
    return defaultTapIds(this.plan, mode).map((id) => byId.get(id)!).filter((n) => n !== undefined);
  }

  private variantArtifacts(variant: ModelVariant, changes: ControlChanges): ModelArtifacts {
    const tf = this.tf;
    const fresh = (): ModelArtifacts => ({ ...this.artifacts, weightData: (this.artifacts.weightData as ArrayBuffer).slice(0) });
    if (variant.kind === 'trained') return fresh();
    if (variant.kind === 'norelu') {
      if (this.format === 'tfjs-layers') {
        return { ...fresh(), modelTopology: stripReluFromLayersTopology(this.artifacts.modelTopology, changes) as ModelArtifacts['modelTopology'] };
      }
      const stripped = stripReluFromGraph(this.json, changes);
      return { ...fresh(), modelTopology: stripped.modelTopology as unknown as ModelArtifacts['modelTopology'] };
    }
    if (variant.kind === 'permuted') {
      if (!Number.isFinite(variant.seed)) throw new UserError(`Permutation seed must be a number, got ${variant.seed}.`, 'E_SETTINGS');
      if (this.format === 'tfjs-graph') {
        const targets = graphPermutationTargets(this.json, variant.target);
        changes.permuted[variant.target === 'weights' ? 'conv/fc weights' : 'conv/fc biases'] = targets.length;
        return permuteArtifacts(tf, fresh(), targets, variant.seed);
      }
      return fresh(); // LayersModel: shuffled with setWeights after loading (see createSession)
    }
    throw new UserError(`Unknown model variant ${(variant as { kind: string }).kind}.`, 'E_SETTINGS');
  }

  async createSession(options: SessionOptions): Promise<ModelSession> {
    if (this.disposed) throw new Error('engine disposed');
    const tf = this.tf;
    const byName = new Map(this.metas.map((m) => [m.name, m]));
    const taps = options.taps.map((name) => {
      const m = byName.get(name) ?? this.metas.find((x) => x.id === name);
      if (!m) {
        throw new UserError(
          `Layer '${name}' is not in ${this.modelPath}. Known layers: ${this.metas.map((x) => x.name).join(', ')}.`,
          'E_LAYER',
        );
      }
      return m;
    });
    if (taps.length === 0 && !options.includeLogits) throw new UserError('No layers selected to read.', 'E_LAYER');
    const changes: ControlChanges = { replaced: {}, gatesKept: 0, permuted: {} };
    const artifacts = this.variantArtifacts(options.variant, changes);
    if (this.format === 'tfjs-layers') {
      const model = await tf.loadLayersModel(memoryHandler(artifacts));
      if (options.variant.kind === 'permuted') {
        const rng = new SeededRandom(options.variant.seed);
        for (const v of permutationTargets(model, options.variant.target)) {
          const shuffled = tf.tidy(() => {
            const vals = v.read().dataSync().slice() as Float32Array;
            shuffleValues(vals, rng);
            return tf.tensor(vals, v.shape as number[], v.dtype);
          });
          v.write(shuffled);
          shuffled.dispose();
          changes.permuted[options.variant.target === 'weights' ? 'conv/fc weights' : 'conv/fc biases'] =
            (changes.permuted[options.variant.target === 'weights' ? 'conv/fc weights' : 'conv/fc biases'] ?? 0) + 1;
        }
      }
      const ls = new LayersSession(tf, model, taps, options, this.numOutputs, this.inputShape);
      ls.changes = changes;
      return ls;
    }
    const model = await tf.loadGraphModel(memoryHandler(artifacts));
    const session = new GraphSession(tf, model, taps, options, this.inputShape, this.inputSize);
    session.changes = changes;
    await session.init();
    return session;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** Shape of one input batch, from the model input (square images assumed for dynamic sizes). */
function batchShape(length: number, batch: number, inputShape: (number | null)[]): number[] {
  const dims = inputShape.slice(1);
  const known = product(dims);
  if (known != null) {
    if (length !== batch * known) {
      throw new Error(`input has ${length} values, expected ${batch} x ${dims.join('x')} = ${batch * known}`);
    }
    return [batch, ...(dims as number[])];
  }
  if (dims.length === 3) {
    const chFirst = dims[0] != null && dims[2] == null;
    const c = (chFirst ? dims[0] : dims[2]) ?? 3;
    const hw = length / (batch * c);
    const side = Math.round(Math.sqrt(hw));
    if (side * side === hw) return chFirst ? [batch, c, side, side] : [batch, side, side, c];
  }
  throw new Error(`cannot infer the input shape for ${length} values and batch ${batch} (model input ${JSON.stringify(inputShape)})`);
}

function inputTensor(tf: Tf, input: Float32Array, batch: number, inputShape: (number | null)[]): Tensor {
  return tf.tensor(input, batchShape(input.length, batch, inputShape));
}

async function readOutputs(ts: Tensor[]): Promise<Float32Array[]> {
  try {
    const out: Float32Array[] = [];
    for (const t of ts) {
      const d = await t.data();
      out.push(d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>));
    }
    return out;
  } finally {
    for (const t of ts) t.dispose();
  }
}

class LayersSession implements ModelSession {
  readonly tapUnits: number[];
  changes?: ControlChanges;
  readonly numClasses: number | null;
  private readonly sub: LayersModel;

  constructor(
    private readonly tf: Tf,
    private readonly model: LayersModel,
    private readonly taps: TapMeta[],
    private readonly options: SessionOptions,
    numOutputs: number | null,
    private readonly inputShape: (number | null)[],
  ) {
    const outputs: tfTypes.SymbolicTensor[] = taps.map((m) => {
      const layer = model.getLayer(m.id);
      const o = (() => {
        try {
          return layer.output;
        } catch {
          return layer.getOutputAt(0);
        }
      })();
      return (Array.isArray(o) ? o[0] : o) as tfTypes.SymbolicTensor;
    });
    if (options.includeLogits) outputs.push(model.outputs[0]);
    this.sub = tf.model({ inputs: model.inputs, outputs });
    this.tapUnits = taps.map((m) => unitsOf(m, layerOutputShape(model.getLayer(m.id)), options.unitMode) ?? -1);
    this.numClasses = options.includeLogits ? numOutputs : null;
  }

  async run(input: Float32Array, batch: number): Promise<SessionOutput> {
    const tf = this.tf;
    const outs = tf.tidy(() => {
      const x = inputTensor(tf, input, batch, this.inputShape);
      const r = this.sub.predict(x);
      const arr = Array.isArray(r) ? r : [r];
      const reduced = this.taps.map((m, i) => reduceTap(tf, arr[i], m.channelAxis, this.options.unitMode));
      if (this.options.includeLogits) reduced.push(arr[this.taps.length].reshape([batch, -1]));
      return reduced;
    });
    const data = await readOutputs(outs);
    const result: SessionOutput = { taps: data.slice(0, this.taps.length) };
    if (this.options.includeLogits) result.logits = data[this.taps.length];
    return result;
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

class GraphSession implements ModelSession {
  tapUnits: number[] = [];
  changes?: ControlChanges;
  numClasses: number | null = null;
  private readonly outputNames: string[];
  private readonly inputName: string;

  constructor(
    private readonly tf: Tf,
    private readonly model: GraphModel,
    private readonly taps: TapMeta[],
    private readonly options: SessionOptions,
    private readonly inputShape: (number | null)[],
    private readonly inputSize: { width: number; height: number } | null,
  ) {
    this.inputName = model.inputs[0].name;
    this.outputNames = taps.map((m) => m.id);
    if (options.includeLogits) this.outputNames.push(model.outputs[0].name);
  }

  /** Probe output shapes with one zero image. */
  async init(): Promise<void> {
    const dims = this.inputShape.slice(1);
    const chFirst = dims.length === 3 && dims[0] != null && dims[0] <= 4 && (dims[2] == null || dims[2] > 4);
    const h = this.inputSize?.height ?? 224;
    const w = this.inputSize?.width ?? 224;
    const c = (chFirst ? dims[0] : dims[2]) ?? 3;
    const shape = chFirst ? [1, c, h, w] : [1, h, w, c];
    const raw = await this.execute(new Float32Array(h * w * c), shape);
    this.tapUnits = raw.slice(0, this.taps.length).map((a) => a.length);
    if (this.options.includeLogits) this.numClasses = raw[this.taps.length].length;
  }

  private async execute(input: Float32Array, shape: number[]): Promise<Float32Array[]> {
    const tf = this.tf;
    const x = tf.tensor(input, shape);
    let raw: Tensor[];
    try {
      const feed = { [this.inputName]: x };
      try {
        raw = this.model.execute(feed, this.outputNames) as Tensor[];
      } catch (e) {
        if (!/executeAsync|dynamic/i.test((e as Error).message)) throw e;
        raw = (await this.model.executeAsync(feed, this.outputNames)) as Tensor[];
      }
      if (!Array.isArray(raw)) raw = [raw as unknown as Tensor];
    } finally {
      x.dispose();
    }
    const batch = x.shape[0];
    const reduced = tf.tidy(() => {
      const r = this.taps.map((m, i) => reduceTap(tf, raw[i], m.channelAxis < 0 ? raw[i].rank - 1 : m.channelAxis, this.options.unitMode));
      if (this.options.includeLogits) r.push(raw[this.taps.length].reshape([batch, -1]));
      return r;
    });
    for (const t of raw) if (!reduced.includes(t)) t.dispose();
    return readOutputs(reduced);
  }

  async run(input: Float32Array, batch: number): Promise<SessionOutput> {
    const data = await this.execute(input, batchShape(input.length, batch, this.inputShape));
    const result: SessionOutput = { taps: data.slice(0, this.taps.length) };
    if (this.options.includeLogits) result.logits = data[this.taps.length];
    return result;
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

/** Open a TF.js model.json (LayersModel or GraphModel). */
export async function openTfjsEngine(modelJsonPath: string): Promise<Engine> {
  const { tf, runtime } = await loadTf();
  const json = readModelJson(modelJsonPath);
  const kind: TfjsModelKind = detectModelKind(json);
  const artifacts = loadArtifacts(modelJsonPath, json);
  if (kind === 'layers') {
    let model: LayersModel;
    try {
      model = await tf.loadLayersModel(memoryHandler(artifacts));
    } catch (e) {
      throw new UserError(`Cannot load the TF.js LayersModel ${modelJsonPath}: ${(e as Error).message}`, 'E_MODEL_FORMAT');
    }
    try {
      const { metas, plan } = describeLayersModel(model);
      const inShape = (model.inputs[0].shape ?? []).map((d) => (d == null || d < 0 ? null : d));
      const outShape = model.outputs[0].shape ?? [];
      const numOut = product(outShape.slice(1).map((d) => (d == null || d < 0 ? null : d)));
      return new TfjsEngine(tf, runtime, 'tfjs-layers', modelJsonPath, json, artifacts, metas, inShape, numOut, plan);
    } finally {
      model.dispose();
    }
  }
  let model: GraphModel;
  try {
    model = await tf.loadGraphModel(memoryHandler(artifacts));
  } catch (e) {
    throw new UserError(`Cannot load the TF.js GraphModel ${modelJsonPath}: ${(e as Error).message}`, 'E_MODEL_FORMAT');
  }
  try {
    if (model.inputs.length !== 1) {
      throw new UserError(`${modelJsonPath} has ${model.inputs.length} inputs; one image input is expected.`, 'E_MODEL_FORMAT');
    }
    const outputNames = new Set(model.outputs.map((o) => inputName(o.name) ?? o.name));
    const { metas, plan } = describeGraphModel(json, outputNames);
    const inShape = (model.inputs[0].shape ?? []).map((d) => (d == null || d < 0 ? null : d));
    const engine = new TfjsEngine(tf, runtime, 'tfjs-graph', modelJsonPath, json, artifacts, metas, inShape, null, plan);
    await fillGraphShapes(tf, model, metas, inShape, engine.inputSize);
    return engine;
  } finally {
    model.dispose();
  }
}

/** Output shapes of graph nodes, from one zero image (only when the input size is fixed). */
async function fillGraphShapes(
  tf: Tf,
  model: GraphModel,
  metas: TapMeta[],
  inShape: (number | null)[],
  inputSize: { width: number; height: number } | null,
): Promise<void> {
  if (!inputSize) return;
  const dims = inShape.slice(1);
  if (product(dims) == null) return;
  const names = metas.map((m) => m.id);
  const x = tf.zeros([1, ...(dims as number[])]);
  try {
    let outs: Tensor[];
    const feed = { [model.inputs[0].name]: x };
    try {
      outs = model.execute(feed, names) as Tensor[];
    } catch {
      try {
        outs = (await model.executeAsync(feed, names)) as Tensor[];
      } catch {
        return; // shapes stay unknown; sessions probe their own taps
      }
    }
    if (!Array.isArray(outs)) outs = [outs];
    outs.forEach((t, i) => {
      metas[i].shape = t.shape.slice(1);
      if (metas[i].channelAxis < 0) metas[i].channelAxis = t.rank - 1;
    });
    for (const t of outs) t.dispose();
  } finally {
    x.dispose();
  }
}
