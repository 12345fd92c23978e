import assert from "node:assert/strict";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { join } from "node:path";
import { decodeNpy } from "../../io/mod.ts";
import { sdeSolvers } from "../../solvers/sde/registry.ts";

const SDE = new URL("../../processes/sde.ts", import.meta.url).href;

function run(args: string[], out: string, read: string[] = []): Promise<ScriptRun> {
  return runScriptProcess("simulate.ts", args, { read: [out, ...read], write: [out] });
}

Deno.test({
  name: "scripts/simulate.ts prints moments with exact values and writes the plot, .npy and JSON",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      [
        "--model",
        "ou",
        "--solver",
        "sra1",
        "--paths",
        "4000",
        "--backend",
        "cpu",
        "--saves",
        "4",
        "--seed",
        "2",
        "--json",
        "--out",
        out,
      ],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ou: 4000 paths, sra1, dt 0.01, 100 steps on cpu/);
    assert.match(r.stderr, /100% \(4000\/4000\)/);
    const svg = await Deno.readTextFile(join(out, "paths.svg"));
    assert.match(svg, /^<svg /);
    assert.equal(svg.match(/class="band"/g)!.length, 1);
    const mean = decodeNpy(await Deno.readFile(join(out, "mean.npy")));
    assert.deepEqual(mean.shape, [5, 1]);
    const samples = decodeNpy(await Deno.readFile(join(out, "samples.npy")));
    assert.deepEqual(samples.shape, [5, 20, 1]);
    const cov = decodeNpy(await Deno.readFile(join(out, "covariance.npy")));
    assert.deepEqual(cov.shape, [5, 1, 1]);
    const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
    assert.equal(json.moments.length, 5);
    for (const row of json.moments.slice(1)) {
      assert.ok(Math.abs(row.zMean) < 4, `z ${row.zMean}`);
      assert.ok(Math.abs(row.mean - row.exactMean) < 4 * row.meanSe);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "scripts/simulate.ts loads an Sde from a user module (--module, read permission)",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const mod = join(out, "bm.ts");
  await Deno.writeTextFile(
    mod,
    `import { defineSde } from "${SDE}";
export const sde = defineSde({
  name: "bm", dim: 2, noise: "diagonal",
  drift: (_t, _x, out, n) => out.fill(0, 0, 2 * n),
  diffusion: (_t, _x, out, n) => out.fill(1, 0, 2 * n),
});
`,
  );
  try {
    const r = await run(
      [
        "--module",
        mod,
        "--paths",
        "500",
        "--backend",
        "cpu",
        "--x0",
        "0,1",
        "--t1",
        "0.5",
        "--dt",
        "0.05",
        "--out",
        out,
      ],
      out,
      [new URL("../..", import.meta.url).pathname],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /500 paths, euler-maruyama, dt 0.05, 10 steps on cpu/);
    const mean = decodeNpy(await Deno.readFile(join(out, "mean.npy")));
    assert.deepEqual(mean.shape, [11, 2]);
    assert.equal(mean.data[1], 1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/simulate.ts exits 2 with usage on bad flags and writes nothing", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const args of [
        ["--paths", "abc"],
        ["--model", "heston"],
        ["--frobnicate"],
        ["--dt", "-0.1"],
        ["--t0", "2", "--t1", "1"],
        ["--x0", "1,x"],
        ["--solver", "rk4"],
        ["--solver", "reversible-heun"], // registered, but it does not run in the ensemble kernel
      ]
    ) {
      const r = await run([...args, "--backend", "cpu", "--out", out], out);
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
  name: "scripts/simulate.ts takes its solvers from the registry: --help lists them, aliases work",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const help = await run(["--help"], out);
    assert.equal(help.code, 0, help.stderr);
    for (const s of sdeSolvers.methods) {
      for (const n of [s.info.name, ...s.info.aliases]) {
        const listed = new RegExp(`--solver <[^>]*\\b${n}\\b`).test(help.stdout);
        assert.equal(listed, s.ensembleStep !== undefined, `${n} in --help`);
      }
    }
    // an alias of a solver that runs in the ensemble only since the tableaux generate their steps
    const r = await run(
      ["--model", "gbm", "--solver", "stochastic-heun", "--paths", "2000", "--backend", "cpu"]
        .concat(["--saves", "2", "--out", out]),
      out,
    );
    assert.equal(r.code, 1, r.stderr); // gbm is Itô; heun integrates Stratonovich SDEs
    assert.match(r.stderr, /solver "heun" integrates stratonovich SDEs/);
    // on additive noise the calculus does not matter: heun runs, by its alias, with exact moments
    const ok = await run(
      ["--model", "ou", "--solver", "stochastic-heun", "--paths", "4000", "--backend", "cpu"]
        .concat(["--saves", "2", "--seed", "3", "--json", "--out", out]),
      out,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ou: 4000 paths, heun, dt 0.01/);
    const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
    assert.equal(json.solver, "heun");
    for (const row of json.moments.slice(1)) assert.ok(Math.abs(row.zMean) < 4, `z ${row.zMean}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/simulate.ts rejects an x0 outside the model's domain before any work (cir --x0 -1)", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(["--model", "cir", "--x0", "-1", "--out", join(out, "o")], out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^error: --x0: -1 \(component 0\) is outside the cir model's domain; expected x0 ≥ 0\n\nUsage:/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /NaN|\n\s+at /);
    assert.deepEqual([...Deno.readDirSync(out)], []);
    // the edge of the domain is fine
    const ok = await run(
      ["--model", "cir", "--x0", "0", "--paths", "100", "--saves", "1", "--backend", "cpu"]
        .concat(["--out", out]),
      out,
    );
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/simulate.ts --help and validation agree on --dt (> 0; 0 rejected)", async () => {
  const out = await Deno.makeTempDir();
  try {
    const help = await run(["--help"], out);
    const line = help.stdout.split("\n").find((l) => l.includes("--dt"))!;
    assert.match(line, /> 0/);
    assert.doesNotMatch(line, /at least 0/);
    const r = await run(["--dt", "0", "--out", out], out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: --dt must be positive, got "0"/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "scripts/simulate.ts runs a user Sde without WGSL on cpu under --backend auto, with a note",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const mod = join(out, "bm.ts");
  await Deno.writeTextFile(
    mod,
    `import { defineSde } from "${SDE}";
export default defineSde({
  name: "bm", dim: 1, noise: "diagonal",
  drift: (_t, _x, out, n) => out.fill(0, 0, n),
  diffusion: (_t, _x, out, n) => out.fill(1, 0, n),
});
`,
  );
  try {
    const r = await run(
      ["--module", mod, "--paths", "200", "--backend", "auto", "--t1", "0.5", "--dt", "0.05"]
        .concat(["--saves", "1", "--out", out]),
      out,
      [new URL("../..", import.meta.url).pathname],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: .*bm\.ts has no WGSL snippets \(sde\.wgsl\); running on cpu/);
    assert.match(r.stdout, /200 paths, euler-maruyama, dt 0.05, 10 steps on cpu/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/simulate.ts refuses unreadable modules and unusable --out with a line and the usage", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(other, "m.ts"), "export const sde = 1;");
    await Deno.writeTextFile(join(dir, "broken.ts"), "export const = ;");
    await Deno.writeTextFile(join(dir, "file"), "x");
    await Deno.mkdir(join(dir, "o", "mean.npy"), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [["--module", join(dir, "missing.ts")], /--module ".*": cannot read it: no such file/],
      [["--module", join(other, "m.ts")], /--module ".*": cannot read it: no read permission/],
      [["--module", join(dir, "o")], /--module ".*": cannot read it: is a folder/],
      [["--module", join(dir, "broken.ts")], /--module ".*broken\.ts": cannot load it: /],
      [["--out", join(other, "o")], /--out ".*": no write permission for it/],
      [["--out", join(dir, "file")], /--out ".*file" is a file/],
      [["--out", join(dir, "o")], /--out ".*o": mean\.npy there is a folder/],
    ];
    for (const [args, message] of cases) {
      const r = await runScriptProcess(
        "simulate.ts",
        ["--paths", "10", "--backend", "cpu", "--out", join(dir, "x"), ...args],
        { read: [dir], write: [dir] },
      );
      const label = args.join(" ");
      assert.equal(r.code, 2, `${label}: ${r.stderr}`);
      assert.match(r.stderr, /^error: [^\n]*\n\nUsage:/, label);
      assert.match(r.stderr.split("\n")[0]!, message, label);
      assert.doesNotMatch(r.stderr, /\n\s+at /, label);
    }
    assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "x"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/simulate.ts writes histograms: every path counted once, centred on the exact OU mean",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      ["--model", "ou", "--paths", "3000", "--block-paths", "512", "--bins", "30", "--saves", "2"]
        .concat(["--backend", "cpu", "--json", "--out", out]),
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const hn = decodeNpy(await Deno.readFile(join(out, "histogram.npy")));
    const en = decodeNpy(await Deno.readFile(join(out, "histogram_edges.npy")));
    assert.deepEqual(hn.shape, [3, 1, 32]);
    assert.deepEqual(en.shape, [1, 31]);
    const h = { data: hn.data as Float64Array }, edges = { data: en.data as Float64Array };
    for (let s = 0; s < 3; s++) {
      let total = 0;
      for (let b = 0; b < 32; b++) total += h.data[s * 32 + b]!;
      assert.equal(total, 3000, `save ${s}`);
    }
    // at t = 1 the OU law is normal: the histogram's median lies within a bin and 4 SE of the
    // exact mean (SE of a median √(π/2)·σ/√n)
    const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
    const last = json.moments[2];
    const row = h.data.subarray(64, 96);
    let cum = row[0]!, b = 1;
    while (cum + row[b]! < 1500) cum += row[b++]!;
    const width = edges.data[1]! - edges.data[0]!;
    const median = edges.data[b - 1]! + ((1500 - cum) / row[b]!) * width;
    const se = Math.sqrt(Math.PI / 2) * Math.sqrt(last.exactVariance / 3000);
    assert.ok(Math.abs(median - last.exactMean) < width + 4 * se, `${median} vs ${last.exactMean}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
