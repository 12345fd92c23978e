// Helpers for the scripts' --png tests: the read access PNG output needs, and a PNG's size.

import assert from "node:assert/strict";

let cache: Promise<string> | undefined;

/** Deno's npm cache folder (where resvg's .wasm lies), from `deno info --json`. */
function npmCache(): Promise<string> {
  cache ??= new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output()
    .then(({ stdout }) => JSON.parse(new TextDecoder().decode(stdout)).npmCache as string);
  return cache;
}

/** The folders `--png` needs read access to: Deno's npm cache and the system fonts. */
export async function pngReadAccess(): Promise<string[]> {
  return [await npmCache(), "/usr/share/fonts"];
}

/** Checks the PNG signature and the IHDR chunk; returns [width, height]. */
export function pngSize(bytes: Uint8Array): [number, number] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(new TextDecoder().decode(bytes.subarray(12, 16)), "IHDR");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

/** The width and height attributes of an SVG document's root element. */
export function svgSize(svg: string): [number, number] {
  const m = /^<svg[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"/.exec(svg);
  assert.ok(m, `no width/height on the SVG root: ${svg.slice(0, 80)}`);
  return [Number(m[1]), Number(m[2])];
}
