// rescheduled(): an EDM-time exact mixture seen through VP time equals the
// exact mixture built on the VP schedule (x̂₀, ε̂ and their VJPs), because both
// depend on the schedule only through the log-SNR.

import assert from "node:assert/strict";
import { rescheduled } from "../../models/rescheduled.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import { CpuBackend } from "../../kernels/mod.ts";

const spec = {
  weights: [0.3, 0.7],
  means: [[-1, 2], [1.5, -0.5]],
  variances: [[0.2, 0.5], [0.3, 0.1]],
};

Deno.test("rescheduled: x0, eps and their VJPs equal the exact VP model at equal log-SNR", async () => {
  const b = new CpuBackend();
  const vp = vpLinearSchedule();
  const view = rescheduled(gaussianMixture(spec, edmSchedule()), vp);
  const exact = gaussianMixture(spec, vp);
  const x = b.upload([0.3, -0.2, 1.1, 0.4]), v = b.upload([0.7, -1.3, 0.2, 0.9]);
  for (const t of [0.05, 0.3, 0.7]) {
    for (const kind of ["x0", "eps"] as const) {
      const a = b.zeros(4), e = b.zeros(4);
      await view.predict(x, t, a, { kind });
      await exact.predict(x, t, e, { kind });
      const [da, de] = [await b.download(a), await b.download(e)];
      da.forEach((val, i) => assert.ok(Math.abs(val - de[i]!) < 1e-10, `${kind} t=${t} [${i}]`));
      await view.vjp!(x, t, v, a, { kind });
      await exact.vjp(x, t, v, e, { kind });
      const [ga, ge] = [await b.download(a), await b.download(e)];
      ga.forEach((val, i) => assert.ok(Math.abs(val - ge[i]!) < 1e-9, `vjp ${kind} t=${t} [${i}]`));
    }
  }
  assert.equal(b.liveArrays, 2 + 3 * 2 * 2);
});

Deno.test("rescheduled: a log-SNR outside the model's range and a schedule-dependent kind are refused", async () => {
  const b = new CpuBackend();
  // EDM σ ≤ 80; vp-linear at t = 1 has σ/α ≈ 157.
  const view = rescheduled(gaussianMixture(spec, edmSchedule()), vpLinearSchedule());
  await assert.rejects(
    () => view.predict(b.upload([0, 0]), 1, b.zeros(2), { kind: "x0" }),
    /log-SNR/,
  );
  await assert.rejects(
    () => view.predict(b.upload([0, 0]), 0.5, b.zeros(2), { kind: "v" }),
    /x0 and eps/,
  );
  assert.throws(() => rescheduled({} as never, vpLinearSchedule()), TypeError);
});
