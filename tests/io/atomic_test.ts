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
