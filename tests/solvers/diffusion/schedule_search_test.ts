// Solver-schedule search (solvers/diffusion/schedule_search.ts) and its per-step-order solver.
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { fillNormal } from "../../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { parseGaussianMixtureSpec } from "../../../models/parse_gaussian_mixture_spec.ts";
import { vpCosineSchedule } from "../../../processes/vp_cosine_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import {
  loadSchedule,
  sampleWithSchedule,
  saveSchedule,
  scheduleFromJson,
  scheduleToJson,
  searchSchedule,
} from "../../../solvers/diffusion/schedule_search.ts";
import {
  multistepOrders,
  multistepWithOrders,
} from "../../../solvers/diffusion/schedule_search_multistep.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";

const LIN = vpLinearSchedule();
const RING = parseGaussianMixtureSpec(
  await Deno.readTextFile(new URL("../../fixtures/diffusion/gmm_spec.json", import.meta.url)),
);
const GMM16 = parseGaussianMixtureSpec(
  await Deno.readTextFile(new URL("../../fixtures/dpm_solver_v3/gmm16.json", import.meta.url)),
);

function draws(n: number, d: number, seed: number): Float64Array {
  const z = new Float64Array(n * d);
  fillNormal(z, { seed, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  return z;
}
const rmse = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let a = 0;
  for (let i = 0; i < y.length; i++) a += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(a / y.length);
};

Deno.test("multistepWithOrders() with 3M's orders is dpmSolver(dpmsolver++, multistep, order 3) to 1e-13, and orders (1, …) are DDIM", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(RING, LIN);
  const x = draws(32, 2, 4);
  for (const nfe of [5, 10]) {
    const grid = timeGrid(LIN, nfe, { kind: "logSNR" });
    for (const order of [1, 2, 3]) {
      const a = await dpmSolver(gm, cpu.upload(x), grid, { algorithm: "dpmsolver++", order });
      const b = await multistepWithOrders(gm, cpu.upload(x), grid, {
        orders: multistepOrders(nfe, order),
      });
      assert.ok(rmse(await cpu.download(a.x), await cpu.download(b.x)) < 1e-13);
      assert.equal(b.nfe, nfe);
    }
  }
  await assert.rejects(
    () => multistepWithOrders(gm, cpu.upload(x), [1, 0.5, 0.1], { orders: [2, 1] }),
    { name: "SdenoRangeError", message: /step 1 has order "2"/ },
  );
  await assert.rejects(
    () => multistepWithOrders(gm, cpu.upload(x), [1, 0.5, 0.1], { orders: [1] }),
    { name: "SdenoTypeError", message: /one order per step \(2\)/ },
  );
});

/** Searches on 64 draws, then compares with 3M on the logSNR grid on 256 other draws. */
async function heldOut(spec: typeof RING) {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(spec, LIN);
  const d = gm.dim;
  const plan = await searchSchedule(gm, draws(64, d, 1), { nfe: 5 });
  const test = draws(256, d, 2);
  const truth = await cpu.download(
    (await dpmSolver(gm, cpu.upload(test), timeGrid(LIN, 1000, { kind: "logSNR" }), {
      algorithm: "dpmsolver++",
      order: 3,
    })).x,
  );
  const base = await dpmSolver(gm, cpu.upload(test), timeGrid(LIN, 5, { kind: "logSNR" }), {
    algorithm: "dpmsolver++",
    order: 3,
  });
  const searched = await sampleWithSchedule(gm, cpu.upload(test), plan);
  assert.equal(searched.nfe, 5);
  return {
    plan,
    base: rmse(await cpu.download(base.x), truth),
    searched: rmse(await cpu.download(searched.x), truth),
  };
}

Deno.test("searchSchedule() at NFE 5 cuts the error against the exact ODE by >= 20% vs 3M on the logSNR grid, on held-out draws (2-D ring)", async () => {
  const r = await heldOut(RING);
  // measured: 0.245 -> 0.104 on 1024 held-out draws (-57%)
  assert.ok(r.searched < 0.8 * r.base, `searched ${r.searched} vs logSNR 3M ${r.base}`);
  assert.ok(r.plan.search.rmse < 0.8 * r.plan.search.startRmse);
  assert.equal(r.plan.times.length, 6);
  assert.equal(r.plan.times[0], timeGrid(LIN, 5, { kind: "logSNR" })[0]);
});

Deno.test("searchSchedule() at NFE 5 cuts the error by >= 20% on held-out draws of the 16-D mixture", async () => {
  const r = await heldOut(GMM16);
  // measured: 0.171 -> 0.110 on 1024 held-out draws (-35%)
  assert.ok(r.searched < 0.8 * r.base, `searched ${r.searched} vs logSNR 3M ${r.base}`);
});

Deno.test("schedules save to a store, load by name or path, and refuse another schedule or dimension", async () => {
  const gm = gaussianMixture(RING, LIN);
  const plan = await searchSchedule(gm, draws(16, 2, 3), {
    nfe: 4,
    rounds: 1,
    starts: ["logSNR"],
    referenceSteps: 100,
    name: "ring-nfe4",
  });
  assert.equal(plan.name, "ring-nfe4");
  assert.deepEqual(scheduleFromJson(scheduleToJson(plan)), plan);
  const dir = await Deno.makeTempDir();
  try {
    const path = await saveSchedule(plan, { dir });
    assert.equal(path, `${dir}/ring-nfe4.json`);
    assert.deepEqual(await loadSchedule("ring-nfe4", { dir }), plan);
    assert.deepEqual(await loadSchedule(path), plan);
    await assert.rejects(() => loadSchedule("ring-nfe9", { dir }), {
      name: "SdenoRangeError",
      message: /not in the store .* \(stored: ring-nfe4\)/,
    });
    await assert.rejects(() => saveSchedule({ ...plan, name: "../x" }, { dir }), {
      name: "SdenoRangeError",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const cpu = await createBackend("cpu");
  const cos = gaussianMixture(RING, vpCosineSchedule());
  await assert.rejects(() => sampleWithSchedule(cos, cpu.upload([0, 0]), plan), {
    name: "SdenoTypeError",
    message: /searched for schedule "vp-linear", not "vp-cosine"/,
  });
  const one = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, LIN);
  await assert.rejects(() => sampleWithSchedule(one, cpu.upload([0]), plan), {
    name: "SdenoTypeError",
    message: /searched for dimension 2, not 1/,
  });
  assert.throws(() => scheduleFromJson(scheduleToJson({ ...plan, orders: [1, 3, 1, 1] })), {
    name: "SdenoRangeError",
    message: /step 2 has order "3"/,
  });
});

Deno.test("searchSchedule() refuses an NFE budget below the order and bad inputs before any work", async () => {
  const gm = gaussianMixture(RING, LIN);
  const x = draws(4, 2, 1);
  await assert.rejects(() => searchSchedule(gm, x, { nfe: 2 }), {
    name: "SdenoRangeError",
    message: /NFE budget 2 is below the order 3/,
  });
  await assert.rejects(() => searchSchedule(gm, x, { nfe: 2, maxOrder: 4 }), {
    name: "SdenoRangeError",
    message: /maxOrder must be an integer in \[1, 3\], got "4"/,
  });
  await assert.rejects(() => searchSchedule(gm, new Float64Array(3), { nfe: 5 }), {
    name: "SdenoTypeError",
    message: /whole rows of 2 numbers, got length 3/,
  });
  await assert.rejects(() => searchSchedule(gm, x, { nfe: 5, reference: new Float64Array(2) }), {
    name: "SdenoTypeError",
    message: /reference must be a Float64Array of 8 numbers/,
  });
  await assert.rejects(
    () => searchSchedule(gm, x, { nfe: 5, starts: ["sigmoid" as "uniform"] }),
    { name: "SdenoRangeError", message: /starts must list grid kinds/ },
  );
  // a budget of 2 is fine for order 2
  const p = await searchSchedule(gm, x, { nfe: 2, maxOrder: 2, rounds: 1, referenceSteps: 50 });
  assert.ok(p.orders.every((o, i) => o <= Math.min(2, i + 1)));
});
