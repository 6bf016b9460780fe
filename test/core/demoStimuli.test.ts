/**
 * The demo stimulus generator (src/core/demoStimuli.ts), shipped in the extension for "Try the
 * Demo": its folder structure, determinism per seed, and cancel between images.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { expectedStimulusFiles, generateStimuli, STIMULUS_CATEGORIES } from '../../src/core/demoStimuli';
import * as viaScripts from '../../scripts/demo-stimuli';
import { tempDir } from '../helpers/tempDir';

/** Every file under `dir` (relative, '/'-separated), sorted. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

const OPTS = { categories: 3, perCategory: 2, size: 32, seed: 7 } as const;

describe('generateStimuli (src/core/demoStimuli.ts)', () => {
  it('writes one sub-folder per category with exactly the expected PNGs of the asked size, and reports each image', async () => {
    const dir = tempDir('sl-stim-');
    const seen: [number, number][] = [];
    const set = await generateStimuli(dir, { ...OPTS, onImage: (d, t) => seen.push([d, t]) });
    assert.deepEqual(set.categories, STIMULUS_CATEGORIES.slice(0, 3));
    assert.deepEqual(listTree(dir), [...expectedStimulusFiles(OPTS)].sort());
    assert.deepEqual(expectedStimulusFiles(OPTS).slice(0, 2), ['circle/circle_000.png', 'circle/circle_001.png']);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6].map((d) => [d, 6]));
    for (const f of set.files.square) {
      const meta = await sharp(f).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 32);
      assert.equal(meta.height, 32);
    }
  });

  it('is deterministic: the same seed gives byte-identical files, another seed different ones', async () => {
    const a = tempDir('sl-stim-a-');
    const b = tempDir('sl-stim-b-');
    const c = tempDir('sl-stim-c-');
    await generateStimuli(a, OPTS);
    await generateStimuli(b, OPTS);
    await generateStimuli(c, { ...OPTS, seed: 8 });
    for (const f of expectedStimulusFiles(OPTS)) {
      assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs between two runs with one seed`);
      assert.ok(!fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(c, f))), `${f} is the same for seeds 7 and 8`);
    }
  });

  it('stops between images when its signal aborts (and leaves no temporary files)', async () => {
    const dir = tempDir('sl-stim-abort-');
    const abort = new AbortController();
    await assert.rejects(
      generateStimuli(dir, { ...OPTS, signal: abort.signal, onImage: (d) => d === 2 && abort.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.deepEqual(listTree(dir), ['circle/circle_000.png', 'circle/circle_001.png']);
  });

  it('scripts/demo-stimuli.ts re-exports the same generator (npm run demo, tests import it from there)', () => {
    assert.equal(viaScripts.generateStimuli, generateStimuli);
    assert.equal(viaScripts.STIMULUS_CATEGORIES, STIMULUS_CATEGORIES);
  });

  it('rejects bad options with a message naming the option', async () => {
    const dir = tempDir('sl-stim-bad-');
    await assert.rejects(generateStimuli(dir, { categories: ['circle', 'blob'] }), /unknown stimulus category 'blob'/);
    await assert.rejects(generateStimuli(dir, { perCategory: 0 }), /perCategory must be a positive integer/);
  });
});
