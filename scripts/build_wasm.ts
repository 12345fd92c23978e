/**
 * Compiles the WebAssembly text of sdeno with the pinned `npm:wabt@1.0.39`:
 * every module of {@linkcode WASM_MODULES} (`kernels/philox.wat`,
 * `solvers/ctmc/expm.wat`, `solvers/sde/ensemble_f32.wat`) into its `.wasm` next to the source and into a
 * `_<name>_wasm_bytes.ts`, the same bytes as base64 in a module that the
 * library loads (a TypeScript import travels with the modules when sdeno is
 * imported by https URL and needs no permission; see `kernels/_wasm_philox.ts`
 * and `solvers/ctmc/_expm_wasm.ts`).
 *
 * ```sh
 * deno task build:wasm                      # rewrite the committed files
 * deno run --allow-read=kernels,solvers --allow-write=/tmp/x scripts/build_wasm.ts --out-dir /tmp/x
 * deno run --allow-read=kernels,solvers scripts/build_wasm.ts --check
 * ```
 *
 * Flags:
 * - `--out-dir DIR`: the folder that the outputs' paths (relative to the
 *   repository root, e.g. `kernels/philox.wasm`) are taken under (default
 *   `.`, the repository root: the committed files); CI builds into a
 *   temporary folder and compares with the committed files byte for byte;
 * - `--check`: write nothing; compare the build with the files under
 *   `--out-dir` and exit 1 naming the ones that differ.
 *
 * Permissions: read access to the sources' folders (`kernels`,
 * `solvers/ctmc`), write access to the outputs' folders; the first run
 * downloads `wabt` from npm into Deno's cache. The output depends only on the
 * `.wat` and the wabt version: no timestamps, no paths; the binary keeps the
 * function and local names (a "name" section) so profiles and `wasm2wat` show
 * them.
 *
 * @module
 */

import wabtInit from "npm:wabt@1.0.39";
import { runScript } from "../io/mod.ts";

/** The wabt version that the committed bytes come from. */
const WABT_VERSION = "1.0.39";

/** The WebAssembly features that wabt's `parseWat` takes (beyond the MVP). */
type WabtFeatures = NonNullable<
  Parameters<Awaited<ReturnType<typeof wabtInit>>["parseWat"]>[2]
>;

/** One WebAssembly module of sdeno: its text, the features it needs, its outputs. */
export interface WasmModule {
  /** The WebAssembly text, relative to the repository root. */
  readonly source: string;
  /** The features beyond the MVP that the source uses (wabt's names). */
  readonly features: Readonly<WabtFeatures>;
  /** The binary, relative to the repository root. */
  readonly wasm: string;
  /** The TypeScript module holding the binary as base64, relative to the repository root. */
  readonly bytesModule: string;
  /** The string constant that `bytesModule` exports. */
  readonly constant: string;
  /** What the module is, for the constant's doc comment ("The Philox WebAssembly module"). */
  readonly title: string;
}

/**
 * Every WebAssembly module of sdeno: what `deno task build:wasm` builds and
 * `--check` (and CI) compares with the committed files.
 *
 * @example Each module's outputs sit next to its source
 * ```ts
 * import { WASM_MODULES } from "./build_wasm.ts";
 * import assert from "node:assert/strict";
 * const binaries = WASM_MODULES.map((m) => m.wasm);
 * assert.deepEqual(binaries, [
 *   "kernels/philox.wasm", "solvers/ctmc/expm.wasm", "solvers/sde/ensemble_f32.wasm",
 * ]);
 * for (const m of WASM_MODULES) assert.equal(m.wasm, m.source.replace(/\.wat$/, ".wasm"));
 * ```
 */
export const WASM_MODULES: readonly WasmModule[] = [
  {
    source: "kernels/philox.wat",
    features: { simd: true, multi_value: true, mutable_globals: true, sat_float_to_int: true },
    wasm: "kernels/philox.wasm",
    bytesModule: "kernels/_philox_wasm_bytes.ts",
    constant: "_PHILOX_WASM_BASE64",
    title: "The Philox WebAssembly module",
  },
  {
    source: "solvers/ctmc/expm.wat",
    // f64x2.relaxed_madd/nmadd
    features: { simd: true, relaxed_simd: true },
    wasm: "solvers/ctmc/expm.wasm",
    bytesModule: "solvers/ctmc/_expm_wasm_bytes.ts",
    constant: "_EXPM_WASM_BASE64",
    title: "The expm WebAssembly module",
  },
  {
    source: "solvers/sde/ensemble_f32.wat",
    features: { simd: true },
    wasm: "solvers/sde/ensemble_f32.wasm",
    bytesModule: "solvers/sde/_ensemble_f32_wasm_bytes.ts",
    constant: "_ENSEMBLE_F32_WASM_BASE64",
    title: "The float32 SDE ensemble WebAssembly module",
  },
];

const SPEC = {
  name: "scripts/build_wasm.ts",
  description: "Compile the .wat files of sdeno with npm:wabt into .wasm and _*_wasm_bytes.ts.",
  flags: {
    outDir: {
      type: "string",
      default: ".",
      description: "folder the outputs' repository paths are taken under",
    },
    check: {
      type: "boolean",
      description: "compare with the files in --out-dir instead of writing; exit 1 if they differ",
    },
  },
} as const;

const ROOT = new URL("../", import.meta.url);

let wabt: ReturnType<typeof wabtInit> | undefined;

/**
 * Compiles WebAssembly text to its binary, deterministically.
 *
 * @param name the file name wabt reports in errors
 * @param text the `.wat` source
 * @param features the features beyond the MVP that the source uses
 * @returns the module's bytes
 */
async function compileWat(
  name: string,
  text: string,
  features: Readonly<WabtFeatures>,
): Promise<Uint8Array> {
  // as UTF-8 bytes: wabt mis-measures a JavaScript string with non-ASCII characters
  const module = (await (wabt ??= wabtInit())).parseWat(
    name,
    new TextEncoder().encode(text),
    { ...features },
  );
  try {
    module.resolveNames();
    module.validate();
    return module.toBinary({ log: false, write_debug_names: true }).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * The TypeScript module holding `bytes` as base64, in lines that `deno fmt`
 * leaves as they are.
 *
 * @param module the module the bytes are the build of
 * @param bytes the module's bytes
 * @returns the text of `module.bytesModule`
 */
function bytesModuleText(module: WasmModule, bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const base64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 88) lines.push(`  "${base64.slice(i, i + 88)}",`);
  return [
    `// Generated by scripts/build_wasm.ts (\`deno task build:wasm\`) from ${module.source}`,
    `// with npm:wabt@${WABT_VERSION}: do not edit. CI rebuilds it and fails if it differs.`,
    `// The bytes of ${module.wasm} (${bytes.length} bytes), as base64.`,
    "",
    `/** ${module.title}, base64. @internal */`,
    `export const ${module.constant}: string = [`,
    ...lines,
    '].join("");',
    "",
  ].join("\n");
}

/**
 * Builds one module from its committed `.wat`: the bytes of its two outputs.
 * Reads the source (read access to its folder).
 *
 * @param module one of {@linkcode WASM_MODULES}
 * @returns output path (relative to the repository root) → bytes: `module.wasm` and
 *   `module.bytesModule`
 *
 * @example The binary starts with the WebAssembly magic and version
 * ```ts
 * import { buildWasmModule, WASM_MODULES } from "./build_wasm.ts";
 * import assert from "node:assert/strict";
 * const outputs = await buildWasmModule(WASM_MODULES[0]!);
 * assert.deepEqual([...outputs.keys()], ["kernels/philox.wasm", "kernels/_philox_wasm_bytes.ts"]);
 * const wasm = outputs.get("kernels/philox.wasm")!;
 * assert.deepEqual([...wasm.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); // "\0asm", 1
 * ```
 */
export async function buildWasmModule(module: WasmModule): Promise<Map<string, Uint8Array>> {
  const text = await Deno.readTextFile(new URL(module.source, ROOT));
  const wasm = await compileWat(module.source, text, module.features);
  return new Map([
    [module.wasm, wasm],
    [module.bytesModule, new TextEncoder().encode(bytesModuleText(module, wasm))],
  ]);
}

/** Whether two byte arrays are equal. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The directory part of a path ("." for none). */
function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i);
}

async function main({ values }: { values: { outDir: string; check: boolean } }): Promise<number> {
  const outputs = new Map<string, Uint8Array>();
  for (const module of WASM_MODULES) {
    for (const [path, bytes] of await buildWasmModule(module)) outputs.set(path, bytes);
  }
  const dir = values.outDir.replace(/\/+$/, "") || "/";
  const at = (path: string) => (dir === "." ? path : `${dir}/${path}`);
  if (values.check) {
    const differ: string[] = [];
    for (const [path, bytes] of outputs) {
      const committed = await Deno.readFile(at(path)).catch(() => undefined);
      if (committed === undefined || !sameBytes(committed, bytes)) differ.push(at(path));
    }
    if (differ.length > 0) {
      console.error(
        `error: ${differ.join(", ")} ${differ.length === 1 ? "differs" : "differ"} ` +
          "from the build of the .wat; run deno task build:wasm",
      );
      return 1;
    }
    console.log(`${[...outputs.keys()].map(at).join(", ")}: up to date`);
    return 0;
  }
  for (const [path, bytes] of outputs) {
    await Deno.mkdir(dirname(at(path)), { recursive: true });
    await Deno.writeFile(at(path), bytes);
    console.log(`wrote ${at(path)} (${bytes.length} bytes)`);
  }
  return 0;
}

if (import.meta.main) await runScript(main, SPEC);
