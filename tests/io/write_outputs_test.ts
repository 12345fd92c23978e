import assert from "node:assert/strict";
import { pngFiles, withPngTwins, writeOutputs } from "../../io/write_outputs.ts";
import { readFonts, svgToPng } from "../../io/svg/png.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const read = (dir: string, name: string) => Deno.readTextFileSync(`${dir}/${name}`);
const OUTPUTS = ["a.txt", "b.npy", "c.json"];

/** An earlier run's three outputs, each holding "old <name>". */
async function earlierRun(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await writeOutputs(dir, OUTPUTS.map((n) => [n, `old ${n}`] as const), { outputs: OUTPUTS });
  return dir;
}

Deno.test("writeOutputs: all outputs appear together, stale ones go, no staging folder left", async () => {
  const dir = await earlierRun();
  assert.deepEqual(names(dir), OUTPUTS);
  await writeOutputs(dir, [["a.txt", "new a"], ["b.npy", new TextEncoder().encode("new b")]], {
    outputs: OUTPUTS,
  });
  assert.deepEqual(names(dir), ["a.txt", "b.npy"]);
  assert.equal(read(dir, "a.txt"), "new a");
  assert.equal(read(dir, "b.npy"), "new b");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeOutputs: creates a missing folder; files not named in outputs are kept", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/out`);
  Deno.writeTextFileSync(`${root}/out/notes.txt`, "mine");
  await writeOutputs(`${root}/out`, [["a.txt", "x"]], { outputs: OUTPUTS });
  await writeOutputs(`${root}/new/deep`, [["a.txt", "y"]]);
  assert.deepEqual(names(`${root}/out`), ["a.txt", "notes.txt"]);
  assert.equal(read(`${root}/new/deep`, "a.txt"), "y");
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeOutputs: a failure mid-way leaves the earlier run's outputs and no staging folder", async () => {
  const dir = await earlierRun();
  const boom = new Error("model failed while encoding");
  await assert.rejects(
    writeOutputs(dir, [["a.txt", "new a"], ["b.npy", () => {
      throw boom;
    }], ["c.json", "new c"]], { outputs: OUTPUTS }),
    (err) => err === boom,
  );
  assert.deepEqual(names(dir), OUTPUTS);
  for (const n of OUTPUTS) assert.equal(read(dir, n), `old ${n}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeOutputs: a folder where an output goes is refused before any rename", async () => {
  const dir = await earlierRun();
  await Deno.mkdir(`${dir}/d.svg`);
  await assert.rejects(
    writeOutputs(dir, [["a.txt", "new a"], ["d.svg", "new d"]], { outputs: OUTPUTS }),
    (err) => err instanceof SdenoTypeError && /d\.svg there is a folder/.test(err.message),
  );
  assert.deepEqual(names(dir), [...OUTPUTS, "d.svg"]);
  assert.equal(read(dir, "a.txt"), "old a.txt");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeOutputs: bad names are typed errors before any work", async () => {
  const root = await Deno.makeTempDir();
  for (const bad of ["", ".", "..", "x/y", "x\\y"]) {
    await assert.rejects(
      writeOutputs(`${root}/out`, [[bad, "x"]]),
      (err) => err instanceof SdenoRangeError && err.message.includes(JSON.stringify(bad)),
    );
  }
  await assert.rejects(
    writeOutputs(`${root}/out`, [["a", "1"], ["a", "2"]]),
    (err) => err instanceof SdenoRangeError && /given twice/.test(err.message),
  );
  await assert.rejects(
    writeOutputs(`${root}/out`, [["a", "1"]], { outputs: ["../a"] }),
    SdenoRangeError,
  );
  await assert.rejects(writeOutputs("", [["a", "1"]]), SdenoTypeError);
  assert.deepEqual(names(root), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test({
  name:
    "writeOutputs: SIGINT while staging exits 130, removes the staging folder, keeps the old outputs",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await earlierRun();
    const mod = new URL("../../io/write_outputs.ts", import.meta.url).href;
    const code = `import { writeOutputs } from ${JSON.stringify(mod)};
await writeOutputs(${JSON.stringify(dir)}, [["a.txt", "new a"], ["b.npy", async () => {
  console.log("staging");
  await new Promise((r) => setTimeout(r, 60_000));
  return "new b";
}]], { outputs: ${JSON.stringify(OUTPUTS)} });`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", code],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /staging/);
    assert.ok(names(dir).some((n) => n.startsWith(".stage-")), "staging folder exists mid-run");
    child.kill("SIGINT");
    reader.releaseLock();
    await child.stdout.cancel();
    await child.stderr.cancel();
    const status = await child.status;
    assert.equal(status.code, 130);
    assert.deepEqual(names(dir), OUTPUTS);
    for (const n of OUTPUTS) assert.equal(read(dir, n), `old ${n}`);
    await Deno.remove(dir, { recursive: true });
  },
});

// --- png: a PNG twin beside each SVG ---

const TEXT_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20">` +
  `<rect width="60" height="20" fill="#ffffff"/>` +
  `<text x="2" y="15" font-family="sans-serif" font-size="14">sdeno</text></svg>`;

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(bytes: Uint8Array): [number, number] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(new TextDecoder().decode(bytes.subarray(12, 16)), "IHDR");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

Deno.test("writeOutputs png: a PNG beside each SVG, drawn with the system font; a run without png removes it", async () => {
  const dir = await Deno.makeTempDir();
  const outputs = ["plot.svg", "data.txt"];
  await writeOutputs(dir, [["plot.svg", TEXT_SVG], ["data.txt", "1"]], { outputs, png: true });
  assert.deepEqual(names(dir), ["data.txt", "plot.png", "plot.svg"]);
  const png = Deno.readFileSync(`${dir}/plot.png`);
  assert.deepEqual(pngSize(png), [60, 20]);
  const font = await readFonts();
  if (font) {
    // the same bytes as svgToPng with the system font, and not those of a picture without text
    assert.deepEqual(png, await svgToPng(TEXT_SVG, { fonts: font.fonts }));
    assert.notDeepEqual(png, await svgToPng(TEXT_SVG, { fonts: [] }));
  }
  await writeOutputs(dir, [["plot.svg", TEXT_SVG], ["data.txt", "2"]], { outputs });
  assert.deepEqual(names(dir), ["data.txt", "plot.svg"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeOutputs png: given fonts and width are used; non-SVG files get no twin", async () => {
  const dir = await Deno.makeTempDir();
  await writeOutputs(dir, [["a.svg", TEXT_SVG], ["b.json", "{}"]], {
    png: { fonts: [], width: 120 },
  });
  assert.deepEqual(names(dir), ["a.png", "a.svg", "b.json"]);
  assert.deepEqual(pngSize(Deno.readFileSync(`${dir}/a.png`)), [120, 40]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeOutputs png: a PNG twin clashing with a given file, a bad png option, a bad SVG: errors before any write", async () => {
  const dir = await earlierRun();
  await assert.rejects(
    writeOutputs(dir, [["a.svg", TEXT_SVG], ["a.png", "x"]], { outputs: OUTPUTS, png: true }),
    (e: Error) => e instanceof SdenoRangeError && /"a\.png" given twice/.test(e.message),
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    writeOutputs(dir, [["a.svg", TEXT_SVG]], { outputs: OUTPUTS, png: "yes" as any }),
    (e: Error) =>
      e instanceof SdenoTypeError && /options\.png must be a boolean.*"yes"/.test(e.message),
  );
  await assert.rejects(
    writeOutputs(dir, [["a.svg", "not an svg"]], { outputs: OUTPUTS, png: { fonts: [] } }),
    SdenoTypeError,
  );
  assert.deepEqual(names(dir), OUTPUTS);
  for (const n of OUTPUTS) assert.equal(read(dir, n), `old ${n}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("withPngTwins and pngFiles", async () => {
  assert.deepEqual(withPngTwins(["x.svg", "x.png", "y.svg", "z.npy"]), [
    "x.svg",
    "x.png",
    "y.svg",
    "z.npy",
    "y.png",
  ]);
  assert.deepEqual(await pngFiles([["out/p.svg", TEXT_SVG]], false), []);
  const pngs = await pngFiles([["out/p.svg", TEXT_SVG], ["q.svg", new Uint8Array(1)]], {
    fonts: [],
  });
  assert.deepEqual(pngs.map(([n]) => n), ["out/p.png"]);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    pngFiles([["p.svg", TEXT_SVG]], null as any),
    (e: Error) => e instanceof SdenoTypeError && /png must be a boolean/.test(e.message),
  );
});
