/** sha256 of a model as a whole: the .onnx file, or a TF.js model.json followed by its weight shards. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export function modelSha256(modelPath: string): string {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(modelPath));
  if (path.extname(modelPath).toLowerCase() === '.json') {
    try {
      const j = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
      for (const group of j.weightsManifest ?? []) {
        for (const p of group.paths) h.update(fs.readFileSync(path.join(path.dirname(modelPath), p)));
      }
    } catch {
      // The engine reports unreadable model files with a proper message.
    }
  }
  return h.digest('hex');
}
