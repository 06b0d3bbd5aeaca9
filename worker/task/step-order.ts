/**
 * Sibling steps in the order their dependencies define: each after everything it waits on among its
 * siblings, steps at the same depth (those that may run in parallel) in the plan's order.
 */
export function dependencyOrder<T extends { key: string; deps: string[] }>(nodes: T[]): T[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const depth = new Map<string, number>();
  const depthOf = (n: T, seen: Set<string>): number => {
    const known = depth.get(n.key);
    if (known !== undefined) return known;
    seen.add(n.key);
    let d = 0;
    for (const k of n.deps) {
      const dep = byKey.get(k);
      if (dep && !seen.has(k)) d = Math.max(d, depthOf(dep, seen) + 1);
    }
    depth.set(n.key, d);
    return d;
  };
  for (const n of nodes) depthOf(n, new Set());
  return nodes.map((n, i) => ({ n, i, d: depth.get(n.key)! })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.n);
}
