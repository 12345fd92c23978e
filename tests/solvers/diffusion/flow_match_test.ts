// Flow-matching Euler and Heun against diffusers' FlowMatch updates run in float64 on the exact
// mixture on diffusers' shift-3 grid (tests/fixtures/practitioner/samplers.json), and their orders on
// the exact flow of a Gaussian on the rectified-flow schedule.
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { rectifiedFlowSchedule } from "../../../processes/rectified_flow_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import {
  flowEulerMethod,
  flowHeunMethod,
  flowMatchEuler,
  flowMatchHeun,
} from "../../../solvers/diffusion/flow_match.ts";
import { sampleEuler } from "../../../solvers/diffusion/sample_euler.ts";
import { maxRelErr, RUNS, SPEC, Z } from "./_practitioner_fixture.ts";

const cpu = await createBackend("cpu");
const rf = rectifiedFlowSchedule();

Deno.test("flowMatchEuler() and flowMatchHeun() equal diffusers' FlowMatch updates to 1e-11 (shift 3, 8 steps)", async () => {
  const gm = gaussianMixture(SPEC, rf);
  for (
    const [id, sampler, method] of [
      ["flow_euler_shift3_8", flowMatchEuler, flowEulerMethod],
      ["flow_heun_shift3_8", flowMatchHeun, flowHeunMethod],
    ] as const
  ) {
    const run = RUNS[id]!;
    const r = await sampler(gm, cpu.upload(Z), run.grid!);
    const e = maxRelErr(await cpu.download(r.x), run.x);
    assert.ok(e < 1e-11, `${id}: ${e}`);
    assert.equal(r.nfe, run.nfe);
    assert.equal(method.info.nfe({ points: run.grid!.length, endsAtZero: true }, {}), run.nfe);
  }
  // diffusers' own float32 step agrees with the float64 formula to float32 accuracy
  assert.ok((RUNS.flow_euler_shift3_8!.diffusersFloat32MaxDiff as number) < 1e-5);
});

Deno.test("flow Euler is k-diffusion Euler (DDIM) in the σ/α view, to 1e-12", async () => {
  const gm = gaussianMixture(SPEC, rf);
  const grid = [0.95, 0.8, 0.6, 0.4, 0.2, 0.05];
  const a = await flowMatchEuler(gm, cpu.upload(Z), grid);
  const b = await sampleEuler(gm, cpu.upload(Z), grid);
  assert.ok(maxRelErr(await cpu.download(a.x), await cpu.download(b.x)) < 1e-12);
});

Deno.test("flow Euler and Heun converge at orders 1 and 2 on the exact flow (rectified flow and VP linear)", async () => {
  // N(m, v) data: x_t ~ N(α m, α² v + σ²), the flow is affine: m_t + (x − m_s)·sd_t/sd_s
  const m = 0.5, v = 0.3;
  for (const schedule of [rf, vpLinearSchedule()]) {
    const gm = gaussianMixture({ weights: [1], means: [[m]], variances: [[v]] }, schedule);
    const t0 = 0.9, t1 = 0.1;
    const sd = (t: number) => Math.sqrt(schedule.alpha(t) ** 2 * v + schedule.sigma(t) ** 2);
    const x0 = [2, -1];
    const exact = x0.map((x) =>
      schedule.alpha(t1) * m + (x - schedule.alpha(t0) * m) * sd(t1) / sd(t0)
    );
    for (
      const [sampler, method] of [[flowMatchEuler, flowEulerMethod], [
        flowMatchHeun,
        flowHeunMethod,
      ]] as const
    ) {
      const errs: number[] = [];
      for (const n of [16, 32, 64]) {
        const grid = Array.from({ length: n + 1 }, (_, i) => t0 + (t1 - t0) * i / n);
        const r = await sampler(gm, cpu.upload(x0), grid);
        const x = await cpu.download(r.x);
        errs.push(Math.max(...exact.map((e, i) => Math.abs(x[i]! - e))));
      }
      const order = Math.log2(errs[1]! / errs[2]!);
      const want = method.info.order;
      assert.ok(
        Math.abs(order - want) < 0.2,
        `${schedule.name} ${method.info.name}: ${errs}, ${order}`,
      );
    }
  }
});

Deno.test("flow samplers refuse a grid outside the schedule (t = 1 on rectified flow)", async () => {
  const gm = gaussianMixture(SPEC, rf);
  await assert.rejects(() => flowMatchEuler(gm, cpu.upload(Z), [1, 0.5, 0]), /valid range/);
  await assert.rejects(
    () => flowMatchHeun(gm, cpu.upload(Z), [0.5, 0.7, 0]),
    /strictly decreasing/,
  );
});
