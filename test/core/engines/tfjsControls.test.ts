/**
 * TF.js no-nonlinearity control on activations other than ReLU (issue 10): every registry
 * kind is made linear, and the session says what it replaced.
 *
 *   node --import tsx --test test/core/engines/tfjsControls.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTf, Tf } from '../../../src/core/tfBackend';
import { openTfjsEngine } from '../../../src/core/engines/tfjs';
import { fileSaveHandler } from '../../../src/core/engines/tfjsIo';
import type { ModelVariant } from '../../../src/core/types';

let tf: Tf;
let tmp: string;
before(async () => {
  ({ tf } = await loadTf());
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tfjs-ctl-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const silu = (v: number) => v / (1 + Math.exp(-v));
const elu = (v: number) => (v > 0 ? v : Math.exp(v) - 1);

describe('TF.js: no-nonlinearity on SiLU (swish) and ELU', () => {
  it('replaces both kinds, reads the pre-activation, and reports the changes', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ name: 'c1', inputShape: [1, 1, 2], filters: 2, kernelSize: 1, activation: 'swish', useBias: false }));
    m.add(tf.layers.elu({ name: 'e1' }));
    m.add(tf.layers.flatten({ name: 'flat' }));
    m.add(tf.layers.dense({ name: 'out', units: 2 }));
    m.layers[0].setWeights([tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2])]);
    const dir = path.join(tmp, 'swish');
    await m.save(fileSaveHandler(tf.io, dir));
    m.dispose();
    const e = await openTfjsEngine(path.join(dir, 'model.json'));
    const x = [1.5, -2];
    const read = async (variant: ModelVariant) => {
      const s = await e.createSession({ taps: ['c1', 'e1'], variant, unitMode: 'channel', includeLogits: false });
      const out = await s.run(Float32Array.from(x), 1);
      const r = { taps: out.taps.map((t) => Array.from(t)), changes: s.changes };
      await s.dispose();
      return r;
    };
    const t = await read({ kind: 'trained' });
    const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${v} vs ${b[i]}`));
    close(t.taps[0], x.map(silu));
    close(t.taps[1], x.map(silu).map(elu));
    const n = await read({ kind: 'norelu' });
    assert.deepEqual(n.changes?.replaced, { SiLU: 1, ELU: 1 });
    close(n.taps[0], x);
    close(n.taps[1], x);
    await e.dispose();
  });
});
