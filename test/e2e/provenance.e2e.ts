/**
 * Provenance, Run again and Resume in a real VS Code (issue 15):
 * - the panel's provenance section shows the model's sha256 and the settings the run used;
 * - "Run Again" writes a second report with the first report's settings, not the workspace's
 *   (the settings are changed in between);
 * - a run interrupted by reloading the window mid-run (after its first checkpoint with progress)
 *   is offered for Resume (a notification and the restored panel's Resume button) and resumes,
 *   in the same run folder, to a complete report.
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/provenance.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  ROOT, clearNotifications, closeAllEditors, explorerContextMenu, log, notificationTexts, reportFilesUnder, runCommand, screenshot, sleep, timed,
  webviewShowing, withDiagnostics, workbenchSession,
} from './harness';

const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 8 * 60_000);

const SETTINGS_FILE = (): string => path.join(session.ws, '.vscode', 'settings.json');
const writeSettings = (s: Record<string, unknown>): void => fs.writeFileSync(SETTINGS_FILE(), JSON.stringify({ 'sparsityLens.model': 'models/demo/model.json', ...s }, null, 2));

const session = workbenchSession({
  name: 'provenance',
  tempPrefix: 'sl-e2e-prov-',
  async prepare(dir) {
    const mod = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'demo-stimuli.ts')).href)) as { generateStimuli: (dir: string, o: Record<string, unknown>) => Promise<unknown> };
    await mod.generateStimuli(path.join(dir, 'small'), { categories: 3, perCategory: 4, size: 64, seed: 31 });
    // With 20 permuted controls big enough that the run is still going after its first checkpoint (every 30 s): the reload test.
    await timed('stimuli for the long run', () => mod.generateStimuli(path.join(dir, 'long'), { categories: 10, perCategory: 120, size: 64, seed: 32 }));
    fs.cpSync(path.join(ROOT, 'media', 'demo-model'), path.join(dir, 'models', 'demo'), { recursive: true });
    writeSettings({ 'sparsityLens.controls.permutations': 1, 'sparsityLens.folds': 2, 'sparsityLens.seed': 5 });
  },
});
const page = (): Page => session.page();
const ws = (): string => session.ws;

const toast = (p: Page, text: RegExp | string) => p.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();

/** A new report.sparsity.json under the workspace (not in `before`), parsed. */
async function waitNewReport(p: Page, before: string[]): Promise<{ file: string; report: Record<string, any> }> {
  const deadline = Date.now() + RUN_TIMEOUT;
  for (;;) {
    const fresh = reportFilesUnder(ws()).filter((f) => !before.includes(f));
    if (fresh.length) {
      await sleep(500);
      return { file: fresh[0], report: JSON.parse(fs.readFileSync(fresh[0], 'utf8')) };
    }
    const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
    if (err) throw new Error(`the run reported an error: ${err}`);
    if (Date.now() > deadline) throw new Error('no new report.sparsity.json');
    await sleep(1_000);
  }
}

describe('Provenance, Run again and Resume (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('the provenance shows the model sha256 and the settings; Run Again repeats the report\'s settings, not the changed workspace settings', async () => {
    await withDiagnostics('provenance-run-again', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      let before = reportFilesUnder(ws());
      await explorerContextMenu(p, 'small', 'Analyze Sparsity', 90_000);
      const first = await timed('run 1', () => waitNewReport(p, before));
      await toast(p, /report saved in/).waitFor({ state: 'visible', timeout: 30_000 });

      const frame = await webviewShowing(p, '[data-testid="provenance"]', 60_000);
      await frame.locator('[data-testid="provenance"] summary').click();
      const sha = (await frame.locator('[data-testid="prov-model-sha256"]').innerText()).trim();
      assert.match(sha, /^[0-9a-f]{64}$/);
      assert.equal(sha, first.report.model.sha256, 'the panel shows the sha256 the report records');
      assert.equal((await frame.locator('[data-testid="prov-seed"]').innerText()).trim(), '5');
      assert.equal((await frame.locator('[data-testid="prov-controls-permutations"]').innerText()).trim(), '1');
      assert.equal((await frame.locator('[data-testid="prov-pre-mean"]').innerText()).trim(), `[${first.report.settings.preprocessing.mean.join(', ')}]`);
      assert.equal((await frame.locator('[data-testid="prov-model-path"]').innerText()).trim(), first.report.model.path);
      assert.equal((await frame.locator('[data-testid="prov-backend"]').innerText()).trim(), first.report.engine.backend);
      await screenshot(p, 'provenance-1-section');

      // The workspace now says otherwise; Run Again must not take it.
      writeSettings({ 'sparsityLens.controls.permutations': 2, 'sparsityLens.folds': 3, 'sparsityLens.seed': 99 });
      await sleep(3_000); // the configuration service reloads settings.json from its file watcher
      await clearNotifications(p);
      before = reportFilesUnder(ws());
      await frame.locator('[data-testid="run-again"]').click();
      const second = await timed('run again', () => waitNewReport(p, before));
      assert.notEqual(path.dirname(second.file), path.dirname(first.file), 'a new run folder');
      assert.equal(path.dirname(path.dirname(second.file)), path.dirname(path.dirname(first.file)), 'beside the first run');
      assert.deepEqual(second.report.settings, first.report.settings, 'the second report has the first report\'s settings');
      assert.equal(second.report.settings.seed, 5);
      assert.equal(second.report.model.sha256, first.report.model.sha256);
      await screenshot(p, 'provenance-2-run-again');
    });
  });

  test('a run interrupted by a window reload is offered for Resume and resumes to a complete report in its run folder', async () => {
    await withDiagnostics('provenance-resume', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      writeSettings({ 'sparsityLens.controls.permutations': 20, 'sparsityLens.folds': 2, 'sparsityLens.seed': 5, 'sparsityLens.accuracy': 'none' });
      await sleep(3_000);
      await clearNotifications(p);
      const out = path.join(ws(), '.sparsity-lens');
      const runsBefore = fs.existsSync(out) ? fs.readdirSync(out) : [];
      await explorerContextMenu(p, 'long', 'Analyze Sparsity', 60_000);

      // Its run folder, then its first checkpoint with progress (nextImage > 0; every 30 s).
      const deadline = Date.now() + RUN_TIMEOUT;
      let runDir = '';
      let checkpointed = 0;
      while (!checkpointed) {
        if (Date.now() > deadline) throw new Error('no checkpoint with progress');
        const fresh = (fs.existsSync(out) ? fs.readdirSync(out) : []).filter((d) => !runsBefore.includes(d) && d.startsWith('long-'));
        if (fresh.length) {
          runDir = path.join(out, fresh[0]);
          try {
            const st = JSON.parse(fs.readFileSync(path.join(runDir, 'state', 'state.json'), 'utf8')) as { nextImage: number; passGroup: number };
            checkpointed = st.passGroup > 0 || st.nextImage > 0 ? st.nextImage + st.passGroup * 1_000_000 : 0;
          } catch {
            /* not written yet */
          }
        }
        if (fs.existsSync(path.join(runDir, 'report.sparsity.json'))) throw new Error('the run finished before its first checkpoint: make it longer');
        await sleep(1_000);
      }
      log(`checkpoint with progress (${checkpointed}: pass group x 1e6 + image): reloading the window`);
      await webviewShowing(p, '[data-testid="report-header"], [data-testid="report-empty"]', 30_000);
      await runCommand(p, 'Developer: Reload Window');
      await p.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await sleep(3_000);
      assert.ok(!fs.existsSync(path.join(runDir, 'report.sparsity.json')), 'the reload stopped the run before its report');
      assert.ok(fs.existsSync(path.join(runDir, 'state', 'state.json')), 'the checkpoint survived the reload');

      // Offered: a notification, and the restored panel's Resume button.
      const note = toast(p, /was interrupted/);
      await note.waitFor({ state: 'visible', timeout: 60_000 }).catch(async () => {
        throw new Error(`no "interrupted" notification; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      assert.match(await note.innerText(), /long/);
      const frame = await webviewShowing(p, '[data-testid="resume-run"]', 60_000);
      assert.match(await frame.locator('[data-testid="resumable-run"]').innerText(), new RegExp(path.basename(runDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      await screenshot(p, 'provenance-3-resumable');
      await frame.locator('[data-testid="resume-run"]').click();

      const reportFile = path.join(runDir, 'report.sparsity.json');
      const end = Date.now() + RUN_TIMEOUT;
      while (!fs.existsSync(reportFile)) {
        const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
        if (err) throw new Error(`the resumed run reported an error: ${err}`);
        if (Date.now() > end) throw new Error('the resumed run wrote no report');
        await sleep(1_000);
      }
      await sleep(500);
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { complete: boolean; dataset: { imagesUsed: number; categoriesUsed: number }; passes: unknown[] };
      assert.equal(report.complete, true);
      assert.equal(report.dataset.categoriesUsed, 10);
      assert.equal(report.dataset.imagesUsed, 1200);
      assert.equal(report.passes.length, 22, 'trained + 20 permuted + no-ReLU');
      // The panel then shows the complete report (the final one follows the last partial).
      const header = await webviewShowing(p, '[data-testid="report-completeness"]', 60_000);
      await header.locator('[data-testid="report-completeness"]').filter({ hasText: /^\s*complete\s*$/ }).waitFor({ timeout: 60_000 }).catch(async () => {
        throw new Error(`the panel does not show the complete report: badge "${await header.locator('[data-testid="report-completeness"]').innerText()}"; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      assert.ok(!(await notificationTexts(p)).some((n) => /ended unexpectedly|failed/i.test(n)), 'no failure reported for the resumed run');
      // Chart cards kept from the live partials take the final report's captions too.
      const caption = (await header.locator('[data-chart-note="psi-by-layer"]').innerText()).trim();
      assert.doesNotMatch(caption, /appear when the run is complete/, `the PSI-by-layer caption of the complete report: "${caption}"`);
      await screenshot(p, 'provenance-4-resumed');
    });
  });
});
