/**
 * ONNX engine: runs `.onnx` image classifiers with onnxruntime-node on the CPU.
 *
 * The model file is read once and decoded with onnx-proto; each session is built from an
 * edited copy held in memory (extra outputs for the taps, per-channel means, dynamic batch,
 * the lesion controls of METHOD §8), so the file on disk is never written.
 *
 * Layers and default taps (METHOD §2): see analyseModel in ./onnxGraph.ts. A default tap is
 * the output of a Relu (or a Clip with lower bound 0, i.e. ReLU6) that follows a Conv, Gemm
 * or MatMul, possibly through BatchNormalization / Add / Identity / Dropout. The graph output
 * (the logits) is never a tap. If the taps form a plain chain (AlexNet, VGG) they are named
 * conv1..convK, fc1..fcM as in the study; otherwise by their (sanitised, unique) node names.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import {
  ControlChanges,
  Engine,
  LayerInfo,
  ModelSession,
  SessionOptions,
  SessionOutput,
  TapSelection,
  UserError,
} from '../types';
import { defaultTapIds } from '../taps/select';
import { AxisLabel, unitAxisOf } from '../taps/view';
import { analyseModel, buildPermutationTemplate, buildSessionModel, GraphError, ModelAnalysis, num, SessionModel, SessionModelError, Shape } from './onnxGraph';
import type { PermutationRegion } from '../shuffleRegions';
import { ShufflePool, shuffleWorkerEntry } from '../shufflePool';

/**
 * Worker threads that shuffle permuted control models (issue 15); 0 builds each control on the
 * main thread with buildSessionModel as before (the reference path; same models). Environment
 * SPARSITY_LENS_CONTROL_WORKERS overrides (bench, tests, diagnosis).
 */
function controlWorkerCount(): number {
  const env = process.env.SPARSITY_LENS_CONTROL_WORKERS;
  if (env !== undefined && env !== '' && Number.isInteger(Number(env)) && Number(env) >= 0) return Number(env);
  // Shuffles are memory-latency bound: two overlap well even on two cores (docs/PERFORMANCE.md).
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

/** A permutation template shared with the workers: the encoded bytes once, the regions to shuffle. */
interface SharedTemplate extends Omit<SessionModel, 'bytes'> {
  shared: SharedArrayBuffer;
  byteLength: number;
  regions: PermutationRegion[];
}

export interface OnnxEngineOptions {
  /** Default intra-op threads for sessions (SessionOptions.threads overrides). Default: os.availableParallelism() (the CPUs this process may use). */
  threads?: number;
}

/** Version of the onnxruntime-node package in use. */
export const ONNXRUNTIME_VERSION: string = (ort.env.versions as { node?: string; common?: string }).node ?? ort.env.versions.common;

/** Input size assumed for a probe run when the model does not fix its input size. */
const PROBE_SIZE = 224;

/** Read, decode and check an ONNX file; inline weights stored as external data. */
export async function readOnnxModel(modelPath: string): Promise<onnx.ModelProto> {
  let bytes: Buffer;
  try {
    const st = await fs.promises.stat(modelPath);
    if (st.isDirectory()) {
      throw new UserError(`${modelPath} is a folder, not an ONNX model file. Choose the .onnx file inside it.`, 'E_MODEL_FILE');
    }
    bytes = await fs.promises.readFile(modelPath);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`Cannot read the model file ${modelPath}: ${(e as Error).message}. Check the path.`, 'E_MODEL_FILE');
  }
  const notOnnx = (why: string): UserError => {
    const hint = bytes.length > 0 && bytes[0] === 0x7b
      ? ' It looks like a JSON file (a TensorFlow.js model.json is opened by the TF.js engine).'
      : '';
    return new UserError(
      `${modelPath} is not an ONNX model (${why}).${hint} Choose a .onnx file, e.g. exported with torch.onnx.export.`,
      'E_NOT_ONNX',
    );
  };
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw notOnnx(`it does not parse as an ONNX ModelProto: ${(e as Error).message}`);
  }
  if (!model.graph || !(model.graph.node ?? []).length || num(model.irVersion) <= 0) {
    throw notOnnx('it holds no ONNX graph');
  }
  await inlineExternalData(model, modelPath);
  return model;
}

/** Load tensors stored in external files (written next to the model by onnx.save(..., save_as_external_data=True)). */
async function inlineExternalData(model: onnx.ModelProto, modelPath: string): Promise<void> {
  const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;
  const dir = path.dirname(modelPath);
  const files = new Map<string, Buffer>();
  for (const t of model.graph!.initializer ?? []) {
    if (t.dataLocation !== EXTERNAL) continue;
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location') ?? '';
    const file = path.resolve(dir, location);
    let buf = files.get(file);
    if (!buf) {
      try {
        buf = await fs.promises.readFile(file);
      } catch {
        throw new UserError(
          `${modelPath} keeps its weights in an external data file "${location}" that was not found at ${file}. ` +
            'Put that file next to the model, or re-save the model with all weights inside the .onnx ' +
            '(python: onnx.save_model(onnx.load(path), out_path, save_as_external_data=False)).',
          'E_ONNX_EXTERNAL_DATA',
        );
      }
      files.set(file, buf);
    }
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : buf.length - offset;
    if (offset + length > buf.length) {
      throw new UserError(
        `${modelPath}: the external data file ${file} is shorter than the model expects (tensor "${t.name}"). ` +
          'The file is truncated or belongs to another model; export the model again.',
        'E_ONNX_EXTERNAL_DATA',
      );
    }
    t.rawData = buf.subarray(offset, offset + length);
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
}

/** Units of a tap from its static shape and axis labels; null when only a run can tell. */
function unitsOf(shape: Shape | undefined, axes: AxisLabel[] | null, unitMode: SessionOptions['unitMode']): number | null {
  if (!shape) return null;
  const rest = shape.slice(1);
  if (rest.length === 0) return 1;
  if (unitMode === 'channel') {
    const u = unitAxisOf(axes);
    if (u) return u.reduce.length ? shape[u.axis] : product(rest);
    return rest.length === 1 ? rest[0] : null;
  }
  return product(rest);
}

function product(dims: (number | null)[]): number | null {
  return dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);
}

class OnnxSession implements ModelSession {
  readonly tapUnits: number[];
  numClasses: number | null;
  /** Units that came from a probe at a guessed input size: corrected on the first run. */
  private readonly guessed: boolean[];
  private session: ort.InferenceSession | null;
  changes?: ControlChanges;

  constructor(
    session: ort.InferenceSession,
    private readonly engine: OnnxEngine,
    private readonly inputName: string,
    private readonly tapOutputs: string[],
    private readonly logitsOutput: string | null,
    tapUnits: (number | null)[],
    numClasses: number | null,
  ) {
    this.session = session;
    this.tapUnits = tapUnits.map((u) => u ?? 0);
    this.guessed = tapUnits.map((u) => u === null);
    this.numClasses = numClasses;
  }

  /** Fill units the static shape inference left unknown with one batch-1 run. */
  async probe(): Promise<void> {
    if (!this.guessed.some((g) => g) && (this.logitsOutput === null || this.numClasses !== null)) return;
    const size = this.engine.inputSize ?? { width: PROBE_SIZE, height: PROBE_SIZE };
    const c = this.engine.channels;
    const out = await this.rawRun(new Float32Array(c * size.width * size.height), 1, size.height, size.width);
    this.tapOutputs.forEach((o, i) => {
      if (this.guessed[i]) this.tapUnits[i] = out[o].size;
    });
    if (this.logitsOutput && this.numClasses === null) this.numClasses = out[this.logitsOutput].size;
    if (this.engine.inputSize) this.guessed.fill(false);
  }

  private async rawRun(input: Float32Array, batch: number, h: number, w: number): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (!this.session) throw new Error('ONNX session used after dispose()');
    const feeds = { [this.inputName]: new ort.Tensor('float32', input, [batch, this.engine.channels, h, w]) };
    return this.session.run(feeds);
  }

  async run(input: Float32Array, batch: number): Promise<SessionOutput> {
    const c = this.engine.channels;
    let h: number;
    let w: number;
    if (this.engine.inputSize) {
      ({ height: h, width: w } = this.engine.inputSize);
      if (input.length !== batch * c * h * w) {
        throw new Error(`ONNX engine: input has ${input.length} values, expected ${batch} x ${c} x ${h} x ${w}`);
      }
    } else {
      // The model accepts any size; the packed batch is taken to be square images.
      const side = Math.round(Math.sqrt(input.length / (batch * c)));
      if (side * side * batch * c !== input.length) {
        throw new Error(`ONNX engine: cannot infer a square ${c}-channel image size from ${input.length} values for batch ${batch}`);
      }
      h = w = side;
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.rawRun(input, batch, h, w);
    } catch (e) {
      const fixed = this.engine.fixedBatch;
      if (batch > 1 && fixed !== null && fixed !== batch) {
        // Exporters with a fixed batch also write that size into computed shapes (ViT's class
        // token expand, attention reshapes), which only the exported batch size can run.
        throw new UserError(
          `${this.engine.modelPath} was exported with batch size ${fixed} fixed inside the graph, and a batch of ${batch} images fails ` +
            `(${(e as Error).message.split('\n')[0]}). Re-export with a dynamic batch (torch.onnx.export(..., dynamic_axes={'<input>': {0: 'batch'}})) or use batch size ${fixed}.`,
          'E_ONNX_BATCH',
        );
      }
      throw e;
    }
    const taps = this.tapOutputs.map((o, i) => {
      const data = toFloat32(out[o]);
      const per = data.length / batch;
      if (per !== this.tapUnits[i]) {
        if (!this.guessed[i] || !Number.isInteger(per)) {
          throw new Error(`ONNX engine: tap output ${o} has ${data.length} values for batch ${batch}, expected ${this.tapUnits[i]} per image`);
        }
        this.tapUnits[i] = per;
      }
      return data;
    });
    const result: SessionOutput = { taps };
    if (this.logitsOutput) {
      const logits = toFloat32(out[this.logitsOutput]);
      if (this.numClasses === null) this.numClasses = logits.length / batch;
      result.logits = logits;
    }
    return result;
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

function toFloat32(t: ort.OnnxValue | undefined): Float32Array {
  if (!t) throw new Error('ONNX engine: an expected output is missing');
  const data = (t as ort.Tensor).data;
  if (data instanceof Float32Array) return data;
  if (Array.isArray(data) || ArrayBuffer.isView(data)) return Float32Array.from(data as ArrayLike<number>, Number);
  throw new Error('ONNX engine: non-numeric output');
}

class OnnxEngine implements Engine {
  readonly format = 'onnx' as const;
  readonly backend = `onnxruntime-node ${ONNXRUNTIME_VERSION} (cpu)`;
  readonly layout = 'NCHW' as const;
  readonly inputSize: { width: number; height: number } | null;
  /** Channels of the image input (3 if the model leaves it open). */
  readonly channels: number;
  /** Batch size the file fixes for its input, or null if dynamic. */
  readonly fixedBatch: number | null;
  private analysis: ModelAnalysis | null;
  private readonly byName = new Map<string, LayerInfo>();
  private readonly sessions = new Set<OnnxSession>();
  /** Permutation templates by session shape (taps, units, logits, target); null: not spliceable. */
  private readonly templates = new Map<string, SharedTemplate | null>();
  private pool: ShufflePool | null = null;
  private readonly controlWorkers = controlWorkerCount();
  /** Permuted sessions worth building at once: one per shuffle worker (see Engine). */
  readonly sessionBuildConcurrency = Math.max(1, this.controlWorkers);

  constructor(readonly modelPath: string, analysis: ModelAnalysis, private readonly threads: number) {
    this.analysis = analysis;
    const [b, c, h, w] = analysis.inputDims;
    this.fixedBatch = b;
    this.channels = c ?? 3;
    this.inputSize = h !== null && w !== null ? { width: w, height: h } : null;
    for (const l of analysis.layers) this.byName.set(l.name, l);
  }

  private get a(): ModelAnalysis {
    if (!this.analysis) throw new Error('ONNX engine used after dispose()');
    return this.analysis;
  }

  layers(): LayerInfo[] {
    return this.a.layers.map((l) => ({ ...l, shape: l.shape.slice() }));
  }

  defaultTaps(mode?: TapSelection): string[] {
    const a = this.a;
    return defaultTapIds(a.plan, mode).map((id) => a.plan.names.get(id)!);
  }

  resolveLayer(name: string): LayerInfo | null {
    const a = this.a;
    const alias = a.plan.aliases.get(name);
    return this.byName.get(name) ?? a.layers.find((x) => x.id === name) ?? (alias !== undefined ? a.layers.find((x) => x.id === alias) ?? null : null);
  }

  private resolve(tap: string): LayerInfo {
    const a = this.a;
    const alias = a.plan.aliases.get(tap);
    const l = this.byName.get(tap) ?? a.layers.find((x) => x.id === tap) ?? (alias !== undefined ? a.layers.find((x) => x.id === alias) : undefined);
    if (l) return l;
    const names = this.a.layers.map((x) => x.name);
    throw new UserError(
      `Layer "${tap}" does not exist in ${this.modelPath}. Choose from the default layers: ${this.defaultTaps().join(', ') || '(none)'}; ` +
        `all readable layers: ${names.join(', ')}.`,
      'E_UNKNOWN_LAYER',
    );
  }

  /** The shared permutation template for these options, built on first use; null when the model needs buildSessionModel. */
  private template(a: ModelAnalysis, layers: LayerInfo[], options: SessionOptions): SharedTemplate | null {
    const v = options.variant;
    if (v.kind !== 'permuted') return null;
    const key = JSON.stringify([layers.map((l) => l.id), options.unitMode, options.includeLogits, options.tokens ?? 'mean', v.target, v.keepNorms === true]);
    if (this.templates.has(key)) return this.templates.get(key)!;
    const t = buildPermutationTemplate(
      a,
      layers.map((l) => ({ id: l.id, name: l.name, shape: a.shapes.get(l.id) ?? null, kind: l.kind })),
      v,
      options.unitMode,
      options.includeLogits,
      options.tokens ?? 'mean',
    );
    let shared: SharedTemplate | null = null;
    if (t) {
      const sab = new SharedArrayBuffer(t.bytes.byteLength);
      new Uint8Array(sab).set(t.bytes);
      shared = { shared: sab, byteLength: t.bytes.byteLength, regions: t.regions, tapOutputs: t.tapOutputs, logitsOutput: t.logitsOutput, permutedTensors: t.permutedTensors, changes: t.changes };
    }
    this.templates.set(key, shared);
    return shared;
  }

  /** Frees the permutation templates (one encoded model each) once no more controls will be made; a later control builds it again. */
  releaseControlTemplates(): void {
    this.templates.clear();
  }

  /** A permuted control from the template, shuffled by a worker; null when this model or setting takes buildSessionModel. */
  private async splicedModel(a: ModelAnalysis, layers: LayerInfo[], options: SessionOptions): Promise<SessionModel | null> {
    if (options.variant.kind !== 'permuted' || this.controlWorkers === 0) return null;
    const entry = shuffleWorkerEntry();
    if (!entry) return null; // no worker file (an unusual packaging): the main-thread path
    const t = this.template(a, layers, options);
    if (!t) return null;
    this.pool ??= new ShufflePool(this.controlWorkers, entry);
    const bytes = await this.pool.shuffled(t.shared, t.byteLength, t.regions, options.variant.seed);
    return { bytes, tapOutputs: t.tapOutputs, logitsOutput: t.logitsOutput, permutedTensors: t.permutedTensors, changes: structuredClone(t.changes) };
  }

  async createSession(options: SessionOptions): Promise<ModelSession> {
    const a = this.a;
    const layers = options.taps.map((t) => this.resolve(t));
    let built: SessionModel;
    try {
      built =
        (await this.splicedModel(a, layers, options)) ??
        buildSessionModel(
          a,
          layers.map((l) => ({ id: l.id, name: l.name, shape: a.shapes.get(l.id) ?? null, kind: l.kind })),
          options.variant,
          options.unitMode,
          options.includeLogits,
          options.tokens ?? 'mean',
        );
      if (!this.analysis) throw new Error('ONNX engine disposed while a session was being prepared');
    } catch (e) {
      if (e instanceof SessionModelError) {
        throw new UserError(`${this.modelPath}: ${e.message}. Choose another control or model.`, 'E_ONNX_SESSION');
      }
      throw e;
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: Math.max(1, Math.floor(options.threads ?? this.threads)),
      interOpNumThreads: 1,
      // 'all' (fusions and NCHWc layouts) is the fastest on CPU and never changes which
      // tensors come out: onnxruntime keeps every graph output, so a fused Conv+Relu whose
      // pre-activation is requested stays unfused. Numerics differ from an unoptimised run by
      // float rounding only (~1e-6).
      graphOptimizationLevel: 'all',
      // CNN graphs are chains: the parallel executor only adds scheduling overhead and
      // competes with the intra-op threads, so sequential is faster and deterministic.
      executionMode: 'sequential',
      logSeverityLevel: 3,
    };
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(built.bytes, sessionOptions);
    } catch (e) {
      throw new UserError(
        `onnxruntime could not load ${this.modelPath}: ${(e as Error).message}. ` +
          'The model may use operators or an opset this onnxruntime does not support; re-export it with opset 13-17.',
        'E_ONNX_SESSION',
      );
    }
    const units = layers.map((l) => unitsOf(a.shapes.get(l.id), a.axes.get(l.id) ?? null, options.unitMode));
    const logitsShape = a.logitsName ? a.shapes.get(a.logitsName) : null;
    const numClasses = options.includeLogits && a.logitsName ? unitsOf(logitsShape ?? null, null, 'channel-position') : null;
    const s = new OnnxSession(session, this, a.inputName, built.tapOutputs, built.logitsOutput, units, numClasses);
    s.changes = built.changes;
    try {
      await s.probe();
    } catch (e) {
      await s.dispose();
      throw e;
    }
    this.sessions.add(s);
    const dispose = s.dispose.bind(s);
    s.dispose = async () => {
      this.sessions.delete(s);
      await dispose();
    };
    return s;
  }

  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.templates.clear();
    this.analysis = null;
    await pool?.terminate();
    for (const s of [...this.sessions]) await s.dispose();
  }
}

/**
 * Open an ONNX model file. Throws UserError (naming the file and the fix) for a file that
 * is not ONNX, a model without a 4-D NCHW image input, or missing external weights.
 */
export async function openOnnxEngine(modelPath: string, opts: OnnxEngineOptions = {}): Promise<Engine> {
  const model = await readOnnxModel(modelPath);
  let analysis: ModelAnalysis;
  try {
    analysis = analyseModel(model);
  } catch (e) {
    if (e instanceof GraphError) {
      throw new UserError(
        `${modelPath} is not an image classifier this tool can read: ${e.message}. ` +
          'Export the model with one image input of shape [batch, channels, height, width] (NCHW).',
        'E_ONNX_INPUT',
      );
    }
    throw e;
  }
  const threads = opts.threads ?? os.availableParallelism(); // the job's CPU set, not the whole node
  return new OnnxEngine(modelPath, analysis, threads);
}
