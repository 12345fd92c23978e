/**
 * Simulates a reaction network with an exact or approximate stochastic
 * simulation algorithm, prints the means and variances of every species at
 * the save times with their standard errors, and writes sample paths and
 * histograms (SVG) and the results (.npy, and JSON with `--json`).
 *
 * ```sh
 * deno run --allow-read=out,kernels,processes,solvers --allow-write=out scripts/ssa.ts --network schlogl --method ensemble --paths 100000 --t-end 5 --out out/ssa
 * deno run --allow-read=net.txt,out --allow-write=out scripts/ssa.ts --network net.txt --method direct
 * deno run --allow-read=model.xml,out --allow-write=out scripts/ssa.ts --sbml model.xml --method direct
 * ```
 *
 * Permissions: `--allow-write=<out>` and `--allow-read=<out>` (the atomic
 * writes), plus `--allow-read=<file>` when `--network` names a file (a
 * `.json` file in the `crn_models.json` form, a `.xml` or `.sbml` file in
 * SBML Level 3 core, or any other file in the text form `2 A -> B @ 0.5`),
 * and `--allow-read=<file>` for `--sbml <file>` (SBML Level 3 core, whatever
 * its name); a built-in name needs nothing more. The ensemble
 * on cpu runs its paths on Web Workers when it may read this package's
 * `kernels`, `processes` and `solvers` folders
 * (`--allow-read=out,kernels,processes,solvers` from a checkout), and in one
 * thread otherwise. The webgpu backend needs no permission. With `--png`,
 * also `--allow-read` on Deno's npm cache (resvg's `.wasm`; `deno info`
 * prints the folder) and on `/usr/share/fonts` (the font).
 *
 * Progress goes to stderr from the start (a line at once; in a log, a line
 * per 10 % and at least every 10 s). `--out` is checked before any work
 * (permission, a folder, no folder where an output goes), and so is the
 * memory a per-path method needs; outputs are written as one unit (staged,
 * then renamed into place), and those of an earlier run that this one does
 * not write are removed.
 *
 * Outputs in `--out`: `paths.svg` (up to 5 sample paths by the direct
 * method), `histograms.svg` (the `--species` counts at each save time),
 * `moments.npy` (shape [2, saves, species]: means, then variances),
 * `counts.npy` (paths × saves × species; not for `ensemble`, which keeps no
 * per-path data), `moments.json` with `--json`, and with `--png`
 * `paths.png` and `histograms.png` beside the SVGs. The methods are those of
 * `SSA_METHODS` (solvers/ctmc/registry.ts), by name or alias; `--help` lists
 * them. A bad flag, an unknown built-in name or a malformed network file
 * exits with 2 and the usage.
 *
 * Blocks and shards (`--method ensemble`): the paths run in fixed blocks of
 * `--block-paths` (default 65536) whose exact integer sums (Σx, Σx²,
 * histogram counts, firings) are added in block order. With `--shard i/N`,
 * or in a Slurm job array (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`,
 * `SLURM_ARRAY_TASK_MIN`) or a Kubernetes Indexed Job
 * (`JOB_COMPLETION_INDEX` with `--shard-count N` or `SDENO_SHARD_COUNT`),
 * the run does only shard i's blocks and writes `partial-i-of-N.json` in
 * `--out`; `scripts/merge.ts` turns the N partials into the outputs above,
 * the same bytes as one unsharded run. Reading the variables needs
 * `--allow-env=SLURM_ARRAY_TASK_ID,SLURM_ARRAY_TASK_COUNT,SLURM_ARRAY_TASK_MIN,SLURM_ARRAY_TASK_STEP,JOB_COMPLETION_INDEX,SDENO_SHARD_COUNT`
 * (without it they are not read, and only `--shard` shards). A partial
 * records the network file's SHA-256, so shards of different files do not
 * merge. See examples/shards/.
 *
 * @module
 */

import {
  type Backend,
  type BackendName,
  makeKey,
  SdenoError,
  withBackend,
} from "../kernels/mod.ts";
import type { ReactionNetwork } from "../processes/reaction_network.ts";
import { parseReactionNetwork } from "../processes/reaction_network_parse.ts";
import { reactionNetworkFromJson } from "../processes/reaction_network_json.ts";
import { parseSbml } from "../io/sbml.ts";
import {
  BUILTIN_REACTION_NETWORKS,
  builtinReactionNetwork,
} from "../processes/reaction_network_library.ts";
import { ssaDirect } from "../solvers/ctmc/ssa_direct.ts";
import { closeSsaEnsembleWorkers } from "../solvers/ctmc/ssa_ensemble.ts";
import type { SsaOptions } from "../solvers/ctmc/_ssa_common.ts";
import {
  isSsaPathMethod,
  SSA_METHODS,
  type SsaEnsembleMethod,
  type SsaMethod,
  type SsaPathMethod,
} from "../solvers/ctmc/registry.ts";
import { histogram as histogramOf, moments } from "../stats/mod.ts";
import {
  checkPng,
  CliUsageError,
  Progress,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";
import { type Shard, shardBlocks, shardFromFlags } from "../io/shard.ts";
import {
  blockCountOf,
  type JsonValue,
  makePartial,
  mergePartials,
  type PartialResult,
  sha256Hex,
  writeShardPartial,
} from "../io/partial.ts";
import {
  SSA_OUTPUTS,
  ssaOutputs,
  ssaReport,
  type SsaShared,
  type SsaSummary,
} from "./_ssa_outputs.ts";

/** The methods of the registry, one line each, for `--help`. */
const METHOD_LINES = SSA_METHODS.methods.map((m) => {
  const i = m.info;
  const names = i.aliases.length > 0 ? `${i.name} (${i.aliases.join(", ")})` : i.name;
  const on = i.backends.map((b) => `${b} ${i.precision[b]}`).join(", ");
  return `  ${names}: ${i.summary} [${on}]`;
}).join("\n");

const SPEC = {
  name: "scripts/ssa.ts",
  description: `Simulate a reaction network (built-in: ${BUILTIN_REACTION_NETWORKS.join(", ")}; ` +
    "or a .json / text file) and report moments with standard errors.\n\n" +
    `Methods (--method, by name or alias):\n${METHOD_LINES}`,
  flags: {
    network: { type: "string", default: "birth_death", description: "built-in name or file" },
    sbml: { type: "string", description: "SBML Level 3 file (instead of --network)" },
    model: { type: "string", description: "model name inside a JSON file with several" },
    method: {
      type: "string",
      default: "direct",
      description: "simulation method, a name or alias from the list above",
    },
    paths: { type: "integer", default: 1000, min: 1, max: 0xffffffff, description: "paths" },
    tEnd: { type: "number", default: 10, description: "end time (> 0)" },
    saveTimes: {
      type: "string",
      description: "comma-separated save times in [0, t-end] (default: 5 evenly spaced)",
    },
    species: { type: "string", description: "species to histogram (default: the first)" },
    bins: { type: "integer", default: 40, min: 1, max: 1 << 20, description: "histogram bins" },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "auto",
      description: "backend of the ensemble method",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    out: { type: "string", default: "out/ssa", description: "output folder" },
    json: { type: "boolean", description: "also write moments.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
    blockPaths: {
      type: "integer",
      default: 65536,
      min: 1,
      max: 0xffffffff,
      description: "ensemble paths per block: sums are added block by block in block order, " +
        "so shards merge to the same bits (part of the run)",
    },
    shard: {
      type: "string",
      description: "ensemble only: run shard i of N (whole blocks) and write " +
        "partial-i-of-N.json (default: SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX when set)",
    },
    shardCount: {
      type: "integer",
      min: 1,
      description: "the shard count with JOB_COMPLETION_INDEX (or SDENO_SHARD_COUNT)",
    },
  },
} as const;

/** A file-system error (not found, no permission, a directory, …) as one line, else undefined. */
function fsMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (!Object.values(Deno.errors).some((E) => err instanceof E)) return undefined;
  if (err instanceof Deno.errors.NotFound) return "no such file or folder";
  if (err instanceof Deno.errors.IsADirectory) return "is a folder, not a file";
  return err.message.split("\n")[0]!;
}

/**
 * The network of `--network` (a built-in name or a file) or of `--sbml` (an
 * SBML file); `.xml` and `.sbml` files are read as SBML either way.
 */
async function loadNetwork(
  name: string,
  model: string | undefined,
  flag: "--network" | "--sbml",
): Promise<ReactionNetwork> {
  try {
    if (flag === "--network" && BUILTIN_REACTION_NETWORKS.includes(name)) {
      return builtinReactionNetwork(name);
    }
    if (flag === "--network" && !/[./\\]/.test(name)) return builtinReactionNetwork(name); // throws
    let text: string;
    try {
      text = await Deno.readTextFile(name);
    } catch (err) {
      const why = fsMessage(err);
      if (why === undefined) throw err;
      throw new CliUsageError(`${flag} ${JSON.stringify(name)}: cannot read it: ${why}`, {
        flag,
      });
    }
    if (flag === "--sbml" || /\.(xml|sbml)$/i.test(name)) return parseSbml(text); // named by the model's id
    return name.endsWith(".json")
      ? reactionNetworkFromJson(text, model === undefined ? {} : { model })
      : parseReactionNetwork(text, { name });
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    if (err instanceof SdenoError || err instanceof SyntaxError || err instanceof RangeError) {
      throw new CliUsageError(`${flag} ${JSON.stringify(name)}: ${(err as Error).message}`, {
        flag,
      });
    }
    throw err;
  }
}

/** Per-path methods keep every path's counts; beyond this many bytes, refuse before any work. */
const MAX_COUNTS_BYTES = 2 ** 31;

/**
 * Progress on stderr from the start: a first line at once, then the bar on a
 * terminal; in a log, a line per 10 % and at least every 10 s.
 */
class ScriptProgress {
  #p: Progress;
  #total: number;
  #label: string;
  #t0 = performance.now();
  #last = performance.now();
  #terminal: boolean;

  constructor(total: number, label: string) {
    this.#total = total;
    this.#label = label;
    this.#terminal = Deno.stderr.isTerminal();
    this.#p = new Progress(total, { label, unit: "paths", isTerminal: this.#terminal });
    if (!this.#terminal) this.#line(0, "started");
  }

  update(done: number): void {
    if (done <= this.#p.done) return;
    this.#p.update(done);
    const now = performance.now();
    if (!this.#terminal && now - this.#last >= 10_000 && done < this.#total) this.#line(done, "");
  }

  finish(): void {
    this.#p.finish();
  }

  #line(done: number, note: string): void {
    this.#last = performance.now();
    const s = Math.round((this.#last - this.#t0) / 1000);
    const pct = Math.floor((100 * done) / this.#total);
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `${this.#label}: ${pct}% (${done}/${this.#total}) ${Math.floor(s / 60)}:${
          String(s % 60).padStart(2, "0")
        } elapsed${note ? `, ${note}` : ""}\n`,
      ),
    );
  }
}

/** The files a run writes into --out; those of them not written are removed (stale). */
const OUTPUTS = SSA_OUTPUTS;

/** The tail of the "wrote" line for --png. */
const pngNote = (png: boolean) => png ? " and the SVGs' PNGs" : "";

/**
 * Checks --out before any work: write and read permission, a folder (or
 * nothing) there, and no folder where an output file goes.
 */
async function checkOut(outDir: string): Promise<void> {
  for (const name of ["write", "read"] as const) {
    if (Deno.permissions.querySync({ name, path: outDir }).state !== "granted") {
      throw new CliUsageError(
        `--out ${JSON.stringify(outDir)}: no ${name} permission for it (run with ` +
          `--allow-write=${outDir} --allow-read=${outDir})`,
        { flag: "--out" },
      );
    }
  }
  const kind = async (path: string) => {
    try {
      return (await Deno.stat(path)).isDirectory ? "folder" : "file";
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "none";
      throw new CliUsageError(`--out ${JSON.stringify(outDir)}: ${fsMessage(err) ?? err}`, {
        flag: "--out",
      });
    }
  };
  const k = await kind(outDir);
  if (k === "file") {
    throw new CliUsageError(
      `--out ${JSON.stringify(outDir)} is a file; it must be a folder (or not exist yet)`,
      { flag: "--out" },
    );
  }
  if (k === "none") return;
  for (const name of withPngTwins(OUTPUTS)) {
    if ((await kind(`${outDir}/${name}`)) === "folder") {
      throw new CliUsageError(
        `--out ${
          JSON.stringify(outDir)
        }: ${name} there is a folder; it must be a file (or not exist)`,
        { flag: "--out" },
      );
    }
  }
}

/**
 * The ensemble's partial result for shard `shard` (0/1: the whole run): the
 * run cut into blocks of `blockSize` paths, each block's exact integer sums
 * (Σx, Σx², histogram counts, firings) and its share of the variance's
 * squared standard error, to be added in block order (io/partial.ts).
 */
async function runEnsemble(
  method: SsaEnsembleMethod,
  backend: Backend,
  net: ReactionNetwork,
  o: SsaOptions,
  run: { shard: Shard; blockSize: number; config: { [key: string]: JsonValue }; shared: SsaShared },
  species: string,
  bins: number,
): Promise<PartialResult> {
  // one pilot call fixes the histogram range: [0, 1.5 × the largest mean + 10)
  const nSave = o.saveTimes!.length, ns = net.speciesCount, cells = nSave * ns;
  const si = net.speciesIndex(species);
  const pilot = await method.run(net, {
    ...o,
    backend,
    paths: Math.min(o.paths!, 256),
    key: makeKey(o.key!.seed, 0xffffffff),
  });
  let top = 0;
  for (let s = 0; s < nSave; s++) {
    top = Math.max(top, pilot.mean[s * ns + si]! + 6 * Math.sqrt(pilot.variance[s * ns + si]!));
  }
  const width = Math.max(1, Math.ceil((top + 1) / bins));
  const paths = o.paths!;
  const own = shardBlocks(run.shard, blockCountOf(paths, run.blockSize));
  const first = own.start * run.blockSize;
  const mine = Math.max(0, Math.min(paths, own.end * run.blockSize) - first);
  const ran = new Set<string>();
  const t0 = performance.now();
  const label = `${method.info.name} on ${backend.name}${
    run.shard.count > 1 ? ` (shard ${run.shard.index}/${run.shard.count})` : ""
  }`;
  const progress = new ScriptProgress(Math.max(1, mine), label);
  run.config.backend = backend.name;
  run.shared.edges = Float64Array.from({ length: bins + 1 }, (_, b) => b * width);
  const partial = await makePartial(
    { script: "ssa", paths, blockSize: run.blockSize, config: run.config },
    run.shard,
    {
      shared: run.shared,
      block: async (_b, offset, n) => {
        const r = await method.run(net, {
          ...o,
          backend,
          paths: n,
          pathOffset: offset,
          histogram: { species, min: 0, width, bins },
          onProgress: (done) => progress.update(offset - first + done),
        });
        ran.add(r.backend);
        progress.update(offset - first + n);
        return {
          moments: {},
          sums: {
            sum: Float64Array.from(r.sum),
            sumSq: Float64Array.from(r.sumSq),
            histogram: Float64Array.from(r.histogram!.counts),
            firings: Float64Array.of(r.firings),
            // n_b²·SE_b², and the paths of blocks that have an SE (≥ 65 paths: two batches)
            varianceSeSq: Float64Array.from({ length: cells }, (_, c) => {
              const se = r.varianceSe[c]!;
              return Number.isFinite(se) ? n * n * se * se : 0;
            }),
            varianceSePaths: Float64Array.from(
              { length: cells },
              (_, c) => Number.isFinite(r.varianceSe[c]!) ? n : 0,
            ),
          },
        };
      },
    },
  );
  progress.finish();
  run.shared.backend = ran.size > 0 ? [...ran].join("+") : backend.name;
  partial.seconds = (performance.now() - t0) / 1000;
  return partial;
}

function runCpu(
  method: SsaPathMethod,
  net: ReactionNetwork,
  o: SsaOptions,
  species: string,
  bins: number,
): SsaSummary {
  const paths = o.paths!, nSave = o.saveTimes!.length, ns = net.speciesCount;
  const counts = new Float64Array(paths * nSave * ns);
  let firings = 0;
  const progress = new ScriptProgress(paths, method.info.name);
  const step = Math.max(1, Math.min(4096, Math.ceil(paths / 50)));
  for (let start = 0; start < paths; start += step) {
    const n = Math.min(step, paths - start);
    const r = method.run(net, { ...o, paths: n, pathOffset: start });
    counts.set(r.counts, start * nSave * ns);
    for (const f of r.firings) firings += f;
    progress.update(start + n);
  }
  progress.finish();
  const cells = nSave * ns;
  const mean = new Float64Array(cells), variance = new Float64Array(cells);
  const meanSe = new Float64Array(cells), varianceSe = new Float64Array(cells);
  const column = (c: number) =>
    Float64Array.from({ length: paths }, (_, p) => counts[p * cells + c]!);
  for (let c = 0; c < cells; c++) {
    const m = moments(column(c));
    mean[c] = m.mean;
    variance[c] = m.variance;
    meanSe[c] = m.se.mean;
    varianceSe[c] = m.se.variance;
  }
  const si = net.speciesIndex(species);
  let top = 1;
  for (let c = si; c < counts.length; c += ns) top = Math.max(top, counts[c]!);
  const hist = Array.from({ length: nSave }, (_, s) => {
    const h = histogramOf(column(s * ns + si), { bins, min: 0, max: top + 1 });
    return { counts: Float64Array.from(h.counts), edges: Float64Array.from(h.edges) };
  });
  return { mean, variance, meanSe, varianceSe, firings, hist, counts, backend: "cpu" };
}

async function main({ values }: { values: Record<string, unknown> }) {
  const tEnd = values.tEnd as number;
  if (!(tEnd > 0)) {
    throw new CliUsageError(`--t-end must be positive, got "${tEnd}"`, { flag: "--t-end" });
  }
  let saveTimes: number[];
  if (values.saveTimes === undefined) {
    saveTimes = Array.from({ length: 5 }, (_, k) => tEnd * (k + 1) / 5);
  } else {
    saveTimes = String(values.saveTimes).split(",").map((s) => Number(s.trim()));
    if (
      saveTimes.some((s, k) =>
        !Number.isFinite(s) || s < 0 || s > tEnd || s < (saveTimes[k - 1] ?? 0)
      )
    ) {
      throw new CliUsageError(
        `--save-times must be non-decreasing numbers in [0, t-end = ${tEnd}], got "${values.saveTimes}"`,
        { flag: "--save-times" },
      );
    }
  }
  const sbml = values.sbml as string | undefined;
  const net = sbml !== undefined
    ? await loadNetwork(sbml, undefined, "--sbml")
    : await loadNetwork(values.network as string, values.model as string | undefined, "--network");
  const species = (values.species as string | undefined) ?? net.species[0]!;
  if (!net.species.includes(species)) {
    throw new CliUsageError(
      `--species must be one of ${net.species.join(", ")}, got "${species}"`,
      { flag: "--species" },
    );
  }
  let method: SsaMethod;
  try {
    method = SSA_METHODS.get(values.method as string);
  } catch (err) {
    throw new CliUsageError(`--method: ${(err as Error).message}`, { flag: "--method" });
  }
  const paths = values.paths as number;
  const seed = values.seed as number;
  const bins = values.bins as number;
  const outDir = values.out as string;
  const options: SsaOptions = { tEnd, saveTimes, paths, key: makeKey(seed, 0) };
  if (isSsaPathMethod(method)) {
    // every path's counts stay in memory (twice, with a column at a time)
    const bytes = paths * saveTimes.length * net.speciesCount * 8 * 2 + paths * 8;
    if (bytes > MAX_COUNTS_BYTES) {
      throw new CliUsageError(
        `--paths ${paths}: the ${method.info.name} method keeps every path's counts, ` +
          `${(bytes / 2 ** 30).toFixed(1)} GiB here (the limit is ${
            MAX_COUNTS_BYTES / 2 ** 30
          } GiB); ` +
          `use --method ensemble, which keeps only moments and histograms`,
        { flag: "--paths" },
      );
    }
  }
  const blockSize = values.blockPaths as number;
  const shard = shardFromFlags(values);
  if (shard && isSsaPathMethod(method)) {
    throw new CliUsageError(
      `--shard ${shard.index}/${shard.count}: sharded runs use --method ensemble ` +
        `(the ${method.info.name} method keeps every path's counts)`,
      { flag: "--shard" },
    );
  }
  await checkOut(outDir);
  const png = values.png as boolean;
  if (png) await checkPng();

  // sample paths: up to 5 paths of the direct method, every species
  const ns = net.speciesCount;
  const shown = Math.min(5, paths);
  const sample = ssaDirect(net, { tEnd, paths: shown, key: makeKey(seed, 0), trajectory: true });
  const pathSeries: SsaShared["pathSeries"] = [];
  for (let p = 0; p < shown; p++) {
    const tr = sample.trajectories![p]!;
    const k = tr.times.length;
    for (let i = 0; i < ns; i++) {
      // a step function: hold each state until the next jump, and to tEnd
      const x: number[] = [], y: number[] = [];
      for (let j = 0; j < k; j++) {
        const v = tr.states[j * ns + i]!;
        x.push(tr.times[j]!, j + 1 < k ? tr.times[j + 1]! : tEnd);
        y.push(v, v);
      }
      pathSeries.push({
        x: Float64Array.from(x),
        y: Float64Array.from(y),
        label: p === 0 ? net.species[i]! : null,
      });
    }
  }
  const networkArg = sbml ?? (values.network as string);
  const shared: SsaShared = {
    network: networkArg,
    title: net.name,
    species: [...net.species],
    method: method.info.name,
    backend: "",
    seed,
    tEnd,
    saveTimes,
    histSpecies: species,
    edges: new Float64Array(),
    pathSeries,
  };
  const json = values.json as boolean;

  if (isSsaPathMethod(method)) {
    const t0 = performance.now();
    const summary = runCpu(method, net, options, species, bins);
    const seconds = (performance.now() - t0) / 1000;
    shared.backend = summary.backend;
    const { lines, files } = ssaReport(summary, shared, { json, seconds, paths });
    for (const line of lines) console.log(line);
    await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
    console.log(`\nwrote ${files.map(([f]) => f).join(", ")}${pngNote(png)} in ${outDir}`);
    return;
  }
  const networkFile = sbml !== undefined || !BUILTIN_REACTION_NETWORKS.includes(networkArg);
  const config: { [key: string]: JsonValue } = {
    network: networkArg,
    ...(networkFile ? { networkSha256: await sha256Hex(await Deno.readTextFile(networkArg)) } : {}),
    format: sbml !== undefined ? "sbml" : null,
    model: (values.model as string | undefined) ?? null,
    method: method.info.name,
    tEnd,
    saveTimes,
    species,
    bins,
    seed,
  };
  const partial = await withBackend(
    values.backend as BackendName,
    (b) =>
      runEnsemble(
        method as SsaEnsembleMethod,
        b,
        net,
        options,
        { shard: shard ?? { index: 0, count: 1 }, blockSize, config, shared },
        species,
        bins,
      ),
  );
  if (shard) {
    const lines = await writeShardPartial(outDir, partial, {
      what: net.name || networkArg,
      unit: "paths",
      blockSize,
    });
    for (const line of lines) console.log(line);
    return;
  }
  const merged = mergePartials([{ name: "this run", partial }]);
  const { lines, files } = ssaOutputs(merged, { json, seconds: partial.seconds });
  for (const line of lines) console.log(line);
  await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
  console.log(`\nwrote ${files.map(([f]) => f).join(", ")}${pngNote(png)} in ${outDir}`);
}

if (import.meta.main) {
  try {
    await runScript(main, SPEC);
  } finally {
    closeSsaEnsembleWorkers();
  }
}
