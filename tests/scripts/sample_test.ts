import assert from "node:assert/strict";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { join } from "node:path";
import { decodeNpy, encodeNpy } from "../../io/mod.ts";
import { diffusionMethods } from "../../solvers/diffusion/registry.ts";
import { COMFYUI_SAMPLERS, SIGMA_SCHEDULES } from "../../solvers/diffusion/sampler_names.ts";
import { betaSigmas } from "../../solvers/diffusion/sigma_schedules.ts";
import { sampleEuler } from "../../solvers/diffusion/sample_euler.ts";
import { CpuBackend } from "../../kernels/mod.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import { parseGaussianMixtureSpec } from "../../models/parse_gaussian_mixture_spec.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { SHARD_ENV_VARIABLES } from "../../io/shard.ts";

const FIXTURE = new URL("../fixtures/diffusion/", import.meta.url).pathname;

function run(args: string[], out: string, read = out): Promise<ScriptRun> {
  return runScriptProcess("sample.ts", args, { read: [read], write: [out] });
}

Deno.test({
  name:
    "scripts/sample.ts replays the stored noise with the fixture mixture and reproduces kd_dpmpp_2m_nfe10",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    // the first 64 rows of the reference noise as a .npy, and the reference mixture as JSON
    const z = new Float64Array((await Deno.readFile(join(FIXTURE, "noise64.bin"))).buffer);
    await Deno.writeFile(join(out, "z.npy"), encodeNpy({ data: z, shape: [64, 2] }));
    const r = await run(
      [
        "--model",
        join(FIXTURE, "gmm_spec.json"),
        "--noise",
        join(out, "z.npy"),
        "--solver",
        "dpmpp_2m,euler_ancestral",
        "--steps",
        "10",
        "--backend",
        "cpu",
        "--json",
        "--out",
        out,
      ],
      out,
      `${out},${FIXTURE}`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /64 samples of a 2-D mixture \(8 components\), edm schedule, NFE 10/);
    assert.match(r.stdout, /dpmpp_2m +10 /);
    assert.match(r.stderr, /solvers: 100%/);
    const x = decodeNpy(await Deno.readFile(join(out, "dpmpp_2m.npy")));
    assert.deepEqual(x.shape, [64, 2]);
    const runs = JSON.parse(await Deno.readTextFile(join(FIXTURE, "runs.json"))).runs;
    const row = runs.find((q: { id: string }) => q.id === "kd_dpmpp_2m_nfe10").row;
    const all = new Float64Array((await Deno.readFile(join(FIXTURE, "outputs64.bin"))).buffer);
    const ref = all.subarray(row * 128, row * 128 + 128);
    for (let i = 0; i < 128; i++) {
      assert.ok(Math.abs(x.data[i]! as number - ref[i]!) <= 1e-9 * Math.max(1, Math.abs(ref[i]!)));
    }
    const svg = await Deno.readTextFile(join(out, "samples.svg"));
    assert.match(svg, /^<svg /);
    assert.match(svg, /euler_ancestral \(NFE 10\)/);
    const json = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    assert.deepEqual(json.rows.map((q: { solver: string }) => q.solver), [
      "dpmpp_2m",
      "euler_ancestral",
    ]);
    assert.equal(json.rows[1].odeRmse, null);
    assert.ok(json.rows[0].odeRmse > 0 && json.rows[0].sw2 > 0);
    assert.ok((await Deno.stat(join(out, "reference.npy"))).isFile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/sample.ts exits 2 with usage on bad flags and writes nothing", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const args of [
        ["--steps", "0"],
        ["--solver", "rk45"],
        ["--solver", "dpm_solver:ordr=3"],
        ["--solver", "euler:sChurn"],
        ["--backend", "cuda"],
        ["--schedule", "cosine"],
        ["--frobnicate"],
        ["--model", join(out, "missing.json")],
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

Deno.test("scripts/sample.ts --help lists every registered sampler and alias", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(["--help"], out);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout + r.stderr;
    for (const m of diffusionMethods.methods) {
      for (const name of [m.info.name, ...m.info.aliases]) assert.ok(help.includes(name), name);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/sample.ts runs DPM-Solver++(3M), UniPC-bh2, SDE-DPM-Solver++(2M) and the adaptive solvers with options from the registry",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const solvers = [
      "dpm_solver",
      "dpm_solver:order=3",
      "unipc:variant=bh2",
      "unipc:variant=bh2:order=3",
      "sde_dpm_solver:order=1",
      "sde-dpmsolver++",
      "dpm_adaptive",
      "dpmsolver_adaptive",
    ];
    const r = await run(
      ["--solver", solvers.join(","), "--steps", "8", "--n", "64", "--json", "--out", out],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    const rows = Object.fromEntries(
      json.rows.map((q: { solver: string }) => [q.solver, q]),
    ) as Record<string, { nfe: number; sw2: number; odeRmse: number | null }>;
    assert.deepEqual(Object.keys(rows), solvers);
    for (const name of solvers.slice(0, 6)) assert.equal(rows[name]!.nfe, 8, name);
    assert.equal(rows.dpm_adaptive!.nfe % 3, 0);
    assert.equal(rows.dpmsolver_adaptive!.nfe % 3, 0);
    assert.equal(rows["sde-dpmsolver++"]!.odeRmse, null);
    // deterministic solvers land near the fine ODE reference (~2 units would mean mode jumps)
    for (const name of solvers.filter((n) => /^(dpm_solver:|unipc:variant=bh2:|dpm)/.test(n))) {
      assert.ok(rows[name]!.odeRmse! < 0.5, `${name}: ${rows[name]!.odeRmse}`);
    }
    assert.ok((await Deno.stat(join(out, "dpm_solver_order_3.npy"))).isFile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/sample.ts checks --noise before any work: dtype, rows, --n, finite entries", async () => {
  const out = await Deno.makeTempDir();
  try {
    const z = new Float64Array(8).map((_, i) => i / 8 - 0.5);
    const nan = z.slice();
    nan[5] = NaN; // row 2, column 1
    const inf = new Float32Array(z);
    inf[2] = -Infinity; // row 1, column 0
    const files: Array<[string, Uint8Array]> = [
      ["i8.npy", encodeNpy({ data: new BigInt64Array(8), shape: [4, 2] })],
      ["nan.npy", encodeNpy({ data: nan, shape: [4, 2] })],
      ["inf.npy", encodeNpy({ data: inf, shape: [4, 2] })],
      ["one.npy", encodeNpy({ data: z.subarray(0, 2), shape: [1, 2] })],
      ["four.npy", encodeNpy({ data: z, shape: [4, 2] })],
    ];
    for (const [name, bytes] of files) await Deno.writeFile(join(out, name), bytes);
    const cases: Array<[string[], RegExp]> = [
      [["--noise", join(out, "i8.npy")], /i8\.npy": dtype <i8 is not a float type/],
      [["--noise", join(out, "nan.npy")], /nan\.npy": entry \(row 2, column 1\) is NaN/],
      [["--noise", join(out, "inf.npy")], /inf\.npy": entry \(row 1, column 0\) is -Infinity/],
      [["--noise", join(out, "one.npy")], /one\.npy": has 1 row\(s\); at least 2/],
      [["--noise", join(out, "four.npy"), "--n", "8"], /--n 8 disagrees with .*4 rows/],
      [["--noise", join(out, "missing.npy")], /--noise ".*missing\.npy": /],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, "--solver", "euler", "--out", join(out, "o")], out);
      const label = args.join(" ");
      assert.equal(r.code, 2, `${label}: ${r.stderr}`);
      assert.match(r.stderr.split("\n")[0]!, message, label);
      assert.match(r.stderr, /Usage:/, label);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: a stack trace`);
      assert.doesNotMatch(r.stderr.split("\n")[0]!, /reference|heun/, label);
    }
    assert.equal([...Deno.readDirSync(out)].some((e) => e.name === "o"), false);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/sample.ts checks each solver against --steps and --n against memory before any work",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      ["--steps", "1", "--solver", "euler,dpm_solver:order=3", "--n", "16"]
        .concat(["--out", join(out, "o")]),
      out,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^error: --solver dpm_solver:order=3 cannot run with --steps 1: .*needs at least 3 steps, got 1\n\nUsage:/,
    );
    assert.doesNotMatch(r.stderr, /solvers: |\n\s+at /); // no progress: refused before any work
    const big = await run(["--n", "1e12", "--solver", "euler", "--out", join(out, "o")], out);
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stderr, /^error: --n 1000000000000: .* GiB .*give a smaller --n\n\nUsage:/);
    assert.deepEqual([...Deno.readDirSync(out)], []);
    // one step of the SDE sampler is a valid run (NFE 1), not an internal Brownian-grid error
    const sde = await run(
      ["--steps", "1", "--solver", "dpmpp_sde", "--n", "16", "--backend", "cpu", "--json"]
        .concat(["--out", out]),
      out,
    );
    assert.equal(sde.code, 0, sde.stderr);
    const json = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    assert.equal(json.rows[0].nfe, 1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/sample.ts refuses unreadable inputs and unusable --out with a line and the usage", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(other, "m.json"), "{}");
    await Deno.writeTextFile(join(dir, "file"), "x");
    await Deno.mkdir(join(dir, "sub.npy"));
    await Deno.mkdir(join(dir, "o", "euler.npy"), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [["--model", join(dir, "missing.json")], /--model ".*": cannot read it: no such file/],
      [["--model", join(other, "m.json")], /--model ".*": cannot read it: no read permission/],
      [["--noise", join(dir, "sub.npy")], /--noise ".*": cannot read it: is a folder/],
      [["--out", join(other, "o")], /--out ".*": no write permission for it/],
      [["--out", join(dir, "file")], /--out ".*file" is a file/],
      [["--out", join(dir, "o")], /--out ".*o": euler\.npy there is a folder/],
    ];
    for (const [args, message] of cases) {
      const r = await runScriptProcess(
        "sample.ts",
        ["--solver", "euler", "--n", "8", "--out", join(dir, "x"), ...args],
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
    "scripts/sample.ts --sampler takes ComfyUI names and --scheduler a named σ schedule: karras reproduces kd_dpmpp_2m_nfe10, beta equals sampleEuler on betaSigmas",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const z = new Float64Array((await Deno.readFile(join(FIXTURE, "noise64.bin"))).buffer);
    await Deno.writeFile(join(out, "z.npy"), encodeNpy({ data: z, shape: [64, 2] }));
    const common = ["--model", join(FIXTURE, "gmm_spec.json"), "--noise", join(out, "z.npy")];
    const r = await run(
      [
        ...common,
        "--sampler",
        "dpmpp_2m,dpmpp_2m_sde_gpu",
        "--scheduler",
        "karras",
        "--steps",
        "10",
        "--json",
        "--out",
        out,
      ],
      out,
      `${out},${FIXTURE}`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /σ schedule karras/);
    const x = decodeNpy(await Deno.readFile(join(out, "dpmpp_2m.npy")));
    const runs = JSON.parse(await Deno.readTextFile(join(FIXTURE, "runs.json"))).runs;
    const row = runs.find((q: { id: string }) => q.id === "kd_dpmpp_2m_nfe10").row;
    const all = new Float64Array((await Deno.readFile(join(FIXTURE, "outputs64.bin"))).buffer);
    for (let i = 0; i < 128; i++) {
      const ref = all[row * 128 + i]!;
      assert.ok(Math.abs(x.data[i]! as number - ref) <= 1e-9 * Math.max(1, Math.abs(ref)));
    }
    const json = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    assert.deepEqual(json.rows.map((q: { solver: string }) => q.solver), [
      "dpmpp_2m",
      "dpmpp_2m_sde_gpu",
    ]);
    assert.equal(json.rows[1].odeRmse, null); // an SDE run

    const b = await run(
      [...common, "--sampler", "euler", "--scheduler", "beta", "--steps", "10", "--out", out],
      out,
      `${out},${FIXTURE}`,
    );
    assert.equal(b.code, 0, b.stderr);
    const e = decodeNpy(await Deno.readFile(join(out, "euler.npy")));
    const sigmas = betaSigmas(10);
    const cpu = new CpuBackend();
    const model = gaussianMixture(
      parseGaussianMixtureSpec(await Deno.readTextFile(join(FIXTURE, "gmm_spec.json"))),
      edmSchedule(),
    );
    const want = await sampleEuler(model, cpu.upload(z.map((v) => v * sigmas[0]!)), sigmas);
    const w = await cpu.download(want.x);
    for (let i = 0; i < 128; i++) assert.ok(Math.abs((e.data[i] as number) - w[i]!) <= 1e-12);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/sample.ts: --help lists the ComfyUI names and schedulers; unknown names exit 2 listing the known ones", async () => {
  const out = await Deno.makeTempDir();
  try {
    const h = await run(["--help"], out);
    const help = h.stdout + h.stderr;
    for (const name of [...Object.keys(COMFYUI_SAMPLERS), ...Object.keys(SIGMA_SCHEDULES)]) {
      assert.ok(help.includes(name), name);
    }
    for (
      const [args, message] of [
        [
          ["--scheduler", "cosine"],
          /--scheduler: Unknown σ schedule "cosine"; known: simple, sgm_uniform, karras/,
        ],
        [["--sampler", "euler_x"], /--sampler: Unknown sampler "euler_x"; known: ComfyUI: euler,/],
        [["--sampler", "er_sde"], /not implemented in sdeno/],
        [["--sampler", "euler", "--solver", "heun"], /--solver and --sampler are the same flag/],
      ] as const
    ) {
      const r = await run([...args, "--out", out], out);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Usage:/);
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

// ---- shards (issue 16) --------------------------------------------------------

/** Runs scripts/<name> with read/write on `dir`, the shard variables readable, and `env` set. */
async function runSharded(
  dir: string,
  name: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const script = new URL(`../../scripts/${name}`, import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-env=${SHARD_ENV_VARIABLES.join(",")}`,
      script,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test({
  name:
    "scripts/sample.ts --shard: 3 shards (one without rows) merged by scripts/merge.ts give the unsharded bytes",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 1100 samples: 2 blocks of 1024 rows over 3 shards (shard 0 has none); stochastic samplers
    // draw the whole run's noise through pathOffset
    const args = ["--n", "1100", "--steps", "4", "--solver", "euler,euler_ancestral,dpmpp_2m_sde"];
    const whole = await runSharded(dir, "sample.ts", [
      ...args,
      "--json",
      "--out",
      join(dir, "whole"),
    ]);
    assert.equal(whole.code, 0, whole.stderr);
    const runs = await Promise.all(
      [0, 1, 2].map((i) =>
        runSharded(dir, "sample.ts", [...args, "--out", join(dir, "s")], {
          JOB_COMPLETION_INDEX: String(i),
          SDENO_SHARD_COUNT: "3",
        })
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.match(runs[0]!.stdout, /shard 0\/3: no samples of 1100/);
    const m = await runSharded(dir, "merge.ts", [
      "--json",
      "--out",
      join(dir, "m"),
      join(dir, "s"),
    ]);
    assert.equal(m.code, 0, m.stderr);
    for (const f of ["euler.npy", "euler_ancestral.npy", "dpmpp_2m_sde.npy", "reference.npy"]) {
      assert.deepEqual(
        await Deno.readFile(join(dir, "m", f)),
        await Deno.readFile(join(dir, "whole", f)),
        f,
      );
    }
    assert.deepEqual(
      await Deno.readFile(join(dir, "m", "samples.svg")),
      await Deno.readFile(join(dir, "whole", "samples.svg")),
    );
    const metrics = async (f: string) =>
      JSON.parse(await Deno.readTextFile(f)).rows.map((r: Record<string, unknown>) => ({
        ...r,
        seconds: 0,
      }));
    assert.deepEqual(
      await metrics(join(dir, "m", "metrics.json")),
      await metrics(join(dir, "whole", "metrics.json")),
    );
    // a sampler that sizes its steps from the whole batch cannot be sharded
    const bad = await runSharded(dir, "sample.ts", [
      ...[
        "--n",
        "100",
        "--solver",
        "euler,dpm_adaptive",
        "--shard",
        "0/2",
        "--out",
        join(dir, "x"),
      ],
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /^error: --shard 0\/2: dpm_adaptive size their steps from the whole batch[^\n]*\n\nUsage:/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
