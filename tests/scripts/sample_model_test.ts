// scripts/sample_model.ts in a child process with its documented permissions: bad flags exit 2
// with the usage and no stack trace; a small run prints the table and writes its files.
import assert from "node:assert/strict";

const SCRIPT = new URL("../../scripts/sample_model.ts", import.meta.url).pathname;

async function run(args: string[], out: string) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", `--allow-write=${out}`, SCRIPT, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("scripts/sample_model.ts exits 2 with the usage on bad flags, without a stack trace", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (
      const [args, message] of [
        [["--nfe", "5,x"], /--nfe: unknown or bad value "x"/],
        [["--solver", "euler,rk45"], /--solver: Unknown diffusion method "rk45"; known: euler/],
        [["--frobnicate"], /frobnicate/],
        [["--kind", "v"], /the gmm model outputs x0 or eps/],
      ] as const
    ) {
      const r = await run([...args, "--out", out], out);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /scripts\/sample_model\.ts/); // the usage
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
    const missing = await run(["--model", `${out}/none.onnx`, "--out", out], out);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no file at/);
    assert.doesNotMatch(missing.stderr, /^\s+at /m);
    assert.deepEqual([...Deno.readDirSync(out)], []); // nothing written
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/sample_model.ts samples the ONNX mixture and writes the SVG grid and metrics", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run(
      [
        "--n",
        "300",
        "--solver",
        "euler,dpmpp_2m",
        "--nfe",
        "4,8",
        "--reference",
        "40",
        "--json",
        "--out",
        out,
      ],
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /solver\s+NFE\s+SW2\s+MMD²\s+time \(s\)/);
    assert.match(r.stdout, /i\.i\.d\. floor SW2/);
    const svg = await Deno.readTextFile(`${out}/samples.svg`);
    assert.match(svg, /^<svg/);
    assert.match(svg, /dpmpp_2m \(NFE 8\)/);
    const m = JSON.parse(await Deno.readTextFile(`${out}/metrics.json`));
    assert.deepEqual(
      m.rows.map((row: { solver: string; nfe: number }) => [row.solver, row.nfe]),
      [["euler", 4], ["euler", 8], ["dpmpp_2m", 4], ["dpmpp_2m", 8], ["ddpm", 40]],
    );
    for (const row of m.rows) assert.ok(Number.isFinite(row.sw2) && row.seconds >= 0);
    // no temp files left behind by the atomic writes
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      "metrics.json",
      "samples.svg",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
