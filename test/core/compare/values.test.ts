import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedIndices } from '../../../src/core/compare/values';
import type { LayerPsi } from '../../../src/core/report/schema';

const layer = (name: string, extra: Record<string, number[]>): LayerPsi =>
  ({ name, psi: [0.2, 0.4], indices: Object.fromEntries(Object.entries(extra).map(([id, values]) => [id, { axis: 'category', values }])) }) as unknown as LayerPsi;

test('sharedIndices: only indices every layer of every pass of every report holds, psi first in registry order', () => {
  const a = { passes: [{ layers: [layer('conv1', { 'hoyer:raw': [1, 2], 'gini:raw': [1, 2] }), layer('fc1', { 'hoyer:raw': [1, 2], 'gini:raw': [3, 4] })] }] };
  const b = { passes: [{ layers: [layer('conv1', { 'gini:raw': [1, 2], 'hoyer:raw': [0, 1] }), layer('fc1', { 'hoyer:raw': [5, 6] })] }] };
  assert.deepEqual(sharedIndices([a]).map((i) => i.id), ['psi', 'hoyer:raw', 'gini:raw']);
  // b's fc1 lacks gini:raw: a comparison on it would fail for that layer, so it is not offered.
  assert.deepEqual(sharedIndices([a, b]).map((i) => i.id), ['psi', 'hoyer:raw']);
  // A control pass without the index rules it out too (the panel compares controls on request).
  const c = { passes: [...a.passes, { layers: [layer('conv1', {}), layer('fc1', {})] }] };
  assert.deepEqual(sharedIndices([c]).map((i) => i.id), ['psi']);
});
