/**
 * THE settings table: every setting of Sparsity Lens, declared once. Derived from it:
 *   - the liu2020 preset and the core's validation (./index.ts: presetDefaults, resolveSettings),
 *   - the extension's reading and validation of `sparsityLens.*` (src/extension/settings.ts),
 *   - package.json `contributes.configuration` and the trust-restricted keys
 *     (scripts/contributes.ts; test/scripts/contributes.test.ts fails when package.json is stale),
 *   - the `analyze` flags of the CLI, their help, parsers and defaults (src/cli/settingOptions.ts).
 *
 * To add a setting: add one entry here (key, type, default, description, target; `extension: {}`
 * to offer it in VS Code, `cli: { flags, help }` for a CLI flag), then run `npm run contributes`
 * to regenerate package.json. The extension's settings type is derived from the entries; an
 * analysis setting (target `settings`) also needs its field in AnalysisSettings
 * (src/core/report/schema.ts: it is saved in the report), and `npm run typecheck` fails until
 * the two agree (test/core/settings.test.ts).
 *
 * Names: one name per concept, the core's. The extension used other names for three settings;
 * they were renamed to the core's and the old keys stay readable (formerKeys, with a warning in
 * the output channel and a deprecation note in the Settings editor), so no user setting breaks:
 *   sparsityLens.controls.permutedWeights → sparsityLens.controls.permutations
 *   sparsityLens.preprocess.*             → sparsityLens.preprocessing.*
 *   sparsityLens.concurrentPasses 0       → "auto" (0 is still accepted and means "auto")
 * CLI flags keep their names (--permutations, --concurrent-passes, --resize …): they are
 * spelled as users type them and already agreed with the core's names.
 *
 * Order: package.json lists the extension settings in this order; keep related ones together.
 */
import * as path from 'path';
import { commaList, type SettingSpec, type SettingsObject } from './spec';
import { INDEX_IDS } from '../measures/registry';
import { resolveShardSpec } from '../cluster/shard';

/** The default of maxDownloadMB (2 GiB, the core's download limit). */
export const DEFAULT_MAX_DOWNLOAD_MB = 2048;

const CONTROLS = ['permuted', 'norelu', 'none'] as const;

/** `--controls permuted,norelu | none` as a list, checked (commander does not parse defaults). */
function controlsOf(o: Readonly<Record<string, unknown>>): string[] {
  const v = o.controls;
  return Array.isArray(v) ? (v as string[]) : commaList(String(v ?? 'permuted,norelu'));
}

/** `--scale 1/255` or `--scale 0.0039`. */
function parseScale(text: string, flag: string): number {
  const m = /^\s*([0-9.]+)\s*(?:\/\s*([0-9.]+))?\s*$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} takes a positive number or fraction, e.g. 1/255.`);
  return n;
}

const RESIZE = {
  kind: 'enum',
  values: ['model', 'stretch', 'shorter-crop'],
  descriptions: ["As the model's sidecar file or the preset says.", 'Resize to width×height ignoring aspect (the study).', 'Resize the shorter side, then centre-crop.'],
} as const;

// `as const satisfies`: each entry is checked against SettingSpec while its key stays a literal
// type, so code naming a setting (readSetting('model')) is checked against this table.
const TABLE = [
  {
    key: 'model',
    type: { kind: 'string' },
    default: '',
    target: 'frontEnd',
    // Checked as a model reference by the extension (src/extension/settings.ts); the CLI's --model is its own option.
    extension: { order: 0, restricted: true },
    description:
      'Model to analyse: an `.onnx` file or a TensorFlow.js `model.json` (absolute, `~/…`, `${workspaceFolder}/…` or relative to the workspace folder), or a model reference resolved through the model cache: `torchvision:alexnet` (exported from PyTorch with your Python, pretrained weights; `torchvision:alexnet:random` for random weights), `catalog:<id>` (see **Sparsity Lens: Choose Model…**), an `https://` URL, or `cache:<id>` (see **Sparsity Lens: Manage Cached Models**). Empty: you are asked to choose one. In an untrusted workspace a model named here by the workspace is not loaded, and nothing is exported or downloaded.',
  },
  {
    key: 'preset',
    type: { kind: 'enum', values: ['liu2020'], descriptions: ['Liu, Zhen & Liu (2020): 224×224 stretch, ImageNet mean/std, channel units, decoder accuracy on fc2, 10 permuted-weight models and a no-ReLU control.'] },
    default: 'liu2020',
    target: 'settings',
    extension: { order: 3 },
    cli: { flags: '--preset <name>', help: 'analysis preset', default: 'liu2020' },
    description: 'Analysis preset that supplies every value not set here.',
  },
  {
    key: 'imagesPerCategory',
    type: { kind: 'integer', min: 1, max: 1_000_000, or: 'all' },
    default: 'all',
    target: 'settings',
    extension: { order: 1 },
    cli: { flags: '-n, --images-per-category <n|all>', help: 'images per category', default: 'all' },
    description: 'Images used per category (sub-folder): `"all"` or a whole number (the first N in name order).',
  },
  {
    key: 'sampling',
    type: { kind: 'enum', values: ['first', 'random'] },
    default: 'first',
    target: 'settings',
    cli: { flags: '--sample <how>', help: 'which N images per category', default: 'first' },
    description: 'Which images per category when fewer than all are used: the first N in name order, or N drawn with the seed.',
  },
  {
    key: 'minImagesPerCategory',
    type: { kind: 'integer', min: 1 },
    default: 1,
    target: 'settings',
    cli: { flags: '--min-images <n>', help: 'drop categories with fewer usable images' },
    description: 'Categories with fewer usable images are dropped (and listed in the report).',
  },
  {
    key: 'seed',
    type: { kind: 'integer', min: 0, max: 4294967295 },
    default: 0,
    target: 'settings',
    extension: {},
    cli: { flags: '--seed <s>', help: 'seed for sampling, permutations and folds' },
    description: 'Seed for image sampling, weight permutation and cross-validation folds.',
  },
  {
    key: 'batchSize',
    type: { kind: 'integer', min: 1, max: 1024 },
    default: 8,
    target: 'settings',
    extension: {},
    cli: { flags: '-b, --batch-size <b>', help: 'images per forward pass' },
    description: 'Images per forward pass. Cancel takes effect within one batch.',
  },
  {
    key: 'layers',
    type: { kind: 'names', item: 'layer' },
    default: [],
    hint: '(empty: the model\'s default layers; see "Sparsity Lens: Show Layers of Model")',
    target: 'settings',
    extension: { order: 2 },
    cli: { flags: '-l, --layers <a,b,...>', help: 'layers to analyse (default: every ReLU after conv/fc; see `layers`)' },
    description: 'Layers to analyse, by name (see **Sparsity Lens: Show Layers of Model**). Empty: every ReLU output after a conv or fully connected layer, as in the study.',
  },
  {
    key: 'unit',
    type: { kind: 'enum', values: ['channel', 'channel-position'], descriptions: ['One unit per conv channel, averaged over space (the study).', 'Every channel × position is a unit (memory grows with H×W).'] },
    default: 'channel',
    target: 'settings',
    extension: {},
    cli: { flags: '--unit <mode>', help: 'unit of a conv layer: channel (spatial mean) or channel-position' },
    description: 'What a unit of a convolutional layer is.',
  },
  {
    key: 'taps',
    type: {
      kind: 'enum',
      values: ['auto', 'study', 'blocks', 'activations'],
      descriptions: [
        'study on a plain chain (AlexNet, VGG), blocks otherwise.',
        "Every ReLU after a conv or fc layer, named conv1…, fc1… on a plain chain (the study's layers).",
        "The stem's activation, every block's output (residual, inverted residual, MBConv, CNBlock, Inception, Fire, dense block, transformer encoder block), the last activation before global pooling; named by PyTorch module path (layer1.0).",
        'Every nonlinearity output (ReLU, ReLU6, LeakyReLU, PReLU, ELU, SiLU, HardSwish, GELU, Mish, Tanh, …); squeeze-excitation gates excluded.',
      ],
    },
    default: 'auto',
    target: 'settings',
    extension: {},
    cli: { flags: '--taps <mode>', help: 'default layers when --layers is not given: auto | study | blocks | activations' },
    description: 'Which layers are analysed when `layers` is empty. The classifier output is never one.',
  },
  {
    key: 'tokens',
    type: { kind: 'enum', values: ['mean', 'class'], descriptions: ['A unit of a token layer [N, T, D] is a feature averaged over tokens.', "A unit is a feature of the class token (ViT's token 0)."] },
    default: 'mean',
    target: 'settings',
    extension: {},
    cli: { flags: '--tokens <unit>', help: 'unit of a token layer [N,T,D]: mean (over tokens) or class (token 0)' },
    description: 'What a unit of a transformer token layer is.',
  },
  {
    key: 'accuracy',
    type: {
      kind: 'enum',
      values: ['auto', 'model', 'decoder', 'none'],
      descriptions: [
        "Decoder accuracy (the study), or the model's own when no decoder layer exists.",
        "The network's own top-1 (categories must map to its classes: synset folder names or a label file).",
        'Logistic-regression decoder on the decoder layer, k-fold within each category (the study).',
        'No accuracy, no PSI–accuracy statistics.',
      ],
    },
    default: 'auto',
    target: 'settings',
    extension: {},
    cli: { flags: '--accuracy <how>', help: 'per-category accuracy' },
    description: 'Per-category accuracy used for the PSI–accuracy statistics.',
  },
  {
    key: 'decoderLayer',
    type: { kind: 'string' },
    default: '',
    unset: '',
    target: 'settings',
    extension: {},
    cli: { flags: '--decoder-layer <layer>', help: 'layer whose per-image responses train the decoder (default: last analysed layer)' },
    description: 'Layer whose per-image responses feed the decoder. Empty: the last analysed hidden layer (fc2 in AlexNet).',
  },
  {
    key: 'folds',
    type: { kind: 'integer', min: 2, max: 20 },
    default: 2,
    target: 'settings',
    extension: {},
    cli: { flags: '--folds <k>', help: 'cross-validation folds for the decoder' },
    description: 'Cross-validation folds of the decoder (split within each category).',
  },
  {
    key: 'correlation',
    type: { kind: 'enum', values: ['pearson', 'spearman'] },
    default: 'pearson',
    target: 'settings',
    cli: { flags: '--correlation <r>', help: 'PSI-accuracy correlation' },
    description: 'Correlation of PSI with accuracy across categories.',
  },
  {
    key: 'controls.permutations',
    type: { kind: 'integer', min: 0, max: 100 },
    default: 10,
    target: 'settings',
    extension: { formerKeys: ['controls.permutedWeights'] },
    cli: {
      flags: '--permutations <n>',
      help: 'number of permuted-weight models',
      // --controls without "permuted" turns the control off whatever --permutations says.
      value: (o) => (controlsOf(o).includes('permuted') ? o.permutations : 0),
    },
    description: 'Number of permuted-weight control models (each weight tensor shuffled, biases kept). 0 turns the control off.',
  },
  {
    key: 'controls.permuteTarget',
    type: { kind: 'enum', values: ['weights', 'biases'], descriptions: ['Shuffle every weight tensor, keep biases (the study).', 'Shuffle biases instead (option).'] },
    default: 'weights',
    target: 'settings',
    extension: {},
    cli: { flags: '--permute-biases', help: 'permute biases instead of weights (option of METHOD §8)', value: (o) => (o.permuteBiases ? 'biases' : 'weights') },
    description: 'What the permuted control shuffles.',
  },
  {
    key: 'controls.noNonlinearity',
    type: { kind: 'boolean' },
    default: true,
    target: 'settings',
    extension: {},
    cli: {
      // One flag for both controls, as the study names them; --permutations sets the count.
      flags: '--controls <list>',
      help: 'lesion controls: permuted,norelu | none (each costs full extra passes)',
      default: 'permuted,norelu',
      parse: (text, flag) => {
        const list = commaList(text);
        for (const c of list) {
          if (!(CONTROLS as readonly string[]).includes(c)) throw new Error(`${flag}: unknown control "${c}"; use permuted, norelu, none or a comma list.`);
        }
        return list;
      },
      value: (o) => controlsOf(o).includes('norelu'),
    },
    description: 'Also run the no-nonlinearity control (every ReLU replaced by identity).',
  },
  {
    key: 'controls.keepNorms',
    type: { kind: 'boolean' },
    default: false,
    target: 'settings',
    extension: {},
    cli: { flags: '--keep-norms', help: 'permuted control: leave remaining BatchNorm / LayerNorm scales unpermuted', value: (o) => o.keepNorms === true },
    description: 'Permuted control: keep the scale and shift of normalisation layers that remain in the graph unpermuted (torch.onnx.export folds BatchNorm into the convolutions, whose weights are permuted either way).',
  },
  {
    key: 'regressionGroups',
    type: { kind: 'names', item: 'layer group' },
    default: ['conv', 'fc', 'all'],
    target: 'settings',
    cli: { flags: '--regression-groups <list>', help: 'layer groups for the multiple regression: conv,fc,all or a+b' },
    description: 'Layer groups whose PSIs enter the multiple regression of accuracy: `conv`, `fc`, `all` or layers joined by `+`.',
  },
  {
    key: 'concurrentPasses',
    type: { kind: 'integer', min: 1, max: 1000, or: 'auto' },
    default: 'auto',
    target: 'settings',
    extension: { formerValues: [{ value: 0, means: 'auto' }] },
    cli: { flags: '--concurrent-passes <n|auto>', help: 'passes held in memory at once (auto: as many as fit in half the RAM; fewer decode images again per group)', default: 'auto' },
    description:
      'How many passes (trained + controls) are held in memory and run together on each decoded image. `"auto"`: as many as fit in half of this computer\'s memory (each pass holds its own copy of the model). Fewer means less memory but each image is decoded again per group; results are identical.',
  },
  {
    key: 'referencePSI',
    type: { kind: 'number', min: 0, max: 1 },
    default: 0.36,
    target: 'settings',
    extension: {},
    cli: { flags: '--reference-psi <v>', help: 'reference PSI line (macaque extrastriate: 0.36)' },
    description: 'Reference PSI drawn as a line in the charts (macaque extrastriate cortex ≈ 0.36).',
  },
  {
    key: 'indices',
    type: { kind: 'names', item: 'index' },
    default: INDEX_IDS,
    hint: `(${INDEX_IDS.join(', ')})`,
    // An unknown id would silently give no values: refused with the list instead.
    check: (v) => {
      const bad = (v as string[]).filter((x) => !INDEX_IDS.includes(x));
      return bad.length ? `names unknown index ${bad.map((x) => `"${x}"`).join(', ')}; known: ${INDEX_IDS.join(', ')}` : undefined;
    },
    target: 'settings',
    extension: {},
    cli: { flags: '--indices <a,b,...>', help: `sparseness indices to compute and show in the table (default: all computed, psi shown): ${INDEX_IDS.join(',')}` },
    description: `Sparseness indices the report computes besides \`psi\` (always computed, the study's): ${INDEX_IDS.map((x) => `\`${x}\``).join(', ')} (docs/METHOD-NOTES.md). All are cheap; \`active\` is counted during the run.`,
  },
  {
    key: 'labelFile',
    type: { kind: 'string' },
    default: undefined,
    target: 'settings',
    // Relative to the directory the CLI runs in: the core gets an absolute path.
    cli: { flags: '--labels <file>', help: 'JSON/CSV mapping folder names to model class indices', parse: (text) => path.resolve(text) },
    description: 'JSON/CSV file mapping folder names to model class indices (for the model\'s own accuracy).',
  },
  {
    key: 'shard',
    type: { kind: 'string' },
    default: undefined,
    target: 'settings',
    // `auto` (and `auto/N`) become i/n here, from the job array's environment (core/cluster/shard.ts).
    cli: { flags: '--shard <i/n|auto>', help: 'analyse every n-th category from the i-th (merge shards with `merge`); auto: from SLURM_ARRAY_TASK_ID, or auto/N with JOB_COMPLETION_INDEX', parse: (text, flag) => resolveShardSpec(text, process.env, flag) },
    description: '`i/n`: analyse every n-th category from the i-th; `merge` joins the shards.',
  },
  {
    // How a file becomes RGB pixels, before the preprocessing below (src/core/decode.ts).
    key: 'decoding',
    type: {
      kind: 'enum',
      values: ['colour-managed', 'pil'],
      descriptions: [
        'EXIF orientation applied, an embedded ICC profile converted to sRGB, CMYK through a CMYK profile (libvips).',
        "The pixels of PIL's Image.open(f).convert('RGB'), as PyTorch/torchvision pipelines (and the study) load images: no EXIF rotation, embedded ICC profile ignored, CMYK by PIL's own formula.",
      ],
    },
    default: 'colour-managed',
    target: 'settings',
    extension: {},
    cli: { flags: '--decoding <how>', help: "how files become RGB pixels: colour-managed (EXIF rotation, ICC profile to sRGB) or pil (as PIL's convert('RGB') in a PyTorch pipeline)" },
    description:
      "How image files become RGB pixels. `colour-managed`: EXIF orientation applied, an embedded ICC profile converted to sRGB, CMYK through a CMYK profile. `pil`: the pixels PIL's `Image.open(f).convert('RGB')` gives (PyTorch/torchvision data loaders, the study): no EXIF rotation, embedded ICC profile ignored, CMYK by PIL's formula; use it to reproduce a PyTorch pipeline exactly. The two differ only on files with an EXIF orientation, an ICC profile or CMYK (docs/METHOD-NOTES.md).",
  },
  {
    key: 'preprocessing.resize',
    type: RESIZE,
    default: 'model',
    unset: 'model',
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.resize'] },
    cli: { flags: '--resize <rule>', help: 'preprocessing: stretch (study) or shorter-crop (256 then centre crop)' },
    description: 'How images are resized to the model input.',
  },
  {
    key: 'preprocessing.width',
    type: { kind: 'integer', min: 8, max: 4096 },
    nullable: true,
    default: null,
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.width'] },
    // --input-size sets width and height together.
    cli: { flags: '--input-size <n>', help: 'preprocessing: input width = height (default: from the model, else 224)', value: (o) => o.inputSize },
    description: "Input width in pixels. `null`: the model's or preset's (224). Set together with height.",
  },
  {
    key: 'preprocessing.height',
    type: { kind: 'integer', min: 8, max: 4096 },
    nullable: true,
    default: null,
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.height'] },
    cli: { value: (o) => o.inputSize },
    description: "Input height in pixels. `null`: the model's or preset's (224). Set together with width.",
  },
  {
    key: 'preprocessing.shorterSide',
    type: { kind: 'integer', min: 8, max: 8192 },
    nullable: true,
    default: null,
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.shorterSide'] },
    description: 'Shorter side before the centre crop (`shorter-crop`). `null`: 256.',
  },
  {
    key: 'preprocessing.channelOrder',
    type: { kind: 'enum', values: ['model', 'RGB', 'BGR'] },
    default: 'model',
    unset: 'model',
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.channelOrder'] },
    cli: { flags: '--channel-order <o>', help: 'preprocessing: channel order' },
    description: 'Channel order of the input tensor. `model`: from the model sidecar or the preset (RGB).',
  },
  {
    key: 'preprocessing.scale',
    type: { kind: 'positive' },
    nullable: true,
    default: null,
    hint: '(1/255 ≈ 0.00392 for [0,1] models, 1 for 0..255)',
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.scale'] },
    cli: { flags: '--scale <s>', help: 'preprocessing: pixel scale, e.g. 1/255 or 1', parse: parseScale },
    description: "Factor on raw 0..255 pixels before mean/std: 1/255 ≈ `0.00392156862745098` for [0,1] models, `1` for 0..255 models. `null`: the model's or preset's.",
  },
  {
    key: 'preprocessing.mean',
    type: { kind: 'triple', positive: false },
    nullable: true,
    default: null,
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.mean'] },
    cli: { flags: '--mean <r,g,b>', help: 'preprocessing: per-channel mean (RGB order)' },
    description: "Per-channel mean, RGB order, after scaling. `null`: ImageNet `[0.485, 0.456, 0.406]` or the model's.",
  },
  {
    key: 'preprocessing.std',
    type: { kind: 'triple', positive: true },
    nullable: true,
    default: null,
    target: 'preprocessing',
    extension: { formerKeys: ['preprocess.std'] },
    cli: { flags: '--std <r,g,b>', help: 'preprocessing: per-channel std (RGB order)' },
    description: "Per-channel standard deviation, RGB order. `null`: ImageNet `[0.229, 0.224, 0.225]` or the model's.",
  },
  {
    key: 'outputFolder',
    type: { kind: 'string' },
    default: '.sparsity-lens',
    target: 'frontEnd',
    check: (v) => (v === '' ? 'must name a folder (default ".sparsity-lens")' : undefined),
    // The CLI's --out (default sparsity-runs) is its own option.
    extension: { restricted: true },
    description: 'Folder for run folders (one new sub-folder per run, nothing overwritten). Relative paths are inside the workspace folder of the analysed images.',
  },
  {
    key: 'pythonPath',
    type: { kind: 'string' },
    default: '',
    target: 'frontEnd',
    extension: { restricted: true },
    description:
      'Python with `torch` and `torchvision`, used to export `torchvision:<arch>` models to ONNX (`python3 -m pip install torch torchvision`). A path (`~/…`, `${workspaceFolder}/…` allowed) or a command. Empty: `python3`, else `python`. Ignored in untrusted workspaces.',
  },
  {
    key: 'maxDownloadMB',
    type: { kind: 'integer', min: 1, max: 1_000_000 },
    default: DEFAULT_MAX_DOWNLOAD_MB,
    target: 'frontEnd',
    extension: { restricted: true },
    description: 'Largest model download (by URL or from the catalog) in MB; larger files are refused before or while downloading. Ignored in untrusted workspaces.',
  },
  {
    key: 'cluster.shards',
    type: { kind: 'integer', min: 1, max: 10000 },
    default: 4,
    target: 'frontEnd',
    // Asked by "Analyze on Cluster..." and remembered here; the CLI's --shards is its own option.
    extension: {},
    description: 'Shards (SLURM array tasks) of **Sparsity Lens: Analyze on Cluster...**: the categories are split over this many jobs (docs/CLUSTER.md). Asked each time; the last answer is kept here.',
  },
  {
    key: 'cluster.partition',
    type: { kind: 'string' },
    default: '',
    target: 'frontEnd',
    extension: {},
    description: 'SLURM partition of **Sparsity Lens: Analyze on Cluster...**. Empty: the cluster\'s default partition. Asked each time; the last answer is kept here.',
  },
] as const satisfies readonly SettingSpec[];

/** The table, in order. */
export const SETTINGS: readonly SettingSpec[] = TABLE;
/** Every setting's key. */
export type SettingName = (typeof TABLE)[number]['key'];
/** Keys of the settings the extension offers as `sparsityLens.<key>` (not counting former names). */
export type ExtensionSettingName = Extract<(typeof TABLE)[number], { extension: object }>['key'];
/** The analysis settings (target `settings`) typed from the table; test/core/settings.test.ts checks them against AnalysisSettings. */
export type AnalysisSettingsObject = SettingsObject<Extract<(typeof TABLE)[number], { target: 'settings' }>>;
/** The extension's validated settings, typed from the table (src/extension/settings.ts ExtensionSettings). */
export type ExtensionSettingsObject = SettingsObject<Extract<(typeof TABLE)[number], { extension: object }>>;

/** The spec of `key`; throws for an unknown key (a typo in code, not user input). */
export function settingSpec(key: SettingName): SettingSpec {
  const s = SETTINGS.find((x) => x.key === key);
  if (!s) throw new Error(`No setting "${key}" in the settings table (src/core/settings/table.ts).`);
  return s;
}
