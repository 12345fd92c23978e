// The guide pages (docs/guide/*.md): their TypeScript snippets are type-checked and run by
// `deno test --doc` like JSDoc examples (Deno's doc tests take Markdown files, and `deno task test`
// discovers them), so this file checks what that does not: every page exists and has runnable
// snippets that assert something and import only relative paths or `node:` modules, every local
// link and picture resolves, every picture is listed with the command that made it and renders,
// the API-reference task names every entry point, and the content types the import-by-URL
// paragraph promises are the ones Deno accepts for a `.ts` module.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { svgToRgba } from "../../io/svg/mod.ts";

const ROOT = new URL("../../", import.meta.url);
const GUIDE = new URL("docs/guide/", ROOT);
const PAGES = ["diffusion", "sde", "ctmc", "inverse", "inference", "reach"];

interface Block {
  lang: string;
  attributes: string;
  code: string;
  line: number;
}

/** Fenced code blocks of a Markdown text, with their info strings and first lines (1-based). */
function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    assert.ok(i < lines.length, `unclosed code block at line ${start + 1}`);
    blocks.push({ lang: open[1]!, attributes: open[2]!, code: body.join("\n"), line: start + 1 });
  }
  return blocks;
}

/** Markdown links and images outside code blocks: `[text](target)` and `![alt](target)`. */
function links(text: string): { image: boolean; target: string }[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, "");
  return [...prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({
    image: m[1] === "!",
    target: m[2]!,
  }));
}

async function exists(url: URL): Promise<boolean> {
  return await Deno.stat(url).then(() => true, () => false);
}

async function page(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(`${name}.md`, GUIDE));
}

Deno.test("guide pages: each has TypeScript snippets that assert and import only relative or node: modules", async () => {
  for (const name of PAGES) {
    const runnable = fencedBlocks(await page(name)).filter(
      (b) => b.lang === "ts" && !/\bignore\b/.test(b.attributes),
    );
    assert.ok(runnable.length >= 2, `${name}.md: ${runnable.length} runnable ts blocks`);
    for (const b of runnable) {
      const where = `${name}.md:${b.line}`;
      assert.match(b.code, /import assert from "node:assert\/strict";/, where);
      assert.match(b.code, /\bassert(\.\w+)?\(/, `${where}: asserts nothing`);
      for (const [, spec] of b.code.matchAll(/\bfrom "([^"]+)"/g)) {
        assert.ok(spec!.startsWith("../../") || spec!.startsWith("node:"), `${where}: ${spec}`);
        if (spec!.startsWith("../../")) {
          assert.ok(await exists(new URL(spec!, GUIDE)), `${where}: ${spec} does not exist`);
        }
      }
    }
  }
});

Deno.test("guide pages: deno test --doc runs them (docs/ is not excluded from the tests)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const excluded: string[] = [...(config.exclude ?? []), ...(config.test?.exclude ?? [])];
  for (const e of excluded) assert.ok(!"docs/guide/x.md".startsWith(e.replace(/^\.\//, "")), e);
});

Deno.test("guide pages: local links and pictures resolve, every picture is used and listed with its command", async () => {
  const imgReadme = await Deno.readTextFile(new URL("img/README.md", GUIDE));
  const used = new Set<string>();
  for (const name of [...PAGES, "../README"]) {
    const url = new URL(`${name}.md`, GUIDE);
    for (const { image, target } of links(await Deno.readTextFile(url))) {
      if (/^[a-z]+:/.test(target) || target.startsWith("#")) continue;
      const file = new URL(target.split("#")[0]!, url);
      assert.ok(await exists(file), `${name}.md links to missing ${target}`);
      if (image) used.add(fileURLToPath(file));
    }
  }
  const pictures: string[] = [];
  for await (const e of Deno.readDir(new URL("img/", GUIDE))) {
    if (e.name.endsWith(".svg")) pictures.push(e.name);
  }
  assert.ok(pictures.length >= 6, `${pictures.length} pictures`);
  for (const svg of pictures.sort()) {
    assert.ok(used.has(fileURLToPath(new URL(`img/${svg}`, GUIDE))), `img/${svg} is not used`);
    // listed in img/README.md as a heading followed by the deno command that made it
    const entry = new RegExp("`" + svg.replace(/\./g, "\\.") + "`[\\s\\S]*?```sh\\n[^`]*deno run");
    assert.match(imgReadme, entry, `img/README.md has no command for ${svg}`);
  }
});

Deno.test("guide pictures render: each SVG rasterises to a non-blank image", async () => {
  for await (const e of Deno.readDir(new URL("img/", GUIDE))) {
    if (!e.name.endsWith(".svg")) continue;
    const svg = await Deno.readTextFile(new URL(`img/${e.name}`, GUIDE));
    const { width, height, pixels: data } = await svgToRgba(svg);
    assert.ok(width >= 300 && height >= 200, `${e.name}: ${width}×${height}`);
    // not one flat colour: the plot drew something
    let differing = 0;
    for (let i = 4; i < data.length; i += 4 * 97) {
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) differing++;
    }
    assert.ok(differing > 10, `${e.name}: only ${differing} sampled pixels differ from the first`);
  }
});

Deno.test("deno task doc, when present, builds the API reference of every deno.json export", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string | undefined = config.tasks?.doc;
  if (task === undefined) {
    console.log("SKIP: deno.json has no doc task yet (docs/README.md gives its command)");
    return;
  }
  // `mkdir -p out` first: deno doc does not create the output's parent folder on a fresh clone
  assert.match(task, /^mkdir -p out && deno doc --html --name=sdeno --output=\S+ /);
  const named = task.split(/\s+/).filter((w) => w.endsWith(".ts"));
  assert.deepEqual(named.sort(), (Object.values(config.exports) as string[]).sort());
  const readme = await Deno.readTextFile(new URL("docs/README.md", ROOT));
  assert.ok(readme.includes("deno doc --html --name=sdeno --output=out/doc"), "docs/README.md");
  assert.match(task, /--output=out\/doc /);
});

// The import-by-URL paragraph (docs/guide/reach.md, README) says which content types work for a
// `.ts` module: measured here by serving one module under each and importing it in a fresh Deno.
const CONTENT_TYPES: Record<string, boolean> = {
  "application/typescript": true,
  "text/typescript": true,
  "video/mp2t": true, // what many static servers (nginx's default mime.types) send for .ts
  "text/plain": true, // what raw.githubusercontent.com sends: Deno goes by the .ts extension
  "application/octet-stream": true,
  "": true, // no content-type header at all: by extension
  "text/javascript": false, // parsed as JavaScript: the type annotation is a syntax error
  "application/javascript": false,
  "text/html": false,
};

Deno.test({
  name: "import by URL: the content types the guide names are the ones Deno accepts for .ts",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const types = Object.keys(CONTENT_TYPES);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const i = Number(new URL(req.url).pathname.match(/^\/(\d+)\/m\.ts$/)?.[1]);
    const type = types[i];
    if (type === undefined) return new Response("not found", { status: 404 });
    const headers = new Headers();
    if (type !== "") headers.set("content-type", type);
    return new Response("export const answer: number = 6 * 7;\n", { headers });
  });
  const tmp = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const script = `${tmp}/probe.mjs`;
    await Deno.writeTextFile(
      script,
      `const out = [];
for (let i = 0; i < ${types.length}; i++) {
  out.push(await import("http://${host}/" + i + "/m.ts").then((m) => m.answer === 42, () => false));
}
console.log(JSON.stringify(out));`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, script],
      env: { DENO_DIR: `${tmp}/cache`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const ok: boolean[] = JSON.parse(new TextDecoder().decode(stdout));
    types.forEach((t, i) => assert.equal(ok[i], CONTENT_TYPES[t], `content-type "${t}"`));
    const reach = await page("reach");
    for (const t of types.filter((t) => t !== "" && CONTENT_TYPES[t])) {
      assert.ok(reach.includes(`\`${t}\``), `reach.md does not name ${t}`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name:
    "import by URL: scripts/sample.ts runs from an http:// URL served as text/plain, with --allow-import",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  // a plain static server, sending every file as text/plain as raw.githubusercontent.com does
  const root = fileURLToPath(ROOT);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(root + path.slice(1));
      return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const tmp = await Deno.makeTempDir();
  try {
    // a fresh module cache, sharing only Deno's npm cache (the plot packages; no network here)
    const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
    const { npmCache } = JSON.parse(new TextDecoder().decode(info.stdout));
    await Deno.mkdir(`${tmp}/deno_dir`);
    await Deno.symlink(npmCache, `${tmp}/deno_dir/npm`);
    const host = `127.0.0.1:${server.addr.port}`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=${host}`,
        "--allow-read=out",
        "--allow-write=out",
        `http://${host}/scripts/sample.ts`,
        ...["--n", "200", "--solver", "euler,dpmpp_2m", "--steps", "6", "--out", "out/sample"],
      ],
      cwd: tmp,
      env: { DENO_DIR: `${tmp}/deno_dir`, NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const svg = await Deno.readTextFile(`${tmp}/out/sample/samples.svg`);
    assert.match(svg, /dpmpp_2m \(NFE 6\)/);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});
