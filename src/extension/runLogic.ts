/**
 * Pure decisions of the extension host's run UI (no `vscode` import, unit-tested in
 * test/extension/runLogic.test.ts): which settings scope holds a value, the ETA shown while a
 * run is going, and the title of a run's panel.
 */
import type { ProgressEvent } from '../core/analyzeTypes';

// ---------------------------------------------------------------- settings scope

/** Where a setting's effective value comes from (the scope "Open Settings" should show). */
export type SettingScope = 'folder' | 'workspace' | 'user';

/** The parts of VS Code's `inspect()` result that say who set a value. */
export interface InspectedValue {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The scope whose value is in effect: folder over workspace over user (VS Code's precedence).
 * In a single-folder window the folder's settings are the workspace settings (.vscode/settings.json),
 * so "folder" is only told apart in a multi-root workspace. Nothing set anywhere: user.
 */
export function effectiveScope(i: InspectedValue | undefined, multiRoot: boolean): SettingScope {
  if (!i) return 'user';
  if (i.workspaceFolderValue !== undefined) return multiRoot ? 'folder' : 'workspace';
  if (i.workspaceValue !== undefined) return 'workspace';
  return 'user';
}

// ---------------------------------------------------------------- ETA

/** Below this many seconds of image passes, or this fraction of them, a rate says little: the ETA is unknown. */
export const ETA_MIN_SECONDS = 3;
export const ETA_MIN_FRACTION = 0.03;

/**
 * The time left of a run from the wall clock since its first image batch, not only from the
 * core's current rate: the core's rate covers the pass group in flight, so it misses the
 * preparation of later control models and gives "ETA 0 s" at 36 % on a fast model. Unknown
 * (null) early on; never less than the core's own estimate; once in the statistics phase the
 * core's (unknown) wins.
 */
export class EtaEstimator {
  private first: { t: number; done: number } | undefined;

  /** `now` in milliseconds (Date.now()); returns the event with the ETA to show. */
  update(e: ProgressEvent, now: number): ProgressEvent {
    if (e.phase !== 'run' || !(e.total > 0)) return e;
    if (!this.first) {
      this.first = { t: now, done: e.done };
      return { ...e, etaSeconds: null };
    }
    const seconds = (now - this.first.t) / 1000;
    const done = e.done - this.first.done;
    const left = e.total - e.done;
    if (left <= 0) return { ...e, etaSeconds: 0 };
    if (seconds < ETA_MIN_SECONDS || done <= 0 || done / e.total < ETA_MIN_FRACTION) return { ...e, etaSeconds: null };
    const wall = (seconds / done) * left;
    const core = e.etaSeconds !== null && Number.isFinite(e.etaSeconds) ? e.etaSeconds : 0;
    // Under a second left is shown as 1 s: "ETA 0 s" reads as finished while work remains.
    return { ...e, etaSeconds: Math.max(1, wall, core) };
  }
}

// ---------------------------------------------------------------- panel titles

export type PanelState = 'running' | 'done' | 'failed' | 'cancelled';

/**
 * The title of a run's panel: the folder and its state; `runNumber` (> 1) when another panel of
 * the same folder is open, so two tabs never read alike.
 */
export function runPanelTitle(folderName: string, state: PanelState, runNumber?: number): string {
  const what = state === 'done' ? 'Sparsity' : `Sparsity (${state})`;
  return `${what}: ${folderName}${runNumber && runNumber > 1 ? ` #${runNumber}` : ''}`;
}

// ---------------------------------------------------------------- a failed run's buttons

export const RECOMPUTE_CHANGED = 'Recompute Changed Categories';

/**
 * The buttons of a run that stopped on a UserError (its code from the core). A resume refused
 * because images changed (E_RESUME_IMAGES_CHANGED; core/resumeCheck.ts) can go on with the
 * changed categories recomputed on the images as they are now (the CLI's --restart-changed); an
 * output folder or a setting that is wrong is fixed in the settings; anything else is in the Output.
 */
export function userErrorActions(code: string | undefined, resumedRun: boolean): string[] {
  if (code === 'E_RESUME_IMAGES_CHANGED' && resumedRun) return [RECOMPUTE_CHANGED, 'Show Output'];
  if (code === 'E_SETTINGS' || code?.startsWith('E_OUTPUT_')) return ['Open Settings'];
  return ['Show Output'];
}
