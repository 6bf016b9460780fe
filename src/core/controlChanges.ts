/**
 * What a lesion control changed in the model (issue 10, point 5), in words for the log, the
 * CLI and the report, and the warning for a control that changed nothing (it would silently
 * equal the trained model: e.g. a no-nonlinearity control on a model whose activations are
 * not recognised).
 */
import type { ControlChanges } from './types';

/** `ReLU 17 → identity`, `conv/fc weights 21 permuted`, `16 gating sigmoids (squeeze-excitation) kept`. */
export function describeChanges(c: ControlChanges): string {
  const parts = [
    ...Object.entries(c.replaced).map(([k, n]) => `${k} ${n} → identity`),
    ...Object.entries(c.permuted).map(([k, n]) => `${k} ${n} permuted`),
  ];
  if (c.gatesKept) parts.push(`${c.gatesKept} gating sigmoid${c.gatesKept > 1 ? 's' : ''} (squeeze-excitation) kept`);
  return parts.join(', ') || 'nothing changed';
}

/** The warning for a control that leaves the model as it was, or null. */
export function controlWarning(pass: { kind: string; label: string }, c: ControlChanges): string | null {
  const replaced = Object.values(c.replaced).reduce((a, n) => a + n, 0);
  const permuted = Object.values(c.permuted).reduce((a, n) => a + n, 0);
  if (pass.kind === 'norelu' && replaced === 0) {
    return `the ${pass.label} control changed nothing: the model has no activation this tool recognises, so the control equals the trained model.`;
  }
  if (pass.kind === 'permuted' && permuted === 0) return `the ${pass.label} control permuted no tensor, so it equals the trained model.`;
  return null;
}
