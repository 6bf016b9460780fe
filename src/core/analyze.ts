/**
 * One analysis run, end to end: scan → decode (prefetched, concurrent) → every pass
 * (trained + controls) on each decoded batch → per-category accumulators → statistics →
 * report files. Each image is decoded once and run through all passes, so 12 passes cost
 * one decode (once per pass group when memory forces groups; see passGroups). State is
 * checkpointed so a killed run resumes to the same result.
 */
import { runFolderBase } from './runName';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AnalyzeHooks, AnalyzeRequest, AnalyzeResult, ProgressEvent } from './analyzeTypes';
import { scanDataset, type ScanResult } from './dataset';
import { checkDatasetUnchanged } from './resumeCheck';
import { listingOf, writeListing, type DatasetListing } from './datasetListing';
import { outputFolderError } from './fsAtomic';
import { selectReadable, type Selection } from './selectImages';
import type { AnalysisSettings } from './report/schema';
import type { Preprocessing } from './types';
import { decodeImage, ImageDecodeError, packBatch, type DecodedImage } from './decode';
import { openEngine } from './engines';
import { createUniqueDir } from './fsAtomic';
import { modelSha256 } from './modelHash';
import { resolveModelPreprocessing } from './modelPreprocessing';
import { buildReport } from './buildReport';
import { REPORT_FILE, type SparsityReport } from './report/schema';
import { writeReport } from './report/writer';
import { RunState, type PassSpec, type TapSpec } from './runState';
import { acquireRunLock, type RunLock } from './runLock';
import { resolveSettings } from './settings';
import { controlWarning, describeChanges } from './controlChanges';
import { CancelledError, UserError, type Engine, type ModelSession, type ModelVariant } from './types';

const CHECKPOINT_SECONDS = 30;
/** Checkpoints never take more than 1/CHECKPOINT_COST_FACTOR of the run time (big runs write ~1 GB of sums). */
const CHECKPOINT_COST_FACTOR = 20;
const PARTIAL_SECONDS = 2;
/**
 * Decoded images kept in memory for the later pass groups of this process (issue 15). Why a
 * bounded cache rather than decoding again: a pass-major run (one pass per group, below) would
 * otherwise decode every image once per pass (~6 ms of CPU each, as much as a third of the
 * inference); the pixels at the model's input size are small (150 KB at 224 x 224), so runs
 * that fit decode once. Beyond the budget images are decoded again, in order, as before.
 */
const DECODED_CACHE_BYTES = Math.min(512 * 1024 * 1024, os.totalmem() / 16);

export function passSpecs(permutations: number, noNonlinearity: boolean, seed: number): PassSpec[] {
  const passes: PassSpec[] = [{ id: 'trained', kind: 'trained', label: 'trained' }];
  for (let k = 1; k <= permutations; k++) {
    // Distinct, reproducible seed per permuted model, derived from the run seed.
    passes.push({ id: `permuted-${k}`, kind: 'permuted', label: `permuted ${k}/${permutations}`, seed: seed * 1000 + k });
  }
  if (noNonlinearity) passes.push({ id: 'norelu', kind: 'norelu', label: 'no-ReLU' });
  return passes;
}

function variantOf(p: PassSpec, target: 'weights' | 'biases', keepNorms = false): ModelVariant {
  if (p.kind === 'permuted') return { kind: 'permuted', seed: p.seed ?? 0, target, ...(keepNorms ? { keepNorms } : {}) };
  return { kind: p.kind };
}

/**
 * Records what a control pass changed in the model (issue 10), once per pass, and logs it; a
 * control that changed nothing is a warning (in the log and in the report, see buildReport).
 */
function recordChanges(state: RunState, pass: PassSpec, session: ModelSession, hooks: AnalyzeHooks): void {
  if (pass.kind === 'trained' || !session.changes) return;
  const all = (state.meta.controlChanges ??= {});
  if (all[pass.id]) return;
  all[pass.id] = session.changes;
  const w = controlWarning(pass, session.changes);
  hooks.onLog?.(w ? `Warning: ${w}` : `${pass.label}: ${describeChanges(session.changes)}`);
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** A model session handed from one stage to the next; whoever takes it disposes it. */
interface SessionHandOver {
  session?: ModelSession;
}

/**
 * Builds a fresh run state: settings, dataset, model, taps, passes. The trained session it
 * opens to learn the tap sizes is left in `trained` for the first pass to use.
 */
async function prepare(request: AnalyzeRequest, engine: Engine, hooks: AnalyzeHooks, trained: SessionHandOver, extras: { listing?: DatasetListing } = {}): Promise<RunState> {
  const settings = resolveSettings(request.settings);
  const { preprocessing, labels: modelClasses, sources, warnings, weights: modelWeights } = resolveModelPreprocessing(request.modelPath, settings.preset, request.preprocessing);
  for (const w of warnings) hooks.onLog?.(w);
  if (engine.inputSize) {
    preprocessing.width = engine.inputSize.width;
    preprocessing.height = engine.inputSize.height;
  }
  settings.preprocessing = preprocessing;
  hooks.onLog?.(`Preprocessing from ${sources.join(' < ')}: ${JSON.stringify(preprocessing)}`);

  // The output folder is never a category (`analyze .` from inside the dataset; issue 14).
  const scan = scanDataset(request.datasetPath, { ...settings, labelFile: settings.labelFile, excludeDirs: [request.outputRoot] });
  const layers = engine.layers();
  const tapMode = settings.taps && settings.taps !== 'auto' ? settings.taps : undefined;
  const tapNames = settings.layers.length ? settings.layers : engine.defaultTaps(tapMode);
  if (tapNames.length === 0) {
    throw new UserError(
      `Model ${request.modelPath} has no default layers to analyse${tapMode ? ` with taps "${tapMode}"` : ''} (no activation after a conv or fc layer, no block). ` +
        `Choose layers by name, or another taps setting (study, blocks, activations); list them with "sparsity-lens layers --model ${request.modelPath}".`,
      'E_LAYERS',
    );
  }
  // Engines also accept other names of a layer (its node name, a module path it ends).
  const layerOf = (name: string) => layers.find((l) => l.name === name) ?? engine.resolveLayer?.(name) ?? undefined;
  for (const name of tapNames) {
    if (!layerOf(name)) {
      throw new UserError(`Layer "${name}" is not in model ${request.modelPath}. Available: ${layers.map((l) => l.name).join(', ')}.`, 'E_LAYERS');
    }
  }
  settings.layers = tapNames;
  // Tap sizes come from a session (shapes can be dynamic in the file); with logits, so that
  // the number of classes is known. The first pass reuses this session.
  const probe = await engine.createSession({ taps: tapNames, variant: { kind: 'trained' }, unitMode: settings.unit, includeLogits: true, threads: os.availableParallelism(), tokens: settings.tokens });
  trained.session = probe;
  const taps: TapSpec[] = tapNames.map((name, i) => ({ name, kind: layerOf(name)!.kind, units: probe.tapUnits[i] }));
  const numClasses = probe.numClasses;
  const selection = await selectImages(scan, settings, preprocessing, hooks);

  // Class labels: label file / ImageNet synsets (from the scan), else the model's own class list.
  const categories = scan.categories.map((c) => {
    let label = c.label;
    if (!label && modelClasses) {
      const index = modelClasses.indexOf(c.name);
      if (index >= 0) label = { index, name: c.name };
    }
    return { name: c.name, files: c.files, label, images: 0, top1: 0, top5: 0 };
  });
  const labelsMap = numClasses !== null && categories.every((c) => c.label && c.label.index < numClasses);
  if (settings.accuracy === 'model' && !labelsMap) {
    throw new UserError('Setting accuracy is "model" but the category folders do not map to the model\'s output classes. Use ImageNet synset folder names, a label file (--labels), or accuracy "decoder".', 'E_SETTINGS');
  }
  if (!labelsMap) for (const c of categories) delete c.label;

  let decoderTap = -1;
  if (settings.accuracy === 'decoder' || settings.accuracy === 'auto') {
    const name = settings.decoderLayer ?? tapNames[tapNames.length - 1];
    decoderTap = tapNames.indexOf(name);
    if (decoderTap < 0) throw new UserError(`Decoder layer "${name}" is not among the analysed layers (${tapNames.join(', ')}).`, 'E_SETTINGS');
    settings.decoderLayer = name;
  }
  const passes = passSpecs(settings.controls.permutations, settings.controls.noNonlinearity, settings.seed);
  const imageBytes = scan.categories.reduce((a, c) => a + c.files.length, 0) * preprocessing.width * preprocessing.height * 3;
  // Pass-major when every decoded image fits the cache: the trained pass runs at once (its first
  // partial report within seconds) while the controls are prepared in the background, and each
  // control runs as soon as its model is ready, on the cached images. Bigger runs keep the passes
  // together (each image decoded once per group); model preparation is then a small part.
  const passMajor = settings.concurrentPasses === 'auto' && passes.length > 1 && imageBytes <= DECODED_CACHE_BYTES;
  const passGroupSize = passMajor ? 1 : settings.concurrentPasses === 'auto' ? autoPassGroupSize(request.modelPath, passes.length) : Math.min(settings.concurrentPasses, passes.length);
  if (passMajor) {
    hooks.onLog?.(`Running the ${passes.length} passes one after another on images decoded once: the trained pass first, each control as soon as its model is prepared (in the background).`);
  } else if (passGroupSize < passes.length) {
    hooks.onLog?.(`Running ${passes.length} passes in groups of ${passGroupSize} to bound memory (each image is decoded once per group); set concurrentPasses to change this.`);
  }
  const state = new RunState(
    {
      datasetPath: path.resolve(request.datasetPath),
      categoriesFound: scan.categoriesFound,
      imagesFound: scan.imagesFound,
      droppedCategories: scan.dropped,
      modelPath: path.resolve(request.modelPath),
      modelSha256: await modelSha256(request.modelPath),
      modelFormat: engine.format,
      modelSource: request.modelSource,
      ...(modelWeights ? { modelWeights } : {}),
      runtime: engine.format === 'onnx' ? 'onnxruntime-node' : 'tfjs',
      backend: engine.backend,
      inputSize: { width: preprocessing.width, height: preprocessing.height },
      settings,
      startedAt: new Date().toISOString(),
      modelAccuracy: labelsMap,
      passGroupSize,
    },
    categories,
    passes,
    taps,
    decoderTap,
  );
  // Files the scan or the N-readable selection could not use are listed from the start.
  state.skipped.push(...scan.skipped, ...selection.skipped);
  if (selection.warnings.length) state.meta.dataWarnings = selection.warnings;
  extras.listing = listingOf(scan);
  return state;
}

/** With imagesPerCategory N: each category's first N readable files (selectImages.ts), in place. */
async function selectImages(scan: ScanResult, settings: AnalysisSettings, pre: Preprocessing, hooks: AnalyzeHooks): Promise<Selection> {
  const n = settings.imagesPerCategory;
  if (n === 'all') return { files: scan.categories.map((c) => c.files), skipped: [], warnings: [] };
  hooks.onProgress?.({ phase: 'scan', done: 0, total: 0, imagesPerSecond: 0, etaSeconds: null, message: `Checking that the first ${n} images per category are readable` });
  const sel = await selectReadable(scan.categories, n, settings.sampling, pre, settings.decoding, hooks.signal);
  checkAborted(hooks.signal);
  scan.categories.forEach((c, i) => (c.files = sel.files[i]));
  for (const w of sel.warnings) hooks.onLog?.(`Warning: ${w}`);
  return sel;
}

/** Decoded images of this process by file index, up to a byte budget (DECODED_CACHE_BYTES). */
class DecodedCache {
  private readonly images = new Map<number, DecodedImage | ImageDecodeError>();
  private bytes = 0;
  constructor(private readonly budget: number) {}
  get(i: number): DecodedImage | ImageDecodeError | undefined {
    return this.images.get(i);
  }
  offer(i: number, r: DecodedImage | ImageDecodeError): void {
    const b = r instanceof ImageDecodeError ? 0 : r.pixels.byteLength;
    if (this.images.has(i) || this.bytes + b > this.budget) return;
    this.images.set(i, r);
    this.bytes += b;
  }
}

/** Decodes images in order with bounded look-ahead; failures become skip records. Cached images are not decoded again. */
class Prefetcher {
  private readonly pending = new Map<number, Promise<DecodedImage | ImageDecodeError>>();
  private next: number;
  /** Wall seconds take() waited for decodes: decoding NOT hidden behind inference. */
  waitSeconds = 0;
  constructor(
    private readonly files: string[],
    start: number,
    private readonly preprocessing: RunState['meta']['settings']['preprocessing'],
    private readonly decoding: RunState['meta']['settings']['decoding'],
    private readonly lookahead: number,
    private readonly cache: DecodedCache | null = null,
  ) {
    this.next = start;
  }
  private fill(from: number): void {
    while (this.next < this.files.length && this.next < from + this.lookahead) {
      const i = this.next++;
      if (this.cache?.get(i)) continue;
      this.pending.set(
        i,
        decodeImage(this.files[i], this.preprocessing, this.decoding).catch((e: unknown) =>
          e instanceof ImageDecodeError ? e : new ImageDecodeError(this.files[i], String(e)),
        ),
      );
    }
  }
  async take(i: number): Promise<DecodedImage | ImageDecodeError> {
    this.fill(i);
    const p = this.pending.get(i);
    if (!p) {
      this.fill(i + 1);
      return this.cache!.get(i)!;
    }
    this.pending.delete(i);
    const t0 = performance.now();
    const r = await p;
    this.waitSeconds += (performance.now() - t0) / 1000;
    this.cache?.offer(i, r);
    this.fill(i + 1);
    return r;
  }
  /** Lets in-flight decodes finish so no promise outlives the run. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.pending.values());
    this.pending.clear();
  }
}

/** Rejects with CancelledError when the signal aborts (a wait for a control model stays cancellable). */
function whenAborted(signal: AbortSignal | undefined): { promise: Promise<never>; done: () => void } {
  if (!signal) return { promise: new Promise<never>(() => {}), done: () => {} };
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new CancelledError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, done: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Opens the sessions of the passes still to run, in run order, ahead of their pass group
 * (issue 15): while the trained pass runs, the controls are being prepared (permuted models in
 * the engine's worker threads, `sessionBuildConcurrency` at once), so a pass-major run goes on
 * to each control as soon as it is ready. At most `maxAlive` sessions exist at once (those the
 * running group holds plus those prepared or in preparation): the memory bound of
 * concurrentPasses / autoPassGroupSize. Sessions are handed out in pass order, with their
 * control changes recorded then, as before.
 */
class SessionPreparer {
  private readonly started = new Map<number, Promise<ModelSession>>();
  private readonly settled = new Set<number>();
  private next = 0;
  private inFlight = 0;
  private held = 0;
  private disposed = false;
  private readonly concurrency: number;
  /**
   * Passes of `order` that may start: only the first group's until open() (the first partial
   * report is out, or the first group is done), so that onnxruntime's model loads, which block
   * the main thread ~0.8 s each, do not hold back the first chart.
   */
  private startable: number;

  constructor(
    private readonly state: RunState,
    private readonly engine: Engine,
    private readonly order: number[],
    private readonly maxAlive: number,
    private readonly trained: SessionHandOver,
    firstGroupSize: number,
  ) {
    this.concurrency = Math.max(1, engine.sessionBuildConcurrency ?? 1);
    this.startable = firstGroupSize;
    this.pump();
  }

  /** Every pass may now be prepared ahead. */
  open(): void {
    if (this.startable >= this.order.length) return;
    this.startable = this.order.length;
    this.pump();
  }

  private pump(): void {
    while (!this.disposed && this.next < Math.min(this.startable, this.order.length) && this.inFlight < this.concurrency && this.held + this.started.size < this.maxAlive) {
      this.start(this.order[this.next++]);
    }
  }

  private start(pi: number): void {
    const p = this.state.passes[pi];
    const s = this.state.meta.settings;
    let session: Promise<ModelSession>;
    if (p.kind === 'trained' && this.trained.session) {
      session = Promise.resolve(this.trained.session);
      this.trained.session = undefined;
    } else {
      this.inFlight++;
      session = this.engine.createSession({
        taps: this.state.taps.map((t) => t.name),
        variant: variantOf(p, s.controls.permuteTarget, s.controls.keepNorms === true),
        unitMode: s.unit,
        includeLogits: p.kind === 'trained' && this.state.meta.modelAccuracy === true,
        // availableParallelism follows the CPU set a scheduler gives the job (SLURM --cpus-per-task),
        // where os.cpus() lists every CPU of the node and oversubscribes it.
        threads: os.availableParallelism(),
        tokens: s.tokens,
      });
      const settle = () => {
        this.inFlight--;
        // Every control is made: the engine may free what it kept to make them (a 244 MB template for AlexNet).
        if (this.next >= this.order.length && this.inFlight === 0) this.engine.releaseControlTemplates?.();
        this.pump();
      };
      session.then(settle, settle);
    }
    session.then(
      () => this.settled.add(pi),
      () => this.settled.add(pi), // the error is reported when taken (in pass order), not as an unhandled rejection
    );
    this.started.set(pi, session);
  }

  /** True when the session of pass `pi` is made (or failed): taking it does not wait. */
  isReady(pi: number): boolean {
    return this.settled.has(pi);
  }

  /** The session of pass `pi`, when ready; rejects with CancelledError at once on abort. */
  async take(pi: number, signal?: AbortSignal): Promise<ModelSession> {
    if (!this.started.has(pi)) {
      // Taken before its turn came (a group larger than maxAlive): start it now rather than wait forever.
      const at = this.order.indexOf(pi, this.next);
      if (at >= 0) {
        this.order.splice(at, 1);
        if (at < this.startable) this.startable--;
      }
      this.start(pi);
    }
    const p = this.started.get(pi)!;
    const abort = whenAborted(signal);
    try {
      const session = await Promise.race([p, abort.promise]);
      this.started.delete(pi);
      this.held++;
      return session;
    } finally {
      abort.done();
    }
  }

  /** The running group disposed `count` sessions: room for the next ones. */
  released(count: number): void {
    this.held -= count;
    this.pump();
  }

  /** Stops preparing; sessions made or still being made are disposed when they exist (not waited for: cancel stays prompt). */
  dispose(): void {
    this.disposed = true;
    for (const p of this.started.values()) p.then((x) => x.dispose()).catch(() => {});
    this.started.clear();
  }
}

/**
 * Passes are run in groups: every pass of a group runs on each decoded batch, so an image is
 * decoded once per group. One group (the usual case) decodes each image once; more groups bound
 * memory (each pass holds its own model session) at the cost of decoding again per group.
 */
export function passGroups(passCount: number, groupSize: number): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < passCount; i += groupSize) groups.push(Array.from({ length: Math.min(groupSize, passCount - i) }, (_, k) => i + k));
  return groups;
}

/** Bytes of the model's weights on disk (.onnx, or model.json plus its shards). */
function modelBytes(modelPath: string): number {
  let bytes = fs.statSync(modelPath).size;
  if (path.extname(modelPath).toLowerCase() === '.json') {
    try {
      const j = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
      for (const g of j.weightsManifest ?? []) for (const p of g.paths) bytes += fs.statSync(path.join(path.dirname(modelPath), p)).size;
    } catch {
      /* the engine reports unreadable files */
    }
  }
  return bytes;
}

/**
 * How many passes to keep in memory at once for `concurrentPasses: 'auto'`: a session costs
 * about 1.2x (AlexNet) to 2x (VGG11) its weights in onnxruntime (measured, docs/PERFORMANCE.md);
 * 2.5x plus 64 MB is assumed, within half of this machine's memory.
 */
export function autoPassGroupSize(modelPath: string, passCount: number, totalMemory = os.totalmem()): number {
  const perSession = 2.5 * modelBytes(modelPath) + 64 * 1024 * 1024;
  return Math.max(1, Math.min(passCount, Math.floor((0.5 * totalMemory) / perSession)));
}

async function runPasses(state: RunState, engine: Engine, runDir: string, request: AnalyzeRequest, hooks: AnalyzeHooks, trained: SessionHandOver): Promise<void> {
  const files = state.categories.flatMap((c) => c.files);
  const groups = passGroups(state.passes.length, state.meta.passGroupSize);
  const s = state.meta.settings;
  const groupSize = state.meta.passGroupSize;
  // An explicit concurrentPasses bounds the sessions alive at once; 'auto' may prepare ahead as many as fit in memory.
  const maxAlive = s.concurrentPasses === 'auto' ? Math.max(groupSize, autoPassGroupSize(state.meta.modelPath, state.passes.length)) : groupSize;
  const current = state.nextImage >= files.length ? [] : groups[state.passGroup];
  const order = [...current, ...groups.slice(state.passGroup + 1).flat()];
  const preparer = new SessionPreparer(state, engine, order, maxAlive, trained, current.length);
  const cache = groups.length - state.passGroup > 1 ? new DecodedCache(DECODED_CACHE_BYTES) : null;
  const partials = new PartialClock(request.partialSeconds, () => preparer.open());
  // Without live reports (or resuming past the trained pass) there is no first chart to wait for.
  if (!hooks.onPartial || state.passGroup > 0) preparer.open();
  try {
    while (state.passGroup < groups.length) {
      if (state.nextImage < files.length) await runGroup(state, groups, files, engine, runDir, request, hooks, preparer, cache, partials);
      preparer.open();
      if (state.passGroup === groups.length - 1) break;
      // A group done: the passes so far are complete over every category (trained + controls so far).
      const done = groups[state.passGroup];
      if (hooks.onPartial && state.categories.length >= 2 && partials.due()) {
        await partials.emit(hooks, () => buildReport(state, { partial: true, runDir, passCount: done[done.length - 1] + 1 }));
      }
      state.passGroup++;
      state.nextImage = 0;
      if (request.checkpoint !== false) state.save(path.join(runDir, 'state'));
    }
  } finally {
    preparer.dispose();
  }
}

/**
 * When live partial reports go out: at most every PARTIAL_SECONDS, and never more than a fifth
 * of the time (a partial of 12 passes x 1,000 categories takes seconds to build).
 */
class PartialClock {
  private last = -Infinity;
  private cost = 0;
  constructor(
    private readonly seconds = PARTIAL_SECONDS,
    /** After the first report is out (SessionPreparer.open). */
    private readonly afterFirst: () => void = () => {},
  ) {}
  due(now = performance.now()): boolean {
    return (now - this.last) / 1000 >= Math.max(this.seconds, 4 * this.cost);
  }
  async emit(hooks: AnalyzeHooks, build: () => Promise<SparsityReport>): Promise<void> {
    const t0 = performance.now();
    const report = await build();
    this.last = performance.now();
    this.cost = (this.last - t0) / 1000;
    hooks.onPartial?.(report);
    this.afterFirst();
  }
}

/** Category index of every file (files are in category order) and each category's end offset. */
function categoryIndex(state: RunState, fileCount: number): { categoryOf: Int32Array; categoryEnd: number[] } {
  const categoryOf = new Int32Array(fileCount);
  const categoryEnd: number[] = [];
  let k = 0;
  state.categories.forEach((c, ci) => {
    for (let j = 0; j < c.files.length; j++) categoryOf[k++] = ci;
    categoryEnd.push(k);
  });
  return { categoryOf, categoryEnd };
}

/** One session per pass of the group, from the preparer (the trained pass reuses the session opened to size the taps). */
async function openGroupSessions(state: RunState, group: number[], preparer: SessionPreparer, hooks: AnalyzeHooks, sessions: ModelSession[]): Promise<void> {
  for (const pi of group) {
    const p = state.passes[pi];
    if (!preparer.isReady(pi)) {
      hooks.onProgress?.({ phase: 'load', passLabel: p.label, done: 0, total: 0, imagesPerSecond: 0, etaSeconds: null, message: `Preparing ${p.label} model` });
    }
    const session = await preparer.take(pi, hooks.signal);
    sessions.push(session);
    recordChanges(state, p, session, hooks);
    checkAborted(hooks.signal);
  }
}

/**
 * The next batch of decodable images from file `from` on: undecodable files are skipped (and
 * listed, by the first group only, so each is listed once), they do not shorten the batch.
 */
async function takeBatch(
  state: RunState,
  prefetch: Prefetcher,
  from: number,
  files: string[],
  categoryOf: Int32Array,
  batchSize: number,
  listSkips: boolean,
  hooks: AnalyzeHooks,
): Promise<{ batch: DecodedImage[]; cats: number[]; next: number }> {
  const batch: DecodedImage[] = [];
  const cats: number[] = [];
  let i = from;
  while (batch.length < batchSize && i < files.length) {
    const r = await prefetch.take(i);
    if (r instanceof ImageDecodeError) {
      if (listSkips) {
        state.skipped.push({ file: r.file, reason: r.message, kind: r.kind });
        hooks.onLog?.(`Skipped ${r.file}: ${r.message}`);
      }
    } else {
      batch.push(r);
      cats.push(categoryOf[i]);
    }
    i++;
  }
  return { batch, cats, next: i };
}

/** One packed batch through every pass of the group, accumulated into the run state. */
async function runBatch(state: RunState, group: number[], sessions: ModelSession[], x: Float32Array, cats: number[], hooks: AnalyzeHooks): Promise<void> {
  const n = cats.length;
  for (const [k, pi] of group.entries()) {
    // Cancel within one pass, not one batch of every pass (12 by default). Safe: after
    // CancelledError nothing of this run is saved (checkpoints happen between batches).
    if (k > 0) checkAborted(hooks.signal);
    const out = await sessions[k].run(x, n);
    accumulate(state, pi, out.taps, cats);
    if (pi === 0) {
      if (out.logits && state.meta.modelAccuracy && sessions[k].numClasses) scoreLogits(state, out.logits, sessions[k].numClasses!, cats);
      if (state.decoderTap >= 0) state.addFeatures(out.taps[state.decoderTap], cats);
    }
  }
}

async function runGroup(
  state: RunState,
  groups: number[][],
  files: string[],
  engine: Engine,
  runDir: string,
  request: AnalyzeRequest,
  hooks: AnalyzeHooks,
  preparer: SessionPreparer,
  cache: DecodedCache | null,
  partials: PartialClock,
): Promise<void> {
  const s = state.meta.settings;
  const group = groups[state.passGroup];
  // The first group holds the trained pass: it alone counts images, skips, hits and features.
  const firstGroup = state.passGroup === 0;
  const { categoryOf, categoryEnd } = categoryIndex(state, files.length);
  const pre = s.preprocessing;
  const sessions: ModelSession[] = [];
  try {
    await openGroupSessions(state, group, preparer, hooks, sessions);
    const batchSize = s.batchSize;
    const input = new Float32Array(batchSize * 3 * pre.width * pre.height);
    // The last group decodes for itself only; earlier ones keep what fits for the groups after them.
    const prefetch = new Prefetcher(files, state.nextImage, pre, s.decoding, batchSize * 3, state.passGroup < groups.length - 1 ? cache : null);
    const decodeBefore = state.decodeSeconds; // from before a resume or an earlier group
    const total = files.length * state.passes.length;
    const doneBefore = files.length * groups.slice(0, state.passGroup).reduce((a, g) => a + g.length, 0);
    const passesLeftAfter = groups.slice(state.passGroup + 1).reduce((a, g) => a + g.length, 0);
    const startImage = state.nextImage;
    const label = group.length === 1 && groups.length > 1 ? `${state.passes[group[0]].label} (pass ${group[0] + 1} of ${state.passes.length})` : groups.length > 1 ? `passes ${group[0] + 1}-${group[group.length - 1] + 1} of ${state.passes.length}` : state.passes.length > 1 ? `trained + ${state.passes.length - 1} control${state.passes.length > 2 ? 's' : ''}` : 'trained';
    const t0 = performance.now();
    let lastCheckpoint = t0;
    let checkpointEvery = request.checkpointSeconds ?? CHECKPOINT_SECONDS;
    // The first partial report goes out as soon as two categories are complete (a first chart at
    // once); later ones at most every PARTIAL_SECONDS (PartialClock).
    let completedCategories = categoryEnd.filter((e) => e <= state.nextImage).length;
    try {
      while (state.nextImage < files.length) {
        checkAborted(hooks.signal);
        const { batch, cats, next } = await takeBatch(state, prefetch, state.nextImage, files, categoryOf, batchSize, firstGroup, hooks);
        const n = batch.length;
        if (n > 0) {
          packBatch(batch, pre, engine.layout, input);
          const x = n === batchSize ? input : input.subarray(0, n * 3 * pre.width * pre.height);
          const tInfer = performance.now();
          await runBatch(state, group, sessions, x, cats, hooks);
          state.inferenceSeconds += (performance.now() - tInfer) / 1000;
          if (firstGroup) for (const c of cats) state.categories[c].images++;
        }
        state.nextImage = next;
        state.decodeSeconds = decodeBefore + prefetch.waitSeconds;

        // Progress, live partial report, checkpoint: all between batches.
        const now = performance.now();
        const rate = (state.nextImage - startImage) / Math.max(1e-9, (now - t0) / 1000);
        const imagesLeft = files.length - state.nextImage + (passesLeftAfter * files.length) / group.length;
        hooks.onProgress?.({
          phase: 'run',
          passLabel: label,
          done: doneBefore + state.nextImage * group.length,
          total,
          imagesPerSecond: rate,
          etaSeconds: rate > 0 ? imagesLeft / rate : null,
        } satisfies ProgressEvent);
        const nowComplete = categoryEnd.filter((e) => e <= state.nextImage).length;
        if (nowComplete > completedCategories) {
          completedCategories = nowComplete;
          // Live previews come from the first group (it has the trained model): its passes only.
          if (firstGroup && hooks.onPartial && nowComplete >= 2 && partials.due(now) && state.nextImage < files.length) {
            await partials.emit(hooks, () => buildReport(state, { partial: true, runDir, passCount: group.length }));
          }
        }
        if (request.checkpoint !== false && (now - lastCheckpoint) / 1000 >= checkpointEvery) {
          state.save(path.join(runDir, 'state'));
          lastCheckpoint = performance.now();
          // An explicit interval is kept as given; the default stretches when saving is slow.
          if (request.checkpointSeconds === undefined) checkpointEvery = Math.max(CHECKPOINT_SECONDS, (CHECKPOINT_COST_FACTOR * (lastCheckpoint - now)) / 1000);
        }
      }
    } finally {
      await prefetch.drain();
    }
  } finally {
    for (const ses of sessions) await ses.dispose();
    preparer.released(sessions.length);
  }
}

function accumulate(state: RunState, pass: number, taps: Float32Array[], cats: number[]): void {
  state.taps.forEach((t, ti) => {
    const u = t.units;
    const sums = state.sums[pass][ti];
    const active = state.active?.[pass][ti];
    const rows = taps[ti];
    for (let r = 0; r < cats.length; r++) {
      const o = cats[r] * u;
      const src = r * u;
      let on = 0;
      for (let k = 0; k < u; k++) {
        const v = rows[src + k];
        sums[o + k] += v;
        if (v > 0) on++;
      }
      // Units > 0 in this image (the `active` index): a whole-number count, exact across resume/merge.
      if (active) active[cats[r]] += on;
    }
  });
}

/** Top-1 / top-5 hits per category from the trained model's logits. */
function scoreLogits(state: RunState, logits: Float32Array, classes: number, cats: number[]): void {
  for (let r = 0; r < cats.length; r++) {
    const c = state.categories[cats[r]];
    const target = c.label!.index;
    const v = logits[r * classes + target];
    let higher = 0;
    for (let k = 0; k < classes; k++) {
      const w = logits[r * classes + k];
      // Ties count against: a class ranks above the target if larger, or equal with a lower index.
      if (w > v || (w === v && k < target)) higher++;
    }
    if (higher === 0) c.top1++;
    if (higher < 5) c.top5++;
  }
}

/** `<dataset>-<model>-<time>` (core/runName.ts): a list of run folders says what each run is. */
function runFolderName(datasetPath: string, modelPath: string, modelSource?: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${runFolderBase(datasetPath, modelPath, modelSource)}-${stamp}`;
}

/**
 * Runs the analysis. A new run folder is made under request.outputRoot (or the run in
 * request.resumeRunDir continues from its checkpoint). On cancel the new folder is removed.
 */
export async function analyze(request: AnalyzeRequest, hooks: AnalyzeHooks = {}): Promise<AnalyzeResult> {
  const wallStart = performance.now();
  hooks.onProgress?.({ phase: 'scan', done: 0, total: 0, imagesPerSecond: 0, etaSeconds: null, message: 'Scanning dataset' });
  let state: RunState | undefined;
  let runDir = '';
  // One writer per run folder (core/runLock.ts): released in the finally below, or here when the run stops before it.
  let lock: RunLock | undefined;
  let engine: Engine;
  try {
    if (request.resumeRunDir) {
      runDir = path.resolve(request.resumeRunDir);
      // Before anything is read: another writer may be about to finish (report) or checkpoint. No state/: RunState.load says what is wrong.
      if (fs.existsSync(path.join(runDir, 'state'))) lock = acquireRunLock(runDir);
      if (fs.existsSync(path.join(runDir, REPORT_FILE))) {
        throw new UserError(`Run ${runDir} is already complete (it has a report). Start a new run instead of resuming.`, 'E_RESUME');
      }
      state = RunState.load(path.join(runDir, 'state'));
      if ((await modelSha256(state.meta.modelPath)) !== state.meta.modelSha256) {
        throw new UserError(`Model ${state.meta.modelPath} changed since the run started (sha256 differs); resuming would mix two models. Start a new run.`, 'E_RESUME');
      }
      await checkDatasetUnchanged(state, runDir, request.restartChanged === true, hooks);
      hooks.onLog?.(`Resuming ${runDir} at image ${state.nextImage} of ${state.totalImages}`);
    }
    engine = await openEngine(state ? state.meta.modelPath : request.modelPath);
  } catch (e) {
    lock?.release();
    // The lock is the resume's first write: a read-only or full run folder is named with its fix, as later writes are.
    throw (runDir && outputFolderError(e, runDir, { resumable: true })) || e;
  }
  const trained: SessionHandOver = {};
  let createdDir: string | undefined;
  let createdRoot: string | undefined;
  try {
    if (!state) {
      const extras: { listing?: DatasetListing } = {};
      state = await prepare(request, engine, hooks, trained, extras);
      if (!fs.existsSync(path.resolve(request.outputRoot))) createdRoot = path.resolve(request.outputRoot);
      runDir = createUniqueDir(path.resolve(request.outputRoot), runFolderName(request.datasetPath, request.modelPath, request.modelSource));
      createdDir = runDir;
      if (request.checkpoint !== false) {
        // A folder without a checkpoint cannot be resumed, so only a checkpointed run needs the lock.
        lock = acquireRunLock(runDir);
        if (extras.listing) writeListing(path.join(runDir, 'state'), extras.listing);
        state.save(path.join(runDir, 'state'));
      }
    }
    const st = state;
    st.sessionStart = wallStart;
    hooks.onLog?.(
      `Model ${st.meta.modelPath} (${st.meta.modelFormat}, sha256 ${st.meta.modelSha256.slice(0, 12)}…) on ${st.meta.backend}; ` +
        `${st.categories.length} categories, ${st.totalImages} images, ${st.passes.length} pass(es): ${st.passes.map((p) => p.label).join(', ')}; ` +
        `layers ${st.taps.map((t) => `${t.name}(${t.units})`).join(', ')}`,
    );
    hooks.onLog?.(`Settings: ${JSON.stringify({ ...st.meta.settings, preprocessing: undefined })}`);
    const runStart = performance.now();
    await runPasses(st, engine, runDir, request, hooks, trained);
    st.elapsedBefore += (performance.now() - runStart) / 1000;
    if (request.checkpoint !== false) st.save(path.join(runDir, 'state'));
    checkAborted(hooks.signal);
    const report = await buildReport(st, { partial: false, runDir: runDir, hooks });
    checkAborted(hooks.signal);
    hooks.onProgress?.({ phase: 'write', done: 1, total: 1, imagesPerSecond: 0, etaSeconds: 0, message: 'Writing report' });
    report.timings.seconds = Math.max(report.timings.seconds, (performance.now() - wallStart) / 1000);
    const reportPath = await writeReport(report, st, runDir, { html: request.html });
    hooks.onLog?.(`Report written to ${reportPath} (${report.timings.imagesPerSecond.toFixed(1)} images/s, ${report.skipped.length} skipped)`);
    return { report, runDir: runDir, reportPath };
  } catch (e) {
    // A cancelled new run leaves nothing behind; a failed run keeps its checkpoint for --resume.
    if (e instanceof CancelledError && createdDir) {
      fs.rmSync(createdDir, { recursive: true, force: true });
      // The output folder too, if this run made it and nothing else is in it.
      if (createdRoot) {
        try {
          fs.rmdirSync(createdRoot); // fails, as it should, when not empty
        } catch {
          /* keep it */
        }
      }
    } else if (!(e instanceof CancelledError) && runDir && fs.existsSync(path.join(runDir, 'state', 'state.json'))) {
      hooks.onLog?.(`Run stopped by an error; its checkpoint is in ${runDir} (resume with --resume).`);
    }
    // A full, read-only or forbidden output folder is the user's to fix: say which and how (issue 14).
    throw outputFolderError(e, runDir || path.resolve(request.outputRoot), { resumable: Boolean(runDir && fs.existsSync(path.join(runDir, 'state', 'state.json'))) }) ?? e;
  } finally {
    // On success, failure (the checkpoint stays for --resume) and cancel alike; a removed folder took its lock with it.
    lock?.release();
    await trained.session?.dispose(); // not taken when the run stopped before its first pass
    await engine.dispose();
  }
}
