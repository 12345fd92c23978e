// Loads the CTMC fixtures (tests/fixtures/ctmc, copied from ../shared/refs/ctmc).
// deno-lint-ignore-file no-explicit-any
const dir = new URL("../../fixtures/ctmc/", import.meta.url);

/** Parsed JSON fixture by file name. */
export function fixture(name: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(name, dir)));
}
