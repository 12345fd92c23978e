import assert from "node:assert/strict";
import { ssaDirect } from "../../../solvers/ctmc/ssa_direct.ts";
import { tauLeaping } from "../../../solvers/ctmc/tau_leaping.ts";
import { isSsaPathMethod, SSA_METHODS } from "../../../solvers/ctmc/registry.ts";
import {
  _compile,
  _fire,
  _propensity,
  _Recorder,
  _result,
  _saveUntil,
  _setSsaCodegenDisabled,
  _setup,
  type SsaOptions,
  type SsaResult,
} from "../../../solvers/ctmc/_ssa_common.ts";
import { builtinReactionNetwork } from "../../../processes/reaction_network_library.ts";
import { _UniformStream } from "../../../processes/_uniform_stream.ts";
import { _setPhiloxWasmDisabled } from "../../../kernels/_wasm_philox.ts";
import { NumericalError } from "../../../kernels/errors.ts";
import { parseReactionNetwork } from "../../../processes/reaction_network_parse.ts";
import { ReactionNetwork } from "../../../processes/reaction_network.ts";
import { moments } from "../../../stats/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { philoxBlock } from "../../../kernels/_philox_block.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";

/** The path methods of the registry, by name. */
const METHODS = Object.fromEntries(
  SSA_METHODS.methods.filter(isSsaPathMethod).map((m) => [m.info.name, m.run]),
);

// (the CME and exact-law checks of every method are in registry_test.ts)

Deno.test("ssaDirect() paths do not depend on the batch they run in", () => {
  const net = parseReactionNetwork("species X = 0\n0 -> X @ 10\nX -> 0 @ 0.1");
  const all = ssaDirect(net, { tEnd: 5, saveTimes: [1, 5], paths: 8, key: makeKey(3) });
  const tail = ssaDirect(net, {
    tEnd: 5,
    saveTimes: [1, 5],
    paths: 3,
    pathOffset: 5,
    key: makeKey(3),
  });
  assert.deepEqual(tail.counts, all.counts.subarray(10));
  assert.deepEqual(tail.firings, all.firings.subarray(10));
});

Deno.test("ssa solvers record at save times, stop on absorbing states and keep counts ≥ 0", () => {
  const net = parseReactionNetwork("species A = 30, B = 0\nA + A -> B @ 0.5");
  for (const [name, m] of Object.entries(METHODS)) {
    const r = m(net, { tEnd: 100, saveTimes: [0, 0.01, 100], paths: 50, trajectory: true });
    for (let p = 0; p < 50; p++) {
      assert.deepEqual([...r.counts.subarray(p * 6, p * 6 + 2)], [30, 0], name);
      assert.deepEqual([...r.counts.subarray(p * 6 + 4, p * 6 + 6)], [0, 15], name);
      assert.ok(r.absorptionTime[p]! < 100, name);
      const tr = r.trajectories![p]!;
      assert.ok(tr.states.every((v) => v >= 0), name);
      assert.deepEqual([...tr.states.subarray(tr.states.length - 2)], [0, 15], name);
    }
  }
});

Deno.test("ssa solvers reject bad input before any work", () => {
  const net = parseReactionNetwork("species A = 3\nA -> 0 @ 1");
  for (const [name, m] of Object.entries(METHODS)) {
    assert.throws(() => m(net, { tEnd: 0 }), /tEnd must be positive, got "0"/, name);
    assert.throws(() => m(net, { tEnd: -1 }), RangeError, name);
    assert.throws(() => m(net, { tEnd: 1, saveTimes: [2] }), /saveTimes/, name);
    assert.throws(() => m(net, { tEnd: 1, initial: { Z: 1 } }), /species "Z"/, name);
    assert.throws(() => m(net, { tEnd: 1, initial: [1, 2] }), TypeError, name);
    assert.throws(() => m(net, { tEnd: 1, initial: { A: -1 } }), RangeError, name);
    assert.throws(() => m(net, { tEnd: 1, paths: 0 }), RangeError, name);
  }
  assert.throws(() => tauLeaping(net, { tEnd: 1, epsilon: 2 }), /epsilon/);
});

Deno.test("tauLeaping() leaps on large counts with a bias within the leap condition's ε", () => {
  const net = parseReactionNetwork("species X = 0\n0 -> X @ 10000\nX -> 0 @ 1");
  const r = tauLeaping(net, { tEnd: 2, saveTimes: [2], paths: 400, key: makeKey(5) });
  const m = moments(r.counts);
  const exact = 1e4 * (1 - Math.exp(-2)); // Poisson mean = variance
  // tau-leaping is weakly first order: its bias is of the order of the relative
  // propensity change ε = 0.03 allowed per leap (Cao, Gillespie & Petzold 2006)
  assert.ok(Math.abs(m.mean - exact) < 0.03 * exact + 4 * m.se.mean, `mean ${m.mean}`);
  assert.ok(Math.abs(m.mean - exact) > 0, "leaps are not exact");
  const meanSteps = r.steps.reduce((a, b) => a + b, 0) / r.paths;
  assert.ok(meanSteps < 2000, `steps ${meanSteps}`); // an exact SSA needs ≈ 2.9e4 firings per path
});

Deno.test("custom propensities run like mass action", () => {
  const mass = parseReactionNetwork("species X = 0\n0 -> X @ 10\nX -> 0 @ 0.5");
  const net = new ReactionNetwork({
    species: [{ name: "X" }],
    reactions: [
      { products: { X: 1 }, propensity: { cpu: () => 10, dependsOn: [] } },
      { reactants: { X: 1 }, propensity: { cpu: (x) => 0.5 * x[0]!, dependsOn: ["X"] } },
    ],
  });
  const a = ssaDirect(net, { tEnd: 3, paths: 20, key: makeKey(1) });
  const b = ssaDirect(mass, { tEnd: 3, paths: 20, key: makeKey(1) });
  assert.deepEqual(a.counts, b.counts);
});

// ---- bit-identity of the fast loops with the scalar reference --------------

/** The direct method as first written: one scalar Philox block per two firings, generic propensities. */
function directReference(net: ReactionNetwork, o: SsaOptions): SsaResult {
  const s = _setup("ref", net, o);
  const k = _compile(net);
  const res = _result(net, s);
  const { ns, nr, dStart, dl } = k;
  const x = new Float64Array(ns), a = new Float64Array(nr), w = new Uint32Array(4);
  const nSave = s.saveTimes.length;
  for (let p = 0; p < s.paths; p++) {
    const pathId = s.pathOffset + p;
    const base = p * nSave * ns;
    const rec = s.trajectory ? new _Recorder() : undefined;
    x.set(s.x0);
    rec?.push(0, x);
    for (let j = 0; j < nr; j++) a[j] = _propensity(k, j, x);
    let t = 0, si = 0, m = 0;
    for (;;) {
      let a0 = 0;
      for (let j = 0; j < nr; j++) a0 += a[j]!;
      if (!(a0 > 0)) {
        res.absorptionTime[p] = t;
        break;
      }
      const lane = (m & 1) << 1;
      if (lane === 0) {
        philoxBlock(pathId, m >>> 1, PHILOX_PURPOSES.ssaDirect, 0, s.key.seed, s.key.stream, w);
      }
      const u1 = (w[lane]! + 0.5) / 4294967296, u2 = (w[lane + 1]! + 0.5) / 4294967296;
      const tNew = t - Math.log(u1) / a0;
      if (tNew > s.tEnd) break;
      si = _saveUntil(res.counts, base, s.saveTimes, si, tNew, x);
      const target = u2 * a0;
      let acc = 0, j = 0, last = -1;
      for (; j < nr; j++) {
        if (a[j]! > 0) {
          acc += a[j]!;
          last = j;
          if (acc > target) break;
        }
      }
      if (j === nr) j = last;
      _fire(k, j, x);
      res.firings[p * nr + j]! += 1;
      for (let q = dStart[j]!; q < dStart[j + 1]!; q++) a[dl[q]!] = _propensity(k, dl[q]!, x);
      t = tNew;
      m++;
      rec?.push(t, x);
    }
    _saveUntil(res.counts, base, s.saveTimes, si, Infinity, x);
    res.steps[p] = m;
    if (rec) res.trajectories!.push(rec.done());
  }
  return res;
}

/** Runs f with the generated loops and/or WebAssembly turned off. */
function withSettings<T>(plain: boolean, noWasm: boolean, f: () => T): T {
  const a = _setSsaCodegenDisabled(plain), b = _setPhiloxWasmDisabled(noWasm);
  try {
    return f();
  } finally {
    _setSsaCodegenDisabled(a);
    _setPhiloxWasmDisabled(b);
  }
}

function assertSameResult(got: SsaResult, want: SsaResult, label: string) {
  assert.deepEqual(got.counts, want.counts, `${label}: counts`);
  assert.deepEqual(got.firings, want.firings, `${label}: firings`);
  assert.deepEqual(got.steps, want.steps, `${label}: steps`);
  assert.deepEqual(got.absorptionTime, want.absorptionTime, `${label}: absorption`);
  assert.deepEqual(got.trajectories, want.trajectories, `${label}: trajectories`);
}

const MIXED = parseReactionNetwork(`species A = 40, B = 30, C = 5
A + B -> C @ 0.01
2 A + C -> B @ 0.001
C -> A + B @ 0.5
0 -> A @ 3
3 B -> 0 @ 0.0002
A + 2 C -> 0 @ 0.003`);
const CUSTOM = new ReactionNetwork({
  species: [{ name: "X" }, { name: "Y", initial: 5 }],
  reactions: [
    { products: { X: 1 }, propensity: { cpu: (x) => 10 / (1 + 0.1 * x[1]!), dependsOn: ["Y"] } },
    { reactants: { X: 1 }, rate: 0.5 },
    { reactants: { X: 1 }, products: { Y: 1 }, rate: 0.05 },
    { reactants: { Y: 1 }, propensity: { cpu: (x) => 0.2 * x[1]!, dependsOn: ["Y"] } },
  ],
});
const IDENTITY_CASES: Array<[string, ReactionNetwork, SsaOptions]> = [
  ["birth_death", builtinReactionNetwork("birth_death"), { tEnd: 40, saveTimes: [0, 5, 5, 40] }],
  ["schlogl", builtinReactionNetwork("schlogl"), { tEnd: 1, saveTimes: [0.25, 1] }],
  ["dimerization_small", builtinReactionNetwork("dimerization_small"), { tEnd: 2 }],
  ["mixed orders 0–3", MIXED, { tEnd: 3, saveTimes: [0, 1, 3], trajectory: true }],
  ["custom propensities", CUSTOM, { tEnd: 6, saveTimes: [1, 6], trajectory: true }],
  ["absorbing", parseReactionNetwork("species A = 30, B = 0\nA + A -> B @ 0.5"), { tEnd: 100 }],
];

Deno.test("ssaDirect() gives the scalar reference's numbers bit for bit, generated or plain, with or without WebAssembly", () => {
  for (const [label, net, o] of IDENTITY_CASES) {
    const options = { ...o, paths: 25, pathOffset: 3, key: makeKey(17, 4) };
    const want = directReference(net, options);
    for (const plain of [false, true]) {
      for (const noWasm of [false, true]) {
        const got = withSettings(plain, noWasm, () => ssaDirect(net, options));
        assertSameResult(got, want, `${label} plain=${plain} noWasm=${noWasm}`);
      }
    }
  }
  // one long path: many batches of blocks
  const net = builtinReactionNetwork("schlogl");
  const options = { tEnd: 20, saveTimes: [10, 20], key: makeKey(1) };
  const want = directReference(net, options);
  assert.ok(want.steps[0]! > 10_000);
  assertSameResult(ssaDirect(net, options), want, "long schlogl");
  assertSameResult(withSettings(true, false, () => ssaDirect(net, options)), want, "long plain");
});

Deno.test("ssaDirect() runs a path in chunks of 4096 firings without changing it: jumps recorded across chunks, maxSteps at a chunk's end", () => {
  const net = builtinReactionNetwork("schlogl");
  const options = { tEnd: 25, saveTimes: [1, 12.5, 25], trajectory: true, key: makeKey(3) };
  const want = directReference(net, options);
  assert.ok(want.steps[0]! > 3 * 4096, `${want.steps[0]} firings`);
  assertSameResult(ssaDirect(net, options), want, "generated, in chunks");
  assertSameResult(withSettings(true, false, () => ssaDirect(net, options)), want, "plain");
  // the same error, at the same firing, whether the loop is one call or chunks
  const capped = { ...options, maxSteps: 2 * 4096 };
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof NumericalError);
      return e.message;
    }
    assert.fail("no NumericalError");
  };
  assert.equal(
    message(() => ssaDirect(net, capped)),
    message(() => withSettings(true, false, () => ssaDirect(net, capped))),
  );
  assert.match(message(() => ssaDirect(net, capped)), /exceeded maxSteps = 8192/);
});

Deno.test("nextReaction(), firstReaction() and tauLeaping() give the same numbers with and without WebAssembly", () => {
  for (const [label, net, o] of IDENTITY_CASES) {
    const options = { ...o, paths: 20, pathOffset: 7, key: makeKey(5, 6) };
    for (const [name, method] of Object.entries(METHODS)) {
      if (name === "direct") continue;
      const want = withSettings(false, true, () => method(net, options));
      assertSameResult(method(net, options), want, `${name} on ${label}`);
    }
  }
});

Deno.test("_UniformStream() draws lane k mod 4 of the block (path, ⌊k/4⌋, purpose, 0), across batches", () => {
  const key = makeKey(8, 9);
  const u = new _UniformStream(key, 12, 0x1234);
  const w = new Uint32Array(4);
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < 5000; k++) {
      if (k % 4 === 0) philoxBlock(12, k >> 2, 0x1234, 0, 8, 9, w);
      assert.equal(u.next(), (w[k % 4]! + 0.5) / 4294967296, `uniform ${k}`);
    }
    u.reset(12);
  }
});

Deno.test("ssaDirect() loops report bad custom propensities and maxSteps the same way", () => {
  const bad = new ReactionNetwork({
    species: [{ name: "X", initial: 3 }],
    reactions: [
      { reactants: { X: 1 }, rate: 1 },
      { products: { X: 1 }, propensity: { cpu: (x) => (x[0]! < 3 ? -1 : 1), dependsOn: ["X"] } },
    ],
  });
  const net = builtinReactionNetwork("birth_death");
  for (const plain of [false, true]) {
    withSettings(plain, false, () => {
      assert.throws(
        () => ssaDirect(bad, { tEnd: 100, key: makeKey(1) }),
        /custom propensity of reaction 1 must be finite and non-negative, got "?-1"? at state \(2\)/,
      );
      assert.throws(
        () => ssaDirect(net, { tEnd: 100, maxSteps: 7, pathOffset: 4 }),
        (e: Error) =>
          e instanceof NumericalError &&
          /path 4 exceeded maxSteps = 7 at t = /.test(e.message),
      );
    });
  }
});

// ---- bad-input findings (issue 12, item 7) ---------------------------------

/** Runs every path method (the direct method generated and plain) on a network. */
function everyLoop(
  net: ReactionNetwork,
  o: SsaOptions,
  check: (f: () => unknown, label: string) => void,
) {
  for (const [name, method] of Object.entries(METHODS)) {
    for (const plain of name === "direct" ? [false, true] : [false]) {
      check(() => withSettings(plain, false, () => method(net, o)), `${name} plain=${plain}`);
    }
  }
}

Deno.test("every path method stops with a NumericalError before a count passes 2^53 − 1 (float64 counts stay exact)", () => {
  // near 2^53 a birth used to leave the count unchanged (x + 1 === x), silently
  const top = Number.MAX_SAFE_INTEGER;
  const nets = [
    parseReactionNetwork(`species X = ${top - 3}\n0 -> X @ 1\nX -> 0 @ 1e-20`),
    new ReactionNetwork({
      species: [{ name: "Y", initial: 5 }, { name: "X", initial: top - 3 }],
      reactions: [
        { products: { X: 2 }, propensity: { cpu: () => 1, dependsOn: [] } },
        { reactants: { Y: 1 }, rate: 1e-9 },
      ],
    }),
  ];
  for (const net of nets) {
    everyLoop(net, { tEnd: 100, key: makeKey(3) }, (f, label) => {
      assert.throws(f, (e) => {
        assert.ok(e instanceof NumericalError, `${label}: ${e}`);
        assert.match(e.message, /count of "X" would pass 2\^53 − 1 = 9007199254740991/, label);
        assert.equal(e.index, 0, label);
        return true;
      });
    });
  }
  // at the limit itself a death is fine
  const r = ssaDirect(parseReactionNetwork(`species X = ${top}\nX -> 0 @ 1e-30`), { tEnd: 1 });
  assert.equal(r.counts[0], top);
});

Deno.test("every path method stops when time stops advancing (an explosive network), not at maxSteps", () => {
  // after A -> X (t ≈ 1000), X -> 2 X at rate 1e9·X: once 1/a₀ is below half
  // an ulp of t, t + τ === t and the clock stops
  const net = parseReactionNetwork("species A = 1, X = 0\nA -> X @ 0.001\nX -> 2 X @ 1000000000");
  const t0 = performance.now();
  everyLoop(net, { tEnd: 1e7, key: makeKey(4), maxSteps: 1e7 }, (f, label) => {
    assert.throws(f, (e) => {
      assert.ok(e instanceof NumericalError, `${label}: ${e}`);
      if (label.startsWith("tau-leaping")) {
        // leaps of ε·x firings reach 2^53 first
        assert.match(e.message, /time stopped advancing|would pass 2\^53/, label);
      } else {
        assert.match(
          e.message,
          /time stopped advancing at t = [0-9.e+]+ on path 0: the mean waiting time 1\/a₀ = [0-9.e+-]+ is below the clock's resolution/,
          label,
        );
      }
      return true;
    });
  });
  assert.ok(performance.now() - t0 < 3000, `${performance.now() - t0} ms`);
  // an infinite total propensity is an error too, not a firing at the same time forever
  const inf = parseReactionNetwork("species X = 10000000000\nX -> 2 X @ 1e300");
  everyLoop(inf, { tEnd: 10, maxSteps: 1e6 }, (f, label) => {
    assert.throws(
      f,
      (e) => e instanceof NumericalError && /propensity is Infinity/.test(e.message),
      label,
    );
  });
});
