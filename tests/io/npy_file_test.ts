import assert from "node:assert/strict";
import { readNpy, writeNpy } from "../../io/npy_file.ts";
import { SdenoParseError } from "../../kernels/errors.ts";

Deno.test("readNpy() reads a numpy-written fixture", async () => {
  const { data, shape } = await readNpy(new URL("../fixtures/npy/f8.npy", import.meta.url));
  assert.deepEqual(shape, [2, 3]);
  assert.equal(data[5], 0.75);
});

Deno.test("writeNpy() and readNpy() round-trip and leave only the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sdeno_npy_" });
  try {
    const data = Float64Array.from({ length: 12 }, (_, i) => i * 0.5 - 1);
    await writeNpy(`${dir}/x.npy`, { data, shape: [3, 4] });
    const back = await readNpy(`${dir}/x.npy`);
    assert.deepEqual(back.shape, [3, 4]);
    assert.deepEqual([...back.data], [...data]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readNpy() names the path in a parse error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sdeno_npy_" });
  try {
    await Deno.writeTextFile(`${dir}/bad.npy`, "not numpy at all");
    await assert.rejects(
      readNpy(`${dir}/bad.npy`),
      (err) =>
        err instanceof SdenoParseError &&
        err.message.startsWith(`Cannot read .npy "${dir}/bad.npy": bad magic`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
