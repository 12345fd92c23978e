/**
 * The exact denoiser of a Gaussian mixture with per-dimension variances,
 * `x₀ ~ Σₖ wₖ N(μₖ, diag(vₖ))`, noised as `x = α x₀ + σ ε`: the posterior
 * responsibilities and the per-component posterior means give x̂₀ and ε̂ in
 * closed form (the reference model of ../shared/refs/diffusion, §3.2):
 *
 * ```
 * q_kd = α² v_kd + σ²
 * r_k  = softmax_k( log w_k − ½ Σ_d [ (x_d − α μ_kd)²/q_kd + log q_kd ] )
 * x̂₀_d = Σ_k r_k [ μ_kd + α v_kd (x_d − α μ_kd)/q_kd ]
 * ε̂_d  = Σ_k r_k [ σ (x_d − α μ_kd)/q_kd ]
 * ```
 *
 * Its exact Jacobian (for the vector-Jacobian product): with
 * `res_k = Q_k⁻¹ (x − α μ_k)` (`Q_k = diag(q_k)`), the component means
 * `b_k = μ_k + α V_k res_k` and `∇ₓ l_k = −res_k` for the logits l_k,
 * `∇ₓ log r_k = ∇ l_k − Σ_m r_m ∇ l_m`, so
 *
 * ```
 * ∂x̂₀/∂x = Σ_k r_k A_k + Σ_k r_k b_k (∇ log r_k)ᵀ
 *        = Σ_k r_k α V_k Q_k⁻¹ − Σ_k r_k (b_k − x̂₀) res_kᵀ      (A_k = α V_k Q_k⁻¹)
 * ```
 *
 * and for any kind `p = a x̂₀ + b ε̂` (a, b from `predictionBasis`), with
 * `c_k = a b_k + b σ res_k` the per-component prediction:
 * `∂p/∂x = Σ_k r_k diag((a α v_k + b σ)/q_k) − Σ_k r_k (c_k − p) res_kᵀ`.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/mod.ts";
import { CpuArray, GpuArray, WebGpuBackend } from "../kernels/mod.ts";
import type { GpuContext } from "../kernels/gpu_context.ts";
import { launchGmmDenoise, packGmm } from "../kernels/gmm_denoise.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import {
  type Denoiser,
  predictionBasis,
  type PredictionKind,
  type PredictRequest,
} from "./denoiser.ts";
import { checkBatch, checkKind, hostCopy, store } from "./_host.ts";
import { checkMixture } from "./_check_mixture.ts";

/** Every kind, the native x₀ first: the mixture computes each in closed form. */
const ALL_KINDS: readonly PredictionKind[] = Object.freeze(["x0", "eps", "v", "score", "velocity"]);

/** A mixture: weights (summing to 1), means and per-dimension variances (K × d). */
export interface GaussianMixtureSpec {
  /** Component weights, positive, summing to 1. */
  weights: readonly number[];
  /** Component means, K rows of d numbers. */
  means: readonly (readonly number[])[];
  /** Per-dimension variances (not standard deviations), K rows of d positive numbers. */
  variances: readonly (readonly number[])[];
}

/** The exact mixture denoiser, with its parameters flattened for kernels. */
export interface GaussianMixtureDenoiser extends Denoiser {
  /** Number of components K. */
  readonly components: number;
  /** Weights (K). */
  readonly weights: Float64Array;
  /** Means, K × d row-major. */
  readonly means: Float64Array;
  /** Variances, K × d row-major. */
  readonly variances: Float64Array;
  /**
   * Float64 evaluation on host arrays: writes x̂₀ and ε̂ for the n points of
   * `x` given α and σ (either output may be omitted).
   */
  evaluate(
    x: Float64Array,
    alpha: number,
    sigma: number,
    out: { x0?: Float64Array; eps?: Float64Array },
  ): void;
  /** The exact vector-Jacobian product `out = (∂pred/∂x)ᵀ v` per point (float64, on the host). */
  vjp: NonNullable<Denoiser["vjp"]>;
}

/**
 * The exact denoiser of a Gaussian mixture under a noise schedule. It
 * declares every kind in `kinds` and computes each directly: x₀ and ε in
 * closed form, v, score and velocity as exact combinations of the two (so
 * no kind goes through a conversion, which keeps float32 accuracy). The
 * backend is the one `x` lives on. Runs in float64 on the cpu backend; on a webgpu
 * backend `predict` runs the `gmm_denoise` kernel (f32, no host round trip;
 * the mixture is uploaded once per device). One fallback: when the batch
 * spans several chunks and the backend's `chunkElements` is not a multiple
 * of d, a row would straddle two chunks (the kernel sees one chunk at a
 * time), so the batch is read back, evaluated in float64 and written again.
 *
 * `vjp` is exact (formula in the module doc) and runs on the host in float64
 * on both backends (on webgpu: x and v are read back, the result written).
 *
 * @param spec weights, means and per-dimension variances
 * @param schedule the noise schedule
 * @returns the denoiser
 *
 * @example One component: x̂₀ is the Gaussian posterior mean
 * ```ts
 * import { gaussianMixture } from "./gaussian_mixture.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[1]] }, edmSchedule());
 * const b = await createBackend("cpu");
 * const out = b.zeros(1);
 * await gm.predict(b.upload([3]), 1, out, { kind: "x0" }); // (1·3 + 1·1)/2
 * assert.ok(Math.abs((await b.download(out))[0]! - 2) < 1e-15);
 * ```
 */
export function gaussianMixture(
  spec: GaussianMixtureSpec,
  schedule: NoiseSchedule,
): GaussianMixtureDenoiser {
  const { k, d, w, mu, v } = checkMixture(spec);
  const logW = w.map(Math.log);
  const logits = new Float64Array(k);
  const q = new Float64Array(k * d);
  const logQ = new Float64Array(k);
  const resRow = new Float64Array(k * d);

  function evaluate(
    x: Float64Array,
    alpha: number,
    sigma: number,
    out: { x0?: Float64Array; eps?: Float64Array },
  ): void {
    const s2 = sigma * sigma, a2 = alpha * alpha;
    // per call: q_kj = α² v_kj + σ² and Σ_j log q_kj
    for (let c = 0; c < k; c++) {
      let lq = 0;
      for (let j = 0; j < d; j++) {
        const qq = a2 * v[c * d + j]! + s2;
        q[c * d + j] = qq;
        lq += Math.log(qq);
      }
      logQ[c] = lq;
    }
    const n = x.length / d;
    const { x0, eps } = out;
    for (let i = 0; i < n; i++) {
      const row = i * d;
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let quad = 0;
        for (let j = 0; j < d; j++) {
          const r = x[row + j]! - alpha * mu[c * d + j]!;
          quad += r * r / q[c * d + j]!;
          resRow[c * d + j] = r / q[c * d + j]!;
        }
        const l = logW[c]! - 0.5 * (quad + logQ[c]!);
        logits[c] = l;
        if (l > max) max = l;
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += logits[c] = Math.exp(logits[c]! - max);
      // x̂₀ = Σ_k r_k (μ_k + α v_k res_k), ε̂ = Σ_k r_k σ res_k, summed over k in order
      for (let j = 0; j < d; j++) {
        if (x0) x0[row + j] = 0;
        if (eps) eps[row + j] = 0;
      }
      for (let c = 0; c < k; c++) {
        const r = logits[c]! / z;
        for (let j = 0; j < d; j++) {
          const res = resRow[c * d + j]!;
          if (x0) x0[row + j] = x0[row + j]! + r * (mu[c * d + j]! + alpha * v[c * d + j]! * res);
          if (eps) eps[row + j] = eps[row + j]! + r * sigma * res;
        }
      }
    }
  }

  const packed = packGmm(w, mu, v);
  const gpuParams = new WeakMap<GpuContext, GPUBuffer>();

  async function predictGpu(
    backend: WebGpuBackend,
    x: GpuArray,
    out: GpuArray,
    shape: { alpha: number; sigma: number; ca: number; cb: number },
  ): Promise<void> {
    const ctx = backend.ctx;
    let params = gpuParams.get(ctx);
    if (!params) {
      params = ctx.acquire(4 * packed.length);
      ctx.write(params, 0, Float32Array.from(packed));
      gpuParams.set(ctx, params);
    }
    const dst = x === out ? backend.zeros(x.length) : out;
    for (let c = 0; c < x.chunks.length; c++) {
      const len = Math.min(backend.chunkElements, x.length - c * backend.chunkElements);
      await launchGmmDenoise(ctx, dst.chunks[c]!, x.chunks[c]!, params, {
        rows: len / d,
        k,
        d,
        ...shape,
      });
    }
    if (dst !== out) {
      await backend.lincomb(out, [[1, dst]]);
      backend.release(dst);
    }
  }

  async function predict(
    x: DeviceArray,
    t: number,
    out: DeviceArray,
    request: PredictRequest,
  ): Promise<void> {
    const what = "Cannot evaluate the Gaussian mixture";
    checkBatch(what, d, x, out);
    const kind = checkKind(what, request);
    const backend = x.backend;
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    if (
      backend instanceof WebGpuBackend && x instanceof GpuArray && out instanceof GpuArray &&
      // the kernel sees one chunk at a time, so no row may straddle two
      (x.chunks.length === 1 || backend.chunkElements % d === 0)
    ) {
      const [ca, cb] = predictionBasis(schedule, { kind, t });
      await predictGpu(backend, x, out, { alpha, sigma, ca, cb });
      return;
    }
    const onHost = x instanceof CpuArray && out instanceof CpuArray;
    const xs = onHost ? x.data : Float64Array.from(await backend.download(x));
    const result = onHost && x !== out ? out.data : new Float64Array(x.length);
    if (kind === "x0" || kind === "eps") {
      evaluate(xs, alpha, sigma, kind === "x0" ? { x0: result } : { eps: result });
    } else {
      const e = new Float64Array(x.length);
      evaluate(xs, alpha, sigma, { x0: result, eps: e });
      const [a, b] = predictionBasis(schedule, { kind, t });
      for (let i = 0; i < result.length; i++) result[i] = a * result[i]! + b * e[i]!;
    }
    if (onHost) {
      if (result !== (out as CpuArray).data) (out as CpuArray).data.set(result);
    } else await backend.write(out, result);
  }

  async function vjp(
    x: DeviceArray,
    t: number,
    vec: DeviceArray,
    out: DeviceArray,
    request: PredictRequest,
  ): Promise<void> {
    const what = "Cannot compute the Gaussian mixture's vector-Jacobian product";
    checkBatch(what, d, x, out, vec);
    const kind = checkKind(what, request);
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    const [a, b] = predictionBasis(schedule, { kind, t });
    const xs = await hostCopy(x), vs = await hostCopy(vec);
    const result = new Float64Array(x.length);
    const s2 = sigma * sigma, a2 = alpha * alpha;
    // per call: q_kj, log q_kj and the diagonal factor (a α v_kj + b σ)/q_kj (the per-row
    // arithmetic below is the same, term for term, as with them computed in the loop)
    const kd = k * d;
    const qs = new Float64Array(kd), logq = new Float64Array(kd), diagF = new Float64Array(kd);
    for (let i = 0; i < kd; i++) {
      const q = a2 * v[i]! + s2;
      qs[i] = q;
      logq[i] = Math.log(q);
      diagF[i] = (a * alpha * v[i]! + b * sigma) / q;
    }
    const r = new Float64Array(k), p = new Float64Array(d);
    const res = new Float64Array(kd), ck = new Float64Array(kd);
    for (let row = 0; row < xs.length; row += d) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < d; j++) {
          const i = c * d + j;
          const q = qs[i]!;
          const rr = (xs[row + j]! - alpha * mu[i]!) / q;
          res[i] = rr;
          acc += rr * rr * q + logq[i]!;
          // c_k = a (μ_k + α v_k res_k) + b σ res_k, component k's prediction
          ck[i] = a * (mu[i]! + alpha * v[i]! * rr) + b * sigma * rr;
        }
        r[c] = logW[c]! - 0.5 * acc;
        if (r[c]! > max) max = r[c]!;
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += r[c] = Math.exp(r[c]! - max);
      for (let c = 0; c < k; c++) r[c] = r[c]! / z;
      // p = Σ r_k c_k
      p.fill(0);
      for (let c = 0; c < k; c++) {
        const rc = r[c]!;
        for (let j = 0; j < d; j++) p[j] = p[j]! + rc * ck[c * d + j]!;
      }
      // out = Σ_k r_k (a α v_k + b σ)/q_k ⊙ v − Σ_k r_k ((c_k − p)·v) res_k
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (ck[c * d + j]! - p[j]!) * vs[row + j]!;
        const rc = r[c]!;
        for (let j = 0; j < d; j++) {
          const i = c * d + j;
          result[row + j] = result[row + j]! + rc * (diagF[i]! * vs[row + j]! - dot * res[i]!);
        }
      }
    }
    await store(out, result);
  }

  return {
    dim: d,
    nativeKind: "x0",
    kinds: ALL_KINDS,
    schedule,
    components: k,
    weights: w,
    means: mu,
    variances: v,
    evaluate,
    predict,
    vjp,
  };
}
