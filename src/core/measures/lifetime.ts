/**
 * `lifetime`: lifetime sparseness of each unit across categories, Vinje & Gallant over the column
 * R[:, j] of the raw-normalised responses (normalisations/raw.ts). One value per unit, not per
 * category: how selectively one unit responds, where PSI says how few units a category drives.
 */
import { vinjeGallant } from '../psi';
import { rawResponses } from './normalisations/raw';
import type { SparsenessIndex } from './types';

export const LIFETIME: SparsenessIndex = {
  id: 'lifetime',
  axis: 'unit',
  bounded: true,
  label: 'lifetime (raw)',
  description: 'Vinje & Gallant sparseness of each unit across categories (Vinje & Gallant 2000; Willmore & Tolhurst 2001), raw responses.',
  compute({ r, categories, units }) {
    const { matrix, shifted } = rawResponses(r, categories, units);
    const column = new Float64Array(categories);
    const values: number[] = new Array(units);
    for (let u = 0; u < units; u++) {
      for (let c = 0; c < categories; c++) column[c] = matrix[c * units + u];
      values[u] = vinjeGallant(column, 0, categories);
    }
    return { values, shifted };
  },
};
