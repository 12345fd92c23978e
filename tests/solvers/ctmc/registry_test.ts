// The per-family test of the SSA methods: every method of SSA_METHODS, on
// every backend it declares, runs on the CME reference networks and matches
// their exact means, variances and expected firings within 4 standard errors,
// follows the exact law of dimerization_small (chi-square), reproduces its
// stored run (tests/fixtures/ctmc/ssa_method_runs.json) where one exists, and
// rejects bad options before any work. A method registered wrongly is
// reported by ssaRegistry() (the fakes at the end).
import assert from "node:assert/strict";
import {
  isSsaPathMethod,
  SSA_METHODS,
  type SsaMethod,
  ssaMethodProblems,
  ssaRegistry,
} from "../../../solvers/ctmc/registry.ts";
import type { SsaOptions } from "../../../solvers/ctmc/_ssa_common.ts";
import { closeSsaEnsembleWorkers } from "../../../solvers/ctmc/ssa_ensemble.ts";
import { reactionNetworkFromJson } from "../../../processes/reaction_network_json.ts";
import { parseReactionNetwork } from "../../../processes/reaction_network_parse.ts";
import { ReactionNetwork } from "../../../processes/reaction_network.ts";
import { chiSquareTest, moments } from "../../../stats/mod.ts";
import {
  type Backend,
  CpuBackend,
  makeKey,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import type { MethodBackend } from "../../../solvers/method_registry.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { fixture } from "./_fixtures.ts";

const MODELS = fixture("crn_models.json");
const CME = fixture("cme_reference.json");
const RUNS = fixture("ssa_method_runs.json");
const cpu = new CpuBackend();

/** Means, variances and their standard errors at the save times, and the mean firings. */
interface Summary {
  mean: ArrayLike<number>;
  meanSe: ArrayLike<number>;
  variance: ArrayLike<number>;
  varianceSe: ArrayLike<number>;
  meanFirings: number;
  meanFiringsSe: number;
  /** Paths per state "a,b" at each save time (two-species networks). */
  states?: Map<string, number>[];
}

async function backendOf(name: MethodBackend): Promise<Backend | undefined> {
  return name === "cpu" ? cpu : await gpuBackend();
}

/** Runs a method (path or ensemble) and summarises it the same way. */
async function summarize(
  m: SsaMethod,
  backend: Backend,
  net: ReactionNetwork,
  options: SsaOptions,
  histogramOf?: string,
): Promise<Summary> {
  if (isSsaPathMethod(m)) {
    const r = m.run(net, options);
    const ns = r.species.length, nt = r.saveTimes.length, nr = r.reactions.length;
    const cells = ns * nt;
    const s: Summary = {
      mean: new Float64Array(cells),
      meanSe: new Float64Array(cells),
      variance: new Float64Array(cells),
      varianceSe: new Float64Array(cells),
      meanFirings: 0,
      meanFiringsSe: 0,
    };
    for (let c = 0; c < cells; c++) {
      const col = Float64Array.from({ length: r.paths }, (_, p) => r.counts[p * cells + c]!);
      const mo = moments(col);
      (s.mean as Float64Array)[c] = mo.mean;
      (s.meanSe as Float64Array)[c] = mo.se.mean;
      (s.variance as Float64Array)[c] = mo.variance;
      (s.varianceSe as Float64Array)[c] = mo.se.variance;
    }
    const total = Float64Array.from({ length: r.paths }, (_, p) => {
      let f = 0;
      for (let j = 0; j < nr; j++) f += r.firings[p * nr + j]!;
      return f;
    });
    const mf = moments(total);
    s.meanFirings = mf.mean;
    s.meanFiringsSe = mf.se.mean;
    if (ns === 2) {
      s.states = Array.from({ length: nt }, (_, t) => {
        const h = new Map<string, number>();
        for (let p = 0; p < r.paths; p++) {
          const o = p * cells + t * 2;
          const k = `${r.counts[o]},${r.counts[o + 1]}`;
          h.set(k, (h.get(k) ?? 0) + 1);
        }
        return h;
      });
    }
    return s;
  }
  const r = await m.run(net, {
    ...options,
    backend,
    ...(histogramOf ? { histogram: { species: histogramOf, bins: 64 } } : {}),
  });
  return { ...r };
}

for (const m of SSA_METHODS.methods) {
  const name = m.info.name;

  Deno.test(`${name}: its declaration is well formed and found by every name`, () => {
    assert.deepEqual(ssaMethodProblems(m), []);
    for (const n of [name, ...m.info.aliases]) assert.equal(SSA_METHODS.get(n), m, n);
  });

  for (const b of m.info.backends) {
    Deno.test({
      name: `${name} on ${b} matches CME means, variances and expected firings within 4 SE` +
        (m.info.exact ? "" : " (approximate: it takes exact steps at these small counts)"),
      ...GPU_TEST,
    }, async () => {
      const backend = await backendOf(b);
      if (!backend) return;
      const paths = isSsaPathMethod(m) ? 1500 : b === "webgpu" ? 16384 : 4096;
      for (const model of Object.keys(CME.models)) {
        const net = reactionNetworkFromJson(MODELS, { model });
        const ref = CME.models[model];
        const keys = Object.keys(ref.times);
        const s = await summarize(m, backend, net, {
          tEnd: ref.t_end,
          saveTimes: keys.map(Number),
          paths,
          key: makeKey(2024, 1),
        });
        keys.forEach((tk, t) => {
          net.species.forEach((sp, i) => {
            const c = t * net.speciesCount + i;
            const zm = (s.mean[c]! - ref.times[tk].mean[sp]) / s.meanSe[c]!;
            const zv = (s.variance[c]! - ref.times[tk].var[sp]) / s.varianceSe[c]!;
            assert.ok(Math.abs(zm) < 4, `${model} t=${tk} ${sp}: mean z = ${zm}`);
            assert.ok(Math.abs(zv) < 4, `${model} t=${tk} ${sp}: variance z = ${zv}`);
          });
        });
        const zf = (s.meanFirings - ref.expected_firings_0_to_T) / s.meanFiringsSe;
        assert.ok(Math.abs(zf) < 4, `${model}: firings z = ${zf}`);
      }
    });

    Deno.test({
      name: `${name} on ${b} follows the exact law of dimerization_small (chi-square)`,
      ...GPU_TEST,
    }, async () => {
      const backend = await backendOf(b);
      if (!backend) return;
      const net = reactionNetworkFromJson(MODELS, { model: "dimerization_small" });
      const ref = CME.models.dimerization_small.times;
      const keys = Object.keys(ref);
      const paths = b === "webgpu" ? 20000 : 4000;
      const s = await summarize(m, backend, net, {
        tEnd: 1,
        saveTimes: keys.map(Number),
        paths,
        key: makeKey(9),
      }, "B");
      keys.forEach((tk, t) => {
        // the law of B (the ensemble keeps B's histogram; path methods, the states)
        const probs = new Array(6).fill(0);
        for (const [state, p] of Object.entries(ref[tk].distribution)) {
          probs[Number(state.split(",")[1])] += p as number;
        }
        const obs = new Array(6).fill(0);
        if (s.states) {
          for (const [state, n] of s.states[t]!) obs[Number(state.split(",")[1])] += n;
        } else {
          const h =
            (s as unknown as { histogram: { counts: Float64Array; overflow: Float64Array } })
              .histogram;
          for (let k = 0; k < 6; k++) obs[k] = h.counts[t * 64 + k]!;
          assert.equal(h.overflow[t], 0);
        }
        assert.equal(obs.reduce((a, v) => a + v, 0), paths);
        const total = probs.reduce((a, v) => a + v, 0);
        const test = chiSquareTest(obs, probs.map((p) => p / total));
        assert.ok(test.pValue > 1e-4, `t=${tk}: X² = ${test.statistic}, p = ${test.pValue}`);
      });
    });
  }

  const stored = RUNS.runs[name];
  Deno.test({
    name: `${name} reproduces its stored run bit for bit` + (stored ? "" : " (none stored)"),
    ignore: stored === undefined,
  }, async () => {
    const net = parseReactionNetwork(RUNS.network);
    const options = RUNS.options as SsaOptions;
    if (isSsaPathMethod(m)) {
      const r = m.run(net, options);
      assert.deepEqual([...r.counts], stored.counts);
      assert.deepEqual([...r.firings], stored.firings);
      assert.deepEqual([...r.steps], stored.steps);
      assert.deepEqual(
        [...r.absorptionTime].map((v) => Number.isNaN(v) ? null : v),
        stored.absorptionTime,
      );
    } else {
      const r = await m.run(net, { ...options, backend: cpu, counts: true });
      assert.deepEqual([...r.sum], stored.sum);
      assert.deepEqual([...r.sumSq], stored.sumSq);
      assert.equal(r.firings, stored.firings);
      // the cpu ensemble runs the direct method's paths
      if (RUNS.runs.direct) assert.deepEqual([...r.counts!], RUNS.runs.direct.counts);
    }
  });

  Deno.test(`${name} rejects bad options with typed errors before any work`, async () => {
    let calls = 0;
    // a network whose propensities count their calls: no call means no work
    const net = new ReactionNetwork({
      species: [{ name: "X", initial: 3 }],
      reactions: [{
        reactants: { X: 1 },
        propensity: { cpu: (x) => (calls++, x[0]!), wgsl: "return x[0];", dependsOn: ["X"] },
      }],
    });
    const run = async (o: Record<string, unknown>): Promise<unknown> => {
      const options = { tEnd: 1, backend: cpu, ...o } as SsaOptions & { backend: Backend };
      return isSsaPathMethod(m) ? m.run(net, options) : await m.run(net, options);
    };
    const cases: Array<
      [Record<string, unknown>, RegExp, typeof SdenoRangeError | typeof SdenoTypeError]
    > = [
      [{ tEnd: 0 }, /tEnd must be positive, got "0"/, SdenoRangeError],
      [{ tEnd: -1 }, /tEnd must be positive/, SdenoRangeError],
      [{ tEnd: NaN }, /tEnd must be a finite number/, SdenoTypeError],
      [{ saveTimes: [2] }, /saveTimes must be non-decreasing in \[0, tEnd = 1\]/, SdenoRangeError],
      [{ saveTimes: [0.5, 0.2] }, /saveTimes/, SdenoRangeError],
      [{ paths: 0 }, /paths/, SdenoRangeError],
      [{ paths: 1.5 }, /paths must be an integer/, SdenoTypeError],
      [{ key: { seed: -1, stream: 0 } }, /seed/, SdenoRangeError],
      [{ pathOffset: 2 ** 32 - 1, paths: 2 }, /pathOffset \+ paths/, SdenoRangeError],
      [{ maxSteps: 0 }, /maxSteps/, SdenoRangeError],
      [{ initial: { Z: 1 } }, /species "Z"/, SdenoRangeError],
      [{ initial: [1, 2] }, /one count per species/, SdenoTypeError],
      [{ initial: { X: -1 } }, /initial count of "X"/, SdenoRangeError],
      [{ initial: { X: 0.5 } }, /initial count of "X"/, SdenoRangeError],
    ];
    for (const [o, message, type] of cases) {
      await assert.rejects(run(o), (e) => {
        assert.ok(e instanceof type, `${JSON.stringify(o)}: ${e}`);
        assert.match((e as Error).message, message, JSON.stringify(o));
        return true;
      });
    }
    assert.equal(calls, 0, "a propensity was evaluated before the options were checked");
  });
}

Deno.test("closeSsaEnsembleWorkers() ends the pool the tests above may have started", () => {
  closeSsaEnsembleWorkers();
});

Deno.test("ssaRegistry() reports each method registered wrongly, by name and problem", () => {
  const direct = SSA_METHODS.get("direct");
  const fake = (info: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({
      ...direct,
      ...extra,
      info: { ...direct.info, name: "fake", aliases: [], ...info },
    }) as unknown as SsaMethod;
  const cases: Array<[SsaMethod, RegExp]> = [
    [fake({ name: "Fake" }), /names must be lower case words/],
    [fake({ family: "sde" }), /fake: family must be "ssa", got "sde"/],
    [fake({ exact: "yes" }), /fake: exact must be a boolean/],
    [fake({ output: "all" }), /fake: output must be "paths" or "moments", got "all"/],
    [fake({ precision: {} }), /fake: precision\.cpu must be "f64" or "f32"/],
    [fake({ precision: { cpu: "f64", webgpu: "f32" } }), /precision names backend "webgpu"/],
    [fake({ backends: ["tpu"] }), /backends must list "cpu" and\/or "webgpu"/],
    [fake({ purpose: 42 }), /fake: purpose must be a value of PHILOX_PURPOSES, got "42"/],
    [fake({ summary: " " }), /fake: summary must be a non-empty line/],
    [fake({}, { run: undefined }), /fake: run must be a function/],
    [fake({ aliases: ["gillespie"] }), /"gillespie" names both direct and fake/],
  ];
  for (const [m, message] of cases) {
    assert.throws(
      () => ssaRegistry([...SSA_METHODS.methods, m]),
      (e) => e instanceof SdenoTypeError && message.test((e as Error).message),
      String(message),
    );
  }
  // the real methods register without complaint
  assert.deepEqual(ssaRegistry(SSA_METHODS.methods).names(), SSA_METHODS.names());
});
