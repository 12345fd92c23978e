// The Philox purpose registry: distinct words, and no purpose word written as a literal outside
// kernels/purposes.ts (a new consumer of randomness must register its purpose there).
import assert from "node:assert/strict";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** The registry's entries that share a value with another, as "a = b" lines. */
export function duplicatePurposes(registry: Record<string, number>): string[] {
  const seen = new Map<number, string>();
  const dup: string[] = [];
  for (const [name, value] of Object.entries(registry)) {
    const other = seen.get(value);
    if (other !== undefined) dup.push(`${other} = ${name}`);
    else seen.set(value, name);
  }
  return dup;
}

Deno.test("PHILOX_PURPOSES has distinct nonzero u32 words", () => {
  assert.deepEqual(duplicatePurposes({ ...PHILOX_PURPOSES }), []);
  for (const v of Object.values(PHILOX_PURPOSES)) {
    assert.ok(Number.isInteger(v) && v > 0 && v < 2 ** 32);
  }
});

Deno.test("duplicatePurposes() finds a repeated word (the check can fail)", () => {
  assert.deepEqual(duplicatePurposes({ ...PHILOX_PURPOSES, extra: PHILOX_PURPOSES.ssaDirect }), [
    "ssaDirect = extra",
  ]);
});

Deno.test("no library file writes a purpose word as a literal", async () => {
  const root = new URL("../../", import.meta.url);
  const offenders: string[] = [];
  for (const dir of ["kernels", "processes", "models", "solvers", "scripts", "io", "stats"]) {
    for await (const path of walk(new URL(`${dir}/`, root))) {
      if (path.endsWith("kernels/purposes.ts")) continue;
      const text = await Deno.readTextFile(path);
      if (/purpose:\s*0x|_PURPOSE\s*=\s*0x/.test(text)) offenders.push(path);
    }
  }
  assert.deepEqual(offenders, []);
});

async function* walk(dir: URL): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.isDirectory ? `${e.name}/` : e.name, dir);
    if (e.isDirectory) yield* walk(u);
    else if (e.name.endsWith(".ts")) yield u.pathname;
  }
}
