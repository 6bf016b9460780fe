/** PSI by layer: the trained median per layer with its quartile band and bootstrap interval, the controls, the reference line (spec in webview/specs.ts). */
import { psiByLayerNote, psiByLayerSpec } from '../specs';
import type { ChartModule } from './types';

export const PSI_BY_LAYER: ChartModule = {
  id: 'psi-by-layer',
  title: 'PSI by layer',
  // Says what this report's chart draws (no controls named in a run without them).
  note: (r) => psiByLayerNote(r),
  available: (r) => r.passes.length > 0,
  spec: (r, t) => psiByLayerSpec(r, t),
};
