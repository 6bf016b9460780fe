/**
 * Comparing runs in a real VS Code (issue 12): two run folders of the demo CNN (different seeds)
 * in the workspace; select both in the Explorer → Compare Reports… → the comparison panel shows
 * one line per run (a median mark per run and layer), the legend naming the models, the trend
 * table and the paired part; a saved comparison.sparsity.json opens in the comparison panel
 * (not the report panel, though `*.sparsity.json` matches both).
 *
 * Run: node --import tsx --test test/e2e/compare.e2e.ts (code-server via scripts/e2e-setup.sh).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { generateStimuli } from '../../scripts/demo-stimuli';
import { analyze } from '../../src/core/analyze';
import { compareRuns } from '../../src/core/compare/io';
import type { SparsityReport } from '../../src/core/report/schema';
import { ROOT, closeAllEditors, explorerRow, log, runCommand, screenshot, sleep, timed, webview, withDiagnostics, workbenchSession } from './harness';

const PANEL_TIMEOUT = 60_000;
const runs: { dir: string; report: SparsityReport }[] = [];
const session = workbenchSession({ name: 'compare', prepare: (ws, home) => makeRuns(ws, home) });
const page = (): Page => session.page();
const wb = session.workbench;
const server = session.codeServer;

async function makeRuns(ws: string, home: string): Promise<void> {
  const stimuli = path.join(home, 'shapes');
  await generateStimuli(stimuli, { categories: 4, perCategory: 5, size: 48, seed: 9 });
  for (const seed of [1, 2]) {
    const r = await analyze({
      datasetPath: stimuli,
      modelPath: path.join(ROOT, 'media', 'demo-model', 'model.json'),
      outputRoot: ws,
      html: false,
      checkpoint: false,
      settings: { seed, sampling: 'random', imagesPerCategory: 4, accuracy: 'none', controls: { permutations: 0, noNonlinearity: false } },
    });
    runs.push({ dir: r.runDir, report: r.report });
  }
  // A saved comparison in its own folder, for opening from the Explorer.
  await compareRuns(runs.map((r) => r.dir), path.join(ws, 'saved-comparison'), { html: false });
}

/** aria-labels of the comparison chart's median marks (`<run> <pass> median <index>, layer <name>: <v>`). */
async function medianMarks(frame: FrameLocator): Promise<string[]> {
  return frame.locator('[data-testid="chart-compare-depth"] g.runMedian_marks path[role="graphics-symbol"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

async function expectComparisonPanel(frame: FrameLocator): Promise<void> {
  await frame.locator('[data-testid="comparison-header"]').waitFor({ timeout: PANEL_TIMEOUT });
  const runItems = await frame.locator('[data-testid="runs"] li').allInnerTexts();
  assert.equal(runItems.length, 2, `two runs listed: ${JSON.stringify(runItems)}`);
  for (const t of runItems) assert.match(t, /demo-model\/model\.json on shapes/);
  // one median mark per run and layer
  const expected = runs.flatMap((r, i) => r.report.passes[0].layers.map((l) => `${'AB'[i]} trained median PSI, layer ${l.name}`));
  const deadline = Date.now() + 20_000;
  let got: string[] = [];
  for (;;) {
    got = await medianMarks(frame);
    if (got.length === expected.length) break;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  assert.equal(got.length, expected.length, `median marks: ${JSON.stringify(got)}`);
  for (const e of expected) assert.ok(got.some((g) => g.startsWith(e + ':')), `mark "${e}" in ${JSON.stringify(got)}`);
  // the marks say the reports' own medians
  const a0 = runs[0].report.passes[0].layers[0];
  assert.ok(got.some((g) => g === `A trained median PSI, layer ${a0.name}: ${a0.summary.median.toFixed(3)}`), `A ${a0.name} median ${a0.summary.median}`);
  // the legend names the models
  // (SVG has no innerText: the legend labels are <text> elements)
  const legend = await frame.locator('[data-testid="chart-compare-depth"] .role-legend text').allTextContents();
  assert.ok(legend.join(' ').includes('A · demo-model/model.json on shapes'), `legend: ${JSON.stringify(legend)}`);
  // trend table: one row per run, with the reports' layer counts
  const rows = await frame.locator('[data-testid="trend-table"] tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, `trend rows: ${JSON.stringify(rows)}`);
  // same categories: the paired part is there; seeds differ: listed at the top
  await frame.locator('[data-testid="card-paired-0"]').waitFor({ timeout: 10_000 });
  const diffs = (await frame.locator('[data-testid="differences-table"]').innerText()).replace(/\s+/g, ' ');
  assert.match(diffs, /seed 1 2 yes/);
}

/** The visible webview that shows a comparison (a report panel may be open beside it). */
async function comparisonFrame(p: Page): Promise<FrameLocator> {
  const deadline = Date.now() + PANEL_TIMEOUT;
  for (;;) {
    const frames = p.locator('iframe.webview.ready:visible');
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      const f = p.frameLocator('iframe.webview.ready:visible').nth(i).frameLocator('#active-frame');
      if ((await f.locator('[data-testid="comparison-header"]').count()) > 0) return f;
    }
    if (Date.now() > deadline) throw new Error(`no visible webview shows a comparison (${n} visible webviews)`);
    await sleep(500);
  }
}

const isSelected = async (p: Page, label: string) => (await explorerRow(p, label).getAttribute('aria-selected')) === 'true';

/**
 * Selects rows a and b (click, Ctrl+click), checks that both are selected, right-clicks b and
 * runs "Compare Reports…". The Explorer may re-render as a folder expands or the extension's
 * menus arrive, dropping the selection or the item: retried until the menu has the item.
 */
async function compareFromExplorer(p: Page, a: string, b: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (let attempt = 1; ; attempt++) {
    await explorerRow(p, a).click();
    await sleep(300);
    await explorerRow(p, b).click({ modifiers: ['Control'] });
    await sleep(300);
    if ((await isSelected(p, a)) && (await isSelected(p, b))) {
      await explorerRow(p, b).click({ button: 'right' });
      const item = p.getByRole('menuitem', { name: 'Compare Reports…', exact: true });
      if (await item.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false)) {
        await sleep(400);
        await item.click();
        if (attempt > 1) log(`Compare Reports… ran on attempt ${attempt}`);
        return;
      }
      await p.keyboard.press('Escape');
    }
    if (Date.now() > deadline) throw new Error(`could not select ${a} and ${b} and run Compare Reports… from the Explorer (${attempt} tries)`);
    await sleep(1_000);
  }
}

describe('Compare runs in VS Code (code-server)', () => {
  before(() => session.start());
  after(() => session.stop());

  test('select two run folders → Compare Reports… → one line per run, legend, trend table, paired part', async () => {
    await withDiagnostics('compare-explorer', wb, server, async () => {
      const p = page();
      const [a, b] = runs.map((r) => path.basename(r.dir));
      log(`run folders: ${a}, ${b}`);
      assert.match(a, /^shapes-demo-model-\d{8}-\d{6}/, 'run folders name dataset and model');
      await timed('select both → right-click → Compare Reports…', () => compareFromExplorer(p, a, b));
      const frame = webview(p);
      await timed('comparison panel', () => expectComparisonPanel(frame));
      await screenshot(p, 'compare-1-panel');
    });
  });

  test('from a report panel: Compare with… → pick the other run → comparison panel', async () => {
    await withDiagnostics('compare-with', wb, server, async () => {
      const p = page();
      await closeAllEditors(p);
      // Run A's report (its folder expanded if the first test did not leave it so): the report panel.
      const report = explorerRow(p, 'report.sparsity.json').first();
      if (!(await report.isVisible())) await explorerRow(p, path.basename(runs[0].dir)).click();
      await report.dblclick({ timeout: 30_000 });
      await webview(p).locator('[data-testid="report-header"]').waitFor({ timeout: PANEL_TIMEOUT });
      await runCommand(p, 'Sparsity Lens: Compare with…');
      const b = path.basename(runs[1].dir);
      const row = p.locator('.quick-input-widget .monaco-list-row').filter({ hasText: b }).first();
      await row.waitFor({ timeout: 20_000 });
      await row.click();
      await p.keyboard.press('Enter');
      const frame = await comparisonFrame(p);
      await timed('compare-with panel', () => expectComparisonPanel(frame));
      await screenshot(p, 'compare-3-compare-with');
    });
  });

  test('a saved comparison.sparsity.json opens in the comparison panel', async () => {
    await withDiagnostics('compare-saved', wb, server, async () => {
      const p = page();
      await closeAllEditors(p);
      await explorerRow(p, 'saved-comparison').click();
      await explorerRow(p, 'comparison.sparsity.json').dblclick({ timeout: 30_000 });
      const frame = webview(p);
      await timed('saved comparison panel', () => expectComparisonPanel(frame));
      assert.equal(await frame.locator('[data-testid="report-header"]').count(), 0, 'not the report panel');
      await screenshot(p, 'compare-2-saved');
    });
  });
});
