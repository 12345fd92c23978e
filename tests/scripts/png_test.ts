// --png on every script that writes a figure: each run writes a PNG beside each SVG (PNG
// signature, IHDR size = the SVG's width and height), and a PNG made from a merge of shards is
// the same bytes as one run's (the SVGs are, and resvg is deterministic).
import assert from "node:assert/strict";
import { join } from "node:path";
import { runScriptProcess } from "./_run.ts";
import { pngReadAccess, pngSize, svgSize } from "./_png.ts";

const root = new URL("../../", import.meta.url).pathname;

/** Checks `<name>.png` beside each `<name>.svg` in `dir`, of the SVG's size. */
async function assertPngTwins(dir: string, svgs: readonly string[]): Promise<void> {
  for (const svg of svgs) {
    const png = await Deno.readFile(join(dir, svg.replace(/\.svg$/, ".png")));
    assert.deepEqual(pngSize(png), svgSize(await Deno.readTextFile(join(dir, svg))), svg);
    assert.ok(png.length > 2000, `${svg}: a picture's PNG, got ${png.length} bytes`);
  }
}

/** Runs `scripts/<script>` with --png and the read access it needs; returns the run. */
async function runPng(script: string, args: string[], out: string, read: string[] = []) {
  const access = { read: [out, ...read, ...await pngReadAccess()], write: [out] };
  const r = await runScriptProcess(script, [...args, "--png", "--out", out], access);
  assert.equal(r.code, 0, `${script}: ${r.stderr}`);
  return r;
}

const CASES: Array<{ script: string; args: string[]; svgs: string[]; read?: string[] }> = [
  { script: "edit.ts", args: ["--n", "60", "--steps", "20"], svgs: ["edit.svg"] },
  {
    script: "volume_demo.ts",
    args: ["--samples", "4", "--steps", "10"],
    svgs: ["volume.svg"],
  },
  {
    script: "sample.ts",
    args: ["--n", "64", "--steps", "4", "--solver", "euler", "--backend", "cpu"],
    svgs: ["samples.svg"],
  },
  {
    script: "simulate.ts",
    args: ["--model", "ou", "--paths", "200", "--t1", "0.2", "--dt", "0.01", "--backend", "cpu"],
    svgs: ["paths.svg", "histograms.svg"],
  },
  {
    script: "ssa.ts",
    args: ["--network", "birth_death", "--paths", "50", "--t-end", "2"],
    svgs: ["paths.svg", "histograms.svg"],
  },
  {
    script: "discrete_diffusion.ts",
    args: ["--process", "masked", "--methods", "euler", "--steps", "4", "--n", "200"],
    svgs: ["tv.svg"],
  },
  {
    script: "inverse.ts",
    args: ["--methods", "ddrm", "--samples", "2", "--steps", "4"],
    svgs: ["inverse.svg"],
    read: [root],
  },
];

for (const { script, args, svgs, read } of CASES) {
  Deno.test({
    name: `scripts/${script} --png writes ${svgs.map((s) => s.replace(/svg$/, "png")).join(", ")}`,
    sanitizeResources: false,
  }, async () => {
    const out = await Deno.makeTempDir();
    try {
      const r = await runPng(script, args, out, read);
      assert.match(r.stdout, /png/i);
      await assertPngTwins(out, svgs);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

/** Runs a script with --allow-read (everything) and --allow-write on `out`, as train/sample_model document. */
async function runWide(script: string, args: string[], out: string, ffi = false) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(ffi ? ["--allow-ffi"] : []),
      "--allow-read",
      `--allow-write=${out}`,
      join(root, "scripts", script),
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `${script}: ${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test({
  name: "scripts/train.ts --png writes <name>.loss.png; a run without --png removes it",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const args = ["--data", "moons", "--n", "100", "--steps", "5", "--hidden", "8", "--no-onnx"];
    assert.match(await runWide("train.ts", [...args, "--png", "--out", out], out), /\.loss\.png/);
    await assertPngTwins(out, ["model.loss.svg"]);
    await runWide("train.ts", [...args, "--out", out], out);
    assert.equal(Deno.statSync(join(out, "model.loss.svg")).isFile, true);
    assert.throws(() => Deno.statSync(join(out, "model.loss.png")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "scripts/sample_model.ts --png writes samples.png; a run without --png removes it",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const args = ["--n", "100", "--solver", "euler", "--nfe", "4", "--reference", "10"];
    await runWide("sample_model.ts", [...args, "--png", "--out", out], out, true);
    await assertPngTwins(out, ["samples.svg"]);
    await runWide("sample_model.ts", [...args, "--out", out], out, true);
    assert.throws(() => Deno.statSync(join(out, "samples.png")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/merge.ts --png: the PNGs of a merge of 2 simulate shards are one run's bytes; a merge without --png removes them",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--model", "ou", "--paths", "600", "--block-paths", "128", "--t1", "0.2"]
      .concat(["--dt", "0.01", "--backend", "cpu"]);
    const whole = join(dir, "whole"), shards = join(dir, "shards"), merged = join(dir, "merged");
    await runPng("simulate.ts", args, whole);
    for (const i of [0, 1]) {
      const r = await runScriptProcess(
        "simulate.ts",
        [...args, "--shard", `${i}/2`, "--out", shards],
        { read: [shards], write: [shards] },
      );
      assert.equal(r.code, 0, r.stderr);
    }
    await runPng("merge.ts", [shards], merged, [shards]);
    for (const png of ["paths.png", "histograms.png"]) {
      assert.deepEqual(
        await Deno.readFile(join(merged, png)),
        await Deno.readFile(join(whole, png)),
        png,
      );
    }
    const again = await runScriptProcess("merge.ts", ["--out", merged, shards], {
      read: [shards, merged],
      write: [merged],
    });
    assert.equal(again.code, 0, again.stderr);
    const names = [...Deno.readDirSync(merged)].map((e) => e.name);
    assert.ok(!names.some((n) => n.endsWith(".png")), `stale PNGs left: ${names}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
