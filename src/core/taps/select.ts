/**
 * Tap selection, once for every engine (issue 10): the default taps of a graph view in each
 * mode, the study's names (conv1..convK, fc1..fcM) on a plain chain, and one unique display
 * name per tensor.
 *
 *  - `study` (METHOD §2): every ReLU / ReLU6 output that follows a conv or fc layer (through
 *    norm, residual Add, Identity / Dropout). On a plain chain (AlexNet, VGG) named conv1.., fc1...
 *  - `blocks`: the stem's activation, every block's output (families/*), the last activation
 *    before global pooling. Named by module path (`layer1.0`), as PyTorch forward hooks name them.
 *  - `activations`: every nonlinearity output (taps/activations.ts), gates excluded.
 *
 * Never a tap, in any mode: the classifier output (the logits, and anything the logits follow
 * without another conv / fc, such as SqueezeNet's class-score map), and the activations inside
 * a squeeze-excitation branch (they work on one pooled vector and only feed a gate).
 */
import type { LayerKind, TapSelection } from '../types';
import { UserError } from '../types';
import { STUDY_KINDS } from './activations';
import { FAMILY_RULES } from './families';
import { ScopeTree } from './scopeTree';
import { GraphView, indexView, ViewIndex, ViewNode } from './view';

export type { TapSelection };
export const TAP_SELECTIONS: readonly TapSelection[] = ['study', 'blocks', 'activations'];

export interface TapPlan {
  /** The default mode of this graph: study on a plain chain, blocks otherwise. */
  defaultMode: TapSelection;
  /** True if the study's taps form a plain chain (AlexNet / VGG naming). */
  plainChain: boolean;
  /** The family rule that found the blocks (`resnet`, ...; `add/concat` for unscoped graphs). */
  family: string | null;
  /** Default tap ids per mode, in graph order. */
  taps: Record<TapSelection, string[]>;
  /** Tensor id -> unique display name. */
  names: Map<string, string>;
  /** Other names a layer may be chosen by (node name, module paths it ends) -> tensor id. */
  aliases: Map<string, string>;
  /** conv / fc / other per tensor id. */
  kinds: Map<string, LayerKind>;
  /** Tensor ids that are classifier outputs (never taps). */
  classifier: Set<string>;
}

const PASS_KINDS = new Set(['norm', 'add', 'copy']);

/** Sanitised node name (`/layer1/layer1.0/relu_1/Relu` → `layer1.0.relu_1.Relu`), as before issue 10. */
export function sanitizeName(s: string): string {
  const parts = s.split('/').filter((p) => p.length > 0);
  const path: string[] = [];
  let prev = '';
  for (const p of parts) {
    if (prev && p.startsWith(prev + '.')) path[path.length - 1] = p;
    else path.push(p);
    prev = p;
  }
  const t = path
    .join('.')
    .replace(/[^A-Za-z0-9_.\-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+|[._]+$/g, '');
  return t || 'layer';
}

/** The conv / fc node a study activation follows, through norm / residual Add / copies. */
function studySource(n: ViewNode, ix: ViewIndex): ViewNode | null {
  const queue = [...n.inputs];
  const seen = new Set<string>();
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const p = ix.byId.get(id);
    if (!p) continue;
    if (p.kind === 'conv' || p.kind === 'fc') return p;
    if (!PASS_KINDS.has(p.kind)) continue;
    if (p.kind === 'add') queue.push(...p.inputs);
    else if (p.inputs[0]) queue.push(p.inputs[0]);
  }
  return null;
}

function studyKind(src: ViewNode, n: ViewNode): LayerKind {
  if (src.op === 'Conv' || src.kind === 'conv') return 'conv';
  if (src.op === 'MatMul') return n.shape && n.shape.length === 4 ? 'conv' : 'fc';
  return 'fc';
}

/** Every node the outputs follow without another conv / fc: the classifier head's output. */
function classifierOutputs(v: GraphView, ix: ViewIndex): Set<string> {
  const out = new Set<string>();
  const stack = v.nodes.filter((n) => n.isOutput).map((n) => n.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    const n = ix.byId.get(id);
    if (!n || n.kind === 'input') continue;
    out.add(id);
    if (n.kind === 'conv' || n.kind === 'fc') continue;
    stack.push(...n.inputs);
  }
  return out;
}

/** Activations inside a squeeze-excitation branch: they reach a gate within a few nodes, through single consumers. */
function seInternal(n: ViewNode, ix: ViewIndex): boolean {
  let frontier = [n];
  for (let depth = 0; depth < 3; depth++) {
    const next: ViewNode[] = [];
    for (const f of frontier) {
      for (const c of ix.consumers.get(f.id) ?? []) {
        if (c.kind === 'gate') return true;
        if (c.kind === 'conv' || c.kind === 'fc' || c.kind === 'activation' || c.kind === 'copy' || c.kind === 'other') next.push(c);
      }
    }
    frontier = next;
  }
  return false;
}

function singlePathBack(from: ViewNode, to: string, ix: ViewIndex): boolean {
  let n: ViewNode | undefined = from;
  for (let guard = 0; n && guard < 1_000_000; guard++) {
    if (n.id === to) return true;
    if (n.inputs.length !== 1) return false;
    n = ix.byId.get(n.inputs[0]);
  }
  return false;
}

export function planTaps(v: GraphView): TapPlan {
  const ix = indexView(v);
  const classifier = classifierOutputs(v, ix);
  // An activation with no conv / fc before it works on the image itself: not a layer's code.
  const weighted = new Set<string>();
  for (const n of v.nodes) {
    if (n.kind === 'conv' || n.kind === 'fc' || n.inputs.some((i) => weighted.has(i))) weighted.add(n.id);
  }
  const feature = (n: ViewNode): boolean =>
    n.kind === 'activation' && !n.hidden && !n.isOutput && weighted.has(n.id) && !classifier.has(n.id) && !seInternal(n, ix);

  // --- study (METHOD §2), exactly as before: ReLU-like outputs after conv / fc, not a graph output.
  const studyKinds = new Map<string, LayerKind>();
  const study: string[] = [];
  for (const n of v.nodes) {
    // Never the classifier output (SqueezeNet's class-score map ReLU); AlexNet / VGG end in a Gemm, unchanged.
    if (n.kind !== 'activation' || n.hidden || !n.activation || !STUDY_KINDS.has(n.activation) || n.isOutput || classifier.has(n.id)) continue;
    const src = studySource(n, ix);
    if (!src) continue;
    study.push(n.id);
    studyKinds.set(n.id, studyKind(src, n));
  }
  let plainChain = study.length > 0;
  let prev = v.inputId;
  for (const t of study) {
    if (!plainChain) break;
    plainChain = singlePathBack(ix.byId.get(t)!, prev, ix);
    prev = t;
  }

  // --- blocks
  const tree = new ScopeTree(v);
  const blockNames = new Map<string, string>(); // tensor id -> module path
  let family: string | null = null;
  let blockOutputs: ViewNode[] = [];
  const blockScopes: string[] = [];
  if (v.scoped) {
    const rule = FAMILY_RULES.find((r) => r.matches(tree, v));
    if (rule) {
      family = rule.name;
      for (const b of rule.blocks(tree, v)) {
        const out = tree.output(b);
        if (!out || classifier.has(out.id) || blockNames.has(out.id)) continue;
        blockNames.set(out.id, b);
        blockOutputs.push(out);
        blockScopes.push(b);
      }
    }
  } else {
    // Unscoped (Keras, other exporters): each merge of two data paths ends a block.
    for (const n of v.nodes) {
      if ((n.kind === 'add' || n.kind === 'concat') && n.inputs.length >= 2 && !classifier.has(n.id)) blockOutputs.push(n);
    }
    if (blockOutputs.length) family = 'add/concat';
  }
  blockOutputs.sort((a, b) => a.index - b.index);
  const inBlockNotOutput = (n: ViewNode): boolean => blockScopes.some((s) => n.scope.includes(s) && tree.output(s)?.id !== n.id);
  const blocks: ViewNode[] = [...blockOutputs];
  const acts = v.nodes.filter(feature);
  const firstBlockStart = blockScopes.length ? Math.min(...blockScopes.map((s) => tree.nodes(s)[0]?.index ?? Infinity)) : blockOutputs[0]?.index ?? Infinity;
  const stem = acts.find((a) => a.index < firstBlockStart);
  if (stem && !blocks.includes(stem)) blocks.push(stem);
  const pool = v.nodes.find((n) => n.kind === 'globalPool' && !n.scope.some((s) => blockScopes.includes(s)) && n.index > (blockOutputs[blockOutputs.length - 1]?.index ?? -1));
  const beforePool = acts.filter((a) => a.index < (pool?.index ?? Infinity));
  const last = beforePool[beforePool.length - 1];
  if (last && !blocks.includes(last) && !inBlockNotOutput(last)) blocks.push(last);
  blocks.sort((a, b) => a.index - b.index);

  // --- activations
  const activations = acts.map((a) => a.id);

  // --- names: study chain names, block module paths, the module a node ends, the node name.
  const names = new Map<string, string>();
  const used = new Set<string>();
  const kinds = new Map<string, LayerKind>();
  const aliases = new Map<string, string>();
  const take = (id: string, name: string): void => {
    names.set(id, name);
    used.add(name);
  };
  if (plainChain) {
    const counters = { conv: 0, fc: 0 };
    for (const t of study) {
      const k = studyKinds.get(t) === 'conv' ? 'conv' : 'fc';
      take(t, `${k}${++counters[k]}`);
    }
  }
  // Module paths a node ends (outermost first): a stem / last activation is named by the outermost one.
  const ends = new Map<string, string[]>();
  for (const s of tree.all()) {
    const o = tree.output(s);
    if (!o) continue;
    const list = ends.get(o.id) ?? [];
    list.push(s);
    ends.set(o.id, list);
  }
  const outermostEnd = (n: ViewNode): string | null => {
    const list = (ends.get(n.id) ?? []).filter((s) => !blockScopes.some((b) => b !== s && b.startsWith(s + '.')) && s !== 'features');
    return list.length ? list[0] : null;
  };
  for (const b of blocks) {
    if (names.has(b.id)) continue;
    const name = blockNames.get(b.id) ?? outermostEnd(b);
    if (name && !used.has(name)) take(b.id, name);
  }
  const unique = (base: string): string => {
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    return name;
  };
  for (const n of v.nodes) {
    if (n.kind === 'input' || n.hidden) continue;
    const own = n.scope.length && tree.output(n.scope[n.scope.length - 1])?.id === n.id ? n.scope[n.scope.length - 1] : null;
    const plain = sanitizeName(n.rawName || n.id);
    // An op outside every module (DenseNet's functional F.relu after features.norm5, exported as
    // `/Relu`) has no module path; it takes the name torch.fx gives it (`relu`), which is what
    // feature-extraction toolboxes (torchvision's get_graph_node_names) call it. Kept as an alias.
    const topLevelOp = !own && n.scope.length === 0 ? /^\/?([A-Z][A-Za-z0-9]*)(_\d+)?$/.exec(n.rawName ?? '') : null;
    const fxName = topLevelOp ? topLevelOp[1].toLowerCase() + (topLevelOp[2] ?? '') : null;
    if (!names.has(n.id)) take(n.id, own && !used.has(own) ? own : fxName && !used.has(fxName) ? fxName : unique(plain));
    if (plain !== names.get(n.id) && !used.has(plain) && !aliases.has(plain)) aliases.set(plain, n.id);
    for (const s of ends.get(n.id) ?? []) if (!used.has(s) && !aliases.has(s)) aliases.set(s, n.id);
    kinds.set(n.id, studyKinds.get(n.id) ?? (n.shape?.length === 4 ? 'conv' : n.shape?.length === 2 ? 'fc' : 'other'));
  }

  return {
    defaultMode: plainChain ? 'study' : 'blocks',
    plainChain,
    family,
    taps: { study, blocks: blocks.map((b) => b.id), activations },
    names,
    aliases,
    kinds,
    classifier,
  };
}

/** The default tap ids for a mode ('auto' or undefined: the graph's default mode). */
export function defaultTapIds(plan: TapPlan, mode?: TapSelection | 'auto'): string[] {
  const m = !mode || mode === 'auto' ? plan.defaultMode : mode;
  if (!TAP_SELECTIONS.includes(m)) {
    throw new UserError(`Setting taps: "${m}" is not a tap selection. Use ${TAP_SELECTIONS.join(', ')}.`, 'E_SETTINGS');
  }
  return plan.taps[m];
}
