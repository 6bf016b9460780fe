/**
 * A run killed mid-way, as a crash or a closed window leaves it: the tiny closed-form model on the
 * standard stimuli, checkpointing after every batch, stopped by an error thrown at batch `killAt`.
 * For the resume tests (core and extension).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import type { AnalyzeRequest } from '../../src/core/analyzeTypes';
import { tempDir } from './tempDir';
import { buildClosedFormOnnx, writeStimuli } from './tinyModels';

export interface KilledRun {
  root: string;
  model: string;
  data: string;
  out: string;
  /** The killed run's folder (checkpoint in state/, no report). */
  runDir: string;
}

export async function killedRun(prefix: string, settings: AnalyzeRequest['settings'], killAt: number): Promise<KilledRun> {
  const root = tempDir(prefix);
  const model = buildClosedFormOnnx(path.join(root, 'tiny.onnx'));
  const data = path.join(root, 'data');
  await writeStimuli(data);
  const out = path.join(root, 'out');
  let batches = 0;
  await assert.rejects(
    analyze({ datasetPath: data, modelPath: model, outputRoot: out, settings, html: false, checkpointSeconds: 0 }, { onProgress: (e) => { if (e.phase === 'run' && ++batches === killAt) throw new Error('kill'); } }),
    /kill/,
  );
  return { root, model, data, out, runDir: path.join(out, fs.readdirSync(out)[0]) };
}
