// Bad input gets a typed error naming the argument and the value, before any
// model call; a model that returns the wrong shape or NaN stops the sampler
// with the step, the time and the place.
import assert from "node:assert/strict";
import { benchmarkP0, benchmarkProcess, L } from "./_benchmark.ts";
import {
  customDiscreteSchedule,
  logLinearSchedule,
} from "../../../solvers/discrete/discrete_schedule.ts";
import {
  maskedProcess,
  tokenTransition,
  uniformProcess,
} from "../../../solvers/discrete/discrete_process.ts";
import { discreteModel } from "../../../solvers/discrete/discrete_model.ts";
import { exactDiscreteModel } from "../../../solvers/discrete/exact_discrete_model.ts";
import { sampleDiscrete } from "../../../solvers/discrete/sample_discrete.ts";
import {
  exactOutputDistribution,
  exactStepKernel,
} from "../../../solvers/discrete/exact_output_distribution.ts";
import { sequenceMarginal } from "../../../solvers/discrete/sequence_marginal.ts";
import { sequenceCount } from "../../../solvers/discrete/sequence_space.ts";
import { uniformDiscreteGrid } from "../../../solvers/discrete/discrete_time_grid.ts";
import {
  NumericalError,
  SdenoError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/errors.ts";

const p0 = benchmarkP0();
const masked = benchmarkProcess("masked");
const uniform = benchmarkProcess("uniform");
const exact = exactDiscreteModel(masked, p0, L);

/** A user "network" over the masked benchmark that counts its calls. */
function network(
  answer: (z: Int32Array, t: number) => Float64Array,
): { model: ReturnType<typeof discreteModel>; calls: () => number } {
  let calls = 0;
  const model = discreteModel({
    process: masked,
    length: L,
    output: "x0",
    evaluate: (z, t) => {
      calls++;
      return answer(z, t);
    },
  });
  return { model, calls: () => calls };
}

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

function assertTyped(fn: () => unknown, cls: ErrorClass, re: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SdenoError, `not an SdenoError: ${e}`);
    assert.ok(e instanceof cls, `not a ${cls.name}: ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

Deno.test("logLinearSchedule() refuses eps outside (0, 1)", () => {
  for (const eps of [0, 1, -0.1, 1.5, NaN]) {
    assertTyped(() => logLinearSchedule({ eps }), SdenoRangeError, /eps must be in \(0, 1\)/);
  }
});

Deno.test("customDiscreteSchedule() refuses a bad sigma or sigmaBar, naming the time", () => {
  assertTyped(
    () => customDiscreteSchedule({ sigma: () => -1, sigmaBar: (t) => t }),
    SdenoRangeError,
    /sigma\(0\) must be >= 0, got "-1"/,
  );
  assertTyped(
    () => customDiscreteSchedule({ sigma: () => 1, sigmaBar: (t) => (t > 0.5 ? 0.1 : t) }),
    SdenoRangeError,
    /sigmaBar must be non-decreasing, but sigmaBar\(0.5156/,
  );
  assertTyped(
    () => customDiscreteSchedule({ sigma: () => NaN, sigmaBar: (t) => t }),
    SdenoRangeError,
    /sigma\(0\) must be a finite number/,
  );
  assertTyped(
    () => customDiscreteSchedule({ sigma: 1 as never, sigmaBar: (t) => t }),
    SdenoTypeError,
    /must be functions/,
  );
});

Deno.test("processes refuse a vocabulary too small or a missing schedule", () => {
  assertTyped(() => uniformProcess(1, logLinearSchedule()), SdenoRangeError, /vocabSize/);
  assertTyped(() => maskedProcess(2.5, logLinearSchedule()), SdenoTypeError, /vocabSize/);
  assertTyped(() => maskedProcess(2, {} as never), SdenoTypeError, /schedule must be/);
  assertTyped(() => tokenTransition(masked, 0.5, 0.2), SdenoRangeError, /0 <= s <= t/);
});

Deno.test("the exact tools refuse a data law that is not one, or a space too large", () => {
  assertTyped(
    () => exactDiscreteModel(masked, p0.subarray(1), L),
    SdenoTypeError,
    /p0 must be a Float64Array of 81/,
  );
  const bad = p0.slice();
  bad[5] = -0.01;
  assertTyped(() => sequenceMarginal(masked, bad, L, 0.5), SdenoRangeError, /p0\[5\] must be/);
  assertTyped(
    () => exactDiscreteModel(masked, p0.map((v) => 2 * v), L),
    SdenoRangeError,
    /p0 must sum to 1, got "2/,
  );
  assertTyped(() => sequenceCount(4, 11), SdenoRangeError, /too many sequences/);
});

Deno.test("sampleDiscrete() refuses bad steps and grids before calling the model", async () => {
  const { model, calls } = network((z) => new Float64Array(z.length * 3).fill(1 / 3));
  const cases: Array<[object, ErrorClass, RegExp]> = [
    [{ n: 4, steps: 0 }, SdenoRangeError, /steps must be an integer >= 1, got "0"/],
    [{ n: 4, steps: 2.5 }, SdenoRangeError, /steps must be an integer >= 1, got "2.5"/],
    [{ n: 4 }, SdenoTypeError, /give steps/],
    [{ n: 4, steps: 4, grid: [1, 0] }, SdenoTypeError, /not both/],
    [{ n: 4, grid: [1, 0.5, 0.5, 0] }, SdenoRangeError, /strictly decreasing, but grid\[2\]/],
    [{ n: 4, grid: [0.2, 0.6, 0] }, SdenoRangeError, /strictly decreasing, but grid\[1\]/],
    [{ n: 4, grid: [1.5, 0] }, SdenoRangeError, /grid\[0\] must be a time in \[0, 1\]/],
    [{ n: 4, grid: [1] }, SdenoRangeError, /at least 2 times/],
    [{ n: 0, steps: 4 }, SdenoRangeError, /n must be an integer in \[1/],
    [{ steps: 4 }, SdenoTypeError, /n must be an integer/],
    [{ n: 4, steps: 4, key: { seed: -1, stream: 0 } }, SdenoRangeError, /key.seed/],
    [{ n: 4, steps: 4, remask: { eta: 2 } }, SdenoRangeError, /remask.eta must be in \[0, 1\]/],
    [{ n: 4, steps: 4, remask: { schedule: "conf" } }, SdenoRangeError, /remask.schedule/],
  ];
  for (const [options, cls, re] of cases) {
    await assert.rejects(sampleDiscrete("mdlm", model, options as never), (e: unknown) => {
      assert.ok(e instanceof SdenoError && e instanceof cls, `${JSON.stringify(options)}: ${e}`);
      assert.match((e as Error).message, re);
      assert.match((e as Error).message, /^Cannot sample with mdlm: /);
      return true;
    });
  }
  assertTyped(() => uniformDiscreteGrid(0), SdenoRangeError, /steps/);
  assert.equal(calls(), 0);
});

Deno.test("sampleDiscrete() refuses sequences outside the alphabet, naming sequence and position", async () => {
  const init = Int32Array.of(0, 1, 2, 3, 0, 4, 1, 1);
  await assert.rejects(
    sampleDiscrete("mdlm", exact, { init, steps: 2 }),
    (e: unknown) => {
      assert.ok(e instanceof SdenoRangeError);
      assert.match(
        (e as Error).message,
        /init has symbol 4 at sequence 1, position 1, outside the masked alphabet \[0, 4\)/,
      );
      return true;
    },
  );
  // a MASK is not a symbol of the uniform process
  const u = exactDiscreteModel(uniform, p0, L);
  await assert.rejects(
    sampleDiscrete("euler", u, { init: Int32Array.of(0, 1, 2, 3), steps: 2 }),
    /symbol 3 at sequence 0, position 3, outside the uniform alphabet \[0, 3\)/,
  );
  await assert.rejects(
    sampleDiscrete("mdlm", exact, { init: Int32Array.of(0, 1, 2), steps: 2 }),
    /init must be an Int32Array of n·L states \(L = 4\), got length 3/,
  );
  assertTyped(
    () => exact.ratios(Int32Array.of(0, 1, 2, 7), 0.5),
    SdenoRangeError,
    /state "7" of sequence 0, position 3/,
  );
});

Deno.test("sampleDiscrete() refuses a method for the other process and an unknown method", async () => {
  const u = exactDiscreteModel(uniform, p0, L);
  await assert.rejects(
    sampleDiscrete("mdlm", u, { n: 2, steps: 2 }),
    /mdlm applies to the masked process, not "uniform"/,
  );
  await assert.rejects(
    sampleDiscrete("ddim", u, { n: 2, steps: 2 }),
    /Unknown discrete method "ddim"/,
  );
  await assert.rejects(
    exactOutputDistribution("tauleap_fd", u, { steps: 2 }),
    /tauleap_fd applies to the masked process/,
  );
});

Deno.test("sampleDiscrete() stops on a model answer of the wrong shape, naming the step", async () => {
  const { model } = network((z) => new Float64Array(z.length * 4));
  await assert.rejects(sampleDiscrete("mdlm", model, { n: 2, steps: 3 }), (e: unknown) => {
    assert.ok(e instanceof SdenoTypeError);
    assert.match(
      (e as Error).message,
      /must return a Float64Array of n·L·V = 2·4·3 = 24 numbers \(x0\), got length 32 \(step 0, t = 1\)/,
    );
    return true;
  });
  const { model: arr } = network(() => [1, 2] as never);
  await assert.rejects(sampleDiscrete("mdlm", arr, { n: 2, steps: 3 }), SdenoTypeError);
});

Deno.test("sampleDiscrete() stops on NaN from the model with the step, time and place", async () => {
  // fine until t < 0.5, then a NaN at sequence 1, position 2, symbol 0
  const { model } = network((z, t) => {
    const out = new Float64Array(z.length * 3).fill(1 / 3);
    if (t < 0.5) out[(1 * L + 2) * 3] = NaN;
    return out;
  });
  await assert.rejects(sampleDiscrete("mdlm", model, { n: 3, steps: 4 }), (e: unknown) => {
    assert.ok(e instanceof NumericalError);
    const err = e as NumericalError;
    assert.equal(err.step, 3);
    assert.equal(err.time, 0.25);
    assert.equal(err.index, (1 * L + 2) * 3);
    assert.match(err.message, /NaN at sequence 1, position 2, symbol 0 \(step 3, t = 0.25\)/);
    return true;
  });
  const { model: neg } = network((z) => new Float64Array(z.length * 3).fill(-1));
  await assert.rejects(
    sampleDiscrete("mdlm", neg, { n: 1, steps: 2 }),
    /x0 output is -1 at sequence 0, position 0, symbol 0 \(step 0, t = 1\)/,
  );
  // x0 rows that sum to 0 at a MASK cannot be normalised
  const { model: zero } = network((z) => new Float64Array(z.length * 3));
  await assert.rejects(
    sampleDiscrete("mdlm", zero, { n: 1, steps: 2 }),
    /x0 conditionals of sequence 0, position 0 sum to 0 \(step 0, t = 1\)/,
  );
});

Deno.test("a schedule that gives a NaN rate is caught as a step that is not a probability vector", async () => {
  // σ(2/3) = NaN, between the schedule's 65 probe points: the euler rates of step 1 are NaN
  const schedule = customDiscreteSchedule({
    sigma: (t) => (Math.abs(t - 2 / 3) < 1e-9 ? NaN : 1),
    sigmaBar: (t) => t,
  });
  const model = exactDiscreteModel(uniformProcess(3, schedule), p0, L);
  await assert.rejects(sampleDiscrete("euler", model, { n: 2, steps: 3 }), (e: unknown) => {
    assert.ok(e instanceof NumericalError);
    assert.match(
      (e as Error).message,
      /euler's step probabilities at sequence 0, position 0 are not a probability vector .*step 1, t = 0.666/,
    );
    return true;
  });
});

Deno.test("exactStepKernel() refuses s >= t", async () => {
  await assert.rejects(exactStepKernel("mdlm", exact, 0.4, 0.6), /need 0 <= s < t/);
});

Deno.test("discreteModel() refuses a bad declaration", () => {
  const base = {
    process: masked,
    length: 4,
    output: "x0" as const,
    evaluate: () => new Float64Array(0),
  };
  assertTyped(() => discreteModel({ ...base, length: 0 }), SdenoRangeError, /length/);
  assertTyped(
    () => discreteModel({ ...base, evaluate: 3 as never }),
    SdenoTypeError,
    /evaluate must be a function/,
  );
  assertTyped(
    () => discreteModel({ ...base, process: {} as never }),
    SdenoTypeError,
    /process must be/,
  );
});
