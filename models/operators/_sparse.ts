// A sparse linear map between rows, in compressed-row form: output element i of a row is
// Σ_{k ∈ [ptr[i], ptr[i+1])} val[k] · input[idx[k]]. The structured operators (masks, pooling,
// blur, and their transposes) reduce to it on the webgpu backend, where one WGSL kernel applies
// it (kernels/operators_sparse.wgsl); on the cpu backend it is the float64 twin of that kernel.
import type { DeviceArray } from "../../kernels/backend.ts";
import { CpuArray } from "../../kernels/cpu_backend.ts";
import { GpuArray, WebGpuBackend } from "../../kernels/webgpu_backend.ts";
import { applySparseGpu, type SparseMatrixRows } from "../../kernels/operators_sparse.ts";
import { checkRows } from "./operator.ts";

/** A sparse outDim × inDim matrix in compressed-row form. */
export type SparseRows = SparseMatrixRows;

/** Builds a {@linkcode SparseRows} from per-output-row lists of (column, value). */
export function sparseFromLists(
  inDim: number,
  rows: readonly (readonly (readonly [number, number])[])[],
): SparseRows {
  const ptr = new Uint32Array(rows.length + 1);
  let nnz = 0;
  rows.forEach((r, i) => {
    nnz += r.length;
    ptr[i + 1] = nnz;
  });
  const idx = new Uint32Array(nnz), val = new Float64Array(nnz);
  let k = 0;
  for (const r of rows) {
    for (const [j, v] of r) {
      idx[k] = j;
      val[k++] = v;
    }
  }
  return { inDim, outDim: rows.length, ptr, idx, val };
}

/** The transpose of a sparse map, in compressed-row form (entries in increasing column order). */
export function sparseTranspose(m: SparseRows): SparseRows {
  const lists: [number, number][][] = Array.from({ length: m.inDim }, () => []);
  for (let i = 0; i < m.outDim; i++) {
    for (let k = m.ptr[i]!; k < m.ptr[i + 1]!; k++) lists[m.idx[k]!]!.push([i, m.val[k]!]);
  }
  return sparseFromLists(m.outDim, lists);
}

/** out[r] = M x[r] in float64 on host arrays (the cpu twin of the kernel). */
export function applySparseHost(m: SparseRows, x: Float64Array, out: Float64Array): void {
  const n = x.length / m.inDim;
  for (let r = 0; r < n; r++) {
    const xo = r * m.inDim, oo = r * m.outDim;
    for (let i = 0; i < m.outDim; i++) {
      let acc = 0;
      for (let k = m.ptr[i]!; k < m.ptr[i + 1]!; k++) acc += m.val[k]! * x[xo + m.idx[k]!]!;
      out[oo + i] = acc;
    }
  }
}

/**
 * out[r] = M x[r] for every row, on the arrays' backend: the WGSL kernel on webgpu, the float64
 * loop on cpu (and for any other backend, through the host).
 */
export async function applySparse(
  what: string,
  m: SparseRows,
  x: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  checkRows(what, x, m.inDim, out, m.outDim);
  const b = x.backend;
  if (x instanceof CpuArray && out instanceof CpuArray) {
    const src = x === out ? x.data.slice() : x.data;
    applySparseHost(m, src, out.data);
    return;
  }
  if (b instanceof WebGpuBackend && x instanceof GpuArray && out instanceof GpuArray) {
    await applySparseGpu(b, m, x, out);
    return;
  }
  const host = Float64Array.from(await b.download(x));
  const res = new Float64Array(out.length);
  applySparseHost(m, host, res);
  await b.write(out, res);
}

/**
 * out[r] = M_last ⋯ M_1 x[r]: the maps applied in order through scratch arrays on the backend.
 * The widths must chain (M_{i+1}.inDim = M_i.outDim).
 */
export async function applySparseChain(
  what: string,
  maps: readonly SparseRows[],
  x: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  const first = maps[0]!, last = maps[maps.length - 1]!;
  const n = checkRows(what, x, first.inDim, out, last.outDim);
  const b = x.backend;
  let cur = x;
  const scratch: DeviceArray[] = [];
  try {
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i]!;
      const dst = i === maps.length - 1 ? out : b.zeros(n * m.outDim);
      if (dst !== out) scratch.push(dst);
      await applySparse(what, m, cur, dst);
      cur = dst;
    }
  } finally {
    for (const s of scratch) b.release(s);
  }
}

/**
 * Applies a structured operator: on the cpu backend the float64 host routine `onHost` (the
 * ndarray views of models/_ndarray.ts), elsewhere the chain of sparse maps (the WGSL kernel on
 * webgpu). Checks the shapes first.
 */
export async function applyStructured(
  what: string,
  x: DeviceArray,
  inDim: number,
  out: DeviceArray,
  outDim: number,
  onHost: (x: Float64Array, out: Float64Array, rows: number) => void,
  maps: () => readonly SparseRows[],
): Promise<void> {
  const n = checkRows(what, x, inDim, out, outDim);
  if (x instanceof CpuArray && out instanceof CpuArray) {
    const src = x === out ? x.data.slice() : x.data;
    onHost(src, out.data, n);
    return;
  }
  await applySparseChain(what, maps(), x, out);
}

/** I_outer ⊗ M ⊗ I_inner as a sparse map (M acting on the middle axis of outer × dim × inner). */
export function kronIdentity(outer: number, m: SparseRows, inner: number): SparseRows {
  const lists: [number, number][][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m.outDim; i++) {
      for (let q = 0; q < inner; q++) {
        const row: [number, number][] = [];
        for (let k = m.ptr[i]!; k < m.ptr[i + 1]!; k++) {
          row.push([(o * m.inDim + m.idx[k]!) * inner + q, m.val[k]!]);
        }
        lists.push(row);
      }
    }
  }
  return sparseFromLists(outer * m.inDim * inner, lists);
}

/** A dense rows × cols matrix (row-major) as a sparse map, dropping exact zeros. */
export function sparseFromDense(a: Float64Array, rows: number, cols: number): SparseRows {
  const lists: [number, number][][] = [];
  for (let i = 0; i < rows; i++) {
    const row: [number, number][] = [];
    for (let j = 0; j < cols; j++) if (a[i * cols + j] !== 0) row.push([j, a[i * cols + j]!]);
    lists.push(row);
  }
  return sparseFromLists(cols, lists);
}
