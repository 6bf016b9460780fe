/** `liu2020` (METHOD §4, the study): z-score each unit across categories (ddof 0, zero variance → 0), then min-max each category across units. */
import { normaliseResponses } from '../../psi';
import type { Normalisation } from '../types';

export const LIU2020: Normalisation = {
  id: 'liu2020',
  label: 'z-score units, then min-max categories (the study)',
  // The very function PSI has always used, so `psi` stays bit-identical to core/psi.ts layerPsi.
  apply: (r, categories, units) => ({ matrix: normaliseResponses(r, categories, units), shifted: false }),
};
