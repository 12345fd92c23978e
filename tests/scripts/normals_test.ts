import assert from "node:assert/strict";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { pngReadAccess, pngSize, svgSize } from "./_png.ts";
import { join } from "node:path";
import { decodeNpy } from "../../io/mod.ts";
import { fillNormal, makeKey } from "../../kernels/mod.ts";

function run(args: string[], out: string): Promise<ScriptRun> {
  return runScriptProcess("normals.ts", args, { read: [out], write: [out] });
}

Deno.test({
  name: "scripts/normals.ts writes the histogram, the draws and moments.json",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      ["--n", "5000", "--backend", "cpu", "--seed", "3", "--json", "--out", out],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5000 normals on cpu/);
    assert.match(r.stdout, /excess kurtosis/);
    const svg = await Deno.readTextFile(join(out, "histogram.svg"));
    assert.match(svg, /^<svg /);
    const npy = decodeNpy(await Deno.readFile(join(out, "normals.npy")));
    assert.deepEqual(npy.shape, [5000]);
    const expected = new Float64Array(5000);
    fillNormal(expected, makeKey(3, 0));
    assert.deepEqual(npy.data, expected);
    const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
    assert.equal(json.moments.length, 4);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/normals.ts exits 2 with usage on a bad flag and writes nothing", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (const args of [["--n", "abc"], ["--backend", "cuda"], ["--frobnicate"], ["--n", "-5"]]) {
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

Deno.test({
  name:
    "scripts/normals.ts works for --n 1 and 2 as its help says (at least 1), moments where defined",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    for (const n of [1, 2]) {
      const r = await run(["--n", `${n}`, "--backend", "cpu", "--json", "--out", out], out);
      assert.equal(r.code, 0, `--n ${n}: ${r.stderr}`);
      const npy = decodeNpy(await Deno.readFile(join(out, "normals.npy")));
      const expected = new Float64Array(n);
      fillNormal(expected, makeKey(0, 0));
      assert.deepEqual(npy.data, expected);
      const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
      if (n === 1) {
        assert.match(r.stdout, /need at least 2 draws/);
        assert.deepEqual(json.moments, []);
      } else {
        // the mean has a standard error; the variance, skewness and kurtosis of 2 draws do not
        assert.deepEqual(json.moments.map((m: { z: number | null }) => m.z === null), [
          false,
          true,
          true,
          true,
        ]);
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/normals.ts refuses an unusable --out with a line and the usage, before any work", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "file"), "x");
    await Deno.mkdir(join(dir, "o", "normals.npy"), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      [join(other, "o"), /--out ".*": no write permission for it/],
      [join(dir, "file"), /--out ".*file" is a file; it must be a folder/],
      [join(dir, "o"), /--out ".*o": normals\.npy there is a folder/],
    ];
    for (const [out, message] of cases) {
      const r = await runScriptProcess("normals.ts", ["--n", "10", "--out", out], {
        read: [dir],
        write: [dir],
      });
      assert.equal(r.code, 2, `${out}: ${r.stderr}`);
      assert.match(r.stderr, /^error: [^\n]*\n\nUsage:/);
      assert.match(r.stderr.split("\n")[0]!, message);
      assert.doesNotMatch(r.stderr, /\n\s+at |normals on/);
    }
    assert.deepEqual([...Deno.readDirSync(join(dir, "o"))].map((e) => e.name), ["normals.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/normals.ts --png writes histogram.png (the SVG's size); a run without --png removes it; without read access to the npm cache and fonts it is a usage error",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const args = ["--n", "2000", "--backend", "cpu", "--out", out];
    const access = { read: [out, ...await pngReadAccess()], write: [out] };
    const r = await runScriptProcess("normals.ts", [...args, "--png"], access);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /histogram\.png/);
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      "histogram.png",
      "histogram.svg",
      "normals.npy",
    ]);
    const png = await Deno.readFile(join(out, "histogram.png"));
    assert.deepEqual(pngSize(png), svgSize(await Deno.readTextFile(join(out, "histogram.svg"))));
    assert.ok(png.length > 5000, `a plot's PNG, got ${png.length} bytes`);

    const denied = await run([...args, "--png"], out);
    assert.equal(denied.code, 2, denied.stderr);
    assert.match(denied.stderr, /^error: --png: .*--allow-read=<npm cache>,\/usr\/share\/fonts/);
    assert.ok(Deno.statSync(join(out, "histogram.png")).isFile, "a refused run keeps the outputs");

    const plain = await run(args, out);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      "histogram.svg",
      "normals.npy",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
