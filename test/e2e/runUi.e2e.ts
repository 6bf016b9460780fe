/**
 * The run UI in a real VS Code (issue 15): a failed run clears its progress at once (not when
 * the error message is dismissed) and its panel says it failed; Cancel Analysis then says
 * nothing runs; a second run of a folder reuses the folder's panel (one tab, no new split) and
 * the panel has no horizontal scrollbar.
 *
 * Run: node --import tsx --test test/e2e/runUi.e2e.ts (scripts/e2e-setup.sh on first use).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  CodeServer, ROOT, buildAndPackage, clearNotifications, closeAllEditors, ensureCodeServer, explorerContextMenu, log, mkTemp, notificationTexts,
  openWorkbench, printTimings, reportFilesUnder, screenshot, sleep, timed, webview, withDiagnostics, type Workbench,
} from './harness';

const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 6 * 60_000);

let server: CodeServer | undefined;
let wb: Workbench | undefined;
let home = '';
let ws = '';
let setupError: Error | undefined;
const page = (): Page => {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
  if (!wb) throw new Error('the workbench did not open (see the before hook)');
  return wb.page;
};

async function setup(): Promise<void> {
  const bin = await timed('e2e-setup (code-server, chromium)', () => ensureCodeServer());
  home = mkTemp('sl-e2e-runui-');
  ws = path.join(home, 'workspace');
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  const mod = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'demo-stimuli.ts')).href)) as { generateStimuli: (dir: string, o: Record<string, unknown>) => Promise<unknown> };
  await mod.generateStimuli(path.join(ws, 'stimuli'), { categories: 3, perCategory: 4, size: 64, seed: 21 });
  // "flat": images but no category sub-folders, so the run fails while scanning
  await mod.generateStimuli(path.join(home, 'flat-src'), { categories: 1, perCategory: 3, size: 64, seed: 22 });
  const src = path.join(home, 'flat-src', fs.readdirSync(path.join(home, 'flat-src'))[0]);
  fs.mkdirSync(path.join(ws, 'flat'));
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(ws, 'flat', f));
  fs.cpSync(path.join(ROOT, 'media', 'demo-model'), path.join(ws, 'models', 'demo'), { recursive: true });
  fs.writeFileSync(
    path.join(ws, '.vscode', 'settings.json'),
    JSON.stringify({ 'sparsityLens.model': 'models/demo/model.json', 'sparsityLens.controls.permutedWeights': 1, 'sparsityLens.folds': 2 }, null, 2),
  );
  const vsix = await timed('npm run package (build + VSIX)', () => buildAndPackage(path.join(home, 'sparsity-lens-linux-x64.vsix')));
  server = new CodeServer({ bin, home, workspace: ws, name: 'runui' });
  const installed = await timed('code-server --install-extension', () => server!.installExtension(vsix));
  if (!/successfully installed/i.test(installed)) throw new Error(`--install-extension did not report success:\n${installed}`);
  await timed('code-server start', () => server!.start());
  wb = await timed('workbench load', () => openWorkbench(server!, 'runui'));
}

const toast = (p: Page, text: RegExp | string) => p.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();

describe('Sparsity Lens run UI (code-server)', () => {
  before(async () => {
    try {
      await setup();
    } catch (e) {
      setupError = e as Error;
      console.error(`[e2e] setup failed: ${setupError.stack ?? setupError}`);
      if (wb) await screenshot(wb.page, 'FAILED-runui-setup');
    }
  });
  after(async () => {
    await wb?.close();
    await server?.stop();
    if (home && !process.env.E2E_KEEP) fs.rmSync(home, { recursive: true, force: true });
    printTimings();
  });

  test('a failed run clears its progress within 2 s, while its error is still shown; Cancel Analysis says nothing runs', async () => {
    await withDiagnostics('runui-failed', () => wb, () => server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      await timed('right-click flat → Analyze Sparsity', () => explorerContextMenu(p, 'flat', 'Analyze Sparsity', 90_000));
      const error = toast(p, /at least 2 categories are needed/);
      await error.waitFor({ state: 'visible', timeout: 60_000 }).catch(async () => {
        throw new Error(`no error about the missing categories; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      const tError = Date.now();
      // The error stays up (not dismissed); the progress notification (and with it the status-bar spinner) must be gone already.
      const progress = p.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Sparsity Lens: flat' }).filter({ has: p.getByRole('button', { name: 'Cancel' }) });
      await progress.first().waitFor({ state: 'hidden', timeout: 2_000 }).catch(async () => {
        await screenshot(p, 'FAILED-runui-progress-stays');
        throw new Error(`the progress notification is still shown 2 s after the error; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      log(`progress gone ${((Date.now() - tError) / 1000).toFixed(1)} s after the error appeared`);
      assert.ok(await error.isVisible(), 'the error message is still shown (the progress did not wait for it)');
      await screenshot(p, 'runui-1-failed');

      // The failed panel: the reason in its status, no "Analysing …" line.
      const frame = webview(p);
      const status = frame.locator('[data-testid="run-status"]').filter({ hasText: /fail/i }).first();
      await status.waitFor({ state: 'visible', timeout: 15_000 });
      const body = (await frame.locator('body').innerText()).replace(/\s+/g, ' ');
      assert.doesNotMatch(body, /Analysing/, `the failed panel still says "Analysing": ${body.slice(0, 400)}`);
      assert.match(body, /failed; no report was written/);

      // Nothing runs: the running state is cleared, so the Command Palette no longer offers Cancel
      // Analysis (package.json: when sparsityLens.running), rather than a command that does nothing.
      await p.keyboard.press('F1');
      const input = p.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10_000 });
      await input.fill('>Sparsity Lens: Cancel Analysis');
      await sleep(1_000);
      const rows = await p.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
      await p.keyboard.press('Escape');
      assert.ok(!rows.some((r) => r.includes('Cancel Analysis')), `Cancel Analysis is still offered after the failed run: ${JSON.stringify(rows)}`);
    });
  });

  test('a second run of a folder reuses its panel: one tab, no new editor group, no horizontal scrollbar', async () => {
    await withDiagnostics('runui-one-panel', () => wb, () => server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const tabs = p.locator('.tabs-container .tab').filter({ hasText: 'stimuli' });
      const groups = p.locator('.editor-group-container');
      const waitReport = async (before: string[]): Promise<void> => {
        const deadline = Date.now() + RUN_TIMEOUT;
        while (!reportFilesUnder(ws).some((f) => !before.includes(f))) {
          const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
          if (err) throw new Error(`the run reported an error: ${err}`);
          if (Date.now() > deadline) throw new Error('no new report.sparsity.json');
          await sleep(1_000);
        }
        await toast(p, /report saved in/).waitFor({ state: 'visible', timeout: 30_000 });
      };
      let before = reportFilesUnder(ws);
      await explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 90_000);
      await timed('run 1', () => waitReport(before));
      await tabs.first().waitFor({ timeout: 15_000 });
      const groupsAfterFirst = await groups.count();
      assert.equal(await tabs.count(), 1, 'one panel after the first run');
      // the run-finished notification offers VS Code's Explorer (code-server has no OS reveal)
      const done = toast(p, /report saved in/);
      const buttons = await done.getByRole('button').allInnerTexts();
      assert.ok(buttons.includes('Reveal in Explorer'), `Reveal in Explorer offered: ${JSON.stringify(buttons)}`);
      await clearNotifications(p);

      before = reportFilesUnder(ws);
      await explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 30_000);
      await timed('run 2', () => waitReport(before));
      await sleep(1_000);
      assert.equal(await tabs.count(), 1, `one panel for the folder after the second run; tabs: ${JSON.stringify(await p.locator('.tabs-container .tab').allInnerTexts())}`);
      assert.equal(await groups.count(), groupsAfterFirst, 'the second run did not split the editor again');
      await screenshot(p, 'runui-2-one-panel');

      const frame = webview(p);
      await frame.locator('[data-testid="chart-psi-by-layer"] svg').first().waitFor({ timeout: 30_000 });
      const measure = () =>
        frame.locator('body').evaluate(() => {
          const d = document.scrollingElement ?? document.documentElement;
          const charts = Array.from(document.querySelectorAll<HTMLElement>('.sl-chart')).map((c) => ({ id: c.dataset.chart ?? '', scroll: c.scrollWidth, client: c.clientWidth }));
          return { scroll: d.scrollWidth, client: d.clientWidth, charts };
        });
      const check = async (what: string): Promise<number> => {
        const sizes = await measure();
        const wide = sizes.charts.filter((c) => c.scroll > c.client + 1);
        log(`${what}: panel ${sizes.client} px wide; charts wider than their card: ${JSON.stringify(wide)}`);
        assert.ok(sizes.scroll <= sizes.client + 1, `${what}: the panel scrolls sideways: content ${sizes.scroll} px in ${sizes.client} px`);
        assert.deepEqual(wide, [], `${what}: charts with a horizontal scrollbar`);
        return sizes.client;
      };
      const width = await check('as opened');
      // The case: the panel about 1000 px wide (the window narrower by the difference).
      const vp = p.viewportSize() ?? { width: 1600, height: 1000 };
      await p.setViewportSize({ width: vp.width - (width - 1000), height: vp.height });
      await sleep(2_000); // vega re-lays out on resize
      await check('about 1000 px');
      await p.setViewportSize(vp);
    });
  });

  test('Open Settings on a missing model file opens the Workspace settings, where the wrong path is', async () => {
    await withDiagnostics('runui-settings-scope', () => wb, () => server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'sparsityLens.model': 'models/missing/model.json' }, null, 2));
      await sleep(3_000); // the configuration service reloads settings.json from its file watcher
      await explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 30_000);
      const error = toast(p, /models\/missing\/model\.json.*does not exist/);
      await error.waitFor({ state: 'visible', timeout: 30_000 }).catch(async () => {
        throw new Error(`no error about the missing model file; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      await error.getByRole('button', { name: 'Open Settings', exact: true }).click();
      const checked = p.locator('.settings-editor .settings-tabs-widget .action-label.checked').first();
      await checked.waitFor({ state: 'visible', timeout: 20_000 });
      const scope = (await checked.innerText()).trim();
      await screenshot(p, 'runui-3-settings-scope');
      assert.match(scope, /^Workspace/, `the Settings editor opened on "${scope}", not the Workspace scope`);
      const search = await p.locator('.settings-editor .settings-header .suggest-input-container .view-lines').first().innerText().catch(() => '');
      assert.match(search.replace(/\s+/g, ''), /sparsityLens\.model/, `the Settings editor searches for the setting: "${search}"`);
    });
  });
});
