import assert from "node:assert/strict";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { join } from "node:path";
import { decodeNpy } from "../../io/mod.ts";
import { CpuBackend, makeKey } from "../../kernels/mod.ts";
import { builtinReactionNetwork } from "../../processes/reaction_network_library.ts";
import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
import { ssaDirect } from "../../solvers/ctmc/ssa_direct.ts";
import { ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";

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
