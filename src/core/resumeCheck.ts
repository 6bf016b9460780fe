/**
 * Before `--resume` continues a run: the dataset must be the one the run started on (same
 * categories, same files with the same sizes and mtimes), else the finished report would mix two
 * dataset states. Refuses, naming the changed files, unless the caller asked to restart the
 * changed categories (restartChanged), which then get the images as they are now.
 */
import * as path from 'path';
import type { AnalyzeHooks } from './analyzeTypes';
import { scanDataset } from './dataset';
import { compareListings, describeChanges, hasChanges, listingOf, readListing, restartFrom, writeListing } from './datasetListing';
import type { RunState } from './runState';
import { selectReadable } from './selectImages';
import { UserError } from './types';

export async function checkDatasetUnchanged(state: RunState, runDir: string, restartChanged: boolean, hooks: AnalyzeHooks): Promise<void> {
  const stateDir = path.join(runDir, 'state');
  const before = readListing(stateDir);
  const s = state.meta.settings;
  if (!before) {
    hooks.onLog?.(`Warning: run ${runDir} was started by an older Sparsity Lens without a dataset listing; changes to the images since then cannot be detected.`);
    return;
  }
  let scan;
  try {
    scan = scanDataset(state.meta.datasetPath, { ...s, excludeDirs: [path.dirname(runDir)] });
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`Cannot resume ${runDir}: its dataset ${state.meta.datasetPath} no longer scans (${e.message})`, 'E_RESUME');
    throw e;
  }
  const now = listingOf(scan);
  const changes = compareListings(before, now);
  if (!hasChanges(changes)) return;
  const what = describeChanges(changes);
  if (changes.addedCategories.length || changes.removedCategories.length) {
    throw new UserError(`Cannot resume ${runDir}: the dataset's categories changed since the run started (${what}). Categories cannot be added or removed in a run; start a new run.`, 'E_RESUME_DATASET');
  }
  if (!restartChanged) {
    throw new UserError(
      `Cannot resume ${runDir}: images changed since the run started, so the report would mix old and new images (${what}). ` +
        'Restore them, start a new run, or resume recomputing the changed categories on the images as they are now (the CLI\'s --restart-changed; in VS Code, Recompute Changed Categories).',
      // Its own code: front ends offer the restart (VS Code: Recompute Changed Categories, runLogic.ts).
      'E_RESUME_IMAGES_CHANGED',
    );
  }
  const changed = new Set(changes.changed.map((c) => c.name));
  const first = state.categories.findIndex((c) => changed.has(c.name));
  // The same selection as a new run would make (first N readable), for the categories redone.
  const byName = new Map(scan.categories.map((c) => [c.name, c]));
  const cats = state.categories.map((c) => byName.get(c.name)!);
  let files = cats.map((c) => c.files);
  const redo = cats.slice(first);
  let extraSkipped: { file: string; reason: string }[] = [];
  if (s.imagesPerCategory !== 'all') {
    const sel = await selectReadable(redo, s.imagesPerCategory, s.sampling, s.preprocessing, s.decoding, hooks.signal);
    files = [...files.slice(0, first), ...sel.files];
    extraSkipped = sel.skipped;
  }
  const redone = restartFrom(state, first, files);
  state.skipped.push(...scan.skipped.filter((x) => redone.some((n) => x.file.startsWith(path.join(state.meta.datasetPath, n) + path.sep))), ...extraSkipped);
  state.meta.imagesFound = scan.imagesFound;
  // The restarted state first, then the new listing: killed in between, the next resume sees the
  // change again and restarts again, never old sums under a new listing.
  state.save(stateDir);
  writeListing(stateDir, now);
  hooks.onLog?.(`Dataset changed (${what}); recomputing from category ${state.categories[first].name}: ${redone.join(', ')}.`);
}
