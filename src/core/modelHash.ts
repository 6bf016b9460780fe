/**
 * The sha256 of a model, as reports and the model cache record it: of the .onnx file, or of a
 * TF.js model.json followed by its weight shards in manifest order. Streamed, so a 500 MB model
 * is never held in memory just to be hashed.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** sha256 of several files read one after the other; rejects with Error('aborted') on abort. */
export async function sha256OfFiles(files: string[], signal?: AbortSignal): Promise<string> {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    const stream = fs.createReadStream(f, { highWaterMark: 1 << 20 });
    for await (const chunk of stream) {
      if (signal?.aborted) {
        stream.destroy();
        throw new Error('aborted');
      }
      h.update(chunk as Buffer);
    }
  }
  return h.digest('hex');
}

/** The files that make up a model, in hashing order. */
export function modelFiles(modelPath: string): string[] {
  const files = [modelPath];
  if (path.extname(modelPath).toLowerCase() === '.json') {
    try {
      const j = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
      for (const group of j.weightsManifest ?? []) for (const p of group.paths) files.push(path.join(path.dirname(modelPath), p));
    } catch {
      // The engine reports unreadable model files with a proper message.
    }
  }
  return files;
}

export function modelSha256(modelPath: string): Promise<string> {
  return sha256OfFiles(modelFiles(modelPath));
}
