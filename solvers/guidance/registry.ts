/**
 * The one registry of guidance methods for inverse problems: every method
 * of `solvers/guidance/`, found by its name or any alias. Scripts and
 * benchmarks take methods from here; `--help` lists `guidanceMethods.names()`.
 *
 * @module
 */

import { methodInfoProblems, MethodRegistry } from "../method_registry.ts";
import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import type { GuidanceInfo, GuidanceMethod } from "./method.ts";
import { ddpmUnconditional } from "./ddpm_unconditional.ts";
import { dps } from "./dps.ts";
import { pigdm } from "./pigdm.ts";
import { ddrm } from "./ddrm.ts";
import { ddnm, ddnmPlus } from "./ddnm.ts";
import { diffpir } from "./diffpir.ts";
import { mpgd } from "./mpgd.ts";
import { redDiff } from "./red_diff.ts";
import { repaint } from "./repaint.ts";
import { mcg } from "./mcg.ts";
import { dds } from "./dds.ts";
import { mcgdiff } from "./mcgdiff.ts";
import { tds } from "./tds.ts";
import { fpsSmc } from "./fps_smc.ts";

/**
 * What a guidance method's metadata must satisfy beyond every method's:
 * the declared needs are booleans, the operator class and noise list known.
 *
 * @param info the metadata to check
 * @returns the problems found (empty: none)
 *
 * @example
 * ```ts
 * import { guidanceInfoProblems, guidanceMethods } from "./registry.ts";
 * import assert from "node:assert/strict";
 * for (const m of guidanceMethods.methods) assert.deepEqual(guidanceInfoProblems(m.info), []);
 * ```
 */
export function guidanceInfoProblems(info: GuidanceInfo): string[] {
  const p = methodInfoProblems(info, "guidance");
  const name = String(info?.name);
  for (const k of ["needsVjp", "needsSvd", "needsPseudoInverse", "asymptoticallyExact"] as const) {
    if (typeof info[k] !== "boolean") p.push(`${name}: ${k} must be a boolean`);
  }
  if (!["any", "linear", "mask"].includes(info.operators)) {
    p.push(`${name}: operators must be "any", "linear" or "mask", got ${quote(info.operators)}`);
  }
  if (
    !Array.isArray(info.noise) || info.noise.length === 0 ||
    info.noise.some((n) => !["gaussian", "poisson", "none"].includes(n))
  ) {
    p.push(`${name}: noise must list "gaussian", "poisson" or "none", got ${quote(info.noise)}`);
  }
  if (typeof info.paper !== "string" || info.paper.trim() === "") p.push(`${name}: paper is empty`);
  return p;
}

const ALL: readonly GuidanceMethod[] = [
  ddpmUnconditional,
  dps,
  pigdm,
  ddrm,
  ddnm,
  ddnmPlus,
  diffpir,
  mpgd,
  redDiff,
  repaint,
  mcg,
  dds,
  mcgdiff,
  tds,
  fpsSmc,
] as GuidanceMethod[];

for (const m of ALL) {
  const problems = guidanceInfoProblems(m.info);
  if (problems.length > 0) throw new SdenoTypeError(`guidance registry: ${problems.join("; ")}`);
}

/**
 * Every guidance method, by name and alias.
 *
 * @example Look a method up by name and read what it needs
 * ```ts
 * import { guidanceMethods } from "./registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(guidanceMethods.get("ddrm").info.needsSvd, true);
 * assert.equal(guidanceMethods.get("dps").info.needsVjp, true);
 * assert.equal(guidanceMethods.get("mcgdiff").info.asymptoticallyExact, true);
 * ```
 */
export const guidanceMethods: MethodRegistry<GuidanceMethod> = new MethodRegistry(
  "guidance",
  ALL,
);
