/**
 * Merges the partial results of a sharded run (scripts/simulate.ts,
 * scripts/ssa.ts `--method ensemble`, scripts/sample.ts, scripts/inverse.ts
 * or scripts/discrete_diffusion.ts with `--shard i/N`, or run as a Slurm
 * job array or a Kubernetes Indexed Job) into the outputs one unsharded run
 * writes, bit for bit: the blocks' moments are folded by Chan, Golub &
 * LeVeque's update and their histogram counts and integer sums added, in
 * block order, exactly as the unsharded run does (io/partial.ts).
 *
 * ```sh
 * deno run --allow-read=out/shards,out/merged --allow-write=out/merged scripts/merge.ts --out out/merged out/shards
 * deno run --allow-read=. --allow-write=out/merged scripts/merge.ts --json --out out/merged partial-0-of-2.json partial-1-of-2.json
 * ```
 *
 * Arguments: partial files, or folders whose `partial-<i>-of-<N>.json`
 * files are all taken. Refused, with one line naming the files: partials of
 * different runs (the first differing setting is named), another format
 * version, different shard counts, a shard given twice, missing shards.
 *
 * Permissions: `--allow-read` on the partials and on `--out`,
 * `--allow-write` on `--out`. Outputs in `--out`: those of the script that
 * wrote the partials (see each script), and with `--json` its JSON file
 * (`moments.json`, `metrics.json`, `summary.json`; scripts/inverse.ts
 * always writes `results.json`), and with `--png` a PNG beside each SVG,
 * which needs `--allow-read` on Deno's npm cache too (resvg's `.wasm`;
 * `deno info` prints the folder) and on `/usr/share/fonts` (the font).
 *
 * @module
 */

import { SdenoRangeError } from "../kernels/errors.ts";
import {
  checkOutDir,
  checkPng,
  CliUsageError,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";
import {
  type MergedPartial,
  mergePartials,
  type NamedPartial,
  readPartialFile,
} from "../io/partial.ts";
import { SIMULATE_OUTPUTS, simulateOutputs } from "./_simulate_outputs.ts";
import { SSA_OUTPUTS, ssaOutputs } from "./_ssa_outputs.ts";
import { SAMPLE_OUTPUTS, sampleOutputs } from "./_sample_outputs.ts";
import { inverseOutputNames, inverseOutputs } from "./_inverse_outputs.ts";
import { DISCRETE_OUTPUTS, discreteOutputs } from "./_discrete_outputs.ts";

type Rendered = { lines: string[]; files: Array<[string, Uint8Array | string]> };

/** Each script's outputs from its merged partials: the files it may write, and how. */
const RENDERERS: Record<string, {
  outputs: (merged: MergedPartial) => string[];
  make: (
    merged: MergedPartial,
    options: { json: boolean; seconds: number },
  ) => Rendered | Promise<Rendered>;
}> = {
  simulate: { outputs: () => SIMULATE_OUTPUTS, make: simulateOutputs },
  ssa: { outputs: () => SSA_OUTPUTS, make: ssaOutputs },
  sample: { outputs: () => SAMPLE_OUTPUTS, make: sampleOutputs },
  inverse: { outputs: inverseOutputNames, make: inverseOutputs },
  discrete_diffusion: { outputs: () => DISCRETE_OUTPUTS, make: discreteOutputs },
};

const SPEC = {
  name: "scripts/merge.ts",
  positionals: "<partial file or folder>...",
  description: "Merge the partial results of a sharded run (partial-<i>-of-<N>.json) into the " +
    "outputs of one unsharded run, bit for bit.",
  flags: {
    out: { type: "string", default: "out/merged", description: "output folder" },
    json: { type: "boolean", description: "also write moments.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

/** A file-system error (not found, no permission, …) as one line, else undefined. */
function fsMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (!Object.values(Deno.errors).some((E) => err instanceof E)) return undefined;
  if (err instanceof Deno.errors.NotFound) return "no such file or folder";
  if (err instanceof Deno.errors.IsADirectory) return "is a folder, not a file";
  return err.message.split("\n")[0]!;
}

const PARTIAL_NAME = /^partial-\d+-of-\d+\.json$/;

/** The partial files named on the command line: files as given, folders' partial-*.json. */
async function partialFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    let isFolder: boolean;
    try {
      isFolder = (await Deno.stat(arg)).isDirectory;
    } catch (err) {
      const why = fsMessage(err);
      if (why === undefined) throw err;
      throw new CliUsageError(`${JSON.stringify(arg)}: cannot read it: ${why}`);
    }
    if (!isFolder) {
      files.push(arg);
      continue;
    }
    const found: string[] = [];
    for await (const e of Deno.readDir(arg)) {
      if (e.isFile && PARTIAL_NAME.test(e.name)) found.push(`${arg.replace(/\/+$/, "")}/${e.name}`);
    }
    if (found.length === 0) {
      throw new CliUsageError(`${JSON.stringify(arg)}: no partial-<i>-of-<N>.json files in it`);
    }
    files.push(...found.sort());
  }
  return files;
}

async function main(
  { values, positionals }: { values: Record<string, unknown>; positionals: string[] },
) {
  if (positionals.length === 0) {
    throw new CliUsageError("give the partial files, or the folders that hold them");
  }
  const outDir = values.out as string;
  const png = values.png as boolean;
  if (png) await checkPng();
  const files = await partialFiles(positionals);
  const named: NamedPartial[] = [];
  for (const file of files) {
    try {
      named.push({ name: file, partial: await readPartialFile(file) });
    } catch (err) {
      const why = fsMessage(err);
      if (why === undefined) throw err;
      throw new CliUsageError(`${JSON.stringify(file)}: cannot read it: ${why}`);
    }
  }
  const merged = mergePartials(named);
  const script = merged.run.script;
  const render = Object.hasOwn(RENDERERS, script) ? RENDERERS[script] : undefined;
  if (render === undefined) {
    throw new SdenoRangeError(
      `Cannot merge: the partials were written by ${JSON.stringify(script)}, which this merge ` +
        `does not know (it knows ${Object.keys(RENDERERS).join(", ")})`,
    );
  }
  const outputNames = render.outputs(merged);
  await checkOutDir(outDir, { outputs: withPngTwins(outputNames) });
  const { lines, files: outputs } = await render.make(merged, {
    json: values.json as boolean,
    seconds: merged.seconds,
  });
  console.log(
    `merged ${merged.shards} shard${merged.shards > 1 ? "s" : ""} of ${
      /^[aeiou]/.test(script) ? "an" : "a"
    } ${script} run ` +
      `(run SHA-256 ${merged.runHash.slice(0, 16)}…)\n`,
  );
  for (const line of lines) console.log(line);
  await writeOutputs(outDir, outputs, { outputs: outputNames, png });
  console.log(
    `\nwrote ${outDir}/${outputs.map(([f]) => f).join(", ")}${png ? " and the SVGs' PNGs" : ""}`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
