// The committed WebAssembly of solvers/ctmc/expm.wat: rebuilt with the pinned wabt and compared
// byte for byte with expm.wasm and the base64 module that expm.ts loads. With
// SDENO_UPDATE_WASM=1 the test rewrites both instead (after editing expm.wat).
import assert from "node:assert/strict";
import wabtInit from "npm:wabt@1.0.39";
import { _EXPM_WASM_BASE64 } from "../../../solvers/ctmc/_expm_wasm_bytes.ts";

const DIR = new URL("../../../solvers/ctmc/", import.meta.url);
// the WebAssembly features expm.wat uses beyond the MVP
const FEATURES = { simd: true, relaxed_simd: true };

async function build(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const text = await Deno.readTextFile(new URL("expm.wat", DIR));
  // as UTF-8 bytes: wabt mis-measures a JavaScript string with non-ASCII characters
  const module = wabt.parseWat("solvers/ctmc/expm.wat", new TextEncoder().encode(text), FEATURES);
  try {
    module.resolveNames();
    module.validate();
    return module.toBinary({ log: false, write_debug_names: true }).buffer;
  } finally {
    module.destroy();
  }
}

function bytesModule(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const base64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 88) lines.push(`  "${base64.slice(i, i + 88)}",`);
  return [
    "// Generated from solvers/ctmc/expm.wat with npm:wabt@1.0.39 by",
    "// `SDENO_UPDATE_WASM=1 deno test -A tests/solvers/ctmc/expm_wasm_test.ts`: do not edit.",
    `// The bytes of solvers/ctmc/expm.wasm (${bytes.length} bytes), as base64.`,
    "",
    "/** The expm WebAssembly module, base64. @internal */",
    "export const _EXPM_WASM_BASE64: string = [",
    ...lines,
    '].join("");',
    "",
  ].join("\n");
}

Deno.test("expm.wasm and _expm_wasm_bytes.ts are the build of expm.wat", async () => {
  const bytes = await build();
  if (Deno.env.get("SDENO_UPDATE_WASM") === "1") {
    await Deno.writeFile(new URL("expm.wasm", DIR), bytes);
    await Deno.writeTextFile(new URL("_expm_wasm_bytes.ts", DIR), bytesModule(bytes));
    return;
  }
  assert.deepEqual(await Deno.readFile(new URL("expm.wasm", DIR)), bytes);
  assert.equal(atob(_EXPM_WASM_BASE64), String.fromCharCode(...bytes));
  assert.equal(
    await Deno.readTextFile(new URL("_expm_wasm_bytes.ts", DIR)),
    bytesModule(bytes),
  );
});
