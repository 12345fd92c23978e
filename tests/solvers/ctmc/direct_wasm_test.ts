// The cpu ensemble's WebAssembly lanes (solvers/ctmc/_direct_wasm.ts) against the one-path
// JavaScript loop they mirror: the same counts at the save times, firings and absorption flags,
// bit for bit, on every built-in network and on networks that end paths early, and the same
// first error in path order.
import assert from "node:assert/strict";
import { makeKey } from "../../../kernels/mod.ts";
import { NumericalError } from "../../../kernels/errors.ts";
import {
  BUILTIN_REACTION_NETWORKS,
  builtinReactionNetwork,
} from "../../../processes/reaction_network_library.ts";
import { parseReactionNetwork } from "../../../processes/reaction_network_parse.ts";
import type { ReactionNetwork } from "../../../processes/reaction_network.ts";
import { directPaths, type DirectPlan } from "../../../solvers/ctmc/_direct_loop.ts";
import { _compile, _setSsaCodegenDisabled } from "../../../solvers/ctmc/_ssa_common.ts";
import { ssaDirect } from "../../../solvers/ctmc/ssa_direct.ts";
import {
  SAVE_BYTES_MAX,
  WASM_LANES,
  wasmLanePaths,
  wasmLanesFit,
  wasmLanesText,
} from "../../../solvers/ctmc/_direct_wasm.ts";

/** Runs paths with the lanes (codegen on) and with the plain one-path loop (codegen off). */
function both(net: ReactionNetwork, plan: DirectPlan, start: number, count: number) {
  const k = _compile(net);
  const lanes = directPaths(net, k, plan, { start, count }, "test");
  const before = _setSsaCodegenDisabled(true);
  try {
    return { lanes, plain: directPaths(net, k, plan, { start, count }, "test") };
  } finally {
    _setSsaCodegenDisabled(before);
  }
}

function plan(net: ReactionNetwork, tEnd: number, o: Partial<DirectPlan> = {}): DirectPlan {
  return {
    tEnd,
    saveTimes: Float64Array.from({ length: 9 }, (_, i) => (i * tEnd) / 8),
    key: makeKey(11, 3),
    pathOffset: 5,
    x0: Float64Array.from(net.initial),
    maxSteps: Infinity,
    ...o,
  };
}

const T_END: Record<string, number> = {
  birth_death: 20,
  dimerization_wilkinson: 2,
  dimerization_small: 2,
  schlogl: 0.2,
  lotka_volterra_gillespie1977: 0.05,
  lotka_volterra_small: 3,
  michaelis_menten_wilkinson: 5,
};

Deno.test("wasm lanes: every built-in network, bit for bit with the one-path loop", () => {
  for (const name of BUILTIN_REACTION_NETWORKS) {
    const net = builtinReactionNetwork(name);
    assert.ok(wasmLanesFit(_compile(net)), name);
    // counts around the lane count: fewer paths than lanes, a few more, many
    for (const count of [2, WASM_LANES + 1, 97]) {
      const { lanes, plain } = both(net, plan(net, T_END[name]!), 2, count);
      assert.deepEqual(lanes.steps, plain.steps, `${name} ×${count}: firings`);
      assert.deepEqual(lanes.counts, plain.counts, `${name} ×${count}: counts`);
      assert.deepEqual(lanes.absorbed, plain.absorbed, `${name} ×${count}: absorption`);
      assert.ok(plain.steps.some((m) => m > 0), `${name}: paths fire`);
    }
  }
});

Deno.test("wasm lanes: paths of very different lengths, absorption and save times past tEnd", () => {
  // a near-critical branching process: extinct after a few firings or after thousands
  const net = parseReactionNetwork("species X = 3\nX -> 2 X @ 1\nX -> 0 @ 1.1");
  const p = plan(net, 30, {
    saveTimes: Float64Array.from([0, 0.5, 1, 2, 4, 8, 16, 29.999, 40]),
    key: makeKey(2),
  });
  const { lanes, plain } = both(net, p, 0, 301);
  assert.deepEqual(lanes.counts, plain.counts);
  assert.deepEqual(lanes.steps, plain.steps);
  assert.deepEqual(lanes.absorbed, plain.absorbed);
  const absorbed = plain.absorbed.reduce((a, b) => a + b, 0);
  assert.ok(absorbed > 10 && absorbed < 301, `some paths absorbed, not all: ${absorbed}`);
  const m = [...plain.steps].sort((a, b) => a - b);
  assert.ok(m[m.length - 1]! > 4 * m[0]!, `lengths differ: ${m[0]} … ${m[m.length - 1]}`);
});

Deno.test("wasm lanes: no save times; one species of many orders; large path ids", () => {
  const net = parseReactionNetwork(
    "species X = 30\n0 -> X @ 40\n2 X -> X @ 0.01\n3 X -> 4 X @ 0.0001\n4 X -> 2 X @ 0.00001\nX -> 0 @ 1",
  );
  for (const saveTimes of [new Float64Array(0), Float64Array.from([0.25])]) {
    const p = plan(net, 1, { saveTimes, pathOffset: 4294967290 });
    const { lanes, plain } = both(net, p, 0, 13);
    assert.deepEqual(lanes.counts, plain.counts);
    assert.deepEqual(lanes.steps, plain.steps);
  }
});

Deno.test("wasm lanes: the first error in path order, as the one-path loop reports it", () => {
  // maxSteps: every path fails; the error names path pathOffset + start
  const net = builtinReactionNetwork("birth_death");
  const p = plan(net, 50, { maxSteps: 40 });
  const errors = [false, true].map((off) => {
    const before = _setSsaCodegenDisabled(off);
    try {
      directPaths(net, _compile(net), p, { start: 3, count: 9 }, "test");
    } catch (err) {
      return err;
    } finally {
      _setSsaCodegenDisabled(before);
    }
    return undefined;
  });
  assert.ok(errors[0] instanceof NumericalError, String(errors[0]));
  assert.equal(errors[0].message, (errors[1] as Error).message);
  assert.equal(errors[0].index, 5 + 3);
  assert.match(errors[0].message, /path 8 exceeded maxSteps = 40/);
});

Deno.test("wasm lanes: a later path failing first in its lane still reports the earliest failing path", () => {
  // A ±1 random walk 4 below 2⁵³ − 1: a path fails when its count would pass it, after a random
  // number of firings, so in the lanes a later path often fails before an earlier one; the error
  // must still be the one-path loop's (the earliest failing path).
  const net = parseReactionNetwork(
    "species X = 9007199254740987\nup: X -> 2 X @ 1e-15\ndown: X -> 0 @ 1e-15",
  );
  const k = _compile(net);
  const firstFailing: number[] = [];
  for (let seed = 0; seed < 12; seed++) {
    const p = plan(net, 60, { key: makeKey(seed), pathOffset: 0, saveTimes: new Float64Array(0) });
    const run = (off: boolean) => {
      const before = _setSsaCodegenDisabled(off);
      try {
        directPaths(net, k, p, { start: 0, count: 2 * WASM_LANES }, "test");
        return undefined;
      } catch (err) {
        return err as NumericalError;
      } finally {
        _setSsaCodegenDisabled(before);
      }
    };
    const plain = run(true), lanes = run(false);
    assert.equal(lanes?.message, plain?.message, `seed ${seed}`);
    if (plain) firstFailing.push(plain.index!);
  }
  assert.ok(firstFailing.length >= 6, `most seeds fail: ${firstFailing}`);
  assert.ok(
    firstFailing.some((i) => i > 0),
    `the first failing path is not always path 0: ${firstFailing}`,
  );
  assert.match(String(firstFailing), /\d/);
});

Deno.test("wasm lanes: networks that do not fit are left to the JavaScript loop", () => {
  const big = parseReactionNetwork(
    ["species X = 5", ...Array.from({ length: 17 }, (_, i) => `r${i}: X -> 0 @ ${i + 1}`)].join(
      "\n",
    ),
  );
  assert.equal(wasmLanesFit(_compile(big)), false);
  const k = _compile(big);
  const out = {
    counts: new Float64Array(0),
    steps: new Float64Array(2),
    absorbed: new Uint8Array(2),
  };
  const p = {
    tEnd: 1,
    saveTimes: new Float64Array(0),
    key: makeKey(1),
    firstPath: 0,
    x0: Float64Array.from([5]),
    maxSteps: Infinity,
  };
  assert.equal(wasmLanePaths(big, k, p, 2, "test", out, () => {}), false);
  assert.deepEqual(out.steps, new Float64Array(2), "nothing ran");
  // more saves than the lanes' memory takes: left to the JavaScript loop, which runs them
  const net = builtinReactionNetwork("birth_death");
  const nSave = SAVE_BYTES_MAX / (8 * WASM_LANES) + 1;
  const many = { ...p, x0: Float64Array.from(net.initial), saveTimes: new Float64Array(nSave) };
  const outMany = { ...out, counts: new Float64Array(2 * nSave) };
  assert.equal(wasmLanePaths(net, _compile(net), many, 2, "test", outMany, () => {}), false);
  const r = directPaths(net, _compile(net), { ...plan(net, 1), saveTimes: many.saveTimes }, {
    start: 0,
    count: 2,
  }, "test");
  assert.equal(r.counts.length, 2 * nSave);
  assert.ok(r.steps[0]! > 0);
});

Deno.test("wasm lanes: the generated module reads as WebAssembly text", () => {
  const text = wasmLanesText(_compile(builtinReactionNetwork("schlogl")));
  assert.match(text, /\(import "p" "expUniformSteps" \(func \$expUniformSteps/);
  for (let n = 1; n <= WASM_LANES; n++) assert.match(text, new RegExp(`\\(func \\$run${n} `));
  // Schlögl's third-order propensity, written in: c · (x(x − 1)(x − 2) / 6)
  assert.match(text, /f64\.const 0\.0001\n(\s+local\.get \$x0_0\n)/);
  assert.match(text, /f64\.const 6\n\s+f64\.div/);
});

Deno.test("wasm lanes: ssaDirect's many paths (firings per reaction, absorption times) as one by one", () => {
  const nets = [
    builtinReactionNetwork("michaelis_menten_wilkinson"),
    parseReactionNetwork("species X = 3\nX -> 2 X @ 1\nX -> 0 @ 1.1"),
  ];
  for (const net of nets) {
    const o = { tEnd: 20, key: makeKey(5), paths: 41, pathOffset: 9, saveTimes: [0, 1, 5, 20] };
    const lanes = ssaDirect(net, o);
    const before = _setSsaCodegenDisabled(true);
    let plain;
    try {
      plain = ssaDirect(net, o);
    } finally {
      _setSsaCodegenDisabled(before);
    }
    assert.deepEqual(lanes.counts, plain.counts);
    assert.deepEqual(lanes.firings, plain.firings);
    assert.deepEqual(lanes.steps, plain.steps);
    assert.deepEqual(lanes.absorptionTime, plain.absorptionTime);
    // and each path is path pathOffset + p run alone
    const one = ssaDirect(net, { ...o, paths: 1, pathOffset: 9 + 17 });
    assert.deepEqual(
      one.firings,
      lanes.firings.subarray(17 * net.reactions.length, 18 * net.reactions.length),
    );
  }
});
