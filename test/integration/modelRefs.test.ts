/**
 * The analysis worker (src/extension/analysisWorker.ts, forked for real) given a torchvision
 * reference and a Python without torch: a virtual environment made from Debian's /usr/bin/python3
 * without system packages, so it has no torch on any machine. The job fails with E_NO_TORCH and
 * the exact install command for that Python. The other model-reference tests (no Python) are
 * test/extension/modelRefs.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { ModelCache, parseModelRef, pipInstallCommand } from '../../src/core/models';
import { installCommandFromError } from '../../src/extension/models/errors';
import { buildAnalyzeRequest, validateSettings, type ExtensionSettings } from '../../src/extension/settings';
import { startAnalyze, WorkerError, type WorkerSpawnOptions } from '../../src/extension/workerClient';
import type { ModelResolveSpec } from '../../src/extension/workerProtocol';
import { writeStimuli } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';
import { PYTHON, requireIntegrationPrerequisites } from './prerequisites';

const tmp = tempDir;
const WORKER = path.join(__dirname, '..', '..', 'src', 'extension', 'analysisWorker.ts');
const workerOpts = (o: Partial<WorkerSpawnOptions> = {}): WorkerSpawnOptions => ({ script: WORKER, execArgv: ['--import', 'tsx'], killAfterMs: 20_000, ...o });

function settingsOf(raw: Record<string, unknown>): ExtensionSettings {
  const r = validateSettings(raw);
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.problems));
  return (r as { settings: ExtensionSettings }).settings;
}

describe('analysis worker: model references through Python', () => {
  let dataset = '';

  before(async () => {
    requireIntegrationPrerequisites();
    dataset = path.join(tmp('sl-wref-src-'), 'data');
    await writeStimuli(dataset);
  });

  // As in test/extension/modelRefs.test.ts: an analysis job for a model reference, no controls.
  function job(spec: Omit<ModelResolveSpec, 'ref'> & { ref: string }, out: string) {
    const s = settingsOf({ model: spec.ref, accuracy: 'none', 'controls.permutedWeights': 0, 'controls.noNonlinearity': false });
    const request = buildAnalyzeRequest(s, { datasetPath: dataset, modelPath: '', outputRoot: out, modelSource: spec.ref });
    request.html = false;
    const logs: string[] = [];
    const j = startAnalyze(workerOpts(), request, { onLog: (l) => logs.push(l) }, { ...spec, ref: parseModelRef(spec.ref) });
    return { j, logs };
  }

  const cacheLeftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.tmp-')) : []);

  it('torchvision with a Python that lacks torch: E_NO_TORCH with the exact install command', async () => {
    const v = spawnSync(PYTHON, ['-c', 'import sys; print(sys.version_info >= (3, 8))'], { encoding: 'utf8' });
    assert.equal(v.stdout.trim(), 'True', `${PYTHON} must be Python 3.8+`);
    const venv = path.join(tmp('sl-wref-venv-'), 'py');
    execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv]);
    const python = path.join(venv, 'bin', 'python');
    const cacheDir = path.join(tmp('sl-wref-cache-'), 'models');
    const { j, logs } = job({ ref: 'torchvision:alexnet:random', cacheDir, pythonPath: python }, tmp('sl-wref-out-'));
    let err: WorkerError | undefined;
    await assert.rejects(j.done, (e: unknown) => {
      err = e as WorkerError;
      return e instanceof WorkerError && e.isUserError && e.code === 'E_NO_TORCH';
    });
    assert.equal(installCommandFromError(err!.message), pipInstallCommand({ display: python }));
    assert.equal(installCommandFromError(err!.message), `${python} -m pip install torch torchvision`);
    assert.ok(logs.some((l) => l.startsWith('[model] Running ')), logs.join('\n'));
    assert.deepEqual(new ModelCache(cacheDir).list(), []);
    assert.deepEqual(cacheLeftovers(cacheDir), []);
  });
});
