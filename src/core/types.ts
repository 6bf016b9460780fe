/**
 * Shared contracts of the analysis core. Everything in src/core is free of VS Code;
 * the CLI, the extension (through a child process) and the tests all call it.
 */

/** Memory layout of the model's image input. */
export type Layout = 'NCHW' | 'NHWC';

/** How an image becomes the model's input tensor (METHOD §2). Travels with the model. */
export interface Preprocessing {
  /** Target input size in pixels. */
  width: number;
  height: number;
  /** `stretch`: resize to width x height ignoring aspect (the study's default).
   *  `shorter-crop`: resize the shorter side to `shorterSide`, then centre-crop. */
  resize: 'stretch' | 'shorter-crop';
  shorterSide: number;
  channelOrder: 'RGB' | 'BGR';
  /** Multiplies raw 0..255 pixel values before mean/std: 1/255 for [0,1] models, 1 for 0..255 models. */
  scale: number;
  /** Per channel, in RGB order (reordered for BGR at pack time). */
  mean: [number, number, number];
  std: [number, number, number];
}

/** The study's preprocessing (METHOD §2): 224x224 stretch, [0,1], ImageNet mean/std. */
export const LIU2020_PREPROCESSING: Preprocessing = {
  width: 224,
  height: 224,
  resize: 'stretch',
  shorterSide: 256,
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Kind of layer a tap follows; conv taps are reduced over space. */
export type LayerKind = 'conv' | 'fc' | 'other';

/** One readable layer output of a model. */
export interface LayerInfo {
  /** Display / selection name: the study's names (`conv1`, `fc2`) on a plain chain, else the node name. */
  name: string;
  /** Engine-internal identifier (ONNX tensor name, TF.js layer or node name). */
  id: string;
  /** Operator that produces it (`Relu`, `Clip`, `Conv`, `Dense`, ...). */
  op: string;
  kind: LayerKind;
  /** Output shape without the batch dimension, in the engine's layout; null entries are unknown. */
  shape: (number | null)[];
  /** True if this layer is a default tap (a ReLU-like output after conv/fc, METHOD §2). */
  defaultTap: boolean;
}

/**
 * Which layers are the default taps (issue 10): `study` = every ReLU after conv / fc (METHOD §2,
 * the default on a plain chain: AlexNet, VGG); `blocks` = stem activation, every block's output,
 * last activation before global pooling (the default otherwise); `activations` = every nonlinearity.
 */
export type TapSelection = 'study' | 'blocks' | 'activations';

/** Unit of a token tensor [N, T, D]: a feature averaged over tokens (default) or the class token's feature. */
export type TokenUnit = 'mean' | 'class';

/** The model as run: trained, or one of the lesion controls (METHOD §8). */
export type ModelVariant =
  | { kind: 'trained' }
  /** `keepNorms`: leave the scale / shift of remaining normalisation layers unpermuted. */
  | { kind: 'permuted'; seed: number; target: 'weights' | 'biases'; keepNorms?: boolean }
  | { kind: 'norelu' };

/** What a lesion control changed in the model, for the report (issue 10). */
export interface ControlChanges {
  /** Activations replaced by identity, by kind label (`ReLU`: 17, `SiLU`: 49). */
  replaced: Record<string, number>;
  /** Gating sigmoids (squeeze-excitation) left in place by the no-nonlinearity control. */
  gatesKept: number;
  /** Tensors shuffled by the permuted control, by role (`conv/fc weights`: 20, `norm scales`: 3). */
  permuted: Record<string, number>;
}

/** METHOD §3: `channel` = one unit per channel (spatial mean); `channel-position` = every channel x position. */
export type UnitMode = 'channel' | 'channel-position';

export interface SessionOptions {
  /** Layer names (LayerInfo.name) to read, in the order results are returned. */
  taps: string[];
  variant: ModelVariant;
  unitMode: UnitMode;
  /** Also return the model's final output (logits), for model accuracy. */
  includeLogits: boolean;
  /** Intra-op threads hint; engines may ignore it. */
  threads?: number;
  /** Unit of token tensors [N, T, D] (default `mean`). */
  tokens?: TokenUnit;
}

export interface SessionOutput {
  /** One array per requested tap, row-major [batch x units]. */
  taps: Float32Array[];
  /** Row-major [batch x classes], when requested and the model has them. */
  logits?: Float32Array;
}

/** A runnable instance of the model (one variant, one tap set). */
export interface ModelSession {
  /** Units per tap, same order as SessionOptions.taps. */
  readonly tapUnits: number[];
  /** Number of logits per image, or null when not requested. */
  readonly numClasses: number | null;
  /** What the variant changed (activations replaced, tensors permuted); empty for the trained model. */
  readonly changes?: ControlChanges;
  /** `input` is the packed batch in the engine's layout, `batch` images. */
  run(input: Float32Array, batch: number): Promise<SessionOutput>;
  dispose(): Promise<void>;
}

export type ModelFormat = 'onnx' | 'tfjs-layers' | 'tfjs-graph';

/** One loaded model file; creates sessions for the trained model and its controls. */
export interface Engine {
  readonly format: ModelFormat;
  /** Runtime and backend, recorded in every report: e.g. `onnxruntime-node 1.30.0 (cpu)`, `tfjs 4.22.0 (wasm)`. */
  readonly backend: string;
  readonly layout: Layout;
  /** Input size the model fixes, or null if dynamic. */
  readonly inputSize: { width: number; height: number } | null;
  layers(): LayerInfo[];
  /** Names of the default taps, in graph order: of `mode`, or of the model's default mode (study on a plain chain, else blocks). */
  defaultTaps(mode?: TapSelection): string[];
  /** A layer by any name the engine accepts for it (display name, id, node name, a module path it ends), or null. */
  resolveLayer?(name: string): LayerInfo | null;
  createSession(options: SessionOptions): Promise<ModelSession>;
  /** Control sessions worth building at once (the ONNX engine shuffles them in worker threads); default 1. */
  readonly sessionBuildConcurrency?: number;
  /** No more control sessions will be made: free what was kept to make them faster (the ONNX permutation template). */
  releaseControlTemplates?(): void;
  dispose(): Promise<void>;
}

/** A user-facing error: the message names the file or setting and the fix. Never a stack trace for the user. */
export class UserError extends Error {
  constructor(message: string, readonly code: string = 'E_USER') {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown when a run is cancelled (Ctrl-C, Cancel button); no report is written. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}
