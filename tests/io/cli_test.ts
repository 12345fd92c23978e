import assert from "node:assert/strict";
import { CliUsageError, parseCli, usage } from "../../io/cli.ts";
import { SdenoRangeError } from "../../kernels/errors.ts";

const spec = {
  name: "scripts/ou.ts",
  description: "Simulates an Ornstein–Uhlenbeck process.",
  flags: {
    steps: { type: "integer", default: 100, min: 1, description: "number of steps", short: "n" },
    dt: { type: "number", default: 0.01, description: "time step" },
    x0: { type: "number", description: "initial value" },
    backend: { type: "choice", choices: ["cpu", "webgpu", "auto"], default: "auto" },
    outDir: { type: "string", default: "out", description: "where to write" },
    verbose: { type: "boolean", description: "say more" },
    progress: { type: "boolean", default: true, description: "show progress" },
  },
} as const;

function values(args: string[]) {
  const parsed = parseCli(args, spec);
  assert.ok(!parsed.help);
  return parsed.values;
}

Deno.test("parseCli() fills defaults", () => {
  assert.deepEqual(values([]), {
    steps: 100,
    dt: 0.01,
    backend: "auto",
    outDir: "out",
    verbose: false,
    progress: true,
  });
});

Deno.test("parseCli() converts numbers, integers, choices, strings and switches", () => {
  const v = values([
    "--steps=20",
    "--dt",
    "1e-3",
    "--x0",
    "-1.5",
    "--backend",
    "cpu",
    "--out-dir",
    "runs/a",
    "--verbose",
    "--no-progress",
  ]);
  assert.equal(v.steps, 20);
  assert.equal(v.dt, 0.001);
  assert.equal(v.x0, -1.5);
  assert.equal(v.backend, "cpu");
  assert.equal(v.outDir, "runs/a");
  assert.equal(v.verbose, true);
  assert.equal(v.progress, false);
  assert.equal(values(["-n", "7"]).steps, 7);
});

Deno.test("parseCli() rejects a non-number for an integer flag", () => {
  assert.throws(
    () => parseCli(["--steps", "abc"], spec),
    (err) =>
      err instanceof CliUsageError && err instanceof SdenoRangeError &&
      err.message === '--steps must be an integer, got "abc"' && err.flag === "--steps",
  );
  assert.throws(() => parseCli(["--steps", "2.5"], spec), /--steps must be an integer, got "2\.5"/);
  assert.throws(() => parseCli(["-n", "x"], spec), /--steps must be an integer, got "x"/);
});

Deno.test("parseCli() rejects a non-number and out-of-range values", () => {
  assert.throws(() => parseCli(["--dt", "fast"], spec), /--dt must be a number, got "fast"/);
  assert.throws(() => parseCli(["--dt", ""], spec), /--dt must be a number, got ""/);
  assert.throws(() => parseCli(["--dt", "Infinity"], spec), /--dt must be a number/);
  assert.throws(() => parseCli(["--steps", "0"], spec), /--steps must be at least 1, got "0"/);
});

Deno.test("parseCli() rejects an unknown flag, naming it", () => {
  assert.throws(
    () => parseCli(["--stpes", "3"], spec),
    (err) =>
      err instanceof SdenoRangeError && err.message === 'Unknown flag "--stpes"' &&
      (err as CliUsageError).flag === "--stpes",
  );
  assert.throws(() => parseCli(["-q"], spec), /Unknown flag "-q"/);
  assert.throws(() => parseCli(["--no-dt"], spec), /Unknown flag "--no-dt"/);
});

Deno.test("parseCli() rejects a value outside the choices", () => {
  assert.throws(
    () => parseCli(["--backend", "tpu"], spec),
    /--backend must be one of "cpu", "webgpu", "auto", got "tpu"/,
  );
});

Deno.test("parseCli() rejects missing values, switch values and stray arguments", () => {
  assert.throws(() => parseCli(["--dt"], spec), /--dt needs a value/);
  assert.throws(
    () => parseCli(["--verbose=yes"], spec),
    /--verbose is a switch and takes no value, got "yes"/,
  );
  assert.throws(() => parseCli(["input.npy"], spec), /Unexpected argument "input\.npy"/);
});

Deno.test("parseCli() accepts positionals when the spec declares them", () => {
  const parsed = parseCli(["a.npy", "--k", "2", "--", "--b.npy"], {
    flags: { k: { type: "integer" } },
    positionals: "<files...>",
  });
  assert.ok(!parsed.help);
  assert.deepEqual(parsed.positionals, ["a.npy", "--b.npy"]);
  assert.equal(parsed.values.k, 2);
});

Deno.test("parseCli() enforces required flags", () => {
  const s = { flags: { seed: { type: "integer", required: true } } } as const;
  assert.throws(() => parseCli([], s), /--seed is required/);
  const parsed = parseCli(["--seed", "1"], s);
  assert.ok(!parsed.help && parsed.values.seed === 1);
});

Deno.test("parseCli() reports --help and -h before validating", () => {
  assert.deepEqual(parseCli(["--help"], spec), { help: true });
  assert.deepEqual(parseCli(["--steps", "x", "-h"], spec), { help: true });
});

Deno.test("parseCli() rejects a bad spec", () => {
  assert.throws(() => parseCli([], { flags: { help: { type: "boolean" } } }), /"help" is reserved/);
  assert.throws(
    () => parseCli([], { flags: { a: { type: "boolean", short: "h" } } }),
    /short alias/,
  );
});

Deno.test("usage() lists every flag with type, default and description", () => {
  const text = usage(spec);
  const lines = text.split("\n");
  assert.equal(lines[0], "Usage: scripts/ou.ts [options]");
  assert.equal(lines[2], "Simulates an Ornstein–Uhlenbeck process.");
  assert.match(text, /-n, --steps <integer> +number of steps \(at least 1, default: 100\)/);
  assert.match(text, / {4}--backend <cpu\|webgpu\|auto> +\(default: auto\)/);
  assert.match(text, /--out-dir <string> +where to write \(default: "out"\)/);
  assert.match(text, /--progress +show progress \(default: on; --no-progress turns it off\)/);
  assert.match(text, /-h, --help +show this help and exit/);
  assert.ok(text.endsWith("\n"));
  // descriptions line up in one column
  const cols = lines.filter((l) => l.startsWith("  -")).map((l) => l.search(/ {2}\S/));
  assert.ok(cols.length > 0);
});
