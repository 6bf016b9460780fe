/**
 * Interrupted runs and "Run again" (issue 15), the decisions without `vscode` (unit-tested in
 * test/extension/resume.test.ts; the commands, notification and buttons are resumeCommands.ts).
 *
 * An interrupted run is a run folder under an output root with a checkpoint (`state/state.json`,
 * core/runState.ts) and no finished report (REPORT_FILE): the window reloaded, the extension host
 * or the machine crashed, or the run failed. The core resumes it (`analyze({ resumeRunDir })`,
 * which refuses a changed model or dataset: core/analyze.ts, core/resumeCheck.ts). A run whose
 * writer lock (core/runLock.ts) is held by a live process, here or on another host, is not
 * interrupted: it is still running elsewhere (another window, a terminal, a cluster task), and
 * resuming it would make a second writer; it is listed as in progress, for the messages. One
 * pass over the output roots (scanRunFolders) reads each run folder once and sorts it into one
 * list or the other (readRunFolder); readRunFolder alone looks at one folder only.
 *
 * "Run again" re-runs a report's dataset with the report's own settings (report.settings, as the
 * run resolved them, preprocessing included), not the workspace's current ones.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AnalyzeRequest } from '../core/analyzeTypes';
import { formatPercent, modelName } from '../core/report/format';
import { describeRunLockHolder, isOrphanedWorker, isRunLockedByLiveWriter, type RunLockStatus } from '../core/runLock';
import { REPORT_FILE, type AnalysisSettings, type SparsityReport } from '../core/report/schema';

export interface InterruptedRun {
  runDir: string;
  datasetPath: string;
  modelPath: string;
  modelSource?: string;
  /** When the run started (state meta.startedAt, ISO). */
  startedAt: string;
  /** When its checkpoint was last written (state.json mtime, ms since epoch). */
  checkpointAt: number;
  /** Image-passes done at the checkpoint / total over all passes. */
  done: number;
  total: number;
}

interface StateJsonLike {
  meta?: { datasetPath?: unknown; modelPath?: unknown; modelSource?: unknown; startedAt?: unknown; passGroupSize?: unknown };
  categories?: { files?: unknown }[];
  passes?: unknown[];
  passGroup?: unknown;
  nextImage?: unknown;
}

/** A run folder with a checkpoint and no report that a live writer holds (core/runLock.ts). */
export interface RunInProgress extends InterruptedRun {
  lock: RunLockStatus;
}

/**
 * What one run folder is for Resume, from one read of its checkpoint and its writer lock:
 * interrupted (resumable), in progress elsewhere (a live writer holds it), or neither (undefined:
 * finished, no readable checkpoint, not a run folder).
 */
export type RunFolderState = { kind: 'interrupted'; run: InterruptedRun } | { kind: 'in-progress'; run: RunInProgress } | undefined;

/**
 * Reads `runDir` once and sorts it. A stale lock of a dead process does not make it in progress
 * (resuming takes it over), nor does the analysis worker of a window that reloaded, which is
 * stopping (Resume waits for it): both are interrupted.
 */
export function readRunFolder(runDir: string): RunFolderState {
  const run = readCheckpointedRun(runDir);
  if (!run) return undefined;
  const lock = isRunLockedByLiveWriter(runDir);
  return !lock || isOrphanedWorker(lock) ? { kind: 'interrupted', run } : { kind: 'in-progress', run: { ...run, lock } };
}

/** The run in `runDir` when it has a readable checkpoint and no report, whoever may be writing it. */
function readCheckpointedRun(runDir: string): InterruptedRun | undefined {
  const stateFile = path.join(runDir, 'state', 'state.json');
  if (fs.existsSync(path.join(runDir, REPORT_FILE)) || !fs.existsSync(stateFile)) return undefined;
  let j: StateJsonLike;
  let mtime: number;
  try {
    j = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as StateJsonLike;
    mtime = fs.statSync(stateFile).mtimeMs;
  } catch {
    return undefined; // not a checkpoint this release can read: the core would refuse it too
  }
  const m = j.meta;
  if (!m || typeof m.datasetPath !== 'string' || typeof m.modelPath !== 'string' || !Array.isArray(j.categories) || !Array.isArray(j.passes)) return undefined;
  const perPass = j.categories.reduce((s, c) => s + (Array.isArray(c.files) ? c.files.length : 0), 0);
  const passes = j.passes.length;
  const groupSize = typeof m.passGroupSize === 'number' && m.passGroupSize > 0 ? m.passGroupSize : passes;
  const group = typeof j.passGroup === 'number' ? j.passGroup : 0;
  const next = typeof j.nextImage === 'number' ? j.nextImage : 0;
  // Groups before `group` are complete; the current one has run `next` images through its passes.
  const passesDone = Math.min(passes, group * groupSize);
  const inGroup = Math.min(groupSize, passes - passesDone);
  return {
    runDir,
    datasetPath: m.datasetPath,
    modelPath: m.modelPath,
    modelSource: typeof m.modelSource === 'string' ? m.modelSource : undefined,
    startedAt: typeof m.startedAt === 'string' ? m.startedAt : '',
    checkpointAt: mtime,
    done: passesDone * perPass + inGroup * next,
    total: passes * perPass,
  };
}

/** The direct sub-folders of the output roots, each once (a root that does not exist has none). */
function runFolders(roots: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const root of roots) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(root, { withFileTypes: true });
    } catch {
      continue; // no output folder yet: no runs
    }
    for (const e of entries) if (e.isDirectory()) seen.add(path.join(root, e.name));
  }
  return [...seen];
}

/** The run folders of the output roots for Resume: the two lists the Resume Analysis… command shows. */
export interface RunFolderScan {
  /** Resumable, newest checkpoint first. */
  interrupted: InterruptedRun[];
  /** Held by a live writer (another window, process or host), in the roots' order, each root's folders as listed. */
  inProgress: RunInProgress[];
}

/**
 * One pass over the output roots (each root's direct sub-folders): each run folder's checkpoint
 * and lock are read once (`readFolder`, readRunFolder; a parameter so a test can count the reads)
 * and the folder goes into one of the two lists, or neither.
 */
export function scanRunFolders(roots: readonly string[], readFolder: (runDir: string) => RunFolderState = readRunFolder): RunFolderScan {
  const interrupted: InterruptedRun[] = [];
  const inProgress: RunInProgress[] = [];
  for (const dir of runFolders(roots)) {
    const folder = readFolder(dir);
    if (folder?.kind === 'interrupted') interrupted.push(folder.run);
    else if (folder?.kind === 'in-progress') inProgress.push(folder.run);
  }
  interrupted.sort((a, b) => b.checkpointAt - a.checkpointAt);
  return { interrupted, inProgress };
}

/** A run going elsewhere as the Resume Analysis… list shows it (below the resumable ones, not resumable). */
export function describeRunInProgressItem(run: RunInProgress): { label: string; description: string; detail: string } {
  const d = describeInterruptedRun(run);
  return { label: d.label, description: `running in another window or process: ${describeRunLockHolder(run.lock)}`, detail: `${d.description} at its last checkpoint; ${run.runDir}` };
}

/** Why a run folder is not offered for Resume while its writer lives (one sentence, no Resume in it). */
export function describeRunInProgress(run: RunInProgress): string {
  return `${run.runDir} is running in another window or process (${describeRunLockHolder(run.lock)}); wait for it to finish, or stop it there.`;
}

/** "3 of 12 categories" is not known from a checkpoint; this says how far the passes got. */
export function describeInterruptedProgress(run: InterruptedRun): string {
  if (run.total <= 0) return 'no images counted';
  return `${formatPercent(run.done / run.total)} done (${run.done} of ${run.total} image-passes)`;
}

/** One line per run for the Quick Pick and the notification: dataset, model, progress, date. */
export function describeInterruptedRun(run: InterruptedRun): { label: string; description: string; detail: string } {
  // A model file's source is just "file"/"file:<path>": its name says more (as in the panel's header).
  const model = run.modelSource && !/^file(:|$)/.test(run.modelSource) ? run.modelSource : modelName(run.modelPath);
  const started = run.startedAt ? new Date(run.startedAt) : undefined;
  const when = started && !Number.isNaN(started.getTime()) ? started.toLocaleString() : 'start time not recorded';
  return {
    label: path.basename(run.datasetPath),
    description: `${model} · ${describeInterruptedProgress(run)}`,
    detail: `started ${when}; last checkpoint ${new Date(run.checkpointAt).toLocaleString()}; ${run.runDir}`,
  };
}

/**
 * Settings older reports lack (optional in AnalysisSettings, "absent in older reports"): a rerun
 * takes today's default for them, and says so. decoderLayer, labelFile are optional by meaning.
 */
export function settingsNotRecorded(s: AnalysisSettings): string[] {
  const out: string[] = [];
  if (s.taps === undefined) out.push('taps');
  if (s.tokens === undefined) out.push('tokens');
  if (s.decoding === undefined) out.push('decoding');
  if (s.controls.keepNorms === undefined) out.push('controls.keepNorms');
  if (!Array.isArray(s.indices)) out.push('indices');
  return out;
}

export interface RunAgainPlan {
  request: AnalyzeRequest;
  /** Settings the report does not record (so the rerun takes today's default for them). */
  notRecorded: string[];
}

/**
 * The request that repeats a report's run: the same images and model file, and the settings the
 * report records (the resolved values, preprocessing and controls included; a shard's split is
 * dropped, the rerun covers the whole folder); the run folder goes beside the report's.
 */
export function runAgainPlan(report: SparsityReport, reportPath: string | undefined, fallbackOutputRoot: string): RunAgainPlan {
  const { preprocessing, shard: _shard, ...rest } = report.settings;
  const settings = JSON.parse(JSON.stringify(rest)) as NonNullable<AnalyzeRequest['settings']>;
  const notRecorded = settingsNotRecorded(report.settings);
  // The report's run folder is <outputRoot>/<run>/report.sparsity.json: the rerun writes beside it.
  const outputRoot = reportPath ? path.dirname(path.dirname(reportPath)) : fallbackOutputRoot;
  const request: AnalyzeRequest = {
    datasetPath: report.dataset.path,
    modelPath: report.model.path,
    outputRoot,
    settings,
    preprocessing: { ...preprocessing },
  };
  if (report.model.source) request.modelSource = report.model.source;
  return { request, notRecorded };
}

/** Why a rerun cannot be exactly the same: a missing dataset or model, a model file that changed. */
export function runAgainProblems(report: SparsityReport, currentModelSha256: string | undefined): { blocking: string[]; warnings: string[] } {
  const blocking: string[] = [];
  const warnings: string[] = [];
  if (!fs.existsSync(report.dataset.path) || !fs.statSync(report.dataset.path).isDirectory()) blocking.push(`The dataset folder ${report.dataset.path} no longer exists.`);
  if (!fs.existsSync(report.model.path)) blocking.push(`The model file ${report.model.path} no longer exists.`);
  else if (currentModelSha256 !== undefined && currentModelSha256 !== report.model.sha256) {
    warnings.push(`The model file ${report.model.path} changed since this report (sha256 ${currentModelSha256.slice(0, 12)}… now, ${report.model.sha256.slice(0, 12)}… in the report), so the rerun would analyse a different model.`);
  }
  return { blocking, warnings };
}
