import assert from "node:assert/strict";
import { checkInputFile, checkOutDir } from "../../io/check_out_dir.ts";

const DIR = Deno.makeTempDirSync();
const OTHER = Deno.makeTempDirSync();
Deno.writeTextFileSync(`${DIR}/file`, "x");
Deno.writeTextFileSync(`${OTHER}/secret.json`, "{}");
Deno.mkdirSync(`${DIR}/out/a.npy`, { recursive: true });

Deno.test({
  name: "checkOutDir() refuses a file, a folder at an output and a path outside the permission",
  permissions: { read: [DIR], write: [DIR] },
}, async () => {
  const usage = (message: RegExp) => ({ name: "CliUsageError", message });
  await assert.rejects(() => checkOutDir(`${DIR}/file`), usage(/^--out ".*file" is a file/));
  await assert.rejects(
    () => checkOutDir(`${DIR}/out`, { outputs: ["b.svg", "a.npy"] }),
    usage(/^--out ".*out": a\.npy there is a folder; it must be a file/),
  );
  await assert.rejects(
    () => checkOutDir(`${OTHER}/o`, { flag: "--dir" }),
    usage(/^--dir ".*o": no write permission for it \(run with --allow-write=/),
  );
  // a folder, or nothing yet, is fine; the error carries the flag
  await checkOutDir(`${DIR}/out`, { outputs: ["b.svg"] });
  await checkOutDir(`${DIR}/new/deeper`);
  const err = await checkOutDir(`${DIR}/file`).catch((e) => e);
  assert.equal(err.flag, "--out");
});

Deno.test({
  name: "checkInputFile() refuses missing, unreadable and folder inputs in one line",
  permissions: { read: [DIR] },
}, async () => {
  const usage = (message: RegExp) => ({ name: "CliUsageError", message });
  await assert.rejects(
    () => checkInputFile("--model", `${DIR}/missing.json`),
    usage(/^--model ".*missing\.json": cannot read it: no such file or folder$/),
  );
  await assert.rejects(
    () => checkInputFile("--model", `${OTHER}/secret.json`),
    usage(/^--model ".*secret\.json": cannot read it: no read permission for it/),
  );
  await assert.rejects(
    () => checkInputFile("--noise", `${DIR}/out`),
    usage(/^--noise ".*out": cannot read it: is a folder, not a file$/),
  );
  await checkInputFile("--model", `${DIR}/file`);
});

Deno.test("check_out_dir tests: clean up", async () => {
  await Deno.remove(DIR, { recursive: true });
  await Deno.remove(OTHER, { recursive: true });
});
