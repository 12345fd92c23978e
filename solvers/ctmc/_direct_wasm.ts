// The direct method of the cpu ensemble compiled to WebAssembly per network
// (private): several paths in lanes of one loop, their draws computed by the
// Philox module in the same memory, called from the loop with no JavaScript
// in between.
//
// One firing of the direct method (Gillespie 1977) is a short chain of
// dependent floating-point operations: the counts give the propensities,
// their sum a₀, the waiting time e/a₀ and the threshold u·a₀, the threshold
// the reaction, the reaction the next counts. A loop that fires one
// reaction of each of n paths per turn gives the CPU n independent chains to
// overlap. Each lane runs exactly the operations of the one-path loop of
// _direct_loop.ts, in the same order and in float64 (WebAssembly's f64
// arithmetic is IEEE 754's, as JavaScript's is): the same sums, the same
// branch-free selection, the same draws (`expUniformSteps` of
// kernels/philox.wat, the same bits as _PathExpUniforms), the same checks and
// errors. So a path's counts, firings and errors are ssaDirect's, whatever
// lane it ran in and whatever paths ran beside it; the tests compare them.
//
// The code is generated as WebAssembly text (kernels/_wasm_text.ts; print it
// with `wasmLanesText`) for small mass-action networks: the propensities
// with the reaction's constants and orders written in, the net changes as
// tables. Layout of the memory, from `REGION` (past the Philox module's own
// three pages):
//
//   header   tEnd f64, maxSteps f64, nSave i32, seed i32, stream i32, purpose i32, saveTimes i32
//   deltas   per changed species i, nr f64: the change of i when reaction j fires
//   slots    per lane: t f64, m f64, si, wi, wn, path, batch, absorbed, pairs, save, fire (i32),
//            x f64[ns]
//   buffers  save times; per lane its draws (512 blocks of 4 f64, and slack), its counts at the
//            save times and its firings of each reaction (when counted)
//
// A lane's state lives in locals while the loop runs and in its slot between
// calls; a path that ends leaves its slot to the next path.

import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import type { Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { _PhiloxWasm } from "../../kernels/_wasm_philox.ts";
import { assembleWasm, type WasmModule, wasmText } from "../../kernels/_wasm_text.ts";
import { NumericalError } from "../../kernels/errors.ts";
import { type _Compiled, type _Fail, _failFor, _saveUntil, COUNT_MAX } from "./_ssa_common.ts";

/** Paths interleaved in one loop. */
export const WASM_LANES = 4;
/** Largest mass-action network (reactions, species) compiled. */
const NET_MAX = 16;
/** Turns (one firing per lane) per call. */
const TURNS = 4096;
/** Blocks of one path are indexed by ⌊m/2⌋ as a u32 (m mod 2³²): batches stop at the wrap. */
const BLOCK_WRAP = 2147483648;
/** Largest batch of draws, blocks (as _PathExpUniforms). */
const MAX_BATCH = 512;
/** Bytes past its blocks the Philox module may write (kernels/_wasm_philox.ts). */
const OVERRUN = 128;
/** Where this module's memory starts: past the Philox module's three pages. */
const REGION = 3 * 65536;
const HEADER = REGION;
const DELTAS = HEADER + 64;
/**
 * Largest memory for the save buffers of all lanes, bytes: a WebAssembly memory never shrinks and
 * the runners are kept, so runs with more saves (over 2¹⁹ counts a lane) stay in JavaScript.
 */
export const SAVE_BYTES_MAX = 1 << 24;

/** Slot fields, byte offsets. */
const S = {
  t: 0,
  m: 8,
  si: 16,
  wi: 20,
  wn: 24,
  path: 28,
  batch: 32,
  absorbed: 36,
  pairs: 40,
  save: 44,
  fire: 48,
  x: 56,
};

interface Layout {
  ns: number;
  nr: number;
  changed: number[];
  slots: number;
  slotBytes: number;
  /** First byte past the slots. */
  end: number;
}

function layout(k: _Compiled): Layout {
  const changed: number[] = [];
  for (let i = 0; i < k.ns; i++) {
    for (let q = 0; q < k.cd.length; q++) if (k.cs[q] === i && k.cd[q] !== 0) changed.push(i);
  }
  const uniq = [...new Set(changed)].sort((a, b) => a - b);
  const slots = DELTAS + 8 * k.nr * uniq.length;
  const slotBytes = S.x + 8 * k.ns;
  return {
    ns: k.ns,
    nr: k.nr,
    changed: uniq,
    slots,
    slotBytes,
    end: slots + WASM_LANES * slotBytes,
  };
}

/**
 * Whether a compiled network gets the WebAssembly lanes: mass action, at
 * most 16 reactions and species.
 *
 * @param k the compiled network
 * @returns true when it fits
 */
export function wasmLanesFit(k: _Compiled): boolean {
  return k.custom.every((f) => f === undefined) && k.nr <= NET_MAX && k.ns <= NET_MAX;
}

/** Flat text of reaction j's propensity, as _propensitySource forms it, onto the stack. */
function propensity(k: _Compiled, j: number, x: (i: number) => string): string[] {
  const code = [`f64.const ${k.c[j]!}`];
  const guards: string[][] = [];
  for (let p = k.rStart[j]!; p < k.rStart[j + 1]!; p++) {
    const v = `local.get ${x(k.rs[p]!)}`;
    const o = k.ro[p]!;
    if (o === 1) {
      code.push(v, "f64.mul");
      continue;
    }
    guards.push([v, `f64.const ${o}`, "f64.lt"]);
    if (o === 2) {
      code.push(v, v, "f64.const 1", "f64.sub", "f64.mul", "f64.const 0.5", "f64.mul", "f64.mul");
    } else {
      let den = 1;
      code.push(v);
      for (let m = 1; m < o; m++) code.push(v, `f64.const ${m}`, "f64.sub", "f64.mul");
      for (let m = 0; m < o; m++) den *= m + 1;
      code.push(`f64.const ${den}`, "f64.div", "f64.mul");
    }
  }
  if (guards.length === 0) return code;
  // (g₁ || g₂ …) ? 0 : a
  return [
    "f64.const 0",
    ...code,
    ...guards.flatMap((g, i) => (i === 0 ? g : [...g, "i32.or"])),
    "select",
  ];
}

/**
 * The module: `run<n>(turns) → ended lane or −1` for n = 1 … WASM_LANES;
 * with `countFirings`, each firing of reaction j also adds 1 to the lane's
 * `fire[j]` (ssaDirect's firings per reaction).
 */
function lanesModule(k: _Compiled, L: Layout, countFirings: boolean): WasmModule {
  const { ns, nr, changed } = L;
  const range = (m: number) => Array.from({ length: m }, (_, i) => i);
  const grows = range(ns).filter((i) => {
    for (let q = 0; q < k.cd.length; q++) if (k.cs[q] === i && k.cd[q]! > 0) return true;
    return false;
  });
  const deltaAt = (i: number) => DELTAS + 8 * nr * changed.indexOf(i);
  const functions = range(WASM_LANES).map((n0) => {
    const n = n0 + 1;
    const body: string[] = [];
    const put = (...l: string[]) => body.push(...l);
    const locals: Array<[string, "i32" | "f64"]> = [];
    for (const v of ["tEnd", "maxSteps", "a0", "e1", "u2", "tNew", "target", "c"]) {
      locals.push([v, "f64"]);
    }
    for (
      const v of [
        "nSave",
        "saveTimes",
        "seed",
        "stream",
        "purpose",
        "turn",
        "ended",
        "j",
        "b",
        "rem",
        "nb",
        "o",
      ]
    ) {
      locals.push([v, "i32"]);
    }
    put(
      `i32.const 0`,
      `f64.load offset=${HEADER}`,
      `local.set $tEnd`,
      `i32.const 0`,
      `f64.load offset=${HEADER + 8}`,
      `local.set $maxSteps`,
      ...[["nSave", 16], ["seed", 20], ["stream", 24], ["purpose", 28], ["saveTimes", 32]]
        .flatMap((
          [v, o],
        ) => [`i32.const 0`, `i32.load offset=${HEADER + (o as number)}`, `local.set $${v}`]),
      `i32.const -1`,
      `local.set $ended`,
    );
    for (const l of range(n)) {
      const slot = L.slots + l * L.slotBytes;
      const X = (i: number) => `$x${i}_${l}`;
      for (
        const v of [
          "t",
          "m",
          "next",
          ...range(ns).map((i) => `x${i}`),
          ...range(nr).map((j) => `p${j}`),
        ]
      ) {
        locals.push([`${v}_${l}`, "f64"]);
      }
      for (const v of ["si", "wi", "wn", "path", "batch", "pairs", "save", "fire"]) {
        locals.push([`${v}_${l}`, "i32"]);
      }
      for (const [v, o] of [["t", S.t], ["m", S.m]] as const) {
        put(`i32.const 0`, `f64.load offset=${slot + o}`, `local.set $${v}_${l}`);
      }
      for (const v of ["si", "wi", "wn", "path", "batch", "pairs", "save", "fire"] as const) {
        put(`i32.const 0`, `i32.load offset=${slot + S[v]}`, `local.set $${v}_${l}`);
      }
      for (const i of range(ns)) {
        put(`i32.const 0`, `f64.load offset=${slot + S.x + 8 * i}`, `local.set ${X(i)}`);
      }
      put(...nextSave(l));
      for (const j of range(nr)) put(...propensity(k, j, X), `local.set $p${j}_${l}`);
    }
    put(
      `block $exit`,
      `loop $turns`,
      `local.get $turn`,
      `local.get $turns`,
      `i32.ge_u`,
      `br_if $exit`,
    );
    for (const l of range(n)) put(...firing(l));
    put(
      `local.get $turn`,
      `i32.const 1`,
      `i32.add`,
      `local.set $turn`,
      `br $turns`,
      `end`,
      `end`,
    );
    for (const l of range(n)) {
      const slot = L.slots + l * L.slotBytes;
      for (const [v, o] of [["t", S.t], ["m", S.m]] as const) {
        put(`i32.const 0`, `local.get $${v}_${l}`, `f64.store offset=${slot + o}`);
      }
      for (const v of ["si", "wi", "wn"] as const) {
        put(`i32.const 0`, `local.get $${v}_${l}`, `i32.store offset=${slot + S[v]}`);
      }
      for (const i of range(ns)) {
        put(`i32.const 0`, `local.get $x${i}_${l}`, `f64.store offset=${slot + S.x + 8 * i}`);
      }
    }
    put(`local.get $ended`);
    return {
      name: `run${n}`,
      exported: true,
      params: [["turns", "i32"]] as Array<[string, "i32"]>,
      results: ["i32" as const],
      locals,
      body,
    };
  });

  // next_l ← si_l < nSave ? saveTimes[si_l] : ∞
  function nextSave(l: number): string[] {
    return [
      `local.get $si_${l}`,
      `local.get $nSave`,
      `i32.lt_u`,
      `if`,
      `local.get $saveTimes`,
      `local.get $si_${l}`,
      `i32.const 3`,
      `i32.shl`,
      `i32.add`,
      `f64.load`,
      `local.set $next_${l}`,
      `else`,
      `f64.const inf`,
      `local.set $next_${l}`,
      `end`,
    ];
  }

  // fail(kind, lane, m, t, v) from the values on the stack (kind, then v)
  function fail(l: number, kind: string[], v: string[]): string[] {
    return [
      ...kind,
      `i32.const ${l}`,
      `local.get $m_${l}`,
      `local.get $t_${l}`,
      ...v,
      `call $fail`,
    ];
  }

  // one firing of lane l: the one-path loop's branch-free body
  function firing(l: number): string[] {
    const slot = L.slots + l * L.slotBytes;
    const X = (i: number) => `$x${i}_${l}`;
    const P = (j: number) => `$p${j}_${l}`;
    const t = `$t_${l}`, m = `$m_${l}`, wi = `$wi_${l}`, wn = `$wn_${l}`, si = `$si_${l}`;
    const end = (absorbed: boolean) => [
      ...(absorbed ? [`i32.const 0`, `i32.const 1`, `i32.store offset=${slot + S.absorbed}`] : []),
      `i32.const ${l}`,
      `local.set $ended`,
      `br $exit`,
    ];
    return [
      // a₀ = 0 + p₀ + p₁ + …, in this order
      `f64.const 0`,
      ...range(nr).flatMap((j) => [`local.get ${P(j)}`, `f64.add`]),
      `local.set $a0`,
      `local.get $a0`,
      `f64.const 0`,
      `f64.gt`,
      `i32.eqz`,
      `if`,
      `local.get $a0`,
      `f64.const 0`,
      `f64.ne`,
      `if`,
      ...fail(l, [`i32.const 0`], [`local.get $a0`]),
      `end`,
      ...end(true),
      `end`,
      // draws: batch nb = min(batch, 2³¹ − b) from block b = (m mod 2³²) >>> 1
      `local.get ${wi}`,
      `local.get ${wn}`,
      `i32.eq`,
      `if`,
      `local.get ${m}`,
      `i64.trunc_f64_u`,
      `i32.wrap_i64`,
      `i32.const 1`,
      `i32.shr_u`,
      `local.set $b`,
      `i32.const ${BLOCK_WRAP | 0}`,
      `local.get $b`,
      `i32.sub`,
      `local.set $rem`,
      `local.get $batch_${l}`,
      `local.get $rem`,
      `local.get $batch_${l}`,
      `local.get $rem`,
      `i32.lt_u`,
      `select`,
      `local.set $nb`,
      `local.get $path_${l}`,
      `local.get $b`,
      `local.get $purpose`,
      `i32.const 0`,
      `local.get $seed`,
      `local.get $stream`,
      `local.get $nb`,
      `local.get $pairs_${l}`,
      `call $expUniformSteps`,
      `local.get $nb`,
      `i32.const 2`,
      `i32.shl`,
      `local.set ${wn}`,
      `i32.const 0`,
      `local.set ${wi}`,
      `end`,
      `local.get $pairs_${l}`,
      `local.get ${wi}`,
      `i32.const 3`,
      `i32.shl`,
      `i32.add`,
      `local.tee $o`,
      `f64.load`,
      `local.set $e1`,
      `local.get $o`,
      `f64.load offset=8`,
      `local.set $u2`,
      `local.get ${wi}`,
      `i32.const 2`,
      `i32.add`,
      `local.set ${wi}`,
      // tNew = t + e/a₀
      `local.get ${t}`,
      `local.get $e1`,
      `local.get $a0`,
      `f64.div`,
      `f64.add`,
      `local.set $tNew`,
      `local.get $tNew`,
      `local.get $tEnd`,
      `f64.gt`,
      `if`,
      ...end(false),
      `end`,
      // the clock stopped: a waiting time of at least its mean that leaves t unchanged
      `local.get $tNew`,
      `local.get ${t}`,
      `f64.eq`,
      `local.get $e1`,
      `f64.const 1`,
      `f64.ge`,
      `i32.and`,
      `if`,
      ...fail(l, [
        `i32.const 0`,
        `i32.const 2`,
        `local.get $a0`,
        `f64.const inf`,
        `f64.eq`,
        `select`,
      ], [
        `local.get $a0`,
      ]),
      `end`,
      // counts at the save times passed
      `block $saved_${l}`,
      `loop $save_${l}`,
      `local.get $next_${l}`,
      `local.get $tNew`,
      `f64.lt`,
      `i32.eqz`,
      `br_if $saved_${l}`,
      `local.get $save_${l}`,
      `local.get ${si}`,
      `i32.const ${8 * ns}`,
      `i32.mul`,
      `i32.add`,
      `local.set $o`,
      ...range(ns).flatMap((
        i,
      ) => [`local.get $o`, `local.get ${X(i)}`, `f64.store offset=${8 * i}`]),
      `local.get ${si}`,
      `i32.const 1`,
      `i32.add`,
      `local.set ${si}`,
      ...nextSave(l),
      `br $save_${l}`,
      `end`,
      `end`,
      // the reaction: the number of partial sums ≤ u·a₀ (see _direct_loop.ts)
      `local.get $u2`,
      `local.get $a0`,
      `f64.mul`,
      `local.set $target`,
      `f64.const 0`,
      `local.set $c`,
      `i32.const 0`,
      `local.set $j`,
      ...range(nr).flatMap((q) => [
        `local.get $c`,
        `local.get ${P(q)}`,
        `f64.add`,
        `local.tee $c`,
        `local.get $target`,
        `f64.le`,
        `local.get $j`,
        `i32.add`,
        `local.set $j`,
      ]),
      // rounding: the sum fell just short of the threshold; the last positive one
      `local.get $j`,
      `i32.const ${nr}`,
      `i32.eq`,
      `if`,
      `i32.const -1`,
      `local.set $j`,
      ...range(nr).flatMap((q) => [
        `local.get ${P(q)}`,
        `f64.const 0`,
        `f64.gt`,
        `if`,
        `i32.const ${q}`,
        `local.set $j`,
        `end`,
      ]),
      `end`,
      ...changed.flatMap((i) => [
        `local.get ${X(i)}`,
        `local.get $j`,
        `i32.const 3`,
        `i32.shl`,
        `f64.load offset=${deltaAt(i)}`,
        `f64.add`,
        `local.set ${X(i)}`,
      ]),
      ...grows.flatMap((i) => [
        `local.get ${X(i)}`,
        `f64.const ${COUNT_MAX}`,
        `f64.gt`,
        `if`,
        ...fail(l, [`i32.const 3`], [`f64.const ${i}`]),
        `end`,
      ]),
      ...(countFirings
        ? [
          `local.get $fire_${l}`,
          `local.get $j`,
          `i32.const 3`,
          `i32.shl`,
          `i32.add`,
          `local.tee $o`,
          `local.get $o`,
          `f64.load`,
          `f64.const 1`,
          `f64.add`,
          `f64.store`,
        ]
        : []),
      ...range(nr).flatMap((q) => [...propensity(k, q, X), `local.set ${P(q)}`]),
      `local.get $tNew`,
      `local.set ${t}`,
      `local.get ${m}`,
      `f64.const 1`,
      `f64.add`,
      `local.set ${m}`,
      `local.get ${m}`,
      `local.get $maxSteps`,
      `f64.ge`,
      `if`,
      ...fail(l, [`i32.const 1`], [`f64.const 0`]),
      `end`,
    ];
  }

  return {
    imports: [
      {
        module: "p",
        field: "expUniformSteps",
        name: "expUniformSteps",
        params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        results: [],
      },
      {
        module: "h",
        field: "fail",
        name: "fail",
        params: ["i32", "i32", "f64", "f64", "f64"],
        results: [],
      },
    ],
    memory: { module: "p", field: "memory", minPages: 3 },
    functions,
  };
}

/**
 * The WebAssembly text of a network's lanes module, for reading it.
 *
 * @param k the compiled network (see {@linkcode wasmLanesFit})
 * @param countFirings whether the module counts each reaction's firings
 * @returns the module as text
 */
export function wasmLanesText(k: _Compiled, countFirings = false): string {
  return wasmText(lanesModule(k, layout(k), countFirings));
}

type RunLanes = (turns: number) => number;

/** A network's compiled module and this thread's instance of it. */
class LanesRunner {
  readonly L: Layout;
  readonly run: RunLanes[];
  readonly memory: WebAssembly.Memory;
  f64!: Float64Array;
  i32!: Int32Array;
  /** The current call's error reporter (lane → path is the caller's). */
  onFail: (kind: number, lane: number, m: number, t: number, v: number) => void = () => {};

  constructor(k: _Compiled, countFirings: boolean) {
    this.L = layout(k);
    const philox = new _PhiloxWasm().raw;
    this.memory = philox.memory;
    const module = new WebAssembly.Module(assembleWasm(lanesModule(k, this.L, countFirings)));
    const exports = new WebAssembly.Instance(module, {
      p: { memory: philox.memory, expUniformSteps: philox.expUniformSteps },
      h: {
        fail: (kind: number, lane: number, m: number, t: number, v: number) =>
          this.onFail(kind, lane, m, t, v),
      },
    }).exports as Record<string, RunLanes>;
    this.run = Array.from({ length: WASM_LANES }, (_, i) => exports[`run${i + 1}`]!);
    this.reserve(this.L.end);
    const deltas = new Float64Array(this.L.nr * this.L.changed.length);
    for (let q = 0; q < k.cd.length; q++) {
      const r = this.L.changed.indexOf(k.cs[q]!);
      if (r < 0) continue;
      // reaction of change q: the j with cStart[j] ≤ q < cStart[j + 1]
      let j = 0;
      while (k.cStart[j + 1]! <= q) j++;
      deltas[r * this.L.nr + j] = k.cd[q]!;
    }
    this.f64.set(deltas, DELTAS / 8);
  }

  /** Grows the memory to at least `bytes`. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.f64?.buffer !== this.memory.buffer) {
      this.f64 = new Float64Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }
}

/**
 * Runners by the network's structure (its compiled tables) and whether they
 * count firings, so equal networks built twice share one module; the 8 most
 * recently used are kept (each holds at most 3 pages, its lanes' draws and
 * {@linkcode SAVE_BYTES_MAX}).
 */
const runners = new Map<string, LanesRunner | null>();
const RUNNERS_KEPT = 8;

function runnerFor(k: _Compiled, countFirings: boolean): LanesRunner | undefined {
  const key = JSON.stringify([
    countFirings,
    k.ns,
    ...[k.rStart, k.rs, k.ro, k.cStart, k.cs, k.cd, k.c].map((a) => Array.from(a)),
  ]);
  let r = runners.get(key);
  if (r === undefined) {
    try {
      r = new LanesRunner(k, countFirings);
    } catch {
      r = null; // no WebAssembly or no SIMD: the JavaScript loop
    }
  } else runners.delete(key);
  runners.set(key, r);
  if (runners.size > RUNNERS_KEPT) runners.delete(runners.keys().next().value!);
  return r ?? undefined;
}

/** What {@linkcode wasmLanePaths} needs of a run. */
export interface LanePlan {
  tEnd: number;
  saveTimes: Float64Array;
  key: Key;
  /** Path id of range index 0. */
  firstPath: number;
  x0: Float64Array;
  maxSteps: number;
}

/**
 * Where the paths' results go: counts (paths × saves × species), firings,
 * absorption flags; and, when given, the firings of each reaction (paths ×
 * reactions) and the time of absorption (set for absorbed paths only).
 */
export interface LaneOutput {
  counts: Float64Array;
  steps: Float64Array;
  absorbed: Uint8Array;
  firings?: Float64Array;
  absorptionTime?: Float64Array;
}

/**
 * Runs paths 0 … count − 1 of a range (path id `firstPath + q`) in the
 * WebAssembly lanes, or returns false (nothing done) when the network or
 * the run does not fit them. A path that fails is reported after every
 * earlier path still in flight has been rerun alone by `runAlone` (which
 * throws if it fails too): the error is the first in path order.
 *
 * @param net the network
 * @param k the network compiled
 * @param plan times, key, first path id, initial counts, maxSteps
 * @param count the number of paths
 * @param what the prefix of the errors
 * @param out where the results go
 * @param runAlone runs range index q alone on the one-path loop
 * @returns whether the paths ran here
 */
export function wasmLanePaths(
  net: ReactionNetwork,
  k: _Compiled,
  plan: LanePlan,
  count: number,
  what: string,
  out: LaneOutput,
  runAlone: (q: number) => void,
): boolean {
  if (!wasmLanesFit(k)) return false;
  const nSave = plan.saveTimes.length, ns = k.ns;
  const saveBytes = 8 * nSave * ns;
  if (saveBytes * WASM_LANES > SAVE_BYTES_MAX) return false;
  const r = runnerFor(k, out.firings !== undefined);
  if (r === undefined) return false;
  const L = r.L;
  // buffers: save times, then per lane its draws and its saves
  const timesAt = L.end;
  const pairsBytes = 32 * MAX_BATCH + OVERRUN;
  const nr = k.nr;
  const laneBytes = pairsBytes + saveBytes + 8 * nr;
  const laneAt = (l: number) => timesAt + 8 * nSave + l * laneBytes;
  r.reserve(laneAt(WASM_LANES));
  const { f64, i32 } = r;
  f64[HEADER / 8] = plan.tEnd;
  f64[HEADER / 8 + 1] = plan.maxSteps;
  i32[(HEADER + 16) / 4] = nSave;
  i32[(HEADER + 20) / 4] = plan.key.seed | 0;
  i32[(HEADER + 24) / 4] = plan.key.stream | 0;
  i32[(HEADER + 28) / 4] = PHILOX_PURPOSES.ssaDirect | 0;
  i32[(HEADER + 32) / 4] = timesAt;
  f64.set(plan.saveTimes, timesAt / 8);
  const slotAt = (s: number) => L.slots + s * L.slotBytes;
  // slot s holds range index pathOf[s]
  const pathOf: number[] = [];
  const fail: _Fail = _failFor(what, net.species);
  r.onFail = (kind, lane, m, t, v) => fail(kind, plan.firstPath + pathOf[lane]!, m, t, v);
  // a batch of draws near √(5·b̄) blocks for paths of b̄ blocks on average balances the blocks
  // computed past a path's end (half a batch) against the calls (b̄/batch of them)
  let batch = 16, finished = 0, blocks = 0;
  const begin = (s: number, q: number) => {
    const at = slotAt(s);
    f64[(at + S.t) / 8] = 0;
    f64[(at + S.m) / 8] = 0;
    for (const f of ["si", "wi", "wn", "absorbed"] as const) i32[(at + S[f]) / 4] = 0;
    i32[(at + S.path) / 4] = (plan.firstPath + q) | 0;
    i32[(at + S.batch) / 4] = batch;
    f64.set(plan.x0, (at + S.x) / 8);
    const fire = i32[(at + S.fire) / 4]! / 8;
    f64.fill(0, fire, fire + nr);
    pathOf[s] = q;
  };
  const finish = (s: number) => {
    const at = slotAt(s), q = pathOf[s]!;
    const si = i32[(at + S.si) / 4]!, save = i32[(at + S.save) / 4]!;
    const base = q * nSave * ns;
    out.counts.set(f64.subarray(save / 8, save / 8 + si * ns), base);
    const x = f64.subarray((at + S.x) / 8, (at + S.x) / 8 + ns);
    _saveUntil(out.counts, base, plan.saveTimes, si, Infinity, x);
    const m = f64[(at + S.m) / 8]!;
    out.steps[q] = m;
    if (i32[(at + S.absorbed) / 4]) {
      out.absorbed[q] = 1;
      if (out.absorptionTime) out.absorptionTime[q] = f64[(at + S.t) / 8]!;
    }
    if (out.firings) {
      const fire = i32[(at + S.fire) / 4]! / 8;
      out.firings.set(f64.subarray(fire, fire + nr), q * nr);
    }
    finished++;
    blocks += m / 2;
    batch = Math.max(1, Math.min(MAX_BATCH, Math.round(Math.sqrt(5 * blocks / finished)) + 1));
  };
  let lanes = Math.min(WASM_LANES, count), q = 0;
  for (let s = 0; s < lanes; s++) {
    i32[(slotAt(s) + S.pairs) / 4] = laneAt(s);
    i32[(slotAt(s) + S.save) / 4] = laneAt(s) + pairsBytes;
    i32[(slotAt(s) + S.fire) / 4] = laneAt(s) + pairsBytes + saveBytes;
    begin(s, q++);
  }
  while (lanes > 0) {
    let ended: number;
    try {
      ended = r.run[lanes - 1]!(TURNS);
    } catch (err) {
      const failed = err instanceof NumericalError ? err.index ?? Infinity : Infinity;
      const earlier = pathOf.slice(0, lanes).filter((p) => plan.firstPath + p < failed)
        .sort((a, b) => a - b);
      for (const p of earlier) runAlone(p);
      throw err;
    }
    if (ended < 0) continue;
    finish(ended);
    if (q < count) {
      begin(ended, q++);
      continue;
    }
    // no path left for this slot: the last slot moves into it (state and buffers)
    lanes--;
    if (ended !== lanes) {
      const from = slotAt(lanes), to = slotAt(ended);
      new Uint8Array(r.memory.buffer).copyWithin(to, from, from + L.slotBytes);
      pathOf[ended] = pathOf[lanes]!;
    }
  }
  return true;
}
