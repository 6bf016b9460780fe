#!/usr/bin/env node
/**
 * Writes the `contributes`, `activationEvents` and `capabilities` sections of package.json
 * (and nothing else). The settings schema here must agree with src/extension/settings.ts;
 * test/extension/settings.test.ts checks that. Run: node scripts/contributes.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));

const res = { scope: 'resource' };
const nullableInt = (min, max, description) => ({
  type: ['integer', 'null'], default: null, minimum: min, maximum: max, ...res, markdownDescription: description,
});
const triple = (description, positive) => ({
  type: ['array', 'null'], default: null, minItems: 3, maxItems: 3,
  items: positive ? { type: 'number', exclusiveMinimum: 0 } : { type: 'number' }, ...res, markdownDescription: description,
});

const properties = {
  'sparsityLens.model': {
    type: 'string', default: '', ...res, order: 0,
    markdownDescription: 'Model to analyse: an `.onnx` file or a TensorFlow.js `model.json` (absolute, `~/…`, `${workspaceFolder}/…` or relative to the workspace folder), or a model reference resolved through the model cache: `torchvision:alexnet` (exported from PyTorch with your Python, pretrained weights; `torchvision:alexnet:random` for random weights), `catalog:<id>` (see **Sparsity Lens: Choose Model…**), an `https://` URL, or `cache:<id>` (see **Sparsity Lens: Manage Cached Models**). Empty: you are asked to choose one. In an untrusted workspace a model named here by the workspace is not loaded, and nothing is exported or downloaded.',
  },
  'sparsityLens.imagesPerCategory': {
    anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', enum: ['all'] }], default: 'all', ...res, order: 1,
    markdownDescription: 'Images used per category (sub-folder): `"all"` or a whole number (the first N in name order).',
  },
  'sparsityLens.layers': {
    type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [], ...res, order: 2,
    markdownDescription: 'Layers to analyse, by name (see **Sparsity Lens: Show Layers of Model**). Empty: every ReLU output after a conv or fully connected layer, as in the study.',
  },
  'sparsityLens.preset': {
    type: 'string', enum: ['liu2020'], enumDescriptions: ['Liu, Zhen & Liu (2020): 224×224 stretch, ImageNet mean/std, channel units, decoder accuracy on fc2, 10 permuted-weight models and a no-ReLU control.'],
    default: 'liu2020', ...res, order: 3, markdownDescription: 'Analysis preset that supplies every value not set here.',
  },
  'sparsityLens.unit': {
    type: 'string', enum: ['channel', 'channel-position'], default: 'channel', ...res,
    enumDescriptions: ['One unit per conv channel, averaged over space (the study).', 'Every channel × position is a unit (memory grows with H×W).'],
    markdownDescription: 'What a unit of a convolutional layer is.',
  },
  'sparsityLens.accuracy': {
    type: 'string', enum: ['auto', 'model', 'decoder', 'none'], default: 'auto', ...res,
    enumDescriptions: ['Decoder accuracy (the study), or the model\'s own when no decoder layer exists.', 'The network\'s own top-1 (categories must map to its classes: synset folder names or a label file).', 'Logistic-regression decoder on the decoder layer, k-fold within each category (the study).', 'No accuracy, no PSI–accuracy statistics.'],
    markdownDescription: 'Per-category accuracy used for the PSI–accuracy statistics.',
  },
  'sparsityLens.decoderLayer': {
    type: 'string', default: '', ...res, markdownDescription: 'Layer whose per-image responses feed the decoder. Empty: the last analysed hidden layer (fc2 in AlexNet).',
  },
  'sparsityLens.folds': {
    type: 'integer', default: 2, minimum: 2, maximum: 20, ...res, markdownDescription: 'Cross-validation folds of the decoder (split within each category).',
  },
  'sparsityLens.controls.permutedWeights': {
    type: 'integer', default: 10, minimum: 0, maximum: 100, ...res, markdownDescription: 'Number of permuted-weight control models (each weight tensor shuffled, biases kept). 0 turns the control off.',
  },
  'sparsityLens.controls.noNonlinearity': {
    type: 'boolean', default: true, ...res, markdownDescription: 'Also run the no-nonlinearity control (every ReLU replaced by identity).',
  },
  'sparsityLens.controls.permuteTarget': {
    type: 'string', enum: ['weights', 'biases'], default: 'weights', ...res,
    enumDescriptions: ['Shuffle every weight tensor, keep biases (the study).', 'Shuffle biases instead (option).'],
    markdownDescription: 'What the permuted control shuffles.',
  },
  'sparsityLens.concurrentPasses': {
    type: 'integer', default: 0, minimum: 0, maximum: 1000, ...res,
    markdownDescription: 'How many passes (trained + controls) are held in memory and run together on each decoded image. `0`: as many as fit in half of this computer\'s memory (each pass holds its own copy of the model). Fewer means less memory but each image is decoded again per group; results are identical.',
  },
  'sparsityLens.batchSize': {
    type: 'integer', default: 8, minimum: 1, maximum: 1024, ...res, markdownDescription: 'Images per forward pass. Cancel takes effect within one batch.',
  },
  'sparsityLens.seed': {
    type: 'integer', default: 0, minimum: 0, maximum: 4294967295, ...res, markdownDescription: 'Seed for image sampling, weight permutation and cross-validation folds.',
  },
  'sparsityLens.preprocess.resize': {
    type: 'string', enum: ['model', 'stretch', 'shorter-crop'], default: 'model', ...res,
    enumDescriptions: ['As the model\'s sidecar file or the preset says.', 'Resize to width×height ignoring aspect (the study).', 'Resize the shorter side, then centre-crop.'],
    markdownDescription: 'How images are resized to the model input.',
  },
  'sparsityLens.preprocess.width': nullableInt(8, 4096, 'Input width in pixels. `null`: the model\'s or preset\'s (224). Set together with height.'),
  'sparsityLens.preprocess.height': nullableInt(8, 4096, 'Input height in pixels. `null`: the model\'s or preset\'s (224). Set together with width.'),
  'sparsityLens.preprocess.shorterSide': nullableInt(8, 8192, 'Shorter side before the centre crop (`shorter-crop`). `null`: 256.'),
  'sparsityLens.preprocess.channelOrder': {
    type: 'string', enum: ['model', 'RGB', 'BGR'], default: 'model', ...res, markdownDescription: 'Channel order of the input tensor. `model`: from the model sidecar or the preset (RGB).',
  },
  'sparsityLens.preprocess.scale': {
    type: ['number', 'null'], default: null, exclusiveMinimum: 0, ...res, markdownDescription: 'Factor on raw 0..255 pixels before mean/std: 1/255 ≈ `0.00392156862745098` for [0,1] models, `1` for 0..255 models. `null`: the model\'s or preset\'s.',
  },
  'sparsityLens.preprocess.mean': triple('Per-channel mean, RGB order, after scaling. `null`: ImageNet `[0.485, 0.456, 0.406]` or the model\'s.', false),
  'sparsityLens.preprocess.std': triple('Per-channel standard deviation, RGB order. `null`: ImageNet `[0.229, 0.224, 0.225]` or the model\'s.', true),
  'sparsityLens.referencePSI': {
    type: 'number', default: 0.36, minimum: 0, maximum: 1, ...res, markdownDescription: 'Reference PSI drawn as a line in the charts (macaque extrastriate cortex ≈ 0.36).',
  },
  'sparsityLens.outputFolder': {
    type: 'string', default: '.sparsity-lens', ...res, markdownDescription: 'Folder for run folders (one new sub-folder per run, nothing overwritten). Relative paths are inside the workspace folder of the analysed images.',
  },
  'sparsityLens.pythonPath': {
    type: 'string', default: '', ...res, markdownDescription: 'Python with `torch` and `torchvision`, used to export `torchvision:<arch>` models to ONNX (`python3 -m pip install torch torchvision`). A path (`~/…`, `${workspaceFolder}/…` allowed) or a command. Empty: `python3`, else `python`. Ignored in untrusted workspaces.',
  },
  'sparsityLens.maxDownloadMB': {
    type: 'integer', default: 2048, minimum: 1, maximum: 1000000, ...res, markdownDescription: 'Largest model download (by URL or from the catalog) in MB; larger files are refused before or while downloading. Ignored in untrusted workspaces.',
  },
};

const C = 'Sparsity Lens';
pkg.activationEvents = ['onWebviewPanel:sparsityLens.report', 'onCustomEditor:sparsityLens.reportViewer'];
pkg.capabilities = {
  untrustedWorkspaces: {
    supported: 'limited',
    description: 'In an untrusted workspace Sparsity Lens does not load a model named by the workspace\'s settings (running a model executes its graph in native code), does not run Python or download models, and ignores the workspace\'s output folder, Python path and download limit. Choose a model file or a cached model yourself, or trust the workspace.',
    restrictedConfigurations: ['sparsityLens.model', 'sparsityLens.pythonPath', 'sparsityLens.outputFolder', 'sparsityLens.maxDownloadMB'],
  },
};
pkg.contributes = {
  commands: [
    { command: 'sparsityLens.analyzeFolder', title: 'Analyze Sparsity', category: C, icon: '$(graph)' },
    { command: 'sparsityLens.openReport', title: 'Open Report…', category: C },
    { command: 'sparsityLens.chooseModel', title: 'Choose Model…', category: C },
    { command: 'sparsityLens.showLayers', title: 'Show Layers of Model', category: C },
    { command: 'sparsityLens.manageModels', title: 'Manage Cached Models', category: C },
    { command: 'sparsityLens.exportReport', title: 'Export Report…', category: C, icon: '$(save-as)' },
    { command: 'sparsityLens.cancelAnalysis', title: 'Cancel Analysis', category: C },
  ],
  menus: {
    'explorer/context': [
      { command: 'sparsityLens.analyzeFolder', when: 'explorerResourceIsFolder', group: '7_sparsityLens@1' },
    ],
    'editor/title': [
      { command: 'sparsityLens.exportReport', when: 'activeCustomEditorId == sparsityLens.reportViewer || activeWebviewPanelId == sparsityLens.report', group: 'navigation' },
    ],
    commandPalette: [
      { command: 'sparsityLens.cancelAnalysis', when: 'sparsityLens.running' },
    ],
  },
  configuration: { title: C, properties },
  customEditors: [
    {
      viewType: 'sparsityLens.reportViewer',
      displayName: 'Sparsity Report',
      selector: [{ filenamePattern: '*.sparsity.json' }],
      priority: 'default',
    },
  ],
};
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
console.log('package.json: contributes, activationEvents, capabilities written');
