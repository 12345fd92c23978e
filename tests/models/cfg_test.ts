// Classifier-free guidance on the exact class-conditional Gaussian mixture: one class per
// component, the null label gives the whole mixture. Guidance is checked against its closed
// forms, and sampled through sdeno's samplers.
import assert from "node:assert/strict";
import { createBackend, makeKey } from "../../kernels/mod.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { cfg } from "../../models/cfg.ts";
import {
  type Conditioning,
  type Denoiser,
  denoiserFromNative,
  predictAs,
  type PredictionKind,
} from "../../models/denoiser.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import * as diffusion from "../../solvers/diffusion/mod.ts";

const b = await createBackend("cpu");

/** Components on a line, overlapping: class c is component c; label K is "no class". */
const SPEC: GaussianMixtureSpec = {
  weights: [0.25, 0.25, 0.25, 0.25],
  means: [[-3, 0], [-1, 0], [1, 0], [3, 0]],
  variances: [[0.36, 0.36], [0.36, 0.36], [0.36, 0.36], [0.36, 0.36]],
};
const K = 4;

/** The exact class-conditional mixture, counting calls and rows. */
function classConditional(schedule: NoiseSchedule, kind: PredictionKind = "eps") {
  const byLabel = [
    ...SPEC.weights.map((_, c) =>
      gaussianMixture({
        weights: [1],
        means: [SPEC.means[c]!],
        variances: [SPEC.variances[c]!],
      }, schedule)
    ),
    gaussianMixture(SPEC, schedule),
  ];
  const calls: number[] = [];
  const model = denoiserFromNative({
    dim: 2,
    schedule,
    kind,
    async predict(x, t, out, c: Conditioning | undefined) {
      const n = x.length / 2;
      calls.push(n);
      const labels = Array.from(c!.labels!);
      const xs = await b.download(x), result = new Float64Array(x.length);
      for (let l = 0; l <= K; l++) {
        const rows = [...Array(n).keys()].filter((i) =>
          (labels.length === 1 ? labels[0] : labels[i]) === l
        );
        if (rows.length === 0) continue;
        const sub = b.upload(rows.flatMap((i) => [xs[2 * i]!, xs[2 * i + 1]!]));
        const o = b.zeros(sub.length);
        await predictAs(byLabel[l]!, sub, { t, kind, out: o });
        const r = await b.download(o);
        rows.forEach((i, k) => result.set(r.subarray(2 * k, 2 * k + 2), 2 * i));
        b.release(sub);
        b.release(o);
      }
      await b.write(out, result);
    },
  });
  return { model, calls, byLabel };
}

async function evalModel(
  m: Denoiser,
  x: number[],
  t: number,
  kind: PredictionKind,
  labels?: number[],
): Promise<Float64Array> {
  const out = b.zeros(x.length);
  await predictAs(m, b.upload(x), { t, kind, out, conditioning: labels ? { labels } : undefined });
  return Float64Array.from(await b.download(out));
}

const X = [0.3, -0.2, 1.5, 0.7, -2.2, 0.1, 4, -1];
const LABELS = [0, 1, 2, 3];

Deno.test("cfg() with w = 1 is the conditional model and w = 0 the unconditional, exactly", async () => {
  const s = edmSchedule();
  const { model, calls, byLabel } = classConditional(s);
  for (const t of [0.05, 1, 20]) {
    const cond = await evalModel(model, X, t, "eps", LABELS);
    const one = await evalModel(
      cfg(model, { scale: 1, nullLabel: K, classes: K }),
      X,
      t,
      "eps",
      LABELS,
    );
    assert.deepEqual(one, cond);
    const uncond = await evalModel(byLabel[K]!, X, t, "eps");
    const zero = await evalModel(
      cfg(model, { scale: 0, nullLabel: K, classes: K }),
      X,
      t,
      "eps",
      LABELS,
    );
    assert.deepEqual(zero, uncond);
  }
  assert.ok(calls.every((n) => n === 4), "one branch: n rows per call");
});

Deno.test("cfg() evaluates both branches in one call of 2n rows and equals u + w(c − u)", async () => {
  const s = vpLinearSchedule();
  const { model, calls, byLabel } = classConditional(s, "eps");
  const guided = cfg(model, { scale: 3.5, nullLabel: K, classes: K });
  for (const t of [0.02, 0.3, 0.9]) {
    calls.length = 0;
    const g = await evalModel(guided, X, t, "eps", LABELS);
    assert.deepEqual(calls, [8], "one call, 2n rows");
    const u = await evalModel(byLabel[K]!, X, t, "eps");
    for (const [i, l] of LABELS.entries()) {
      const c = await evalModel(byLabel[l]!, X.slice(2 * i, 2 * i + 2), t, "eps");
      for (let j = 0; j < 2; j++) {
        const want = u[2 * i + j]! + 3.5 * (c[j]! - u[2 * i + j]!);
        assert.ok(Math.abs(g[2 * i + j]! - want) < 1e-12, `t ${t}: ${g[2 * i + j]} vs ${want}`);
      }
    }
    // the same guided prediction in every kind (kinds are affine in the prediction)
    const gx0 = await evalModel(guided, X, t, "x0", LABELS);
    const a = s.alpha(t), sg = s.sigma(t);
    X.forEach((x, i) => assert.ok(Math.abs(gx0[i]! - (x - sg * g[i]!) / a) < 1e-9));
  }
});

Deno.test("cfg() rescale follows Lin et al. eq. 15–16 on the x₀ spread of each point", async () => {
  const s = edmSchedule();
  const { model, byLabel } = classConditional(s, "x0");
  const w = 5, phi = 0.7, t = 2;
  const g = await evalModel(
    cfg(model, { scale: w, nullLabel: K, rescale: phi }),
    X,
    t,
    "x0",
    LABELS,
  );
  const u = await evalModel(byLabel[K]!, X, t, "x0");
  for (const [i, l] of LABELS.entries()) {
    const c = await evalModel(byLabel[l]!, X.slice(2 * i, 2 * i + 2), t, "x0");
    const cfgRow = [0, 1].map((j) => u[2 * i + j]! + w * (c[j]! - u[2 * i + j]!));
    // std of two numbers: half their distance
    const stdPos = Math.abs(c[0]! - c[1]!) / 2, stdCfg = Math.abs(cfgRow[0]! - cfgRow[1]!) / 2;
    const rescaled = cfgRow.map((v) => v * stdPos / stdCfg);
    for (let j = 0; j < 2; j++) {
      const want = phi * rescaled[j]! + (1 - phi) * cfgRow[j]!;
      assert.ok(Math.abs(g[2 * i + j]! - want) < 1e-12, `${g[2 * i + j]} vs ${want}`);
    }
  }
});

Deno.test("cfg() guides only inside its interval of σ/α", async () => {
  const s = vpLinearSchedule();
  const { model, calls } = classConditional(s);
  const interval: [number, number] = [0.5, 3];
  const guided = cfg(model, { scale: 4, nullLabel: K, interval });
  for (const t of [0.05, 0.3, 0.6, 0.95]) {
    const level = s.sigma(t) / s.alpha(t);
    calls.length = 0;
    const g = await evalModel(guided, X, t, "eps", LABELS);
    const cond = await evalModel(model, X, t, "eps", LABELS);
    if (level < 0.5 || level > 3) {
      assert.deepEqual(g, cond);
      assert.deepEqual(calls, [4, 4]);
    } else {
      assert.notDeepEqual(g, cond);
      assert.deepEqual(calls, [8, 4]);
    }
  }
});

Deno.test("cfg() rejects labels out of range, missing labels and bad options", async () => {
  const { model } = classConditional(edmSchedule());
  const guided = cfg(model, { scale: 2, nullLabel: K, classes: K });
  for (const labels of [[0, 1, 2, 4], [0, 1, 2, -1], [0, 1.5, 2, 3], [7]]) {
    await assert.rejects(
      evalModel(guided, X, 1, "eps", labels),
      (e) =>
        e instanceof SdenoRangeError && /labels\[\d\] must be a class in \[0, 4\)/.test(e.message),
    );
  }
  await assert.rejects(evalModel(guided, X, 1, "eps"), SdenoTypeError);
  await assert.rejects(evalModel(guided, X, 1, "eps", [0, 1]), SdenoTypeError);
  for (
    const bad of [
      { scale: NaN, nullLabel: K },
      { scale: 2, nullLabel: 2, classes: K },
      { scale: 2, nullLabel: -1 },
      { scale: 2, nullLabel: K, rescale: 1.5 },
      { scale: 2, nullLabel: K, interval: [3, 1] as [number, number] },
      { scale: 2, nullLabel: K, rescaleKind: "noise" as PredictionKind },
    ]
  ) {
    assert.throws(() => cfg(model, bad), SdenoRangeError, JSON.stringify(bad));
  }
  assert.throws(() => cfg({} as Denoiser, { scale: 1, nullLabel: 0 }), SdenoTypeError);
});

/** Fraction of points nearest to their own class's mean (the class's Voronoi region on the line). */
function inRegion(xs: ArrayLike<number>, labels: number[]): number {
  let hit = 0;
  labels.forEach((l, i) => {
    const x = xs[2 * i]!;
    const nearest = SPEC.means.reduce(
      (best, m, c) => Math.abs(x - m[0]!) < Math.abs(x - SPEC.means[best]![0]!) ? c : best,
      0,
    );
    if (nearest === l) hit++;
  });
  return hit / labels.length;
}

Deno.test("cfg() works with samplers: ≥ 95% of guided samples fall in their class's region", async () => {
  const s = edmSchedule();
  const { model } = classConditional(s, "x0");
  const n = 2000;
  const labels = Array.from({ length: n }, (_, i) => i % K);
  const z = b.zeros(2 * n);
  await b.fillNormal(z, makeKey(2024));
  const x = b.zeros(2 * n);
  await b.lincomb(x, [[80, z]]);
  // the exact conditional law N(μ_c, 0.36): P(region) = Φ(1/0.6) for the two end classes and
  // 2Φ(1/0.6) − 1 for the inner ones
  const phi = 0.9522096477271853; // Φ(5/3)
  const exact = (2 * phi + 2 * (2 * phi - 1)) / 4;
  const seOf = (p: number) => Math.sqrt(p * (1 - p) / n);
  const wrap = (m: Denoiser): Denoiser => ({
    ...m,
    predict: (xx, t, out, r) => m.predict(xx, t, out, { ...r, conditioning: { labels } }),
  });
  // enough steps that the samplers' own error stays well inside the statistical bound
  for (const [name, steps] of [["sampleDpmpp2m", 50], ["sampleHeun", 50]] as const) {
    const sampler = (diffusion as unknown as Record<string, diffusion.Sampler>)[name]!;
    const plain = await sampler(wrap(model), x, diffusion.karrasSigmas(steps));
    const pPlain = inRegion(await b.download(plain.x), labels);
    assert.ok(
      Math.abs(pPlain - exact) < 4 * seOf(exact),
      `${name}: conditional ${pPlain} vs ${exact}`,
    );
    const guided = await sampler(
      wrap(cfg(model, { scale: 3, nullLabel: K, classes: K })),
      x,
      diffusion.karrasSigmas(steps),
    );
    const pGuided = inRegion(await b.download(guided.x), labels);
    assert.ok(pGuided >= 0.95 + 4 * seOf(0.95), `${name}: guided ${pGuided}`);
    b.release(plain.x);
    b.release(guided.x);
  }
});
