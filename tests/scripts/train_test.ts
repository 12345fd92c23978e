// scripts/train.ts as a user runs it: usage errors exit 2 without a stack, bad data exits 1 with
// the reason, and a short run writes a card, weights, losses, a plot and ONNX that load back.
import assert from "node:assert/strict";
import { CpuBackend } from "../../kernels/mod.ts";
import { Mlp } from "../../models/mlp.ts";
import { encodeNpy, readNpy } from "../../io/mod.ts";

const SCRIPT = new URL("../../scripts/train.ts", import.meta.url).pathname;
const EVALUATE = new URL("../../scripts/evaluate_mlp.ts", import.meta.url).pathname;

async function train(args: string[], out: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${out}`, SCRIPT, "--out", out, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

Deno.test("train.ts exits 2 with usage and no stack trace on bad flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [args, re] of [
        [["--steps", "0"], /--steps must be at least 1, got "0"/],
        [
          ["--objective", "score"],
          /--objective must be one of "eps", "x0", "v", "velocity", got "score"/,
        ],
        [
          ["--data", "spiral"],
          /--data must be one of ring, moons, checkerboard, swiss-roll or a \.npy file/,
        ],
        [["--hidden", "16,x"], /--hidden must list positive integers, got "16,x"/],
        [["--labels", "y.npy"], /--labels needs --conditional/],
        [["--bogus"], /Unknown flag "--bogus"/],
      ] as const
    ) {
      const r = await train([...args], dir);
      assert.equal(r.code, 2, `${args}: ${r.err}`);
      assert.match(r.err, re);
      assert.match(r.err, /Usage: scripts\/train\.ts/);
      assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train.ts exits 1 naming the problem for missing files, bad labels and a diverging loss", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = `${dir}/x.npy`, y = `${dir}/y.npy`, yf = `${dir}/yf.npy`;
    await Deno.writeFile(
      x,
      encodeNpy({ data: new Float64Array([0, 1, 2, 3, 4, 5]), shape: [3, 2] }),
    );
    await Deno.writeFile(y, encodeNpy({ data: new Int32Array([0, 1]), shape: [2] }));
    await Deno.writeFile(yf, encodeNpy({ data: new Float32Array([0, 1, 1]), shape: [3] }));
    const cases: Array<[string[], RegExp]> = [
      [["--data", `${dir}/none.npy`], /--data names no file/],
      [
        ["--data", x, "--conditional", "--labels", yf],
        /must hold integers of shape \[n\], got <f4/,
      ],
      [
        ["--data", x, "--conditional", "--labels", y, "--steps", "2"],
        /one label per row \(3\), got 2/,
      ],
      [
        ["--data", x, "--steps", "30", "--lr", "1e80", "--warmup", "0", "--hidden", "8,8,8"],
        /the loss is (NaN|Infinity) at step \d+/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await train(args, `${dir}/out`);
      assert.equal(r.code, 1, `${args}: ${r.err}`);
      assert.match(r.err, re);
      assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "train.ts writes a card, weights, losses, a loss plot and ONNX that load back",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      "--data",
      "moons",
      "--n",
      "500",
      "--steps",
      "40",
      "--hidden",
      "16,16",
      "--batch-size",
      "64",
      "--conditional",
      "--seed",
      "5",
    ];
    const r = await train(args, dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /training on cpu: 100% \(40\/40\).* loss \d/);
    const card = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.equal(card.objective, "x0");
    assert.equal(card.predictionKind, "x0");
    assert.equal(card.training.steps, 40);
    assert.equal(card.seed, 5);
    assert.equal(card.data.source, "moons");
    assert.equal(card.spec.classes, 2);
    assert.ok(Number.isFinite(card.finalLoss));
    assert.match(
      card.command,
      /^deno run --allow-read --allow-write=\S+ scripts\/train\.ts --out \S+ --data moons .*--seed 5$/,
    );
    const weights = await readNpy(`${dir}/model.npy`);
    assert.equal(weights.dtype, "<f4");
    const mlp = Mlp.fromCard(card, weights.data as Float32Array);
    assert.equal(mlp.parameterCount, card.weights.count);
    const losses = await readNpy(`${dir}/model.losses.npy`);
    assert.equal(losses.data.length, 40);
    // the final loss is the mean of the last 5% of the steps (2 of 40)
    assert.ok(
      Math.abs(card.finalLoss - (Number(losses.data[38]) + Number(losses.data[39])) / 2) < 1e-12,
    );
    assert.match(await Deno.readTextFile(`${dir}/model.loss.svg`), /^<svg[\s\S]*class="line"/);
    const onnx = await Deno.readFile(`${dir}/model.onnx`);
    assert.ok(new TextDecoder().decode(onnx).includes("labels"));
    // the saved model predicts finitely for a conditional batch
    // scripts/evaluate_mlp.ts reads the card back and samples it (tiny sizes)
    const ev = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        EVALUATE,
        "--model",
        `${dir}/model.json`,
        "--n",
        "64",
        "--reference-steps",
        "3",
        "--per-class",
        "4",
        "--directions",
        "8",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const table = new TextDecoder().decode(ev.stdout);
    assert.equal(ev.code, 0, new TextDecoder().decode(ev.stderr));
    assert.match(table, /\| dpmpp_2m, NFE 20 \(karras σ.s\) \| 20 \| \d/);
    assert.match(table, /\| ddpm, 3 steps \| 3 \| \d/);
    assert.match(table, /CFG w = 3, dpmpp_2m NFE 20: [\d.]+% of 8 guided samples/);
    const b = new CpuBackend();
    const out = b.zeros(4);
    await mlp.denoiser().predict(b.upload([0, 1, 2, 3]), 1, out, {
      kind: "x0",
      conditioning: { labels: [0, 1] },
    });
    assert.ok((await b.download(out)).every(Number.isFinite));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate_mlp.ts exits 2 with usage on bad flags and 1 on a card it cannot use", async () => {
  const run = async (args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", EVALUATE, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: r.code, err: new TextDecoder().decode(r.stderr) };
  };
  const missing = await run([]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--model is required/);
  const bad = await run(["--model", "x.json", "--nfe", "1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--nfe must be at least 2, got "1"/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ format: "other" }));
    const wrong = await run(["--model", `${dir}/m.json`]);
    assert.equal(wrong.code, 1, wrong.err);
    assert.match(wrong.err, /names no weights file/);
    assert.doesNotMatch(wrong.err, /\n\s+at /);
    const none = await run(["--model", `${dir}/none.json`]);
    assert.equal(none.code, 1, none.err);
    assert.match(none.err, /--model names no file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
