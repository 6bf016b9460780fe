/**
 * Onboarding in a real VS Code (issue 15): the Getting Started walkthrough runs the demo.
 * Opening the walkthrough (Welcome: Open Walkthrough…) and clicking its "Run the Demo" button
 * generates the demo images into a new workspace folder — beside, never into, a folder of the
 * user's with the same name — shows it in the Explorer, and runs the embedded demo model on it
 * (although sparsityLens.model names a file that does not exist) to a report and a chart.
 * Then the empty panel: a cancelled run's panel says what to do, and its "Try the Demo" button
 * runs the demo again.
 *
 * Run: flock /tmp/e2e.lock node --import tsx --test --test-concurrency=1 test/e2e/walkthrough.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  clearNotifications, explorerRow, log, notificationTexts, reportFilesUnder, runCommandExact, scaledTimeout, screenshot, sleep, timed,
  webviewShowing, withDiagnostics, workbenchSession,
} from './harness';

const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 6 * 60_000);
const USERS_FOLDER = 'sparsity-demo-stimuli';
const DEMO_FOLDER = 'sparsity-demo-stimuli-2';

const session = workbenchSession({
  name: 'walkthrough',
  prepare: (ws) => {
    // The user's own folder with the demo's name: the demo must leave it alone.
    fs.mkdirSync(path.join(ws, USERS_FOLDER, 'mine'), { recursive: true });
    fs.writeFileSync(path.join(ws, USERS_FOLDER, 'mine', 'notes.txt'), 'not demo images');
  },
  // A model setting that cannot be loaded: the demo uses its embedded model whatever this says.
  // One permuted control keeps the run short; the no-ReLU control stays on.
  workspaceSettings: { 'sparsityLens.model': 'models/not-here/model.onnx', 'sparsityLens.controls.permutations': 1 },
});

const toast = (p: Page, text: RegExp | string) => p.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();

/** Waits for a report file not in `before`, failing early on an error notification. */
async function waitForNewReport(p: Page, ws: string, before: string[]): Promise<string> {
  const deadline = Date.now() + scaledTimeout(RUN_TIMEOUT);
  for (;;) {
    const added = reportFilesUnder(ws).filter((f) => !before.includes(f) && path.basename(f) === 'report.sparsity.json');
    if (added.length) return added[0];
    const err = (await notificationTexts(p)).find((n) => /error|failed|cannot|does not exist/i.test(n));
    if (err) throw new Error(`the demo run reported an error: ${err}`);
    if (Date.now() > deadline) throw new Error(`no new report.sparsity.json under ${ws}; notifications: ${JSON.stringify(await notificationTexts(p))}`);
    await sleep(1_000);
  }
}

describe('Getting Started walkthrough (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('the walkthrough runs the demo: images in a new folder, shown in the Explorer, the embedded model, a chart', async () => {
    await withDiagnostics('walkthrough-demo', session.workbench, session.codeServer, async () => {
      const p = session.page();
      const ws = session.ws;
      await clearNotifications(p);
      await timed('open the walkthrough', async () => {
        await runCommandExact(p, 'Welcome: Open Walkthrough...');
        const pick = p.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'Get Started with Sparsity Lens' }).first();
        await pick.waitFor({ state: 'visible', timeout: scaledTimeout(30_000) });
        await pick.click();
      });
      const button = p.locator('.gettingStartedContainer').getByRole('button', { name: 'Run the Demo', exact: true }).first();
      await button.waitFor({ state: 'visible', timeout: scaledTimeout(30_000) }).catch(async () => {
        await screenshot(p, 'FAILED-walkthrough-no-button');
        throw new Error('the walkthrough shows no "Run the Demo" button');
      });
      // The step's page (a webview) renders after the list; the list is re-rendered then, and a click
      // on the button it replaced is lost: wait for the page, and click again if nothing started.
      await webviewShowing(p, 'h1, h2', 30_000).catch(() => log('the step page did not show (clicking anyway)'));
      await sleep(1_000);
      await screenshot(p, 'walkthrough-1-opened');
      const before = reportFilesUnder(ws);
      const started = toast(p, /generating demo images|Sparsity Lens: sparsity-demo-stimuli-2/);
      for (let attempt = 1; ; attempt++) {
        await button.click();
        const ok = await Promise.any([
          started.waitFor({ state: 'visible', timeout: scaledTimeout(10_000) }),
          explorerRow(p, DEMO_FOLDER).waitFor({ state: 'visible', timeout: scaledTimeout(10_000) }),
        ]).then(() => true, () => false);
        if (ok) break;
        if (attempt === 3) {
          await screenshot(p, 'FAILED-walkthrough-click');
          throw new Error(`clicking "Run the Demo" (3 times) started nothing; notifications: ${JSON.stringify(await notificationTexts(p))}`);
        }
        log(`"Run the Demo" click ${attempt} started nothing; clicking again`);
      }
      // The images go into a new folder, beside the user's folder of the same name.
      await timed('demo folder in the Explorer', () => explorerRow(p, DEMO_FOLDER).waitFor({ state: 'visible', timeout: scaledTimeout(120_000) }));
      const reportPath = await timed('demo run', () => waitForNewReport(p, ws, before));
      assert.deepEqual(fs.readdirSync(path.join(ws, USERS_FOLDER)), ['mine'], 'the user\'s folder was not touched');
      assert.equal(fs.readFileSync(path.join(ws, USERS_FOLDER, 'mine', 'notes.txt'), 'utf8'), 'not demo images');
      const demoDir = path.join(ws, DEMO_FOLDER);
      const categories = fs.readdirSync(demoDir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
      assert.equal(categories.length, 10, `10 category folders: ${JSON.stringify(categories)}`);
      for (const c of categories) assert.equal(fs.readdirSync(path.join(demoDir, c)).filter((f) => f.endsWith('.png')).length, 20, `20 images in ${c}`);

      // The report: of the demo folder, with the embedded model (not the setting's), complete.
      const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as { complete: boolean; dataset: { path: string }; model: { path: string; source?: string }; categories: unknown[] };
      assert.equal(report.complete, true);
      assert.equal(path.resolve(report.dataset.path), path.resolve(demoDir));
      assert.match(report.model.path.replace(/\\/g, '/'), /media\/demo-model\/model\.json$/, `model: ${report.model.path}`);
      assert.match(report.model.source ?? '', /embedded demo model/);
      assert.equal(report.categories.length, 10);

      await toast(p, /report saved in/).waitFor({ state: 'visible', timeout: scaledTimeout(30_000) });
      const frame = await webviewShowing(p, '[data-testid="chart-psi-by-layer"] svg', 60_000);
      const marks = await frame.locator('[data-testid="chart-psi-by-layer"] svg path, [data-testid="chart-psi-by-layer"] svg line').count();
      assert.ok(marks > 3, `the PSI-by-layer chart has marks (${marks})`);
      await screenshot(p, 'walkthrough-2-demo-report');
    });
  });

  test('a panel without a report says what to do, and its Try the Demo button runs the demo', async () => {
    await withDiagnostics('walkthrough-empty-panel', session.workbench, session.codeServer, async () => {
      const p = session.page();
      const ws = session.ws;
      await clearNotifications(p);
      // The images are there now: Try the Demo reuses them and starts the run at once; cancel it.
      await runCommandExact(p, 'Sparsity Lens: Try the Demo');
      await toast(p, /Sparsity Lens: sparsity-demo-stimuli-2/).waitFor({ state: 'visible', timeout: scaledTimeout(60_000) });
      await runCommandExact(p, 'Sparsity Lens: Cancel Analysis');
      const frame = await webviewShowing(p, '[data-testid="empty-guide"]', 60_000);
      const text = (await frame.locator('[data-testid="report-empty"]').innerText()).replace(/\s+/g, ' ');
      assert.match(text, /cancelled; no report was written/);
      assert.match(text, /right-click a folder/i);
      assert.ok(await frame.locator('[data-testid="empty-analyzeFolder"]').isVisible(), 'an Analyze a Folder button');
      await screenshot(p, 'walkthrough-3-empty-panel');

      await clearNotifications(p);
      const before = reportFilesUnder(ws);
      await frame.locator('[data-testid="empty-tryDemo"]').click();
      const reportPath = await timed('demo run from the empty panel', () => waitForNewReport(p, ws, before));
      assert.equal(path.resolve((JSON.parse(fs.readFileSync(reportPath, 'utf8')) as { dataset: { path: string } }).dataset.path), path.resolve(ws, DEMO_FOLDER), 'the same demo folder is reused');
      assert.ok(!fs.existsSync(path.join(ws, 'sparsity-demo-stimuli-3')), 'no third demo folder');
      await webviewShowing(p, '[data-testid="chart-psi-by-layer"] svg', 60_000);
      log('the empty panel\'s Try the Demo button ran the demo to a chart');
      await screenshot(p, 'walkthrough-4-demo-again');
    });
  });
});
