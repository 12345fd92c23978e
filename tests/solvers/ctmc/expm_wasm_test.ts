// The WebAssembly that expm.ts loads is the committed solvers/ctmc/expm.wasm. That expm.wasm and
// _expm_wasm_bytes.ts are the build of expm.wat is checked with every module of
// scripts/build_wasm.ts in tests/kernels/philox_wasm_test.ts (and by CI); after editing
// expm.wat, run `deno task build:wasm`.
import assert from "node:assert/strict";
import { _EXPM_WASM_BASE64 } from "../../../solvers/ctmc/_expm_wasm_bytes.ts";

Deno.test("the base64 module that expm.ts loads is the committed expm.wasm, and it is valid", async () => {
  const committed = await Deno.readFile(
    new URL("../../../solvers/ctmc/expm.wasm", import.meta.url),
  );
  assert.equal(atob(_EXPM_WASM_BASE64), String.fromCharCode(...committed));
  assert.ok(WebAssembly.validate(committed));
});
