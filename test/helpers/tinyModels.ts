/**
 * Tiny models whose activations are known in closed form, and solid-colour stimuli, for
 * end-to-end pipeline tests. With 1x1 identity convolutions, a conv unit's category response is
 * relu((colour/255 - mean)/std) per channel, and a GAP → Gemm(W) → ReLU unit is relu(W · that).
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { OnnxBuilder } from './onnxBuilder';
import { LIU2020_PREPROCESSING } from '../../src/core/types';

/** Weights of the fc layer: [out=4, in=3] row-major (torch layout, transB). */
export const FC_W = [1, -1, 0.5, -0.5, 2, 0.25, 0.3, 0.3, -1, -1, -1, 1];
/** Logits layer: [classes=3, in=4]. */
export const LOGIT_W = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

/** conv1 (1x1 identity, ReLU) → GAP → fc1 (Gemm FC_W, ReLU) → logits. Input [N,3,4,4]. */
export function buildClosedFormOnnx(file: string): string {
  const b = new OnnxBuilder({ opset: 13 });
  const x = b.input('input', ['N', 3, 4, 4]);
  const c = b.conv(x, { weight: [1, 0, 0, 0, 1, 0, 0, 0, 1], dims: [3, 3, 1, 1], bias: [0, 0, 0], name: 'conv_a' });
  const r1 = b.relu(c, 'relu_a');
  const g = b.flatten(b.gap(r1));
  const f = b.gemm(g, { weight: FC_W, dims: [4, 3], bias: [0, 0, 0, 0], name: 'fc_a' });
  const r2 = b.relu(f, 'relu_b');
  const out = b.gemm(r2, { weight: LOGIT_W, dims: [3, 4], bias: [0, 0, 0], name: 'logits', output: 'logits' });
  b.output(out, ['N', 3]);
  return b.save(file);
}

/** Per category, the solid colours of its images. */
export const STIMULI: Record<string, [number, number, number][]> = {
  cat_a: [[250, 10, 10], [200, 40, 30], [230, 0, 60]],
  cat_b: [[10, 240, 20], [60, 200, 0], [0, 220, 90]],
  cat_c: [[20, 30, 250], [0, 80, 210], [40, 0, 230]],
  cat_d: [[200, 200, 200], [128, 128, 128], [90, 160, 40]],
};

export async function writeStimuli(root: string, stimuli = STIMULI): Promise<void> {
  for (const [cat, colours] of Object.entries(stimuli)) {
    fs.mkdirSync(path.join(root, cat), { recursive: true });
    for (const [i, [r, g, bl]] of colours.entries()) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b: bl } } }).png().toFile(path.join(root, cat, `img${i}.png`));
    }
  }
}

const relu = (v: number) => Math.max(0, v);

/** Closed-form per-image unit responses for the two taps. */
export function closedFormResponses(colour: [number, number, number]): { conv1: number[]; fc1: number[] } {
  const p = LIU2020_PREPROCESSING;
  const x = colour.map((v, c) => Math.fround(v * (p.scale / p.std[c]) + -p.mean[c] / p.std[c]));
  const conv1 = x.map(relu);
  const fc1 = [0, 1, 2, 3].map((o) => relu(FC_W[o * 3] * conv1[0] + FC_W[o * 3 + 1] * conv1[1] + FC_W[o * 3 + 2] * conv1[2]));
  return { conv1, fc1 };
}

/** Category-mean responses [categories x units] per tap, categories in sorted order. */
export function closedFormCategoryMeans(stimuli = STIMULI): { conv1: number[][]; fc1: number[][] } {
  const cats = Object.keys(stimuli).sort();
  const mean = (rows: number[][]) => rows[0].map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length);
  return {
    conv1: cats.map((c) => mean(stimuli[c].map((col) => closedFormResponses(col).conv1))),
    fc1: cats.map((c) => mean(stimuli[c].map((col) => closedFormResponses(col).fc1))),
  };
}
