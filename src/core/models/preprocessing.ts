/**
 * How an image becomes a model's input, resolved from layers (lowest first):
 *   preset default < cache/catalog entry < sidecar file beside the model < explicit overrides.
 * The sidecar is `<model stem>.sparsity.json` (`resnet50.onnx` → `resnet50.sparsity.json`,
 * TF.js `model.json` → `model.sparsity.json`); `<model file>.sparsity.json`
 * (`resnet50.onnx.sparsity.json`) is accepted too. Every value is validated and a bad one is
 * a UserError naming the file (or setting) and the field.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ModelWeights } from '../report/schema';
import { LIU2020_PREPROCESSING, UserError, type Preprocessing } from '../types';

/** Presets known here; the core's settings may pass a full Preprocessing object instead. */
const PRESET_PREPROCESSING: Record<string, Preprocessing> = {
  liu2020: LIU2020_PREPROCESSING,
};

export const SIDECAR_SUFFIX = '.sparsity.json';

/** What a sidecar file holds. Only `preprocessing` changes the analysis; the rest is recorded. */
export interface ModelSidecar {
  $schema?: string;
  preprocessing?: Partial<Preprocessing> & { scale?: number | string };
  /** Where the model came from (URL, `torchvision:alexnet`, …), for the report. */
  source?: string;
  /** Display name. */
  label?: string;
  /** Names of the model's output classes, in output order. */
  labels?: string[];
  /** Pretrained (which) or random (seed), written by the cache for exports; copied into reports. */
  weights?: ModelWeights;
  /** Informational (written by the cache); not checked here. */
  sha256?: string;
  notes?: string;
}

export interface ResolvePreprocessingInput {
  /** Preset name (`liu2020`) or the preset's preprocessing itself. Default `liu2020`. */
  preset?: string | Preprocessing;
  /** `.onnx` file or TF.js `model.json`; its sidecar is looked up beside it. */
  modelPath: string;
  /** The model's cache or catalog entry, when it came from one. */
  cacheEntry?: { id: string; source?: string; preprocessing?: Partial<Preprocessing> | null } | null;
  /** Explicit settings (CLI flags, `sparsityLens.preprocessing`); highest precedence. */
  overrides?: Partial<Preprocessing> | null;
  /** Label for the overrides layer in `sources` (default `overrides`). */
  overridesLabel?: string;
}

export interface ResolvedPreprocessing {
  preprocessing: Preprocessing;
  /** The layers that were used, lowest first: `preset liu2020`, `catalog entry alexnet-bvlc`, `sidecar /…/x.sparsity.json (channelOrder, mean)`, `overrides (scale)`. */
  sources: string[];
  /** The sidecar used, if any. */
  sidecarPath?: string;
  /** `source` from the sidecar or entry, for the report when the caller has none. */
  modelSource?: string;
  /** Output class names from the sidecar, if it has them. */
  labels?: string[];
  /** The model's weights from the sidecar, if it says. */
  weights?: ModelWeights;
  /** Non-fatal remarks (unknown sidecar keys). */
  warnings: string[];
}

const KEYS: (keyof Preprocessing)[] = ['width', 'height', 'resize', 'shorterSide', 'channelOrder', 'scale', 'mean', 'std'];

function fail(where: string, field: string, what: string, fix: string): never {
  throw new UserError(`${where}: preprocessing field "${field}" ${what}. ${fix}`, 'E_PREPROCESSING');
}

/** Parses `scale`, accepting a number or a fraction string like "1/255". */
function parseScale(v: unknown, where: string): number {
  let n: number = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/.exec(v);
    if (m) n = m[2] !== undefined ? Number(m[1]) / Number(m[2]) : Number(m[1]);
  }
  if (!Number.isFinite(n) || n <= 0) {
    fail(where, 'scale', `is ${JSON.stringify(v)}, not a positive number`, 'Use 1/255 (written "1/255" or 0.00392156862745098) for models that expect [0,1] input, 1 for models that expect 0..255.');
  }
  return n;
}

function triple(v: unknown, where: string, field: 'mean' | 'std'): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(where, field, `is ${JSON.stringify(v)}, not a list of 3 numbers`, `Give one value per channel in R, G, B order, e.g. ${field === 'mean' ? '[0.485, 0.456, 0.406]' : '[0.229, 0.224, 0.225]'}.`);
  }
  if (field === 'std' && !(v as number[]).every((x) => x > 0)) {
    fail(where, field, `is ${JSON.stringify(v)}; every value must be greater than 0`, 'Use [1, 1, 1] for no division.');
  }
  return [v[0], v[1], v[2]];
}

function intIn(v: unknown, where: string, field: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail(where, field, `is ${JSON.stringify(v)}, not a whole number from ${lo} to ${hi}`, `E.g. 224.`);
  }
  return v;
}

/**
 * Validates a partial preprocessing object (from a sidecar, an entry, settings). Unknown fields
 * are errors (they are usually typos: `stdev`, `channels`). `where` names the file or setting.
 */
export function validatePartialPreprocessing(value: unknown, where: string): Partial<Preprocessing> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`${where}: "preprocessing" must be an object with fields ${KEYS.join(', ')}.`, 'E_PREPROCESSING');
  }
  const v = value as Record<string, unknown>;
  const out: Partial<Preprocessing> = {};
  for (const key of Object.keys(v)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new UserError(`${where}: unknown preprocessing field "${key}". Known fields: ${KEYS.join(', ')}.`, 'E_PREPROCESSING');
    }
  }
  if (v.width !== undefined) out.width = intIn(v.width, where, 'width', 1, 8192);
  if (v.height !== undefined) out.height = intIn(v.height, where, 'height', 1, 8192);
  if (v.shorterSide !== undefined) out.shorterSide = intIn(v.shorterSide, where, 'shorterSide', 1, 16384);
  if (v.resize !== undefined) {
    if (v.resize !== 'stretch' && v.resize !== 'shorter-crop') {
      fail(where, 'resize', `is ${JSON.stringify(v.resize)}`, 'Use "stretch" (resize to width x height, the study\'s rule) or "shorter-crop" (resize the shorter side to shorterSide, then centre-crop).');
    }
    out.resize = v.resize;
  }
  if (v.channelOrder !== undefined) {
    if (v.channelOrder !== 'RGB' && v.channelOrder !== 'BGR') {
      fail(where, 'channelOrder', `is ${JSON.stringify(v.channelOrder)}`, 'Use "RGB" or "BGR" (Caffe-trained models use BGR).');
    }
    out.channelOrder = v.channelOrder;
  }
  if (v.scale !== undefined) out.scale = parseScale(v.scale, where);
  if (v.mean !== undefined) out.mean = triple(v.mean, where, 'mean');
  if (v.std !== undefined) out.std = triple(v.std, where, 'std');
  return out;
}

/** Checks a complete preprocessing (after merging) for consistency between fields. */
export function validatePreprocessing(p: Preprocessing, where: string): Preprocessing {
  const full = validatePartialPreprocessing(p, where) as Preprocessing;
  for (const k of KEYS) {
    if (full[k] === undefined) fail(where, k, 'is missing', 'Give every field or start from a preset.');
  }
  if (full.resize === 'shorter-crop' && full.shorterSide < Math.max(full.width, full.height)) {
    fail(where, 'shorterSide', `is ${full.shorterSide}, smaller than the ${Math.max(full.width, full.height)}-pixel crop`, 'Make shorterSide at least the crop size (e.g. 256 for a 224 crop).');
  }
  return full;
}

function presetPreprocessing(preset: string | Preprocessing | undefined): [Preprocessing, string] {
  if (preset === undefined) return [{ ...LIU2020_PREPROCESSING }, 'preset liu2020'];
  if (typeof preset === 'string') {
    const p = PRESET_PREPROCESSING[preset];
    if (!p) {
      throw new UserError(`Unknown preset "${preset}". Available presets: ${Object.keys(PRESET_PREPROCESSING).join(', ')}.`, 'E_SETTINGS');
    }
    return [{ ...p, mean: [...p.mean], std: [...p.std] }, `preset ${preset}`];
  }
  return [{ ...preset, mean: [...preset.mean], std: [...preset.std] }, 'preset'];
}

/** Candidate sidecar paths for a model file, preferred first. */
export function sidecarCandidates(modelPath: string): string[] {
  const dir = path.dirname(modelPath);
  const base = path.basename(modelPath);
  const stem = base.replace(/\.[^.]+$/, '');
  const out = [path.join(dir, stem + SIDECAR_SUFFIX)];
  if (stem !== base) out.push(path.join(dir, base + SIDECAR_SUFFIX));
  return out;
}

/** Finds the sidecar of a model. Two different sidecars for one model are an error. */
export function findSidecar(modelPath: string): string | undefined {
  const found = sidecarCandidates(modelPath).filter((p) => fs.existsSync(p));
  if (found.length > 1) {
    throw new UserError(`Model ${modelPath} has two sidecar files, ${found.join(' and ')}. Keep one (preferably ${path.basename(found[0])}).`, 'E_PREPROCESSING');
  }
  return found[0];
}

const SIDECAR_KEYS = new Set(['$schema', 'preprocessing', 'source', 'label', 'labels', 'weights', 'sha256', 'notes']);

/** Reads and validates a sidecar file. */
export function readSidecar(file: string): { sidecar: ModelSidecar; preprocessing: Partial<Preprocessing>; warnings: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`Sidecar ${file} is not valid JSON (${(e as Error).message}). Fix or delete it.`, 'E_PREPROCESSING');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`Sidecar ${file} must be a JSON object like {"preprocessing": {"channelOrder": "BGR"}}.`, 'E_PREPROCESSING');
  }
  const obj = raw as Record<string, unknown>;
  const warnings: string[] = [];
  for (const k of Object.keys(obj)) {
    if (!SIDECAR_KEYS.has(k)) warnings.push(`Sidecar ${file}: unknown key "${k}" ignored (known: ${[...SIDECAR_KEYS].join(', ')}).`);
  }
  for (const k of ['source', 'label', 'sha256', 'notes'] as const) {
    if (obj[k] !== undefined && typeof obj[k] !== 'string') {
      throw new UserError(`Sidecar ${file}: "${k}" must be a string.`, 'E_PREPROCESSING');
    }
  }
  if (obj.labels !== undefined && !(Array.isArray(obj.labels) && obj.labels.every((x) => typeof x === 'string'))) {
    throw new UserError(`Sidecar ${file}: "labels" must be a list of class names (strings), in the model's output order.`, 'E_PREPROCESSING');
  }
  if (obj.weights !== undefined && !isModelWeights(obj.weights)) {
    throw new UserError(`Sidecar ${file}: "weights" must be {"kind": "pretrained", "name": "IMAGENET1K_V1"} or {"kind": "random", "seed": 0}; fix or delete it.`, 'E_PREPROCESSING');
  }
  const preprocessing = validatePartialPreprocessing(obj.preprocessing, `Sidecar ${file}`);
  return { sidecar: obj as ModelSidecar, preprocessing, warnings };
}

function isModelWeights(v: unknown): v is ModelWeights {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (o.kind === 'random') return Number.isSafeInteger(o.seed) && (o.seed as number) >= 0;
  return o.kind === 'pretrained' && typeof o.name === 'string' && o.name !== '' && (o.enum === undefined || typeof o.enum === 'string');
}

/** Writes a sidecar (used by the cache; users may edit it afterwards). */
export function sidecarJson(s: ModelSidecar): string {
  return JSON.stringify(s, null, 2) + '\n';
}

function applyLayer(target: Preprocessing, layer: Partial<Preprocessing>): string[] {
  const set: string[] = [];
  for (const k of KEYS) {
    const v = layer[k];
    if (v === undefined) continue;
    (target as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
    set.push(k);
  }
  return set;
}

/** Resolves the preprocessing of one model. Precedence: preset < entry < sidecar < overrides. */
export function resolvePreprocessing(input: ResolvePreprocessingInput): ResolvedPreprocessing {
  const [base, presetLabel] = presetPreprocessing(input.preset);
  const out: Preprocessing = base;
  const sources = [presetLabel];
  const warnings: string[] = [];
  let modelSource: string | undefined;
  let labels: string[] | undefined;
  let weights: ModelWeights | undefined;

  const entry = input.cacheEntry;
  if (entry?.preprocessing) {
    const layer = validatePartialPreprocessing(entry.preprocessing, `Model cache entry ${entry.id}`);
    const set = applyLayer(out, layer);
    if (set.length) sources.push(`${entry.source === 'catalog' ? 'catalog' : 'cache'} entry ${entry.id} (${set.join(', ')})`);
  }
  if (entry?.source) modelSource = `${entry.source}:${entry.id}`;

  const sidecarPath = findSidecar(input.modelPath);
  if (sidecarPath) {
    const sc = readSidecar(sidecarPath);
    warnings.push(...sc.warnings);
    const set = applyLayer(out, sc.preprocessing);
    sources.push(`sidecar ${sidecarPath}${set.length ? ` (${set.join(', ')})` : ' (no preprocessing fields)'}`);
    if (sc.sidecar.source) modelSource = sc.sidecar.source;
    if (sc.sidecar.labels) labels = sc.sidecar.labels;
    if (sc.sidecar.weights) weights = sc.sidecar.weights;
  }

  if (input.overrides) {
    const label = input.overridesLabel ?? 'overrides';
    const layer = validatePartialPreprocessing(input.overrides, `Setting ${label}`);
    const set = applyLayer(out, layer);
    if (set.length) sources.push(`${label} (${set.join(', ')})`);
  }

  const where = sidecarPath ? `Preprocessing for ${input.modelPath} (after sidecar ${sidecarPath})` : `Preprocessing for ${input.modelPath}`;
  const preprocessing = validatePreprocessing(out, where);
  return { preprocessing, sources, sidecarPath, modelSource, labels, ...(weights ? { weights } : {}), warnings };
}
