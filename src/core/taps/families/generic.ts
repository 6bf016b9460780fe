/**
 * Scoped graphs of no known family: a block is the innermost module that merges two data
 * paths (a residual Add, a branch Concat) — the structure every family above shares.
 */
import type { FamilyRule } from './types';

export const genericScoped: FamilyRule = {
  name: 'generic',
  matches: (_t, v) => v.scoped,
  blocks: (t, v) => {
    const found: string[] = [];
    for (const n of v.nodes) {
      if ((n.kind !== 'add' && n.kind !== 'concat') || n.inputs.length < 2 || n.scope.length === 0) continue;
      const s = n.scope[n.scope.length - 1];
      if (!found.includes(s)) found.push(s);
    }
    // Outer modules that only contain blocks found here are containers, not blocks themselves.
    return found.filter((s) => t.has(s));
  },
};
