// One test over every registered diffusion sampler (diffrax's "one test loops over all solvers"):
// each runs on its grid convention, its declared NFE equals the observed one, it reproduces a
// stored reference run where the fixture has one, it rejects bad options and grids before any
// work, it passes the conditioning to every model call, a shard (pathOffset) reproduces its rows
// of the whole run where rows are independent, and after a NumericalError the backend's live
// arrays are back where they started, on cpu and webgpu. The same checks are shown failing on
// wrongly registered methods (the fixtures at the end).
import assert from "node:assert/strict";
import { type Backend, CpuBackend, NumericalError } from "../../../kernels/mod.ts";
import type { Conditioning, Denoiser } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import {
  type DiffusionMethod,
  diffusionMethod,
  diffusionMethods,
  diffusionRegistry,
  type DiffusionStepInfo,
  karrasSigmas,
  sampleEuler,
  type SamplerOptions,
  SampleRun,
  timeGrid,
} from "../../../solvers/diffusion/mod.ts";
import { eulerMethod } from "../../../solvers/diffusion/sample_euler.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { expected, KD_RUNS, relError, replay } from "./_k_fixture.ts";
import { reference, relErr, runConfig, RUNS } from "./_fixture.ts";

const cpu = new CpuBackend();
const EDM = edmSchedule(), VP = vpLinearSchedule();
const SPEC = {
  weights: [0.3, 0.7],
  means: [[-1, 0.5], [1, -0.5]],
  variances: [[0.05, 0.1], [0.1, 0.05]],
};
const ROWS = 4, D = 2, STEPS = 6;
const Z = Array.from({ length: ROWS * D }, (_, i) => Math.sin(2.3 * i + 0.7) * 1.3);

/** The grid, model, initial batch and options a method runs on here. */
function setup(m: DiffusionMethod, rows = ROWS) {
  const sigma = m.info.grid === "sigma";
  const schedule = sigma ? EDM : VP;
  const grid = m.info.budget !== "grid"
    ? (sigma ? [80, 0.002] : [1, 1e-3])
    : sigma
    ? karrasSigmas(STEPS)
    : timeGrid(VP, STEPS, { kind: "logSNR" });
  const scale = sigma ? 80 : 1;
  const x0 = Z.slice(0, rows * D).map((v) => v * scale);
  const options: Record<string, unknown> = m.info.budget === "nfe-option" ? { nfe: 7 } : {};
  return { model: gaussianMixture(SPEC, schedule), grid, x0, options, endsAtZero: sigma };
}

/** The model with its predict wrapped: `hook` sees every call (and may poison the output). */
function wrapped(
  model: Denoiser,
  hook: (call: number, out: Parameters<Denoiser["predict"]>[2], c?: Conditioning) => Promise<void>,
): Denoiser {
  let call = 0;
  return {
    ...model,
    async predict(x, t, out, request) {
      await model.predict(x, t, out, request);
      await hook(++call, out, request.conditioning);
    },
  };
}

/**
 * Every check of one method on one backend; returns the problems found (empty when the method
 * behaves as declared). `gpu` runs only the NaN/leak check (the f32 runs are tested against the
 * reference runs in the family tests).
 */
async function methodProblems(m: DiffusionMethod, b: Backend, full = true): Promise<string[]> {
  const p: string[] = [];
  const name = m.info.name;
  const { model, grid, x0, options, endsAtZero } = setup(m);
  const opts = options as SamplerOptions;
  const start = b.liveArrays;
  const x = b.upload(x0);
  try {
    if (full) {
      // runs; onStep sees { step, t, tNext, x, x0Hat } with steps 0, 1, 2, …
      const seen: number[] = [];
      const conds = new Set<unknown>();
      const conditioning: Conditioning = { labels: [1] };
      const watched = wrapped(model, async (_c, _o, c) => void conds.add(c));
      const r = await m.sample(watched, x, grid, {
        ...opts,
        conditioning,
        onStep: (s: DiffusionStepInfo) => {
          if (!("x0Hat" in s) || s.x.length !== x0.length || !(s.tNext < s.t || s.tNext === 0)) {
            p.push(`${name}: onStep saw ${JSON.stringify(Object.keys(s))}`);
          }
          seen.push(s.step);
        },
      } as SamplerOptions);
      const out = await b.download(r.x);
      b.release(r.x);
      if (!out.every(Number.isFinite)) p.push(`${name}: non-finite samples`);
      if (r.nfe !== r.modelTimes.length) {
        p.push(`${name}: nfe ${r.nfe} ≠ ${r.modelTimes.length} times`);
      }
      if (seen.some((s, i) => s !== i) || seen.length === 0) {
        p.push(`${name}: onStep steps ${seen.join(",")}`);
      }
      if (conds.size !== 1 || !conds.has(conditioning)) {
        p.push(`${name}: the conditioning did not reach every model call`);
      }
      // declared NFE = observed
      const declared = m.info.nfe({ points: grid.length, endsAtZero }, options);
      if (declared === undefined) {
        if (m.info.budget !== "adaptive") p.push(`${name}: no declared NFE`);
      } else if (declared !== r.nfe) {
        p.push(`${name}: declared NFE ${declared} ≠ observed ${r.nfe}`);
      }
      // a shard of rows 2…3 with pathOffset 2 draws the whole run's numbers for its rows
      if (m.info.rowsIndependent) {
        const key = { seed: 7, stream: 3 };
        const whole = await m.sample(model, x, grid, { ...opts, key } as SamplerOptions);
        const part = b.upload(x0.slice(2 * D));
        const shard = await m.sample(model, part, grid, {
          ...opts,
          key,
          pathOffset: 2,
        } as SamplerOptions);
        const [w, s] = [await b.download(whole.x), await b.download(shard.x)];
        if (relError(s, w.slice(2 * D)) > 1e-12) p.push(`${name}: a shard differs from its rows`);
        for (const a of [whole.x, part, shard.x]) b.release(a);
      }
      // bad input is rejected before any work, with typed errors
      const three = b.upload([1, 2, 3]);
      const bad: [string, () => Promise<unknown>, RegExp][] = [
        [
          "an unknown option",
          () => m.sample(model, x, grid, { ...opts, bogus: 1 } as never),
          /unknown option "bogus"/,
        ],
        ["an increasing grid", () => m.sample(model, x, [...grid].reverse(), opts), /grid/],
        ["a batch of 3 numbers", () => m.sample(model, three, grid, opts), /dim "2"/],
        [
          "pathOffset −1",
          () => m.sample(model, x, grid, { ...opts, pathOffset: -1 }),
          /pathOffset/,
        ],
        ["onStep 3", () => m.sample(model, x, grid, { ...opts, onStep: 3 } as never), /onStep/],
      ];
      for (const [what, f, message] of bad) {
        const before = b.liveArrays;
        const err = await f().then(() => undefined, (e) => e);
        if (
          !(err instanceof TypeError || err instanceof RangeError) || !message.test(err.message)
        ) {
          p.push(`${name}: ${what} was not rejected (${err})`);
        }
        if (b.liveArrays !== before) p.push(`${name}: rejecting ${what} left arrays`);
      }
      b.release(three);
    }
    // a NaN from the model stops the run; every array of the run is released
    for (const when of [1, 2]) {
      const before = b.liveArrays;
      const poisoned = wrapped(model, async (call, out) => {
        if (call === when) await out.backend.write(out, [NaN], 1);
      });
      const err = await m.sample(poisoned, x, grid, opts).then((r) => {
        b.release(r.x);
        return "no error";
      }, (e) => e);
      if (!(err instanceof NumericalError) || err.index !== 1 || !Number.isFinite(err.time)) {
        p.push(`${name}: a NaN at model call ${when} gave ${err}`);
      }
      if (b.liveArrays !== before) {
        p.push(`${name}: ${b.liveArrays - before} arrays live after a NumericalError`);
      }
    }
  } finally {
    b.release(x);
  }
  if (b.liveArrays !== start) p.push(`${name}: ${b.liveArrays - start} arrays leaked`);
  return p;
}

/** The reference runs of a method in tests/fixtures/diffusion (the smallest NFE of each). */
async function fixtureProblems(m: DiffusionMethod): Promise<string[]> {
  const name = m.info.name;
  const kd =
    KD_RUNS.filter((r) =>
      diffusionMethods.find(r.config.fn) === m && r.call.function !== "sample_dpm_adaptive"
    ).sort((a, b) => a.nfe - b.nfe)[0];
  if (kd) {
    const r = await replay(kd, cpu);
    const err = relError(await cpu.download(r.x), expected(kd));
    cpu.release(r.x);
    return err <= 1e-9 ? [] : [`${name}: ${kd.id} off by ${err}`];
  }
  const lib = name === "dpm_solver" ? "dpm" : name === "unipc" ? "unipc" : undefined;
  const run = RUNS.filter((r) => r.config.lib === lib && r.metrics.finite)
    .sort((a, b) => a.nfe - b.nfe)[0];
  if (!run) return [];
  const r = await runConfig(run, cpu);
  const err = relErr(await cpu.download(r.x), reference(run));
  cpu.release(r.x);
  return err <= 1e-9 ? [] : [`${name}: ${run.id} off by ${err}`];
}

Deno.test("every registered diffusion sampler runs as declared on cpu (NFE, onStep, conditioning, shards, bad input, NaN without leaks, its fixture)", async () => {
  assert.ok(diffusionMethods.methods.length >= 21);
  const problems: string[] = [];
  let withFixture = 0;
  for (const m of diffusionMethods.methods) {
    problems.push(...await methodProblems(m, cpu));
    const f = await fixtureProblems(m);
    problems.push(...f);
    if (
      KD_RUNS.some((r) => diffusionMethods.find(r.config.fn) === m) ||
      ["dpm_solver", "unipc"].includes(m.info.name)
    ) withFixture++;
  }
  assert.deepEqual(problems, []);
  // every k-diffusion sampler, dpm_solver and unipc have a stored reference run
  assert.equal(withFixture, 16);
});

Deno.test({
  name: "every registered diffusion sampler releases its arrays after a NumericalError on webgpu",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const problems: string[] = [];
    for (const m of diffusionMethods.methods) problems.push(...await methodProblems(m, gpu, false));
    assert.deepEqual(problems, []);
  },
});

Deno.test("the registry names every method once and finds each by its aliases", () => {
  const names = new Set<string>();
  for (const m of diffusionMethods.methods) {
    for (const n of [m.info.name, ...m.info.aliases]) {
      assert.ok(!names.has(n), n);
      names.add(n);
      assert.equal(diffusionMethods.get(n), m);
    }
  }
  for (const n of ["euler", "dpmpp_2m", "dpmpp_2m_sde", "dpm_solver", "unipc", "ddim", "ddpm"]) {
    assert.equal(diffusionMethods.get(n).info.name, n);
  }
  assert.equal(diffusionMethods.get("dpmsolver++").info.name, "dpm_solver");
  assert.throws(
    () => diffusionMethods.get("rk45"),
    /Unknown diffusion method "rk45"; known: euler/,
  );
});

// ---- the checks fail on wrongly registered methods ----

Deno.test("the registry check reports a method declared with a wrong NFE rule", async () => {
  const wrong = diffusionMethod({
    ...eulerMethod.info,
    name: "euler_wrong_nfe",
    aliases: [],
    nfe: (g) => g.points,
  }, sampleEuler);
  assert.deepEqual(await methodProblems(wrong, cpu), [
    "euler_wrong_nfe: declared NFE 7 ≠ observed 6",
  ]);
});

Deno.test("the registry refuses bad metadata: order, grid convention, names, duplicates", () => {
  const base = eulerMethod.info;
  const bad = (info: Record<string, unknown>) =>
    ({ ...eulerMethod, info: { ...base, aliases: [], ...info } }) as unknown as DiffusionMethod;
  assert.throws(
    () => diffusionRegistry([bad({ name: "e1", order: 0 })]),
    /e1: order must be a positive integer/,
  );
  assert.throws(() => diffusionRegistry([bad({ name: "e2", grid: "lambda" })]), /e2: grid must be/);
  assert.throws(() => diffusionRegistry([bad({ name: "Euler" })]), /names must be lower case/);
  assert.throws(
    () => diffusionRegistry([bad({ name: "e3", nfe: () => undefined })]),
    /e3: nfe of a 4-point grid/,
  );
  assert.throws(() => diffusionRegistry([bad({ name: "e4", noise: "pink" })]), /e4: noise must be/);
  assert.throws(
    () => diffusionRegistry([eulerMethod, bad({ name: "euler" })]),
    /"euler" names both/,
  );
});

Deno.test("the registry check reports a sampler that leaks on NaN, ignores unknown options or drops the conditioning", async () => {
  // written without SampleRun: its own arrays, its own calls
  const careless = diffusionMethod({
    ...eulerMethod.info,
    name: "careless",
    aliases: [],
  }, async (denoiser, x, grid) => {
    const b = x.backend;
    const xs = b.zeros(x.length), d = b.zeros(x.length);
    await b.lincomb(xs, [[1, x]]);
    const times: number[] = [];
    for (let i = 0; i + 1 < grid.length; i++) {
      await denoiser.predict(xs, grid[i]!, d, { kind: "x0" });
      times.push(grid[i]!);
      const data = await b.download(d);
      if (!data.every(Number.isFinite)) throw new NumericalError("careless: NaN", { index: 1 });
      const c = (grid[i + 1]! - grid[i]!) / grid[i]!;
      await b.lincomb(xs, [[1 + c, xs], [-c, d]]);
    }
    b.release(d);
    return { x: xs, nfe: times.length, modelTimes: times, noiseCalls: [] };
  });
  const problems = await methodProblems(careless, cpu);
  const has = (re: RegExp) => assert.ok(problems.some((q) => re.test(q)), `${re}: ${problems}`);
  has(/careless: onStep steps $/);
  has(/careless: the conditioning did not reach every model call/);
  has(/careless: an unknown option was not rejected/);
  has(/careless: an increasing grid was not rejected/);
  has(/careless: a NaN at model call 1 gave NumericalError: careless: NaN/);
  has(/careless: 2 arrays live after a NumericalError/);
});

Deno.test("SampleRun: a run's arrays are released when the body throws", async () => {
  const m = gaussianMixture(SPEC, EDM);
  const before = cpu.liveArrays;
  const x = cpu.upload(Z);
  const run = new SampleRun("test", m, x, karrasSigmas(3), {}, {
    grid: "sigma",
    query: "x0",
    options: [],
  });
  await assert.rejects(
    run.use(async () => {
      run.alloc();
      await run.start(x);
      throw new Error("boom");
    }),
    /boom/,
  );
  cpu.release(x);
  assert.equal(cpu.liveArrays, before);
});
