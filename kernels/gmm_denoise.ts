/**
 * The exact Gaussian-mixture denoiser as a WGSL kernel (`gmm_denoise.wgsl`),
 * one point per invocation, with its float64 CPU twin {@linkcode gmmDenoiseCpu}.
 * For `x = α x₀ + σ ε` and `x₀ ~ Σₖ wₖ N(μₖ, diag(vₖ))` (refs/diffusion §3.2):
 *
 * ```
 * q_kj = α² v_kj + σ²,   res_kj = (x_j − α μ_kj)/q_kj
 * r_k  = softmax_k( log w_k − ½ Σ_j [ (x_j − α μ_kj)² / q_kj + log q_kj ] )
 * out_j = Σ_k r_k [ ca (μ_kj + α v_kj res_kj) + cb σ res_kj ]   (= ca x̂₀ + cb ε̂)
 * ```
 *
 * In float32 the terms that every component shares (Σ_j log q_kj ≈ d·log σ²,
 * and x²/σ² inside the quadratic) dwarf the differences between components at
 * large σ, so the kernel never forms l_k: it measures every component against
 * a reference component c* (the one of largest logit, found in a first pass),
 * with δ = μ* − μ_k, Δv = v* − v_k and r* = x − α μ*:
 *
 * ```
 * l_k − l* = log w_k − log w* − ½ Σ_j [ r*² α²Δv/(q_k q*) + αδ (2r* + αδ)/q_k + log1p(−α²Δv/q*) ]
 * t_k − t* = −ca δ + (ca α v_k + cb σ)(r* α²Δv/(q_k q*) + αδ/q_k) − ca α Δv r* / q*
 * out      = t* + Σ_k e^{l_k − l*} (t_k − t*) / Σ_k e^{l_k − l*}
 * ```
 *
 * (t_k is component k's output term; log1p(−α²Δv/q*) = log(q_k/q*)), so no
 * large common term is added and cancelled. The kernel evaluates this in
 * double-f32 arithmetic (each value an unevaluated sum hi + lo of two f32,
 * ~48 bits: Dekker 1971, Knuth TAOCP vol. 2 §4.2.2), from its inputs (x and
 * the mixture in f32; α, σ, ca and cb split from their float64 values into
 * hi + lo) to the output, which it rounds to f32 once. Measured: the output is
 * the correctly rounded exact value of the mixture at the f32 points on the
 * test grid (d = 2, 3 and 16, and d = 2 and 5 with more than
 * {@linkcode GMM_STORE_MAX} components) and on every evaluation of the 276
 * reference runs (d = 2). Only the choice of the reference (pass 1) is made in
 * plain f32. The error-free transforms are fenced
 * from the shader compiler's algebra (Mesa's NIR folds (a + b) − a to b) by an
 * OR with a uniform that is always 0. The K weights of a point live in a
 * private array, so the source is built per K ({@linkcode gmmDenoiseSource}).
 * The mixture parameters live in one storage buffer (`log w`, then μ, then v,
 * row-major, f32); α, σ, the output coefficients (each as f32 hi + lo) and
 * the shapes go in the uniforms.
 *
 * @module
 */

import GMM from "./gmm_denoise.wgsl" with { type: "text" };
import { COMMON_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl, WORKGROUP_SIZE } from "./gpu_context.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "./errors.ts";

/**
 * Most components whose weights the kernel keeps in a private array; above,
 * it recomputes each weight where it is used (same outputs, K·d² work a
 * point), since llvmpipe's compile time grows as K² with the array (1 s at
 * K = 128, 76 s at K = 1024).
 *
 * @example
 * ```ts
 * import { GMM_STORE_MAX, gmmDenoiseSource } from "./gmm_denoise.ts";
 * import assert from "node:assert/strict";
 * assert.ok(gmmDenoiseSource(GMM_STORE_MAX).includes("const GMM_STORE: bool = true;"));
 * assert.ok(gmmDenoiseSource(GMM_STORE_MAX + 1).includes("const GMM_STORE: bool = false;"));
 * ```
 */
export const GMM_STORE_MAX = 64;

/**
 * The full WGSL source of the mixture-denoiser kernel for `k` components (the
 * kernel keeps the K weights of a point in a private array, whose length WGSL
 * wants in the source, up to {@linkcode GMM_STORE_MAX} components).
 *
 * @param k the number of components, a positive integer
 * @returns the WGSL source
 * @throws {SdenoRangeError} when `k` is not a positive integer
 *
 * @example
 * ```ts
 * import { gmmDenoiseSource } from "./gmm_denoise.ts";
 * import assert from "node:assert/strict";
 * assert.ok(gmmDenoiseSource(8).includes("const GMM_K: u32 = 8u;"));
 * ```
 */
export function gmmDenoiseSource(k: number): string {
  if (!Number.isInteger(k) || k < 1) {
    throw new SdenoRangeError(
      `Cannot build the mixture-denoiser kernel: k must be a positive integer, got ${quote(k)}`,
    );
  }
  const store = k <= GMM_STORE_MAX;
  return joinWgsl(
    COMMON_WGSL,
    GMM.replace("GMM_K_VALUE", String(k)).replace("GMM_STORE_VALUE", String(store))
      .replace("GMM_W_LEN_VALUE", String(store ? k : 1)),
  );
}

/** Shapes, noise level and output coefficients of one evaluation. */
export interface GmmDenoiseParams {
  /** Number of components K. */
  k: number;
  /** Dimension d. */
  d: number;
  /** α of `x = α x₀ + σ ε`. */
  alpha: number;
  /** σ of `x = α x₀ + σ ε`. */
  sigma: number;
  /** Coefficient of x̂₀ in the output. */
  ca: number;
  /** Coefficient of ε̂ in the output. */
  cb: number;
}

/**
 * Packs a mixture into the kernel's parameter layout: `log w` (K), then the
 * means (K × d), then the variances (K × d).
 *
 * @param weights the K weights
 * @param means K × d means, row-major
 * @param variances K × d per-dimension variances, row-major
 * @returns the packed parameters (K + 2Kd numbers)
 * @throws {SdenoTypeError} when the lengths do not fit K and d
 *
 * @example
 * ```ts
 * import { packGmm } from "./gmm_denoise.ts";
 * import assert from "node:assert/strict";
 * const p = packGmm(new Float64Array([1]), new Float64Array([2, 3]), new Float64Array([4, 5]));
 * assert.deepEqual([...p], [0, 2, 3, 4, 5]);
 * ```
 */
export function packGmm(
  weights: Float64Array,
  means: Float64Array,
  variances: Float64Array,
): Float64Array {
  const k = weights.length;
  if (k === 0 || means.length % k !== 0 || variances.length !== means.length) {
    throw new SdenoTypeError(
      `Cannot pack the mixture: means and variances must be K × d with K = ${quote(k)}, got ` +
        `lengths ${quote(means.length)} and ${quote(variances.length)}`,
    );
  }
  const out = new Float64Array(k + 2 * means.length);
  for (let c = 0; c < k; c++) out[c] = Math.log(weights[c]!);
  out.set(means, k);
  out.set(variances, k + means.length);
  return out;
}

/**
 * CPU twin of the kernel, in float64 and with the same two passes and the same
 * reference-component form (see the module doc):
 * `out = ca x̂₀ + cb ε̂` for every row of `x` (n × d). `out` must not alias `x`.
 *
 * @param out the destination, as long as `x`
 * @param x the noised points, n × d
 * @param gmm the packed mixture from {@linkcode packGmm}
 * @param params K, d, α, σ and the output coefficients
 * @throws {SdenoTypeError} when the lengths do not fit, or `out` aliases `x`
 *
 * @example One component with unit variance at α = σ = 1: x̂₀ = (x + μ)/2
 * ```ts
 * import { gmmDenoiseCpu, packGmm } from "./gmm_denoise.ts";
 * import assert from "node:assert/strict";
 * const gmm = packGmm(new Float64Array([1]), new Float64Array([1]), new Float64Array([1]));
 * const out = new Float64Array(1);
 * gmmDenoiseCpu(out, new Float64Array([3]), gmm, { k: 1, d: 1, alpha: 1, sigma: 1, ca: 1, cb: 0 });
 * assert.equal(out[0], 2);
 * ```
 */
export function gmmDenoiseCpu(
  out: Float64Array,
  x: Float64Array,
  gmm: Float64Array,
  params: GmmDenoiseParams,
): void {
  const { k, d, alpha, sigma, ca, cb } = params;
  const what = "Cannot evaluate the mixture denoiser";
  if (gmm.length !== k + 2 * k * d || x.length % d !== 0 || out.length !== x.length) {
    throw new SdenoTypeError(
      `${what}: need x of n·d, out like x and ${k + 2 * k * d} parameters, got ` +
        `${quote(x.length)}, ${quote(out.length)}, ${quote(gmm.length)}`,
    );
  }
  if (
    out.buffer === x.buffer && out.byteOffset < x.byteOffset + x.byteLength &&
    x.byteOffset < out.byteOffset + out.byteLength
  ) {
    throw new SdenoTypeError(`${what}: out must not alias x`);
  }
  const s2 = sigma * sigma, a2 = alpha * alpha, kd = k * d;
  // l_c − l_r, as in the module doc
  const relLogit = (row: number, c: number, r: number) => {
    const mc = k + c * d, mr = k + r * d;
    let acc = 0;
    for (let j = 0; j < d; j++) {
      const vr = gmm[kd + mr + j]!, vc = gmm[kd + mc + j]!;
      const qr = a2 * vr + s2, qc = a2 * vc + s2;
      const dv = a2 * (vr - vc);
      const ad = alpha * (gmm[mr + j]! - gmm[mc + j]!);
      const rr = x[row + j]! - alpha * gmm[mr + j]!;
      acc += rr * rr * dv / (qc * qr) + ad * (2 * rr + ad) / qc + Math.log1p(-dv / qr);
    }
    return gmm[c]! - gmm[r]! - 0.5 * acc;
  };
  const rows = x.length / d;
  for (let i = 0; i < rows; i++) {
    const row = i * d;
    // pass 1: the reference component, the one with the largest logit
    let r = 0, best = 0;
    for (let c = 1; c < k; c++) {
      const l = relLogit(row, c, 0);
      if (l > best) [best, r] = [l, c];
    }
    for (let j = 0; j < d; j++) out[row + j] = 0;
    const mr = k + r * d;
    // pass 2: Σ_k e^{l_k − l*} (t_k − t*)
    let z = 1;
    for (let c = 0; c < k; c++) {
      if (c === r) continue;
      const w = Math.exp(relLogit(row, c, r));
      z += w;
      const mc = k + c * d;
      for (let j = 0; j < d; j++) {
        const vr = gmm[kd + mr + j]!, vc = gmm[kd + mc + j]!;
        const qr = a2 * vr + s2, qc = a2 * vc + s2;
        const dv = vr - vc, dmu = gmm[mr + j]! - gmm[mc + j]!;
        const rr = x[row + j]! - alpha * gmm[mr + j]!;
        const drho = rr * a2 * dv / (qc * qr) + alpha * dmu / qc;
        const g = ca * alpha * vc + cb * sigma;
        out[row + j] = out[row + j]! + w * (-ca * dmu + g * drho - ca * alpha * dv * rr / qr);
      }
    }
    for (let j = 0; j < d; j++) {
      const vr = gmm[kd + mr + j]!;
      const rho = (x[row + j]! - alpha * gmm[mr + j]!) / (a2 * vr + s2);
      out[row + j] = ca * (gmm[mr + j]! + alpha * vr * rho) + cb * sigma * rho + out[row + j]! / z;
    }
  }
}

/**
 * Encodes the kernel over `rows` points of one chunk (`x` and `out` hold
 * whole rows; `out` is a different buffer from `x`).
 *
 * @param ctx the GPU context
 * @param out the destination buffer (rows·d f32)
 * @param x the points (rows·d f32)
 * @param gmm the packed mixture as f32 (see {@linkcode packGmm})
 * @param shape `rows` and the {@linkcode GmmDenoiseParams}
 */
export async function launchGmmDenoise(
  ctx: GpuContext,
  out: GPUBuffer,
  x: GPUBuffer,
  gmm: GPUBuffer,
  shape: GmmDenoiseParams & { rows: number },
): Promise<void> {
  if (shape.rows === 0) return;
  const pipeline = await ctx.pipeline(`gmm_denoise_k${shape.k}`, gmmDenoiseSource(shape.k), [
    "storage",
    "read",
    "read",
    "uniform",
  ]);
  const raw = new ArrayBuffer(48);
  const u = new Uint32Array(raw), f = new Float32Array(raw);
  u[0] = shape.rows;
  u[1] = shape.d;
  u[2] = shape.k;
  u[3] = 0; // p.zero: the fence of the error-free transforms
  // α, σ, ca, cb as f32 hi + lo (~48 bits), so the kernel does not round them to f32
  [shape.alpha, shape.sigma, shape.ca, shape.cb].forEach((v, i) => {
    f[4 + i] = v;
    f[8 + i] = v - f[4 + i]!;
  });
  ctx.dispatch(pipeline, [out, x, gmm], raw, Math.ceil(shape.rows / WORKGROUP_SIZE));
}
