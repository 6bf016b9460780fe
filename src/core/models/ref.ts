/**
 * Model references: the text a user writes for "which model?" (the CLI's `--model`, the
 * extension's `sparsityLens.model`, the model picker) and the typed ModelRef it is parsed into.
 *
 *   ./alexnet.onnx, /x/model.json, /x/tfjs-folder   a local file (used in place)
 *   file:/x/model.onnx                             the same, explicitly
 *   torchvision:alexnet                            export with pretrained weights (cached)
 *   torchvision:alexnet:random                     export with random weights, seed 0 (cached)
 *   torchvision:alexnet:random:7                   export with random weights, seed 7 (cached per seed)
 *   catalog:resnet50-v1                            download from the catalog (cached, sha256-checked)
 *   https://host/path/model.onnx                   download by URL (cached)
 *   cache:<id>                                     an entry already in the cache
 *
 * The text is parsed once, where it enters (parseModelRef); from there on the ModelRef travels
 * (settings check → extension → analysis worker → resolve.ts) and nothing parses the text again.
 *
 * A new scheme: one entry in SCHEMES (and a kind in ModelRef, with its case in resolve.ts and
 * isModelRef). A new part of an existing scheme (e.g. a seed after `torchvision:<arch>:random`):
 * its parser below.
 */
import { UserError } from '../types';
import type { TorchWeights } from './torchExport';

export type ModelRef =
  | { kind: 'file'; path: string }
  | { kind: 'torchvision'; arch: string; weights: TorchWeights; /** Random weights' seed (torch.manual_seed); absent means 0. */ seed?: number }
  | { kind: 'catalog'; id: string }
  | { kind: 'url'; url: string }
  | { kind: 'cache'; id: string };

/** Parses what follows `<scheme>:`. `text` is the whole reference (trimmed), `written` as given (for messages). */
type SchemeParser = (rest: string, text: string, written: string) => ModelRef;

function parseTorchvision(rest: string, _text: string, written: string): ModelRef {
  // Parts after the architecture, in order: the weights (`random`), then random weights' seed.
  const [arch, weightsPart, seedPart, ...extra] = rest.split(':');
  if (!arch) throw new UserError(`"${written}": name an architecture, e.g. torchvision:alexnet.`, 'E_MODEL');
  if (weightsPart !== undefined && !['random', 'none', 'pretrained', 'default'].includes(weightsPart.toLowerCase())) {
    throw new UserError(`"${written}": the part after the architecture must be "random" (or nothing for pretrained weights).`, 'E_MODEL');
  }
  const weights: TorchWeights = weightsPart && ['random', 'none'].includes(weightsPart.toLowerCase()) ? 'none' : 'DEFAULT';
  if (seedPart === undefined) return { kind: 'torchvision', arch: arch.toLowerCase(), weights, ...(weights === 'none' ? { seed: 0 } : {}) };
  if (weights !== 'none' || extra.length || !/^\d{1,16}$/.test(seedPart) || !Number.isSafeInteger(Number(seedPart))) {
    throw new UserError(`"${written}": after "random" only a seed may follow, a whole number (e.g. torchvision:${arch}:random:7).`, 'E_MODEL');
  }
  return { kind: 'torchvision', arch: arch.toLowerCase(), weights, seed: Number(seedPart) };
}

/** Every `<scheme>:` a reference may start with (lower case). */
const SCHEMES: Record<string, SchemeParser> = {
  http: (_rest, text) => ({ kind: 'url', url: text }),
  https: (_rest, text) => ({ kind: 'url', url: text }),
  torchvision: parseTorchvision,
  catalog: (rest) => ({ kind: 'catalog', id: rest.toLowerCase() }),
  cache: (rest) => ({ kind: 'cache', id: rest }),
  // `file:///x` is `/x`; `file:/x` and `file:x` keep their path.
  file: (rest) => ({ kind: 'file', path: rest.replace(/^\/\/(?=\/)/, '') }),
};

/** The one parser of model reference text. Throws UserError (E_MODEL) saying what to write instead. */
export function parseModelRef(written: string): ModelRef {
  const text = written.trim();
  if (!text) throw new UserError('No model given. Use a .onnx file, a TF.js model.json, torchvision:<arch>, catalog:<id> or an https:// URL.', 'E_MODEL');
  const m = /^([a-z]+):(.*)$/i.exec(text);
  // A Windows drive (`C:\models\a.onnx`) is a path, not a scheme.
  if (!m || /^[a-z]:[\\/]/i.test(text)) return { kind: 'file', path: text };
  const scheme = m[1].toLowerCase();
  const parse = SCHEMES[scheme];
  if (!parse) {
    throw new UserError(`"${written}": unknown model source "${scheme}:". Use a file path, torchvision:<arch>, catalog:<id>, cache:<id> or an https:// URL.`, 'E_MODEL');
  }
  return parse(m[2], text, written);
}

/**
 * True when `v` has the shape of a ModelRef: checks a reference that crossed a process boundary
 * (the analysis worker's IPC) without parsing any text.
 */
export function isModelRef(v: unknown): v is ModelRef {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const nonEmpty = (x: unknown): boolean => typeof x === 'string' && x.length > 0;
  switch (o.kind) {
    case 'file':
      return nonEmpty(o.path);
    case 'torchvision':
      return nonEmpty(o.arch) && nonEmpty(o.weights) && (o.seed === undefined || (Number.isSafeInteger(o.seed) && (o.seed as number) >= 0));
    case 'catalog':
    case 'cache':
      return nonEmpty(o.id);
    case 'url':
      return nonEmpty(o.url);
    default:
      return false;
  }
}
