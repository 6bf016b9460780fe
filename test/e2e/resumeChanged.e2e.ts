/**
 * Resume after the images changed, in a real VS Code (commits 394cd84, 32c087b):
 * a run interrupted by a window reload (after a checkpoint with progress) is resumed after one
 * of its categories changed on disk (one image overwritten under its own name, one image added).
 * The resume is refused (core/resumeCheck.ts, E_RESUME_IMAGES_CHANGED) with an error naming the
 * changed files and a "Recompute Changed Categories" button (runLogic.ts userErrorActions); the
 * button resumes the SAME run folder with restartChanged (the CLI's --restart-changed) and the
 * run completes there on the images as they are now: the changed category counts the added image.
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/resumeChanged.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  ROOT, clearNotifications, closeAllEditors, explorerContextMenu, log, notificationTexts, runCommand, scaledTimeout, screenshot, sleep, timed,
  webviewShowing, withDiagnostics, workbenchSession,
} from './harness';

const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 8 * 60_000);
const CATEGORIES = 10;
const PER_CATEGORY = 120;
const PERMUTATIONS = 20;
/** The name the added image gets (sorts after the generated `<category>_NNN.png`). */
const ADDED = 'zz_added_after_interrupt.png';

const session = workbenchSession({
  name: 'resume-changed',
  tempPrefix: 'sl-e2e-resume-changed-',
  async prepare(dir) {
    const mod = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'demo-stimuli.ts')).href)) as { generateStimuli: (dir: string, o: Record<string, unknown>) => Promise<unknown> };
    // As provenance.e2e's reload test: with 20 permuted controls the run is still going after its first checkpoint with progress.
    await timed('stimuli for the long run', () => mod.generateStimuli(path.join(dir, 'long'), { categories: CATEGORIES, perCategory: PER_CATEGORY, size: 64, seed: 32 }));
    fs.cpSync(path.join(ROOT, 'media', 'demo-model'), path.join(dir, 'models', 'demo'), { recursive: true });
  },
  workspaceSettings: {
    'sparsityLens.model': 'models/demo/model.json',
    'sparsityLens.controls.permutations': PERMUTATIONS,
    'sparsityLens.folds': 2,
    'sparsityLens.seed': 5,
    'sparsityLens.accuracy': 'none',
  },
});
const page = (): Page => session.page();
const ws = (): string => session.ws;

const toast = (p: Page, text: RegExp | string) => p.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();

async function visibleToast(p: Page, text: RegExp, what: string, timeoutMs = 60_000) {
  const t = toast(p, text);
  await t.waitFor({ state: 'visible', timeout: scaledTimeout(timeoutMs) }).catch(async () => {
    throw new Error(`no ${what} notification; notifications: ${JSON.stringify(await notificationTexts(p))}`);
  });
  return t;
}

describe('Resume after images changed: Recompute Changed Categories (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('a resume refused because images changed offers Recompute Changed Categories, which completes the same run folder on the new images', async () => {
    await withDiagnostics('resume-changed', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const out = path.join(ws(), '.sparsity-lens');
      const dataset = path.join(ws(), 'long');
      await explorerContextMenu(p, 'long', 'Analyze Sparsity', 90_000);

      // Its run folder, then its first checkpoint with progress (a pass group done, or images into one).
      const deadline = Date.now() + RUN_TIMEOUT;
      let runDir = '';
      let checkpoint: { nextImage: number; passGroup: number } | undefined;
      while (!checkpoint) {
        if (Date.now() > deadline) throw new Error('no checkpoint with progress');
        const runs = (fs.existsSync(out) ? fs.readdirSync(out) : []).filter((d) => d.startsWith('long-'));
        if (runs.length) {
          runDir = path.join(out, runs[0]);
          try {
            const st = JSON.parse(fs.readFileSync(path.join(runDir, 'state', 'state.json'), 'utf8')) as { nextImage: number; passGroup: number };
            if (st.passGroup > 0 || st.nextImage > 0) checkpoint = st;
          } catch {
            /* not written yet (or mid-rename) */
          }
        }
        if (runDir && fs.existsSync(path.join(runDir, 'report.sparsity.json'))) throw new Error('the run finished before its first checkpoint: make it longer');
        await sleep(1_000);
      }
      log(`checkpoint with progress (pass group ${checkpoint.passGroup}, image ${checkpoint.nextImage}) in ${path.basename(runDir)}: reloading the window`);
      await runCommand(p, 'Developer: Reload Window');
      await p.locator('.monaco-workbench').waitFor({ timeout: scaledTimeout(60_000) });
      const interrupted = await visibleToast(p, /was interrupted/, '"was interrupted"');
      assert.ok(!fs.existsSync(path.join(runDir, 'report.sparsity.json')), 'the reload stopped the run before its report');
      assert.ok(fs.existsSync(path.join(runDir, 'state', 'dataset.json')), 'the checkpoint has its dataset listing');
      assert.deepEqual(fs.readdirSync(out).filter((d) => d.startsWith('long-')), [path.basename(runDir)], 'one run folder so far');

      // One category changes on disk while the run is stopped: an image overwritten under its own
      // name with another valid image (different bytes and mtime), and one image added.
      const cats = fs.readdirSync(dataset).filter((d) => fs.statSync(path.join(dataset, d)).isDirectory()).sort();
      assert.equal(cats.length, CATEGORIES);
      const changedCat = cats[cats.length - 1]; // the last in name order: the cheapest to recompute
      const donor = path.join(dataset, cats[0]);
      const donorFiles = fs.readdirSync(donor).sort();
      const overwritten = fs.readdirSync(path.join(dataset, changedCat)).sort()[0];
      const overwrittenPath = path.join(dataset, changedCat, overwritten);
      const oldBytes = fs.readFileSync(overwrittenPath);
      fs.copyFileSync(path.join(donor, donorFiles[0]), overwrittenPath);
      fs.copyFileSync(path.join(donor, donorFiles[1]), path.join(dataset, changedCat, ADDED));
      assert.ok(!oldBytes.equals(fs.readFileSync(overwrittenPath)), 'the overwritten image has other bytes');
      log(`changed ${changedCat}: overwrote ${overwritten}, added ${ADDED}`);

      // Resume (the notification's button): refused, naming the change, with the button.
      await interrupted.getByRole('button', { name: 'Resume', exact: true }).click();
      const refused = await visibleToast(p, /images changed since the run started/, '"images changed" error', 120_000);
      const refusal = (await refused.innerText()).replace(/\s+/g, ' ');
      assert.ok(refusal.includes(path.basename(runDir)), `the error names the run folder: ${refusal}`);
      assert.ok(refusal.includes(ADDED), `the error names the added file: ${refusal}`);
      assert.ok(refusal.includes(overwritten), `the error names the overwritten file: ${refusal}`);
      const recompute = refused.getByRole('button', { name: 'Recompute Changed Categories', exact: true });
      await recompute.waitFor({ state: 'visible', timeout: 5_000 }).catch(async () => {
        throw new Error(`the "images changed" error has no Recompute Changed Categories button; its buttons: ${JSON.stringify(await refused.getByRole('button').allInnerTexts().catch(() => []))}`);
      });
      assert.ok(!fs.existsSync(path.join(runDir, 'report.sparsity.json')), 'the refused resume wrote no report');
      await screenshot(p, 'resume-changed-1-refused');
      await recompute.click();

      // The same run folder completes; no other run folder appears.
      const reportFile = path.join(runDir, 'report.sparsity.json');
      const end = Date.now() + RUN_TIMEOUT;
      const started = Date.now();
      while (!fs.existsSync(reportFile)) {
        const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
        if (err) throw new Error(`the recomputing resume reported an error: ${err}`);
        const others = fs.readdirSync(out).filter((d) => d.startsWith('long-') && d !== path.basename(runDir));
        if (others.length) throw new Error(`Recompute Changed Categories started a new run folder: ${others.join(', ')}`);
        if (Date.now() > end) throw new Error('the recomputing resume wrote no report');
        await sleep(1_000);
      }
      log(`report in the same run folder after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await sleep(500);
      assert.deepEqual(fs.readdirSync(out).filter((d) => d.startsWith('long-')), [path.basename(runDir)], 'still one run folder');
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
        complete: boolean;
        dataset: { imagesFound: number; imagesUsed: number; categoriesUsed: number };
        categories: { name: string; images: number }[];
        passes: unknown[];
        skipped: unknown[];
      };
      assert.equal(report.complete, true);
      assert.equal(report.dataset.categoriesUsed, CATEGORIES);
      // The changed category on its images as they are now (the added one counted), the others as they were.
      const byName = new Map(report.categories.map((c) => [c.name, c.images]));
      assert.equal(byName.get(changedCat), PER_CATEGORY + 1, `${changedCat} counts the added image`);
      for (const c of cats.slice(0, -1)) assert.equal(byName.get(c), PER_CATEGORY, `${c} unchanged`);
      assert.equal(report.dataset.imagesFound, CATEGORIES * PER_CATEGORY + 1);
      assert.equal(report.dataset.imagesUsed, CATEGORIES * PER_CATEGORY + 1);
      assert.deepEqual(report.skipped, []);
      assert.equal(report.passes.length, PERMUTATIONS + 2, 'trained + permuted + no-ReLU');

      // The panel shows the complete report and nothing reported a failure.
      const header = await webviewShowing(p, '[data-testid="report-completeness"]', 60_000);
      await header.locator('[data-testid="report-completeness"]').filter({ hasText: /^\s*complete\s*$/ }).waitFor({ timeout: scaledTimeout(60_000) }).catch(async () => {
        throw new Error(`the panel does not show the complete report: badge "${await header.locator('[data-testid="report-completeness"]').innerText()}"; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      assert.ok(!(await notificationTexts(p)).some((n) => /ended unexpectedly|failed|cannot resume/i.test(n)), 'no failure reported for the recomputing resume');
      await screenshot(p, 'resume-changed-2-complete');
    });
  });
});
