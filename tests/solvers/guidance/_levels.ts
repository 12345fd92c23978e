// Helpers of the DDS, MCG and RePaint tests: the numpy reference levels of
// tests/fixtures/guidance/levels.json (see its README), the band a single
// TypeScript run must land in, and the exact noiseless posterior of a
// Gaussian prior under a linear operator.

import { inverseSpd } from "./_benchmark.ts";

export interface Level {
  mean: number;
  sd: number;
}

export interface LevelRow {
  method: string;
  instance: string;
  n: number;
  seeds: number;
  [stat: string]: Level | string | number;
}

let cache: LevelRow[] | undefined;

/** The stored level of `stat` for a method, instance and sample count. */
export function level(method: string, instance: string, n: number, stat: string): Level {
  cache ??= JSON.parse(
    Deno.readTextFileSync(new URL("../../fixtures/guidance/levels.json", import.meta.url)),
  ).results as LevelRow[];
  const row = cache.find((r) => r.method === method && r.instance === instance && r.n === n);
  const l = row?.[stat];
  if (row === undefined || typeof l !== "object") {
    throw new Error(`no level ${method} ${instance} n=${n} ${stat}`);
  }
  return l;
}

/**
 * Checks one run's statistic against a stored level: within ±15% (the refs'
 * band for deterministic-in-distribution methods) or within 4 standard
 * deviations of the difference between one run and the mean of `seeds`
 * runs, whichever is wider (the seed-to-seed sd at the same n; the
 * difference's sd is sd·√(1 + 1/seeds)).
 */
export function withinBand(value: number, l: Level, seeds: number): boolean {
  const half = Math.max(0.15 * Math.abs(l.mean), 4 * l.sd * Math.sqrt(1 + 1 / seeds));
  return Math.abs(value - l.mean) <= half;
}

/** The seeds behind a stored level. */
export function seedsOf(method: string, instance: string, n: number): number {
  level(method, instance, n, "w2");
  return cache!.find((r) => r.method === method && r.instance === instance && r.n === n)!
    .seeds as number;
}

/** y = A x (A dy × d row-major). */
export function applyMatrix(a: Float64Array, x: ArrayLike<number>, dy: number): Float64Array {
  const d = x.length, y = new Float64Array(dy);
  for (let i = 0; i < dy; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[i * d + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/**
 * The exact posterior of N(μ, Σ) given A x = y exactly:
 * m = μ + ΣAᵀ(AΣAᵀ)⁻¹(y − Aμ), C = Σ − ΣAᵀ(AΣAᵀ)⁻¹AΣ.
 */
export function noiselessPosterior(
  mu: Float64Array,
  sigma: Float64Array,
  a: Float64Array,
  y: ArrayLike<number>,
): { mean: Float64Array; cov: Float64Array } {
  const d = mu.length, dy = y.length;
  // SAt = Σ Aᵀ (d × dy), K = A Σ Aᵀ (dy × dy)
  const sat = new Float64Array(d * dy);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < dy; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += sigma[i * d + j]! * a[k * d + j]!;
      sat[i * dy + k] = s;
    }
  }
  const kk = new Float64Array(dy * dy);
  for (let k = 0; k < dy; k++) {
    for (let l = 0; l < dy; l++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[k * d + j]! * sat[j * dy + l]!;
      kk[k * dy + l] = s;
    }
  }
  const kinv = inverseSpd(kk, dy);
  // G = SAt K⁻¹ (d × dy)
  const g = new Float64Array(d * dy);
  for (let i = 0; i < d; i++) {
    for (let l = 0; l < dy; l++) {
      let s = 0;
      for (let k = 0; k < dy; k++) s += sat[i * dy + k]! * kinv[k * dy + l]!;
      g[i * dy + l] = s;
    }
  }
  const r = applyMatrix(a, mu, dy).map((v, i) => y[i]! - v);
  const mean = Float64Array.from(mu);
  const cov = Float64Array.from(sigma);
  for (let i = 0; i < d; i++) {
    for (let l = 0; l < dy; l++) mean[i] = mean[i]! + g[i * dy + l]! * r[l]!;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let l = 0; l < dy; l++) s += g[i * dy + l]! * sat[j * dy + l]!;
      cov[i * d + j] = cov[i * d + j]! - s;
    }
  }
  return { mean, cov };
}

/** ‖a − b‖. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
