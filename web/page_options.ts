/**
 * The browser page's settings, read from its query string
 * (`?backend=auto&model=ring&sampler=dpmpp_2m&steps=10&n=256&seed=0`), each
 * checked before any work: an unknown name or a value that is not a whole
 * number in range is a typed error naming the parameter and the value.
 *
 * @module
 */

import { quote, SdenoRangeError } from "../kernels/errors.ts";
import type { ShippedSampleOptions } from "./sample_shipped.ts";

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

const INTEGERS = { steps: [1, 1000], n: [1, 1 << 16], seed: [0, 0xffffffff] } as const;

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
  const what = "Cannot read the page's settings";
  const out: PageOptions = { ...PAGE_DEFAULTS };
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === "backend") {
      const b = PAGE_BACKENDS.find((x) => x === value);
      if (!b) {
        throw new SdenoRangeError(
          `${what}: backend must be one of ${PAGE_BACKENDS.join(", ")}, got ${quote(value)}`,
        );
      }
      out.backend = b;
    } else if (name === "model") {
      if (!PAGE_MODELS.includes(value)) {
        throw new SdenoRangeError(
          `${what}: model must be one of ${PAGE_MODELS.join(", ")}, got ${quote(value)}`,
        );
      }
      out.model = value;
    } else if (name === "sampler") {
      out.sampler = value;
    } else if (name === "steps" || name === "n" || name === "seed") {
      const [lo, hi] = INTEGERS[name];
      const v = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(v) || v < lo || v > hi) {
        throw new SdenoRangeError(
          `${what}: ${name} must be a whole number in [${lo}, ${hi}], got ${quote(value)}`,
        );
      }
      out[name] = v;
    } else {
      throw new SdenoRangeError(
        `${what}: unknown parameter ${quote(name)}; known: ${
          Object.keys(PAGE_DEFAULTS).join(", ")
        }`,
      );
    }
  }
  return out;
}
