/**
 * The extension's settings (`sparsityLens.*`): validation and conversion to an AnalyzeRequest.
 * Pure functions of plain objects (no `vscode` import) so they are unit-tested directly;
 * src/extension/config.ts reads the values from VS Code and calls these.
 *
 * The JSON schema of the same keys lives in package.json (contributes.configuration);
 * test/extension/settings.test.ts checks that both agree (keys, enums, defaults, ranges).
 */
import * as os from 'os';
import * as path from 'path';
import type { AnalyzeRequest } from '../core/analyzeTypes';
import type { Preprocessing, UnitMode } from '../core/types';
import { checkModelRef, DEFAULT_MAX_DOWNLOAD_MB } from './models/refs';

export const SECTION = 'sparsityLens';

/** Every setting key (without the `sparsityLens.` prefix) that the extension reads. */
export const SETTING_KEYS = [
  'model',
  'imagesPerCategory',
  'layers',
  'preset',
  'unit',
  'accuracy',
  'decoderLayer',
  'folds',
  'controls.permutedWeights',
  'controls.noNonlinearity',
  'controls.permuteTarget',
  'batchSize',
  'concurrentPasses',
  'seed',
  'preprocess.resize',
  'preprocess.width',
  'preprocess.height',
  'preprocess.shorterSide',
  'preprocess.channelOrder',
  'preprocess.scale',
  'preprocess.mean',
  'preprocess.std',
  'referencePSI',
  'outputFolder',
  'pythonPath',
  'maxDownloadMB',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export const ENUMS = {
  preset: ['liu2020'],
  unit: ['channel', 'channel-position'],
  accuracy: ['auto', 'model', 'decoder', 'none'],
  'controls.permuteTarget': ['weights', 'biases'],
  'preprocess.resize': ['model', 'stretch', 'shorter-crop'],
  'preprocess.channelOrder': ['model', 'RGB', 'BGR'],
} as const;

/** Inclusive integer / number ranges the validator enforces (mirrored by package.json minimum/maximum). */
export const RANGES = {
  imagesPerCategory: [1, 1_000_000],
  folds: [2, 20],
  'controls.permutedWeights': [0, 100],
  batchSize: [1, 1024],
  concurrentPasses: [0, 1000],
  seed: [0, 4294967295],
  'preprocess.width': [8, 4096],
  'preprocess.height': [8, 4096],
  'preprocess.shorterSide': [8, 8192],
  referencePSI: [0, 1],
  maxDownloadMB: [1, 1_000_000],
} as const;

/** Settings after validation. `null` / `''` mean "not set: take the model's or the preset's value". */
export interface ExtensionSettings {
  /** A model reference (src/core/models/resolve.ts): a path, torchvision:<arch>[:random], catalog:<id>, an https URL, cache:<id>. */
  model: string;
  imagesPerCategory: number | 'all';
  layers: string[];
  preset: (typeof ENUMS.preset)[number];
  unit: UnitMode;
  accuracy: (typeof ENUMS.accuracy)[number];
  decoderLayer: string;
  folds: number;
  controls: { permutedWeights: number; noNonlinearity: boolean; permuteTarget: 'weights' | 'biases' };
  batchSize: number;
  /** Passes held in memory at once; 0 = auto (as many as fit in half the RAM). */
  concurrentPasses: number;
  seed: number;
  preprocess: {
    resize: (typeof ENUMS)['preprocess.resize'][number];
    width: number | null;
    height: number | null;
    shorterSide: number | null;
    channelOrder: (typeof ENUMS)['preprocess.channelOrder'][number];
    scale: number | null;
    mean: [number, number, number] | null;
    std: [number, number, number] | null;
  };
  referencePSI: number;
  outputFolder: string;
  pythonPath: string;
  /** Largest model download (URL, catalog) in MB. */
  maxDownloadMB: number;
}

/** Defaults: the same values as package.json and the `liu2020` preset (src/core/settings.ts). */
export const DEFAULTS: Record<SettingKey, unknown> = {
  model: '',
  imagesPerCategory: 'all',
  layers: [],
  preset: 'liu2020',
  unit: 'channel',
  accuracy: 'auto',
  decoderLayer: '',
  folds: 2,
  'controls.permutedWeights': 10,
  'controls.noNonlinearity': true,
  'controls.permuteTarget': 'weights',
  batchSize: 8,
  concurrentPasses: 0,
  seed: 0,
  'preprocess.resize': 'model',
  'preprocess.width': null,
  'preprocess.height': null,
  'preprocess.shorterSide': null,
  'preprocess.channelOrder': 'model',
  'preprocess.scale': null,
  'preprocess.mean': null,
  'preprocess.std': null,
  referencePSI: 0.36,
  outputFolder: '.sparsity-lens',
  pythonPath: '',
  maxDownloadMB: DEFAULT_MAX_DOWNLOAD_MB,
};

export interface SettingProblem {
  /** Full setting id, e.g. `sparsityLens.folds` (what "Open Settings" searches for). */
  setting: string;
  /** One sentence naming the setting, what is wrong and what is allowed. */
  message: string;
}

export type SettingsResult =
  | { ok: true; settings: ExtensionSettings }
  | { ok: false; problems: SettingProblem[]; settings?: undefined };

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(v);
  }
}

/**
 * Validates settings given as a flat object keyed by SETTING_KEYS (missing keys take DEFAULTS).
 * Unknown keys are ignored (VS Code adds its own). Never throws.
 */
export function validateSettings(raw: Partial<Record<string, unknown>>): SettingsResult {
  const problems: SettingProblem[] = [];
  const get = (k: SettingKey): unknown => (raw[k] === undefined ? DEFAULTS[k] : raw[k]);
  const bad = (k: SettingKey, what: string): void => {
    problems.push({ setting: `${SECTION}.${k}`, message: `Setting ${SECTION}.${k} ${what} (it is ${show(raw[k])}).` });
  };

  const str = (k: SettingKey): string => {
    const v = get(k);
    if (typeof v !== 'string') {
      bad(k, 'must be a string');
      return DEFAULTS[k] as string;
    }
    return v.trim();
  };
  const int = (k: keyof typeof RANGES & SettingKey): number => {
    const v = get(k);
    const [lo, hi] = RANGES[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      bad(k, `must be a whole number from ${lo} to ${hi}`);
      return DEFAULTS[k] as number;
    }
    return v;
  };
  const intOrNull = (k: keyof typeof RANGES & SettingKey): number | null => {
    const v = get(k);
    if (v === null) return null;
    const [lo, hi] = RANGES[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      bad(k, `must be null (use the model's value) or a whole number from ${lo} to ${hi}`);
      return null;
    }
    return v;
  };
  const enumOf = <K extends keyof typeof ENUMS>(k: K): (typeof ENUMS)[K][number] => {
    const v = get(k);
    const list = ENUMS[k] as readonly string[];
    if (typeof v !== 'string' || !list.includes(v)) {
      bad(k, `must be one of ${list.map((x) => `"${x}"`).join(', ')}`);
      return DEFAULTS[k] as (typeof ENUMS)[K][number];
    }
    return v as (typeof ENUMS)[K][number];
  };
  const bool = (k: SettingKey): boolean => {
    const v = get(k);
    if (typeof v !== 'boolean') {
      bad(k, 'must be true or false');
      return DEFAULTS[k] as boolean;
    }
    return v;
  };
  const triple = (k: 'preprocess.mean' | 'preprocess.std', positive: boolean): [number, number, number] | null => {
    const v = get(k);
    if (v === null) return null;
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))
    ) {
      bad(k, `must be null (use the model's value) or three ${positive ? 'positive ' : ''}numbers in RGB order`);
      return null;
    }
    return [v[0], v[1], v[2]];
  };

  let imagesPerCategory: number | 'all' = 'all';
  {
    const v = get('imagesPerCategory');
    if (v === 'all') imagesPerCategory = 'all';
    else if (typeof v === 'number' && Number.isInteger(v) && v >= RANGES.imagesPerCategory[0] && v <= RANGES.imagesPerCategory[1]) {
      imagesPerCategory = v;
    } else bad('imagesPerCategory', 'must be "all" or a whole number of at least 1');
  }

  let layers: string[] = [];
  {
    const v = get('layers');
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim().length > 0)) {
      bad('layers', 'must be a list of layer names (empty: the model\'s default layers; see "Sparsity Lens: Show Layers of Model")');
    } else {
      layers = v.map((x: string) => x.trim());
      const dup = layers.find((x, i) => layers.indexOf(x) !== i);
      if (dup) bad('layers', `lists layer "${dup}" twice`);
    }
  }

  let scale: number | null = null;
  {
    const v = get('preprocess.scale');
    if (v !== null) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        bad('preprocess.scale', 'must be null (use the model\'s value) or a positive number (1/255 ≈ 0.00392 for [0,1] models, 1 for 0..255)');
      } else scale = v;
    }
  }

  let referencePSI = 0.36;
  {
    const v = get('referencePSI');
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) bad('referencePSI', 'must be a number from 0 to 1');
    else referencePSI = v;
  }

  const settings: ExtensionSettings = {
    model: str('model'),
    imagesPerCategory,
    layers,
    preset: enumOf('preset'),
    unit: enumOf('unit'),
    accuracy: enumOf('accuracy'),
    decoderLayer: str('decoderLayer'),
    folds: int('folds'),
    controls: {
      permutedWeights: int('controls.permutedWeights'),
      noNonlinearity: bool('controls.noNonlinearity'),
      permuteTarget: enumOf('controls.permuteTarget'),
    },
    batchSize: int('batchSize'),
    concurrentPasses: int('concurrentPasses'),
    seed: int('seed'),
    preprocess: {
      resize: enumOf('preprocess.resize'),
      width: intOrNull('preprocess.width'),
      height: intOrNull('preprocess.height'),
      shorterSide: intOrNull('preprocess.shorterSide'),
      channelOrder: enumOf('preprocess.channelOrder'),
      scale,
      mean: triple('preprocess.mean', false),
      std: triple('preprocess.std', true),
    },
    referencePSI,
    outputFolder: str('outputFolder'),
    pythonPath: str('pythonPath'),
    maxDownloadMB: int('maxDownloadMB'),
  };

  {
    // A model reference (path, torchvision:, catalog:, URL, cache:); a non-string was reported above.
    const m = checkModelRef(settings.model);
    if (!m.ok) bad('model', m.problem.replace(/\.$/, ''));
  }

  if (settings.outputFolder === '') bad('outputFolder', 'must name a folder (default ".sparsity-lens")');
  if ((settings.preprocess.width === null) !== (settings.preprocess.height === null)) {
    const k = settings.preprocess.width === null ? 'preprocess.width' : 'preprocess.height';
    problems.push({
      setting: `${SECTION}.${k}`,
      message: `Settings ${SECTION}.preprocess.width and ${SECTION}.preprocess.height must be set together (or both null).`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings };
}

/** Expands `${workspaceFolder}`, `~` and a path relative to the workspace folder. */
export function resolveUserPath(value: string, workspaceFolder: string | undefined, home = os.homedir()): string {
  let v = value.trim();
  if (workspaceFolder) v = v.split('${workspaceFolder}').join(workspaceFolder);
  if (v === '~' || v.startsWith('~/') || v.startsWith('~\\')) v = path.join(home, v.slice(1));
  if (path.isAbsolute(v)) return path.normalize(v);
  return path.resolve(workspaceFolder ?? process.cwd(), v);
}

/**
 * Parent folder of run folders: `outputFolder` relative to the dataset's workspace folder;
 * without a workspace folder, relative to the dataset's parent folder.
 */
export function resolveOutputRoot(outputFolder: string, workspaceFolder: string | undefined, datasetPath: string): string {
  return resolveUserPath(outputFolder, workspaceFolder ?? path.dirname(datasetPath));
}

/** The AnalyzeRequest of a run: only settings that differ from "use the model's value" are sent. */
export function buildAnalyzeRequest(
  s: ExtensionSettings,
  paths: { datasetPath: string; modelPath: string; outputRoot: string; modelSource?: string },
): AnalyzeRequest {
  const pre: Partial<Preprocessing> = {};
  const p = s.preprocess;
  if (p.resize !== 'model') pre.resize = p.resize;
  if (p.width !== null) pre.width = p.width;
  if (p.height !== null) pre.height = p.height;
  if (p.shorterSide !== null) pre.shorterSide = p.shorterSide;
  if (p.channelOrder !== 'model') pre.channelOrder = p.channelOrder;
  if (p.scale !== null) pre.scale = p.scale;
  if (p.mean !== null) pre.mean = p.mean;
  if (p.std !== null) pre.std = p.std;
  const req: AnalyzeRequest = {
    datasetPath: paths.datasetPath,
    modelPath: paths.modelPath,
    outputRoot: paths.outputRoot,
    settings: {
      preset: s.preset,
      imagesPerCategory: s.imagesPerCategory,
      layers: [...s.layers],
      unit: s.unit,
      accuracy: s.accuracy,
      folds: s.folds,
      batchSize: s.batchSize,
      concurrentPasses: s.concurrentPasses === 0 ? 'auto' : s.concurrentPasses,
      seed: s.seed,
      referencePSI: s.referencePSI,
      controls: {
        permutations: s.controls.permutedWeights,
        noNonlinearity: s.controls.noNonlinearity,
        permuteTarget: s.controls.permuteTarget,
      },
    },
  };
  if (s.decoderLayer !== '') req.settings!.decoderLayer = s.decoderLayer;
  if (Object.keys(pre).length > 0) req.preprocessing = pre;
  if (paths.modelSource) req.modelSource = paths.modelSource;
  return req;
}

/** Lines for the output channel: the settings a run uses. */
export function describeSettings(s: ExtensionSettings): string[] {
  const p = s.preprocess;
  const pre = Object.entries(p)
    .filter(([, v]) => v !== null && v !== 'model')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : String(v)}`);
  return [
    `preset=${s.preset} unit=${s.unit} imagesPerCategory=${s.imagesPerCategory} batchSize=${s.batchSize} seed=${s.seed}`,
    `layers=${s.layers.length ? s.layers.join(',') : '(model default)'} accuracy=${s.accuracy}` +
      `${s.decoderLayer ? ` decoderLayer=${s.decoderLayer}` : ''} folds=${s.folds}`,
    `controls: permuted ${s.controls.permuteTarget} x${s.controls.permutedWeights}, no-ReLU=${s.controls.noNonlinearity}`,
    `preprocess: ${pre.length ? pre.join(' ') : '(model / preset)'} referencePSI=${s.referencePSI}`,
  ];
}
