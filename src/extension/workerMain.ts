/**
 * The body of the analysis worker process, independent of how the core is loaded so that
 * tests can drive it with a scripted core. `runWorker` serves jobs from the parent over IPC:
 * `analyze` (progress, partial reports and log lines streamed back, throttled), `layers`,
 * and `cancel` (aborts the AbortSignal handed to analyze(); the core stops within one batch
 * and leaves no report; the worker then reports `cancelled`).
 * If the parent goes away (extension host reload/crash) the process exits at once, leaving the
 * run's checkpoint for Resume.
 */
import type { AnalyzeHooks, AnalyzeRequest, AnalyzeResult, ProgressEvent } from '../core/analyzeTypes';
import { formatBytes } from '../core/models/download';
import type { ResolvedModel, ResolveModelOptions } from '../core/models/resolve';
import type { SparsityReport } from '../core/report/schema';
import type { ModelLayers } from '../core/modelInfo';
import type { ModelRef } from '../core/models/ref';
import { describeModelRef } from './models/refs';
import { formatDownloadProgress } from './models/text';
import { isHostToWorker, serializeError, type HostToWorker, type ModelResolveSpec, type WorkerToHost } from './workerProtocol';

export interface CoreApi {
  analyze(request: AnalyzeRequest, hooks: AnalyzeHooks): Promise<AnalyzeResult>;
  listModelLayers(modelPath: string): Promise<ModelLayers>;
  /** core/models resolveModel: needed for analyze jobs that carry a model reference (already parsed). */
  resolveModel?(ref: ModelRef, opts: ResolveModelOptions): Promise<ResolvedModel>;
}

/** A `load` progress event whose text says what the model resolution is doing. */
export function modelProgressEvent(message: string): ProgressEvent {
  return { phase: 'load', done: 0, total: 0, imagesPerSecond: 0, etaSeconds: null, message: message.length > 140 ? `${message.slice(0, 137)}...` : message };
}

/** The parts of `process` the worker uses (a forked child's IPC channel). */
export interface WorkerChannel {
  send(message: WorkerToHost): void;
  on(event: 'message', listener: (m: unknown) => void): void;
  on(event: 'disconnect', listener: () => void): void;
  exit(code: number): void;
}

export interface WorkerOptions {
  /** Minimum ms between partial reports sent to the host (the latest always follows). */
  partialIntervalMs?: number;
  /** Minimum ms between progress events (phase changes and the last event always go). */
  progressIntervalMs?: number;
  /** Exit the process after a job ends (the extension forks one worker per job). */
  exitAfterJob?: boolean;
}

/** Calls fn at most every `ms`; the last call in a burst runs after the interval (trailing). */
export function throttle<T>(ms: number, fn: (v: T) => void): { push(v: T): void; flush(): void; cancel(): void } {
  let last = 0;
  let pending: { v: T } | null = null;
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    timer = null;
    if (!pending) return;
    const { v } = pending;
    pending = null;
    last = Date.now();
    fn(v);
  };
  return {
    push(v: T) {
      pending = { v };
      const wait = last + ms - Date.now();
      if (wait <= 0) fire();
      else if (!timer) timer = setTimeout(fire, wait);
    },
    flush() {
      if (timer) clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}

function isCancelled(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError'));
}

export function runWorker(core: CoreApi, channel: WorkerChannel, options: WorkerOptions = {}): void {
  const partialMs = options.partialIntervalMs ?? 750;
  const progressMs = options.progressIntervalMs ?? 200;
  const jobs = new Map<string, AbortController>();
  const send = (m: WorkerToHost): void => {
    try {
      channel.send(m);
    } catch {
      /* parent gone: the disconnect handler ends the process */
    }
  };
  const finish = (jobId: string): void => {
    jobs.delete(jobId);
    if (options.exitAfterJob && jobs.size === 0) setImmediate(() => channel.exit(0));
  };

  /**
   * Resolves the job's model reference into the cache (export / download only when not cached),
   * streaming what it does as `load` progress and log lines; cancel aborts it.
   */
  async function resolveJobModel(jobId: string, spec: ModelResolveSpec, signal: AbortSignal, progress: { push(e: ProgressEvent): void; flush(): void }): Promise<ResolvedModel> {
    if (!core.resolveModel) throw new Error('This worker cannot resolve model references (no resolveModel in its core).');
    const what = describeModelRef(spec.ref);
    send({ type: 'log', jobId, line: `Model: ${what}; cache ${spec.cacheDir}` });
    progress.push(modelProgressEvent(`Preparing ${what}…`));
    progress.flush();
    let lastFile = '';
    const r = await core.resolveModel(spec.ref, {
      cacheDir: spec.cacheDir,
      pythonPath: spec.pythonPath,
      maxBytes: spec.maxBytes,
      signal,
      onOutput(line) {
        send({ type: 'log', jobId, line: `[model] ${line}` });
        progress.push(modelProgressEvent(line));
      },
      onProgress(p) {
        progress.push(modelProgressEvent(`Downloading ${p.file}: ${formatDownloadProgress(p)}`));
        if (p.file !== lastFile) {
          // A new file: say so at once (the size), then throttled.
          lastFile = p.file;
          progress.flush();
          send({ type: 'log', jobId, line: `[model] downloading ${p.file}${p.total ? ` (${formatBytes(p.total)})` : ''}` });
        }
      },
    });
    send({
      type: 'log',
      jobId,
      line: `Model ready: ${r.modelPath} (${r.source}; ${r.fetched ? 'fetched now' : 'from the cache'}${r.entry ? `; sha256 ${r.entry.sha256.slice(0, 12)}…` : ''})`,
    });
    return r;
  }

  async function runAnalyze(jobId: string, request: AnalyzeRequest, model?: ModelResolveSpec): Promise<void> {
    const controller = new AbortController();
    jobs.set(jobId, controller);
    const partials = throttle<SparsityReport>(partialMs, (report) => {
      if (!controller.signal.aborted) send({ type: 'partial', jobId, report });
    });
    let lastPhase = '';
    let lastPass = '';
    const progress = throttle<ProgressEvent>(progressMs, (event) => {
      if (!controller.signal.aborted) send({ type: 'progress', jobId, event });
    });
    try {
      if (model) {
        const r = await resolveJobModel(jobId, model, controller.signal, progress);
        request = { ...request, modelPath: r.modelPath, modelSource: r.source === 'file' ? `file:${r.modelPath}` : r.source };
      }
      if (controller.signal.aborted) throw Object.assign(new Error('Cancelled'), { name: 'CancelledError' });
      const result = await core.analyze(request, {
        signal: controller.signal,
        onProgress(event) {
          progress.push(event);
          if (event.phase !== lastPhase || (event.passLabel ?? '') !== lastPass) {
            lastPhase = event.phase;
            lastPass = event.passLabel ?? '';
            progress.flush();
          }
        },
        onPartial(report) {
          partials.push(report);
        },
        onLog(line) {
          send({ type: 'log', jobId, line });
        },
      });
      partials.cancel();
      progress.flush();
      // analyze() resolved: the report is written, even if a cancel arrived in the meantime.
      send({ type: 'done', jobId, result });
    } catch (e) {
      partials.cancel();
      progress.cancel();
      if (isCancelled(e, controller.signal)) send({ type: 'cancelled', jobId });
      else send({ type: 'error', jobId, error: serializeError(e) });
    } finally {
      finish(jobId);
    }
  }

  async function runLayers(jobId: string, modelPath: string): Promise<void> {
    jobs.set(jobId, new AbortController());
    try {
      const result = await core.listModelLayers(modelPath);
      send({ type: 'layers', jobId, result });
    } catch (e) {
      send({ type: 'error', jobId, error: serializeError(e) });
    } finally {
      finish(jobId);
    }
  }

  channel.on('message', (raw: unknown) => {
    if (!isHostToWorker(raw)) return;
    const m: HostToWorker = raw;
    if (m.type === 'cancel') {
      jobs.get(m.jobId)?.abort();
      return;
    }
    if (jobs.has(m.jobId)) return;
    if (m.type === 'analyze') void runAnalyze(m.jobId, m.request, m.model);
    else void runLayers(m.jobId, m.modelPath);
  });
  channel.on('disconnect', () => {
    // The parent went away (window reload, extension host crash): stop at once, NOT through the
    // abort signal — a cancelled new run removes its run folder, and this run's checkpoint
    // (<run>/state/, atomic) must stay so that Resume can continue it (issue 15).
    channel.exit(0);
  });
  send({ type: 'ready', pid: process.pid });
}
