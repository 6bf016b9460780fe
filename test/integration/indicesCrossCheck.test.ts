/**
 * Issue 11 acceptance on a trained network: `sparsity-lens analyze` with the trained demo CNN
 * (media/demo-model/model.onnx) and a no-ReLU and permuted control writes every index per layer
 * per pass, each within 1e-6 (relative) of the independent numpy implementation
 * (test/fixtures/measures/crosscheck_run.py with measures_np.py) on the run's exported category
 * means; the no-ReLU pass's raw indices are flagged shifted. Needs Debian's python3-numpy/scipy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { SparsityReport } from '../../src/core/report/schema';
import { INDEX_IDS } from '../../src/core/measures/registry';
import { tempDir } from '../helpers/tempDir';
import { generateStimuli } from '../../scripts/demo-stimuli';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';

const execFileP = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

test('every index of a trained network equals numpy on its exported category means', { timeout: 300_000 }, async () => {
  requireIntegrationPrerequisites();
  const dir = tempDir('indices-xcheck-');
  await generateStimuli(path.join(dir, 'stim'), { perCategory: 8, seed: 2020 });
  const out = path.join(dir, 'out');
  await execFileP(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'analyze', path.join(dir, 'stim'), '--model', path.join(ROOT, 'media', 'demo-model', 'model.onnx'), '--permutations', '1', '--out', out, '--no-html'], { cwd: ROOT, maxBuffer: 64 << 20 });
  const runDir = path.join(out, fs.readdirSync(out)[0]);
  const report: SparsityReport = JSON.parse(fs.readFileSync(path.join(runDir, 'report.sparsity.json'), 'utf8'));
  for (const p of report.passes) for (const l of p.layers) assert.deepEqual(Object.keys(l.indices), INDEX_IDS, `${p.id} ${l.name}`);
  assert.ok(report.passes.find((p) => p.kind === 'norelu')!.layers.some((l) => l.indices['psi:raw'].shifted), 'no-ReLU responses are shifted');
  for (const f of ['indices.csv', 'index_summary.csv', 'diagnostics.csv']) assert.ok(fs.existsSync(path.join(runDir, f)), f);
  const { stdout } = await execFileP(PYTHON, [path.join(ROOT, 'test', 'fixtures', 'measures', 'crosscheck_run.py'), runDir, '1e-6']);
  assert.match(stdout, /every index within 1e-06 of numpy/);
  for (const id of INDEX_IDS.filter((i) => i !== 'active')) assert.match(stdout, new RegExp(`^${id.replace(/[:]/g, ':')}\\s+worst`, 'm'), id);
});
