/** The analyze flags derived from the settings table: what a command line becomes in the request. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addSettingOptions, settingsFromOptions } from '../../src/cli/settingOptions';
import { resolveSettings, SETTINGS } from '../../src/core/settings';

/** Asserts that `actual` has every key of `expected` with that value (settings added later may add keys). */
function includes(actual: unknown, expected: Record<string, unknown>, at = ''): void {
  for (const [k, v] of Object.entries(expected)) {
    const a = (actual as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) includes(a, v as Record<string, unknown>, `${at}${k}.`);
    else assert.deepEqual(a, v, `${at}${k}`);
  }
}

function parse(args: string[]) {
  const cmd = addSettingOptions(new Command().exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: 'user' });
  return settingsFromOptions(cmd.opts());
}

describe('analyze flags from the settings table', () => {
  it('no flags: only the flags with a default are sent, and the preset supplies the rest', () => {
    const { settings, preprocessing } = parse([]);
    includes(settings, {
      preset: 'liu2020',
      imagesPerCategory: 'all',
      sampling: 'first',
      concurrentPasses: 'auto',
      controls: { noNonlinearity: true, permuteTarget: 'weights' },
    });
    for (const k of ['minImagesPerCategory', 'seed', 'batchSize', 'layers', 'folds', 'referencePSI', 'decoding']) assert.equal(k in settings, false, `${k} is left to the preset`);
    assert.equal('permutations' in (settings.controls ?? {}), false);
    assert.equal(preprocessing, undefined);
    const s = resolveSettings(settings);
    assert.equal(s.controls.permutations, 10, 'the preset\'s 10 permuted models, not a default of the CLI');
  });

  it('maps every flag onto its setting', () => {
    const { settings, preprocessing } = parse([
      '-n', '20', '--sample', 'random', '--min-images', '3', '-l', 'conv1, fc2', '--seed', '7', '-b', '4', '--unit', 'channel-position',
      '--accuracy', 'decoder', '--decoder-layer', 'fc1', '--folds', '5', '--correlation', 'spearman', '--permutations', '3',
      '--permute-biases', '--regression-groups', 'conv,fc1+fc2', '--concurrent-passes', '2', '--reference-psi', '0.5',
      '--labels', 'labels.json', '--shard', '1/2', '--input-size', '227', '--resize', 'shorter-crop', '--channel-order', 'BGR',
      '--scale', '1/255', '--mean', '0,0,0', '--std', '1,1,1', '--decoding', 'pil',
    ]);
    includes(settings, {
      preset: 'liu2020', imagesPerCategory: 20, sampling: 'random', minImagesPerCategory: 3, seed: 7, batchSize: 4,
      layers: ['conv1', 'fc2'], unit: 'channel-position', accuracy: 'decoder', decoderLayer: 'fc1', folds: 5, correlation: 'spearman',
      controls: { permutations: 3, noNonlinearity: true, permuteTarget: 'biases' },
      regressionGroups: ['conv', 'fc1+fc2'], concurrentPasses: 2, referencePSI: 0.5, labelFile: path.resolve('labels.json'), shard: '1/2',
      decoding: 'pil',
    });
    assert.deepEqual(preprocessing, { resize: 'shorter-crop', width: 227, height: 227, channelOrder: 'BGR', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('--decoding takes colour-managed or pil and refuses anything else, naming the choices', () => {
    assert.equal(parse(['--decoding', 'colour-managed']).settings.decoding, 'colour-managed');
    assert.throws(() => parse(['--decoding', 'srgb']), /--decoding <how>' argument 'srgb' is invalid\. Allowed choices are colour-managed, pil/);
  });

  it('--controls picks the controls; without "permuted" no permuted model runs whatever --permutations says', () => {
    includes(parse(['--controls', 'none', '--permutations', '5']).settings.controls, { permutations: 0, noNonlinearity: false, permuteTarget: 'weights' });
    const permutedOnly = parse(['--controls', 'permuted']).settings.controls;
    includes(permutedOnly, { noNonlinearity: false, permuteTarget: 'weights' });
    assert.equal(resolveSettings({ controls: permutedOnly }).controls.permutations, 10);
    assert.throws(() => parse(['--controls', 'permuted,lesion']), /unknown control "lesion"/);
  });

  it('rejects a bad value naming the flag and the allowed values', () => {
    assert.throws(() => parse(['--batch-size', '0']), /--batch-size must be a positive integer/);
    assert.throws(() => parse(['--folds', '1']), /--folds must be an integer of at least 2 \(at most 20\)/);
    assert.throws(() => parse(['--concurrent-passes', 'many']), /--concurrent-passes must be "auto" or a positive integer/);
    assert.throws(() => parse(['--reference-psi', '0.5x']), /--reference-psi must be a number from 0 to 1/);
    assert.throws(() => parse(['--resize', 'model']), /Allowed choices are stretch, shorter-crop/);
  });

  it('every table entry with a CLI part feeds a setting (no orphan flags)', () => {
    for (const s of SETTINGS.filter((x) => x.cli)) assert.ok(s.cli!.flags || s.cli!.value, `${s.key}: a flag or a value from other flags`);
  });
});
