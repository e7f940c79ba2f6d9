/** Cycle detection in the prerequisite graph (a flag waits on another flag's variant). */
import type { Prerequisite } from '../model/flag.ts';

/** At most this many cycles are returned; each costs a graph search. */
export const MAX_CYCLES = 100;

/**
 * The prerequisite cycles among `flags`, each as the list of flag keys along it, starting with
 * its smallest key (`['a', 'b', 'c']` is a -> b -> c -> a; a self-reference is `['a']`).
 * Prerequisites on flags not in `flags` are ignored.
 *
 * Listing every elementary cycle can take exponential time, so this returns, for each knot of
 * mutually dependent flags (strongly connected component), shortest cycles until every flag of
 * the knot is on one of them: every flag involved is named, at polynomial cost. Iterative, so a
 * long chain of prerequisites cannot overflow the stack. Sorted, so output is deterministic.
 */
export function findPrerequisiteCycles(flags: Record<string, { prerequisites: Prerequisite[] }>): string[][] {
  const keys = Object.keys(flags).sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  const edges: number[][] = keys.map((k) => {
    const prerequisites: unknown = (flags[k] as { prerequisites?: unknown } | undefined)?.prerequisites;
    const out = new Set<number>();
    if (Array.isArray(prerequisites)) {
      for (const pr of prerequisites) {
        const target = typeof pr === 'object' && pr !== null ? (pr as { flag?: unknown }).flag : undefined;
        const j = typeof target === 'string' && Object.hasOwn(flags, target) ? index.get(target) : undefined;
        if (j !== undefined) out.add(j);
      }
    }
    return [...out].sort((a, b) => a - b);
  });

  const cycles: string[][] = [];
  for (const component of stronglyConnectedComponents(edges)) {
    const members = new Set(component);
    const first = component[0]!;
    if (component.length === 1 && !edges[first]!.includes(first)) continue;
    const covered = new Set<number>();
    for (const start of [...component].sort((a, b) => a - b)) {
      if (covered.has(start)) continue;
      if (cycles.length >= MAX_CYCLES) break;
      const cycle = shortestCycleThrough(start, edges, members);
      for (const v of cycle) covered.add(v);
      cycles.push(rotateToSmallest(cycle).map((v) => keys[v]!));
    }
  }
  return cycles.sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
}

/** Tarjan's algorithm with an explicit stack. */
function stronglyConnectedComponents(edges: number[][]): number[][] {
  const n = edges.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    // Each frame: a vertex and the position of the next edge to follow.
    const work: Array<[number, number]> = [[root, 0]];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      const next = edges[v]![i];
      if (next !== undefined) {
        frame[1]++;
        if (order[next] === -1) {
          order[next] = low[next] = counter++;
          stack.push(next);
          onStack[next] = true;
          work.push([next, 0]);
        } else if (onStack[next]) {
          low[v] = Math.min(low[v]!, order[next]!);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components;
}

/** A shortest cycle through `start` inside `members` (breadth-first, so also deterministic). */
function shortestCycleThrough(start: number, edges: number[][], members: ReadonlySet<number>): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of edges[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let u = v; u !== start;) {
          u = parent.get(u)!;
          path.push(u);
        }
        return path.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start]; // unreachable for a strongly connected component; keeps the function total
}

function rotateToSmallest(cycle: number[]): number[] {
  let m = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[m]!) m = i;
  return [...cycle.slice(m), ...cycle.slice(0, m)];
}
