// The declaration every discrete-diffusion method shares (private): each is a
// stochastic one-step rule run on the cpu whose draws use the Philox purpose
// `discreteStep` (registry.ts refuses any other), so a method states only its
// name, aliases, summary, processes, model output and final denoising.

import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { DiscreteMethod, DiscreteMethodInfo, DiscreteStepRule } from "./discrete_method.ts";

/** What a discrete method declares of its own. */
export type OwnDiscreteInfo = Pick<
  DiscreteMethodInfo,
  "name" | "aliases" | "summary" | "processes" | "needs" | "finalDenoise"
>;

/** The frozen method: its own fields with the shared ones, and its rule. */
export function discreteMethod(own: OwnDiscreteInfo, rule: DiscreteStepRule): DiscreteMethod {
  return Object.freeze({
    info: Object.freeze(
      {
        family: "discrete",
        name: own.name,
        aliases: own.aliases,
        summary: own.summary,
        stochastic: true,
        backends: ["cpu"],
        processes: own.processes,
        needs: own.needs,
        finalDenoise: own.finalDenoise,
        purpose: PHILOX_PURPOSES.discreteStep,
      } as const,
    ),
    rule,
  });
}
