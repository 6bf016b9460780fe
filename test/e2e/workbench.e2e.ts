/**
 * Harness smoke test: the offline VS Code (code-server + chromium) starts, shows the workspace
 * in the Explorer and opens the Explorer context menu. Independent of the extension, so a
 * broken environment is told apart from a broken extension.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeServer, ensureCodeServer, explorerRow, log, runCommand, mkTemp, openWorkbench, printTimings, screenshot, timed, withDiagnostics, type Workbench } from './harness';

let server: CodeServer | undefined;
let wb: Workbench | undefined;
let home = '';

let setupError: Error | undefined;
before(async () => {
  // a failing before hook shows as a cancelled test: record it and fail the test with it
  try {
    await setup();
  } catch (e) {
    setupError = e as Error;
  }
});

async function setup(): Promise<void> {
  const bin = await timed('e2e-setup (code-server, chromium)', () => ensureCodeServer());
  home = mkTemp('sl-e2e-smoke-');
  const ws = path.join(home, 'workspace');
  fs.mkdirSync(path.join(ws, 'images', 'cats'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'notes.txt'), 'hello\n');
  server = new CodeServer({ bin, home, workspace: ws, name: 'smoke' });
  await timed('code-server start (smoke)', () => server!.start());
}

after(async () => {
  await wb?.close();
  await server?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
  printTimings();
});

test('workbench loads offline and the Explorer context menu opens', async () => {
  await withDiagnostics('smoke', () => wb, () => server, async () => {
    if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
    wb = await timed('workbench load (smoke)', () => openWorkbench(server!, 'smoke'));
    const { page } = wb;
    await explorerRow(page, 'images').waitFor({ timeout: 30_000 });
    await explorerRow(page, 'notes.txt').waitFor({ timeout: 30_000 });
    await explorerRow(page, 'images').click({ button: 'right' });
    const items = page.getByRole('menuitem');
    await items.first().waitFor({ timeout: 15_000 });
    const labels = (await items.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean);
    log(`context menu: ${labels.join(' | ')}`);
    assert.ok(labels.some((l) => /New File/.test(l)), `expected "New File…" in the Explorer context menu, got ${JSON.stringify(labels)}`);
    await screenshot(page, 'smoke-workbench');
    await page.keyboard.press('Escape');
    // the Command Palette helper: open a file, then close all editors
    await explorerRow(page, 'notes.txt').dblclick();
    const tab = page.locator('.tabs-container .tab', { hasText: 'notes.txt' });
    await tab.waitFor({ timeout: 15_000 });
    await runCommand(page, 'View: Close All Editors');
    await tab.waitFor({ state: 'detached', timeout: 15_000 });
  });
});
