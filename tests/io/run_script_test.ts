import assert from "node:assert/strict";
import { runScript } from "../../io/run_script.ts";
import { SdenoRangeError } from "../../kernels/errors.ts";

const spec = {
  name: "demo.ts",
  flags: { steps: { type: "integer", default: 10, description: "number of steps" } },
} as const;

async function run(
  args: string[],
  main: Parameters<typeof runScript<typeof spec>>[0] = () => {},
) {
  const result = { code: undefined as number | undefined, out: "", err: "" };
  await runScript(main, spec, {
    args,
    exit: (c) => void (result.code = c),
    stdout: (s) => void (result.out += s),
    stderr: (s) => void (result.err += s),
  });
  return result;
}

Deno.test("runScript() passes parsed values to main", async () => {
  let seen = 0;
  const r = await run(["--steps", "3"], ({ values }) => void (seen = values.steps));
  assert.equal(seen, 3);
  assert.equal(r.code, undefined);
  assert.equal(r.err, "");
});

Deno.test("runScript() prints usage and exits 0 on --help", async () => {
  const r = await run(["--help"], () => assert.fail("main must not run"));
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: demo\.ts \[options\]/);
});

Deno.test("runScript() exits 2 with the error and usage on a bad flag", async () => {
  const r = await run(["--steps", "many"], () => assert.fail("main must not run"));
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: --steps must be an integer, got "many"\n\nUsage: demo\.ts/);
});

Deno.test("runScript() exits 1 with the message only on an sdeno error", async () => {
  const r = await run([], () => {
    throw new SdenoRangeError('Cannot integrate: dt must be positive, got "-1"');
  });
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: Cannot integrate: dt must be positive, got "-1"\n');
});

Deno.test("runScript() rethrows other errors with their stack", async () => {
  await assert.rejects(run([], () => Promise.reject(new Error("a bug"))), /a bug/);
});

Deno.test("runScript() exits with the number main returns", async () => {
  assert.equal((await run([], () => 3)).code, 3);
});

Deno.test("runScript() in a real process: a bad flag exits 2 with usage on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sdeno_cli_" });
  try {
    const script = `${dir}/script.ts`;
    const runScriptUrl = new URL("../../io/run_script.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { runScript } from ${JSON.stringify(runScriptUrl)};
if (import.meta.main) {
  await runScript(({ values }) => console.log("steps", values.steps), {
    name: "script.ts",
    flags: { steps: { type: "integer", default: 5, description: "number of steps" } },
  });
}
`,
    );
    // This very binary if allowed (--allow-run), else "deno" from PATH (--allow-run=deno).
    const self = await Deno.permissions.query({ name: "run", command: Deno.execPath() });
    const deno = self.state === "granted" ? Deno.execPath() : "deno";
    const exec = async (...args: string[]) => {
      const out = await new Deno.Command(deno, {
        args: ["run", "--no-config", "--quiet", script, ...args],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const bad = await exec("--steps", "abc");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --steps must be an integer, got "abc"\n\nUsage: script\.ts/);
    assert.match(bad.stderr, /--steps <integer> +number of steps \(default: 5\)/);
    assert.equal(bad.stdout, "");
    const help = await exec("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: script\.ts/);
    const ok = await exec("--steps", "7");
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, "steps 7\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
