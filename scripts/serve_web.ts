/**
 * Serves this checkout on the loopback interface for the browser page
 * (`web/`): TypeScript modules go out as JavaScript, transpiled on request
 * one module at a time (types stripped by TypeScript's `transpileModule`,
 * `io/_transpile.ts`), so the browser loads the very modules a Deno run
 * imports — no bundle, no build step, nothing written to disk.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read=. \
 *   --allow-env=TSC_*,NODE_ENV,NODE_INSPECTOR_IPC,VSCODE_INSPECTOR_OPTIONS \
 *   scripts/serve_web.ts --port 8000
 * # then open http://127.0.0.1:8000/web/?backend=auto&sampler=dpmpp_2m&steps=10&seed=0
 * ```
 *
 * Permissions: listening on 127.0.0.1 (`--allow-net=127.0.0.1`), reading the
 * checkout (`--allow-read=.`, run from its root), and the environment
 * variables the TypeScript compiler reads when it loads (`TSC_*`,
 * `NODE_ENV`, `NODE_INSPECTOR_IPC`, `VSCODE_INSPECTOR_OPTIONS`; it only
 * reads them). Run from the repository root.
 *
 * What it answers (GET and HEAD only; paths with a segment that starts with
 * `.` are refused):
 * - `*.ts`: the module as JavaScript (`text/javascript`); a text import
 *   `import X from "./f.wgsl" with { type: "text" }` becomes an import of
 *   `./f.wgsl?as=js`;
 * - any file with `?as=js`: a JavaScript module whose default export is the
 *   file's text;
 * - a folder with a trailing slash: its `index.html`; `/`: a redirect to `/web/`;
 * - other files as they are, with their content type (`.json`, `.npy`, `.html`, …).
 *
 * The first line on stdout is the page's address (`--port 0` picks a free
 * port); requests that fail are logged on stderr.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { runScript } from "../io/run_script.ts";
import { TEXT_MODULE_QUERY, textModule, transpileForBrowser } from "../io/_transpile.ts";

const SPEC = {
  name: "scripts/serve_web.ts",
  description: "Serve this checkout on 127.0.0.1 for the browser page web/index.html, sending " +
    "TypeScript modules as JavaScript (transpiled on request, no build step).",
  flags: {
    port: {
      type: "integer",
      default: 8000,
      min: 0,
      max: 65535,
      description: "TCP port on 127.0.0.1 (0: any free port)",
    },
  },
} as const;

/** The checkout this script belongs to. */
const ROOT = fileURLToPath(new URL("../", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".ts": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".wgsl": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

const JS = CONTENT_TYPES[".js"]!;

/** Transpiled modules by path, with the modification time they were made from. */
const cache = new Map<string, { mtime: number; js: string }>();

function extensionOf(path: string): string {
  const slash = path.lastIndexOf("/"), dot = path.lastIndexOf(".");
  return dot > slash ? path.slice(dot) : "";
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** The file's path in the checkout, or undefined for a path it must not serve. */
function localPath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.split("/").slice(1);
  if (segments.some((s) => s.startsWith(".") || s.includes("\\") || s.includes("\0"))) {
    return undefined;
  }
  return ROOT + segments.join("/");
}

async function answer(req: Request): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return text(405, `${req.method} is not served; use GET`, { allow: "GET, HEAD" });
  }
  const url = new URL(req.url);
  if (url.pathname === "/") return Response.redirect(new URL("/web/", url), 302);
  let path = localPath(url.pathname);
  if (path === undefined) return text(404, `not served: ${url.pathname}`);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
    if (info.isDirectory) {
      if (!url.pathname.endsWith("/")) {
        return Response.redirect(new URL(url.pathname + "/" + url.search, url), 301);
      }
      path += "index.html";
      info = await Deno.stat(path);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return text(404, `not found: ${url.pathname}`);
    throw e;
  }
  const headers = { "cache-control": "no-cache" };
  if (url.search === `?${TEXT_MODULE_QUERY}`) {
    return new Response(textModule(await Deno.readTextFile(path)), {
      headers: { ...headers, "content-type": JS },
    });
  }
  const ext = extensionOf(path);
  if (ext === ".ts") {
    const mtime = info.mtime?.getTime() ?? 0;
    let hit = cache.get(path);
    if (hit?.mtime !== mtime) {
      const name = path.slice(ROOT.length);
      hit = { mtime, js: transpileForBrowser(await Deno.readTextFile(path), name) };
      cache.set(path, hit);
    }
    return new Response(hit.js, { headers: { ...headers, "content-type": JS } });
  }
  return new Response(await Deno.readFile(path), {
    headers: { ...headers, "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream" },
  });
}

async function main({ values }: { values: { port: number } }) {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: values.port,
    onListen({ hostname, port }) {
      console.log(`http://${hostname}:${port}/web/`);
    },
  }, async (req) => {
    let res: Response;
    try {
      res = await answer(req);
    } catch (e) {
      res = text(500, (e as Error).message);
    }
    if (res.status >= 400) {
      console.error(`${req.method} ${new URL(req.url).pathname}: ${res.status}`);
    }
    return res;
  });
  await server.finished;
}

if (import.meta.main) await runScript(main, SPEC);
