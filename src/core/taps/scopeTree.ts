/**
 * Module scopes of a graph view as a tree: which modules exist, their children, the nodes
 * inside each, and a module's output (its last data node: torch runs a module's forward to
 * the end before the next module starts, so the last node in graph order is what a forward
 * hook on that module returns).
 */
import type { GraphView, ViewNode } from './view';

export class ScopeTree {
  private readonly members = new Map<string, ViewNode[]>();
  private readonly kids = new Map<string, string[]>();
  readonly top: string[] = [];

  constructor(readonly view: GraphView) {
    for (const n of view.nodes) {
      if (n.kind === 'input') continue;
      n.scope.forEach((s, i) => {
        if (!this.members.has(s)) {
          this.members.set(s, []);
          const parent = i > 0 ? n.scope[i - 1] : null;
          if (parent === null) this.top.push(s);
          else {
            const list = this.kids.get(parent) ?? [];
            list.push(s);
            this.kids.set(parent, list);
          }
        }
        this.members.get(s)!.push(n);
      });
    }
  }

  has(path: string): boolean {
    return this.members.has(path);
  }

  /** Child modules in order of first appearance. */
  children(path: string): string[] {
    return this.kids.get(path) ?? [];
  }

  /** Last segment of a path relative to its parent (`layer1.0` under `layer1` → `0`). */
  static leaf(child: string, parent: string): string {
    return child.startsWith(parent + '.') ? child.slice(parent.length + 1) : child;
  }

  /** Child by relative name (`features` + `3` → `features.3`), if it exists. */
  child(path: string, name: string): string | null {
    const full = path ? `${path}.${name}` : name;
    return this.has(full) ? full : null;
  }

  nodes(path: string): ViewNode[] {
    return this.members.get(path) ?? [];
  }

  /** The module's output: its last node in graph order. */
  output(path: string): ViewNode | undefined {
    const m = this.members.get(path);
    return m && m.length ? m[m.length - 1] : undefined;
  }

  /** All module paths, in order of first appearance. */
  all(): string[] {
    return [...this.members.keys()];
  }
}
