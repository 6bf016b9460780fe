/**
 * What the lesion controls change (issue 10, point 5): counts by kind / role, the warning for a
 * control that changes nothing, and normalisation scales under the permuted control.
 *
 *   node --import tsx --test test/core/taps/controls.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { controlWarning, describeChanges } from '../../../src/core/controlChanges';
import { analyseModel, buildSessionModel, tensorValues } from '../../../src/core/engines/onnxGraph';
import { OnnxBuilder } from '../../helpers/onnxBuilder';

/** conv -> BN -> (act) -> GAP -> Flatten -> Gemm */
function build(act: (b: OnnxBuilder, x: string) => string): onnx.ModelProto {
  const b = new OnnxBuilder({ opset: 13 });
  const x = b.input('input', [1, 2, 2, 2]);
  const c = b.conv(x, { name: '/c/Conv', weight: [1, 2, 3, 4], dims: [2, 2, 1, 1] });
  const n = b.batchNorm(c, { name: '/bn/BatchNormalization', scale: [1, 2], bias: [0.5, -0.5], mean: [0, 0], variance: [1, 1] });
  const f = b.flatten(b.gap(act(b, n)));
  b.output(b.gemm(f, { name: '/fc/Gemm', weight: [1, 2, 3, 4], dims: [2, 2], transB: true, output: 'logits' }), [1, 2]);
  return b.build();
}

describe('controls: what they change', () => {
  it('no-nonlinearity on a model without activations changes nothing, and that is a warning', () => {
    const a = analyseModel(build((_b, x) => x));
    const m = buildSessionModel(a, [], { kind: 'norelu' }, 'channel', true);
    assert.deepEqual(m.changes, { replaced: {}, gatesKept: 0, permuted: {} });
    assert.match(controlWarning({ kind: 'norelu', label: 'no-ReLU' }, m.changes)!, /no-ReLU control changed nothing/);
    assert.equal(describeChanges(m.changes), 'nothing changed');
  });

  it('Mish (x * tanh(softplus(x))) and a Tanh are replaced and counted by kind; no warning', () => {
    const a = analyseModel(
      build((b, x) => {
        const sp = b.node('Softplus', [x], {}, { name: '/act/Softplus' });
        const mish = b.node('Mul', [x, b.node('Tanh', [sp], {}, { name: '/act/Tanh' })], {}, { name: '/act/Mul' });
        return b.node('Tanh', [mish], {}, { name: '/act2/Tanh' });
      }),
    );
    const m = buildSessionModel(a, [], { kind: 'norelu' }, 'channel', true);
    assert.deepEqual(m.changes.replaced, { Mish: 1, Tanh: 1 });
    assert.equal(controlWarning({ kind: 'norelu', label: 'no-ReLU' }, m.changes), null);
    const ops = (onnx.ModelProto.decode(m.bytes).graph?.node ?? []).map((n) => n.opType);
    assert.ok(!ops.includes('Tanh') && !ops.includes('Softplus'), `linear graph: ${ops.join(',')}`);
  });

  it('permuted: remaining BatchNorm scales are permuted with the weights unless keepNorms', () => {
    const model = build((b, x) => b.relu(x, '/r/Relu'));
    const a = analyseModel(model);
    const scale = (bytes: Uint8Array) => tensorValues(onnx.ModelProto.decode(bytes).graph!.initializer!.find((t) => t.name === '/bn/BatchNormalization.scale')!);
    const withNorms = buildSessionModel(a, [], { kind: 'permuted', seed: 3, target: 'weights' }, 'channel', true);
    assert.deepEqual(withNorms.changes.permuted, { 'conv/fc weights': 2, 'norm scales': 1 });
    assert.deepEqual(scale(withNorms.bytes), [2, 1], 'seed 3 swaps the two elements');
    const kept = buildSessionModel(a, [], { kind: 'permuted', seed: 3, target: 'weights', keepNorms: true }, 'channel', true);
    assert.deepEqual(kept.changes.permuted, { 'conv/fc weights': 2 });
    assert.deepEqual(scale(kept.bytes), [1, 2]);
  });
});
