// One convergence test over every solver's metadata: empirical strong order
// (and weak order where declared) by least squares on log-log, within 0.1 of
// the declared order, on GBM (diagonal/scalar noise) and on an additive-noise
// problem with a nonlinear drift.
import assert from "node:assert/strict";
import * as solvers from "../../../solvers/sde/mod.ts";
import { type SdeSolver, strongOrderFor } from "../../../solvers/sde/mod.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { defineSde, type SdeModel } from "../../../processes/sde.ts";
import { errorLevels, fitOrder, stepMoments } from "./_convergence.ts";

const ALL: SdeSolver[] = Object.values(solvers).filter((v): v is SdeSolver =>
  typeof v === "object" && v !== null && "info" in v && "method" in v
);

// dX = sin(X) dt + 2 dW: additive noise, nonlinear drift (no closed form; the
// reference is the same solver with 2⁹ steps on the same Brownian path)
const sineAdditive: SdeModel = {
  ...defineSde({
    name: "sine-additive",
    dim: 1,
    noiseDim: 1,
    noise: "additive",
    drift: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!);
    },
    diffusion: (_t, _x, o, n) => void o.fill(2, 0, n),
  }),
  params: {},
};

const gbm = (mu: number, sigma: number, s: SdeSolver) =>
  geometricBrownianMotion({
    mu,
    sigma,
    calculus: s.info.calculus === "stratonovich" ? "stratonovich" : "ito",
  });

Deno.test("solveSde() covers every exported solver", () => {
  assert.deepEqual(
    ALL.map((s) => s.info.name).sort(),
    ["euler-heun", "euler-maruyama", "heun", "milstein", "reversible-heun", "sra1", "sriw1"],
  );
});

for (const solver of ALL) {
  const info = solver.info;
  if (info.noise.includes("diagonal")) {
    const p = strongOrderFor(info, "diagonal")!;
    Deno.test(`${info.name} has strong order ${p} on GBM`, () => {
      const lv = errorLevels(gbm(0.1, 0.5, solver), solver, {
        x0: 1,
        T: 1,
        ks: [3, 4, 5, 6, 7],
        paths: 2000,
        seed: 11,
      });
      const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.strong), lv.map((l) => l.strongSe));
      assert.ok(fit.se < 0.03, `fit SE ${fit.se}`);
      assert.ok(
        Math.abs(fit.slope - p) < 0.1,
        `strong order ${fit.slope} ± ${fit.se}, declared ${p}`,
      );
    });
    if (info.weakOrder !== undefined && solver.method.kind !== "reversible-heun") {
      const q = info.weakOrder;
      Deno.test(`${info.name} has weak order ${q} on GBM (exact discrete mean)`, () => {
        // |X₀E[R]^N − X₀e^{μT}|, E[R] by exact quadrature: no Monte Carlo error
        const model = gbm(1, 0.5, solver);
        const hs = [3, 4, 5, 6, 7].map((k) => 2 ** -k);
        const err = hs.map((h) => Math.abs(stepMoments(model, solver, h)[0] ** (1 / h) - Math.E));
        const fit = fitOrder(hs, err, err.map((e) => e * 1e-3));
        assert.ok(Math.abs(fit.slope - q) < 0.1, `weak order ${fit.slope}, declared ${q}`);
      });
    } else if (info.weakOrder !== undefined) {
      const q = info.weakOrder;
      Deno.test(`${info.name} has weak order ${q} on GBM (Monte Carlo)`, () => {
        // a two-state method: weak error E[X_N − X(T)] on common noise
        const lv = errorLevels(gbm(1, 0.5, solver), solver, {
          x0: 1,
          T: 1,
          ks: [3, 4, 5, 6, 7],
          paths: 2000,
          seed: 11,
        });
        const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.weak), lv.map((l) => l.weakSe));
        assert.ok(fit.se < 0.05, `fit SE ${fit.se}`);
        assert.ok(
          Math.abs(fit.slope - q) < 0.1,
          `weak order ${fit.slope} ± ${fit.se}, declared ${q}`,
        );
      });
    }
  }
  if (info.noise.includes("additive")) {
    const p = strongOrderFor(info, "additive")!;
    Deno.test(`${info.name} has strong order ${p} on additive noise`, () => {
      const lv = errorLevels(sineAdditive, solver, {
        x0: 0.5,
        T: 1,
        ks: [2, 3, 4, 5, 6],
        paths: 1000,
        seed: 13,
        referenceK: 9,
      });
      const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.strong), lv.map((l) => l.strongSe));
      assert.ok(fit.se < 0.03, `fit SE ${fit.se}`);
      assert.ok(
        Math.abs(fit.slope - p) < 0.1,
        `strong order ${fit.slope} ± ${fit.se}, declared ${p}`,
      );
    });
  }
}
