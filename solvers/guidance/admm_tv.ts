/**
 * 3-D inverse problems from a 2-D prior: the data-consistency step of
 * DiffusionMBIR (Chung, Ryu, McCann, Klasky & Ye, "Solving 3D Inverse
 * Problems using Pre-trained 2D Diffusion Models", CVPR 2023, arXiv
 * 2211.10655, §3.2 and eq. (11)–(13)) and of 3-D DDS (Chung, Lee & Ye,
 * "Decomposed Diffusion Sampler for Accelerating Large-Scale Inverse
 * Problems", ICLR 2024, arXiv 2303.05754, §4.2), as in the authors'
 * HJ-harry/DiffusionMBIR and HJ-harry/DDS `solver_3d.py` and
 * ../shared/refs/inverse §1.5.
 *
 * A volume is a stack of S slices, each a 2-D image of `dim` pixels that the
 * 2-D prior sees as one point; one row of a batch is one volume, S·dim long,
 * slice-major. The prior along the third axis is total variation with the
 * periodic forward difference `D_z x = roll(x, −1, slice) − x`, and ADMM
 * with the split z = D_z x and scaled dual u solves
 *
 *   min_x ½‖y − A x‖² + λ‖D_z x‖₁            (noiseless; the papers')
 *   min_x ½‖x − c‖² + (γ/2)‖y − A x‖² + λ‖D_z x‖₁   (with a centre c)
 *
 * by  x ← CG(AᵀA + ρ D_zᵀD_z [+ I/γ-scaled form], rhs, x),
 *     z ← shrink(D_z x + u, λ/ρ),  u ← u + D_z x − z,
 * with z and u kept in an {@linkcode AdmmTvState} across diffusion steps
 * (the warm start of both papers). The second form carries the proximal
 * data term of 2-D noisy DDS into the x-update (our extension for noisy
 * data: x ← CG(I + γAᵀA + ρD_zᵀD_z, c + γAᵀy + ρD_zᵀ(z − u))).
 *
 * @module
 */

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { defineMap } from "../../kernels/map.ts";
import type { Denoiser, PredictRequest } from "../../models/denoiser.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import { isLinearOperator } from "../../models/operators/operator.ts";
import { conjugateGradient } from "./_cg.ts";

/** The shape of a batch of volumes. */
export interface VolumeShape {
  /** Number of volumes (rows). */
  volumes: number;
  /** Slices S per volume (≥ 1). */
  slices: number;
  /** Pixels per slice. */
  dim: number;
}

// The periodic forward difference along the slices as an S × S matrix:
// (D x)_k = x_{(k+1) mod S} − x_k.
function differenceMatrix(s: number): Float64Array {
  const m = new Float64Array(s * s);
  for (let k = 0; k < s; k++) {
    m[k * s + k] = m[k * s + k]! - 1;
    m[k * s + ((k + 1) % s)] = m[k * s + ((k + 1) % s)]! + 1;
  }
  return m;
}

function checkShape(what: string, shape: VolumeShape, a: DeviceArray, name: string): void {
  checkInteger(what, "volumes", shape?.volumes, 1);
  checkInteger(what, "slices", shape.slices, 1);
  checkInteger(what, "dim", shape.dim, 1);
  const len = shape.volumes * shape.slices * shape.dim;
  if (a?.length !== len) {
    throw new SdenoRangeError(
      `${what}: ${name} must hold ${shape.volumes} volumes of ${shape.slices} × ${shape.dim} (length ${len}), got length ${
        quote(a?.length)
      }`,
    );
  }
}

async function slicewise(
  m: Float64Array,
  transpose: boolean,
  x: DeviceArray,
  out: DeviceArray,
  shape: VolumeShape,
): Promise<void> {
  const b = x.backend, { volumes, slices: s, dim } = shape;
  const dev = b.upload(m);
  try {
    for (let v = 0; v < volumes; v++) {
      const off = v * s * dim;
      await b.matmul(out, {
        a: dev,
        b: x,
        m: s,
        k: s,
        n: dim,
        transA: transpose,
        bOffset: off,
        outOffset: off,
      });
    }
  } finally {
    b.release(dev);
  }
}

/**
 * `out = D_z x`, the periodic forward difference along the slices of each
 * volume: `out[v, k] = x[v, (k+1) mod S] − x[v, k]`.
 *
 * @param x the volumes (volumes × S × dim)
 * @param out the differences, same shape (not `x`)
 * @param shape volumes, slices, pixels per slice
 *
 * @example Two slices: each gets the other minus itself
 * ```ts
 * import { zDifference } from "./admm_tv.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const out = b.zeros(4);
 * await zDifference(b.upload([1, 2, 5, 7]), out, { volumes: 1, slices: 2, dim: 2 });
 * assert.deepEqual([...await b.download(out)], [4, 5, -4, -5]);
 * ```
 */
export async function zDifference(
  x: DeviceArray,
  out: DeviceArray,
  shape: VolumeShape,
): Promise<void> {
  const what = "Cannot take the z-difference";
  checkShape(what, shape, x, "x");
  checkShape(what, shape, out, "out");
  await slicewise(differenceMatrix(shape.slices), false, x, out, shape);
}

/**
 * `out = D_zᵀ w`, the adjoint of {@linkcode zDifference}:
 * `out[v, k] = w[v, (k−1) mod S] − w[v, k]`.
 *
 * @param w the differences (volumes × S × dim)
 * @param out the result, same shape (not `w`)
 * @param shape volumes, slices, pixels per slice
 *
 * @example ⟨D_z x, w⟩ = ⟨x, D_zᵀ w⟩
 * ```ts
 * import { zDifference, zDifferenceTranspose } from "./admm_tv.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend(), shape = { volumes: 1, slices: 3, dim: 1 };
 * const x = [1, 4, 2], w = [3, -1, 5];
 * const dx = b.zeros(3), dtw = b.zeros(3);
 * await zDifference(b.upload(x), dx, shape);
 * await zDifferenceTranspose(b.upload(w), dtw, shape);
 * const dot = (a: ArrayLike<number>, c: ArrayLike<number>) => a[0]! * c[0]! + a[1]! * c[1]! + a[2]! * c[2]!;
 * assert.equal(dot(await b.download(dx), w), dot(x, await b.download(dtw)));
 * ```
 */
export async function zDifferenceTranspose(
  w: DeviceArray,
  out: DeviceArray,
  shape: VolumeShape,
): Promise<void> {
  const what = "Cannot take the transposed z-difference";
  checkShape(what, shape, w, "w");
  checkShape(what, shape, out, "out");
  await slicewise(differenceMatrix(shape.slices), true, w, out, shape);
}

/**
 * The total variation along z of each volume, `Σ_k Σ_p |x[(k+1) mod S, p] − x[k, p]|`
 * (the quantity ADMM-TV penalises), on the host.
 *
 * @param x the volumes, host numbers (volumes × S × dim)
 * @param shape volumes, slices, pixels per slice
 * @returns one value per volume
 *
 * @example
 * ```ts
 * import { zTotalVariation } from "./admm_tv.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...zTotalVariation([1, 2, 5, 7], { volumes: 1, slices: 2, dim: 2 })], [18]);
 * ```
 */
export function zTotalVariation(x: ArrayLike<number>, shape: VolumeShape): Float64Array {
  const { volumes, slices: s, dim } = shape;
  const out = new Float64Array(volumes);
  for (let v = 0; v < volumes; v++) {
    let tv = 0;
    for (let k = 0; k < s; k++) {
      const a = (v * s + k) * dim, c = (v * s + ((k + 1) % s)) * dim;
      for (let p = 0; p < dim; p++) tv += Math.abs(x[c + p]! - x[a + p]!);
    }
    out[v] = tv;
  }
  return out;
}

// shrink(v, k) = sign(v) max(|v| − k, 0), the prox of k|·|.
const SHRINK = defineMap({
  name: "guidance_admm_shrink",
  arity: 1,
  wgsl: "return sign(x0) * max(abs(x0) - params[0], 0.0);",
  cpu: (v, _b, _c, _d, p) => Math.sign(v) * Math.max(Math.abs(v) - p[0]!, 0),
});

/** ADMM's split variable z = D_z x and scaled dual u, kept across diffusion steps. */
export class AdmmTvState {
  /** The backend. */
  readonly backend: Backend;
  /** The volumes' shape. */
  readonly shape: Readonly<VolumeShape>;
  /** z ≈ D_z x (volumes × S × dim). */
  readonly z: DeviceArray;
  /** The scaled dual u (volumes × S × dim). */
  readonly u: DeviceArray;

  /**
   * Zero z and u for a batch of volumes (the papers' `del_z`, `udel_z`).
   *
   * @param backend where the volumes live
   * @param shape volumes, slices, pixels per slice
   * @throws {SdenoRangeError} for sizes that are not positive integers
   */
  constructor(backend: Backend, shape: VolumeShape) {
    const what = "Cannot make the ADMM-TV state";
    checkInteger(what, "volumes", shape?.volumes, 1);
    checkInteger(what, "slices", shape.slices, 1);
    checkInteger(what, "dim", shape.dim, 1);
    this.backend = backend;
    this.shape = Object.freeze({ ...shape });
    const len = shape.volumes * shape.slices * shape.dim;
    this.z = backend.zeros(len);
    this.u = backend.zeros(len);
  }

  /** Frees z and u. */
  release(): void {
    this.backend.release(this.z);
    this.backend.release(this.u);
  }
}

/** Options of {@linkcode admmTvStep}. */
export interface AdmmTvOptions {
  /** λ, the weight of ‖D_z x‖₁ (> 0 … or 0: least squares), default 0.04 (DDS SV-CT). */
  lambda?: number;
  /** ρ > 0, the ADMM penalty (default 10). */
  rho?: number;
  /** CG iterations per x-update (≥ 1, default 5). */
  cgIterations?: number;
  /** ADMM iterations per call (≥ 1, default 1, as both papers). */
  iterations?: number;
}

/** The data of one ADMM-TV step. */
export interface AdmmTvData {
  /** The per-volume linear operator (inDim = S·dim): e.g. {@linkcode sliceStackOperator}. */
  operator: LinearOperator;
  /** Aᵀy per volume (volumes × S × dim). */
  aty: DeviceArray;
  /** With a proximal centre c: the weight γ > 0 of the data term (see the module doc). */
  gamma?: number;
  /** The proximal centre c (volumes × S × dim), with `gamma`. */
  center?: DeviceArray;
}

/** The checked numbers of {@linkcode AdmmTvOptions}. */
export interface AdmmTvSettings {
  /** λ. */
  lambda: number;
  /** ρ. */
  rho: number;
  /** CG iterations per x-update. */
  cgIterations: number;
  /** ADMM iterations per call. */
  iterations: number;
}

/**
 * Checks ADMM-TV options and fills in the defaults.
 *
 * @param what the error prefix
 * @param options the options
 * @returns the settings
 * @throws {SdenoRangeError} for λ < 0, ρ ≤ 0, or iteration counts < 1
 *
 * @example
 * ```ts
 * import { admmTvSettings } from "./admm_tv.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(admmTvSettings("x", {}), { lambda: 0.04, rho: 10, cgIterations: 5, iterations: 1 });
 * assert.throws(() => admmTvSettings("x", { rho: 0 }), /rho must be > 0/);
 * ```
 */
export function admmTvSettings(what: string, options: AdmmTvOptions = {}): AdmmTvSettings {
  const num = (name: string, v: unknown, fallback: number) => {
    const x = v === undefined ? fallback : v;
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new SdenoTypeError(`${what}: ${name} must be a finite number, got ${quote(x)}`);
    }
    return x;
  };
  const lambda = num("lambda", options.lambda, 0.04);
  if (lambda < 0) throw new SdenoRangeError(`${what}: lambda must be ≥ 0, got ${quote(lambda)}`);
  const rho = num("rho", options.rho, 10);
  if (!(rho > 0)) throw new SdenoRangeError(`${what}: rho must be > 0, got ${quote(rho)}`);
  const cg = num("cgIterations", options.cgIterations, 5);
  if (!Number.isInteger(cg) || cg < 1) {
    throw new SdenoRangeError(`${what}: cgIterations must be an integer ≥ 1, got ${quote(cg)}`);
  }
  const it = num("iterations", options.iterations, 1);
  if (!Number.isInteger(it) || it < 1) {
    throw new SdenoRangeError(`${what}: iterations must be an integer ≥ 1, got ${quote(it)}`);
  }
  return { lambda, rho, cgIterations: cg, iterations: it };
}

/**
 * ADMM-TV iterations on a batch of volumes `x` (updated in place), with z
 * and u taken from and left in `state` (see the module doc for the update).
 *
 * @param state z and u, and the volumes' shape
 * @param x the volumes (volumes × S × dim), the CG start, overwritten
 * @param data the operator, Aᵀy, and optionally the proximal centre and γ
 * @param options λ, ρ, CG and ADMM iteration counts
 * @throws {SdenoTypeError} for a nonlinear operator or arrays on another backend
 * @throws {SdenoRangeError} for shapes that disagree or options out of range
 *
 * @example With λ = 0 and A = I, ADMM converges to y (least squares)
 * ```ts
 * import { AdmmTvState, admmTvStep } from "./admm_tv.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend(), shape = { volumes: 1, slices: 2, dim: 1 };
 * const state = new AdmmTvState(b, shape);
 * const x = b.zeros(2);
 * const operator = denseOperator([[1, 0], [0, 1]]);
 * // with λ = 0, u stays 0 and x ← (I + ρD_zᵀD_z)⁻¹(y + ρD_zᵀD_z x): contraction 0.4/1.4
 * const data = { operator, aty: b.upload([3, -1]) };
 * await admmTvStep(state, x, data, { lambda: 0, rho: 0.1, cgIterations: 2, iterations: 40 });
 * const got = await b.download(x);
 * assert.ok(Math.abs(got[0]! - 3) < 1e-12 && Math.abs(got[1]! + 1) < 1e-12);
 * state.release();
 * ```
 */
export async function admmTvStep(
  state: AdmmTvState,
  x: DeviceArray,
  data: AdmmTvData,
  options: AdmmTvOptions = {},
): Promise<void> {
  const what = "Cannot take an ADMM-TV step";
  const o = admmTvSettings(what, options);
  if (!(state instanceof AdmmTvState)) {
    throw new SdenoTypeError(`${what}: state must be an AdmmTvState, got ${quote(state)}`);
  }
  const shape = state.shape, b = state.backend;
  const op = data?.operator;
  if (op === undefined || !isLinearOperator(op)) {
    throw new SdenoTypeError(`${what}: data.operator must be a linear operator, got ${quote(op)}`);
  }
  const vdim = shape.slices * shape.dim;
  if (op.inDim !== vdim) {
    throw new SdenoRangeError(
      `${what}: the operator takes volumes of ${op.inDim}, but the state's volumes hold ${shape.slices} × ${shape.dim} = ${vdim}`,
    );
  }
  checkShape(what, shape, x, "x");
  checkShape(what, shape, data.aty, "data.aty");
  for (const a of [x, data.aty, data.center]) {
    if (a !== undefined && a.backend !== b) {
      throw new SdenoTypeError(`${what}: x, aty and center must be on the state's backend`);
    }
  }
  const prox = data.gamma !== undefined || data.center !== undefined;
  const gamma = data.gamma ?? 1;
  if (prox) {
    if (!(gamma > 0) || !Number.isFinite(gamma)) {
      throw new SdenoRangeError(`${what}: data.gamma must be > 0, got ${quote(data.gamma)}`);
    }
    if (data.center === undefined) {
      throw new SdenoTypeError(`${what}: data.gamma needs data.center (the proximal centre)`);
    }
    checkShape(what, shape, data.center, "data.center");
  }
  const len = x.length;
  const ax = b.zeros(shape.volumes * op.outDim), t1 = b.zeros(len), t2 = b.zeros(len);
  const rhs = b.zeros(len), dx = b.zeros(len);
  const { rho, lambda } = o;
  // M p = [p +] γ' AᵀA p + ρ D_zᵀD_z p, with γ' = γ (proximal) or 1.
  const system = {
    dim: vdim,
    apply: async (p: DeviceArray, out: DeviceArray) => {
      await op.apply(p, ax);
      await op.applyTranspose(ax, t1);
      await zDifference(p, t2, shape);
      await zDifferenceTranspose(t2, out, shape);
      if (prox) await b.lincomb(out, [[1, p], [gamma, t1], [rho, out]]);
      else await b.lincomb(out, [[1, t1], [rho, out]]);
    },
  };
  try {
    for (let k = 0; k < o.iterations; k++) {
      // rhs = [c + γ]Aᵀy + ρ D_zᵀ(z − u)
      await b.lincomb(t1, [[1, state.z], [-1, state.u]]);
      await zDifferenceTranspose(t1, rhs, shape);
      if (prox) await b.lincomb(rhs, [[1, data.center!], [gamma, data.aty], [rho, rhs]]);
      else await b.lincomb(rhs, [[1, data.aty], [rho, rhs]]);
      await conjugateGradient(system, rhs, x, { iterations: o.cgIterations });
      // z = shrink(D_z x + u, λ/ρ); u = u + D_z x − z
      await zDifference(x, dx, shape);
      await b.lincomb(t1, [[1, dx], [1, state.u]]);
      await b.map(SHRINK, state.z, [t1], [lambda / rho]);
      await b.lincomb(state.u, [[1, t1], [-1, state.z]]);
    }
  } finally {
    for (const a of [ax, t1, t2, rhs, dx]) b.release(a);
  }
}

/**
 * A per-slice linear operator seen as one on whole volumes of S slices
 * (block diagonal: every slice measured by the same A). The batch layout is
 * unchanged: n volumes are n·S slice rows.
 *
 * @param op the 2-D operator (one slice → its measurement)
 * @param slices S ≥ 1
 * @returns the volume operator (inDim S·op.inDim, outDim S·op.outDim)
 * @throws {SdenoTypeError} for a nonlinear operator
 *
 * @example
 * ```ts
 * import { sliceStackOperator } from "./admm_tv.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const vol = sliceStackOperator(denseOperator([[1, 1]]), 3);
 * const y = b.zeros(3);
 * await vol.apply(b.upload([1, 2, 3, 4, 5, 6]), y);
 * assert.deepEqual([...await b.download(y)], [3, 7, 11]);
 * ```
 */
export function sliceStackOperator(op: LinearOperator, slices: number): LinearOperator {
  const what = "Cannot stack the operator";
  if (op === null || typeof op !== "object" || !isLinearOperator(op)) {
    throw new SdenoTypeError(`${what}: op must be a linear operator, got ${quote(op)}`);
  }
  checkInteger(what, "slices", slices, 1);
  return Object.freeze({
    name: `${op.name} ×${slices} slices`,
    inDim: op.inDim * slices,
    outDim: op.outDim * slices,
    linear: true as const,
    apply: (x: DeviceArray, out: DeviceArray) => op.apply(x, out),
    vjp: (_x: DeviceArray, v: DeviceArray, out: DeviceArray) => op.applyTranspose(v, out),
    applyTranspose: (v: DeviceArray, out: DeviceArray) => op.applyTranspose(v, out),
  });
}

/**
 * A 2-D prior's denoiser seen as a prior on volumes of S independent slices
 * (each slice denoised by the 2-D model, as DiffusionMBIR and DDS do). The
 * batch layout is unchanged: n volumes are n·S slice rows. Per-point
 * conditioning would no longer line up with the rows and is refused.
 *
 * @param model the 2-D denoiser
 * @param slices S ≥ 1
 * @returns the volume denoiser (dim S·model.dim)
 *
 * @example
 * ```ts
 * import { sliceStackModel } from "./admm_tv.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const m = gaussian({ mean: [0, 0], covariance: [[1, 0], [0, 1]] }, vpLinearSchedule());
 * assert.equal(sliceStackModel(m, 4).dim, 8);
 * ```
 */
export function sliceStackModel(model: Denoiser, slices: number): Denoiser {
  const what = "Cannot stack the model";
  if (model === null || typeof model !== "object" || typeof model.predict !== "function") {
    throw new SdenoTypeError(`${what}: model must be a Denoiser, got ${quote(model)}`);
  }
  checkInteger(what, "slices", slices, 1);
  const plain = (r: PredictRequest): PredictRequest => {
    if (r.conditioning !== undefined) {
      throw new SdenoTypeError(`${what}: a slice-stacked model takes no conditioning`);
    }
    return r;
  };
  const stacked: Denoiser = {
    dim: model.dim * slices,
    nativeKind: model.nativeKind,
    kinds: model.kinds,
    schedule: model.schedule,
    predict: (x, t, out, r) => model.predict(x, t, out, plain(r)),
  };
  if (typeof model.vjp === "function") {
    const vjp = model.vjp.bind(model);
    const withVjp: Denoiser = {
      ...stacked,
      vjp: (x, t, v, out, r) => vjp(x, t, v, out, plain(r)),
    };
    return Object.freeze(withVjp);
  }
  return Object.freeze(stacked);
}
