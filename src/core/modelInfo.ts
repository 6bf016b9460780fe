/** `sparsity-lens layers` and "Show Layers of Model": what can be tapped, and what is by default. */
import { openEngine } from './engines';
import type { LayerInfo, ModelFormat } from './types';

export interface ModelLayers {
  format: ModelFormat;
  backend: string;
  inputSize: { width: number; height: number } | null;
  layers: LayerInfo[];
  defaultTaps: string[];
}

export async function listModelLayers(modelPath: string): Promise<ModelLayers> {
  const engine = await openEngine(modelPath);
  try {
    return {
      format: engine.format,
      backend: engine.backend,
      inputSize: engine.inputSize,
      layers: engine.layers(),
      defaultTaps: engine.defaultTaps(),
    };
  } finally {
    await engine.dispose();
  }
}
