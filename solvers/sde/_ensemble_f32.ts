// Private to simulateEnsemble (precision "f32"): the host of solvers/sde/ensemble_f32.wat, the
// float32 Euler–Maruyama ensemble with Philox, Box–Muller and the update fused in WebAssembly SIMD,
// and the declared forms of the built-in models that it runs. No mod.ts re-exports this file.

import { NumericalError } from "../../kernels/errors.ts";
import { _philoxWasmBytes } from "../../kernels/_wasm_philox.ts";
import { _LOG_TABLE } from "../../kernels/_log.ts";
import { _COS_TABLE, _SIN_TABLE } from "../../kernels/_sincos.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import {
  ensembleAccumulator,
  type EnsembleModel,
  type EnsemblePlan,
  type EnsembleSums,
} from "../../kernels/sde_ensemble.ts";
import { _ENSEMBLE_F32_WASM_BASE64 } from "./_ensemble_f32_wasm_bytes.ts";

/** A factor of a term: the component `x[k]`, `√max(x[k], 0)`, or (absent) 1. */
export type F32Factor = { x: number } | { sqrt: number };

/** One term `c · a · b · e` of component `r` of the drift or the diagonal diffusion. */
export interface F32Term {
  /** The component it adds to. */
  r: number;
  /** Its coefficient. */
  c: number;
  /** Up to three factors (none: the constant c). */
  factors: readonly F32Factor[];
}

/**
 * The declared form of an autonomous SDE with d ∈ {1, 2} components and diagonal noise (m = d):
 * drift and diffusion as sums of terms, each a coefficient times up to three factors x_k or
 * √max(x_k, 0). The class the fused kernel runs: polynomial drift of degree ≤ 3 and diagonal
 * diffusion polynomial in x and √x₊.
 */
export interface F32Form {
  /** State dimension (1 or 2). */
  dim: number;
  /** Drift terms. */
  drift: readonly F32Term[];
  /** Diagonal diffusion terms (component r multiplies ΔW_r). */
  diffusion: readonly F32Term[];
}

/** The classes of model that have a declared form, for messages. */
export const F32_MODELS =
  "ornstein-uhlenbeck (diagonal σ), gbm-ito, cox-ingersoll-ross, stochastic-lotka-volterra, " +
  "double-well-langevin, each with 1 or 2 components";

/**
 * The declared form of a built-in model (by its name and `params`), or a sentence saying why
 * there is none.
 */
export function f32FormOf(
  sde: EnsembleModel & { params?: Record<string, unknown> },
): F32Form | string {
  const d = sde.dim, p = sde.params ?? {};
  if (d > 2) return `it has ${d} components (the fused kernel takes 1 or 2)`;
  if (sde.noiseDim !== d) return `its noise has ${sde.noiseDim} components for ${d} states`;
  const num = (v: unknown, i = 0): number => (Array.isArray(v) ? Number(v[i]) : Number(v));
  const drift: F32Term[] = [], diffusion: F32Term[] = [];
  const rows = Array.from({ length: d }, (_, r) => r);
  switch (sde.name) {
    case "ornstein-uhlenbeck": {
      const S = p.sigma as number[];
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          if (a !== b && S[a * d + b] !== 0) return "its σ is not diagonal";
        }
      }
      for (const r of rows) {
        const th = num(p.theta, r), mu = num(p.mu, r);
        drift.push({ r, c: th * mu, factors: [] }, { r, c: -th, factors: [{ x: r }] });
        diffusion.push({ r, c: S[r * d + r]!, factors: [] });
      }
      break;
    }
    case "gbm-ito":
      for (const r of rows) {
        drift.push({ r, c: num(p.mu), factors: [{ x: r }] });
        diffusion.push({ r, c: num(p.sigma), factors: [{ x: r }] });
      }
      break;
    case "cox-ingersoll-ross": {
      const k = num(p.kappa), th = num(p.theta);
      drift.push({ r: 0, c: k * th, factors: [] }, { r: 0, c: -k, factors: [{ x: 0 }] });
      diffusion.push({ r: 0, c: num(p.sigma), factors: [{ sqrt: 0 }] });
      break;
    }
    case "stochastic-lotka-volterra":
      // du = u(α − βv)dt + σ₁u dW₁, dv = v(δu − γ)dt + σ₂v dW₂
      drift.push(
        { r: 0, c: num(p.alpha), factors: [{ x: 0 }] },
        { r: 0, c: -num(p.beta), factors: [{ x: 0 }, { x: 1 }] },
        { r: 1, c: num(p.delta), factors: [{ x: 0 }, { x: 1 }] },
        { r: 1, c: -num(p.gamma), factors: [{ x: 1 }] },
      );
      diffusion.push(
        { r: 0, c: num(p.sigmaPrey), factors: [{ x: 0 }] },
        { r: 1, c: num(p.sigmaPredator), factors: [{ x: 1 }] },
      );
      break;
    case "double-well-langevin": {
      // dx = −4a x(x² − 1)dt + √(2/β) dW
      const a = num(p.barrier), s = Math.sqrt(2 / num(p.beta));
      for (const r of rows) {
        drift.push(
          { r, c: 4 * a, factors: [{ x: r }] },
          { r, c: -4 * a, factors: [{ x: r }, { x: r }, { x: r }] },
        );
        diffusion.push({ r, c: s, factors: [] });
      }
      break;
    }
    default:
      return `"${sde.name}" has no declared form (models with one: ${F32_MODELS})`;
  }
  for (const t of [...drift, ...diffusion]) {
    if (!Number.isFinite(t.c)) return `its parameters are not finite`;
  }
  return { dim: d, drift, diffusion };
}

/** Largest tile the kernel takes, in paths (a row of its memory). */
export const F32_TILE_MAX = 256;

interface F32Exports {
  zAt: WebAssembly.Global;
  xAt: WebAssembly.Global;
  sqrtAt: WebAssembly.Global;
  driftAt: WebAssembly.Global;
  diffusionAt: WebAssembly.Global;
  onesAt: WebAssembly.Global;
  termsAt: WebAssembly.Global;
  draw(
    b0: number,
    b1: number,
    j: number,
    purpose: number,
    k0: number,
    k1: number,
    blocks: number,
  ): void;
  run(
    b0: number,
    b1: number,
    j0: number,
    j1: number,
    purpose: number,
    k0: number,
    k1: number,
    paths: number,
    d: number,
    driftTerms: number,
    diffusionTerms: number,
    sqrtMask: number,
    dt: number,
    sqdt: number,
  ): void;
}

interface F32Instance {
  exports: F32Exports;
  memory: WebAssembly.Memory;
}

let modules: { philox: WebAssembly.Module; f32: WebAssembly.Module } | undefined;
let instance: F32Instance | undefined;

/** The bytes of solvers/sde/ensemble_f32.wasm. */
export function ensembleF32WasmBytes(): Uint8Array<ArrayBuffer> {
  const s = atob(_ENSEMBLE_F32_WASM_BASE64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** This thread's instance: a Philox instance of its own, whose memory and normals the kernel imports. */
function f32Instance(): F32Instance {
  if (instance) return instance;
  modules ??= {
    philox: new WebAssembly.Module(_philoxWasmBytes()),
    f32: new WebAssembly.Module(ensembleF32WasmBytes()),
  };
  const philox = new WebAssembly.Instance(modules.philox, { m: { log: Math.log } }).exports as {
    memory: WebAssembly.Memory;
    logTableAt: WebAssembly.Global;
    sinCosTableAt: WebAssembly.Global;
    fill: (...a: number[]) => void;
  };
  const mem = new Float64Array(philox.memory.buffer);
  mem.set(_LOG_TABLE, (philox.logTableAt.value as number) / 8);
  const sc = (philox.sinCosTableAt.value as number) / 8;
  for (let k = 0; k < _COS_TABLE.length; k++) {
    mem[sc + 2 * k] = _COS_TABLE[k]!;
    mem[sc + 2 * k + 1] = _SIN_TABLE[k]!;
  }
  const exports = new WebAssembly.Instance(modules.f32, {
    p: { memory: philox.memory, fill: philox.fill },
  }).exports as unknown as F32Exports;
  instance = { exports, memory: philox.memory };
  return instance;
}

/**
 * The kernel's f32 Box–Muller normals of grid elements `[4·firstBlock, 4·firstBlock + count)` at
 * `step` for `purpose` (count a multiple of 8, at most 1024): what a path of the fused kernel
 * adds, for the tests.
 */
export function f32Normals(
  key: { seed: number; stream: number },
  o: { step: number; purpose: number; firstBlock: number; count: number },
): Float32Array {
  const { exports, memory } = f32Instance();
  exports.draw(
    o.firstBlock % 4294967296,
    Math.floor(o.firstBlock / 4294967296),
    o.step,
    o.purpose,
    key.seed,
    key.stream,
    o.count / 4,
  );
  return new Float32Array(memory.buffer, exports.zAt.value as number, o.count).slice();
}

/** Where the first non-finite state of a tile appears: path (tile lane), component. */
function firstNonFinite(x: Float32Array, xAt: number, lo: number, hi: number, d: number): number {
  for (let i = lo; i < hi; i++) {
    for (let r = 0; r < d; r++) if (!Number.isFinite(x[xAt + r * F32_TILE_MAX + i]!)) return i;
  }
  return -1;
}

/**
 * The float32 fused Euler–Maruyama ensemble: the statistics of `plan` (its `step` is not used:
 * the update is Euler–Maruyama on `form`), as {@linkcode sdeEnsembleCpu} returns them, with the
 * f32 states widened to float64 before they are added. Every draw is keyed by the global path
 * index, so the result does not depend on `tile` nor on how the paths are split (pathOffset).
 *
 * @param form the model's declared form
 * @param plan the run
 * @param tile paths per tile, a multiple of 8 up to 256 (the result does not depend on it)
 * @returns the sums, counts, kept and final states
 * @throws {NumericalError} at the first non-finite state: its path, component, step and time
 */
export function sdeEnsembleF32(
  form: F32Form,
  plan: EnsemblePlan,
  tile: number = F32_TILE_MAX,
): EnsembleSums {
  const acc = ensembleAccumulator(form.dim, plan);
  runF32(form, plan, tile, (states, paths, first, save) => acc.add(states, { paths, first, save }));
  return acc.result();
}

/** The fields of a plan that {@linkcode sdeEnsembleF32States} reads. */
export type F32Plan = Pick<
  EnsemblePlan,
  "x0" | "paths" | "pathOffset" | "t0" | "dt" | "saveSteps" | "key"
>;

/**
 * The states of every path at every save, S×paths×d in float64 (widened from f32): the work of
 * one shard on a worker; added in path order they give {@linkcode sdeEnsembleF32}'s sums.
 *
 * @param form the model's declared form
 * @param plan the run
 * @returns the states, save-major
 */
export function sdeEnsembleF32States(form: F32Form, plan: F32Plan): Float64Array {
  const d = form.dim, n = plan.paths;
  const out = new Float64Array(plan.saveSteps.length * n * d);
  runF32(form, plan, F32_TILE_MAX, (states, paths, first, s) => {
    out.set(states.subarray(0, paths * d), (s * n + first) * d);
  });
  return out;
}

function runF32(
  form: F32Form,
  plan: F32Plan & { onProgress?: ((pathsDone: number) => void) | undefined },
  tile: number,
  save: (states: Float64Array, paths: number, first: number, save: number) => void,
): void {
  const d = form.dim, n = plan.paths, offset = plan.pathOffset ?? 0;
  const { exports } = f32Instance();
  const xAt = (exports.xAt.value as number) / 4;
  const ones = (exports.onesAt.value as number) / 4;
  const termsAt = (exports.termsAt.value as number) / 4;
  const at = (g: WebAssembly.Global, r: number) => (g.value as number) + 4 * F32_TILE_MAX * r;
  let f32 = new Float32Array(f32Instance().memory.buffer);
  f32.fill(1, ones, ones + F32_TILE_MAX);
  // the terms: (c, target, a, b, e, number of factors + 256 if first of its row), six words
  // each; a row without terms gets the term 0
  const words = new Int32Array(f32.buffer);
  let sqrtMask = 0, q = termsAt;
  const lists = [[form.drift, exports.driftAt], [form.diffusion, exports.diffusionAt]] as const;
  let count = 0;
  for (const [list, acc] of lists) {
    for (let r = 0; r < d; r++) {
      const row = list.filter((t) => t.r === r);
      for (const [k, t] of (row.length > 0 ? row : [{ r, c: 0, factors: [] }]).entries()) {
        f32[q] = t.c;
        words[q + 1] = at(acc, r);
        for (let m = 0; m < 3; m++) {
          const fa = t.factors[m];
          words[q + 2 + m] = fa === undefined
            ? 4 * ones
            : "x" in fa
            ? at(exports.xAt, fa.x)
            : (sqrtMask |= 1 << fa.sqrt, at(exports.sqrtAt, fa.sqrt));
        }
        words[q + 5] = t.factors.length + (k === 0 ? 256 : 0);
        q += 6;
        count++;
      }
    }
  }
  const S = plan.saveSteps.length, x0 = plan.x0, perPath = x0.length !== d;
  const dt = Math.fround(plan.dt), sqdt = Math.fround(Math.sqrt(plan.dt));
  const states = new Float64Array(tile * d);
  const g0 = offset, g1 = offset + n;
  const run = (a: number, nt: number, j0: number, j1: number) => {
    const blk = (a * d) / 4;
    exports.run(
      blk % 4294967296,
      Math.floor(blk / 4294967296),
      j0,
      j1,
      PHILOX_PURPOSES.sdeGridXi,
      plan.key.seed,
      plan.key.stream,
      nt,
      d,
      count,
      0,
      sqrtMask,
      dt,
      sqdt,
    );
  };
  const load = (a: number, nt: number) => {
    for (let i = 0; i < nt; i++) {
      const p = Math.min(Math.max(a + i, g0), g1 - 1) - g0; // lanes outside [g0, g1) copy an edge
      for (let r = 0; r < d; r++) {
        f32[xAt + r * F32_TILE_MAX + i] = perPath ? x0[p * d + r]! : x0[r]!;
      }
    }
  };
  for (let a = Math.floor(g0 / 4) * 4; a < g1; a += tile) {
    const nt = Math.min(tile, Math.ceil((g1 - a) / 8) * 8);
    const lo = Math.max(g0 - a, 0), hi = Math.min(g1 - a, nt); // the lanes of this plan
    load(a, nt);
    let j = 0;
    for (let s = 0; s < S; s++) {
      const end = plan.saveSteps[s]!;
      run(a, nt, j, end);
      j = end;
      if (f32.buffer !== instance!.memory.buffer) f32 = new Float32Array(instance!.memory.buffer);
      if (firstNonFinite(f32, xAt, lo, hi, d) >= 0) {
        // replay the tile step by step to name the first step that went wrong
        load(a, nt);
        for (let k = 0; k < end; k++) {
          run(a, nt, k, k + 1);
          const i = firstNonFinite(f32, xAt, lo, hi, d);
          if (i >= 0) {
            let r = 0;
            while (Number.isFinite(f32[xAt + r * F32_TILE_MAX + i]!)) r++;
            const path = a + i, time = plan.t0 + (k + 1) * plan.dt;
            throw new NumericalError(
              `Cannot simulate the ensemble: the state became ${
                f32[xAt + r * F32_TILE_MAX + i]
              } at path ${path}, time ${time}, component ${r} (euler-maruyama f32, step ${k})`,
              { step: k, time, index: path * d + r },
            );
          }
        }
      }
      for (let i = lo; i < hi; i++) {
        for (let r = 0; r < d; r++) states[(i - lo) * d + r] = f32[xAt + r * F32_TILE_MAX + i]!;
      }
      save(states, hi - lo, a + lo - g0, s);
    }
    plan.onProgress?.(a + hi - g0);
  }
}
