/**
 * Draws standard normals with the Philox generator on a chosen backend,
 * prints the moment errors with their standard errors and a timing, and
 * writes a histogram against the exact density (SVG) and the draws (.npy).
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/normals.ts --n 1000000 --backend auto --out out/normals
 * ```
 *
 * Permissions: read and write access to the output folder only (`--out`);
 * with `--png`, also `--allow-read` on Deno's npm cache (resvg's `.wasm`;
 * `deno info` prints the folder) and on `/usr/share/fonts` (the font).
 * Outputs, in `--out`: `histogram.svg`, `normals.npy`, `moments.json` with
 * `--json`, and `histogram.png` with `--png`.
 * Draw `e` is the Philox normal of element `e` at (seed, stream 0, step 0):
 * the numbers do not depend on the backend (beyond f32 rounding) or the chunk size.
 *
 * @module
 */

import { type Backend, type BackendName, makeKey, withBackend } from "../kernels/mod.ts";
import { histogram, moments, zScore } from "../stats/mod.ts";
import {
  checkOutDir,
  checkPng,
  encodeNpy,
  histogramPlot,
  Progress,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";

const SPEC = {
  name: "scripts/normals.ts",
  description: "Draw N(0, 1) samples with Philox on cpu or webgpu; check their moments; plot them.",
  flags: {
    n: { type: "integer", default: 1_000_000, min: 1, description: "number of normals" },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "auto",
      description: "where to draw them",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    bins: { type: "integer", default: 80, min: 1, description: "histogram bins on [-5, 5]" },
    out: { type: "string", default: "out/normals", description: "output folder" },
    json: { type: "boolean", description: "also write moments.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

const CHUNK = 1 << 22;

/** Draws n normals in chunks (same numbers for any chunk size), with progress. */
async function draw(backend: Backend, n: number, seed: number): Promise<Float64Array> {
  const key = makeKey(seed, 0);
  const out = new Float64Array(n);
  const progress = new Progress(n, { label: `normals on ${backend.name}` });
  const buf = backend.zeros(Math.min(n, CHUNK));
  for (let start = 0; start < n; start += CHUNK) {
    const len = Math.min(CHUNK, n - start);
    const chunk = len === buf.length ? buf : backend.zeros(len);
    await backend.fillNormal(chunk, key, { offset: start });
    out.set(await backend.download(chunk), start);
    if (chunk !== buf) backend.release(chunk);
    progress.tick(len);
  }
  backend.release(buf);
  progress.finish();
  return out;
}

/** One row of the moment table: estimate, exact value, standard error and z (null: undefined). */
interface MomentRow {
  name: string;
  estimate: number;
  exact: number;
  standardError: number | null;
  z: number | null;
}

/**
 * Prints the moment table and returns its rows. The moments need 2 draws; a
 * row with too few draws for its statistic to vary (or a standard error that
 * is 0 or not finite) gets no standard error and no z.
 */
function momentReport(z: Float64Array): MomentRow[] {
  if (z.length < 2) {
    console.log("moments: need at least 2 draws; none computed");
    return [];
  }
  const m = moments(z);
  // [name, estimate, exact, standard error, fewest draws for which the statistic varies]:
  // the skewness of 2 draws is always 0 and the excess kurtosis of 3 always -1.5.
  const rows: Array<[string, number, number, number, number]> = [
    ["mean", m.mean, 0, m.se.mean, 2],
    ["variance", m.variance, 1, m.se.variance, 3],
    ["skewness", m.skewness, 0, m.se.skewness, 3],
    ["excess kurtosis", m.excessKurtosis, 0, m.se.excessKurtosis, 4],
  ];
  console.log("moment            estimate      exact   std.err        z");
  return rows.map(([name, estimate, exact, se, fewest]) => {
    const ok = z.length >= fewest && Number.isFinite(se) && se > 0;
    const zs = ok ? zScore(estimate, exact, { standardError: se }) : null;
    const cell = (x: number | null, f: (x: number) => string) => x === null ? "n/a" : f(x);
    console.log(
      `${name.padEnd(16)} ${estimate.toFixed(6).padStart(10)} ${exact.toFixed(1).padStart(10)} ${
        cell(ok ? se : null, (x) => x.toExponential(2)).padStart(9)
      } ${cell(zs, (x) => x.toFixed(2)).padStart(8)}`,
    );
    return { name, estimate, exact, standardError: ok ? se : null, z: zs };
  });
}

/** The files a run may write into --out. */
const OUTPUTS = ["histogram.svg", "normals.npy", "moments.json"];

async function main({ values }: { values: Record<string, unknown> }) {
  const n = values.n as number;
  const seed = values.seed as number;
  const outDir = values.out as string;
  const bins = values.bins as number;
  const png = values.png as boolean;
  await checkOutDir(outDir, { outputs: withPngTwins(OUTPUTS) });
  if (png) await checkPng();

  let backendName = "";
  let description = "";
  let seconds = 0;
  const z = await withBackend(values.backend as BackendName, async (backend) => {
    backendName = backend.name;
    description = backend.description;
    const t0 = performance.now();
    const z = await draw(backend, n, seed);
    seconds = (performance.now() - t0) / 1000;
    return z;
  });

  console.log(`${n} normals on ${backendName} (${description}), seed ${seed}`);
  console.log(
    `time ${seconds.toFixed(3)} s (${(n / seconds).toExponential(3)} normals/s, incl. download)\n`,
  );
  const report = momentReport(z);
  const h = histogram(z, { bins, min: -5, max: 5 });
  const svg = histogramPlot(
    { counts: h.counts, edges: h.edges, label: `${n} draws (${backendName})` },
    {
      title: `Philox normals vs N(0, 1), seed ${seed}`,
      xLabel: "z",
      yLabel: "density",
      normalize: "density",
      curve: {
        f: (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI),
        label: "exact density",
      },
    },
  );
  const files: Array<[string, Uint8Array | string]> = [
    ["histogram.svg", svg],
    ["normals.npy", encodeNpy({ data: z, shape: [n] })],
  ];
  if (values.json) {
    const json = { n, seed, backend: backendName, seconds, moments: report };
    files.push(["moments.json", JSON.stringify(json, null, 2) + "\n"]);
  }
  // one unit: staged, renamed in together; an earlier run's moments.json goes if not written
  await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
  console.log(
    `\nwrote ${outDir}/histogram.svg${png ? `, ${outDir}/histogram.png` : ""}, ` +
      `${outDir}/normals.npy${values.json ? `, ${outDir}/moments.json` : ""}`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
