/**
 * File-system IO for TF.js models without @tensorflow/tfjs-node (which owns the `file://`
 * scheme and is usually absent): a loader that reads model.json and its weight shards from
 * disk, and a saver that writes them. Both LayersModel and GraphModel JSON are handled.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as tfTypes from '@tensorflow/tfjs';
import { UserError } from '../types';

type io = typeof tfTypes.io;
type ModelArtifacts = tfTypes.io.ModelArtifacts;
type WeightsManifestConfig = tfTypes.io.WeightsManifestConfig;

/** The parsed model.json of a TF.js model (format 'layers-model' or 'graph-model'). */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightsManifestConfig;
  signature?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: Record<string, unknown>;
  initializerSignature?: Record<string, unknown>;
  trainingConfig?: Record<string, unknown>;
}

export type TfjsModelKind = 'layers' | 'graph';

/** Read and validate model.json. Errors name the file and the fix. */
export function readModelJson(modelJsonPath: string): TfjsModelJson {
  let text: string;
  try {
    text = fs.readFileSync(modelJsonPath, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read TF.js model file ${modelJsonPath}: ${(e as Error).message}. Point the model setting at a model.json.`, 'E_MODEL_READ');
  }
  let json: TfjsModelJson;
  try {
    json = JSON.parse(text) as TfjsModelJson;
  } catch (e) {
    throw new UserError(`${modelJsonPath} is not valid JSON (${(e as Error).message}); a TF.js model.json is expected.`, 'E_MODEL_FORMAT');
  }
  if (json == null || typeof json !== 'object' || json.modelTopology == null || typeof json.modelTopology !== 'object') {
    throw new UserError(`${modelJsonPath} has no 'modelTopology'; it is not a TF.js model.json (convert Keras/SavedModel models with tensorflowjs_converter).`, 'E_MODEL_FORMAT');
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new UserError(`${modelJsonPath} has no 'weightsManifest'; TF.js model.json files list their weight shards there.`, 'E_MODEL_FORMAT');
  }
  return json;
}

/** LayersModel or GraphModel, from `format` or, when absent, from the topology's shape. */
export function detectModelKind(json: TfjsModelJson): TfjsModelKind {
  const fmt = (json.format ?? '').toLowerCase();
  if (fmt === 'layers-model') return 'layers';
  if (fmt === 'graph-model') return 'graph';
  const topo = json.modelTopology as Record<string, unknown>;
  if (Array.isArray(topo.node)) return 'graph';
  if (topo.class_name !== undefined || topo.model_config !== undefined || topo.config !== undefined) return 'layers';
  throw new UserError(`Cannot tell whether this model.json is a LayersModel or a GraphModel (format '${json.format ?? ''}').`, 'E_MODEL_FORMAT');
}

/** Concatenate the weight shards named in the manifest (paths relative to model.json). */
export function readWeightData(modelJsonPath: string, manifest: WeightsManifestConfig): ArrayBuffer {
  const dir = path.dirname(modelJsonPath);
  const parts: Buffer[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const file = path.resolve(dir, decodeURIComponent(p));
      try {
        parts.push(fs.readFileSync(file));
      } catch (e) {
        throw new UserError(`Weight shard ${file} listed in ${modelJsonPath} cannot be read: ${(e as Error).message}. Keep the .bin files beside model.json.`, 'E_MODEL_READ');
      }
    }
  }
  const total = parts.reduce((s, b) => s + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of parts) {
    out.set(b, off);
    off += b.length;
  }
  return out.buffer;
}

/** Weight specs in manifest order (the order of the concatenated shards). */
export function weightSpecs(manifest: WeightsManifestConfig): tfTypes.io.WeightsManifestEntry[] {
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  for (const group of manifest) specs.push(...group.weights);
  return specs;
}

/** Model artifacts from disk, optionally with a rewritten topology (used by lesion variants). */
export function loadArtifacts(modelJsonPath: string, json?: TfjsModelJson, weightData?: ArrayBuffer): ModelArtifacts {
  const j = json ?? readModelJson(modelJsonPath);
  const specs = weightSpecs(j.weightsManifest);
  const data = weightData ?? readWeightData(modelJsonPath, j.weightsManifest);
  const a: ModelArtifacts = {
    modelTopology: j.modelTopology as unknown as ModelArtifacts['modelTopology'],
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data,
  };
  if (j.trainingConfig) a.trainingConfig = j.trainingConfig as unknown as ModelArtifacts['trainingConfig'];
  if (j.signature) a.signature = j.signature as unknown as ModelArtifacts['signature'];
  if (j.userDefinedMetadata) a.userDefinedMetadata = j.userDefinedMetadata as ModelArtifacts['userDefinedMetadata'];
  if (j.modelInitializer) a.modelInitializer = j.modelInitializer as unknown as ModelArtifacts['modelInitializer'];
  if (j.initializerSignature) a.initializerSignature = j.initializerSignature as unknown as ModelArtifacts['initializerSignature'];
  return a;
}

/** An IOHandler whose load() returns the given artifacts (a fresh copy of the weights per call). */
export function memoryHandler(artifacts: ModelArtifacts): tfTypes.io.IOHandler {
  return {
    load: async () => ({ ...artifacts, weightData: copyWeightData(artifacts.weightData) }),
  };
}

function copyWeightData(w: ModelArtifacts['weightData']): ArrayBuffer | undefined {
  if (w == null) return undefined;
  if (Array.isArray(w)) {
    const total = w.reduce((s, b) => s + b.byteLength, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const b of w) {
      out.set(new Uint8Array(b), off);
      off += b.byteLength;
    }
    return out.buffer;
  }
  return (w as ArrayBuffer).slice(0);
}

/** An IOHandler that reads model.json and its shards from disk (like tfjs-node's file://). */
export function fileLoadHandler(modelJsonPath: string): tfTypes.io.IOHandler {
  return { load: async () => loadArtifacts(modelJsonPath) };
}

/**
 * An IOHandler whose save() writes `dir/model.json` and one weight shard
 * `dir/<weightsFile>` (default `group1-shard1of1.bin`). Creates `dir`.
 */
export function fileSaveHandler(
  tfio: io,
  dir: string,
  options: { weightsFile?: string; extra?: Record<string, unknown> } = {},
): tfTypes.io.IOHandler {
  const weightsFile = options.weightsFile ?? 'group1-shard1of1.bin';
  return tfio.withSaveHandler(async (artifacts: ModelArtifacts) => {
    fs.mkdirSync(dir, { recursive: true });
    const w = copyWeightData(artifacts.weightData) ?? new ArrayBuffer(0);
    const json: Record<string, unknown> = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      ...(options.extra ?? {}),
    };
    fs.writeFileSync(path.join(dir, weightsFile), Buffer.from(w));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
        weightDataBytes: w.byteLength,
      },
    };
  });
}
