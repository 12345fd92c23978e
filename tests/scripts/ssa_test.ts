import assert from "node:assert/strict";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { join } from "node:path";
import { decodeNpy } from "../../io/mod.ts";
import { CpuBackend, makeKey } from "../../kernels/mod.ts";
import { builtinReactionNetwork } from "../../processes/reaction_network_library.ts";
import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
import { ssaDirect } from "../../solvers/ctmc/ssa_direct.ts";
import { ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";
import { parseSbml } from "../../io/sbml.ts";

function run(args: string[], read: string, write: string): Promise<ScriptRun> {
  return runScriptProcess("ssa.ts", args, { read: [read], write: [write] });
}

Deno.test({
  name: "scripts/ssa.ts runs the direct method and writes paths, histograms, counts and moments",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      [
        "--network",
        "birth_death",
        "--paths",
        "200",
        "--t-end",
        "10",
        "--save-times",
        "1,10",
        "--seed",
        "4",
        "--json",
        "--out",
        out,
      ],
      out,
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /200 paths by direct on cpu, seed 4/);
    assert.match(r.stderr, /100%/); // progress on stderr
    assert.match(await Deno.readTextFile(join(out, "paths.svg")), /^<svg /);
    assert.match(await Deno.readTextFile(join(out, "histograms.svg")), /^<svg /);
    const counts = decodeNpy(await Deno.readFile(join(out, "counts.npy")));
    assert.deepEqual(counts.shape, [200, 2, 1]);
    const ref = ssaDirect(builtinReactionNetwork("birth_death"), {
      tEnd: 10,
      saveTimes: [1, 10],
      paths: 200,
      key: makeKey(4, 0),
    });
    assert.deepEqual(counts.data, ref.counts);
    const json = JSON.parse(await Deno.readTextFile(join(out, "moments.json")));
    assert.equal(json.moments.length, 2);
    const m = json.moments[1];
    assert.ok(Math.abs(m.mean - 63.212055882855765) < 4 * m.meanSe);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "scripts/ssa.ts runs the ensemble from a text file and matches ssaEnsemble()",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const file = join(out, "dimer.txt");
  const text = "species A = 10, B = 0\n2 A -> B @ 1\nB -> 2 A @ 1\n";
  await Deno.writeTextFile(file, text);
  try {
    const r = await run(
      [
        "--network",
        file,
        "--method",
        "ensemble",
        "--backend",
        "cpu",
        "--paths",
        "3000",
        "--t-end",
        "1",
        "--species",
        "B",
        "--out",
        out,
      ],
      out,
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3000 paths by ensemble on cpu/);
    const moms = decodeNpy(await Deno.readFile(join(out, "moments.npy")));
    assert.deepEqual(moms.shape, [2, 5, 2]);
    const ref = await ssaEnsemble(parseReactionNetwork(text), {
      backend: new CpuBackend(),
      tEnd: 1,
      saveTimes: [0.2, 0.4, 0.6, 0.8, 1],
      paths: 3000,
      key: makeKey(0, 0),
    });
    assert.deepEqual(moms.data.subarray(0, 10), ref.mean);
    await assert.rejects(() => Deno.stat(join(out, "counts.npy")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/ssa.ts exits 2 with usage on bad flags, names and network files", async () => {
  const out = await Deno.makeTempDir();
  const bad = join(out, "bad.txt");
  await Deno.writeTextFile(bad, "species X = 1\nX -> 0 @ fast\n");
  const cases: Array<[string[], RegExp]> = [
    [["--t-end", "0"], /--t-end must be positive/],
    [["--t-end", "-2"], /--t-end must be positive/],
    [["--network", "brusselator"], /built-in network "brusselator"/],
    [["--network", bad], /line 2, column 10/],
    [["--method", "euler"], /--method/],
    [["--paths", "-3"], /--paths/],
    [["--save-times", "3,1"], /--save-times/],
    [["--species", "Q"], /--species/],
  ];
  try {
    for (const [args, message] of cases) {
      const r = await run([...args, "--paths", "2", ...args, "--out", out], out, out);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Usage:/);
    }
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["bad.txt"]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

// ---- bad-input findings (issue 12, item 7) ---------------------------------

/** An error line and the usage, exit code 2, no stack trace. */
function usageError(r: ScriptRun, message: RegExp, label: string) {
  assert.equal(r.code, 2, `${label}: ${r.stderr}`);
  assert.match(r.stderr, /^error: [^\n]*\n\nUsage:/, label);
  assert.match(r.stderr.split("\n")[0]!, message, label);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: a stack trace`);
}

Deno.test("scripts/ssa.ts refuses unreadable networks and unusable --out with a line and the usage, before any work", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "out");
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(other, "net.txt"), "species X = 1\nX -> 0 @ 1\n");
    await Deno.writeTextFile(join(dir, "file"), "not a folder");
    const cases: Array<[string[], RegExp]> = [
      // missing, unreadable (outside --allow-read), a folder
      [
        ["--network", join(dir, "missing.txt")],
        /--network ".*missing.txt": cannot read it: no such file/,
      ],
      [
        ["--network", join(other, "net.txt")],
        /--network ".*net.txt": cannot read it: Requires read access/,
      ],
      [["--network", join(dir, "sub.txt")], /cannot read it: is a folder/],
      // --out outside the write permission, an existing file
      [["--out", join(other, "o")], /--out ".*": no write permission for it/],
      [["--out", join(dir, "file")], /--out ".*file" is a file; it must be a folder/],
    ];
    await Deno.mkdir(join(dir, "sub.txt"));
    for (const [args, message] of cases) {
      const r = await run(["--paths", "2", "--out", out, ...args], dir, dir);
      usageError(r, message, args.join(" "));
    }
    // an output that is a folder: refused before any work, nothing written
    await Deno.mkdir(join(out, "moments.npy"), { recursive: true });
    const r = await run(["--paths", "2", "--out", out], dir, dir);
    usageError(r, /moments\.npy there is a folder/, "moments.npy folder");
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["moments.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("scripts/ssa.ts checks the memory of a per-path method up front (--paths 4294967295)", async () => {
  const out = await Deno.makeTempDir();
  try {
    const t0 = performance.now();
    const r = await run(["--paths", "4294967295", "--out", out], out, out);
    usageError(
      r,
      /--paths 4294967295: the direct method keeps every path's counts, [0-9.]+ GiB/,
      "paths",
    );
    assert.match(r.stderr, /use --method ensemble/);
    assert.ok(performance.now() - t0 < 20_000);
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "scripts/ssa.ts shows progress on stderr from the start of a long ensemble (--paths 3e8)",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const script = new URL("../../scripts/ssa.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${out}`,
      `--allow-write=${out}`,
      script,
      "--method",
      "ensemble",
      "--backend",
      "cpu",
      "--paths",
      "3e8",
      "--out",
      out,
    ],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // a script silent for 20 s is stopped, and fails below
  const deadline = setTimeout(() => child.kill(), 20_000);
  try {
    const t0 = performance.now();
    let text = "";
    const reader = child.stderr.getReader();
    while (!/ensemble on cpu: 0% \(0\/300000000\) 0:\d\d elapsed, started/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.match(text, /ensemble on cpu: 0% \(0\/300000000\)/);
    assert.ok(performance.now() - t0 < 20_000, `${performance.now() - t0} ms`);
    reader.releaseLock();
  } finally {
    clearTimeout(deadline);
    try {
      child.kill();
    } catch { /* already ended */ }
    await child.status;
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/ssa.ts writes a run's outputs as one unit and removes an earlier run's stale ones", async () => {
  const out = await Deno.makeTempDir();
  try {
    const first = await run(["--paths", "20", "--json", "--out", out], out, out);
    assert.equal(first.code, 0, first.stderr);
    const names = () => [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(names(), [
      "counts.npy",
      "histograms.svg",
      "moments.json",
      "moments.npy",
      "paths.svg",
    ]);
    // an ensemble keeps no counts and was not asked for JSON: those of the direct run go
    const second = await run(
      ["--paths", "200", "--method", "ensemble", "--backend", "cpu", "--out", out],
      out,
      out,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(names(), ["histograms.svg", "moments.npy", "paths.svg"]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

// ---- SBML input (--sbml, and .xml/.sbml files through --network) -------------

const SBML_DIR = new URL("../fixtures/sbml/", import.meta.url).pathname;

Deno.test({
  name: "scripts/ssa.ts --sbml reads an SBML Level 3 model and matches ssaDirect() on parseSbml()",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const file = join(SBML_DIR, "general.xml");
  try {
    const args = ["--paths", "40", "--t-end", "2", "--save-times", "1,2", "--seed", "3"];
    const r = await runScriptProcess("ssa.ts", [...args, "--sbml", file, "--out", out], {
      read: [out, file],
      write: [out],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^general: 40 paths by direct on cpu, seed 3/);
    const net = parseSbml(await Deno.readTextFile(file));
    assert.deepEqual(net.species, ["S", "P"]); // Src is a boundary species
    const counts = decodeNpy(await Deno.readFile(join(out, "counts.npy")));
    assert.deepEqual(counts.shape, [40, 2, 2]);
    const ref = ssaDirect(net, { tEnd: 2, saveTimes: [1, 2], paths: 40, key: makeKey(3, 0) });
    assert.deepEqual(counts.data, ref.counts);
    // a .xml file given to --network is read as SBML too
    const again = await runScriptProcess("ssa.ts", [...args, "--network", file, "--out", out], {
      read: [out, file],
      write: [out],
    });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(decodeNpy(await Deno.readFile(join(out, "counts.npy"))).data, ref.counts);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/ssa.ts --sbml refuses a malformed, a refused or an unreadable file with a line and the usage", async () => {
  const out = await Deno.makeTempDir();
  try {
    const cases: Array<[string, RegExp]> = [
      [
        join(SBML_DIR, "malformed.xml"),
        /^error: --sbml ".*malformed\.xml": .*not well-formed XML at line \d+/,
      ],
      [join(SBML_DIR, "refuse_event.xml"), /^error: --sbml ".*refuse_event\.xml": .*event/],
      [join(SBML_DIR, "missing.xml"), /^error: --sbml ".*missing\.xml": cannot read it: no such/],
    ];
    for (const [file, message] of cases) {
      const r = await runScriptProcess("ssa.ts", ["--sbml", file, "--paths", "2", "--out", out], {
        read: [out, SBML_DIR],
        write: [out],
      });
      usageError(r, message, file);
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/ssa.ts pools the blocks' batch-means SEs of the variance: birth_death against the exact Poisson value",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    // 10 blocks of 2000 paths, one block of 40 (fewer than 65 paths: no SE of its own, left out)
    const r = await run(
      ["--method", "ensemble", "--backend", "cpu", "--paths", "20040", "--block-paths", "2000"]
        .concat(["--t-end", "2", "--save-times", "2", "--json", "--out", out]),
      out,
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(await Deno.readTextFile(join(out, "moments.json"))).moments[0];
    // birth (10) and death (0.1 per molecule) from 0: X(2) ~ Poisson(λ), λ = 100(1 − e^−0.2),
    // and Var(s²) = (μ₄ − σ⁴)/n = (λ + 2λ²)/n
    const lambda = 100 * (1 - Math.exp(-0.2));
    const exact = Math.sqrt((lambda + 2 * lambda * lambda) / 20040);
    // each block's SE² is a batch-means estimate on 63 degrees of freedom; pooled over 10 blocks
    // the SE is off by about ½·√(2/630) relative: four of those
    const bound = 4 * 0.5 * Math.sqrt(2 / (10 * 63));
    assert.ok(Math.abs(row.varianceSe / exact - 1) < bound, `${row.varianceSe} vs ${exact}`);
    assert.ok(Math.abs(row.mean - lambda) < 4 * row.meanSe);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
