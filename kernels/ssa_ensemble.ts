/**
 * Ensembles of Gillespie direct-method trajectories on the GPU, one
 * trajectory per invocation, with streaming moments and histograms: the WGSL
 * template `ssa_ensemble.wgsl`, the generator that compiles a network into
 * it, the CPU twin {@linkcode ssaEnsembleCpu} and the launcher
 * {@linkcode launchSsaEnsemble}.
 *
 * The kernel sees a network as plain data ({@linkcode SsaKernelNetwork}):
 * reactant orders, net changes, dependency lists and optional WGSL
 * propensity snippets; rate constants, initial counts and save times travel
 * in buffers, so one compiled pipeline serves every parameter set of a
 * network. User code normally reaches this through `ssaEnsemble` in
 * `solvers/ctmc`.
 *
 * @module
 */

import SSA from "./ssa_ensemble.wgsl" with { type: "text" };
import { PHILOX_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl } from "./gpu_context.ts";
import { _philoxBlock, type Key } from "./philox.ts";
import { NumericalError, quote, SdenoParseError, SdenoRangeError } from "./errors.ts";

/** One reaction as the kernel sees it. */
export interface SsaKernelReaction {
  /** Name, for messages. */
  name: string;
  /** `[species, order]` of each reactant (mass action). */
  reactants: ReadonlyArray<readonly [number, number]>;
  /** `[species, net change]`, zero entries dropped. */
  change: ReadonlyArray<readonly [number, number]>;
  /** Reactions whose propensity must be recomputed after this one fires. */
  dependents: readonly number[];
  /**
   * A custom propensity: the body of WGSL `fn(x: array<f32, NS>) -> f32`
   * (GPU) and its TypeScript twin (CPU). Without it the reaction is mass
   * action `constant · Π_i x_i (x_i − 1) ⋯ (x_i − o_i + 1)`.
   */
  custom?: { wgsl: string; cpu: (x: Float64Array) => number };
}

/** A reaction network as plain data for the kernel. */
export interface SsaKernelNetwork {
  /** Number of species. */
  species: number;
  /** The reactions. */
  reactions: readonly SsaKernelReaction[];
}

/** Histogram of one species at every save time: integer bins `[lo + b·width, lo + (b+1)·width)`. */
export interface SsaHistogramPlan {
  /** Species index. */
  species: number;
  /** Lower edge of bin 0 (an integer). */
  lo: number;
  /** Bin width (a positive integer). */
  width: number;
  /** Number of bins; counts below `lo` and from `lo + bins·width` up go to under- and overflow. */
  bins: number;
}

/** What one ensemble run needs (already checked by the caller). */
export interface SsaEnsemblePlan {
  /**
   * Per reaction, the mass-action constant of the falling-factorial form
   * (`k / Π o!` for the combinatorial convention); ignored for custom ones.
   * Rounded to f32.
   */
  constants: ArrayLike<number>;
  /** Initial counts (non-negative integers below 2³¹). */
  x0: ArrayLike<number>;
  /** Save times in [0, tEnd], non-decreasing (rounded to f32). */
  saveTimes: ArrayLike<number>;
  /** End time (rounded to f32). */
  tEnd: number;
  /** Number of paths. */
  paths: number;
  /** Counter word of the first path. */
  pathOffset: number;
  /** Philox key. */
  key: Key;
  /** Philox purpose word (counter word 2). */
  purpose: number;
  /** A path stops, flagged, after this many steps. */
  maxSteps: number;
  /** Also return every path's counts at the save times. */
  record: boolean;
  /** Histogram of one species, if wanted. */
  histogram?: SsaHistogramPlan;
  /** Paths per dispatch, a multiple of 64 (default 65536); results do not depend on it. */
  chunkPaths?: number;
}

/** Raw results: exact integer sums (as float64) per batch and cell. */
export interface SsaEnsembleSums {
  /** Number of paths. */
  paths: number;
  /** Save times × species: cell `s·species + i`. */
  cells: number;
  /** Σ x per batch and cell, `SSA_BATCHES × cells` (exact integers). */
  sum: Float64Array;
  /** Σ x² per batch and cell (exact integers while below 2⁵³). */
  sumSq: Float64Array;
  /** Paths per batch. */
  batchPaths: Float64Array;
  /** Total steps (reaction firings) over all paths. */
  steps: number;
  /** Σ over paths of steps² (for the standard error of the mean firings). */
  stepsSq: number;
  /** Paths that reached a state where no reaction can fire. */
  absorbed: number;
  /** Histogram counts per save time: `[underflow, bins…, overflow]`. */
  histogram: Float64Array | undefined;
  /** Counts at the save times, paths × saves × species, when recorded. */
  counts: Int32Array | undefined;
  /** Paths stopped at maxSteps. */
  overSteps: number;
  /** Paths stopped by a negative or non-finite propensity. */
  badPropensity: number;
  /** Counter word of the first stopped path (0xffffffff when none). */
  firstBadPath: number;
}

/** Number of batches the moment sums are split into (batch = (path ÷ 64) mod 64). */
export const SSA_BATCHES = 64;
const WG = 64;
const F32_BIG = Math.fround(3e38);

function fnv(text: string, h: number): string {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The generated kernel: source, cache name, and where each snippet starts. */
export interface SsaKernelSource {
  /** Full WGSL module source. */
  source: string;
  /** Pipeline cache name (a hash of the source). */
  name: string;
  /** Per custom reaction: its index, first source line (1-based) and line count. */
  snippets: Array<{ reaction: number; line: number; lines: number }>;
}

/**
 * Compiles a network into the direct-method kernel: one propensity function
 * per reaction (mass action from its orders, or the WGSL snippet), and per
 * reaction a case that applies the net change and recomputes the dependent
 * propensities. Constants stay in a buffer, so the source depends only on the
 * network's structure.
 *
 * @param net the network as kernel data
 * @returns the source, its cache name and the snippet line ranges
 *
 * @example Birth–death compiles to a source with two propensities
 * ```ts
 * import { ssaEnsembleSource } from "./ssa_ensemble.ts";
 * import assert from "node:assert/strict";
 * const k = ssaEnsembleSource({
 *   species: 1,
 *   reactions: [
 *     { name: "birth", reactants: [], change: [[0, 1]], dependents: [1] },
 *     { name: "death", reactants: [[0, 1]], change: [[0, -1]], dependents: [1] },
 *   ],
 * });
 * assert.match(k.source, /fn sd_prop_1\(\) -> f32/);
 * assert.ok(!/10\.0/.test(k.source)); // no rate constant in the source
 * ```
 */
export function ssaEnsembleSource(net: SsaKernelNetwork): SsaKernelSource {
  const nr = net.reactions.length;
  const props: string[] = [];
  const fire: string[] = [];
  const customs: Array<{ reaction: number; body: string }> = [];
  net.reactions.forEach((r, j) => {
    if (r.custom) {
      customs.push({ reaction: j, body: r.custom.wgsl });
      props.push(`fn sd_prop_${j}() -> f32 { return sd_user_${j}(sd_xf()); }`);
    } else {
      const f = r.reactants.map(([i, o]) =>
        o === 1 ? ` * f32(x[${i}])` : ` * sd_falling(x[${i}], ${o})`
      )
        .join("");
      props.push(`fn sd_prop_${j}() -> f32 { return rates[${j}]${f}; }`);
    }
    const body = [
      ...r.change.map(([i, d]) => `x[${i}] = x[${i}] + (${d});`),
      ...r.dependents.map((k) => `sd_set(${k}u, sd_prop_${k}());`),
    ].join(" ");
    fire.push(`    case ${j}u: { ${body} }`);
  });
  const init = net.reactions.map((_, j) => `  sd_set(${j}u, sd_prop_${j}());`).join("\n");
  // custom snippets go first, each in its own function, so their lines can be mapped back
  const head = joinWgsl(PHILOX_WGSL, "");
  const template = SSA.replace("{{NS}}", String(net.species)).replace("{{NR}}", String(nr));
  const [before, after] = template.split("{{PROPENSITIES}}") as [string, string];
  let source = head + before;
  const snippets: SsaKernelSource["snippets"] = [];
  for (const c of customs) {
    source += `fn sd_user_${c.reaction}(x: array<f32, SD_NS>) -> f32 {\n`;
    const line = source.split("\n").length;
    const lines = c.body.split("\n").length;
    source += `${c.body}\n}\n`;
    snippets.push({ reaction: c.reaction, line, lines });
  }
  source += props.join("\n") +
    after.replace("{{INIT}}", init).replace("{{FIRE}}", fire.join("\n"));
  return {
    source,
    name: `ssa_ensemble#${fnv(source, 0x811c9dc5)}${fnv(source, 0x01234567)}`,
    snippets,
  };
}

// ---------------------------------------------------------------- CPU twin

const F = Math.fround;
const SCRATCH = new Float32Array(1);
const SCRATCH_U = new Uint32Array(SCRATCH.buffer);
const SQRT2 = F(1.4142135);
const C1 = F(0.6666666666666666), C2 = F(0.4), C3 = F(0.2857142857142857);
const C4 = F(0.2222222222222222), LN2 = F(0.6931471805599453);

/** `sd_log_unit` of philox.wgsl in emulated f32, op by op (fma rounded once). */
export function _logUnitF32(u: number): number {
  SCRATCH[0] = u;
  const bits = SCRATCH_U[0]!;
  let e = ((bits >>> 23) & 0xff) - 127;
  SCRATCH_U[0] = (bits & 0x007fffff) | 0x3f800000;
  let m = SCRATCH[0]!;
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const num = F(m - 1);
  const den = F(m + 1);
  const t0 = F(num / den);
  // fma(-t0, den, num): t0·den is exact in f64 and num − t0·den is exact (Sterbenz)
  const t = F(t0 + F(F(num - t0 * den) / den));
  const t2 = F(t * t);
  const series = F(t * F(2 + F(t2 * F(C1 + F(t2 * F(C2 + F(t2 * F(C3 + F(t2 * C4)))))))));
  return F(series + F(e * LN2));
}

function _falling(v: number, o: number): number {
  let f = F(v);
  for (let m = 1; m < o; m++) f = F(f * F(v - m));
  return f;
}

function _checkPlan(what: string, net: SsaKernelNetwork, plan: SsaEnsemblePlan): number {
  const cells = plan.saveTimes.length * net.species;
  const chunk = plan.chunkPaths ?? 65536;
  if (!Number.isInteger(chunk) || chunk < WG || chunk % WG !== 0) {
    throw new SdenoRangeError(
      `${what}: chunkPaths must be a positive multiple of 64, got ${quote(chunk)}`,
    );
  }
  return cells;
}

/**
 * The CPU twin of the kernel: the same trajectories, draw for draw, with the
 * f32 arithmetic of the kernel emulated by `Math.fround` (propensities,
 * their sum, u·a₀, the cumulative selection sum, −ln(u)/a₀ with the
 * kernel's own logarithm, t + τ). On an adapter that rounds each f32
 * operation once, as WGSL requires for + and ×, the counts are the same
 * integers; custom propensities run their TypeScript twin in f64 and are
 * then rounded to f32, so with them agreement is in distribution.
 *
 * @param net the network as kernel data
 * @param plan constants, initial counts, times, paths and key
 * @returns the same sums as {@linkcode launchSsaEnsemble}
 *
 * @example Pure death from 3 on two paths: every path absorbed after 3 firings
 * ```ts
 * import { ssaEnsembleCpu } from "./ssa_ensemble.ts";
 * import assert from "node:assert/strict";
 * const net = {
 *   species: 1,
 *   reactions: [{ name: "death", reactants: [[0, 1]] as [number, number][], change: [[0, -1]] as [number, number][], dependents: [0] }],
 * };
 * const r = ssaEnsembleCpu(net, {
 *   constants: [1], x0: [3], saveTimes: [1000], tEnd: 1000, paths: 2, pathOffset: 0,
 *   key: { seed: 1, stream: 0 }, purpose: 0, maxSteps: 100, record: true,
 * });
 * assert.equal(r.steps, 6);
 * assert.equal(r.absorbed, 2);
 * assert.deepEqual([...r.counts!], [0, 0]);
 * ```
 */
export function ssaEnsembleCpu(net: SsaKernelNetwork, plan: SsaEnsemblePlan): SsaEnsembleSums {
  const cells = _checkPlan("Cannot run the SSA ensemble on cpu", net, plan);
  const ns = net.species, nr = net.reactions.length, nSave = plan.saveTimes.length;
  const c = Float32Array.from(plan.constants, (v) => Number.isFinite(v) ? v : 0);
  const save = Float32Array.from(plan.saveTimes);
  const tEnd = F(plan.tEnd);
  const sum = new Float64Array(SSA_BATCHES * cells);
  const sumSq = new Float64Array(SSA_BATCHES * cells);
  const batchPaths = new Float64Array(SSA_BATCHES);
  const h = plan.histogram;
  const histogram = h ? new Float64Array(nSave * (h.bins + 2)) : undefined;
  const counts = plan.record ? new Int32Array(plan.paths * cells) : undefined;
  const x = new Int32Array(ns);
  const xf = new Float64Array(ns);
  const a = new Float32Array(nr);
  const w = new Uint32Array(4);
  const rs = net.reactions;
  let steps = 0, stepsSq = 0, absorbedPaths = 0, overSteps = 0, badPaths = 0, firstBad = 0xffffffff;
  let bad = false;
  const prop = (j: number): number => {
    const r = rs[j]!;
    let v: number;
    if (r.custom) {
      for (let i = 0; i < ns; i++) xf[i] = x[i]!;
      v = F(r.custom.cpu(xf));
    } else {
      v = c[j]!;
      for (const [i, o] of r.reactants) v = F(v * (o === 1 ? F(x[i]!) : _falling(x[i]!, o)));
    }
    if (!(v >= 0) || v > F32_BIG) bad = true;
    return v;
  };
  const record = (path: number, s: number, batch: number) => {
    for (let i = 0; i < ns; i++) {
      const v = x[i]!;
      const cell = batch * cells + s * ns + i;
      sum[cell] = sum[cell]! + v;
      sumSq[cell] = sumSq[cell]! + v * v;
      if (counts) counts[(path * nSave + s) * ns + i] = v;
    }
    if (h && histogram) {
      const d = x[h.species]! - h.lo;
      const b = d < 0 ? 0 : Math.min(Math.floor(d / h.width), h.bins) + 1;
      histogram[s * (h.bins + 2) + b]! += 1;
    }
  };
  for (let path = 0; path < plan.paths; path++) {
    const pid = (plan.pathOffset + path) >>> 0;
    const batch = (path >>> 6) % SSA_BATCHES;
    batchPaths[batch]! += 1;
    for (let i = 0; i < ns; i++) x[i] = plan.x0[i]!;
    bad = false;
    for (let j = 0; j < nr; j++) a[j] = prop(j);
    let t = 0, si = 0, m = 0, absorbed = false;
    for (;;) {
      let a0 = 0;
      for (let j = 0; j < nr; j++) a0 = F(a0 + a[j]!);
      if (bad || a0 > F32_BIG) break;
      if (!(a0 > 0)) {
        absorbed = true;
        break;
      }
      const lane = (m & 1) << 1;
      if (lane === 0) {
        _philoxBlock(pid, m >>> 1, plan.purpose, 0, plan.key.seed, plan.key.stream, w);
      }
      const u1 = F((w[lane]! + 0.5) * 2.3283064365386963e-10);
      const u2 = F((w[lane + 1]! + 0.5) * 2.3283064365386963e-10);
      const tau = F(-_logUnitF32(u1) / a0);
      const tNew = F(t + tau);
      if (tNew > tEnd) break;
      while (si < nSave && save[si]! < tNew) record(path, si++, batch);
      const target = F(u2 * a0);
      let acc = 0, pick = nr, last = 0;
      for (let j = 0; j < nr; j++) {
        const aj = a[j]!;
        if (aj > 0) {
          acc = F(acc + aj);
          last = j;
          if (acc > target) {
            pick = j;
            break;
          }
        }
      }
      if (pick === nr) pick = last;
      const r = rs[pick]!;
      for (const [i, d] of r.change) x[i] = x[i]! + d;
      for (const k of r.dependents) a[k] = prop(k);
      t = tNew;
      m++;
      if (m >= plan.maxSteps) {
        overSteps++;
        firstBad = Math.min(firstBad, pid);
        break;
      }
    }
    if (bad) {
      badPaths++;
      firstBad = Math.min(firstBad, pid);
    }
    while (si < nSave) record(path, si++, batch);
    steps += m;
    stepsSq += m * m;
    if (absorbed) absorbedPaths++;
  }
  return {
    paths: plan.paths,
    cells,
    sum,
    sumSq,
    batchPaths,
    steps,
    stepsSq,
    absorbed: absorbedPaths,
    histogram,
    counts,
    overSteps,
    badPropensity: badPaths,
    firstBadPath: firstBad,
  };
}

// ---------------------------------------------------------------- launcher

/**
 * llvmpipe, Mesa's software adapter, counts the loop iterations of a shader
 * invocation (one counter per group of 8 lanes, for every loop together,
 * LP_MAX_TGSI_LOOP_ITERATIONS) and at this many silently leaves whatever loop
 * it is in, which would cut a path short with wrong results.
 */
const LOOP_LIMIT = 65535;
/** Iterations kept in reserve for the loops outside the firing loop. */
const LOOP_MARGIN = 1024;

/**
 * The most firings one path may take in the kernel with `nSave` save times:
 * the firing loop and its save-time check take two iterations per firing,
 * and each record one more, so a path within this stays under
 * {@linkcode LOOP_LIMIT} on every adapter; longer paths are refused with an
 * error instead of being cut.
 */
function ssaFiringCap(nSave: number): number {
  return Math.floor((LOOP_LIMIT - LOOP_MARGIN) / 2) - nSave;
}

/**
 * Runs the ensemble on the GPU: compiles (once per device and network
 * structure) and dispatches the kernel in chunks of `chunkPaths` paths, then
 * reads back the batch sums, the histogram and, when recorded, the counts.
 * A WGSL propensity snippet that does not compile becomes an
 * {@linkcode SdenoParseError} naming the reaction, with the line and column
 * inside the snippet.
 *
 * @param ctx the GPU context
 * @param net the network as kernel data
 * @param plan constants, initial counts, times, paths and key
 * @returns the sums, as {@linkcode ssaEnsembleCpu} computes them
 * @throws {SdenoParseError} when a WGSL snippet does not compile
 */
export async function launchSsaEnsemble(
  ctx: GpuContext,
  net: SsaKernelNetwork,
  plan: SsaEnsemblePlan,
): Promise<SsaEnsembleSums> {
  const what = "Cannot run the SSA ensemble on webgpu";
  const cells = _checkPlan(what, net, plan);
  const k = ssaEnsembleSource(net);
  const bindings = [
    "read",
    "read",
    "read",
    "storage",
    "storage",
    "storage",
    "storage",
    "uniform",
  ] as const;
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await ctx.pipeline(k.name, k.source, bindings);
  } catch (err) {
    if (err instanceof SdenoParseError && err.line !== undefined) {
      const s = k.snippets.find((s) => err.line! >= s.line && err.line! < s.line + s.lines);
      if (s) {
        const line = err.line - s.line + 1;
        const r = net.reactions[s.reaction]!;
        const text = r.custom!.wgsl.split("\n")[line - 1] ?? "";
        const msg =
          err.message.replace(/^Cannot compile WGSL kernel "[^"]*" at line \d+, column \d+: /, "")
            .split("\n")[0];
        throw new SdenoParseError(
          `Cannot compile the WGSL propensity of reaction ${
            quote(r.name)
          } at line ${line}, column ${err.column ?? 0} of its snippet: ${msg}\n  ${line} | ${text}`,
          { line, column: err.column ?? 0, cause: err },
        );
      }
    }
    throw err;
  }
  const ns = net.species, nr = net.reactions.length, nSave = plan.saveTimes.length;
  const cap = ssaFiringCap(nSave);
  if (cap < 1) {
    throw new SdenoRangeError(
      `${what}: at most ${
        ssaFiringCap(0) - 1
      } save times fit the kernel's loop limit, got ${nSave}; use the cpu backend`,
    );
  }
  const maxSteps = Math.min(plan.maxSteps, cap);
  const chunk = plan.chunkPaths ?? 65536;
  const rates = ctx.acquire(Math.max(nr, 1) * 4);
  const saves = ctx.acquire(Math.max(nSave, 1) * 4);
  const init = ctx.acquire(ns * 4);
  const sumWords = SSA_BATCHES * cells * 4 + 8;
  const sums = ctx.acquire(sumWords * 4);
  const h = plan.histogram;
  const histWords = h ? nSave * (h.bins + 2) : 4;
  const hist = ctx.acquire(histWords * 4);
  const status = ctx.acquire(16);
  const countsBuf = plan.record ? ctx.acquire(Math.min(chunk, plan.paths) * cells * 4) : undefined;
  const counts = plan.record ? new Int32Array(plan.paths * cells) : undefined;
  try {
    ctx.write(rates, 0, Float32Array.from(plan.constants, (v) => Number.isFinite(v) ? v : 0));
    ctx.write(saves, 0, Float32Array.from(plan.saveTimes));
    ctx.write(init, 0, Int32Array.from(plan.x0));
    ctx.clear(sums);
    ctx.clear(hist);
    ctx.write(status, 0, new Uint32Array([0, 0, 0xffffffff, 0]));
    const u = new ArrayBuffer(64);
    const uu = new Uint32Array(u), uf = new Float32Array(u), ui = new Int32Array(u);
    for (let start = 0; start < plan.paths; start += chunk) {
      const n = Math.min(chunk, plan.paths - start);
      uu.set([n, (plan.pathOffset + start) >>> 0, plan.key.seed, plan.key.stream]);
      uu.set([plan.purpose, nSave, maxSteps, plan.record ? 1 : 0], 4);
      uf[8] = plan.tEnd;
      uu[9] = h?.species ?? 0;
      ui[10] = h?.lo ?? 0;
      uu[11] = h?.width ?? 1;
      uu[12] = h?.bins ?? 0;
      uu[13] = h ? 1 : 0;
      uu[14] = start / WG;
      uu[15] = cells;
      ctx.dispatch(
        pipeline,
        [rates, saves, init, countsBuf ?? ctx.dummy, sums, hist, status],
        u,
        Math.ceil(n / WG),
      );
      if (countsBuf && counts) {
        const bytes = new Int32Array(await ctx.read(countsBuf, 0, n * cells * 4));
        counts.set(bytes, start * cells);
      }
    }
    const raw = new Uint32Array(await ctx.read(sums, 0, sumWords * 4));
    const histRaw = h ? new Uint32Array(await ctx.read(hist, 0, histWords * 4)) : undefined;
    const st = new Uint32Array(await ctx.read(status, 0, 16));
    if (st[0]! > 0 && maxSteps < plan.maxSteps) {
      throw new NumericalError(
        `${what}: ${st[0]} path(s) needed more than ${maxSteps} firings, the most one path may ` +
          `take in this kernel (llvmpipe stops a shader's loops after ${LOOP_LIMIT} iterations ` +
          `in all, and the kernel loops twice per firing); the first is path ${st[2]}. Use the ` +
          `cpu backend or a shorter tEnd`,
        { step: maxSteps, index: st[2]! },
      );
    }
    const sum = new Float64Array(SSA_BATCHES * cells);
    const sumSq = new Float64Array(SSA_BATCHES * cells);
    for (let q = 0; q < SSA_BATCHES * cells; q++) {
      sum[q] = raw[4 * q + 1]! * 4294967296 + raw[4 * q]!;
      sumSq[q] = raw[4 * q + 3]! * 4294967296 + raw[4 * q + 2]!;
    }
    const tail = SSA_BATCHES * cells * 4;
    const batchPaths = new Float64Array(SSA_BATCHES);
    for (let p = 0; p < plan.paths; p += WG) {
      batchPaths[(p / WG) % SSA_BATCHES]! += Math.min(WG, plan.paths - p);
    }
    return {
      paths: plan.paths,
      cells,
      sum,
      sumSq,
      batchPaths,
      steps: raw[tail + 1]! * 4294967296 + raw[tail]!,
      stepsSq: raw[tail + 3]! * 4294967296 + raw[tail + 2]!,
      absorbed: raw[tail + 4]!,
      histogram: histRaw ? Float64Array.from(histRaw) : undefined,
      counts,
      overSteps: st[0]!,
      badPropensity: st[1]!,
      firstBadPath: st[2]!,
    };
  } finally {
    for (const b of [rates, saves, init, sums, hist, status]) ctx.recycle(b);
    if (countsBuf) ctx.recycle(countsBuf);
  }
}
