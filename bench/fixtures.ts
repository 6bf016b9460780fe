/**
 * Benchmark inputs, generated offline and cached in .bench/ (git-ignored):
 *   .bench/models/alexnet.onnx, vgg11.onnx   random-weight nets of the torchvision shapes
 *   .bench/models/tfjs-alexnet/model.json    the AlexNet shape as a TF.js LayersModel
 *   .bench/images/c000..cNNN/img0000.jpg     500x375 (some 375x500) JPEGs of natural-image-like
 *                                            content, about the byte size of ImageNet's
 *
 * Everything is deterministic (SeededRandom); files are rebuilt only when missing or when
 * FIXTURE_VERSION changes.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { SeededRandom } from '../src/core/random';
import { ALEXNET_SPEC, VGG11_SPEC, buildConvNet, type ConvNetSpec } from '../test/helpers/onnxBuilder';

export const ROOT = path.resolve(__dirname, '..');
export const BENCH_DIR = path.join(ROOT, '.bench');
const FIXTURE_VERSION = '1';

export type Arch = 'alexnet' | 'vgg11';
export const SPECS: Record<Arch, ConvNetSpec> = { alexnet: ALEXNET_SPEC, vgg11: VGG11_SPEC };

function stampOk(file: string, key: string): boolean {
  try {
    return fs.readFileSync(file + '.stamp', 'utf8') === key && fs.existsSync(file);
  } catch {
    return false;
  }
}

function stamp(file: string, key: string): void {
  fs.writeFileSync(file + '.stamp', key);
}

/** The random-weight ONNX model of `arch` (batch 1 as torch.onnx.export writes; the engine makes it dynamic). */
export function onnxModel(arch: Arch): string {
  const dir = path.join(BENCH_DIR, 'models');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${arch}.onnx`);
  const key = `${FIXTURE_VERSION}:${arch}`;
  if (!stampOk(file, key)) {
    buildConvNet({ ...SPECS[arch], seed: 1 }).save(file);
    stamp(file, key);
  }
  return file;
}

/**
 * The AlexNet shape as a TF.js LayersModel (NHWC; Keras-style conv/dense with fused ReLU,
 * as Keras models are usually written), saved as model.json + one weights file.
 */
export async function tfjsAlexnet(): Promise<string> {
  const dir = path.join(BENCH_DIR, 'models', 'tfjs-alexnet');
  const file = path.join(dir, 'model.json');
  const key = `${FIXTURE_VERSION}:tfjs-alexnet`;
  if (stampOk(file, key)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const { loadTf } = await import('../src/core/tfBackend');
  const { tf } = await loadTf();
  const L = tf.layers;
  const init = { kernelInitializer: tf.initializers.heUniform({ seed: 1 }), biasInitializer: 'zeros' as const };
  const model = tf.sequential({
    name: 'alexnet',
    layers: [
      L.zeroPadding2d({ inputShape: [224, 224, 3], padding: 2, name: 'pad1' }),
      L.conv2d({ filters: 64, kernelSize: 11, strides: 4, activation: 'relu', name: 'conv1', ...init }),
      L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }),
      L.conv2d({ filters: 192, kernelSize: 5, padding: 'same', activation: 'relu', name: 'conv2', ...init }),
      L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool2' }),
      L.conv2d({ filters: 384, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv3', ...init }),
      L.conv2d({ filters: 256, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv4', ...init }),
      L.conv2d({ filters: 256, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv5', ...init }),
      L.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool5' }),
      L.flatten({ name: 'flatten' }),
      L.dense({ units: 4096, activation: 'relu', name: 'fc1', ...init }),
      L.dense({ units: 4096, activation: 'relu', name: 'fc2', ...init }),
      L.dense({ units: 1000, name: 'fc3', ...init }),
    ],
  });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = Buffer.from(artifacts.weightData as ArrayBuffer);
      fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), weights);
      fs.writeFileSync(
        file,
        JSON.stringify({
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  stamp(file, key);
  return file;
}

/**
 * One 8-bit RGB picture with natural-image-like statistics: a few smooth colour blobs (low
 * frequencies), mid-frequency texture and a little pixel noise. JPEG q90 of this is ~95 KB
 * at 500x375, close to ImageNet validation files, so decode cost is realistic.
 */
async function syntheticPhoto(w: number, h: number, rng: SeededRandom): Promise<Buffer> {
  const layer = async (cw: number, ch: number, amp: number): Promise<Buffer> => {
    const small = Buffer.alloc(cw * ch * 3);
    for (let i = 0; i < small.length; i++) small[i] = 128 + Math.round((rng.next() - 0.5) * 2 * amp);
    return sharp(small, { raw: { width: cw, height: ch, channels: 3 } }).resize(w, h, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer();
  };
  const coarse = await layer(6, 5, 120);
  const mid = await layer(Math.round(w / 12), Math.round(h / 12), 60);
  const fine = await layer(Math.round(w / 2), Math.round(h / 2), 50);
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < out.length; i++) {
    const v = coarse[i] + (mid[i] - 128) + (fine[i] - 128) * 0.8 + (rng.next() - 0.5) * 32;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return sharp(out, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export interface ImageSet {
  dir: string;
  categories: number;
  perCategory: number;
  total: number;
  meanBytes: number;
}

/**
 * A dataset folder of `categories` x `perCategory` JPEGs. A bigger set reuses the same files
 * (image i of category c is the same bytes in every set with seed).
 */
export async function imageSet(name: string, categories: number, perCategory: number): Promise<ImageSet> {
  const dir = path.join(BENCH_DIR, 'images', name);
  const key = `${FIXTURE_VERSION}:${categories}x${perCategory}`;
  if (!stampOk(dir, key)) {
    fs.rmSync(dir, { recursive: true, force: true });
    for (let c = 0; c < categories; c++) {
      const cdir = path.join(dir, `c${String(c).padStart(3, '0')}`);
      fs.mkdirSync(cdir, { recursive: true });
      for (let i = 0; i < perCategory; i++) {
        const rng = new SeededRandom(c * 100003 + i);
        // About one in four ImageNet validation images is portrait.
        const portrait = i % 4 === 3;
        const jpg = await syntheticPhoto(portrait ? 375 : 500, portrait ? 500 : 375, rng);
        fs.writeFileSync(path.join(cdir, `img${String(i).padStart(4, '0')}.jpg`), jpg);
      }
    }
    stamp(dir, key);
  }
  let bytes = 0;
  let n = 0;
  for (const c of fs.readdirSync(dir)) {
    for (const f of fs.readdirSync(path.join(dir, c))) {
      bytes += fs.statSync(path.join(dir, c, f)).size;
      n++;
    }
  }
  return { dir, categories, perCategory, total: n, meanBytes: n ? bytes / n : 0 };
}
