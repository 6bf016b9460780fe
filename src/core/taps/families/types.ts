/**
 * One family rule of the `blocks` tap selection (issue 10): which modules of a network are its
 * blocks. A rule recognises its family from the module tree (torchvision's module names) and
 * lists the blocks' module paths; the selector taps each block's output (the last node of its
 * scope), plus the stem's activation and the last activation before global pooling.
 *
 * To support a new family: add a file with one FamilyRule and list it in families/index.ts.
 */
import type { ScopeTree } from '../scopeTree';
import type { GraphView } from '../view';

export interface FamilyRule {
  /** Shown in the report and the `layers` listing (`resnet`, `vit`, ...). */
  name: string;
  /** True if this rule knows this graph. */
  matches(tree: ScopeTree, view: GraphView): boolean;
  /** Module paths of the blocks, in graph order. */
  blocks(tree: ScopeTree, view: GraphView): string[];
}


export function leafOf(child: string, parent: string): string {
  return parent && child.startsWith(parent + '.') ? child.slice(parent.length + 1) : child;
}
