/**
 * The product in a real VS Code: the packaged VSIX installed into code-server, a workspace of
 * generated image folders and the demo model named in workspace settings, then what a user does:
 * right-click a folder → Analyze Sparsity → the report panel; change a setting and rerun; cancel
 * a run; reopen a saved report from the Explorer.
 *
 * Run: npm run test:e2e (installs code-server on first use via scripts/e2e-setup.sh).
 * Screenshots and logs: test-output/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FrameLocator, Page } from 'playwright-core';
import {
  OUT, ROOT, clearNotifications, closeAllEditors, explorerContextMenu, explorerRow, log, notificationTexts, reportFilesUnder, scaledTimeout, screenshot,
  sleep, timed, webview, withDiagnostics, workbenchSession,
} from './harness';

// ---------------------------------------------------------------- the dataset
const CATEGORIES = 4;
const PER_CATEGORY = 6;
const CORRUPT = 'zz-corrupt.jpg'; // sorts last: with "the first N by name" it is used only when N > PER_CATEGORY
const RUN1_IMAGES_PER_CATEGORY = 10; // > PER_CATEGORY + 1: every image, the corrupt one included
const RUN2_IMAGES_PER_CATEGORY = 3;
const LARGE_PER_CATEGORY = 60; // the run that is cancelled (with 30 permuted-weight controls)
const OUTPUT_FOLDER = '.sparsity-lens'; // the setting's default, relative to the workspace folder

// generous but bounded waits
const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS ?? 6 * 60_000);
const PANEL_TIMEOUT = 60_000;

let ws = '';
let settingsFile = '';
let categoryNames: string[] = [];

const session = workbenchSession({
  name: 'analyze',
  tempPrefix: 'sl-e2e-',
  async prepare(dir) {
    ws = dir;
    settingsFile = path.join(ws, '.vscode', 'settings.json');
    await timed('generate stimuli', () => generateDatasets());
    copyDemoModel();
    writeWorkspaceSettings({});
  },
});
const page = (): Page => session.page();

function writeWorkspaceSettings(extra: Record<string, unknown>): void {
  const settings = {
    'sparsityLens.model': 'models/demo/model.json',
    'sparsityLens.imagesPerCategory': RUN1_IMAGES_PER_CATEGORY,
    'sparsityLens.controls.permutedWeights': 1,
    'sparsityLens.folds': 2,
    ...extra,
  };
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');
}

/** Every saved report under the workspace (the output folder and anywhere else). */
function reportFiles(): string[] {
  return reportFilesUnder(ws);
}
function runFolders(): string[] {
  const out = path.join(ws, OUTPUT_FOLDER);
  return fs.existsSync(out) ? fs.readdirSync(out).sort() : [];
}

/** How many analyses the extension started (its output channel logs "Analyze <folder>" per run). */
function analyzeStarts(): number {
  const server = session.codeServer();
  if (!server) return 0;
  return server
    .extensionLogs(/Sparsity Lens\.log$/)
    .reduce((n, { text }) => n + text.split('\n').filter((l) => /\] Analyze \//.test(l)).length, 0);
}
async function expectStarts(expected: number, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (analyzeStarts() < expected && Date.now() < deadline) await sleep(250);
  assert.equal(analyzeStarts(), expected, `${what}: the output channel "Sparsity Lens" should log exactly ${expected} "Analyze" run(s) so far`);
}

interface ReportJson {
  dataset: { imagesUsed: number; categoriesUsed: number; imagesFound: number };
  passes: { id: string; layers: { name: string }[] }[];
  skipped: { file: string; reason: string }[];
  settings: { imagesPerCategory: number | 'all' };
}
function readReport(file: string): ReportJson {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
function layerNames(r: ReportJson): string[] {
  return r.passes[0].layers.map((l) => l.name);
}

async function generateDatasets(): Promise<void> {
  const gen = path.join(ROOT, 'scripts', 'demo-stimuli.ts');
  if (!fs.existsSync(gen)) throw new Error('scripts/demo-stimuli.ts (generateStimuli) is missing: the demo stimuli generator has not landed');
  const mod = (await import(pathToFileURL(gen).href)) as { generateStimuli?: (dir: string, o: Record<string, unknown>) => Promise<unknown> };
  if (typeof mod.generateStimuli !== 'function') throw new Error('scripts/demo-stimuli.ts does not export generateStimuli(dir, options)');
  const small = path.join(ws, 'stimuli');
  await mod.generateStimuli(small, { categories: CATEGORIES, perCategory: PER_CATEGORY, size: 64, seed: 11 });
  categoryNames = fs.readdirSync(small, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  assert.equal(categoryNames.length, CATEGORIES, `generateStimuli made ${categoryNames.length} category folders, expected ${CATEGORIES}`);
  for (const c of categoryNames) {
    const n = fs.readdirSync(path.join(small, c)).length;
    assert.equal(n, PER_CATEGORY, `generateStimuli made ${n} files in ${c}, expected ${PER_CATEGORY}`);
  }
  // a truncated JPEG: starts like one, ends after a few bytes
  fs.writeFileSync(path.join(small, categoryNames[0], CORRUPT), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x02, 0x03]));
  await mod.generateStimuli(path.join(ws, 'stimuli-large'), { categories: CATEGORIES, perCategory: LARGE_PER_CATEGORY, size: 64, seed: 12 });
}

function copyDemoModel(): void {
  // E2E_MODEL_DIR: another TF.js model folder (model.json + weights), for trying the harness
  const src = process.env.E2E_MODEL_DIR ? path.resolve(process.env.E2E_MODEL_DIR) : path.join(ROOT, 'media', 'demo-model');
  if (!fs.existsSync(path.join(src, 'model.json'))) throw new Error(`${path.relative(ROOT, src)}/model.json is missing: the demo TF.js model has not landed`);
  fs.cpSync(src, path.join(ws, 'models', 'demo'), { recursive: true });
}

// ---------------------------------------------------------------- the report panel
const T = {
  header: '[data-testid="report-header"]',
  images: '[data-testid="header-images"]',
  categories: '[data-testid="header-categories"]',
  psiChart: '[data-testid="chart-psi-by-layer"]',
  categoryTable: '[data-testid="category-table"]',
  skipped: '[data-testid="skipped-list"]',
  skippedCount: '[data-testid="header-skipped"]',
};

async function waitForPanel(p: Page, timeout: number): Promise<FrameLocator> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const f = webview(p);
    try {
      await f.locator(T.header).waitFor({ state: 'visible', timeout: 5_000 });
      return f;
    } catch {
      const notes = await notificationTexts(p);
      const err = notes.find((n) => /error|failed|cannot|could not|invalid/i.test(n) && !/cancel/i.test(n));
      if (err) throw new Error(`the analysis reported an error instead of a report: ${err}`);
      if (Date.now() > deadline) throw new Error(`no report panel (${T.header}) within ${timeout / 1000} s; notifications: ${JSON.stringify(notes)}`);
    }
  }
}

/** Waits for the complete report (a live panel may show partial results first). */
async function waitForCompleteReport(p: Page, before: string[]): Promise<{ frame: FrameLocator; report: string }> {
  const deadline = Date.now() + RUN_TIMEOUT;
  let report: string | undefined;
  while (!report) {
    report = reportFiles().find((f) => !before.includes(f));
    if (report) break;
    const notes = await notificationTexts(p);
    const err = notes.find((n) => /error|failed|cannot|could not|invalid/i.test(n) && !/cancel/i.test(n));
    if (err) throw new Error(`the analysis reported an error: ${err}`);
    if (Date.now() > deadline) throw new Error(`no new report.sparsity.json within ${RUN_TIMEOUT / 1000} s; notifications: ${JSON.stringify(notes)}`);
    await sleep(1_000);
  }
  const frame = await waitForPanel(p, PANEL_TIMEOUT);
  return { frame, report };
}

/** The numbers shown in an element's text. */
async function numbersIn(frame: FrameLocator, selector: string): Promise<number[]> {
  const text = (await frame.locator(selector).first().innerText({ timeout: 10_000 })).replace(/[,\u202f\u00a0](?=\d{3})/g, '');
  return (text.match(/\d+(\.\d+)?/g) ?? []).map(Number);
}

async function expectHeaderCount(frame: FrameLocator, selector: string, expected: number, what: string): Promise<void> {
  // the shown text must contain the number; data-value (when present) must equal it
  const deadline = Date.now() + 15_000;
  let nums: number[] = [];
  let value: string | null = null;
  while (Date.now() < deadline) {
    nums = await numbersIn(frame, selector).catch(() => []);
    value = await frame.locator(selector).first().getAttribute('data-value').catch(() => null);
    if (nums.includes(expected) && (value === null || Number(value) === expected)) return;
    await sleep(500);
  }
  const text = await frame.locator(selector).first().innerText().catch((e) => `(unreadable: ${e})`);
  assert.fail(`header ${what} (${selector}) should show ${expected}, shows "${text}" (data-value ${value})`);
}

/**
 * The trained-median marks of the PSI-by-layer chart (webview/specs.ts hook: the SVG group
 * `trainedMedian_marks` holds one `path[role=graphics-symbol]` per layer, aria-label
 * `trained median PSI, layer <name>: <value>`). Returns the layer named by each mark, in order.
 */
async function psiChartLayerMarks(frame: FrameLocator): Promise<string[]> {
  const chart = frame.locator(T.psiChart).first();
  await chart.waitFor({ state: 'visible', timeout: 30_000 });
  const marks = chart.locator('svg .trainedMedian_marks [role="graphics-symbol"]');
  // vega renders asynchronously (and re-renders as partial results arrive)
  await marks.first().waitFor({ state: 'attached', timeout: 30_000 }).catch(async () => {
    const html = (await chart.innerHTML().catch(() => '')).slice(0, 600);
    throw new Error(`PSI-by-layer chart has no trained-median marks (svg .trainedMedian_marks [role=graphics-symbol]); chart HTML starts: ${html}`);
  });
  const labels = await marks.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  return labels.map((l) => l.match(/layer (.+): [^:]*$/)?.[1] ?? `(unlabelled: ${l})`);
}

async function expectOneMarkPerLayer(frame: FrameLocator, layers: string[]): Promise<void> {
  // the panel may still be drawing: give vega a few seconds to settle on the final report
  const deadline = Date.now() + 15_000;
  let got: string[] = [];
  for (;;) {
    got = await psiChartLayerMarks(frame);
    if (got.length === layers.length && layers.every((l) => got.includes(l))) return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  assert.fail(`PSI-by-layer chart should show one trained mark per layer: expected ${layers.length} (${layers.join(', ')}), found ${got.length} (${got.join(', ')})`);
}

// ---------------------------------------------------------------- the suite
describe('Sparsity Lens in VS Code (code-server)', () => {
  before(() => session.start());

  after(async () => {
    const wb = session.workbench();
    if (wb) fs.writeFileSync(path.join(OUT, 'analyze-extension-host.log'), wb.console.filter((l) => l.includes('[Extension Host]')).join('\n'));
    await session.stop();
  });

  test('right-click a folder → Analyze Sparsity → report panel with one PSI mark per layer and matching counts', async () => {
    await withDiagnostics('analyze', session.workbench, session.codeServer, async () => {
      const p = page();
      const before = reportFiles();
      const starts = analyzeStarts();
      await timed('right-click → Analyze Sparsity', () => explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 90_000));
      await sleep(1_500);
      await screenshot(p, 'analyze-1-after-right-click');
      const { frame, report } = await timed('analysis run 1 → report panel', () => waitForCompleteReport(p, before));
      const r = readReport(report);
      log(`report: ${path.relative(ws, report)}; layers ${layerNames(r).join(', ')}`);
      await expectStarts(starts + 1, 'one right-click, one run');

      // the saved report agrees with the generated dataset
      assert.equal(r.dataset.categoriesUsed, CATEGORIES, 'report categoriesUsed');
      assert.equal(r.dataset.imagesUsed, CATEGORIES * PER_CATEGORY, 'report imagesUsed (the corrupt file is not used)');
      assert.ok(r.skipped.some((s) => s.file.endsWith(CORRUPT)), `report lists ${CORRUPT} as skipped: ${JSON.stringify(r.skipped)}`);

      // the panel header shows the same counts
      await expectHeaderCount(frame, T.images, CATEGORIES * PER_CATEGORY, 'images');
      await expectHeaderCount(frame, T.categories, CATEGORIES, 'categories');
      await expectHeaderCount(frame, T.skippedCount, 1, 'skipped files');

      // the corrupt file is listed as skipped
      const skipped = frame.locator(T.skipped).first();
      await skipped.waitFor({ state: 'attached', timeout: 10_000 });
      const skippedText = await skipped.textContent();
      assert.ok(skippedText?.includes(CORRUPT), `skipped list should name ${CORRUPT}, shows: ${JSON.stringify(skippedText?.slice(0, 300))}`);

      // the category table has a row per category
      const tableText = (await frame.locator(T.categoryTable).first().textContent({ timeout: 10_000 })) ?? '';
      for (const c of categoryNames) assert.ok(tableText.includes(c), `category table should list ${c}`);

      // the PSI chart: one mark per layer
      const layers = layerNames(r);
      assert.ok(layers.length >= 2, `the demo model should have at least 2 analysed layers, report has ${layers.length}`);
      await expectOneMarkPerLayer(frame, layers);
      await frame.locator(T.psiChart).first().scrollIntoViewIfNeeded();
      await screenshot(p, 'analyze-2-report-panel');
    });
  });

  test('a changed setting is reflected when the analysis is run again', async () => {
    await withDiagnostics('rerun', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      writeWorkspaceSettings({ 'sparsityLens.imagesPerCategory': RUN2_IMAGES_PER_CATEGORY });
      await sleep(scaledTimeout(3_000)); // the configuration service reloads settings.json from its file watcher (slower under load)
      const before = reportFiles();
      const starts = analyzeStarts();
      await timed('right-click → Analyze Sparsity (rerun)', () => explorerContextMenu(p, 'stimuli', 'Analyze Sparsity', 30_000));
      const { frame, report } = await timed('analysis run 2 → report panel', () => waitForCompleteReport(p, before));
      const r = readReport(report);
      await expectStarts(starts + 1, 'one right-click, one run');
      assert.equal(r.settings.imagesPerCategory, RUN2_IMAGES_PER_CATEGORY, 'report settings.imagesPerCategory after the change');
      assert.equal(r.dataset.imagesUsed, CATEGORIES * RUN2_IMAGES_PER_CATEGORY, 'report imagesUsed after the change');
      await expectHeaderCount(frame, T.images, CATEGORIES * RUN2_IMAGES_PER_CATEGORY, 'images after the change');
      await expectHeaderCount(frame, T.skippedCount, 0, 'skipped files after the change');
      const skippedText = (await frame.locator(T.skipped).first().textContent().catch(() => '')) ?? '';
      assert.ok(!skippedText.includes(CORRUPT), `with ${RUN2_IMAGES_PER_CATEGORY} images per category the corrupt file is not used, yet the skipped list shows it`);
      await screenshot(p, 'analyze-3-rerun-panel');
    });
  });

  test('Cancel in the progress notification stops the run and leaves no report', async () => {
    await withDiagnostics('cancel', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      // a long run: every image, 30 permuted-weight controls, one image per batch
      writeWorkspaceSettings({ 'sparsityLens.imagesPerCategory': 'all', 'sparsityLens.controls.permutedWeights': 30, 'sparsityLens.batchSize': 1 });
      await sleep(scaledTimeout(3_000));
      const reportsBefore = reportFiles();
      const foldersBefore = runFolders();
      const starts = analyzeStarts();
      await timed('right-click → Analyze Sparsity (large)', () => explorerContextMenu(p, 'stimuli-large', 'Analyze Sparsity', 30_000));
      const tStart = Date.now();
      const toast = p.locator('.notifications-toasts .notification-toast').filter({ hasText: 'stimuli-large' }).filter({ has: p.getByRole('button', { name: 'Cancel' }) }).first();
      const finishedEarly = () => reportFiles().filter((f) => !reportsBefore.includes(f));
      // wait for the progress notification, then for it to report progress, then cancel
      let progressText = '';
      for (;;) {
        if (finishedEarly().length) assert.fail(`the large run finished before Cancel could be pressed (${((Date.now() - tStart) / 1000).toFixed(1)} s): make it larger`);
        if (await toast.isVisible().catch(() => false)) {
          progressText = (await toast.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
          // cancel once images are flowing through the passes (the message shows a rate), not while preparing
          if (/img\/s|images?\/s|ETA/i.test(progressText) || Date.now() - tStart > 45_000) break;
        }
        if (Date.now() - tStart > 60_000) throw new Error(`no progress notification with a Cancel button within 60 s; notifications: ${JSON.stringify(await notificationTexts(p))}`);
        await sleep(250);
      }
      log(`progress ${((Date.now() - tStart) / 1000).toFixed(1)} s after the start: "${progressText}"`);
      await expectStarts(starts + 1, 'one right-click, one run');
      await screenshot(p, 'analyze-4-progress');
      await toast.getByRole('button', { name: 'Cancel' }).click();
      const tCancel = Date.now();
      await toast.waitFor({ state: 'hidden', timeout: 60_000 }).catch(() => {
        throw new Error('the progress notification did not close within 60 s of Cancel');
      });
      log(`progress closed ${((Date.now() - tCancel) / 1000).toFixed(1)} s after Cancel`);
      // the extension says so
      const said = p.locator('.notifications-toasts .notification-toast, .notifications-center').filter({ hasText: /cancel/i }).first();
      await said.waitFor({ state: 'visible', timeout: 15_000 }).catch(async () => {
        throw new Error(`no notification saying the run was cancelled; notifications: ${JSON.stringify(await notificationTexts(p))}`);
      });
      // the run's panel says so too
      const status = webview(p).locator('[data-testid="run-status"]');
      await status.filter({ hasText: /cancel/i }).first().waitFor({ state: 'visible', timeout: 15_000 }).catch(async () => {
        throw new Error(`the run's panel does not show a cancelled status; it shows: ${JSON.stringify(await status.first().innerText().catch(() => '(no run-status)'))}`);
      });
      await sleep(5_000); // anything still writing would show up now
      await screenshot(p, 'analyze-5-cancelled');
      const newReports = reportFiles().filter((f) => !reportsBefore.includes(f));
      const newFolders = runFolders().filter((f) => !foldersBefore.includes(f));
      assert.deepEqual(newReports, [], 'a cancelled run must not write a report');
      assert.deepEqual(newFolders, [], `a cancelled run must leave no run folder in ${OUTPUT_FOLDER}`);
    });
  });

  test('a saved report.sparsity.json opened from the Explorer shows the report panel', async () => {
    await withDiagnostics('reopen', session.workbench, session.codeServer, async () => {
      const p = page();
      await closeAllEditors(p);
      await clearNotifications(p);
      const saved = reportFiles().filter((f) => f.startsWith(path.join(ws, OUTPUT_FOLDER) + path.sep));
      assert.ok(saved.length >= 1, `expected saved reports in ${OUTPUT_FOLDER}, found ${JSON.stringify(reportFiles())}`);
      const target = saved[0];
      const r = readReport(target);
      // expand the output folder, then the run folder, then open the report
      const parts = path.relative(ws, target).split(path.sep);
      for (const dir of parts.slice(0, -1)) {
        const row = explorerRow(p, dir);
        await row.waitFor({ timeout: 30_000 }).catch(() => {
          throw new Error(`Explorer shows no "${dir}" (on the way to ${parts.join('/')})`);
        });
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      }
      const fileRow = explorerRow(p, parts[parts.length - 1]).first();
      await fileRow.waitFor({ timeout: 30_000 });
      await fileRow.dblclick();
      const frame = await timed('reopen saved report → panel', () => waitForPanel(p, PANEL_TIMEOUT));
      await expectHeaderCount(frame, T.images, r.dataset.imagesUsed, 'images of the reopened report');
      await expectOneMarkPerLayer(frame, layerNames(r));
      await screenshot(p, 'analyze-6-reopened-report');
    });
  });
});
