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
  ROOT, clearNotifications, closeAllEditors, explorerContextMenu, log, notificationTexts, quickInput, reportFilesUnder, runCommand, scaledTimeout,
  screenshot, sleep, timed, waitForWorkspaceSetting, webview, webviewShowing, withDiagnostics, workbenchSession, type CodeServer, type Workbench,
} from './harness';

const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 6 * 60_000);

const CORRUPT = 'zz-corrupt.jpg'; // a truncated JPEG: the header's "Skipped 1 file" links to the list
const LARGE = { categories: 6, perCategory: 40 };
const BASE_SETTINGS = { 'sparsityLens.model': 'models/demo/model.json', 'sparsityLens.controls.permutedWeights': 1, 'sparsityLens.folds': 2 };

const session = workbenchSession({
  name: 'runui',
  async prepare(ws, home) {
    const mod = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'demo-stimuli.ts')).href)) as { generateStimuli: (dir: string, o: Record<string, unknown>) => Promise<unknown> };
    await mod.generateStimuli(path.join(ws, 'stimuli'), { categories: 3, perCategory: 4, size: 64, seed: 21 });
    const first = fs.readdirSync(path.join(ws, 'stimuli')).sort()[0];
    fs.writeFileSync(path.join(ws, 'stimuli', first, CORRUPT), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]));
    // a run long enough to be live while the test looks at it (and is asked about a second run)
    await mod.generateStimuli(path.join(ws, 'stimuli-long'), { ...LARGE, size: 64, seed: 23 });
    // "flat": images but no category sub-folders, so the run fails while scanning
    await mod.generateStimuli(path.join(home, 'flat-src'), { categories: 1, perCategory: 3, size: 64, seed: 22 });
    const src = path.join(home, 'flat-src', fs.readdirSync(path.join(home, 'flat-src'))[0]);
    fs.mkdirSync(path.join(ws, 'flat'));
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(ws, 'flat', f));
    fs.cpSync(path.join(ROOT, 'media', 'demo-model'), path.join(ws, 'models', 'demo'), { recursive: true });
  },
  workspaceSettings: BASE_SETTINGS,
});
const page = (): Page => session.page();
const wb = (): Workbench | undefined => session.workbench();
const server = (): CodeServer | undefined => session.codeServer();

async function writeSettings(extra: Record<string, unknown>): Promise<void> {
  fs.writeFileSync(path.join(session.ws, '.vscode', 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...extra }, null, 2));
  await sleep(scaledTimeout(3_000)); // the configuration service reloads settings.json from its file watcher (slower under load)
}

/** How many analyses the extension started (its output channel logs "Analyze <folder>" per run). */
function analyzeStarts(): number {
  return (server()?.extensionLogs(/Sparsity Lens\.log$/) ?? []).reduce((n, { text }) => n + text.split('\n').filter((l) => /\] Analyze \//.test(l)).length, 0);
}

const toast = (p: Page, text: RegExp | string) => p.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();

describe('Sparsity Lens run UI (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('a failed run clears its progress within 2 s, while its error is still shown; Cancel Analysis says nothing runs', async () => {
    await withDiagnostics('runui-failed', wb, server, async () => {
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
    await withDiagnostics('runui-one-panel', wb, server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const tabs = p.locator('.tabs-container .tab').filter({ hasText: 'stimuli' });
      const groups = p.locator('.editor-group-container');
      const waitReport = async (before: string[]): Promise<void> => {
        const deadline = Date.now() + RUN_TIMEOUT;
        while (!reportFilesUnder(session.ws).some((f) => !before.includes(f))) {
          const err = (await notificationTexts(p)).find((n) => /error|failed|cannot/i.test(n));
          if (err) throw new Error(`the run reported an error: ${err}`);
          if (Date.now() > deadline) throw new Error('no new report.sparsity.json');
          await sleep(1_000);
        }
        await toast(p, /report saved in/).waitFor({ state: 'visible', timeout: 30_000 });
      };
      let before = reportFilesUnder(session.ws);
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

      before = reportFilesUnder(session.ws);
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

  test('the report panel: no empty class column (decoder accuracy), one p-value format, "Skipped 1 file" links to and focuses the list', async () => {
    await withDiagnostics('runui-panel-details', wb, server, async () => {
      const p = page();
      // The panel of the previous test's run of "stimuli" (decoder accuracy: the folders are not model classes).
      const frame = await webviewShowing(p, '[data-testid="category-table"]', 30_000);
      const table = frame.locator('[data-testid="category-table"]');
      const headers = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
      assert.ok(headers.includes('accuracy'), `decoder accuracy is shown: ${JSON.stringify(headers)}`);
      // The demo model's classes are the generated folders' names, so the class column is there and filled
      // (unmapped folders have no column at all: test/core/report/tables.test.ts).
      const classAt = headers.indexOf('class');
      assert.ok(classAt > 0, `the folders map to the demo model's classes: a class column: ${JSON.stringify(headers)}`);
      const classCells = await table.locator(`tbody tr > :nth-child(${classAt + 1})`).allInnerTexts();
      assert.ok(classCells.length === 3 && classCells.every((c) => c.trim() !== '' && c.trim() !== '–'), `every category has its class: ${JSON.stringify(classCells)}`);
      const cells = await table.locator('tbody td, tbody th').allInnerTexts();
      assert.ok(cells.length > 0 && cells.every((c) => c.trim() !== ''), `every cell of the category table has a value: ${JSON.stringify(cells)}`);
      // p-values: one fixed-point format, never scientific, never wrapped over two lines
      const pCells = frame.locator('[data-testid="stats"] table tbody tr td:nth-child(3)');
      const pTexts = await pCells.allInnerTexts();
      assert.ok(pTexts.length > 0, 'the statistics tables have p cells');
      for (const t of pTexts) assert.match(t.trim(), /^(\d\.\d{3,4}|<\u00a00\.001|–)$/, `p cell "${t}"`);
      const wrapped = await pCells.evaluateAll((els) => els.filter((e) => e.getClientRects().length > 1 || e.scrollHeight > 1.8 * parseFloat(getComputedStyle(e).lineHeight || '16')).length);
      assert.equal(wrapped, 0, 'no p-value cell wraps');
      // the header's skipped count is a link to the list: it scrolls there and focuses it
      const link = frame.locator('[data-testid="header-skipped-link"]');
      assert.match((await link.innerText()).trim(), /^1 file$/);
      await frame.locator('[data-testid="report-header"]').scrollIntoViewIfNeeded();
      await link.click();
      const focused = await frame.locator('body').evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? document.activeElement?.tagName ?? '');
      assert.equal(focused, 'skipped-list', 'the skipped list has the focus after the link');
      const inView = await frame.locator('[data-testid="skipped-list"]').evaluate((e) => {
        const r = e.getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight;
      });
      assert.ok(inView, 'the skipped list is scrolled into view');
      assert.match((await frame.locator('[data-testid="skipped-list"]').innerText()), new RegExp(CORRUPT));
      await screenshot(p, 'runui-4-skipped-link');
    });
  });

  test('Analysis Options… (Command Palette and panel) validates through the settings table and writes the Workspace setting', async () => {
    await withDiagnostics('runui-options', wb, server, async () => {
      const p = page();
      await clearNotifications(p);
      await runCommand(p, 'Sparsity Lens: Analysis Options…');
      let pick = await quickInput(p, 'Analysis Options');
      const rows = (await pick.locator('.monaco-list-row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
      assert.equal(rows.length, 3, `three options: ${JSON.stringify(rows)}`);
      assert.match(rows[0], /^Images per category.*sparsityLens\.imagesPerCategory/);
      await pick.locator('input').first().fill('Images per category');
      await p.keyboard.press('Enter');
      const box = await quickInput(p, /Images per category \(sparsityLens\.imagesPerCategory\)/);
      const input = box.locator('input').first();
      await input.fill('0');
      const message = box.locator('.quick-input-message');
      await message.filter({ hasText: /sparsityLens\.imagesPerCategory must be "all" or a whole number from 1/ }).waitFor({ state: 'visible', timeout: scaledTimeout(10_000) });
      await p.keyboard.press('Enter'); // refused: the box stays
      await sleep(500);
      assert.ok(await box.isVisible(), 'an invalid value is not accepted');
      await input.fill('3');
      await p.keyboard.press('Enter');
      assert.equal(await waitForWorkspaceSetting(session.ws, 'sparsityLens.imagesPerCategory', 3), 3, 'sparsityLens.imagesPerCategory = 3 in .vscode/settings.json');
      // the list comes back with the new value
      pick = await quickInput(p, 'Analysis Options');
      await pick.locator('.monaco-list-row').filter({ hasText: /Images per category.*3 \(workspace settings\)/ }).first().waitFor({ timeout: scaledTimeout(10_000) });
      await pick.locator('input').first().fill('Preprocessing std');
      await p.keyboard.press('Enter');
      const std = await quickInput(p, /Preprocessing std/);
      await std.locator('input').first().fill('0.25 0.25 0.25');
      await p.keyboard.press('Enter');
      assert.deepEqual(await waitForWorkspaceSetting(session.ws, 'sparsityLens.preprocessing.std', [0.25, 0.25, 0.25]), [0.25, 0.25, 0.25]);
      await quickInput(p, 'Analysis Options');
      await p.keyboard.press('Escape');
      await screenshot(p, 'runui-5-options');
      // the panel offers the same command
      const frame = await webviewShowing(p, '[data-testid="analysis-options"]', 30_000);
      await frame.locator('[data-testid="analysis-options"]').click();
      await quickInput(p, 'Analysis Options');
      await p.keyboard.press('Escape');
      await writeSettings({});
    });
  });

  test('a live run says "partial: n of N categories"; a second Analyze of the folder defaults to Keep Previous', async () => {
    await withDiagnostics('runui-live', wb, server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      await writeSettings({ 'sparsityLens.controls.permutedWeights': 10, 'sparsityLens.batchSize': 1 });
      const starts = analyzeStarts();
      await explorerContextMenu(p, 'stimuli-long', 'Analyze Sparsity', 30_000);
      const frame = await webviewShowing(p, '[data-testid="report-completeness"]', 120_000);
      const badge = frame.locator('[data-testid="report-completeness"]');
      const text = (await badge.innerText()).trim();
      assert.match(text, new RegExp(`^partial: [2-${LARGE.categories - 1}] of ${LARGE.categories} categories$`), `the live badge: "${text}"`);
      const statsNote = (await frame.locator('[data-testid="stats-partial"]').innerText()).trim();
      assert.match(statsNote, new RegExp(`on the [2-${LARGE.categories - 1}] of ${LARGE.categories} categories finished so far`), `the statistics say it too: "${statsNote}"`);
      await screenshot(p, 'runui-6-partial');
      // A second Analyze of the running folder: the modal's default (Enter) is the harmless choice.
      await explorerContextMenu(p, 'stimuli-long', 'Analyze Sparsity', 30_000);
      const dialog = p.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: scaledTimeout(15_000) });
      assert.match((await dialog.innerText()).replace(/\s+/g, ' '), /already analysing "stimuli-long"/);
      const focused = await p.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? '');
      assert.equal(focused, 'Keep Previous', 'the focused (default) button of the dialog');
      await p.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      await sleep(2_000);
      assert.equal(analyzeStarts(), starts + 1, 'Enter kept the previous run: no second run started, none cancelled');
      assert.equal(await frame.locator('[data-testid="run-status"]').getAttribute('data-status'), 'running', 'the running analysis was not cancelled');
      // clean up: cancel the long run from its panel
      await frame.locator('[data-testid="cancel-run"]').click();
      await frame.locator('[data-testid="run-status"]').filter({ hasText: /cancel/i }).first().waitFor({ state: 'visible', timeout: scaledTimeout(60_000) });
      await writeSettings({});
    });
  });

  test('Open Settings on a missing model file opens the Workspace settings, where the wrong path is', async () => {
    await withDiagnostics('runui-settings-scope', wb, server, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      fs.writeFileSync(path.join(session.ws, '.vscode', 'settings.json'), JSON.stringify({ 'sparsityLens.model': 'models/missing/model.json' }, null, 2));
      await sleep(scaledTimeout(3_000)); // the configuration service reloads settings.json from its file watcher (slower under load)
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
