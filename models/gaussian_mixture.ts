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

import type { Backend, DeviceArray } from "../kernels/mod.ts";
import {
  CpuArray,
  GpuArray,
  quote,
  SdenoRangeError,
  SdenoTypeError,
  WebGpuBackend,
} from "../kernels/mod.ts";
import type { GpuContext } from "../kernels/gpu_context.ts";
import { launchGmmDenoise, packGmm } from "../kernels/gmm_denoise.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { type Denoiser, predictionBasis, type PredictionKind } from "./denoiser.ts";
import { _checkBatch, _hostCopy, _store } from "./_host.ts";

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
 * Checks a mixture spec and returns its flat parameters.
 *
 * @internal
 */
export function _checkMixture(spec: GaussianMixtureSpec): {
  k: number;
  d: number;
  w: Float64Array;
  mu: Float64Array;
  v: Float64Array;
} {
  const what = "Cannot build the Gaussian mixture";
  const { weights, means, variances } = spec ?? ({} as GaussianMixtureSpec);
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new SdenoTypeError(`${what}: weights must be a non-empty array, got ${quote(weights)}`);
  }
  const k = weights.length;
  if (
    !Array.isArray(means) || means.length !== k || !Array.isArray(variances) ||
    variances.length !== k
  ) {
    throw new SdenoTypeError(`${what}: means and variances must have ${k} rows, like weights`);
  }
  const d = means[0]?.length ?? 0;
  if (d === 0) throw new SdenoTypeError(`${what}: means[0] must be a non-empty array`);
  const w = new Float64Array(k), mu = new Float64Array(k * d), v = new Float64Array(k * d);
  let total = 0;
  for (let c = 0; c < k; c++) {
    const wc = weights[c]!;
    if (!(wc > 0) || !Number.isFinite(wc)) {
      throw new SdenoRangeError(`${what}: weights[${c}] must be positive, got ${quote(wc)}`);
    }
    w[c] = wc;
    total += wc;
    const m = means[c]!, s = variances[c]!;
    if (m?.length !== d || s?.length !== d) {
      throw new SdenoTypeError(`${what}: means[${c}] and variances[${c}] must have length ${d}`);
    }
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(m[j]!)) {
        throw new SdenoTypeError(`${what}: means[${c}][${j}] must be finite, got ${quote(m[j])}`);
      }
      if (!(s[j]! > 0) || !Number.isFinite(s[j]!)) {
        throw new SdenoRangeError(
          `${what}: variances[${c}][${j}] must be positive, got ${quote(s[j])}`,
        );
      }
      mu[c * d + j] = m[j]!;
      v[c * d + j] = s[j]!;
    }
  }
  if (Math.abs(total - 1) > 1e-9) {
    throw new SdenoRangeError(`${what}: weights must sum to 1, got sum ${quote(total)}`);
  }
  return { k, d, w, mu, v };
}

/**
 * The exact denoiser of a Gaussian mixture under a noise schedule. Native
 * kinds are x₀ and ε (both closed form); v, score and velocity are exact
 * combinations of the two. Runs in float64 on the cpu backend; on a webgpu
 * backend `predict` runs the `gmm_denoise` kernel (f32, no host round trip;
 * the mixture is uploaded once per device). One fallback: when the backend's
 * `chunkElements` is not a multiple of d, a row would straddle two chunks
 * (the kernel sees one chunk at a time), so the batch is read back,
 * evaluated in float64 and written again.
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
 * await gm.predict(b, b.upload([3]), 1, "x0", out); // (1·3 + 1·1)/2
 * assert.ok(Math.abs((await b.download(out))[0]! - 2) < 1e-15);
 * ```
 */
export function gaussianMixture(
  spec: GaussianMixtureSpec,
  schedule: NoiseSchedule,
): GaussianMixtureDenoiser {
  const { k, d, w, mu, v } = _checkMixture(spec);
  const logW = w.map(Math.log);
  const logits = new Float64Array(k);
  const q = new Float64Array(k * d);
  const logQ = new Float64Array(k);

  function evaluate(
    x: Float64Array,
    alpha: number,
    sigma: number,
    out: { x0?: Float64Array; eps?: Float64Array },
  ): void {
    const s2 = sigma * sigma, a2 = alpha * alpha;
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
        }
        const l = logW[c]! - 0.5 * (quad + logQ[c]!);
        logits[c] = l;
        if (l > max) max = l;
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += logits[c] = Math.exp(logits[c]! - max);
      for (let j = 0; j < d; j++) {
        let a = 0, b = 0;
        for (let c = 0; c < k; c++) {
          const r = logits[c]! / z;
          const res = (x[row + j]! - alpha * mu[c * d + j]!) / q[c * d + j]!;
          a += r * (mu[c * d + j]! + alpha * v[c * d + j]! * res);
          b += r * sigma * res;
        }
        if (x0) x0[row + j] = a;
        if (eps) eps[row + j] = b;
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
    backend: Backend,
    x: DeviceArray,
    t: number,
    kind: PredictionKind,
    out: DeviceArray,
  ): Promise<void> {
    const what = "Cannot evaluate the Gaussian mixture";
    _checkBatch(what, d, x, out);
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    if (
      backend instanceof WebGpuBackend && x instanceof GpuArray && out instanceof GpuArray &&
      backend.chunkElements % d === 0
    ) {
      const [ca, cb] = predictionBasis(kind, schedule, t);
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
      const [a, b] = predictionBasis(kind, schedule, t);
      for (let i = 0; i < result.length; i++) result[i] = a * result[i]! + b * e[i]!;
    }
    if (onHost) {
      if (result !== (out as CpuArray).data) (out as CpuArray).data.set(result);
    } else await backend.write(out, result);
  }

  async function vjp(
    backend: Backend,
    x: DeviceArray,
    t: number,
    kind: PredictionKind,
    vec: DeviceArray,
    out: DeviceArray,
  ): Promise<void> {
    const what = "Cannot compute the Gaussian mixture's vector-Jacobian product";
    _checkBatch(what, d, x, out, vec);
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    const [a, b] = predictionBasis(kind, schedule, t);
    const xs = await _hostCopy(backend, x), vs = await _hostCopy(backend, vec);
    const result = new Float64Array(x.length);
    const s2 = sigma * sigma, a2 = alpha * alpha;
    const r = new Float64Array(k), p = new Float64Array(d), res = new Float64Array(k * d);
    for (let row = 0; row < xs.length; row += d) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < d; j++) {
          const q = a2 * v[c * d + j]! + s2;
          const rr = (xs[row + j]! - alpha * mu[c * d + j]!) / q;
          res[c * d + j] = rr;
          acc += rr * rr * q + Math.log(q);
        }
        r[c] = logW[c]! - 0.5 * acc;
        if (r[c]! > max) max = r[c]!;
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += r[c] = Math.exp(r[c]! - max);
      for (let c = 0; c < k; c++) r[c] = r[c]! / z;
      // p = Σ r_k c_k with c_k = a (μ_k + α v_k res_k) + b σ res_k
      p.fill(0);
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) {
          const ck = a * (mu[c * d + j]! + alpha * v[c * d + j]! * res[c * d + j]!) +
            b * sigma * res[c * d + j]!;
          p[j] = p[j]! + r[c]! * ck;
        }
      }
      // out = Σ_k r_k (a α v_k + b σ)/q_k ⊙ v − Σ_k r_k ((c_k − p)·v) res_k
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < d; j++) {
          const ck = a * (mu[c * d + j]! + alpha * v[c * d + j]! * res[c * d + j]!) +
            b * sigma * res[c * d + j]!;
          dot += (ck - p[j]!) * vs[row + j]!;
        }
        for (let j = 0; j < d; j++) {
          const q = a2 * v[c * d + j]! + s2;
          result[row + j] = result[row + j]! +
            r[c]! * ((a * alpha * v[c * d + j]! + b * sigma) / q * vs[row + j]! -
                dot * res[c * d + j]!);
        }
      }
    }
    await _store(backend, out, result);
  }

  return {
    dim: d,
    nativeKind: "x0",
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
