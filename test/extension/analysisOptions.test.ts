/** "Analysis Options…" text ↔ setting values (src/extension/analysisOptionsLogic.ts), validated by the settings table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANALYSIS_OPTIONS, optionText, optionValueLabel, parseOptionText } from '../../src/extension/analysisOptionsLogic';
import { validateSettings } from '../../src/extension/settings';

describe('Analysis Options', () => {
  it('offers images per category and the preprocessing mean and std', () => {
    assert.deepEqual(ANALYSIS_OPTIONS.map((o) => o.key), ['imagesPerCategory', 'preprocessing.mean', 'preprocessing.std']);
  });

  it('reads images per category as "all" or a whole number in the table\'s range', () => {
    assert.deepEqual(parseOptionText('imagesPerCategory', ' 50 '), { ok: true, value: 50 });
    assert.deepEqual(parseOptionText('imagesPerCategory', 'ALL'), { ok: true, value: 'all' });
    for (const bad of ['0', '-3', '2.5', 'many', '', '1e3', '2000000']) {
      const r = parseOptionText('imagesPerCategory', bad);
      assert.equal(r.ok, false, `"${bad}" is refused`);
      if (!r.ok) assert.match(r.message, /^sparsityLens\.imagesPerCategory /, `the message names the setting: ${r.message}`);
    }
    const r = parseOptionText('imagesPerCategory', '0');
    assert.ok(!r.ok && /"all" or a whole number from 1 to 1000000/.test(r.message), !r.ok ? r.message : '');
  });

  it('reads mean and std as three numbers (commas or spaces), empty as the model\'s (null)', () => {
    assert.deepEqual(parseOptionText('preprocessing.mean', '0.485, 0.456, 0.406'), { ok: true, value: [0.485, 0.456, 0.406] });
    assert.deepEqual(parseOptionText('preprocessing.mean', '-1 0 .5'), { ok: true, value: [-1, 0, 0.5] });
    assert.deepEqual(parseOptionText('preprocessing.std', '0.229,0.224,0.225'), { ok: true, value: [0.229, 0.224, 0.225] });
    assert.deepEqual(parseOptionText('preprocessing.std', '  '), { ok: true, value: null });
    for (const bad of ['0.2, 0.2', '0.2, 0.2, 0.2, 0.2', '0.2, x, 0.2', '0.2,,0.2']) assert.equal(parseOptionText('preprocessing.mean', bad).ok, false, `"${bad}"`);
    const zero = parseOptionText('preprocessing.std', '0.2, 0, 0.2');
    assert.ok(!zero.ok && /three positive numbers in RGB order/.test(zero.message), 'a zero std is refused by the table');
  });

  it('accepts exactly what a run accepts (the same table), and shows values back as typed', () => {
    for (const [key, text] of [['imagesPerCategory', '7'], ['preprocessing.mean', '0.5 0.5 0.5'], ['preprocessing.std', '']] as const) {
      const r = parseOptionText(key, text);
      assert.ok(r.ok);
      const v = validateSettings({ [key]: r.value });
      assert.ok(v.ok, `validateSettings accepts ${key} = ${JSON.stringify(r.value)}: ${v.ok ? '' : v.problems.map((p) => p.message).join('; ')}`);
      assert.deepEqual(parseOptionText(key, optionText(r.value)), r, 'round trip through the input box');
    }
    assert.equal(optionText([0.485, 0.456, 0.406]), '0.485, 0.456, 0.406');
    assert.equal(optionValueLabel('preprocessing.mean', null), "the model's (not set)");
    assert.equal(optionValueLabel('imagesPerCategory', 'all'), 'all');
  });
});
