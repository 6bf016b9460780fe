/**
 * The `decoding` setting in a whole run: it reaches the decoder of the run (the N-readable
 * selection and the prefetcher), it is recorded in the report's settings, and comparing a `pil`
 * run with a colour-managed one lists it as a difference that changes the numbers. The files are
 * the PIL fixtures on which the two decodings differ (test/fixtures/decode/, decodeReference.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../src/core/analyze';
import { settingDifferences } from '../../src/core/compare/build';
import { decodeImage, type Decoding } from '../../src/core/decode';
import { decodeNpy } from '../../src/core/npy';
import { LIU2020_PREPROCESSING } from '../../src/core/types';
import { buildClosedFormOnnx } from '../helpers/tinyModels';
import { tempDir } from '../helpers/tempDir';

const FIX = path.join(__dirname, '..', 'fixtures', 'decode');
/** One file per category: an ICC profile (PNG, JPEG), an EXIF orientation, CMYK without an Adobe marker. */
const FILES: Record<string, string> = { cat_a: 'icc_wide.png', cat_b: 'exif6.jpg', cat_c: 'icc_wide.jpg', cat_d: 'cmyk_no_adobe.jpg' };
const INPUT = { ...LIU2020_PREPROCESSING, width: 4, height: 4 };

/** conv1 of the closed-form model (identity 1x1 conv, ReLU, spatial mean) on the image as `decoding` decodes it. */
async function conv1Of(file: string, decoding: Decoding): Promise<number[]> {
  const img = await decodeImage(file, INPUT, decoding);
  const p = INPUT;
  return [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < 16; i++) s += Math.max(0, Math.fround(img.pixels[i * 3 + c] * (p.scale / p.std[c]) - p.mean[c] / p.std[c]));
    return s / 16;
  });
}

test('decoding in a run: the pil run sees PIL\'s pixels, the default run the colour-managed ones; both recorded, and compare flags the difference', async () => {
  const dir = tempDir('decoding-run-');
  const data = path.join(dir, 'data');
  for (const [cat, name] of Object.entries(FILES)) {
    fs.mkdirSync(path.join(data, cat), { recursive: true });
    fs.copyFileSync(path.join(FIX, name), path.join(data, cat, name));
  }
  const model = buildClosedFormOnnx(path.join(dir, 'tiny.onnx'));
  // imagesPerCategory 1: the files also go through the N-readable selection (selectImages.ts).
  const settings = { controls: { permutations: 0, noNonlinearity: false }, accuracy: 'none' as const, batchSize: 2, imagesPerCategory: 1 };
  const runs: Record<string, { report: import('../../src/core/report/schema').SparsityReport; runDir: string }> = {};
  for (const decoding of ['pil', 'colour-managed'] as const) {
    runs[decoding] = await analyze({ datasetPath: data, modelPath: model, outputRoot: path.join(dir, `out-${decoding}`), settings: { ...settings, decoding }, html: false });
  }
  const conv1 = (decoding: Decoding) => {
    const { report, runDir } = runs[decoding];
    assert.equal(report.settings.decoding, decoding);
    assert.equal(report.dataset.imagesUsed, 4);
    assert.deepEqual(report.skipped, []);
    const layer = report.passes[0].layers.find((l) => l.name === 'conv1')!;
    return decodeNpy(fs.readFileSync(path.join(runDir, layer.responsesFile!)));
  };
  const cats = Object.keys(FILES).sort();
  let apart = 0;
  for (const decoding of ['pil', 'colour-managed'] as const) {
    const npy = conv1(decoding);
    assert.deepEqual(npy.shape, [4, 3]);
    for (const [ci, cat] of cats.entries()) {
      const expected = await conv1Of(path.join(FIX, FILES[cat]), decoding);
      const other = await conv1Of(path.join(FIX, FILES[cat]), decoding === 'pil' ? 'colour-managed' : 'pil');
      expected.forEach((v, u) => {
        assert.ok(Math.abs(npy.data[ci * 3 + u] - v) < 1e-5, `${decoding} ${cat} conv1[${u}]: ${npy.data[ci * 3 + u]} vs ${v}`);
        apart = Math.max(apart, Math.abs(v - other[u]));
      });
    }
  }
  // The two decodings give different inputs here, so a run that ignored the setting would fail above.
  assert.ok(apart > 0.05, `the decodings differ on these files (largest conv1 difference ${apart})`);
  const diffs = settingDifferences([
    { id: 'pil', report: runs.pil.report },
    { id: 'managed', report: runs['colour-managed'].report },
  ]);
  assert.deepEqual(
    diffs.find((d) => d.setting === 'decoding'),
    { setting: 'decoding', values: { pil: 'pil', managed: 'colour-managed' }, changesNumbers: true },
  );
});
