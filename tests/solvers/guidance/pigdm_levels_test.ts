// pigdm on the d = 8 GMM instances with the refs' settings (K = 100,
// η = 1, w = 1): SW and modeTV against the "pigdm(rt2 coef,eta=1,w=1)" and
// "pigdm(score coef,eta=1,w=1)" levels at 1000 samples (the bands of
// _ddim_checks.ts); SDENO_SLOW=1 adds the 10000-sample runs (and the paper
// coefficient where it is stable). A file of its own to keep each file short.

import { pigdm } from "../../../solvers/guidance/pigdm.ts";
import { GMM_NAMES, gmmLevel, SLOW } from "./_ddim_checks.ts";

const COEFS = ["rt2", "score"] as const;

Deno.test("pigdm() with the rt2 and score coefficients lands on the refs' GMM levels (1000 samples, K = 100)", async () => {
  for (const coef of COEFS) {
    for (const name of GMM_NAMES) {
      console.log(await gmmLevel(pigdm, name, `pigdm(${coef} coef,eta=1,w=1)`, 1000, { coef }));
    }
  }
});

Deno.test({
  name:
    "pigdm() lands on the refs' GMM levels at the refs' size (10000 samples), paper coef included",
  ignore: !SLOW,
  async fn() {
    for (const coef of COEFS) {
      for (const name of GMM_NAMES) {
        console.log(await gmmLevel(pigdm, name, `pigdm(${coef} coef,eta=1,w=1)`, 10000, { coef }));
      }
    }
    for (const name of ["gmm_d8_dy1", "gmm_d8_dy4"]) {
      console.log(
        await gmmLevel(pigdm, name, "pigdm(paper coef,eta=1,w=1)", 10000, { coef: "paper" }),
      );
    }
  },
});
