/**
 * Picks the engine for a model file: `.onnx` → onnxruntime-node, `model.json` → TF.js.
 * Engines load lazily so that a user of one never pays for loading the other.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError, type Engine } from '../types';

export interface OpenEngineOptions {
  /** Intra-op threads for engines that take them (ONNX). */
  threads?: number;
}

export async function openEngine(modelPath: string, options: OpenEngineOptions = {}): Promise<Engine> {
  if (!fs.existsSync(modelPath)) {
    throw new UserError(`Model file ${modelPath} does not exist. Set the model path (--model or sparsityLens.model) to an .onnx file or a TF.js model.json.`, 'E_MODEL');
  }
  const ext = path.extname(modelPath).toLowerCase();
  if (ext === '.onnx') {
    const { openOnnxEngine } = await import('./onnx');
    return openOnnxEngine(modelPath, { threads: options.threads });
  }
  if (ext === '.json') {
    const { openTfjsEngine } = await import('./tfjs');
    return openTfjsEngine(modelPath);
  }
  throw new UserError(
    `Model ${modelPath} is neither an .onnx file nor a TF.js model.json. Export the model to ONNX (torch.onnx.export) or TF.js, or choose another file.`,
    'E_MODEL',
  );
}
