/**
 * The browser pages' settings, read from their query strings
 * (`web/index.html?backend=auto&model=ring&sampler=dpmpp_2m&steps=10&n=256&seed=0`,
 * `web/ssa.html?backend=auto&network=schlogl&paths=4096&tEnd=5&seed=0`), each
 * checked before any work: an unknown name or a value that is not a whole
 * number in range is a typed error naming the parameter and the value.
 *
 * @module
 */

import { quote, SdenoRangeError } from "../kernels/errors.ts";
import type { ShippedSampleOptions } from "./sample_shipped.ts";
import type { SsaRunOptions } from "./ssa_ensemble_run.ts";

/** The shipped 2-D models the page can sample (`models/shipped/<name>.json`). */
export const PAGE_MODELS: readonly string[] = Object.freeze(["ring", "checkerboard"]);

/** The backends the page can ask for (`auto`: webgpu where the browser has an adapter, else cpu). */
export const PAGE_BACKENDS: readonly ("auto" | "cpu" | "webgpu")[] = Object.freeze([
  "auto",
  "cpu",
  "webgpu",
]);

/** The page's settings. */
export interface PageOptions extends Required<ShippedSampleOptions> {
  /** Where to run. */
  backend: "auto" | "cpu" | "webgpu";
  /** Which shipped model. */
  model: string;
}

/** The defaults of every parameter. */
export const PAGE_DEFAULTS: Readonly<PageOptions> = Object.freeze({
  backend: "auto",
  model: "ring",
  sampler: "dpmpp_2m",
  steps: 10,
  n: 256,
  seed: 0,
});

const INTEGERS = {
  steps: [1, 1000],
  n: [1, 1 << 16],
  seed: [0, 0xffffffff],
  paths: [1, 1 << 22],
} as const;

const WHAT = "Cannot read the page's settings";

/** A whole number in the range of `name`, from its text. */
function wholeNumber(name: keyof typeof INTEGERS, value: string): number {
  const [lo, hi] = INTEGERS[name];
  const v = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(v) || v < lo || v > hi) {
    throw new SdenoRangeError(
      `${WHAT}: ${name} must be a whole number in [${lo}, ${hi}], got ${quote(value)}`,
    );
  }
  return v;
}

/** The backend named by `value`. */
function backendOf(value: string): PageOptions["backend"] {
  const b = PAGE_BACKENDS.find((x) => x === value);
  if (!b) {
    throw new SdenoRangeError(
      `${WHAT}: backend must be one of ${PAGE_BACKENDS.join(", ")}, got ${quote(value)}`,
    );
  }
  return b;
}

function unknown(name: string, known: object): never {
  throw new SdenoRangeError(
    `${WHAT}: unknown parameter ${quote(name)}; known: ${Object.keys(known).join(", ")}`,
  );
}

/**
 * The page's settings from a query string, defaults filled in.
 *
 * @param search the query string (`location.search`, with or without `?`)
 * @returns the settings
 * @throws {SdenoRangeError} naming an unknown parameter, backend or model, or a
 *   count that is not a whole number in range
 *
 * @example
 * ```ts
 * import { pageOptions } from "./page_options.ts";
 * import assert from "node:assert/strict";
 * const o = pageOptions("?backend=cpu&seed=7&sampler=heun");
 * assert.deepEqual(o, { backend: "cpu", model: "ring", sampler: "heun", steps: 10, n: 256, seed: 7 });
 * assert.throws(() => pageOptions("?n=2.5"), /n must be a whole number in \[1, 65536\], got "2.5"/);
 * ```
 */
export function pageOptions(search: string): PageOptions {
  const out: PageOptions = { ...PAGE_DEFAULTS };
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === "backend") out.backend = backendOf(value);
    else if (name === "model") {
      if (!PAGE_MODELS.includes(value)) {
        throw new SdenoRangeError(
          `${WHAT}: model must be one of ${PAGE_MODELS.join(", ")}, got ${quote(value)}`,
        );
      }
      out.model = value;
    } else if (name === "sampler") out.sampler = value;
    else if (name === "steps" || name === "n" || name === "seed") {
      out[name] = wholeNumber(name, value);
    } else unknown(name, PAGE_DEFAULTS);
  }
  return out;
}

/** The SSA page's settings. */
export interface SsaPageOptions extends Required<SsaRunOptions> {
  /** Where to run. */
  backend: "auto" | "cpu" | "webgpu";
}

/** The defaults of every parameter of the SSA page. */
export const SSA_PAGE_DEFAULTS: Readonly<SsaPageOptions> = Object.freeze({
  backend: "auto",
  network: "schlogl",
  paths: 4096,
  tEnd: 5,
  seed: 0,
});

/**
 * The SSA page's settings from a query string, defaults filled in (the
 * network's name is checked by the run).
 *
 * @param search the query string (`location.search`, with or without `?`)
 * @returns the settings
 * @throws {SdenoRangeError} naming an unknown parameter or backend, a count
 *   that is not a whole number in range, or an end time that is not a
 *   positive number
 *
 * @example
 * ```ts
 * import { ssaPageOptions } from "./page_options.ts";
 * import assert from "node:assert/strict";
 * const o = ssaPageOptions("?network=birth_death&paths=640&tEnd=2.5");
 * assert.deepEqual(o, { backend: "auto", network: "birth_death", paths: 640, tEnd: 2.5, seed: 0 });
 * assert.throws(() => ssaPageOptions("?tEnd=-1"), /tEnd must be a positive number, got "-1"/);
 * ```
 */
export function ssaPageOptions(search: string): SsaPageOptions {
  const out: SsaPageOptions = { ...SSA_PAGE_DEFAULTS };
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === "backend") out.backend = backendOf(value);
    else if (name === "network") out.network = value;
    else if (name === "paths" || name === "seed") out[name] = wholeNumber(name, value);
    else if (name === "tEnd") {
      const v = value.trim() === "" ? NaN : Number(value);
      if (!(v > 0) || !Number.isFinite(v)) {
        throw new SdenoRangeError(`${WHAT}: tEnd must be a positive number, got ${quote(value)}`);
      }
      out.tEnd = v;
    } else unknown(name, SSA_PAGE_DEFAULTS);
  }
  return out;
}
