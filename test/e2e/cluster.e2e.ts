/**
 * "Sparsity Lens: Analyze on Cluster..." in a real VS Code (issue 13) against a real SLURM
 * (scripts/slurm-local.sh start: slurm-wlm + munge, root): right-click the image folder → the
 * shards and partition inputs → submit → the status bar follows the shards → the merged report
 * opens in the report panel; the answers are kept in the workspace settings.
 *
 * The workspace is under test-output/, or the home folder when the checkout is under a temp folder
 * (submit refuses node-local paths).
 * Run: node --import tsx --test test/e2e/cluster.e2e.ts (code-server via scripts/e2e-setup.sh).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { CHECKOUT_IS_NODE_LOCAL } from '../helpers/cluster';
import { buildClosedFormOnnx, writeStimuli } from '../helpers/tinyModels';
import { ROOT, explorerContextMenu, log, screenshot, timed, webview, withDiagnostics, workbenchSession } from './harness';

const LOCAL_SLURM = path.join(ROOT, 'scripts', 'slurm-local.sh');
let ws = '';
// The workspace (model, images) and the installed extension must be where compute nodes can
// read them: test-output/ unless the checkout itself is under a temp folder (a CI clone in
// /tmp), then the home folder. The extension host does not see the test's environment
// override (SPARSITY_LENS_NODE_LOCAL_OK), and it should not need it.
const session = workbenchSession({
  name: 'cluster',
  parent: CHECKOUT_IS_NODE_LOCAL ? path.join(os.homedir(), '.cache', 'sparsity-lens-e2e') : path.join(ROOT, 'test-output'),
  tempPrefix: 'e2e-cluster-',
  async prepare(dir) {
    ws = dir;
    await writeStimuli(path.join(ws, 'colours'));
    const model = buildClosedFormOnnx(path.join(ws, 'tiny.onnx'));
    fs.writeFileSync(
      path.join(ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'sparsityLens.model': model, 'sparsityLens.accuracy': 'none', 'sparsityLens.controls.permutations': 0, 'sparsityLens.controls.noNonlinearity': false }, null, 2),
    );
  },
});
const page = (): Page => session.page();
let slurmError: Error | undefined;

async function answer(p: Page, title: string, value: string | undefined): Promise<void> {
  const widget = p.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 60_000 });
  const input = widget.locator('input.input');
  if (value !== undefined) await input.fill(value);
  await input.press('Enter');
}

describe('Analyze on Cluster in VS Code (code-server + local SLURM)', () => {
  before(async () => {
    const start = spawnSync(LOCAL_SLURM, ['start'], { encoding: 'utf8', timeout: 60_000 });
    if (start.status !== 0) {
      slurmError = new Error(`scripts/slurm-local.sh start failed:\n${start.stdout}${start.stderr}`);
      return;
    }
    await session.start();
  });

  after(async () => {
    await session.stop();
    spawnSync(LOCAL_SLURM, ['stop'], { encoding: 'utf8', timeout: 60_000 });
  });

  test('right-click a folder → Analyze on Cluster... → 2 shards → status bar → the merged report opens', async () => {
    await withDiagnostics('cluster', session.workbench, session.codeServer, async () => {
      if (slurmError) throw slurmError;
      const p = page();
      await timed('right-click → Analyze on Cluster...', () => explorerContextMenu(p, 'colours', 'Analyze on Cluster...', 90_000));
      await answer(p, 'Analyze on Cluster (1/2): shards', '2');
      await answer(p, 'Analyze on Cluster (2/2): partition', undefined);
      const bar = p.locator('.statusbar-item', { hasText: /Sparsity colours-[A-Za-z0-9_.-]*-cluster-/ });
      await timed('status bar item', () => bar.first().waitFor({ timeout: 90_000 }));
      log(`status bar: ${await bar.first().innerText()}`);
      await screenshot(p, 'cluster-1-status-bar');
      const frame = webview(p);
      await timed('merged report panel', () => frame.locator('[data-testid="report-header"]').waitFor({ timeout: 180_000 }));
      const header = (await frame.locator('[data-testid="report-header"]').innerText()).replace(/\s+/g, ' ');
      assert.match(header, /colours/);
      await screenshot(p, 'cluster-2-merged-report');
      const runs = fs.readdirSync(path.join(ws, '.sparsity-lens')).filter((d) => /^colours-[A-Za-z0-9_.-]+-cluster-/.test(d));
      assert.equal(runs.length, 1, `one cluster run folder: ${runs.join(', ')}`);
      const plan = JSON.parse(fs.readFileSync(path.join(ws, '.sparsity-lens', runs[0], 'cluster.json'), 'utf8'));
      assert.equal(plan.shards, 2);
      assert.equal(plan.submissions.length, 1);
      assert.ok(fs.existsSync(path.join(ws, '.sparsity-lens', runs[0], 'merged')), 'merged run folder');
      const settings = JSON.parse(fs.readFileSync(path.join(ws, '.vscode', 'settings.json'), 'utf8'));
      assert.equal(settings['sparsityLens.cluster.shards'], 2, 'shards remembered in the workspace settings');
      assert.equal(settings['sparsityLens.cluster.partition'], '');
    });
  });
});
