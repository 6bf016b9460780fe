/**
 * Host side of the analysis worker: forks dist/analysisWorker.js (one process per job),
 * forwards its messages and cancels it. No `vscode` import: unit-tested with a scripted core.
 *
 * Cancel: `cancel()` sends {type:'cancel'}; the worker aborts the AbortSignal given to
 * analyze(), which rejects within one batch and removes its run folder; the worker reports
 * `cancelled` and exits. If it has not exited after `killAfterMs` (a stuck native call),
 * the process is killed (SIGKILL) and the job still settles as cancelled.
 */
import { fork, type ChildProcess, type ForkOptions } from 'child_process';
import type { AnalyzeRequest, AnalyzeResult, ProgressEvent } from '../core/analyzeTypes';
import type { ModelLayers } from '../core/modelInfo';
import type { SparsityReport } from '../core/report/schema';
import { isWorkerMessage, type HostToWorker, type ModelResolveSpec, type SerializedError, type WorkerToHost } from './workerProtocol';

export interface WorkerSpawnOptions {
  /** Path of the worker script (dist/analysisWorker.js, or a test script). */
  script: string;
  /** Extra node flags for the child (tests: `--import tsx`). Default none (not the host's --inspect). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Lines the child writes to stdout/stderr (native libraries, crashes). */
  onOutput?(line: string): void;
  /** Kill the process this long after cancel() if it has not exited (default 15 s). */
  killAfterMs?: number;
}

export interface AnalyzeHandlers {
  onProgress?(event: ProgressEvent): void;
  onPartial?(report: SparsityReport): void;
  onLog?(line: string): void;
}

/** The worker reported an error (UserError from the core keeps its code and message). */
export class WorkerError extends Error {
  readonly code?: string;
  readonly workerStack?: string;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name === 'UserError' ? 'UserError' : 'WorkerError';
    this.code = e.code;
    this.workerStack = e.stack;
  }
  get isUserError(): boolean {
    return this.name === 'UserError';
  }
}

export class WorkerCancelledError extends Error {
  constructor(readonly killed = false) {
    super(killed ? 'Cancelled (worker killed)' : 'Cancelled');
    this.name = 'CancelledError';
  }
}

let jobCounter = 0;

/** One forked worker process running one job. */
export class WorkerJob<T> {
  readonly jobId = `job-${process.pid}-${Date.now().toString(36)}-${++jobCounter}`;
  readonly done: Promise<T>;
  private child: ChildProcess;
  private settled = false;
  private cancelRequested = false;
  private killTimer: NodeJS.Timeout | null = null;
  private resolveFn!: (v: T) => void;
  private rejectFn!: (e: Error) => void;

  constructor(
    private readonly options: WorkerSpawnOptions,
    start: HostToWorker,
    private readonly onMessage: (m: WorkerToHost, job: WorkerJob<T>) => void,
  ) {
    (start as { jobId: string }).jobId = this.jobId;
    this.done = new Promise<T>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
    const forkOptions: ForkOptions = {
      execArgv: options.execArgv ?? [],
      // Inside VS Code process.execPath is Electron; this makes it behave as Node (fork sets it
      // too for Electron, but be explicit). stdio is piped so native-library output reaches the log.
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    };
    this.child = fork(options.script, [], forkOptions);
    const lines = (chunk: Buffer): void => {
      for (const l of chunk.toString('utf8').split(/\r?\n/)) if (l.trim()) options.onOutput?.(l);
    };
    this.child.stdout?.on('data', lines);
    this.child.stderr?.on('data', lines);
    this.child.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if ('jobId' in m && m.jobId !== this.jobId) return;
      this.onMessage(m, this);
    });
    this.child.on('error', (e) => this.reject(e));
    this.child.on('exit', (code, signal) => {
      if (this.killTimer) clearTimeout(this.killTimer);
      if (this.settled) return;
      if (this.cancelRequested) this.reject(new WorkerCancelledError(signal === 'SIGKILL'));
      else this.reject(new Error(`The analysis process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}).`));
    });
    this.child.send(start);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get cancelling(): boolean {
    return this.cancelRequested;
  }

  resolve(v: T): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn(v);
  }

  reject(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(e);
  }

  /** Asks the worker to stop within one batch; kills it if it does not exit in time. */
  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    try {
      if (this.child.connected) this.child.send({ type: 'cancel', jobId: this.jobId } satisfies HostToWorker);
    } catch {
      /* channel closed: the exit handler settles */
    }
    this.killTimer = setTimeout(() => this.kill(), this.options.killAfterMs ?? 15_000);
    this.killTimer.unref?.();
  }

  /** Ends the process now (window closing). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** `model`: a model reference the worker resolves first (export / download shown as `load` progress). */
export function startAnalyze(options: WorkerSpawnOptions, request: AnalyzeRequest, handlers: AnalyzeHandlers, model?: ModelResolveSpec): WorkerJob<AnalyzeResult> {
  return new WorkerJob<AnalyzeResult>(options, { type: 'analyze', jobId: '', request, ...(model ? { model } : {}) }, (m, job) => {
    switch (m.type) {
      case 'progress':
        if (!job.cancelling) handlers.onProgress?.(m.event);
        break;
      case 'partial':
        if (!job.cancelling) handlers.onPartial?.(m.report);
        break;
      case 'log':
        handlers.onLog?.(m.line);
        break;
      case 'done':
        // Finished (report written) even if a cancel was on its way.
        job.resolve(m.result);
        break;
      case 'cancelled':
        job.reject(new WorkerCancelledError());
        break;
      case 'error':
        job.reject(new WorkerError(m.error));
        break;
      default:
        break;
    }
  });
}

export function startListLayers(options: WorkerSpawnOptions, modelPath: string): WorkerJob<ModelLayers> {
  return new WorkerJob<ModelLayers>(options, { type: 'layers', jobId: '', modelPath }, (m, job) => {
    if (m.type === 'layers') job.resolve(m.result);
    else if (m.type === 'error') job.reject(new WorkerError(m.error));
    else if (m.type === 'cancelled') job.reject(new WorkerCancelledError());
  });
}
