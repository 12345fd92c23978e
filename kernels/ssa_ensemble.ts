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
import type { Key } from "./philox.ts";
import { philoxBlock } from "./_philox_block.ts";
import { NumericalError, quote, SdenoParseError, SdenoRangeError } from "./errors.ts";
import { fnv1a32Hex } from "./hash.ts";
import { fallingF32, logUnitF32 } from "./_ssa_f32.ts";

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
  /** Called with the number of paths finished, after each chunk (launcher only). */
  onProgress?: (done: number) => void;
  /**
   * Work per path and dispatch before the path is parked and resumed by the
   * next dispatch (a firing counts 1, a record 4; default
   * {@linkcode SSA_DISPATCH_BUDGET}); results do not depend on it. For tests.
   */
  dispatchBudget?: number;
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
  /**
   * Paths stopped by a negative or non-finite propensity (or total), or a
   * count gone negative (past 2³¹ − 1, or fired without its reactants by a
   * custom propensity).
   */
  badPropensity: number;
  /**
   * Paths stopped because time stopped advancing: a wait of at least its
   * mean left the f32 clock unchanged (1/a₀ below its resolution).
   */
  stalled: number;
  /** Counter word of the first stopped path (0xffffffff when none). */
  firstBadPath: number;
}

/** Number of batches the moment sums are split into (batch = (path ÷ 64) mod 64). */
export const SSA_BATCHES = 64;
const WG = 64;
/**
 * Default work per path and GPU dispatch (firings, plus 4 per record) before
 * a path is parked and resumed by the next dispatch. llvmpipe leaves a
 * shader's loops after 65535 iterations in all, counted per group of 8
 * lanes; the firing loop does two firings per iteration, so a group whose
 * lanes fire alike spends about 8200 iterations per dispatch - 8 times under
 * the cap, which also covers lanes that fire unevenly between save times
 * (the group runs each stretch as long as its busiest lane). A dispatch of
 * 65536 paths then takes seconds, so the extra dispatches cost nothing
 * measurable, and few paths still park only every ~1.5 ms of one core.
 */
export const SSA_DISPATCH_BUDGET = 1 << 14;
const F32_BIG = Math.fround(3e38);
/** Words of the status buffer before the per-chunk counts of finished paths. */
const STATUS_HEAD = 5;

/** The generated kernel: source, cache name, and where each snippet starts. */
export interface SsaKernelSource {
  /** Full WGSL module source. */
  source: string;
  /** Pipeline cache name (a hash of the source). */
  name: string;
  /** Per custom reaction: its index, first source line (1-based) and line count. */
  snippets: Array<{ reaction: number; line: number; lines: number }>;
  /** Words of a parked path in the state buffer. */
  stateWords: number;
}

/**
 * Compiles a network into the direct-method kernel, written out for SIMD
 * execution (llvmpipe runs invocations as vector lanes under masks): one
 * variable per count (`x0`, `x1`, …) and per propensity (`a_0`, `a_1`, …)
 * instead of arrays, the sum and the selection as straight-line selects, the
 * picked reaction's net change as select chains, and the propensities
 * recomputed after every firing without a branch (mass action from its
 * orders, or the WGSL snippet; one whose inputs the firing cannot change
 * comes out the same, and custom ones outside the dependency lists keep
 * their value through a select). The f32 operations and their order are the
 * CPU twin's. Constants stay in a buffer, so the source depends only on the
 * network's structure.
 *
 * @param net the network as kernel data
 * @returns the source, its cache name and the snippet line ranges
 *
 * @example Birth–death: death's propensity is recomputed after each firing
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
 * assert.match(k.source, /a_1 = sd_exact\(k_1 \* f32\(x0\)\);/); // death's, recomputed
 * assert.ok(!/10\.0/.test(k.source)); // no rate constant in the source
 * ```
 */
export function ssaEnsembleSource(net: SsaKernelNetwork): SsaKernelSource {
  const ns = net.species, nr = net.reactions.length;
  const rs = net.reactions;
  const xs = Array.from({ length: ns }, (_, i) => `x${i}`);
  const xf = `array<f32, SD_NS>(${xs.map((x) => `f32(${x})`).join(", ")})`;
  // Every f32 result that feeds another f32 operation passes through
  // sd_exact, so the compiler can neither fuse a product into a sum nor
  // reassociate a chain (see the template): left-folded products and sums
  // with each partial result rounded, as the CPU twin computes them.
  const product = (factors: string[]) =>
    factors.reduce((acc, f, q) => q === 0 ? f : `sd_exact(${acc} * ${f})`);
  const sum = (terms: string[]) =>
    terms.reduce((acc, f, q) => q === 0 ? f : `sd_exact(${acc} + ${f})`);
  // x (x - 1) ... (x - o + 1) in f32, left to right, as the CPU twin's fallingF32
  const falling = (i: number, o: number) =>
    product(Array.from({ length: o }, (_, m) => m === 0 ? `f32(x${i})` : `f32(x${i} - ${m})`));
  const prop = (j: number) => {
    const r = rs[j]!;
    if (r.custom) return `sd_exact(sd_user_${j}(${xf}))`;
    const p = product([`k_${j}`, ...r.reactants.map(([i, o]) => falling(i, o))]);
    return p.startsWith("sd_exact(") ? p : `sd_exact(${p})`;
  };
  // after reaction `pick` fires, propensity k is recomputed when k is a dependent of pick
  const firedBy = rs.map((_, k) => rs.flatMap((r, j) => r.dependents.includes(k) ? [j] : []));
  const recompute: string[] = [];
  const checked: string[] = [];
  // propensities that can differ from a fresh computation from the counts
  // (kept by a select, or never recomputed): a parked path saves them
  const kept: number[] = [];
  rs.forEach((r, k) => {
    const by = firedBy[k]!;
    if (by.length === 0) { // never changes
      kept.push(k);
      return;
    }
    // Recomputing a mass-action propensity after a reaction that changes none
    // of its reactants gives the same f32, so no guard is needed when every
    // reaction that does change them lists k as a dependent.
    const changers = rs.flatMap((q, j) =>
      q.change.some(([i]) => r.reactants.some(([ri]) => ri === i)) ? [j] : []
    );
    const free = by.length === nr || (!r.custom && changers.every((j) => by.includes(j)));
    if (free) {
      recompute.push(`        a_${k} = ${prop(k)};`);
    } else {
      const other = rs.map((_, j) => j).filter((j) => !by.includes(j));
      const guard = by.length <= other.length
        ? by.map((j) => `pick == ${j}u`).join(" || ")
        : `!(${other.map((j) => `pick == ${j}u`).join(" || ")})`;
      recompute.push(`        a_${k} = select(a_${k}, ${prop(k)}, ${guard});`);
      kept.push(k);
    }
    checked.push(`sd_ok(a_${k})`);
  });
  // a count a firing changes must stay >= 0: i32 wraps past 2^31 - 1, and a
  // custom propensity may fire a reaction whose reactants are gone
  const changed = xs.flatMap((x, i) =>
    rs.some((r) => r.change.some(([ci]) => ci === i)) ? [x] : []
  );
  checked.push(...changed.map((x) => `${x} >= 0`));
  // (an unchanged propensity was checked when it was set, and bad is false here)
  if (checked.length > 0) recompute.push(`        bad = !(${checked.join(" && ")});`);
  // a fresh path starts from init; a resumed one from its parked state, with
  // the propensities recomputed from its counts (the same f32 values) except
  // the kept ones
  const aw = (q: number) => `sw + ${4 + ns + q}u`;
  const state = [
    ...rs.flatMap((r, j) => r.custom ? [] : [`  let k_${j} = rates[${j}];`]),
    ...xs.map((x, i) => `  var ${x} = init[${i}];`),
    `  if (p.resume != 0u) {`,
    `    phase = state[sw];`,
    `    t = bitcast<f32>(state[sw + 1u]);`,
    `    m = state[sw + 2u];`,
    `    si = state[sw + 3u];`,
    ...xs.map((x, i) => `    ${x} = bitcast<i32>(state[sw + ${4 + i}u]);`),
    `  }`,
    `  if (phase == 2u) { return; } // finished in an earlier dispatch`,
    ...rs.map((_, j) => `  var a_${j} = ${prop(j)};`),
    ...(kept.length === 0 ? [] : [
      `  if (p.resume != 0u) {`,
      ...kept.map((k, q) => `    a_${k} = bitcast<f32>(state[${aw(q)}]);`),
      `  }`,
    ]),
    `  var bad = ${nr === 0 ? "false" : `!(${rs.map((_, j) => `sd_ok(a_${j})`).join(" && ")})`};`,
    `  bad = bad || (phase & 16u) != 0u;`,
  ];
  const save = [
    ...xs.map((x, i) => `    state[sw + ${4 + i}u] = bitcast<u32>(${x});`),
    ...kept.map((k, q) => `    state[${aw(q)}] = bitcast<u32>(a_${k});`),
  ];
  // a0 in reaction order (0 + a_0 is a_0 up to the sign of zero, which nothing reads)
  const a0 = `        let a0 = ${nr === 0 ? "f32(0.0)" : sum(rs.map((_, j) => `a_${j}`))};`;
  const select = rs.flatMap((_, j) => [
    `        acc = select(acc, sd_exact(acc + a_${j}), a_${j} > 0.0);`,
    `        last = select(last, ${j}u, a_${j} > 0.0);`,
    `        pick = select(pick, ${j}u, pick == SD_NR && acc > goal);`,
  ]);
  const fire: string[] = [];
  for (let i = 0; i < ns; i++) {
    let d = "0";
    rs.forEach((r, j) => {
      for (const [si, v] of r.change) {
        if (si === i && v !== 0) d = `select(${d}, ${v}, pick == ${j}u)`;
      }
    });
    if (d !== "0") fire.push(`        x${i} = x${i} + ${d};`);
  }
  fire.push(...recompute);
  let hv = "x0";
  for (let i = 1; i < ns; i++) hv = `select(${hv}, x${i}, p.hist_species == ${i}u)`;
  const record = [
    `fn sd_record(path: u32, s: u32, ${xs.map((x) => `${x}: i32`).join(", ")}) {`,
    ...xs.map((x, i) => `  sd_cell(path, s, ${i}u, ${x});`),
    `  if (p.hist_on != 0u) { sd_hist(s, ${hv}); }`,
    `}`,
  ].join("\n");
  // custom snippets go first, each in its own function, so their lines can be mapped back
  const head = joinWgsl(PHILOX_WGSL, "");
  const template = SSA.replace("{{NS}}", String(ns)).replace("{{NR}}", String(nr))
    .replace("{{SW}}", String(4 + ns + kept.length));
  const [before, after] = template.split("{{PROPENSITIES}}") as [string, string];
  let source = head + before;
  const snippets: SsaKernelSource["snippets"] = [];
  for (const [j, r] of rs.entries()) {
    if (!r.custom) continue;
    source += `fn sd_user_${j}(x: array<f32, SD_NS>) -> f32 {\n`;
    const line = source.split("\n").length;
    const body = r.custom.wgsl;
    source += `${body}\n}\n`;
    snippets.push({ reaction: j, line, lines: body.split("\n").length });
  }
  const body = after.replace("{{STATE}}", state.join("\n"))
    .replace("{{A0}}", a0)
    .replaceAll("{{XARGS}}", xs.join(", "))
    .replace("{{SELECT}}", select.join("\n"))
    .replace("{{FIRE}}", fire.join("\n"))
    .replace("{{SAVE}}", save.join("\n"));
  // the hot loop's second firing is a copy of the first
  const begin = "        // {{FIRING-BEGIN}}\n", end = "        // {{FIRING-END}}\n";
  const firing = body.slice(body.indexOf(begin) + begin.length, body.indexOf(end));
  const again = firing.split("\n").map((l) => l && `  ${l}`).join("\n");
  source += record +
    body.replace(begin, "").replace(end, "").replace("          {{FIRING}}\n", again);
  return {
    source,
    stateWords: 4 + ns + kept.length,
    name: `ssa_ensemble#${fnv1a32Hex(source)}${fnv1a32Hex(source, 0x01234567)}`,
    snippets,
  };
}

// ---------------------------------------------------------------- CPU twin

const F = Math.fround;

function _checkPlan(what: string, net: SsaKernelNetwork, plan: SsaEnsemblePlan): number {
  const cells = plan.saveTimes.length * net.species;
  const chunk = plan.chunkPaths ?? 65536;
  if (!Number.isInteger(chunk) || chunk < WG || chunk % WG !== 0) {
    throw new SdenoRangeError(
      `${what}: chunkPaths must be a positive multiple of 64, got ${quote(chunk)}`,
    );
  }
  const budget = plan.dispatchBudget ?? SSA_DISPATCH_BUDGET;
  if (!Number.isInteger(budget) || budget < 1 || budget > 1 << 24) {
    throw new SdenoRangeError(
      `${what}: dispatchBudget must be an integer in [1, 2^24], got ${quote(budget)}`,
    );
  }
  const h = plan.histogram;
  if (h && !(Number.isInteger(h.species) && h.species >= 0 && h.species < net.species)) {
    throw new SdenoRangeError(
      `${what}: histogram.species must be a species index in [0, ${net.species}), got ${
        quote(h.species)
      }`,
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
  let stalledPaths = 0;
  let bad = false;
  const prop = (j: number): number => {
    const r = rs[j]!;
    let v: number;
    if (r.custom) {
      for (let i = 0; i < ns; i++) xf[i] = x[i]!;
      v = F(r.custom.cpu(xf));
    } else {
      v = c[j]!;
      for (const [i, o] of r.reactants) v = F(v * (o === 1 ? F(x[i]!) : fallingF32(x[i]!, o)));
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
    let t = 0, si = 0, m = 0, absorbed = false, stalled = false;
    for (;;) {
      let a0 = 0;
      for (let j = 0; j < nr; j++) a0 = F(a0 + a[j]!);
      if (a0 > F32_BIG) bad = true;
      if (bad) break;
      if (!(a0 > 0)) {
        absorbed = true;
        break;
      }
      const lane = (m & 1) << 1;
      if (lane === 0) {
        philoxBlock(pid, m >>> 1, plan.purpose, 0, plan.key.seed, plan.key.stream, w);
      }
      const u1 = F((w[lane]! + 0.5) * 2.3283064365386963e-10);
      const u2 = F((w[lane + 1]! + 0.5) * 2.3283064365386963e-10);
      const e1 = -logUnitF32(u1);
      const tNew = F(t + F(e1 / a0));
      if (tNew > tEnd) break;
      // a wait of at least its mean that leaves t unchanged: the clock stopped
      if (tNew === t && e1 >= 1) {
        stalled = true;
        break;
      }
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
      for (const [i, d] of r.change) {
        x[i] = x[i]! + d; // wraps as i32 does
        if (x[i]! < 0) bad = true;
      }
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
    if (stalled) {
      stalledPaths++;
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
    stalled: stalledPaths,
    firstBadPath: firstBad,
  };
}

// ---------------------------------------------------------------- launcher

/**
 * Runs the ensemble on the GPU: compiles (once per device and network
 * structure) and dispatches the kernel in chunks of `chunkPaths` paths, then
 * reads back the batch sums, the histogram and, when recorded, the counts.
 * A dispatch runs each path for at most `dispatchBudget` units of work
 * (llvmpipe's loop cap; see {@linkcode SSA_DISPATCH_BUDGET}) and parks the
 * unfinished ones in a state buffer; further dispatches resume them, several
 * between reads of the chunk's finished count, until every path is done. The
 * results are those of one long dispatch. A chunk's first dispatch goes out
 * before the previous chunk's count is read, so chunks keep the adapter busy,
 * and a run whose paths all finish in their first dispatch reads back once.
 * A WGSL propensity snippet that does not compile becomes an
 * {@linkcode SdenoParseError} naming the reaction, with the line and column
 * inside the snippet.
 *
 * @param ctx the GPU context
 * @param net the network as kernel data
 * @param plan constants, initial counts, times, paths and key
 * @returns the sums, as {@linkcode ssaEnsembleCpu} computes them
 * @throws {SdenoParseError} when a WGSL snippet does not compile
 * @throws {NumericalError} when llvmpipe's loop limiter still cut a path
 *   (lanes of a group with wildly different firings between save times)
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
  const chunk = plan.chunkPaths ?? 65536;
  const budget = plan.dispatchBudget ?? SSA_DISPATCH_BUDGET;
  const nChunks = Math.ceil(plan.paths / chunk);
  const chunkN = (c: number) => Math.min(chunk, plan.paths - c * chunk);
  // two slots of path state and counts: chunk c + 1 runs while chunk c's
  // finished count travels to the host
  const slots = nChunks > 1 ? 2 : 1;
  const slotPaths = Math.max(1, Math.min(chunk, plan.paths));
  const rates = ctx.acquire(Math.max(nr, 1) * 4);
  const saves = ctx.acquire(Math.max(nSave, 1) * 4);
  const init = ctx.acquire(ns * 4);
  const sumWords = SSA_BATCHES * cells * 4 + 8;
  const sums = ctx.acquire(sumWords * 4);
  const h = plan.histogram;
  const histWords = h ? nSave * (h.bins + 2) : 4;
  const hist = ctx.acquire(histWords * 4);
  const statusWords = STATUS_HEAD + nChunks;
  const status = ctx.acquire(statusWords * 4);
  // sums, histogram and status side by side, read back in one go
  const outWords = sumWords + (h ? histWords : 0) + statusWords;
  const out = ctx.acquire(outWords * 4);
  const states = Array.from({ length: slots }, () => ctx.acquire(slotPaths * k.stateWords * 4));
  const countsBufs = plan.record
    ? Array.from({ length: slots }, () => ctx.acquire(slotPaths * cells * 4))
    : undefined;
  const counts = plan.record ? new Int32Array(plan.paths * cells) : undefined;
  try {
    ctx.write(rates, 0, Float32Array.from(plan.constants, (v) => Number.isFinite(v) ? v : 0));
    ctx.write(saves, 0, Float32Array.from(plan.saveTimes));
    ctx.write(init, 0, Int32Array.from(plan.x0));
    ctx.clear(sums);
    ctx.clear(hist);
    const st0 = new Uint32Array(statusWords);
    st0[2] = 0xffffffff;
    ctx.write(status, 0, st0);
    const u = new ArrayBuffer(80);
    const uu = new Uint32Array(u), uf = new Float32Array(u), ui = new Int32Array(u);
    const dispatch = (c: number, resume: boolean) => {
      const start = c * chunk, n = chunkN(c);
      uu.set([n, (plan.pathOffset + start) >>> 0, plan.key.seed, plan.key.stream]);
      uu.set([plan.purpose, nSave, plan.maxSteps, plan.record ? 1 : 0], 4);
      uf[8] = plan.tEnd;
      uu[9] = h?.species ?? 0;
      ui[10] = h?.lo ?? 0;
      uu[11] = h?.width ?? 1;
      uu[12] = h?.bins ?? 0;
      uu[13] = h ? 1 : 0;
      uu[14] = start / WG;
      uu[15] = cells;
      uu.set([resume ? 1 : 0, STATUS_HEAD + c, budget, 0], 16);
      ctx.dispatch(
        pipeline,
        [
          rates,
          saves,
          init,
          countsBufs?.[c % slots] ?? ctx.dummy,
          sums,
          hist,
          status,
          states[c % slots]!,
        ],
        u,
        Math.ceil(n / WG),
      );
    };
    const readOut = async () => {
      ctx.copy(sums, 0, out, 0, sumWords * 4);
      if (h) ctx.copy(hist, 0, out, sumWords * 4, histWords * 4);
      ctx.copy(status, 0, out, (outWords - statusWords) * 4, statusWords * 4);
      return new Uint32Array(await ctx.read(out, 0, outWords * 4));
    };
    // how many paths of chunk c have finished: the last chunk reads everything
    // (so a run whose paths all fit in their first dispatch syncs once)
    let last: Uint32Array | undefined;
    const check = async (c: number) => {
      if (c < nChunks - 1) {
        return new Uint32Array(await ctx.read(status, (STATUS_HEAD + c) * 4, 4))[0]!;
      }
      last = await readOut();
      return last[outWords - statusWords + STATUS_HEAD + c]!;
    };
    // resume chunk c until every path has finished: 1, 1, 2, 4, ... up to 32
    // dispatches between reads (a dispatch whose paths are all done costs
    // little; a read, a host round trip)
    // (every dispatch moves each unfinished path on by a firing or a record)
    const maxPasses = Math.ceil((plan.maxSteps + 4 * nSave) / budget) + 2;
    const complete = async (c: number, first: Promise<number>) => {
      let pending = first, passes = 1;
      while ((await pending) < chunkN(c)) {
        if (passes > maxPasses) {
          throw new NumericalError(
            `${what}: paths of chunk ${c} did not finish in ${passes} dispatches`,
          );
        }
        const more = Math.min(passes, 32);
        for (let r = 0; r < more; r++) dispatch(c, true);
        passes += more;
        pending = check(c);
      }
      plan.onProgress?.(c * chunk + chunkN(c));
      if (countsBufs && counts) {
        const n = chunkN(c);
        const bytes = new Int32Array(await ctx.read(countsBufs[c % slots]!, 0, n * cells * 4));
        counts.set(bytes, c * chunk * cells);
      }
    };
    let prev: Promise<number> | undefined;
    for (let c = 0; c < nChunks; c++) {
      dispatch(c, false);
      const first = check(c);
      if (prev) await complete(c - 1, prev);
      prev = first;
    }
    if (prev) await complete(nChunks - 1, prev);
    let raw = last;
    const allDone = (r: Uint32Array) => {
      for (let c = 0; c < nChunks; c++) {
        if (r[outWords - statusWords + STATUS_HEAD + c]! < chunkN(c)) return false;
      }
      return true;
    };
    if (!raw || !allDone(raw)) raw = await readOut();
    const histRaw = h ? raw.subarray(sumWords, sumWords + histWords) : undefined;
    const st = raw.subarray(outWords - statusWords);
    if (st[3]) {
      throw new NumericalError(
        `${what}: ${st[3]} path(s) ran into the adapter's loop limit (llvmpipe leaves a shader's ` +
          `loops after 65535 iterations per group of 8 paths), so their results would be wrong; ` +
          `the first is path ${st[2]}. The paths of a group need very different numbers of ` +
          `firings between save times: use the cpu backend, or fewer save times`,
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
      stalled: st[4]!,
      firstBadPath: st[2]!,
    };
  } finally {
    for (const b of [rates, saves, init, sums, hist, status, out, ...states]) ctx.recycle(b);
    for (const b of countsBufs ?? []) ctx.recycle(b);
  }
}
