/**
 * The one line solvers need to make their results display themselves in
 * Jupyter (`deno jupyter`): a non-enumerable `Symbol.for("Jupyter.display")`
 * method that loads the renderers (io/jupyter.ts, which draws with io/svg)
 * only when a notebook asks for the display. So a solver module imports
 * nothing heavy, its results stay plain data (JSON, `structuredClone` and
 * `deepEqual` ignore non-enumerable symbol keys), and scripts, workers and
 * browsers that never display a result never load the plotting code.
 *
 * @module
 */

/**
 * Gives `result` a non-enumerable `[Symbol.for("Jupyter.display")]()` that
 * resolves to its MIME bundle (`displayBundle` of io/jupyter.ts, loaded on the
 * first call).
 *
 * @param result a solver's result object
 * @returns the same object
 */
export function attachLazyDisplay<T extends object>(result: T): T {
  Object.defineProperty(result, Symbol.for("Jupyter.display"), {
    value: async () => (await import("./jupyter.ts")).displayBundle(result),
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return result;
}
