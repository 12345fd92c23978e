import assert from "node:assert/strict";
import { join } from "node:path";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { decodeNpy } from "../../io/mod.ts";

const root = new URL("../../", import.meta.url).pathname;

function run(args: string[], out: string): Promise<ScriptRun> {
  return runScriptProcess("inverse.ts", args, { read: [root, out], write: [out] });
}

Deno.test({
  name:
    "scripts/inverse.ts: DDRM and ΠGDM posterior means beat the back-projection A⁺y on box inpainting",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      ["--methods", "ddrm,pigdm", "--samples", "6", "--steps", "40", "--image", "3", "--out", out],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
    assert.equal(res.results.length, 2);
    for (const row of res.results) {
      // the box (16 of 64 pixels) is filled with grey by A⁺y; the prior must do better there
      assert.ok(
        row.psnr > res.baselinePsnr + 1,
        `${row.method}: ${row.psnr} vs ${res.baselinePsnr}`,
      );
      assert.ok(row.misfit < 3, `${row.method}: misfit ${row.misfit}`);
    }
    const npy = decodeNpy(await Deno.readFile(join(out, "samples_ddrm.npy")));
    assert.deepEqual(npy.shape, [6, 1, 8, 8]);
    assert.match(await Deno.readTextFile(join(out, "inverse.svg")), /^<svg /);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/inverse.ts: an unknown method exits 2 listing the known ones; a method refusing the noise says why",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const bad = await run(["--methods", "ddrm,nope", "--out", out], out);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown method "nope"; known: .*ddrm/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const noisy = await run(
      ["--methods", "ddnm", "--samples", "2", "--steps", "4", "--out", out],
      out,
    );
    assert.notEqual(noisy.code, 0);
    assert.match(noisy.stderr, /ddnm/);
    assert.doesNotMatch(noisy.stderr, /\n\s+at /);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
