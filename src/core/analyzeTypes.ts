/**
 * The contract of one analysis run: what the CLI, the extension's worker process and the
 * tests pass to `analyze()` (src/core/analyze.ts) and what it reports back while running.
 */
import type { AnalysisSettings, SparsityReport } from './report/schema';
import type { Preprocessing } from './types';

/** Everything a run needs. Omitted settings take the preset's defaults (liu2020). */
export interface AnalyzeRequest {
  /** Folder with one sub-folder per category. */
  datasetPath: string;
  /** `.onnx` file or TF.js `model.json`. */
  modelPath: string;
  /** Parent folder for run folders; each run gets a new sub-folder, nothing is overwritten. */
  outputRoot: string;
  settings?: Partial<Omit<AnalysisSettings, 'preprocessing' | 'controls'>> & {
    controls?: Partial<AnalysisSettings['controls']>;
  };
  /** Overrides on top of: model sidecar (<model>.sparsity.json) on top of the preset. */
  preprocessing?: Partial<Preprocessing>;
  /** Where the model came from (catalog id, URL, torchvision export), for the report. */
  modelSource?: string;
  /** Resume from / write checkpoints in this run folder (default: true, checkpoint every ~30 s). */
  checkpoint?: boolean;
  /** Seconds between checkpoints (default 30; 0 = after every batch). */
  checkpointSeconds?: number;
  /** Least seconds between live partial reports (default 2; 0 = whenever one is due: tests). */
  partialSeconds?: number;
  /** Resume the run in this existing run folder (from its checkpoint). */
  resumeRunDir?: string;
  /** On resume, when images changed since the run started: recompute the changed categories instead of refusing (datasetListing.ts). */
  restartChanged?: boolean;
  /** Also write the standalone report.html (needs dist/reportStandalone.js; default true when found). */
  html?: boolean;
}

export type Phase = 'scan' | 'load' | 'run' | 'accuracy' | 'stats' | 'write';

export interface ProgressEvent {
  phase: Phase;
  /** Human-readable pass name: `trained`, `permuted 3/10`, `no-ReLU`. */
  passLabel?: string;
  /** Image-passes done / total over ALL passes (an image run through 12 models counts 12). */
  done: number;
  total: number;
  imagesPerSecond: number;
  /** Seconds left, or null when unknown yet. */
  etaSeconds: number | null;
  message?: string;
}

export interface AnalyzeHooks {
  onProgress?(event: ProgressEvent): void;
  /** A partial report (report.complete === false) each time a category completes in every pass. */
  onPartial?(report: SparsityReport): void;
  /** Log lines for the output channel / stderr (settings used, backend, skipped files, timings). */
  onLog?(line: string): void;
  /** Abort → analyze() rejects with CancelledError within one batch; no report is left behind. */
  signal?: AbortSignal;
}

export interface AnalyzeResult {
  report: SparsityReport;
  /** The new run folder. */
  runDir: string;
  /** `<runDir>/report.sparsity.json`. */
  reportPath: string;
}
