/** Vinje & Gallant (2000) sparseness, the study's PSI measure (METHOD §5); the formula lives in core/psi.ts. */
import { vinjeGallant } from '../psi';
import type { Measure } from './types';

export const VINJE_GALLANT: Measure = {
  id: 'psi',
  label: 'PSI',
  bounded: true,
  reference: 'Vinje & Gallant (2000), Science 287:1273; as Liu, Zhen & Liu (2020)',
  value: vinjeGallant,
};
