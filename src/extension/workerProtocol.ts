/**
 * Messages between the extension host and the analysis worker process
 * (src/extension/analysisWorker.ts, forked with child_process.fork, JSON over the IPC channel).
 * Not the webview protocol (that is src/shared/protocol.ts).
 */
import type { AnalyzeRequest, AnalyzeResult, ProgressEvent } from '../core/analyzeTypes';
import type { SparsityReport } from '../core/report/schema';
import type { ModelLayers } from '../core/modelInfo';
import { isModelRef, type ModelRef } from '../core/models/ref';

/**
 * A model reference the worker resolves (core/models resolveModel: reuse the cache, or export
 * from PyTorch / download into it) before analysing; the result becomes request.modelPath and
 * request.modelSource. Export and download show as `load` progress and stop on cancel.
 */
export interface ModelResolveSpec {
  /** The reference as parsed where its text came in (`torchvision:alexnet[:random]`, `catalog:<id>`, an https URL, `cache:<id>`). */
  ref: ModelRef;
  /** The model cache (the extension's globalStorage/models). */
  cacheDir: string;
  /** sparsityLens.pythonPath, resolved (undefined: python3, then python). */
  pythonPath?: string;
  /** Download limit in bytes (sparsityLens.maxDownloadMB). */
  maxBytes?: number;
}

export function isModelResolveSpec(m: unknown): m is ModelResolveSpec {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    isModelRef(o.ref) &&
    typeof o.cacheDir === 'string' &&
    o.cacheDir.length > 0 &&
    (o.pythonPath === undefined || typeof o.pythonPath === 'string') &&
    (o.maxBytes === undefined || (typeof o.maxBytes === 'number' && o.maxBytes > 0))
  );
}

export type HostToWorker =
  | { type: 'analyze'; jobId: string; request: AnalyzeRequest; model?: ModelResolveSpec }
  | { type: 'layers'; jobId: string; modelPath: string }
  /** Abort the running job: analyze() rejects within one batch and leaves no report. */
  | { type: 'cancel'; jobId: string };

export interface SerializedError {
  name: string;
  message: string;
  /** UserError code (E_...), when the core threw a UserError. */
  code?: string;
  stack?: string;
}

export type WorkerToHost =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; jobId: string; event: ProgressEvent }
  | { type: 'partial'; jobId: string; report: SparsityReport }
  | { type: 'log'; jobId: string; line: string }
  | { type: 'done'; jobId: string; result: AnalyzeResult }
  | { type: 'layers'; jobId: string; result: ModelLayers }
  | { type: 'cancelled'; jobId: string }
  | { type: 'error'; jobId: string; error: SerializedError };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const out: SerializedError = { name: e.name, message: e.message, stack: e.stack };
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  return { name: 'Error', message: String(e) };
}

export function isWorkerMessage(m: unknown): m is WorkerToHost {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isHostToWorker(m: unknown): m is HostToWorker {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (typeof o.jobId !== 'string') return false;
  if (o.type === 'analyze') return typeof o.request === 'object' && o.request !== null && (o.model === undefined || isModelResolveSpec(o.model));
  if (o.type === 'layers') return typeof o.modelPath === 'string';
  return o.type === 'cancel';
}
