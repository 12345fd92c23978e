// The exact inverse-problem benchmarks of tests/fixtures/inverse (copied from
// ../shared/refs/inverse, README §2 and §3): loaders, and the metrics the
// reference levels were measured with (SW1 over the stored directions,
// modeTV, Gaussian W2 and the trace ratio). Shared by the guidance tests.

import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { gaussian } from "../../../models/gaussian.ts";
import { type DenseOperator, denseOperator } from "../../../models/operators/dense.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import { denseSvd } from "../../../models/operators/_svd.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../../../processes/vp_discrete_schedule.ts";
import type { NoiseSchedule } from "../../../processes/noise_schedule.ts";
import { slicedWasserstein } from "../../../stats/sliced_wasserstein.ts";
import type { Denoiser } from "../../../models/denoiser.ts";
import type { InverseProblem } from "../../../solvers/guidance/method.ts";

const DIR = new URL("../../fixtures/inverse/", import.meta.url);

/** The reference schedule: T = 1000, betas = linspace(1e-4, 0.02, 1000); time n/1000 is step n. */
export function referenceSchedule(): NoiseSchedule {
  return vpDiscreteSchedule({ betas: ddpmLinearBetas() });
}

function readF32(name: string): Float64Array {
  const bytes = Deno.readFileSync(new URL(name, DIR));
  return Float64Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

function readF64(name: string): Float64Array {
  const bytes = Deno.readFileSync(new URL(name, DIR));
  return new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

/** What every benchmark instance holds: its prior model, operator and measurement. */
export interface BenchmarkInstance {
  name: string;
  d: number;
  dy: number;
  schedule: NoiseSchedule;
  model: Denoiser;
  operator: DenseOperator;
  sigma: number;
  problem: InverseProblem;
}

export interface GmmInstance extends BenchmarkInstance {
  posterior: { weights: number[]; means: number[][]; cov: number[][] };
  /** 10000 × d exact posterior samples. */
  exactSamples: Float64Array;
  /** 1000 × d unit directions of SW1. */
  directions: Float64Array;
  /** Stored levels: floor and prior-vs-posterior SW, and the reference runs by method label. */
  levels: {
    swExact: number;
    swPrior: number;
    runs: Map<string, { sw: number; modeTv: number | null }>;
  };
}

// deno-lint-ignore no-explicit-any
const jsonFiles = new Map<string, any>();

/** A JSON file of the fixtures, parsed once. */
// deno-lint-ignore no-explicit-any
function readJson(name: string): any {
  if (!jsonFiles.has(name)) {
    jsonFiles.set(name, JSON.parse(Deno.readTextFileSync(new URL(name, DIR))));
  }
  return jsonFiles.get(name);
}

/** The entry `name` of an instances file's `instances` list. */
// deno-lint-ignore no-explicit-any
function findInstance(file: string, name: string): any {
  // deno-lint-ignore no-explicit-any
  const inst = readJson(file).instances.find((i: any) => i.name === name);
  if (inst === undefined) throw new Error(`no instance ${name}`);
  return inst;
}

/** Loads `gmm_d8_dy1`, `gmm_d8_dy2` or `gmm_d8_dy4`. */
export function loadGmmInstance(name: string): GmmInstance {
  const inst = findInstance("gmm/instances.json", name);
  const gmmRefs = readJson("gmm/reference_results.json");
  const schedule = referenceSchedule();
  const d = inst.d as number;
  const model = gaussianMixture({
    weights: inst.weights,
    means: inst.means,
    variances: inst.means.map(() => new Array(d).fill(1)),
  }, schedule);
  const operator = denseOperator(inst.A, { name: `${name} A` });
  const sigma = inst.sigma_y as number;
  const runs = new Map<string, { sw: number; modeTv: number | null }>();
  for (const r of gmmRefs.results) {
    if (r.instance === name) runs.set(r.method, { sw: r.sw, modeTv: r.mode_tv });
  }
  return {
    name,
    d,
    dy: inst.d_y,
    schedule,
    model,
    operator,
    sigma,
    problem: { operator, y: inst.y, noise: gaussianNoise(sigma) },
    posterior: inst.posterior,
    exactSamples: readF32(`gmm/${name}_posterior.f32`),
    directions: readF32(`gmm/sw_dirs_d${d}.f32`),
    levels: { swExact: inst.sw_exact_vs_exact, swPrior: inst.sw_prior_vs_posterior, runs },
  };
}

/** SW1 between samples and the instance's exact samples over its 1000 directions. */
export function sw1(inst: GmmInstance, samples: Float64Array): number {
  return slicedWasserstein(samples, inst.exactSamples, {
    d: inst.d,
    p: 1,
    directions: inst.directions,
  });
}

/**
 * modeTV: the TV distance between the exact posterior weights and the mean
 * responsibility of the samples under the exact posterior mixture (shared
 * covariance).
 */
export function modeTv(inst: GmmInstance, samples: Float64Array): number {
  const { weights, means, cov } = inst.posterior;
  const d = inst.d, k = weights.length;
  const prec = inverseSpd(Float64Array.from(cov.flat()), d);
  const mean = new Float64Array(k);
  const n = samples.length / d;
  const logit = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let q = 0;
      for (let i = 0; i < d; i++) {
        const di = samples[r * d + i]! - means[c]![i]!;
        for (let j = 0; j < d; j++) {
          q += di * prec[i * d + j]! * (samples[r * d + j]! - means[c]![j]!);
        }
      }
      logit[c] = Math.log(weights[c]!) - 0.5 * q;
      if (logit[c]! > max) max = logit[c]!;
    }
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(logit[c]! - max);
    for (let c = 0; c < k; c++) mean[c] = mean[c]! + Math.exp(logit[c]! - max) / z / n;
  }
  let tv = 0;
  for (let c = 0; c < k; c++) tv += Math.abs(mean[c]! - weights[c]!);
  return tv / 2;
}

export interface ImageInstance extends BenchmarkInstance {
  priorMean: Float64Array;
  priorCov: Float64Array;
  postMean: Float64Array;
  postCov: Float64Array;
  xTrue: Float64Array;
  /** Reference runs: method label → { w2, trRatio }; and the MC floor at n = 4000. */
  levels: { w2Floor: number; w2Prior: number; runs: Map<string, { w2: number; tr: number }> };
}

/** Loads `img8_inpaint_box`, `img8_sr2` or `img8_blur`. */
export function loadImageInstance(name: string): ImageInstance {
  const imgJson = readJson("images/instances.json");
  const inst = findInstance("images/instances.json", name);
  const imgRefs = readJson("images/reference_results.json");
  const f = (key: string) => readF64(`images/${inst[key].file}`);
  const d = inst.d as number, dy = inst.d_y as number;
  const schedule = referenceSchedule();
  const priorMean = f("prior_mean"), priorCov = f("prior_cov");
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) rows.push(Array.from(priorCov.subarray(i * d, (i + 1) * d)));
  const model = gaussian({ mean: Array.from(priorMean), covariance: rows }, schedule);
  const operator = denseOperator({ data: f("A"), rows: dy, cols: d }, { name: `${name} A` });
  const sigma = imgJson.sigma_y as number;
  const runs = new Map<string, { w2: number; tr: number }>();
  // deno-lint-ignore no-explicit-any
  const list: any[] = Array.isArray(imgRefs.results) ? imgRefs.results : [];
  for (const r of list) {
    if (r.instance === name) runs.set(r.method, { w2: r.gauss_w2, tr: r.trace_cov_ratio });
  }
  return {
    name,
    d,
    dy,
    schedule,
    model,
    operator,
    sigma,
    problem: { operator, y: f("y"), noise: gaussianNoise(sigma) },
    priorMean,
    priorCov,
    postMean: f("post_mean"),
    postCov: f("post_cov"),
    xTrue: f("x_true"),
    levels: { w2Floor: inst.w2_exact_samples_n4000, w2Prior: inst.w2_prior_to_post, runs },
  };
}

/** Sample mean and covariance (divisor n − 1) of n × d rows. */
export function meanCov(
  samples: Float64Array,
  d: number,
): { mean: Float64Array; cov: Float64Array } {
  const n = samples.length / d;
  const mean = new Float64Array(d), cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) mean[i] = mean[i]! + samples[r * d + i]! / n;
  }
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const di = samples[r * d + i]! - mean[i]!;
      for (let j = 0; j < d; j++) {
        cov[i * d + j] = cov[i * d + j]! + di * (samples[r * d + j]! - mean[j]!) / (n - 1);
      }
    }
  }
  return { mean, cov };
}

/** Symmetric PSD square root through the SVD (eigenvalues of a PSD matrix). */
function sqrtPsd(a: Float64Array, d: number): Float64Array {
  const sym = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) sym[i * d + j] = (a[i * d + j]! + a[j * d + i]!) / 2;
  }
  const { u, s, v } = denseSvd(sym, d, d);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let k = 0; k < s.length; k++) acc += u[i * d + k]! * Math.sqrt(s[k]!) * v[j * d + k]!;
      out[i * d + j] = acc;
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      for (let j = 0; j < d; j++) out[i * d + j] = out[i * d + j]! + aik * b[k * d + j]!;
    }
  }
  return out;
}

/**
 * The Gaussian W2 distance between N(sample mean, sample cov) and N(m, C),
 * and the trace ratio tr(sample cov)/tr(C) (README §3's metrics).
 */
export function gaussianW2(
  samples: Float64Array,
  m: Float64Array,
  c: Float64Array,
): { w2: number; trRatio: number } {
  const d = m.length;
  const { mean, cov } = meanCov(samples, d);
  const rc = sqrtPsd(c, d);
  const cross = sqrtPsd(matmul(matmul(rc, cov, d), rc, d), d);
  let w2 = 0, trS = 0, trC = 0;
  for (let i = 0; i < d; i++) {
    w2 += (mean[i]! - m[i]!) ** 2;
    w2 += cov[i * d + i]! + c[i * d + i]! - 2 * cross[i * d + i]!;
    trS += cov[i * d + i]!;
    trC += c[i * d + i]!;
  }
  return { w2: Math.sqrt(Math.max(0, w2)), trRatio: trS / trC };
}

/** Inverse of a symmetric positive definite d × d matrix (Gauss–Jordan, float64). */
export function inverseSpd(a: Float64Array, d: number): Float64Array {
  const m = new Float64Array(d * 2 * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) m[i * 2 * d + j] = a[i * d + j]!;
    m[i * 2 * d + d + i] = 1;
  }
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) {
      if (Math.abs(m[r * 2 * d + c]!) > Math.abs(m[p * 2 * d + c]!)) p = r;
    }
    for (let j = 0; j < 2 * d; j++) {
      const t = m[c * 2 * d + j]!;
      m[c * 2 * d + j] = m[p * 2 * d + j]!;
      m[p * 2 * d + j] = t;
    }
    const piv = m[c * 2 * d + c]!;
    for (let j = 0; j < 2 * d; j++) m[c * 2 * d + j] = m[c * 2 * d + j]! / piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = m[r * 2 * d + c]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * d; j++) m[r * 2 * d + j] = m[r * 2 * d + j]! - f * m[c * 2 * d + j]!;
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) inv[i * d + j] = m[i * 2 * d + d + j]!;
  return inv;
}
