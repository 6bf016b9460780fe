/**
 * "Try the Demo" (src/extension/onboarding.ts), its pure part (onboardingLogic.ts): which folder
 * of the workspace gets the demo images. It must never write into a folder it did not make.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expectedStimulusFiles } from '../../src/core/demoStimuli';
import {
  chooseDemoFolder, DEMO_FOLDER_BASE, DEMO_MARKER, DEMO_STIMULI, demoMarker, inspectDemoFolder, isCurrentMarker,
} from '../../src/extension/onboardingLogic';
import { tempDir } from '../helpers/tempDir';

/** A folder that looks like a finished demo folder (marker + every expected file, non-empty). */
function fakeOurs(dir: string, opts: { skip?: number; marker?: object } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, DEMO_MARKER), JSON.stringify(opts.marker ?? demoMarker()));
  expectedStimulusFiles({ perCategory: DEMO_STIMULI.perCategory }).forEach((f, i) => {
    if (i === opts.skip) return;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), 'x');
  });
}

describe('chooseDemoFolder: where the demo images go', () => {
  it('a workspace without one: sparsity-demo-stimuli, to be generated', () => {
    const ws = tempDir('sl-onb-');
    assert.deepEqual(chooseDemoFolder(ws), { dir: path.join(ws, DEMO_FOLDER_BASE), state: 'absent' });
  });

  it('a folder of that name that is not ours (no marker) is left alone: the next name is taken', () => {
    const ws = tempDir('sl-onb-');
    const theirs = path.join(ws, DEMO_FOLDER_BASE);
    fs.mkdirSync(path.join(theirs, 'cats'), { recursive: true });
    fs.writeFileSync(path.join(theirs, 'cats', 'a.png'), 'mine');
    assert.deepEqual(chooseDemoFolder(ws), { dir: path.join(ws, `${DEMO_FOLDER_BASE}-2`), state: 'absent' });
    assert.deepEqual(fs.readdirSync(theirs), ['cats']);
  });

  it('a file of that name, and our marker with other parameters, count as not ours', () => {
    const ws = tempDir('sl-onb-');
    fs.writeFileSync(path.join(ws, DEMO_FOLDER_BASE), 'a file');
    fakeOurs(path.join(ws, `${DEMO_FOLDER_BASE}-2`), { marker: { ...demoMarker(), seed: DEMO_STIMULI.seed + 1 } });
    assert.deepEqual(chooseDemoFolder(ws), { dir: path.join(ws, `${DEMO_FOLDER_BASE}-3`), state: 'absent' });
  });

  it('our finished folder is reused as it is (run folders inside it do not matter)', () => {
    const ws = tempDir('sl-onb-');
    const ours = path.join(ws, DEMO_FOLDER_BASE);
    fakeOurs(ours);
    fs.mkdirSync(path.join(ours, '.sparsity-lens', 'run-1'), { recursive: true });
    assert.deepEqual(chooseDemoFolder(ws), { dir: ours, state: 'ours-complete' });
  });

  it('our folder with an image missing (an interrupted generation) is ours, to be completed', () => {
    const ws = tempDir('sl-onb-');
    fakeOurs(path.join(ws, DEMO_FOLDER_BASE), { skip: 17 });
    assert.equal(inspectDemoFolder(path.join(ws, DEMO_FOLDER_BASE)), 'ours-incomplete');
    assert.deepEqual(chooseDemoFolder(ws), { dir: path.join(ws, DEMO_FOLDER_BASE), state: 'ours-incomplete' });
  });

  it('skips every taken name in order, and says what to do when all are taken', () => {
    const taken = new Set(['', '-2', '-3'].map((s) => path.join('/ws', DEMO_FOLDER_BASE + s)));
    assert.equal(chooseDemoFolder('/ws', (d) => (taken.has(d) ? 'foreign' : 'absent')).dir, path.join('/ws', `${DEMO_FOLDER_BASE}-4`));
    assert.throws(() => chooseDemoFolder('/ws', () => 'foreign'), /remove or rename some of them/);
  });
});

describe('isCurrentMarker', () => {
  it('accepts our marker, rejects anything else', () => {
    assert.ok(isCurrentMarker(JSON.stringify(demoMarker())));
    assert.ok(!isCurrentMarker('not json'));
    assert.ok(!isCurrentMarker('null'));
    assert.ok(!isCurrentMarker(JSON.stringify({ ...demoMarker(), generator: 'someone-else' })));
    assert.ok(!isCurrentMarker(JSON.stringify({ ...demoMarker(), categories: ['circle'] })));
    assert.ok(!isCurrentMarker(JSON.stringify({ ...demoMarker(), perCategory: 5 })));
  });
});
