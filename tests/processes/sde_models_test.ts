import assert from "node:assert/strict";
import type { SdeModel } from "../../processes/sde.ts";
import { probeSde } from "../../processes/_sde_probe.ts";
import { coxIngersollRoss } from "../../processes/sde_models/cox_ingersoll_ross.ts";
import { diffusionModelSde } from "../../processes/sde_models/diffusion_model_sdes.ts";
import { doubleWellLangevin } from "../../processes/sde_models/double_well_langevin.ts";
import { geometricBrownianMotion } from "../../processes/sde_models/geometric_brownian_motion.ts";
import { kloedenPlaten } from "../../processes/sde_models/kloeden_platen.ts";
import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
import { stochasticLotkaVolterra } from "../../processes/sde_models/stochastic_lotka_volterra.ts";
import { milstein, sriw1 } from "../../solvers/sde/mod.ts";
import { errorLevels, fitOrder } from "../solvers/sde/_convergence.ts";

const MODELS: Array<[SdeModel, number[]]> = [
  [ornsteinUhlenbeck({ theta: [1, 2], mu: 0, sigma: [1, 0.5] }), [0.1, 0.2]],
  [ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: [1, 0.5, 0.2, 0.1, 0, 1], dim: 2, noiseDim: 3 }), [
    0,
    0,
  ]],
  [geometricBrownianMotion({ mu: 0.1, sigma: 0.2, dim: 3 }), [1, 2, 3]],
  [coxIngersollRoss({ kappa: 1, theta: 0.5, sigma: 0.3 }), [0.2]],
  [doubleWellLangevin({ dim: 2 }), [0.5, -0.5]],
  [stochasticLotkaVolterra(), [1, 2]],
  [kloedenPlaten("sinh"), [0.3]],
  [kloedenPlaten("arctan"), [0.3]],
  [kloedenPlaten("additive-decay"), [0.3]],
  [diffusionModelSde("ve", { dim: 2 }), [0.1, 0.2]],
  [diffusionModelSde("vp", { dim: 2 }), [0.1, 0.2]],
  [diffusionModelSde("mean-reverting", { dim: 2 }), [0.1, 0.2]],
  [diffusionModelSde("ouve", { dim: 2 }), [0.1, 0.2]],
];

Deno.test("built-in SDE models write the shapes their noise type promises", () => {
  for (const [model, x] of MODELS) {
    const two = Float64Array.from([...x, ...x]);
    probeSde(model, { what: "test", x: two, t: 0.5 });
    if (model.noise !== "additive" || model.noiseDim === model.dim) {
      assert.ok(model.wgsl, `${model.name} has WGSL`);
    }
  }
});

for (const name of ["sinh", "arctan"] as const) {
  Deno.test(`kloedenPlaten("${name}") solution is reached at Milstein's strong order 1 and SRIW1's 1.5`, () => {
    const model = kloedenPlaten(name, { a: 1 });
    for (const [solver, p] of [[milstein, 1], [sriw1, 1.5]] as const) {
      const lv = errorLevels(model, solver, {
        x0: 0.3,
        T: 1,
        ks: [3, 4, 5, 6, 7],
        paths: 1000,
        seed: 21,
      });
      const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.strong), lv.map((l) => l.strongSe));
      assert.ok(Math.abs(fit.slope - p) < 0.15, `${solver.info.name}: ${fit.slope} ± ${fit.se}`);
    }
  });
}
