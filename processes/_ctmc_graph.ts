// Graph helpers for CTMC generators (private).
import type { RateMatrix } from "./rate_matrix.ts";

/**
 * Communicating classes of the jump graph (i → j when Q[i][j] > 0) by
 * Tarjan's strongly connected components algorithm (Tarjan, SIAM J. Comput.
 * 1(2), 1972), iterative; a class is closed when no rate leaves it.
 */
export function _communicatingClasses(q: RateMatrix): { classes: number[][]; closed: boolean[] } {
  const n = q.n;
  const { rowPtr, colIdx, values } = q;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const classes: number[][] = [];
  let counter = 0;
  const edgePos = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const call: number[] = [root];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    edgePos[root] = rowPtr[root]!;
    while (call.length > 0) {
      const v = call[call.length - 1]!;
      let p = edgePos[v]!;
      let descended = false;
      for (; p < rowPtr[v + 1]!; p++) {
        const w = colIdx[p]!;
        if (w === v || !(values[p]! > 0)) continue;
        if (index[w] === -1) {
          edgePos[v] = p + 1;
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          edgePos[w] = rowPtr[w]!;
          call.push(w);
          descended = true;
          break;
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
      }
      if (descended) continue;
      edgePos[v] = p;
      call.pop();
      if (call.length > 0) {
        const u = call[call.length - 1]!;
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const c: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = classes.length;
          c.push(w);
        } while (w !== v);
        classes.push(c);
      }
    }
  }
  const closed = classes.map(() => true);
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
      if (values[p]! > 0 && colIdx[p] !== i && comp[colIdx[p]!] !== comp[i]) {
        closed[comp[i]!] = false;
      }
    }
  }
  return { classes, closed };
}

/** States from which some state of `targets` is reachable (reverse breadth-first search). */
export function _canReach(q: RateMatrix, targets: ArrayLike<number>): Uint8Array {
  const n = q.n;
  const rev: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let p = q.rowPtr[i]!; p < q.rowPtr[i + 1]!; p++) {
      const j = q.colIdx[p]!;
      if (j !== i && q.values[p]! > 0) rev[j]!.push(i);
    }
  }
  const seen = new Uint8Array(n);
  const queue: number[] = [];
  for (let k = 0; k < targets.length; k++) {
    const t = targets[k]!;
    if (!seen[t]) {
      seen[t] = 1;
      queue.push(t);
    }
  }
  for (let h = 0; h < queue.length; h++) {
    for (const i of rev[queue[h]!]!) {
      if (!seen[i]) {
        seen[i] = 1;
        queue.push(i);
      }
    }
  }
  return seen;
}
