/**
 * Depth for comparing networks (issue 10, point 7): relative depth, stage and block from module
 * paths, and the version-1 → 2 upgrade that gives older reports the same fields.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { relativeDepth, stageBlocks } from '../../../src/core/report/depth';
import { parseReport } from '../../../src/core/report/parse';
import { formatTable } from '../../../src/core/report/tables';
import { REPORT_SCHEMA_VERSION } from '../../../src/core/report/schema';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'report');
const read = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'));

describe('layer depth', () => {
  it('relative depth is (index - 1) / (L - 1), a single layer at 0', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((i) => relativeDepth(i, 5)), [0, 0.25, 0.5, 0.75, 1]);
    assert.equal(relativeDepth(1, 1), 0);
    assert.deepEqual([1, 2].map((i) => relativeDepth(i, 2)), [0, 1]);
  });

  it('stage and block from the module paths of each family', () => {
    const check = (names: string[], expected: ({ stage?: number; block?: number })[]) => assert.deepEqual(stageBlocks(names), expected, names.join(' '));
    // ResNet: the stem says nothing; a layer inside a block takes the block's numbers.
    check(['relu', 'layer1.0', 'layer3.1', 'layer3.1.relu'], [{}, { stage: 1, block: 0 }, { stage: 3, block: 1 }, { stage: 3, block: 1 }]);
    // EfficientNet: features.S.B blocks; the stem features.0.2 and the head features.8.2 have the same shape but no siblings.
    check(
      ['features.0.2', 'features.1.0', 'features.5.0', 'features.5.1', 'features.5.2', 'features.8.2'],
      [{}, { stage: 1, block: 0 }, { stage: 5, block: 0 }, { stage: 5, block: 1 }, { stage: 5, block: 2 }, {}],
    );
    check(['conv1.2', 'stage2.0', 'stage4.3'], [{}, { stage: 2, block: 0 }, { stage: 4, block: 3 }]); // ShuffleNet
    check(['stem.2', 'trunk_output.block3.block3-4'], [{}, { stage: 3, block: 4 }]); // RegNet
    check(['inception3a', 'inception4c'], [{ stage: 3, block: 0 }, { stage: 4, block: 2 }]); // GoogLeNet
    check(['features.denseblock2', 'features.transition2'], [{ stage: 2 }, { stage: 2 }]); // DenseNet
    check(['encoder.layers.encoder_layer_11'], [{ block: 11 }]); // ViT
    // A flat container (MobileNet, SqueezeNet) and the study's names: nothing certain.
    check(['features.0', 'features.7', 'conv1', 'fc2'], [{}, {}, {}, {}]);
  });

  it('a version-1 report is read as version 2 with the depth of every layer', () => {
    const v1 = read('sample-v1.sparsity.json');
    assert.equal(v1.schemaVersion, 1);
    const r = parseReport(v1, 'sample-v1');
    assert.equal(r.schemaVersion, REPORT_SCHEMA_VERSION);
    for (const p of r.passes) assert.deepEqual(p.layers.map((l) => l.relativeDepth), [0, 0.25, 0.5, 0.75, 1]);
    // Exactly what a version-2 writer gives for the same run.
    assert.deepEqual(r, read('sample.sparsity.json'));
  });

  it('the CLI table shows the depth, and stage/block when the names say them', () => {
    const v1 = read('sample-v1.sparsity.json') as { passes: { layers: { name: string }[] }[]; model: object };
    // The same report with module-path names (version 1: the reader derives the depth fields).
    const names = ['relu', 'layer1.0', 'layer1.1', 'layer2.0', 'layer4.1'];
    for (const p of v1.passes) p.layers.forEach((l, i) => (l.name = names[i]));
    const lines = formatTable(parseReport(v1, 'renamed')).split('\n');
    assert.deepEqual(lines[0].trim().split(/\s{2,}/).slice(0, 4), ['layer', 'units', 'depth', 'stage/block']);
    assert.deepEqual(lines.slice(2, 7).map((l) => l.trim().split(/\s{2,}/).slice(2, 4)), [['0.00', '–/–'], ['0.25', '1/0'], ['0.50', '1/1'], ['0.75', '2/0'], ['1.00', '4/1']]);
    assert.ok(!lines.some((l) => l.startsWith('Model weights')), 'the sample does not say its weights');
    const r = parseReport({ ...v1, model: { ...v1.model, weights: { kind: 'random', seed: 3 } } }, 'with weights');
    assert.ok(formatTable(r).split('\n').includes('Model weights: random weights (seed 3)'));
  });
});
