// The public API: every entry point in deno.json's `exports` is importable with no permissions,
// and none of them reaches a `_`-prefixed name — neither a value (seen at run time) nor a type
// (seen by `deno doc --json`). The check is shown failing on a fixture entry point that leaks.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const CONFIG = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const ENTRY_POINTS: Record<string, string> = CONFIG.exports;

/** The `_`-prefixed value exports of a module (what `import *` reaches at run time). */
async function underscoreValues(url: URL): Promise<string[]> {
  const m = await import(url.href);
  return Object.keys(m).filter((k) => k.startsWith("_")).sort();
}

/** The `_`-prefixed names of every kind (values and types) `deno doc` lists for a module. */
async function underscoreDocNames(url: URL): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", url.href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  // deno doc --json (format version 2): { nodes: { [module]: { symbols: [{ name, … }] } } }
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const names: string[] = [];
  for (const mod of Object.values(doc.nodes) as { symbols: { name: string }[] }[]) {
    for (const s of mod.symbols) names.push(s.name);
  }
  return [...new Set(names.filter((n) => n.startsWith("_")))].sort();
}

Deno.test("the export-list check reports a leaked `_` value and type (fixture)", async () => {
  const leaky = new URL("tests/fixtures/api/leaky_mod.ts", ROOT);
  assert.deepEqual(await underscoreValues(leaky), ["_internal"]);
  assert.deepEqual(await underscoreDocNames(leaky), ["_InternalShape", "_internal"]);
});

for (const [name, path] of Object.entries(ENTRY_POINTS)) {
  Deno.test(`entry point ${name} (${path}) exports no \`_\` name`, async () => {
    const url = new URL(path, ROOT);
    assert.deepEqual(await underscoreValues(url), [], `values reachable from ${path}`);
    assert.deepEqual(await underscoreDocNames(url), [], `names listed by deno doc for ${path}`);
  });
}
