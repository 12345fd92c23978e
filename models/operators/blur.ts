/**
 * Separable Gaussian blur with zero padding, 'same' size (the refs' `blur`,
 * ../shared/refs/inverse §3: σ_b = 1 px, radius 2, a 5 × 5 stencil
 * normalised to sum 1 over the full stencil). The 2-D stencil
 * `exp(−(a² + b²)/(2σ²)) / Σ` is the outer product of the 1-D taps
 * `g_t = exp(−t²/(2σ²)) / Σ_t exp(−t²/(2σ²))`, so on an image with pixel
 * `p = r·W + c` (channels first) the operator is `A = I_C ⊗ B_H ⊗ B_W` with
 * `B_n` the n × n banded matrix `B[i, i + t] = g_t`, |t| ≤ radius.
 *
 * Its SVD is the Kronecker product of the two 1-D SVDs (computed densely,
 * n × n, by one-sided Jacobi): `A = (U_H ⊗ U_W)(S_H ⊗ S_W)(V_H ⊗ V_W)ᵀ`, the
 * products `s_H,i s_W,j` sorted decreasing (Van Loan, "The ubiquitous
 * Kronecker product", J. Comput. Appl. Math. 123 (2000), §2). `V`, `U` and
 * their transposes are applied as two 1-D passes (never as a dense d × d
 * matrix); the pseudo-inverse is `V S⁺ Uᵀ` through the same passes. On the cpu
 * backend `A` and `Aᵀ` are two 1-D correlations on npm:ndarray views
 * (models/_ndarray.ts); on webgpu the sparse-row kernel runs each pass.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { correlate1d } from "../_ndarray.ts";
import type { LinearOperator, OperatorSvd } from "./operator.ts";
import { type DenseSvd, denseSvd } from "./_svd.ts";
import {
  applySparseChain,
  applyStructured,
  kronIdentity,
  sparseFromDense,
  sparseFromLists,
  type SparseRows,
} from "./_sparse.ts";

/** A separable blur operator with its Kronecker SVD and pseudo-inverse. */
export interface BlurOperator extends LinearOperator {
  /** Always `"blur"`. */
  readonly kind: "blur";
  /** The normalised 1-D taps g_{−R} … g_R (the 2-D stencil is their outer product). */
  readonly taps: Float64Array;
  /** The image shape `[C, H, W]`. */
  readonly shape: readonly [number, number, number];
  /** The Kronecker SVD. */
  readonly svd: OperatorSvd;
  /** `A⁺ = V S⁺ Uᵀ`. */
  pseudoInverse(y: DeviceArray, out: DeviceArray): Promise<void>;
}

/** Options of {@linkcode gaussianBlurOperator}. */
export interface BlurOptions {
  /** The blur's standard deviation σ_b in pixels, > 0 (default 1). */
  sigma?: number;
  /** The stencil radius R ≥ 0 in pixels (default ⌈2σ_b⌉, 2 at σ_b = 1 as in the refs). */
  radius?: number;
  /** Channels C ≥ 1 (default 1), layout `[C, H, W]`. */
  channels?: number;
  /** Name for messages (default `"blur(σ=…, r=…) <H>×<W>"`). */
  name?: string;
}

/**
 * The Gaussian blur operator on H × W images, with zero padding.
 *
 * @param height H
 * @param width W
 * @param options σ_b, radius, channels and name
 * @returns the operator
 * @throws {SdenoRangeError} when a size is not a positive integer or σ_b is not a positive finite number
 *
 * @example A point spreads into the normalised stencil
 * ```ts
 * import { gaussianBlurOperator } from "./blur.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const a = gaussianBlurOperator(5, 5, { sigma: 1, radius: 2 });
 * const x = new Float64Array(25);
 * x[12] = 1;
 * const y = b.zeros(25);
 * await a.apply(b.upload(x), y);
 * const h = await b.download(y);
 * assert.ok(Math.abs(h.reduce((s, v) => s + v, 0) - 1) < 1e-15);
 * assert.ok(Math.abs(h[12]! - a.taps[2]! ** 2) < 1e-17);
 * ```
 */
export function gaussianBlurOperator(
  height: number,
  width: number,
  options: BlurOptions = {},
): BlurOperator {
  const what = "gaussianBlurOperator";
  checkInteger(what, "height", height, 1);
  checkInteger(what, "width", width, 1);
  const channels = options.channels ?? 1;
  checkInteger(what, "channels", channels, 1);
  const sigma = options.sigma ?? 1;
  if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma <= 0) {
    throw new SdenoRangeError(`${what}: sigma must be a finite number > 0, got ${quote(sigma)}`);
  }
  const radius = options.radius ?? Math.ceil(2 * sigma);
  checkInteger(what, "radius", radius, 0, 4096);
  const taps = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let t = -radius; t <= radius; t++) {
    total += taps[t + radius] = Math.exp(-(t * t) / (2 * sigma * sigma));
  }
  for (let t = 0; t < taps.length; t++) taps[t] = taps[t]! / total;
  const reversed = taps.slice().reverse();
  const d = channels * height * width;
  const name = options.name ?? `blur(σ=${sigma}, r=${radius}) ${height}×${width}`;
  const shape: [number, number, number] = [channels, height, width];
  const band = (n: number): Float64Array => {
    const b = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let t = -radius; t <= radius; t++) {
        if (i + t >= 0 && i + t < n) b[i * n + i + t] = taps[t + radius]!;
      }
    }
    return b;
  };
  let passes: { forward: SparseRows[]; backward: SparseRows[] } | undefined;
  const sparse = () => {
    if (passes) return passes;
    const bh = band(height), bw = band(width);
    const bht = transposeDense(bh, height), bwt = transposeDense(bw, width);
    return (passes = {
      forward: [
        kronIdentity(channels * height, sparseFromDense(bw, width, width), 1),
        kronIdentity(channels, sparseFromDense(bh, height, height), width),
      ],
      backward: [
        kronIdentity(channels * height, sparseFromDense(bwt, width, width), 1),
        kronIdentity(channels, sparseFromDense(bht, height, height), width),
      ],
    });
  };
  const host = (tapsOf: Float64Array) => (x: Float64Array, out: Float64Array, n: number) => {
    const s: [number, number, number] = [n * channels, height, width];
    const tmp = new Float64Array(x.length), scratch = new Float64Array(x.length);
    correlate1d(x, tmp, scratch, s, 2, tapsOf);
    correlate1d(tmp, out, scratch, s, 1, tapsOf);
  };
  // The transpose of a correlation with taps g is the correlation with the reversed taps.
  const transpose = (v: DeviceArray, out: DeviceArray) =>
    applyStructured(`${name}: Aᵀv`, v, d, out, d, host(reversed), () => sparse().backward);
  let factors: KronSvd | undefined;
  const kron = () => (factors ??= kronSvd(
    channels,
    denseSvd(band(height), height, height),
    denseSvd(band(width), width, width),
  ));
  const chain =
    (what: string, pick: (f: KronSvd) => SparseRows[]) => (x: DeviceArray, out: DeviceArray) =>
      applySparseChain(`${name}: ${what}`, pick(kron()), x, out);
  const svd: OperatorSvd = {
    get singularValues() {
      return kron().s;
    },
    applyVt: chain("Vᵀx", (f) => f.vt),
    applyV: chain("Vc", (f) => f.v),
    applyUt: chain("Uᵀy", (f) => f.ut),
    applyU: chain("Uc", (f) => f.u),
  };
  return {
    name,
    kind: "blur",
    taps,
    shape: Object.freeze(shape) as readonly [number, number, number],
    inDim: d,
    outDim: d,
    linear: true,
    svd,
    apply: (x, out) =>
      applyStructured(`${name}: apply`, x, d, out, d, host(taps), () => sparse().forward),
    vjp: (_x, v, out) => transpose(v, out),
    applyTranspose: transpose,
    pseudoInverse: chain("A⁺y", (f) => [...f.ut, f.invS, ...f.v]),
  };
}

function transposeDense(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
}

/** The implicit SVD of I_C ⊗ B_H ⊗ B_W as chains of sparse passes. */
interface KronSvd {
  s: Float64Array;
  vt: SparseRows[];
  v: SparseRows[];
  ut: SparseRows[];
  u: SparseRows[];
  /** diag(1/s) on the first rank coordinates, 0 after. */
  invS: SparseRows;
}

function kronSvd(channels: number, fh: DenseSvd, fw: DenseSvd): KronSvd {
  const h = fh.n, w = fw.n, d = channels * h * w, hw = h * w;
  // the pairs (i, j) by decreasing s_H,i · s_W,j (zero beyond either rank), ties by (i, j)
  const sv = (f: DenseSvd, i: number) => f.s[i] ?? 0;
  const pairs = Array.from({ length: hw }, (_, p) => [Math.floor(p / w), p % w] as const);
  const value = (p: readonly [number, number]) => sv(fh, p[0]) * sv(fw, p[1]);
  pairs.sort((a, b) => value(b) - value(a) || a[0] - b[0] || a[1] - b[1]);
  const top = pairs.length > 0 ? value(pairs[0]!) : 0;
  const tol = Math.max(h, w) * 2.220446049250313e-16 * top;
  const rank = pairs.filter((p) => value(p) > tol).length;
  const s = new Float64Array(rank * channels);
  for (let k = 0; k < rank; k++) {
    for (let c = 0; c < channels; c++) s[k * channels + c] = value(pairs[k]!);
  }
  // coordinate K = k·C + c holds pair k of channel c
  const toSpectral = (mh: Float64Array, mw: Float64Array): SparseRows[] => {
    // step 1: Y[c, r, j] = Σ_q M_W[q, j] x[c, r, q]; step 2: out[k·C + c] = Σ_r M_H[r, i_k] Y[c, r, j_k]
    const step1 = kronIdentity(channels * h, sparseFromDense(transposeDense(mw, w), w, w), 1);
    const rows: [number, number][][] = new Array(d);
    pairs.forEach(([i, j], k) => {
      for (let c = 0; c < channels; c++) {
        const row: [number, number][] = [];
        for (let r = 0; r < h; r++) {
          const v = mh[r * h + i]!;
          if (v !== 0) row.push([c * hw + r * w + j, v]);
        }
        rows[k * channels + c] = row;
      }
    });
    return [step1, sparseFromLists(d, rows)];
  };
  const fromSpectral = (mh: Float64Array, mw: Float64Array): SparseRows[] => {
    // step 1: Z[c, r, j] = Σ_i M_H[r, i] c[pos(i, j)·C + c]; step 2: x[c, r, q] = Σ_j M_W[q, j] Z[c, r, j]
    const pos = new Int32Array(hw);
    pairs.forEach(([i, j], k) => (pos[i * w + j] = k));
    const rows: [number, number][][] = [];
    for (let c = 0; c < channels; c++) {
      for (let r = 0; r < h; r++) {
        for (let j = 0; j < w; j++) {
          const row: [number, number][] = [];
          for (let i = 0; i < h; i++) {
            const v = mh[r * h + i]!;
            if (v !== 0) row.push([pos[i * w + j]! * channels + c, v]);
          }
          rows.push(row);
        }
      }
    }
    const step2 = kronIdentity(channels * h, sparseFromDense(mw, w, w), 1);
    return [sparseFromLists(d, rows), step2];
  };
  const inv: [number, number][][] = [];
  for (let k = 0; k < d; k++) inv.push(k < s.length ? [[k, 1 / s[k]!]] : []);
  return {
    s,
    vt: toSpectral(fh.v, fw.v),
    v: fromSpectral(fh.v, fw.v),
    ut: toSpectral(fh.u, fw.u),
    u: fromSpectral(fh.u, fw.u),
    invS: sparseFromLists(d, inv),
  };
}
