/**
 * Jupyter display of sdeno's results in Deno's kernel (`deno jupyter`). The
 * kernel shows a cell's value through its `Symbol.for("Jupyter.display")`
 * method, which returns a MIME bundle
 * (https://docs.deno.com/runtime/reference/cli/jupyter/): here `text/plain`
 * (a one-line summary) and `text/html` (a caption, an HTML table of the
 * numbers and an inline SVG plot from io/svg).
 *
 * SDE ensembles (`simulateEnsemble`), SSA runs (`ssaDirect`) and SSA
 * ensembles (`ssaEnsemble`) come back with the method attached; other
 * results get it from {@linkcode displayable} (any of those three kinds),
 * {@linkcode sampleSet} (samples from a diffusion sampler),
 * {@linkcode displayGuidance} (a guidance posterior) and
 * {@linkcode displayTable} (rows of numbers, such as a comparison of
 * solvers). The method is non-enumerable, so results stay plain data for
 * JSON, `structuredClone` and `deepEqual`.
 *
 * ```ts
 * import { displayTable, mimeBundleOf } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const t = displayTable([{ solver: "euler", nfe: 20 }]);
 * const bundle = await mimeBundleOf(t); // what the kernel shows
 * assert.match(bundle["text/html"], /<table/);
 * ```
 *
 * @module
 */

import { quote, SdenoTypeError } from "../kernels/errors.ts";
import type { EnsembleResult } from "../solvers/sde/ensemble.ts";
import type { SsaResult, SsaTrajectory } from "../solvers/ctmc/_ssa_common.ts";
import type { SsaEnsembleHistogram, SsaEnsembleResult } from "../solvers/ctmc/ssa_ensemble.ts";
import type { GuidanceResult } from "../solvers/guidance/method.ts";
import {
  type HistogramData,
  histogramPlot,
  imageGrid,
  linePlot,
  type LineSeries,
  type Numbers,
  PALETTE,
  panelGrid,
  scatterPlot,
  type ScatterSeries,
} from "./svg/mod.ts";

// the result types displayed here, so that this entry point documents them
export type {
  EnsembleResult,
  GuidanceResult,
  SsaEnsembleHistogram,
  SsaEnsembleResult,
  SsaResult,
  SsaTrajectory,
};

/** The key under which Deno's Jupyter kernel looks for an object's display method. */
export const JUPYTER_DISPLAY: symbol = Symbol.for("Jupyter.display");

/** What a display method returns: the same content in several MIME types. */
export interface MimeBundle {
  /** A one-line summary, for consoles and the notebook's plain-text view. */
  "text/plain": string;
  /** A caption, a table of the numbers and an inline `<svg>` plot. */
  "text/html": string;
}

/** Rows at most in a displayed table; longer tables show their first and last rows. */
const MAX_ROWS = 16;
/** Series at most in one plot (components, species, paths). */
const MAX_SERIES = 6;

/**
 * Gives `target` a non-enumerable `[Symbol.for("Jupyter.display")]()` that
 * resolves to `render(target)`. JSON, `structuredClone` and `deepEqual` do not
 * see it.
 *
 * @param target the object to display
 * @param render builds its MIME bundle (called at each display)
 * @returns `target`, displayable
 * @throws {SdenoTypeError} when target is not an object or render not a function
 *
 * @example A custom display
 * ```ts
 * import { attachDisplay, JUPYTER_DISPLAY } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const r = attachDisplay({ x: 1 }, (o) => ({ "text/plain": `x = ${o.x}`, "text/html": "<b>1</b>" }));
 * assert.deepEqual(JSON.parse(JSON.stringify(r)), { x: 1 });
 * assert.deepEqual(r, { x: 1 }); // the method is not enumerable
 * assert.equal(JUPYTER_DISPLAY in r, true);
 * ```
 */
export function attachDisplay<T extends object>(
  target: T,
  render: (value: T) => MimeBundle | Promise<MimeBundle>,
): T {
  const what = "Cannot attach a Jupyter display";
  if (target === null || (typeof target !== "object" && typeof target !== "function")) {
    throw new SdenoTypeError(`${what}: target must be an object, got ${quote(target)}`);
  }
  if (typeof render !== "function") {
    throw new SdenoTypeError(`${what}: render must be a function, got ${quote(render)}`);
  }
  Object.defineProperty(target, JUPYTER_DISPLAY, {
    value: async () => await render(target),
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return target;
}

/**
 * The MIME bundle Deno's kernel would show for `value`: the result of its
 * `[Symbol.for("Jupyter.display")]()`, awaited. For tests and for saving a
 * display outside a notebook.
 *
 * @param value an object with a display method
 * @returns its MIME bundle
 * @throws {SdenoTypeError} when value has no display method or it returns no bundle
 *
 * @example
 * ```ts
 * import { attachDisplay, mimeBundleOf } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const o = attachDisplay({}, () => ({ "text/plain": "o", "text/html": "<i>o</i>" }));
 * assert.equal((await mimeBundleOf(o))["text/plain"], "o");
 * await assert.rejects(mimeBundleOf({}), TypeError);
 * ```
 */
export async function mimeBundleOf(value: object): Promise<MimeBundle> {
  const what = "Cannot show the display";
  const method = value !== null && typeof value === "object"
    ? (value as Record<symbol, unknown>)[JUPYTER_DISPLAY]
    : undefined;
  if (typeof method !== "function") {
    throw new SdenoTypeError(
      `${what}: value must have a [Symbol.for("Jupyter.display")] method, got ${quote(value)}`,
    );
  }
  const b = await method.call(value);
  if (b === null || typeof b !== "object" || typeof b["text/plain"] !== "string") {
    throw new SdenoTypeError(`${what}: the display method returned ${quote(b)}, not a MIME bundle`);
  }
  return b as MimeBundle;
}

// ---------------------------------------------------------------------------------------------
// HTML pieces

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number for a table: 5 significant digits, integers exact, NaN as an em dash. */
function num(v: number): string {
  if (Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

/** "m ± se" with the standard error to 2 significant digits. */
function pm(m: number, se: number): string {
  return Number.isFinite(se) ? `${num(m)} ± ${num(Number(se.toPrecision(2)))}` : num(m);
}

type Cell = string | number;

/** An HTML table; rows beyond {@linkcode MAX_ROWS} are elided in the middle. */
function htmlTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (c: Cell) => escapeHtml(typeof c === "number" ? num(c) : c);
  const tr = (r: readonly Cell[]) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`;
  let body: string[];
  if (rows.length <= MAX_ROWS) {
    body = rows.map(tr);
  } else {
    const head = Math.ceil((MAX_ROWS - 1) / 2), tail = MAX_ROWS - 1 - head;
    body = [
      ...rows.slice(0, head).map(tr),
      `<tr><td colspan="${header.length}">… ${rows.length - head - tail} more rows …</td></tr>`,
      ...rows.slice(rows.length - tail).map(tr),
    ];
  }
  return `<table class="sdeno-table"><thead><tr>${
    header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")
  }</tr></thead><tbody>${body.join("")}</tbody></table>`;
}

/** The bundle: a caption, the tables, and the plot beside them. */
function bundle(summary: string, caption: string, tables: string[], plot: string): MimeBundle {
  const html = `<div class="sdeno-display"><p><b>${escapeHtml(caption)}</b></p>` +
    `<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">` +
    `<div>${tables.join("")}</div><div>${plot}</div></div></div>`;
  return { "text/plain": summary, "text/html": html };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------------------------
// numbers to plot

/** Equal-width bins over [min, max] (√n of them, 10 to 60): a histogram of raw values. */
function binValues(values: Numbers, label: string, color?: string): HistogramData {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const bins = Math.max(10, Math.min(60, Math.round(Math.sqrt(values.length))));
  const counts = new Float64Array(bins);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    counts[Math.min(bins - 1, Math.floor((values[i]! - lo) / w))]! += 1;
  }
  const edges = Float64Array.from({ length: bins + 1 }, (_, b) => lo + b * w);
  return { counts, edges, label, ...(color ? { color } : {}) };
}

/** Integer bins [k − ½, k + ½) over the range of integer counts (at most 200 bins). */
function binCounts(values: Numbers, label: string, color: string): HistogramData {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  const width = Math.max(1, Math.ceil((hi - lo + 1) / 200));
  const bins = Math.floor((hi - lo) / width) + 1;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) counts[Math.floor((values[i]! - lo) / width)]! += 1;
  const edges = Float64Array.from({ length: bins + 1 }, (_, b) => lo - 0.5 + b * width);
  return { counts, edges, label, color };
}

/** A right-continuous step path through (times[k], values[k]), at most ~4000 corners. */
function stepLine(times: Numbers, values: Numbers, tEnd: number): { x: number[]; y: number[] } {
  const n = times.length;
  const stride = Math.max(1, Math.ceil(n / 2000));
  const x: number[] = [], y: number[] = [];
  for (let k = 0; k < n; k += stride) {
    if (k > 0) {
      x.push(times[k]!);
      y.push(y[y.length - 1]!);
    }
    x.push(times[k]!);
    y.push(values[k]!);
  }
  const last = x[x.length - 1]!;
  if (tEnd > last) {
    x.push(tEnd);
    y.push(values[n - 1]!);
  }
  return { x, y };
}

function componentName(a: number, d: number): string {
  return d === 1 ? "x" : `x${a + 1}`;
}

// ---------------------------------------------------------------------------------------------
// SDE ensembles

/**
 * The display of an SDE ensemble ({@linkcode EnsembleResult} of
 * `simulateEnsemble`): the moments at every save time (mean ± its standard
 * error, standard deviation, variance ± its standard error, quantiles), and a
 * plot — the means with mean ± 2 sd bands and the kept sample paths over
 * time, or at a single save time the histogram of each component.
 *
 * @param r the ensemble result
 * @returns its MIME bundle
 *
 * @example Ornstein–Uhlenbeck: a table row per save time and a plot
 * ```ts
 * import { ensembleBundle } from "./jupyter.ts";
 * import { simulateEnsemble } from "../solvers/sde/ensemble.ts";
 * import { CpuBackend } from "../kernels/cpu_backend.ts";
 * import { ornsteinUhlenbeck } from "../processes/sde_models/ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const r = await simulateEnsemble(ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 }), {
 *   backend: new CpuBackend(), x0: [1], paths: 200, t1: 1, dt: 0.1, saveAt: [0.5, 1],
 * });
 * const b = ensembleBundle(r);
 * assert.equal(b["text/html"].match(/<tr>/g)!.length, 1 + 2);
 * assert.match(b["text/html"], /<svg /);
 * assert.match(b["text/plain"], /200 paths/);
 * ```
 */
export function ensembleBundle(r: EnsembleResult): MimeBundle {
  const S = r.t.length, d = r.dim;
  const probs = r.quantiles ? [...r.quantiles.probs] : [];
  const header = [
    "t",
    "component",
    "mean ± se",
    "sd",
    "variance ± se",
    ...probs.map((p) => `q${p}`),
  ];
  const rows: Cell[][] = [];
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < d; a++) {
      const i = s * d + a;
      const qs = probs.map((_, k) => r.quantiles!.values[i * probs.length + k]!);
      rows.push([
        r.t[s]!,
        componentName(a, d),
        pm(r.mean[i]!, r.meanSe[i]!),
        Math.sqrt(r.variance[i]!),
        pm(r.variance[i]!, r.varianceSe[i]!),
        ...qs,
      ]);
    }
  }
  const shown = Math.min(d, MAX_SERIES);
  let plot: string;
  if (S >= 2) {
    const series: LineSeries[] = [];
    const keep = r.samples.length / (S * d);
    for (let p = 0; p < Math.min(keep, 5); p++) {
      for (let a = 0; a < shown; a++) {
        series.push({
          x: r.t,
          y: Float64Array.from({ length: S }, (_, s) => r.samples[(s * keep + p) * d + a]!),
          color: "#bbbbbb",
          width: 1,
          ...(p === 0 && a === 0 ? { label: "sample paths" } : {}),
        });
      }
    }
    for (let a = 0; a < shown; a++) {
      const m = Float64Array.from({ length: S }, (_, s) => r.mean[s * d + a]!);
      const sd = Float64Array.from({ length: S }, (_, s) => Math.sqrt(r.variance[s * d + a]!));
      series.push({
        x: r.t,
        y: m,
        label: `${componentName(a, d)}: mean ± 2 sd`,
        color: PALETTE[a % PALETTE.length]!,
        band: { lower: m.map((v, s) => v - 2 * sd[s]!), upper: m.map((v, s) => v + 2 * sd[s]!) },
      });
    }
    plot = linePlot(series, { title: `${r.method}, ${r.paths} paths`, xLabel: "t" });
  } else if (r.histogram) {
    const h = r.histogram, width = h.bins + 2;
    const hists: HistogramData[] = [];
    for (let a = 0; a < shown; a++) {
      const lo = h.lower[a]!, hi = h.upper[a]!;
      hists.push({
        counts: h.counts.subarray(a * width + 1, a * width + 1 + h.bins),
        edges: Float64Array.from({ length: h.bins + 1 }, (_, b) => lo + (b * (hi - lo)) / h.bins),
        label: componentName(a, d),
        color: PALETTE[a % PALETTE.length]!,
      });
    }
    plot = histogramPlot(hists, { title: `t = ${num(r.t[0]!)}, ${r.paths} paths`, xLabel: "x" });
  } else if (r.final.length > 0) {
    const hists: HistogramData[] = [];
    for (let a = 0; a < shown; a++) {
      const v = Float64Array.from({ length: r.paths }, (_, i) => r.final[i * d + a]!);
      hists.push(binValues(v, componentName(a, d), PALETTE[a % PALETTE.length]!));
    }
    plot = histogramPlot(hists, { title: `t = ${num(r.t[0]!)}, ${r.paths} paths`, xLabel: "x" });
  } else {
    const m = r.mean.subarray(0, shown);
    const sd = Float64Array.from({ length: shown }, (_, a) => Math.sqrt(r.variance[a]!));
    plot = linePlot({
      x: Float64Array.from({ length: shown }, (_, a) => a + 1),
      y: m,
      markers: true,
      label: "mean ± 2 sd",
      band: { lower: m.map((v, a) => v - 2 * sd[a]!), upper: m.map((v, a) => v + 2 * sd[a]!) },
    }, { title: `t = ${num(r.t[0]!)}`, xLabel: "component" });
  }
  const caption = `SDE ensemble: ${r.method}, ${r.paths} paths, d = ${d}, ${
    plural(r.steps, "step")
  } to t = ${num(r.t[S - 1]!)} (${r.backend}, ${r.precision})`;
  return bundle(
    `EnsembleResult: ${r.method}, ${r.paths} paths, d = ${d}, ${plural(S, "save")}`,
    caption,
    [htmlTable(header, rows)],
    plot,
  );
}

// ---------------------------------------------------------------------------------------------
// SSA runs

/**
 * The display of SSA paths ({@linkcode SsaResult} of `ssaDirect` and the other
 * path methods): the counts at the save times (one path) or their means ±
 * standard errors over the paths, the firings of each reaction per path, and
 * a plot — the recorded trajectories as step paths, the paths or the mean ±
 * 2 sd over the save times, or the histogram of the final counts.
 *
 * @param r the SSA result
 * @returns its MIME bundle
 *
 * @example A birth–death run with its trajectory
 * ```ts
 * import { ssaRunBundle } from "./jupyter.ts";
 * import { ssaDirect } from "../solvers/ctmc/ssa_direct.ts";
 * import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const r = ssaDirect(builtinReactionNetwork("birth_death"), {
 *   tEnd: 20, saveTimes: [0, 10, 20], trajectory: true,
 * });
 * const b = ssaRunBundle(r);
 * assert.match(b["text/html"], /<table/);
 * assert.match(b["text/html"], /<svg /);
 * assert.match(b["text/html"], /birth/);
 * ```
 */
export function ssaRunBundle(r: SsaResult): MimeBundle {
  const P = r.paths, S = r.saveTimes.length, ns = r.species.length, nr = r.reactions.length;
  const tEnd = S > 0 ? r.saveTimes[S - 1]! : 0;
  const stat = (s: number, k: number) => {
    let sum = 0, sq = 0;
    for (let p = 0; p < P; p++) {
      const v = r.counts[(p * S + s) * ns + k]!;
      sum += v;
      sq += v * v;
    }
    const m = sum / P;
    const variance = P > 1 ? Math.max(0, (sq - P * m * m) / (P - 1)) : 0;
    return { m, sd: Math.sqrt(variance) };
  };
  const rows: Cell[][] = [];
  for (let s = 0; s < S; s++) {
    rows.push([
      r.saveTimes[s]!,
      ...r.species.map((_, k) => {
        if (P === 1) return r.counts[s * ns + k]!;
        const { m, sd } = stat(s, k);
        return pm(m, sd / Math.sqrt(P));
      }),
    ]);
  }
  const header = ["t", ...r.species.map((x) => (P === 1 ? x : `${x}: mean ± se`))];
  const firingRows: Cell[][] = r.reactions.map((name, j) => {
    let sum = 0;
    for (let p = 0; p < P; p++) sum += r.firings[p * nr + j]!;
    return [name, sum / P];
  });
  let absorbed = 0, steps = 0;
  for (let p = 0; p < P; p++) {
    if (!Number.isNaN(r.absorptionTime[p]!)) absorbed++;
    steps += r.steps[p]!;
  }
  const shown = Math.min(ns, MAX_SERIES);
  let plot: string;
  if (r.trajectories && r.trajectories.length > 0) {
    const series: LineSeries[] = [];
    const paths = Math.min(r.trajectories.length, 3);
    for (let p = 0; p < paths; p++) {
      const tr = r.trajectories[p]!;
      const jumps = tr.times.length;
      for (let k = 0; k < shown; k++) {
        const v = Float64Array.from({ length: jumps }, (_, q) => tr.states[q * ns + k]!);
        series.push({
          ...stepLine(tr.times, v, tEnd),
          color: PALETTE[k % PALETTE.length]!,
          width: p === 0 ? 1.5 : 1,
          ...(p === 0 ? { label: r.species[k]! } : { dash: true }),
        });
      }
    }
    plot = linePlot(series, {
      title: `${plural(paths, "path")} (every jump)`,
      xLabel: "t",
      yLabel: "count",
    });
  } else if (S >= 2) {
    const series: LineSeries[] = [];
    for (let k = 0; k < shown; k++) {
      const color = PALETTE[k % PALETTE.length]!;
      if (P <= 5) {
        for (let p = 0; p < P; p++) {
          series.push({
            x: r.saveTimes,
            y: Float64Array.from({ length: S }, (_, s) => r.counts[(p * S + s) * ns + k]!),
            color,
            ...(p === 0 ? { label: r.species[k]! } : {}),
          });
        }
      } else {
        const st = Array.from({ length: S }, (_, s) => stat(s, k));
        const m = st.map((x) => x.m);
        series.push({
          x: r.saveTimes,
          y: m,
          color,
          label: `${r.species[k]!}: mean ± 2 sd`,
          band: {
            lower: st.map((x) => x.m - 2 * x.sd),
            upper: st.map((x) => x.m + 2 * x.sd),
          },
        });
      }
    }
    plot = linePlot(series, { title: plural(P, "path"), xLabel: "t", yLabel: "count" });
  } else {
    const hists: HistogramData[] = [];
    for (let k = 0; k < shown; k++) {
      const v = Float64Array.from({ length: P }, (_, p) => r.counts[(p * S + S - 1) * ns + k]!);
      hists.push(binCounts(v, r.species[k]!, PALETTE[k % PALETTE.length]!));
    }
    plot = histogramPlot(hists, {
      title: `counts at t = ${num(tEnd)}, ${plural(P, "path")}`,
      xLabel: "count",
    });
  }
  const caption = `SSA: ${plural(P, "path")}, ${ns} species, ${plural(S, "save")} to t = ${
    num(tEnd)
  }; ${num(steps / P)} steps per path; ${absorbed} absorbed`;
  return bundle(
    `SsaResult: ${plural(P, "path")}, species ${r.species.join(", ")}, ${plural(S, "save time")}`,
    caption,
    [htmlTable(header, rows), htmlTable(["reaction", "firings per path"], firingRows)],
    plot,
  );
}

// ---------------------------------------------------------------------------------------------
// SSA ensembles

/**
 * The display of an SSA ensemble ({@linkcode SsaEnsembleResult} of
 * `ssaEnsemble`): mean ± standard error and variance ± standard error of
 * every species at every save time, and a plot — the means with mean ± 2 sd
 * bands over the save times, and the histogram of the chosen species at the
 * last save time when one was kept.
 *
 * @param r the SSA ensemble result
 * @returns its MIME bundle
 *
 * @example Birth–death with a histogram
 * ```ts
 * import { ssaEnsembleBundle } from "./jupyter.ts";
 * import { ssaEnsemble } from "../solvers/ctmc/ssa_ensemble.ts";
 * import { CpuBackend } from "../kernels/cpu_backend.ts";
 * import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const r = await ssaEnsemble(builtinReactionNetwork("birth_death"), {
 *   backend: new CpuBackend(), tEnd: 10, saveTimes: [5, 10], paths: 200, workers: 1,
 *   histogram: { species: "X", bins: 120 },
 * });
 * const b = ssaEnsembleBundle(r);
 * assert.equal(b["text/html"].match(/<tr>/g)!.length, 1 + 2);
 * assert.equal(b["text/html"].match(/<svg /g)!.length >= 1, true);
 * ```
 */
export function ssaEnsembleBundle(r: SsaEnsembleResult): MimeBundle {
  const S = r.saveTimes.length, ns = r.species.length;
  const rows: Cell[][] = [];
  for (let s = 0; s < S; s++) {
    for (let k = 0; k < ns; k++) {
      const i = s * ns + k;
      rows.push([
        r.saveTimes[s]!,
        r.species[k]!,
        pm(r.mean[i]!, r.meanSe[i]!),
        Math.sqrt(r.variance[i]!),
        pm(r.variance[i]!, r.varianceSe[i]!),
      ]);
    }
  }
  const header = ["t", "species", "mean ± se", "sd", "variance ± se"];
  const shown = Math.min(ns, MAX_SERIES);
  const panels: string[] = [];
  if (S >= 2) {
    const series: LineSeries[] = [];
    for (let k = 0; k < shown; k++) {
      const m = Float64Array.from({ length: S }, (_, s) => r.mean[s * ns + k]!);
      const sd = Float64Array.from({ length: S }, (_, s) => Math.sqrt(r.variance[s * ns + k]!));
      series.push({
        x: r.saveTimes,
        y: m,
        label: `${r.species[k]!}: mean ± 2 sd`,
        color: PALETTE[k % PALETTE.length]!,
        band: { lower: m.map((v, s) => v - 2 * sd[s]!), upper: m.map((v, s) => v + 2 * sd[s]!) },
      });
    }
    panels.push(linePlot(series, { title: "moments", xLabel: "t", yLabel: "count" }));
  }
  if (r.histogram) {
    const h = r.histogram, bins = h.edges.length - 1;
    panels.push(histogramPlot({
      counts: h.counts.subarray((S - 1) * bins, S * bins),
      edges: h.edges,
      label: h.species,
    }, {
      title: `${h.species} at t = ${num(r.saveTimes[S - 1]!)}`,
      xLabel: "count",
      normalize: "probability",
    }));
  }
  if (panels.length === 0) {
    const m = r.mean.subarray((S - 1) * ns, (S - 1) * ns + shown);
    panels.push(linePlot({
      x: Float64Array.from({ length: shown }, (_, k) => k + 1),
      y: m,
      markers: true,
      label: "mean",
    }, { title: `t = ${num(r.saveTimes[S - 1]!)}`, xLabel: "species (index)" }));
  }
  const plot = panels.length === 1 ? panels[0]! : panelGrid(panels, { cols: 2 });
  const caption = `SSA ensemble: ${r.paths} paths (${r.backend}${
    r.workers > 0 ? `, ${plural(r.workers, "worker")}` : ""
  }), ${pm(r.meanFirings, r.meanFiringsSe)} firings per path, ${r.absorbed} absorbed`;
  return bundle(
    `SsaEnsembleResult: ${r.paths} paths, species ${r.species.join(", ")}, ${
      plural(S, "save time")
    }`,
    caption,
    [htmlTable(header, rows)],
    plot,
  );
}

// ---------------------------------------------------------------------------------------------
// sample sets

/** A batch of samples (n points × dim, point-major) with what made them. */
export interface SampleSet {
  /** The samples, n × dim, point-major. */
  points: Float64Array | Float32Array;
  /** Dimension of each point. */
  dim: number;
  /** Number of points. */
  n: number;
  /** The sampler or method that made them. */
  method?: string;
  /** Model evaluations per point. */
  nfe?: number;
  /** Wall time in seconds. */
  seconds?: number;
  /** Image shape of a point (`[c, h, w]` or `[h, w]`): the plot is an image grid. */
  imageShape?: readonly number[];
  /** Reference points (m × dim), drawn behind the samples, e.g. the data. */
  reference?: Float64Array | Float32Array;
}

/** Options of {@linkcode sampleSet}. */
export type SampleSetOptions = Omit<SampleSet, "points" | "n" | "dim"> & {
  /** Dimension of each point (default 2). */
  dim?: number;
};

/**
 * Wraps samples from a diffusion sampler (a downloaded batch, n × dim) as a
 * {@linkcode SampleSet} that displays itself: per-coordinate mean, sd, min
 * and max, the method and NFE, and a scatter plot of the first two
 * coordinates over the reference (2-D and more), a histogram (1-D) or an
 * image grid (`imageShape`).
 *
 * @param points the samples, n × dim, point-major
 * @param options dim (default 2), method, nfe, seconds, imageShape, reference
 * @returns the displayable sample set
 * @throws {SdenoTypeError} when points is not a typed array, its length is not
 *   a positive multiple of dim, imageShape does not multiply to dim, or the
 *   reference's length is not a multiple of dim
 *
 * @example Samples of a 2-D model
 * ```ts
 * import { mimeBundleOf, sampleSet } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const s = sampleSet(new Float64Array([0, 1, 2, 3, 4, 5]), { method: "euler", nfe: 10 });
 * assert.equal(s.n, 3);
 * const b = await mimeBundleOf(s);
 * assert.match(b["text/html"], /<circle/);
 * assert.throws(() => sampleSet(new Float64Array(5)), TypeError);
 * ```
 */
export function sampleSet(
  points: Float64Array | Float32Array,
  options: SampleSetOptions = {},
): SampleSet {
  const what = "Cannot make a sample set";
  if (!(points instanceof Float64Array || points instanceof Float32Array)) {
    throw new SdenoTypeError(
      `${what}: points must be a Float64Array or Float32Array, got ${quote(points)}`,
    );
  }
  const dim = options.dim ?? 2;
  if (!Number.isInteger(dim) || dim < 1) {
    throw new SdenoTypeError(`${what}: dim must be a positive integer, got ${quote(dim)}`);
  }
  if (points.length === 0 || points.length % dim !== 0) {
    throw new SdenoTypeError(
      `${what}: points must hold a positive multiple of dim = ${dim} values, got length ${points.length}`,
    );
  }
  if (options.imageShape !== undefined) {
    const size = options.imageShape.reduce((a, b) => a * b, 1);
    if (size !== dim || options.imageShape.length < 2 || options.imageShape.length > 3) {
      throw new SdenoTypeError(
        `${what}: imageShape must be [c, h, w] or [h, w] with dim = ${dim} values, got ${
          quote(options.imageShape)
        }`,
      );
    }
  }
  const ref = options.reference;
  if (
    ref !== undefined &&
    (!(ref instanceof Float64Array || ref instanceof Float32Array) || ref.length % dim !== 0)
  ) {
    throw new SdenoTypeError(
      `${what}: reference must be a typed array of m × dim = ${dim} values, got ${quote(ref)}`,
    );
  }
  const set: SampleSet = { ...options, points, dim, n: points.length / dim };
  return attachDisplay(set, sampleSetBundle);
}

/**
 * The display of a {@linkcode SampleSet}: see {@linkcode sampleSet}.
 *
 * @param s the sample set
 * @returns its MIME bundle
 *
 * @example 1-D samples give a histogram
 * ```ts
 * import { sampleSet, sampleSetBundle } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const b = sampleSetBundle(sampleSet(Float64Array.from([0.1, 0.5, 0.7, 1.2]), { dim: 1 }));
 * assert.match(b["text/html"], /<table/);
 * assert.match(b["text/plain"], /4 points/);
 * ```
 */
export function sampleSetBundle(s: SampleSet): MimeBundle {
  const { dim, n, points } = s;
  const rows: Cell[][] = [];
  for (let c = 0; c < Math.min(dim, 8); c++) {
    let sum = 0, sq = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = points[i * dim + c]!;
      sum += v;
      sq += v * v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const m = sum / n;
    const sd = n > 1 ? Math.sqrt(Math.max(0, (sq - n * m * m) / (n - 1))) : NaN;
    rows.push([componentName(c, dim), m, sd, lo, hi]);
  }
  const facts: string[] = [`${n} points`, `d = ${dim}`];
  if (s.nfe !== undefined) facts.push(`NFE ${s.nfe}`);
  if (s.seconds !== undefined) facts.push(`${num(s.seconds)} s`);
  const name = s.method ?? "samples";
  let plot: string;
  if (s.imageShape) {
    const count = Math.min(n, 64);
    plot = imageGrid({
      data: points.subarray(0, count * dim),
      shape: [count, ...s.imageShape],
    }, { title: name });
  } else if (dim === 1) {
    const hists = [binValues(points, name, PALETTE[0])];
    if (s.reference) hists.unshift(binValues(s.reference, "reference", "#999999"));
    plot = histogramPlot(hists, { title: name, normalize: "density", xLabel: "x" });
  } else {
    const series: ScatterSeries[] = [];
    if (s.reference) {
      series.push({ points: s.reference, dim, label: "reference", color: "#b0b0b0" });
    }
    series.push({ points, dim, label: name, color: PALETTE[0]! });
    plot = scatterPlot(series, {
      title: name,
      xLabel: "x1",
      yLabel: "x2",
    });
  }
  return bundle(
    `SampleSet: ${name}, ${facts.join(", ")}`,
    `${name}: ${facts.join(", ")}`,
    [htmlTable(["coordinate", "mean", "sd", "min", "max"], rows)],
    plot,
  );
}

// ---------------------------------------------------------------------------------------------
// guidance posteriors

/** Options of {@linkcode displayGuidance}: how to read the samples. */
export interface DisplayGuidanceOptions {
  /** Dimension of each sample. */
  dim: number;
  /** The method's name. */
  method?: string;
  /** Image shape of a sample, for an image grid. */
  imageShape?: readonly number[];
  /** Reference points (m × dim), e.g. exact posterior samples or the ground truth. */
  reference?: Float64Array | Float32Array;
}

/**
 * Makes a guidance posterior ({@linkcode GuidanceResult}) display itself: its
 * samples as a {@linkcode sampleSet} (table, scatter / histogram / image
 * grid), and for SMC methods the effective sample size after each step.
 *
 * @param result the guidance result (its samples are `samples × dim`)
 * @param options dim, method, imageShape, reference
 * @returns the same result, displayable
 * @throws {SdenoTypeError} for a result without Float64Array samples, a missing dim, and as
 *   {@linkcode sampleSet}
 *
 * @example An SMC result with an ESS trace
 * ```ts
 * import { displayGuidance, mimeBundleOf } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const r = displayGuidance({
 *   samples: new Float64Array([0, 1, 1, 0]), nfe: 10, ess: [Float64Array.from([2, 1.5, 2])],
 * }, { dim: 2, method: "tds" });
 * const b = await mimeBundleOf(r);
 * assert.match(b["text/html"], /ESS/);
 * ```
 */
export function displayGuidance<R extends GuidanceResult>(
  result: R,
  options: DisplayGuidanceOptions,
): R {
  const what = "Cannot display the guidance result";
  if (result === null || typeof result !== "object" || !(result.samples instanceof Float64Array)) {
    throw new SdenoTypeError(
      `${what}: result must be a GuidanceResult with Float64Array samples, got ${quote(result)}`,
    );
  }
  if (options === null || typeof options !== "object" || !Number.isInteger(options.dim)) {
    throw new SdenoTypeError(
      `${what}: options.dim must be the samples' dimension, got ${quote(options?.dim)}`,
    );
  }
  const set = sampleSet(result.samples, {
    dim: options.dim,
    nfe: result.nfe,
    method: options.method ?? "posterior",
    ...(options.imageShape ? { imageShape: options.imageShape } : {}),
    ...(options.reference ? { reference: options.reference } : {}),
  });
  return attachDisplay(result, (r) => guidanceBundle(r, set));
}

function guidanceBundle(r: GuidanceResult, set: SampleSet): MimeBundle {
  const base = sampleSetBundle(set);
  if (!r.ess || r.ess.length === 0) return base;
  const series: LineSeries[] = r.ess.slice(0, MAX_SERIES).map((e, k) => ({
    y: e,
    color: PALETTE[k % PALETTE.length]!,
    ...(k === 0 ? { label: "ESS" } : {}),
  }));
  const rows: Cell[][] = r.ess.map((e, k) => {
    let lo = Infinity;
    for (const v of e) lo = Math.min(lo, v);
    return [k, e[e.length - 1] ?? NaN, lo, r.resampledAt?.[k]?.length ?? 0];
  });
  const ess = htmlTable(["system", "final ESS", "min ESS", "resamplings"], rows);
  const plot = linePlot(series, { title: "effective sample size", xLabel: "step" });
  return {
    "text/plain": `${base["text/plain"]}, ${plural(r.ess.length, "particle system")}`,
    "text/html": `${base["text/html"]}<div style="display:flex;gap:16px">${ess}${plot}</div>`,
  };
}

// ---------------------------------------------------------------------------------------------
// tables and dispatch

/** Options of {@linkcode displayTable}. */
export interface DisplayTableOptions {
  /** A caption above the table. */
  caption?: string;
}

/** Rows that display themselves as an HTML table; see {@linkcode displayTable}. */
export interface DisplayedTable {
  /** The rows. */
  rows: readonly Readonly<Record<string, string | number>>[];
  /** The column names: every key of the rows, in order of appearance. */
  columns: string[];
}

/**
 * Rows of numbers (one record per row) that display as an HTML table, such
 * as a comparison of samplers by NFE, distance and time.
 *
 * @param rows one record per row; columns are the keys, in order of appearance
 * @param options caption
 * @returns the displayable table
 * @throws {SdenoTypeError} when rows is not an array of objects
 *
 * @example Two samplers
 * ```ts
 * import { displayTable } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * const t = displayTable([{ solver: "euler", sw2: 0.07 }, { solver: "heun", sw2: 0.05, nfe: 39 }]);
 * assert.deepEqual(t.columns, ["solver", "sw2", "nfe"]);
 * assert.throws(() => displayTable([1 as unknown as Record<string, number>]), TypeError);
 * ```
 */
export function displayTable(
  rows: readonly Readonly<Record<string, string | number>>[],
  options: DisplayTableOptions = {},
): DisplayedTable {
  if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== "object")) {
    throw new SdenoTypeError(
      `Cannot display a table: rows must be an array of objects, got ${quote(rows)}`,
    );
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const caption = options.caption ?? "";
  return attachDisplay({ rows, columns }, (t) => ({
    "text/plain": `${caption ? caption + ": " : ""}${plural(t.rows.length, "row")} × ${
      t.columns.join(", ")
    }`,
    "text/html": (caption ? `<p><b>${escapeHtml(caption)}</b></p>` : "") +
      htmlTable(t.columns, t.rows.map((r) => t.columns.map((c) => r[c] ?? ""))),
  }));
}

/**
 * The MIME bundle of a result, by its shape: an SDE ensemble
 * ({@linkcode ensembleBundle}), an SSA ensemble ({@linkcode ssaEnsembleBundle}),
 * SSA paths ({@linkcode ssaRunBundle}) or a {@linkcode SampleSet}.
 *
 * @param result one of those results
 * @returns its MIME bundle
 * @throws {SdenoTypeError} for anything else
 *
 * @example
 * ```ts
 * import { displayBundle, sampleSet } from "./jupyter.ts";
 * import assert from "node:assert/strict";
 * assert.match(displayBundle(sampleSet(new Float64Array(4)))["text/plain"], /^SampleSet/);
 * assert.throws(() => displayBundle({ a: 1 }), TypeError);
 * ```
 */
export function displayBundle(result: unknown): MimeBundle {
  const render = rendererOf(result);
  if (render === undefined) {
    throw new SdenoTypeError(
      `Cannot display: expected an SDE ensemble, an SSA result or ensemble, or a sample set, got ${
        quote(result)
      }`,
    );
  }
  return render(result);
}

/** The bundle builder for a result's shape, or undefined. */
function rendererOf(result: unknown): ((r: unknown) => MimeBundle) | undefined {
  if (result === null || typeof result !== "object") return undefined;
  const o = result as Record<string, unknown>;
  if ("meanSe" in o && "covariance" in o && "dim" in o) {
    return (r) => ensembleBundle(r as EnsembleResult);
  }
  if ("species" in o && "sumSq" in o && "saveTimes" in o) {
    return (r) => ssaEnsembleBundle(r as SsaEnsembleResult);
  }
  if ("species" in o && "reactions" in o && "firings" in o && "counts" in o) {
    return (r) => ssaRunBundle(r as SsaResult);
  }
  if ("points" in o && "dim" in o && "n" in o) return (r) => sampleSetBundle(r as SampleSet);
  return undefined;
}

/**
 * Makes an SDE ensemble, SSA result, SSA ensemble or sample set display
 * itself in Jupyter (for results of methods that do not attach the display
 * themselves, such as tau-leaping or the next-reaction method).
 *
 * @param result the result
 * @returns the same object, displayable
 * @throws {SdenoTypeError} for anything else (checked now, not at display)
 *
 * @example
 * ```ts
 * import { displayable, JUPYTER_DISPLAY } from "./jupyter.ts";
 * import { tauLeaping } from "../solvers/ctmc/tau_leaping.ts";
 * import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const r = displayable(tauLeaping(builtinReactionNetwork("birth_death"), { tEnd: 5, paths: 20 }));
 * assert.equal(JUPYTER_DISPLAY in r, true);
 * ```
 */
export function displayable<T extends object>(result: T): T {
  const render = rendererOf(result);
  if (render === undefined) displayBundle(result); // throws the typed error
  return attachDisplay(result, render!);
}
