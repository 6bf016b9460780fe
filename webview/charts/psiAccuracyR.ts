/** The PSI–accuracy correlation (r across categories) per layer, with its significance (spec in webview/specs.ts). */
import { psiAccuracyRSpec } from '../specs';
import type { ChartModule } from './types';

export const PSI_ACCURACY_R: ChartModule = {
  id: 'psi-accuracy-r',
  title: 'PSI–accuracy correlation per layer',
  note: 'Correlation across categories; * p < 0.05, ** p < 0.01, *** p < 0.001.',
  available: (r) => (r.psiAccuracy?.perLayer.length ?? 0) > 0,
  spec: (r, t) => psiAccuracyRSpec(r, t),
};
