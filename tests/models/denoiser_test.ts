// The one converting path: a model that computes one kind serves every other kind through
// predictAs / vjpAs (convertPrediction), and equals the exact mixture, which computes each kind
// itself, for every (native, wanted) pair.
import assert from "node:assert/strict";
import { createBackend } from "../../kernels/mod.ts";
import { denoiserFromNative, predictAs, PREDICTION_KINDS, vjpAs } from "../../models/denoiser.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";

const cpu = await createBackend("cpu");
const SPEC = { weights: [0.4, 0.6], means: [[-1, 2], [1, 0]], variances: [[0.3, 0.1], [0.2, 0.5]] };
const X = [0.3, -1.2, 2.1, 0.4, -3, 3];

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return m;
}

Deno.test("predictAs() and vjpAs() serve every kind from any native kind, as the exact mixture computes it", async () => {
  for (const schedule of [vpLinearSchedule(), edmSchedule()]) {
    const gm = gaussianMixture(SPEC, schedule);
    assert.deepEqual([...gm.kinds].sort(), [...PREDICTION_KINDS].sort());
    for (const native of PREDICTION_KINDS) {
      const calls: string[] = [];
      const model = denoiserFromNative({
        dim: 2,
        schedule,
        kind: native,
        async predict(x, t, out, conditioning) {
          calls.push(`${native}:${conditioning?.labels?.[0]}`);
          await gm.predict(x, t, out, { kind: native });
        },
        vjp: (x, t, v, out) => gm.vjp(x, t, v, out, { kind: native }),
      });
      assert.deepEqual(model.kinds, [native]);
      for (const t of schedule.name === "edm" ? [40, 1, 0.01] : [0.9, 0.3, 0.01]) {
        for (const wanted of PREDICTION_KINDS) {
          const got = cpu.zeros(6), want = cpu.zeros(6), x = cpu.upload(X);
          await predictAs(model, x, { t, kind: wanted, out: got, conditioning: { labels: [3] } });
          await gm.predict(x, t, want, { kind: wanted });
          const e = relDiff(await cpu.download(got), await cpu.download(want));
          assert.ok(e < 1e-10, `${schedule.name} ${native}→${wanted} at t=${t}: ${e}`);
          const v = cpu.upload([1, -2, 0.5, 0.3, -1, 2]);
          const jg = cpu.zeros(6), jw = cpu.zeros(6);
          await vjpAs(model, x, { t, kind: wanted, v, out: jg });
          await gm.vjp(x, t, v, jw, { kind: wanted });
          const ej = relDiff(await cpu.download(jg), await cpu.download(jw));
          assert.ok(ej < 1e-9, `vjp ${schedule.name} ${native}→${wanted} at t=${t}: ${ej}`);
        }
      }
      // the conditioning reached the model on every call, and only the native kind was asked for
      assert.ok(calls.every((c) => c === `${native}:3`), `${calls}`);
    }
  }
});

Deno.test("denoiserFromNative() and vjpAs() reject what cannot work, with typed errors", async () => {
  const s = edmSchedule();
  assert.throws(
    () => denoiserFromNative({ dim: 0, schedule: s, kind: "eps", predict: async () => {} }),
    { name: "SdenoTypeError", message: /dim must be a positive integer/ },
  );
  assert.throws(
    () =>
      denoiserFromNative({ dim: 1, schedule: s, kind: "logit" as "eps", predict: async () => {} }),
    { name: "SdenoTypeError", message: /kind must be one of/ },
  );
  const m = denoiserFromNative({ dim: 1, schedule: s, kind: "eps", predict: async () => {} });
  await assert.rejects(
    () => vjpAs(m, cpu.upload([1]), { t: 1, kind: "x0", v: cpu.upload([1]), out: cpu.zeros(1) }),
    { name: "SdenoTypeError", message: /no vector-Jacobian product/ },
  );
});
