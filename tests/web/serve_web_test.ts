// scripts/serve_web.ts as a user starts it (its documented permissions, a
// free port): what it sends for modules, text imports, data and refused
// paths; and io/_transpile.ts on its own.
import assert from "node:assert/strict";
import { TEXT_MODULE_QUERY, textModule, transpileForBrowser } from "../../io/_transpile.ts";
import { ROOT, SERVE_FLAGS, startServer } from "./_chromium.ts";

Deno.test({
  name: "serve_web.ts sends modules as JavaScript, text imports as modules, refuses dot paths",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const server = await startServer();
  const base = new URL("/", server.url);
  const get = (path: string, init?: RequestInit) =>
    fetch(new URL(path, base), { redirect: "manual", ...init });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/web\/$/);
    let res = await get("/kernels/lincomb.ts");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    const js = await res.text();
    // types are gone, the text import points at the ?as=js module
    assert.match(js, /^export function lincombCpu\(out, terms, noise, scratch\) \{$/m);
    assert.match(js, /^import LINCOMB from "\.\/lincomb\.wgsl\?as=js";$/m);
    assert.doesNotMatch(js, /type: "text"/);

    res = await get(`/kernels/lincomb.wgsl?${TEXT_MODULE_QUERY}`);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(
      await res.text(),
      `export default ${JSON.stringify(await Deno.readTextFile(`${ROOT}kernels/lincomb.wgsl`))};\n`,
    );

    res = await get("/models/shipped/ring.npy");
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(
      new Uint8Array(await res.arrayBuffer()),
      await Deno.readFile(`${ROOT}models/shipped/ring.npy`),
    );
    res = await get("/models/shipped/ring.json");
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    await res.body?.cancel();

    res = await get("/web/");
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await res.text(), /<script type="module" src="\.\/main\.ts"/);
    for (const [path, location] of [["/", "/web/"], ["/web", "/web/"]] as const) {
      res = await get(path);
      assert.ok(res.status === 301 || res.status === 302, path);
      assert.equal(new URL(res.headers.get("location")!).pathname, location);
    }
    for (
      const path of [
        "/.git/config",
        "/web/%2e%2e/.git/config",
        "/web/..%2f.git/HEAD",
        "/nope.ts",
        "/%E0%A4%A",
      ]
    ) {
      res = await get(path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    res = await get("/web/", { method: "POST", body: "x" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("serve_web.ts exits 2 with usage on a bad flag", async () => {
  for (const args of [["--port", "-1"], ["--port", "70000"], ["--bogus"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...SERVE_FLAGS, "scripts/serve_web.ts", ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, args.join(" "));
    assert.match(err, /^error: .*\n\nUsage: scripts\/serve_web\.ts/s, args.join(" "));
    assert.doesNotMatch(err, /^ +at /m, "no stack trace");
  }
});

Deno.test("transpileForBrowser() strips types, keeps value imports, names the place of a syntax error", () => {
  const js = transpileForBrowser(
    [
      'import type { A } from "./a.ts";',
      'import { b, type C } from "./b.ts";',
      'import S from "./s.wgsl" with { type: "text" };',
      'import J from "./j.json" with { type: "json" };',
      "export const f = (x: A, y: C): number => b(x, y) + S.length + J.n;",
      "export class K { #p = 1; constructor(readonly q: number) {} }",
    ].join("\n"),
    "x.ts",
  );
  assert.doesNotMatch(js, /\.\/a\.ts/);
  assert.match(js, /import \{ b \} from "\.\/b\.ts";/);
  assert.match(js, /import S from "\.\/s\.wgsl\?as=js";/);
  assert.match(js, /import J from "\.\/j\.json" with \{ type: "json" \};/);
  assert.match(js, /export const f = \(x, y\) => b\(x, y\)/);
  assert.match(js, /#p = 1;/);
  assert.match(js, /this\.q = q;/);
  assert.throws(
    () => transpileForBrowser("const a = 1;\nconst x: = 2;", "bad.ts"),
    (e: Error) =>
      e instanceof SyntaxError &&
      /^Cannot transpile "bad\.ts" at line 2, column 10: Type expected/.test(e.message),
  );
  assert.equal(textModule('a"\n'), 'export default "a\\"\\n";\n');
});
