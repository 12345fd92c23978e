/**
 * The names practitioners know, mapped to sdeno: ComfyUI's KSampler
 * `sampler_name` and `scheduler` lists, and diffusers' scheduler classes with
 * their config flags (`DPMSolverMultistepScheduler` with `algorithm_type`,
 * `solver_order`, `use_karras_sigmas`, …), each to a registered sdeno method
 * (solvers/diffusion/registry.ts), its options and a σ schedule
 * (solvers/diffusion/sigma_schedules.ts). One table per source; an unknown
 * or unsupported name fails with the list of the known ones.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiffusionMethod } from "./diffusion_method.ts";
import { diffusionMethods } from "./registry.ts";
import { exponentialSigmas, karrasSigmas } from "./k_sigmas.ts";
import {
  alignYourStepsSigmas,
  betaSigmas,
  ddimUniformSigmas,
  type DiscreteModelSigmas,
  discreteModelSigmas,
  flowMatchSigmas,
  klOptimalSigmas,
  linearQuadraticSigmas,
  normalSigmas,
  polyexponentialSigmas,
  sgmUniformSigmas,
  simpleSigmas,
} from "./sigma_schedules.ts";

/** What a σ schedule may use: the σ range and, for the model-based ones, the model's discrete σ's. */
export interface SigmaScheduleContext {
  /** Smallest positive σ (default: the model's, else Stable Diffusion's). */
  sigmaMin?: number;
  /** Largest σ (default: the model's, else Stable Diffusion's). */
  sigmaMax?: number;
  /** The trained model's discrete σ's (default Stable Diffusion's). */
  model?: DiscreteModelSigmas;
  /** Timestep shift of the flow schedule (default 3). */
  shift?: number;
}

/** A named σ schedule: n steps → n + 1 decreasing σ's ending with 0. */
export type SigmaSchedule = (n: number, context?: SigmaScheduleContext) => number[];

function rangeFrom(c: SigmaScheduleContext): { sigmaMin: number; sigmaMax: number } {
  const m = c.model ?? discreteModelSigmas();
  return { sigmaMin: c.sigmaMin ?? m.sigmaMin, sigmaMax: c.sigmaMax ?? m.sigmaMax };
}

function modelFrom(c: SigmaScheduleContext): { model?: DiscreteModelSigmas } {
  return c.model ? { model: c.model } : {};
}

/**
 * Every σ schedule by name: ComfyUI's KSampler list (`simple`, `sgm_uniform`,
 * `karras`, `exponential`, `ddim_uniform`, `beta`, `normal`,
 * `linear_quadratic`, `kl_optimal`), k-diffusion's `polyexponential`, the
 * Align Your Steps lists (`ays_sd15`, `ays_sdxl`, `ays_svd`) and the
 * flow-matching shift grid (`flow_shift`).
 *
 * @example
 * ```ts
 * import { SIGMA_SCHEDULES } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * const s = SIGMA_SCHEDULES.karras!(10, { sigmaMin: 0.002, sigmaMax: 80 });
 * assert.equal(s.length, 11);
 * assert.equal(s[0], 80);
 * ```
 */
export const SIGMA_SCHEDULES: Readonly<Record<string, SigmaSchedule>> = Object.freeze({
  simple: (n, c = {}) => simpleSigmas(n, modelFrom(c)),
  sgm_uniform: (n, c = {}) => sgmUniformSigmas(n, modelFrom(c)),
  karras: (n, c = {}) => karrasSigmas(n, rangeFrom(c)),
  exponential: (n, c = {}) => exponentialSigmas(n, rangeFrom(c)),
  ddim_uniform: (n, c = {}) => ddimUniformSigmas(n, modelFrom(c)),
  beta: (n, c = {}) => betaSigmas(n, modelFrom(c)),
  normal: (n, c = {}) => normalSigmas(n, modelFrom(c)),
  linear_quadratic: (n, c = {}) =>
    linearQuadraticSigmas(n, c.sigmaMax !== undefined ? { sigmaMax: c.sigmaMax } : {}),
  kl_optimal: (n, c = {}) => klOptimalSigmas(n, rangeFrom(c)),
  polyexponential: (n, c = {}) => polyexponentialSigmas(n, rangeFrom(c)),
  ays_sd15: (n) => alignYourStepsSigmas(n, { model: "sd15" }),
  ays_sdxl: (n) => alignYourStepsSigmas(n, { model: "sdxl" }),
  ays_svd: (n) => alignYourStepsSigmas(n, { model: "svd" }),
  flow_shift: (n, c = {}) => flowMatchSigmas(n, c.shift !== undefined ? { shift: c.shift } : {}),
});

/**
 * The σ schedule of a name (ComfyUI's scheduler names, or sdeno's; `align_your_steps`
 * is `ays_sd15`).
 *
 * @param name the schedule's name
 * @returns the schedule
 * @throws {SdenoRangeError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { sigmaSchedule } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sigmaSchedule("beta")(10).length, 11);
 * assert.throws(() => sigmaSchedule("cosine"), /known: simple, sgm_uniform, karras/);
 * ```
 */
export function sigmaSchedule(name: string): SigmaSchedule {
  const key = name === "align_your_steps" ? "ays_sd15" : name;
  const f = typeof key === "string" && Object.hasOwn(SIGMA_SCHEDULES, key)
    ? SIGMA_SCHEDULES[key]
    : undefined;
  if (!f) {
    throw new SdenoRangeError(
      `Unknown σ schedule ${quote(name)}; known: ${Object.keys(SIGMA_SCHEDULES).join(", ")}`,
    );
  }
  return f;
}

/** A name resolved to an sdeno method, its options and (when the name implies one) a σ schedule. */
export interface ResolvedSampler {
  /** The registered method. */
  method: DiffusionMethod;
  /** Options for the method. */
  options: Record<string, unknown>;
  /** The σ schedule the name implies (diffusers' flags), if any. */
  schedule?: string;
  /** What differs from the reference, when something does. */
  note?: string;
}

/** One row of a name table: the sdeno method's name, its options, and what differs from the source. */
export interface SamplerNameEntry {
  /** The registered sdeno method. */
  method: string;
  /** Options the name implies. */
  options?: Record<string, unknown>;
  /** What differs from the source's sampler, when something does. */
  note?: string;
}

/**
 * ComfyUI's KSampler `sampler_name` values that sdeno runs, with the sdeno
 * method and options (the `_gpu` variants differ only in where the noise is drawn).
 */
export const COMFYUI_SAMPLERS: Readonly<Record<string, Readonly<SamplerNameEntry>>> = Object.freeze(
  {
    euler: { method: "euler" },
    euler_ancestral: { method: "euler_ancestral" },
    heun: { method: "heun" },
    dpm_2: { method: "dpm_2" },
    dpm_2_ancestral: { method: "dpm_2_ancestral" },
    lms: { method: "lms" },
    dpm_fast: { method: "dpm_fast" },
    dpm_adaptive: { method: "dpm_adaptive" },
    dpmpp_2s_ancestral: { method: "dpmpp_2s_ancestral" },
    dpmpp_sde: { method: "dpmpp_sde" },
    dpmpp_sde_gpu: { method: "dpmpp_sde" },
    dpmpp_2m: { method: "dpmpp_2m" },
    dpmpp_2m_sde: { method: "dpmpp_2m_sde" },
    dpmpp_2m_sde_gpu: { method: "dpmpp_2m_sde" },
    dpmpp_2m_sde_heun: { method: "dpmpp_2m_sde_heun" },
    dpmpp_2m_sde_heun_gpu: { method: "dpmpp_2m_sde_heun" },
    dpmpp_3m_sde: { method: "dpmpp_3m_sde" },
    dpmpp_3m_sde_gpu: { method: "dpmpp_3m_sde" },
    ddpm: { method: "ddpm", note: "sdeno's DDPM steps on a time grid (ComfyUI's on σ)" },
    lcm: { method: "lcm" },
    ipndm: { method: "ipndm" },
    deis: { method: "deis", note: "sdeno's DEIS steps on a time grid (ComfyUI's on σ)" },
    ddim: { method: "euler", note: "ComfyUI's ddim runs k-diffusion's Euler" },
    uni_pc: { method: "unipc", options: { variant: "bh1" } },
    uni_pc_bh2: { method: "unipc", options: { variant: "bh2" } },
    restart: { method: "restart" },
    sa_solver: {
      method: "sa_solver",
      note: "sdeno's SA-Solver steps on a time grid with diffusers' τ rule (ComfyUI's on σ)",
    },
  },
);

/** ComfyUI's KSampler `scheduler` values (all supported). */
export const COMFYUI_SCHEDULERS: readonly string[] = Object.freeze([
  "simple",
  "sgm_uniform",
  "karras",
  "exponential",
  "ddim_uniform",
  "beta",
  "normal",
  "linear_quadratic",
  "kl_optimal",
]);

/** ComfyUI sampler names sdeno does not implement (named in errors, so users know it is not a typo). */
const COMFYUI_MISSING = [
  "euler_cfg_pp",
  "euler_ancestral_cfg_pp",
  "heunpp2",
  "dpmpp_2s_ancestral_cfg_pp",
  "dpmpp_2m_cfg_pp",
  "ipndm_v",
  "res_multistep",
  "res_multistep_cfg_pp",
  "res_multistep_ancestral",
  "res_multistep_ancestral_cfg_pp",
  "gradient_estimation",
  "gradient_estimation_cfg_pp",
  "er_sde",
  "seeds_2",
  "seeds_3",
  "sa_solver_pece",
];

function resolved(
  e: Readonly<SamplerNameEntry>,
  extra: Record<string, unknown> = {},
): ResolvedSampler {
  return {
    method: diffusionMethods.get(e.method),
    options: { ...e.options, ...extra },
    ...(e.note ? { note: e.note } : {}),
  };
}

/**
 * A ComfyUI `sampler_name` (or any sdeno method name or alias) as an sdeno method with options.
 *
 * @param name the name
 * @returns the method and its options
 * @throws {SdenoRangeError} for an unknown name (listing ComfyUI's supported names and sdeno's
 *   methods) or one sdeno does not implement
 *
 * @example
 * ```ts
 * import { resolveSamplerName } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * const r = resolveSamplerName("uni_pc_bh2");
 * assert.equal(r.method.info.name, "unipc");
 * assert.deepEqual(r.options, { variant: "bh2" });
 * assert.equal(resolveSamplerName("dpmpp_2m_sde_gpu").method.info.name, "dpmpp_2m_sde");
 * assert.throws(() => resolveSamplerName("res_multistep"), /not implemented in sdeno/);
 * ```
 */
export function resolveSamplerName(name: string): ResolvedSampler {
  if (typeof name !== "string") {
    throw new SdenoTypeError(
      `Cannot resolve the sampler: name must be a string, got ${quote(name)}`,
    );
  }
  if (Object.hasOwn(COMFYUI_SAMPLERS, name)) return resolved(COMFYUI_SAMPLERS[name]!);
  const m = diffusionMethods.find(name);
  if (m) return { method: m, options: {} };
  if (COMFYUI_MISSING.includes(name)) {
    throw new SdenoRangeError(
      `ComfyUI's sampler ${quote(name)} is not implemented in sdeno; known: ${knownSamplerNames()}`,
    );
  }
  throw new SdenoRangeError(`Unknown sampler ${quote(name)}; known: ${knownSamplerNames()}`);
}

/**
 * Every sampler name {@linkcode resolveSamplerName} accepts: ComfyUI's, then
 * sdeno's methods with their aliases.
 *
 * @returns the names, comma-separated
 *
 * @example
 * ```ts
 * import { knownSamplerNames } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * assert.match(knownSamplerNames(), /dpmpp_2m_sde_gpu/);
 * ```
 */
export function knownSamplerNames(): string {
  return `ComfyUI: ${
    Object.keys(COMFYUI_SAMPLERS).join(", ")
  }; sdeno: ${diffusionMethods.describeNames()}`;
}

/** A diffusers scheduler config: the flags of `Scheduler.from_config` that change the sampler. */
export type DiffusersConfig = Readonly<Record<string, unknown>>;

type DiffusersRule = (c: DiffusersConfig) => SamplerNameEntry;

const num = (c: DiffusersConfig, k: string, d: number) => (c[k] === undefined ? d : c[k]) as number;
const str = (c: DiffusersConfig, k: string, d: string) => (c[k] === undefined ? d : c[k]) as string;

/** diffusers' scheduler classes → sdeno (the config flags read by each rule). */
const DIFFUSERS: Readonly<Record<string, DiffusersRule>> = Object.freeze({
  EulerDiscreteScheduler: () => ({ method: "euler" }),
  EulerAncestralDiscreteScheduler: () => ({ method: "euler_ancestral" }),
  HeunDiscreteScheduler: () => ({ method: "heun" }),
  KDPM2DiscreteScheduler: () => ({ method: "dpm_2" }),
  KDPM2AncestralDiscreteScheduler: () => ({ method: "dpm_2_ancestral" }),
  LMSDiscreteScheduler: () => ({ method: "lms" }),
  EDMEulerScheduler: () => ({ method: "euler" }),
  EDMDPMSolverMultistepScheduler: () => ({ method: "dpmpp_2m" }),
  DPMSolverSDEScheduler: () => ({ method: "dpmpp_sde" }),
  DPMSolverMultistepScheduler: (c) => {
    const algo = str(c, "algorithm_type", "dpmsolver++"), order = num(c, "solver_order", 2);
    if (algo === "sde-dpmsolver++") {
      if (order === 3) return { method: "dpmpp_3m_sde" };
      return {
        method: "dpmpp_2m_sde",
        options: { solverType: str(c, "solver_type", "midpoint") },
      };
    }
    if (algo !== "dpmsolver++" && algo !== "dpmsolver") {
      throw new SdenoRangeError(
        `DPMSolverMultistepScheduler: algorithm_type ${quote(algo)} is not supported; ` +
          `known: dpmsolver++, dpmsolver, sde-dpmsolver++`,
      );
    }
    return {
      method: "dpm_solver",
      options: {
        algorithm: algo,
        method: "multistep",
        order,
        ...(c.lower_order_final !== undefined ? { lowerOrderFinal: c.lower_order_final } : {}),
      },
    };
  },
  DPMSolverSinglestepScheduler: (c) => ({
    method: "dpm_solver",
    options: {
      algorithm: str(c, "algorithm_type", "dpmsolver++"),
      method: "singlestep",
      order: num(c, "solver_order", 2),
    },
  }),
  UniPCMultistepScheduler: (c) => ({
    method: "unipc",
    options: { variant: str(c, "solver_type", "bh2"), order: num(c, "solver_order", 2) },
  }),
  DEISMultistepScheduler: (c) => ({
    method: "deis",
    options: { order: num(c, "solver_order", 2) },
  }),
  DDIMScheduler: (c) => ({ method: "ddim", options: c.eta !== undefined ? { eta: c.eta } : {} }),
  DDPMScheduler: () => ({ method: "ddpm" }),
  LCMScheduler: () => ({
    method: "lcm",
    note: "wrap the model with lcmBoundaryModel for c_skip/c_out",
  }),
  IPNDMScheduler: () => ({
    method: "ipndm",
    note: "the k-diffusion/ComfyUI iPNDM on σ (diffusers' runs on its own trigonometric schedule)",
  }),
  SASolverScheduler: (c) => ({
    method: "sa_solver",
    options: {
      predictorOrder: num(c, "predictor_order", 2),
      correctorOrder: num(c, "corrector_order", 2),
      ...(c.lower_order_final !== undefined ? { lowerOrderFinal: c.lower_order_final } : {}),
    },
  }),
  FlowMatchEulerDiscreteScheduler: () => ({ method: "flow_euler" }),
  FlowMatchHeunDiscreteScheduler: () => ({ method: "flow_heun" }),
});

/**
 * A diffusers scheduler class and its config as an sdeno method, options
 * and σ schedule: `use_karras_sigmas` → `karras`, `use_exponential_sigmas` →
 * `exponential`, the flow-matching classes → `flow_shift` (with `shift`).
 *
 * @param className e.g. `"DPMSolverMultistepScheduler"`
 * @param config the scheduler's config flags (snake_case, as in its `config.json`)
 * @returns the method, its options and the σ schedule
 * @throws {SdenoRangeError} for an unknown class (listing the known ones) or an unsupported flag
 *
 * @example DPM-Solver++(2M) SDE Karras, as diffusers users name it
 * ```ts
 * import { resolveDiffusersScheduler } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * const r = resolveDiffusersScheduler("DPMSolverMultistepScheduler", {
 *   algorithm_type: "sde-dpmsolver++", use_karras_sigmas: true,
 * });
 * assert.equal(r.method.info.name, "dpmpp_2m_sde");
 * assert.equal(r.schedule, "karras");
 * ```
 */
export function resolveDiffusersScheduler(
  className: string,
  config: DiffusersConfig = {},
): ResolvedSampler {
  if (typeof className !== "string" || !Object.hasOwn(DIFFUSERS, className)) {
    throw new SdenoRangeError(
      `Unknown diffusers scheduler ${quote(className)}; known: ${
        Object.keys(DIFFUSERS).join(", ")
      }`,
    );
  }
  if (config === null || typeof config !== "object") {
    throw new SdenoTypeError(
      `Cannot resolve ${className}: config must be an object, got ${quote(config)}`,
    );
  }
  if (config.use_beta_sigmas) {
    throw new SdenoRangeError(
      `${className}: use_beta_sigmas (diffusers' continuous beta σ's) is not supported; ` +
        `use the "beta" schedule (ComfyUI's) instead`,
    );
  }
  const r = resolved(DIFFUSERS[className]!(config));
  const flow = className.startsWith("FlowMatch");
  const schedule = config.use_karras_sigmas
    ? "karras"
    : config.use_exponential_sigmas
    ? "exponential"
    : flow
    ? "flow_shift"
    : undefined;
  return schedule ? { ...r, schedule } : r;
}

/**
 * The diffusers scheduler classes {@linkcode resolveDiffusersScheduler} knows.
 *
 * @returns the class names
 *
 * @example
 * ```ts
 * import { diffusersSchedulerNames } from "./sampler_names.ts";
 * import assert from "node:assert/strict";
 * assert.ok(diffusersSchedulerNames().includes("LCMScheduler"));
 * ```
 */
export function diffusersSchedulerNames(): string[] {
  return Object.keys(DIFFUSERS);
}
