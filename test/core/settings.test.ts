/** The core's settings: the liu2020 preset and resolveSettings, both derived from the settings table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSetting, parseCliText, presetDefaults, resolveSettings, SETTINGS, type AnalysisSettingsObject, type ExtensionSettingName, type ExtensionSettingsObject } from '../../src/core/settings';
import type { AnalysisSettings } from '../../src/core/report/schema';
import { LIU2020_PREPROCESSING } from '../../src/core/types';

describe('presetDefaults', () => {
  // The study's values, pinned. Settings added later (issue 10's taps, tokens …) may add keys;
  // these must not change.
  const STUDY = {
    preset: 'liu2020',
    imagesPerCategory: 'all',
    sampling: 'first',
    minImagesPerCategory: 1,
    seed: 0,
    batchSize: 8,
    layers: [],
    unit: 'channel',
    preprocessing: { ...LIU2020_PREPROCESSING },
    accuracy: 'auto',
    folds: 2,
    correlation: 'pearson',
    controls: { permutations: 10, permuteTarget: 'weights', noNonlinearity: true },
    regressionGroups: ['conv', 'fc', 'all'],
    concurrentPasses: 'auto',
    referencePSI: 0.36,
  };

  it('liu2020 is the study (METHOD.md): the values the preset always had', () => {
    const p = presetDefaults('liu2020') as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(STUDY)) {
      if (k === 'controls') {
        const c = p.controls as Record<string, unknown>;
        for (const [ck, cv] of Object.entries(v as object)) assert.deepEqual(c[ck], cv, `controls.${ck}`);
      } else assert.deepEqual(p[k], v, k);
    }
  });

  it('keeps the key order reports have always had (report.sparsity.json stays the same)', () => {
    // The keys reports have always had keep their relative order (new ones may sit between them).
    const order = (keys: string[], known: string[]) => keys.filter((k) => known.includes(k));
    assert.deepEqual(order(Object.keys(presetDefaults('liu2020')), Object.keys(STUDY)), Object.keys(STUDY));
    const controls = Object.keys(STUDY.controls);
    assert.deepEqual(order(Object.keys(presetDefaults('liu2020').controls), controls), controls);
  });

  it('returns fresh lists (a caller editing one does not change the table)', () => {
    presetDefaults('liu2020').regressionGroups.push('x');
    assert.deepEqual(presetDefaults('liu2020').regressionGroups, ['conv', 'fc', 'all']);
  });

  it('names the available presets for an unknown one', () => {
    assert.throws(() => presetDefaults('vgg'), /Unknown preset "vgg". Available presets: liu2020/);
  });
});

describe('resolveSettings', () => {
  it('decoding: the preset keeps colour-managed decoding (what runs did before the setting); pil is taken as given', () => {
    assert.equal(presetDefaults('liu2020').decoding, 'colour-managed');
    assert.equal(resolveSettings({}).decoding, 'colour-managed');
    assert.equal(resolveSettings({ decoding: 'pil' }).decoding, 'pil');
  });

  it('overlays given values on the preset, controls field by field', () => {
    const s = resolveSettings({ folds: 5, controls: { permutations: 0 } });
    assert.equal(s.folds, 5);
    assert.deepEqual(s.controls, { ...presetDefaults('liu2020').controls, permutations: 0 });
    assert.equal(s.controls.noNonlinearity, true);
    assert.equal(s.batchSize, 8);
  });

  it('rejects a bad value naming the setting, what is allowed and what was given', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ folds: 1 }, /Setting folds must be a whole number from 2 to 20 \(it is 1\)\.$/],
      [{ imagesPerCategory: 0 }, /Setting imagesPerCategory must be "all" or a whole number/],
      [{ concurrentPasses: 0 }, /Setting concurrentPasses must be "auto" or a whole number from 1/],
      [{ controls: { permutations: -1 } }, /Setting controls\.permutations must be a whole number from 0 to 100/],
      [{ controls: { permuteTarget: 'all' } }, /Setting controls\.permuteTarget must be one of "weights", "biases"/],
      [{ accuracy: 'top1' }, /Setting accuracy must be one of "auto", "model", "decoder", "none"/],
      [{ referencePSI: 2 }, /Setting referencePSI must be a number from 0 to 1/],
      [{ layers: ['fc1', 'fc1'] }, /Setting layers lists layer "fc1" twice/],
      [{ sampling: 'every' }, /Setting sampling must be one of "first", "random"/],
      [{ decoding: 'PIL' }, /Setting decoding must be one of "colour-managed", "pil" \(it is "PIL"\)/],
    ];
    for (const [given, re] of cases) assert.throws(() => resolveSettings(given as never), re, JSON.stringify(given));
  });
});

describe('the settings table', () => {
  it('every default passes its own check, and every key is declared once', () => {
    const keys = SETTINGS.map((s) => s.key);
    assert.equal(new Set(keys).size, keys.length);
    for (const s of SETTINGS) {
      if (s.default === undefined) continue;
      assert.ok(checkSetting(s, s.default).ok, s.key);
      assert.ok(s.description.length > 20, `${s.key} has a description`);
    }
  });

  it('the types of the table agree with AnalysisSettings and ExtensionSettings (checked by tsc, npm run typecheck)', () => {
    type Eq<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
    type Analysis = Omit<AnalysisSettings, 'preprocessing'>;
    // Every AnalysisSettings field has an entry and no entry lacks a field: add both for a new setting.
    const sameKeys: Eq<keyof AnalysisSettingsObject, keyof Analysis> = true;
    // Values the table accepts fit the report schema's types.
    const fits: AnalysisSettingsObject extends Required<Analysis> ? true : false = true;
    const controls: Eq<ExtensionSettingsObject['controls'], { permutations: number; noNonlinearity: boolean; permuteTarget: 'weights' | 'biases'; keepNorms: boolean }> = true;
    const passes: Eq<ExtensionSettingsObject['concurrentPasses'], number | 'auto'> = true;
    const mean: Eq<ExtensionSettingsObject['preprocessing']['mean'], [number, number, number] | null> = true;
    const resize: Eq<ExtensionSettingsObject['preprocessing']['resize'], 'model' | 'stretch' | 'shorter-crop'> = true;
    assert.deepEqual([sameKeys, fits, controls, passes, mean, resize], [true, true, true, true, true, true]);
  });

  it('setting names are checked against the table at compile time', () => {
    const ok: ExtensionSettingName = 'controls.permutations';
    // @ts-expect-error a typo is a type error, not a silently unread setting
    const typo: ExtensionSettingName = 'controls.permutation';
    // @ts-expect-error sampling is a CLI/core setting, not an extension one
    const notExtension: ExtensionSettingName = 'sampling';
    assert.deepEqual([ok, typo, notExtension].length, 3);
  });

  it('derives CLI parsers from the type, with messages naming the flag', () => {
    const batch = SETTINGS.find((s) => s.key === 'batchSize')!;
    assert.equal(parseCliText(batch, '16', '--batch-size'), 16);
    assert.throws(() => parseCliText(batch, '0', '--batch-size'), /--batch-size must be a positive integer up to 1024/);
    assert.throws(() => parseCliText(batch, '2.5', '--batch-size'), /positive integer/);
    const ipc = SETTINGS.find((s) => s.key === 'imagesPerCategory')!;
    assert.equal(parseCliText(ipc, 'all', '-n'), 'all');
    assert.equal(parseCliText(ipc, '20', '-n'), 20);
    const mean = SETTINGS.find((s) => s.key === 'preprocessing.std')!;
    assert.deepEqual(parseCliText(mean, '1,1,1', '--std'), [1, 1, 1]);
    assert.throws(() => parseCliText(mean, '1,0,1', '--std'), /--std takes three positive numbers/);
  });
});
