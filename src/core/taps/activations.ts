/**
 * Every nonlinearity the tool knows, as a registry (issue 10, point 3): how each kind is
 * recognised in an ONNX or TF.js graph (single operators and multi-node patterns such as
 * SiLU = Sigmoid(x) * x or the Erf form of GELU), and which Keras activation names it has.
 * The no-nonlinearity control (METHOD §8) replaces every recognised activation by identity:
 * the pattern's last node becomes Identity(x), so the tensor keeps its name and what read it
 * before reads x.
 *
 * Sigmoids that gate another tensor (squeeze-excitation: sigmoid(fc(pool(x))) * x) are not
 * activations of the feature map; recogniseActivations reports them as gates. They are kept
 * in the no-nonlinearity control (they scale channels, the study's question is about the
 * rectifying nonlinearities of the feature path), and the report says so.
 *
 * To add a kind: add one entry to NONLINEARITIES.
 */

export type ActivationKind =
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'prelu'
  | 'elu'
  | 'silu'
  | 'hardSwish'
  | 'hardSigmoid'
  | 'sigmoid'
  | 'gelu'
  | 'mish'
  | 'tanh';

/** A node of an engine's op graph, as the matchers see it (ONNX NodeProto, TF.js GraphModel node). */
export interface OpNode {
  name: string;
  op: string;
  /** Input tensor names (data and constants alike). */
  inputs: string[];
  outputs: string[];
}

/** What the matchers may ask of an engine's graph. */
export interface OpGraph {
  producer(tensor: string): OpNode | undefined;
  consumers(tensor: string): OpNode[];
  /** The value of a constant scalar (or one-element) tensor, else null. */
  constScalar(tensor: string): number | null;
  /** Clip-like bounds of a node (ONNX Clip: attributes or inputs), if it has them. */
  clipBounds?(node: OpNode): { min: number | null; max: number | null };
  /** True for tensors computed from the image (not weights, not shape metadata). */
  isData(tensor: string): boolean;
}

export interface ActivationMatch {
  kind: ActivationKind;
  /** The pattern's last node: its first output is the activation's output. */
  node: OpNode;
  /** The activation's input x (identity replacement reads it). */
  input: string;
  /** Every node of the pattern (one for single operators). */
  nodes: OpNode[];
}

export interface Nonlinearity {
  kind: ActivationKind;
  /** As shown in reports. */
  label: string;
  /** Keras / TF.js Layers activation names (`activation: 'relu'`, `Activation('swish')`) and layer classes. */
  keras: string[];
  /**
   * Match with `node` as the LAST node of the pattern; null if it is not this kind. Matchers
   * of multi-node patterns are tried first, so that a Sigmoid inside SiLU is not a sigmoid.
   */
  match(node: OpNode, g: OpGraph): ActivationMatch | null;
  /** Number of nodes of the pattern (for trying longer patterns first). */
  size: number;
}

const is = (n: OpNode | undefined, ...ops: string[]): n is OpNode => !!n && ops.includes(n.op);
const MUL = ['Mul'];
const ADD = ['Add', 'AddV2'];
const DIV = ['Div', 'RealDiv'];
const near = (a: number | null, b: number, tol = 1e-3): boolean => a !== null && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function single(kind: ActivationKind, ops: string[]): (node: OpNode) => ActivationMatch | null {
  return (node) => (ops.includes(node.op) ? { kind, node, input: node.inputs[0], nodes: [node] } : null);
}

/** Mul(a, b) where one operand is f(other): returns [x, fNode] or null. */
function mulOfSelf(node: OpNode, g: OpGraph, inner: (n: OpNode, x: string) => OpNode[] | null): { x: string; nodes: OpNode[] } | null {
  if (!is(node, ...MUL) || node.inputs.length !== 2) return null;
  for (const [a, b] of [[0, 1], [1, 0]]) {
    const x = node.inputs[a];
    const p = g.producer(node.inputs[b]);
    if (!p) continue;
    const nodes = inner(p, x);
    if (nodes) return { x, nodes: [...nodes, node] };
  }
  return null;
}

/** Factors of a product tree of Mul nodes (constants and tensors), with the Mul nodes. */
function productFactors(node: OpNode, g: OpGraph, depth = 0): { consts: number; tensors: string[]; muls: OpNode[] } | null {
  if (!is(node, ...MUL) || depth > 3) return null;
  let consts = 1;
  const tensors: string[] = [];
  const muls: OpNode[] = [node];
  for (const t of node.inputs) {
    const c = g.constScalar(t);
    if (c !== null) {
      consts *= c;
      continue;
    }
    const p = g.producer(t);
    // Nested Mul used only here: part of the same product.
    if (p && is(p, ...MUL) && g.consumers(t).length === 1) {
      const sub = productFactors(p, g, depth + 1);
      if (sub) {
        consts *= sub.consts;
        tensors.push(...sub.tensors);
        muls.push(...sub.muls);
        continue;
      }
    }
    tensors.push(t);
  }
  return { consts, tensors, muls };
}

/** GELU, erf form: x * 0.5 * (1 + erf(x / sqrt 2)) in any association of the product. */
function matchGeluErf(node: OpNode, g: OpGraph): ActivationMatch | null {
  if (g.consumers(node.outputs[0]).some((c) => is(c, ...MUL) && productFactors(c, g)?.muls.includes(node))) return null; // not the last Mul
  const f = productFactors(node, g);
  if (!f || f.tensors.length !== 2 || !near(f.consts, 0.5)) return null;
  for (const [xi, ai] of [[0, 1], [1, 0]]) {
    const x = f.tensors[xi];
    const add = g.producer(f.tensors[ai]);
    if (!is(add, ...ADD) || add.inputs.length !== 2) continue;
    const one = add.inputs.findIndex((t) => near(g.constScalar(t), 1, 1e-6));
    if (one < 0) continue;
    const erf = g.producer(add.inputs[1 - one]);
    if (!is(erf, 'Erf')) continue;
    const scale = g.producer(erf.inputs[0]);
    if (!scale) continue;
    let ok = false;
    if (is(scale, ...DIV) && scale.inputs[0] === x) ok = near(g.constScalar(scale.inputs[1]), Math.SQRT2);
    if (is(scale, ...MUL)) {
      const xi2 = scale.inputs.indexOf(x);
      ok = xi2 >= 0 && near(g.constScalar(scale.inputs[1 - xi2]), Math.SQRT1_2);
    }
    if (ok) return { kind: 'gelu', node, input: x, nodes: [scale, erf, add, ...f.muls] };
  }
  return null;
}

export const NONLINEARITIES: Nonlinearity[] = [
  {
    kind: 'gelu',
    label: 'GELU',
    keras: ['gelu'],
    size: 5,
    match: (node, g) => (node.op === 'Gelu' ? { kind: 'gelu', node, input: node.inputs[0], nodes: [node] } : matchGeluErf(node, g)),
  },
  {
    kind: 'mish',
    label: 'Mish',
    keras: ['mish'],
    size: 3,
    match: (node, g) => {
      if (node.op === 'Mish') return { kind: 'mish', node, input: node.inputs[0], nodes: [node] };
      const m = mulOfSelf(node, g, (p, x) => {
        if (!is(p, 'Tanh')) return null;
        const sp = g.producer(p.inputs[0]);
        return is(sp, 'Softplus') && sp.inputs[0] === x ? [sp, p] : null;
      });
      return m ? { kind: 'mish', node, input: m.x, nodes: m.nodes } : null;
    },
  },
  {
    kind: 'hardSwish',
    label: 'HardSwish',
    keras: ['hard_swish', 'hardswish', 'hard_silu'],
    size: 2,
    match: (node, g) => {
      if (node.op === 'HardSwish') return { kind: 'hardSwish', node, input: node.inputs[0], nodes: [node] };
      const m = mulOfSelf(node, g, (p, x) => (is(p, 'HardSigmoid') && p.inputs[0] === x ? [p] : null));
      return m ? { kind: 'hardSwish', node, input: m.x, nodes: m.nodes } : null;
    },
  },
  {
    kind: 'silu',
    label: 'SiLU',
    keras: ['swish', 'silu'],
    size: 2,
    match: (node, g) => {
      if (node.op === 'Swish' || node.op === 'Silu') return { kind: 'silu', node, input: node.inputs[0], nodes: [node] };
      const m = mulOfSelf(node, g, (p, x) => (is(p, 'Sigmoid') && p.inputs[0] === x ? [p] : null));
      return m ? { kind: 'silu', node, input: m.x, nodes: m.nodes } : null;
    },
  },
  {
    kind: 'relu6',
    label: 'ReLU6',
    keras: ['relu6'],
    size: 1,
    match: (node, g) => {
      if (node.op === 'Relu6') return { kind: 'relu6', node, input: node.inputs[0], nodes: [node] };
      if (node.op !== 'Clip' || !g.clipBounds) return null;
      const b = g.clipBounds(node);
      // A Clip with lower bound 0 and a finite upper bound is a bounded ReLU (ReLU6 in torch).
      return b.min === 0 && b.max !== null && Number.isFinite(b.max) ? { kind: 'relu6', node, input: node.inputs[0], nodes: [node] } : null;
    },
  },
  {
    kind: 'relu',
    label: 'ReLU',
    keras: ['relu', 'ReLU'],
    size: 1,
    match: (node, g) => {
      if (node.op === 'Relu') return { kind: 'relu', node, input: node.inputs[0], nodes: [node] };
      if (node.op !== 'Clip' || !g.clipBounds) return null;
      const b = g.clipBounds(node);
      return b.min === 0 && (b.max === null || !Number.isFinite(b.max)) ? { kind: 'relu', node, input: node.inputs[0], nodes: [node] } : null;
    },
  },
  { kind: 'leakyRelu', label: 'LeakyReLU', keras: ['leaky_relu', 'LeakyReLU'], size: 1, match: single('leakyRelu', ['LeakyRelu']) },
  { kind: 'prelu', label: 'PReLU', keras: ['PReLU'], size: 1, match: single('prelu', ['PRelu', 'Prelu']) },
  { kind: 'elu', label: 'ELU', keras: ['elu', 'selu', 'ELU'], size: 1, match: single('elu', ['Elu', 'Selu', 'Celu']) },
  { kind: 'hardSigmoid', label: 'HardSigmoid', keras: ['hard_sigmoid'], size: 1, match: single('hardSigmoid', ['HardSigmoid']) },
  { kind: 'sigmoid', label: 'Sigmoid', keras: ['sigmoid'], size: 1, match: single('sigmoid', ['Sigmoid']) },
  { kind: 'tanh', label: 'Tanh', keras: ['tanh'], size: 1, match: single('tanh', ['Tanh']) },
];

const BY_KIND = new Map(NONLINEARITIES.map((n) => [n.kind, n] as const));

export function nonlinearity(kind: ActivationKind): Nonlinearity {
  return BY_KIND.get(kind)!;
}

/** The study's activations (METHOD §2: "every ReLU after a conv or fc"; ReLU6 counts as a ReLU). */
export const STUDY_KINDS: ReadonlySet<ActivationKind> = new Set(['relu', 'relu6']);

/** Kind of a Keras activation name / layer class, or null for linear / unknown. */
export function kerasActivationKind(name: string | null): ActivationKind | null {
  if (!name) return null;
  const lower = name.toLowerCase();
  for (const n of NONLINEARITIES) if (n.keras.some((k) => k.toLowerCase() === lower)) return n.kind;
  return null;
}

export interface Recognised {
  /** Output tensor -> match, for every activation. */
  activations: Map<string, ActivationMatch>;
  /** Output tensors of gating sigmoids (squeeze-excitation): not activations, not taps. */
  gates: Set<string>;
  /** Nodes inside a pattern (not its last node): not layers of their own. */
  internal: Set<OpNode>;
}

/**
 * Every activation of an op graph, in the order of `nodes`. Longer patterns win: a node that
 * is part of a matched pattern is not matched again.
 */
export function recogniseActivations(nodes: OpNode[], g: OpGraph): Recognised {
  const ordered = [...NONLINEARITIES].sort((a, b) => b.size - a.size);
  const activations = new Map<string, ActivationMatch>();
  const internal = new Set<OpNode>();
  // Pass 1: multi-node patterns; pass 2: single operators not inside a pattern.
  for (const multi of [true, false]) {
    for (const node of nodes) {
      if (internal.has(node) || activations.has(node.outputs[0] ?? '') || !g.isData(node.outputs[0] ?? '')) continue;
      for (const n of ordered) {
        const m = n.match(node, g);
        if (!m || (multi && m.nodes.length === 1) || (!multi && m.nodes.length > 1)) continue;
        if (m.nodes.some((x) => x !== node && (internal.has(x) || activations.has(x.outputs[0] ?? '')))) continue;
        activations.set(node.outputs[0], m);
        for (const x of m.nodes) if (x !== node) internal.add(x);
        break;
      }
    }
  }
  // Gates: a sigmoid-like output that multiplies a tensor other than its own input.
  const gates = new Set<string>();
  for (const [out, m] of activations) {
    if (m.kind !== 'sigmoid' && m.kind !== 'hardSigmoid') continue;
    const cons = g.consumers(out);
    if (cons.length > 0 && cons.every((c) => is(c, ...MUL) && c.inputs.some((i) => i !== out && i !== m.input && g.isData(i)))) gates.add(out);
  }
  for (const gt of gates) activations.delete(gt);
  return { activations, gates, internal };
}
