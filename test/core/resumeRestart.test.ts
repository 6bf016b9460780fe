/**
 * --restart-changed with pass groups (issue 14): a run killed in the first or in a later pass
 * group, whose images then change, resumes to exactly what a fresh run on the new images gives,
 * in every pass (datasetListing.ts restartFrom: group 0 from the first changed category, later
 * groups from the start).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { analyze } from '../../src/core/analyze';
import { killedRun } from '../helpers/killedRun';

const settings = { batchSize: 2, accuracy: 'none' as const, concurrentPasses: 1, controls: { permutations: 1, noNonlinearity: false } };

for (const killAt of [3, 8]) {
  test(`restart-changed: killed at batch ${killAt} (${killAt <= 6 ? 'first' : 'second'} pass group), images changed, resumes to the fresh result`, async () => {
    const { root, model, data, runDir: run } = await killedRun('restart-', settings, killAt);
    // cat_b (done in group 0 before either kill) gets a different image.
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 250, g: 250, b: 0 } } }).png().toFile(path.join(data, 'cat_b', 'img1.png'));
    fs.utimesSync(path.join(data, 'cat_b', 'img1.png'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    // Its own code, so front ends can offer the restart (VS Code's Recompute Changed Categories).
    await assert.rejects(analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: run, html: false }), (e: Error & { code?: string }) => /images changed since the run started.*cat_b/.test(e.message) && e.code === 'E_RESUME_IMAGES_CHANGED');
    const resumed = await analyze({ datasetPath: '', modelPath: '', outputRoot: '', resumeRunDir: run, html: false, restartChanged: true });
    const fresh = await analyze({ datasetPath: data, modelPath: model, outputRoot: path.join(root, 'fresh'), settings, html: false });
    assert.deepEqual(resumed.report.passes.map((p) => p.layers.map((l) => l.psi)), fresh.report.passes.map((p) => p.layers.map((l) => l.psi)));
    assert.deepEqual(resumed.report.categories, fresh.report.categories);
  });
}
