/**
 * What a run folder is called (issue 12): `<dataset>-<model>-<time>`, so a list of run folders
 * says what each run is. Pure; analyze.ts adds the time stamp.
 */
import * as path from 'path';

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+|[._]+$/g, '') || 'model';
}

/**
 * The model part of a run folder name: the torchvision architecture (`alexnet`, `resnet18-random`)
 * or catalog id when the model came from one, else the file name without extension; a TF.js
 * `model.json` is named by its folder (`demo-model`), as `model` alone says nothing.
 */
export function modelFolderPart(modelPath: string, modelSource?: string): string {
  const tv = modelSource?.match(/^torchvision:([^:]+)(:random(?::(\d+))?)?/);
  if (tv) return safe(`${tv[1]}${tv[2] ? `-random${tv[3] ? tv[3] : ''}` : ''}`);
  const cat = modelSource?.match(/^catalog:(.+)$/);
  if (cat) return safe(cat[1]);
  const base = path.basename(modelPath);
  if (/^model\.json$/i.test(base)) return safe(path.basename(path.dirname(path.resolve(modelPath))));
  return safe(base.replace(/\.(onnx|json)$/i, ''));
}

/** `<dataset>-<model>` (the time stamp follows). */
export function runFolderBase(datasetPath: string, modelPath: string, modelSource?: string): string {
  const dataset = path.basename(path.resolve(datasetPath)).replace(/[^A-Za-z0-9_.-]+/g, '_');
  return `${dataset}-${modelFolderPart(modelPath, modelSource)}`;
}
