/**
 * `active`: per category, the fraction of units with a response > 0 in each image, averaged over
 * the category's images. Not computable from the category means (a mean > 0 says nothing about
 * single images), so the run accumulates it (runState.ts activeCounts, analyze.ts accumulate).
 */
import type { SparsenessIndex } from './types';

export const ACTIVE: SparsenessIndex = {
  id: 'active',
  axis: 'category',
  bounded: true,
  label: 'active fraction',
  description: 'Fraction of units with a response > 0 per image, averaged over the category\'s images (accumulated during the run). 1 − this is the fraction of silent units.',
  compute: ({ active, categories }) => {
    if (!active) return undefined;
    if (active.length !== categories) throw new Error(`active: ${active.length} values for ${categories} categories`);
    return { values: Array.from(active), shifted: false };
  },
};
