import assert from "node:assert/strict";
import { writeFileAtomic } from "../../io/atomic.ts";
import { SdenoTypeError } from "../../kernels/errors.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sdeno_atomic_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("writeFileAtomic() writes bytes and strings and leaves no temp file", async () => {
  await withDir(async (dir) => {
    await writeFileAtomic(`${dir}/a.bin`, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(`${dir}/b.txt`, "héllo");
    assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), new Uint8Array([1, 2, 3]));
    assert.equal(await Deno.readTextFile(`${dir}/b.txt`), "héllo");
    assert.deepEqual(names(dir), ["a.bin", "b.txt"]);
  });
});

Deno.test("writeFileAtomic() accepts iterables, async iterables, functions and file URLs", async () => {
  await withDir(async (dir) => {
    await writeFileAtomic(`${dir}/i.txt`, ["a", new TextEncoder().encode("b")]);
    await writeFileAtomic(
      `${dir}/ai.txt`,
      (async function* () {
        yield "c";
        yield "d";
      })(),
    );
    await writeFileAtomic(`${dir}/f.txt`, () => "e");
    await writeFileAtomic(`${dir}/p.txt`, () => Promise.resolve("f"));
    await writeFileAtomic(new URL(`file://${dir}/u r l.txt`), "g");
    assert.equal(await Deno.readTextFile(`${dir}/i.txt`), "ab");
    assert.equal(await Deno.readTextFile(`${dir}/ai.txt`), "cd");
    assert.equal(await Deno.readTextFile(`${dir}/f.txt`), "e");
    assert.equal(await Deno.readTextFile(`${dir}/p.txt`), "f");
    assert.equal(await Deno.readTextFile(`${dir}/u r l.txt`), "g");
    assert.equal(names(dir).length, 5);
  });
});

Deno.test("writeFileAtomic() leaves neither file nor temp file after a failure midway", async () => {
  await withDir(async (dir) => {
    let sawTemp = false;
    const chunks = async function* () {
      yield "partial data";
      // The temp file exists now, and the target does not.
      const now = names(dir);
      sawTemp = now.length === 1 && now[0]!.startsWith(".out.npy.") && now[0]!.endsWith(".tmp");
      throw new Error("producer failed");
    };
    await assert.rejects(writeFileAtomic(`${dir}/out.npy`, chunks()), /producer failed/);
    assert.ok(sawTemp);
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("writeFileAtomic() keeps the old file when a replacement fails", async () => {
  await withDir(async (dir) => {
    await writeFileAtomic(`${dir}/keep.txt`, "old");
    await assert.rejects(
      writeFileAtomic(`${dir}/keep.txt`, () => {
        throw new RangeError("no bytes");
      }),
      RangeError,
    );
    assert.equal(await Deno.readTextFile(`${dir}/keep.txt`), "old");
    assert.deepEqual(names(dir), ["keep.txt"]);
  });
});

Deno.test("writeFileAtomic() rejects a bad chunk and cleans up", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      writeFileAtomic(`${dir}/x`, [42 as unknown as string]),
      (err) => err instanceof SdenoTypeError && /got "42"/.test(err.message),
    );
    assert.deepEqual(names(dir), []);
  });
});

Deno.test("writeFileAtomic() rejects a path that names no file", async () => {
  await withDir(async (dir) => {
    await assert.rejects(writeFileAtomic(`${dir}/`, "x"), SdenoTypeError);
    await assert.rejects(writeFileAtomic(new URL("https://example.com/x"), "x"), SdenoTypeError);
  });
});

Deno.test("writeFileAtomic() fails cleanly when the directory does not exist", async () => {
  await withDir(async (dir) => {
    await assert.rejects(writeFileAtomic(`${dir}/missing/x.txt`, "x"), Deno.errors.NotFound);
    assert.deepEqual(names(dir), []);
  });
});

Deno.test({
  name: "writeFileAtomic(): SIGINT during a write removes the temp file and exits 130",
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const atomic = new URL("../../io/atomic.ts", import.meta.url).href;
    const script = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(atomic)};
async function* slow() {
  yield new Uint8Array(1 << 20);
  console.log("ready");
  await new Promise((r) => setTimeout(r, 60_000));
  yield "never";
}
await writeFileAtomic(${JSON.stringify(`${dir}/out/big.npy`)}, slow());
`,
    );
    await Deno.mkdir(`${dir}/out`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}/out`, script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assert.match(seen, /ready/);
    // the temp file exists mid-write
    assert.equal([...Deno.readDirSync(`${dir}/out`)].length, 1);
    child.kill("SIGINT");
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    assert.equal(status.code, 130);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeFileAtomic() holds no SIGINT listener after its writes (Ctrl-C acts as usual)",
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const atomic = new URL("../../io/atomic.ts", import.meta.url).href;
    const script = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(atomic)};
await writeFileAtomic(${JSON.stringify(`${dir}/a.txt`)}, "x");
await writeFileAtomic(${JSON.stringify(`${dir}/b.txt`)}, () => { throw new Error("boom"); })
  .catch(() => {});
console.log("ready");
await new Promise((r) => setTimeout(r, 60_000));
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    child.kill("SIGINT");
    const status = await child.status;
    reader.releaseLock();
    // killed by the signal itself, not ended by a listener's Deno.exit(130)
    assert.equal(status.signal, "SIGINT");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["a.txt", "writer.ts"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
