// scripts/volume_demo.ts: writes the picture, the volumes and results.json,
// where ADMM-TV along z lowers the z-TV and the error against the true volume
// (paired, the same keys) compared with slice-independent DDS; bad flags exit
// 2 with the usage and write nothing.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { decodeNpy } from "../../io/mod.ts";

function run(args: string[], out: string): Promise<ScriptRun> {
  return runScriptProcess("volume_demo.ts", args, { read: [out], write: [out] });
}

Deno.test({
  name: "scripts/volume_demo.ts writes volume.svg, the volumes and results.json; ADMM-TV wins",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(["--samples", "16", "--steps", "30", "--out", out], out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /8 slices of 8×8/);
    const svg = await Deno.readTextFile(join(out, "volume.svg"));
    assert.match(svg, /^<svg /);
    assert.deepEqual(decodeNpy(await Deno.readFile(join(out, "truth.npy"))).shape, [8, 8, 8]);
    for (const name of ["independent.npy", "admm_tv.npy"]) {
      assert.deepEqual(decodeNpy(await Deno.readFile(join(out, name))).shape, [16, 8, 8, 8]);
    }
    const json = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
    const [truth, ind, tv] = json.results;
    assert.equal(truth.method, "truth");
    console.log(
      `z-TV truth ${truth.zTv.toFixed(1)}, independent ${ind.zTv.toFixed(1)}, ADMM-TV ${
        tv.zTv.toFixed(1)
      }; RMSE ${ind.rmse.toFixed(4)} → ${tv.rmse.toFixed(4)}`,
    );
    assert.ok(tv.zTv < ind.zTv - 4 * ind.zTvSe, "z-TV");
    // Unpaired standard errors over the 16 volumes (the paired test is in
    // tests/solvers/guidance/admm_tv_test.ts).
    assert.ok(tv.rmse < ind.rmse - 4 * Math.hypot(ind.rmseSe, tv.rmseSe), "RMSE");
    assert.ok(ind.misfit < 1e-9);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/volume_demo.ts exits 2 with usage on a bad flag and writes nothing", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const args of [["--slices", "1"], ["--rho", "0"], ["--lambda", "-1"], ["--eps", "2"], [
        "--backend",
        "cuda",
      ]]
    ) {
      const r = await run([...args, "--out", out], out);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, /Usage:/);
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
