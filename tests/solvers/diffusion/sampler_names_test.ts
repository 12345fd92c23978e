// The practitioner name map: every ComfyUI KSampler name and scheduler and every diffusers class it
// lists resolves to a registered method whose declared options accept the mapped ones; the resolved
// σ schedules are the references' (tests/fixtures/practitioner/schedules.json); unknown names list
// the known ones.
import assert from "node:assert/strict";
import { SdenoRangeError } from "../../../kernels/errors.ts";
import {
  COMFYUI_SAMPLERS,
  COMFYUI_SCHEDULERS,
  diffusersSchedulerNames,
  knownSamplerNames,
  resolveDiffusersScheduler,
  resolveSamplerName,
  SIGMA_SCHEDULES,
  sigmaSchedule,
} from "../../../solvers/diffusion/sampler_names.ts";
import { diffusionMethods } from "../../../solvers/diffusion/registry.ts";

const REF = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/practitioner/schedules.json", import.meta.url)),
);

Deno.test("every ComfyUI sampler name resolves to a registered method with declared options", () => {
  for (const name of Object.keys(COMFYUI_SAMPLERS)) {
    const r = resolveSamplerName(name);
    assert.equal(diffusionMethods.get(r.method.info.name), r.method, name);
    for (const key of Object.keys(r.options)) {
      assert.ok(r.method.info.options.includes(key), `${name}: option ${key}`);
    }
  }
  // sdeno's own names and aliases pass through
  assert.equal(resolveSamplerName("sample_dpmpp_2m").method.info.name, "dpmpp_2m");
  assert.equal(resolveSamplerName("flow_match_euler").method.info.name, "flow_euler");
});

Deno.test("unknown and unimplemented sampler names fail with the known names", () => {
  assert.throws(
    () => resolveSamplerName("euler_x"),
    (e: Error) =>
      e instanceof SdenoRangeError &&
      /Unknown sampler "euler_x"; known: ComfyUI: euler,/.test(e.message) &&
      e.message.includes("uni_pc_bh2") && e.message.includes("flow_heun"),
  );
  assert.throws(
    () => resolveSamplerName("er_sde"),
    /ComfyUI's sampler "er_sde" is not implemented/,
  );
  assert.throws(() => resolveSamplerName(3 as unknown as string), TypeError);
  assert.match(knownSamplerNames(), /sdeno: euler \(sample_euler\)/);
});

Deno.test("every ComfyUI scheduler name is a σ schedule equal to ComfyUI's formula (10 steps)", () => {
  for (const name of COMFYUI_SCHEDULERS) {
    const s = sigmaSchedule(name)(10);
    assert.equal(s[s.length - 1], 0, name);
    const ref: number[] | undefined = REF.comfy[`${name}_10`];
    if (!ref) continue; // karras, exponential: closed forms in k_sigmas.ts, tested there
    assert.equal(s.length, ref.length, name);
    s.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= 1e-12 * Math.max(1, ref[i]!), name));
  }
  assert.deepEqual(sigmaSchedule("align_your_steps")(10), SIGMA_SCHEDULES.ays_sd15!(10));
  assert.throws(() => sigmaSchedule("cosine"), /Unknown σ schedule "cosine"; known: simple,/);
});

Deno.test("diffusers classes and flags map to the sdeno method, options and σ schedule", () => {
  const cases: [string, Record<string, unknown>, string, Record<string, unknown>, string?][] = [
    ["EulerDiscreteScheduler", { use_karras_sigmas: true }, "euler", {}, "karras"],
    ["EulerDiscreteScheduler", { use_exponential_sigmas: true }, "euler", {}, "exponential"],
    ["DPMSolverMultistepScheduler", {}, "dpm_solver", {
      algorithm: "dpmsolver++",
      method: "multistep",
      order: 2,
    }],
    [
      "DPMSolverMultistepScheduler",
      { algorithm_type: "sde-dpmsolver++", solver_type: "heun" },
      "dpmpp_2m_sde",
      {
        solverType: "heun",
      },
    ],
    [
      "DPMSolverMultistepScheduler",
      { algorithm_type: "sde-dpmsolver++", solver_order: 3 },
      "dpmpp_3m_sde",
      {},
    ],
    ["DPMSolverSinglestepScheduler", { solver_order: 3 }, "dpm_solver", {
      algorithm: "dpmsolver++",
      method: "singlestep",
      order: 3,
    }],
    ["UniPCMultistepScheduler", {}, "unipc", { variant: "bh2", order: 2 }],
    ["DEISMultistepScheduler", { solver_order: 3 }, "deis", { order: 3 }],
    ["LCMScheduler", {}, "lcm", {}],
    ["IPNDMScheduler", {}, "ipndm", {}],
    ["SASolverScheduler", { predictor_order: 3 }, "sa_solver", {
      predictorOrder: 3,
      correctorOrder: 2,
    }],
    ["FlowMatchEulerDiscreteScheduler", { shift: 3 }, "flow_euler", {}, "flow_shift"],
  ];
  for (const [cls, config, method, options, schedule] of cases) {
    const r = resolveDiffusersScheduler(cls, config);
    assert.equal(r.method.info.name, method, cls);
    assert.deepEqual(r.options, options, cls);
    assert.equal(r.schedule, schedule, cls);
    for (const key of Object.keys(r.options)) assert.ok(r.method.info.options.includes(key));
  }
  for (const cls of diffusersSchedulerNames()) resolveDiffusersScheduler(cls, {});
  // the flow schedule with diffusers' shift is diffusers' grid
  const flow = sigmaSchedule("flow_shift")(28, { shift: 3 });
  const ref: number[] = REF.diffusers.flow_shift3_28;
  flow.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= 1e-6));
  assert.throws(() => resolveDiffusersScheduler("PNDMScheduler"), /known: EulerDiscreteScheduler,/);
  assert.throws(
    () =>
      resolveDiffusersScheduler("DPMSolverMultistepScheduler", { algorithm_type: "dpmsolver3" }),
    /algorithm_type "dpmsolver3" is not supported/,
  );
  assert.throws(
    () => resolveDiffusersScheduler("EulerDiscreteScheduler", { use_beta_sigmas: true }),
    /use_beta_sigmas/,
  );
});
