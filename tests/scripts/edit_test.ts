import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeNpy } from "../../io/mod.ts";
import { runScriptProcess, type ScriptRun } from "./_run.ts";

function run(args: string[], out: string, read: string[] = []): Promise<ScriptRun> {
  return runScriptProcess("edit.ts", args, { read: [out, ...read], write: [out] });
}

Deno.test({
  name:
    "scripts/edit.ts: noise inversions reconstruct to 1e-10, DDIM to O(h); the edit moves points",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const recon: Record<string, number> = {};
    for (const method of ["edit-friendly", "dpm-encoder", "ddim"]) {
      const dir = join(out, method);
      const r = await run(["--n", "60", "--steps", "20", "--method", method, "--out", dir], out);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /reconstruction under the source model/);
      const json = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
      recon[method] = json.reconstructionMaxError;
      // the target ring is the source turned by 22.5°: neighbouring modes are 0.78 apart
      assert.ok(json.meanEditDistance > 0.2, `${method}: moved ${json.meanEditDistance}`);
      const src = decodeNpy(await Deno.readFile(join(dir, "source.npy")));
      const ed = decodeNpy(await Deno.readFile(join(dir, "edited.npy")));
      assert.deepEqual(src.shape, [60, 2]);
      assert.deepEqual(ed.shape, [60, 2]);
      assert.match(await Deno.readTextFile(join(dir, "edit.svg")), /^<svg /);
    }
    assert.ok(
      recon["edit-friendly"]! < 1e-10 && recon["dpm-encoder"]! < 1e-10,
      JSON.stringify(recon),
    );
    assert.ok(recon["ddim"]! > 1e-6, JSON.stringify(recon)); // first-order round trip, 20 steps
    // T_skip: resuming 15 of 20 steps late still reconstructs, and the edit moves the points less
    const dir = join(out, "skip");
    const r = await run(["--n", "60", "--steps", "20", "--skip", "15", "--out", dir], out);
    assert.equal(r.code, 0, r.stderr);
    const late = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
    const full = JSON.parse(await Deno.readTextFile(join(out, "edit-friendly", "results.json")));
    assert.ok(late.reconstructionMaxError < 1e-10);
    assert.ok(late.meanEditDistance < 0.5 * full.meanEditDistance, JSON.stringify([late, full]));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/edit.ts exits 2 with usage on a bad flag and writes nothing", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const args of [
        ["--method", "null-text"],
        ["--steps", "0"],
        ["--eta", "0"],
        ["--frob"],
        ["--skip", "50"],
        ["--method", "ddim", "--skip", "3"],
      ]
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

Deno.test("scripts/edit.ts reads --source and --target specs and rejects a dimension mismatch", async () => {
  const out = await Deno.makeTempDir();
  const specs = await Deno.makeTempDir();
  try {
    const a = join(specs, "a.json"), b = join(specs, "b.json"), c = join(specs, "c.json");
    await Deno.writeTextFile(
      a,
      JSON.stringify({ weights: [1], means: [[0, 0]], variances: [[1, 1]] }),
    );
    await Deno.writeTextFile(
      b,
      JSON.stringify({ weights: [1], means: [[3, 0]], variances: [[1, 1]] }),
    );
    await Deno.writeTextFile(
      c,
      JSON.stringify({ weights: [1], means: [[0, 0, 0]], variances: [[1, 1, 1]] }),
    );
    const ok = await run(
      ["--n", "20", "--steps", "10", "--source", a, "--target", b, "--out", out],
      out,
      [specs],
    );
    assert.equal(ok.code, 0, ok.stderr);
    // one Gaussian moved by (3, 0): the edit is the translation (α_end − α_T G)(3, 0) (inversion_test),
    // with α_end ≈ 1 − 5e-5 and 0 < α_T G < α_T ≈ 6.4e-3 on VP linear: within 0.01 of (3, 0)
    const src = decodeNpy(await Deno.readFile(join(out, "source.npy"))).data as Float64Array;
    const ed = decodeNpy(await Deno.readFile(join(out, "edited.npy"))).data as Float64Array;
    for (let i = 0; i < 20; i++) {
      assert.ok(
        Math.abs(ed[2 * i]! - src[2 * i]! - 3) < 0.01 &&
          Math.abs(ed[2 * i + 1]! - src[2 * i + 1]!) < 1e-9,
      );
    }
    const bad = await run(["--source", a, "--target", c, "--out", join(out, "x")], out, [specs]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: the target mixture has dimension 3, the source 2/);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(specs, { recursive: true });
  }
});
