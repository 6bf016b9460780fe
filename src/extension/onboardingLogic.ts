/**
 * The pure decisions of "Try the Demo" (src/extension/onboarding.ts): which demo stimuli are
 * generated, and into which workspace sub-folder. No `vscode` (unit-tested in
 * test/extension/onboarding.test.ts).
 *
 * The rule: never write into a folder we did not make. A folder is ours when it holds our marker
 * file (DEMO_MARKER, written before the first image) with the same generator parameters; then it is
 * reused (missing images are generated again, deterministically). Anything else at the name (a
 * folder of the user's, a file, our marker with other parameters) makes us take the next free
 * name: sparsity-demo-stimuli-2, -3, …
 */
import * as fs from 'fs';
import * as path from 'path';
import { expectedStimulusFiles, STIMULUS_CATEGORIES, type StimulusOptions } from '../core/demoStimuli';

export const DEMO_FOLDER_BASE = 'sparsity-demo-stimuli';
/** At the root of the stimulus folder; scanDataset ignores files there (categories are sub-folders). */
export const DEMO_MARKER = '.sparsity-demo.json';
const GENERATOR_ID = 'sparsity-lens-demo-stimuli';
const MAX_CANDIDATES = 100;

/** The demo's stimuli: 10 categories x 20 images of 64 x 64 px, one seed (the same images every time). */
export const DEMO_STIMULI = { perCategory: 20, size: 64, seed: 2020 } as const satisfies StimulusOptions;

export interface DemoMarker {
  generator: typeof GENERATOR_ID;
  categories: string[];
  perCategory: number;
  size: number;
  seed: number;
  note: string;
}

export function demoMarker(): DemoMarker {
  return {
    generator: GENERATOR_ID,
    categories: [...STIMULUS_CATEGORIES],
    ...DEMO_STIMULI,
    note: 'Written by Sparsity Lens "Try the Demo": procedurally drawn images, one sub-folder per category. Safe to delete.',
  };
}

/** Is `text` (a marker file's content) our marker for the current demo parameters? */
export function isCurrentMarker(text: string): boolean {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof m !== 'object' || m === null) return false;
  const want = demoMarker();
  const got = m as Record<string, unknown>;
  return (
    got.generator === want.generator &&
    got.perCategory === want.perCategory &&
    got.size === want.size &&
    got.seed === want.seed &&
    JSON.stringify(got.categories) === JSON.stringify(want.categories)
  );
}

/** absent: free; ours-complete: reuse as is; ours-incomplete: ours, images missing; foreign: leave alone. */
export type DemoFolderState = 'absent' | 'ours-complete' | 'ours-incomplete' | 'foreign';

export function inspectDemoFolder(dir: string): DemoFolderState {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return 'foreign';
  }
  if (!st.isDirectory()) return 'foreign';
  let marker: string;
  try {
    marker = fs.readFileSync(path.join(dir, DEMO_MARKER), 'utf8');
  } catch {
    return 'foreign';
  }
  if (!isCurrentMarker(marker)) return 'foreign';
  const complete = expectedStimulusFiles({ perCategory: DEMO_STIMULI.perCategory }).every((f) => {
    try {
      return fs.statSync(path.join(dir, f)).size > 0;
    } catch {
      return false;
    }
  });
  return complete ? 'ours-complete' : 'ours-incomplete';
}

/**
 * The demo folder under `parent`: the first of sparsity-demo-stimuli, -2, -3, … that is absent or
 * ours. `inspect` is injectable for tests. Throws when the first MAX_CANDIDATES names are all taken.
 */
export function chooseDemoFolder(parent: string, inspect: (dir: string) => DemoFolderState = inspectDemoFolder): { dir: string; state: Exclude<DemoFolderState, 'foreign'> } {
  for (let k = 1; k <= MAX_CANDIDATES; k++) {
    const dir = path.join(parent, k === 1 ? DEMO_FOLDER_BASE : `${DEMO_FOLDER_BASE}-${k}`);
    const state = inspect(dir);
    if (state !== 'foreign') return { dir, state };
  }
  throw new Error(`${parent} already has ${MAX_CANDIDATES} entries named ${DEMO_FOLDER_BASE}…: remove or rename some of them, then run "Try the Demo" again.`);
}
