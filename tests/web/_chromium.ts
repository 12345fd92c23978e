// Test helper: headless Chromium driven over the DevTools protocol (a
// WebSocket, built into Deno; no puppeteer), and the web server started as a
// user starts it (scripts/serve_web.ts with its documented permissions).

import { fileURLToPath } from "node:url";

/** The checkout's root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The server's permissions, exactly as scripts/serve_web.ts documents them. */
export const SERVE_FLAGS = [
  "--allow-net=127.0.0.1",
  "--allow-read=.",
  "--allow-env=TSC_*,NODE_ENV,NODE_INSPECTOR_IPC,VSCODE_INSPECTOR_OPTIONS",
];

/** Chromium's flags for WebGPU on its software adapter (SwiftShader, through Vulkan). */
export const WEBGPU_FLAGS = [
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-webgpu-adapter=swiftshader",
];

/** Chromium's flag that removes `navigator.gpu` altogether. */
export const NO_WEBGPU_FLAGS = ["--disable-blink-features=WebGPU"];

/** The first Chromium on PATH (or `$CHROMIUM`), or undefined. */
export async function findChromium(): Promise<string | undefined> {
  const names = [Deno.env.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"];
  for (const name of names) {
    if (!name) continue;
    try {
      const out = await new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (out.success) return name;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return undefined;
}

/** Reads lines from a stream until one matches; rejects after `ms`. */
async function firstLine(
  stream: ReadableStream<Uint8Array>,
  ms: number,
): Promise<{ line: string; rest: ReadableStream<string> }> {
  const lines = stream.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let buf = "";
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no line after ${ms} ms`)), ms)
  );
  while (!buf.includes("\n")) {
    const r = await Promise.race([reader.read(), timer]);
    if (r.done) throw new Error(`stream ended before a line; got ${JSON.stringify(buf)}`);
    buf += r.value;
  }
  reader.releaseLock();
  return { line: buf.slice(0, buf.indexOf("\n")), rest: lines };
}

/** The web server of scripts/serve_web.ts on a free port of 127.0.0.1. */
export interface WebServer {
  /** The page's address, `http://127.0.0.1:<port>/web/`. */
  url: string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts scripts/serve_web.ts on port 0 and reads the address it prints. */
export async function startServer(): Promise<WebServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SERVE_FLAGS, "scripts/serve_web.ts", "--port", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let url: string;
  try {
    const { line, rest } = await firstLine(child.stdout, 60_000);
    url = line.trim();
    rest.pipeTo(new WritableStream()).catch(() => {});
  } catch (e) {
    child.kill();
    await child.status;
    throw e;
  }
  return {
    url,
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** One DevTools connection to a running Chromium. */
export class Chromium {
  readonly #child: Deno.ChildProcess;
  readonly #profile: string;
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #listeners:
    ((method: string, params: Record<string, unknown>, session?: string) => void)[] = [];
  /** Console messages and uncaught exceptions of the pages, for failure messages. */
  readonly log: string[] = [];

  private constructor(child: Deno.ChildProcess, profile: string, ws: WebSocket) {
    this.#child = child;
    this.#profile = profile;
    this.#ws = ws;
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data as string);
      if (typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result);
      } else {
        for (const l of this.#listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    };
    this.#listeners.push((method, params) => {
      if (method === "Runtime.consoleAPICalled") {
        const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
        this.log.push(
          `console.${params.type}: ${args.map((a) => a.value ?? a.description).join(" ")}`,
        );
      } else if (method === "Runtime.exceptionThrown") {
        const d = params.exceptionDetails as {
          exception?: { description?: string };
          text?: string;
        };
        this.log.push(`exception: ${d.exception?.description ?? d.text}`);
      }
    });
  }

  /** Starts headless Chromium with these extra flags and connects to it. */
  static async launch(binary: string, flags: readonly string[]): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "sdeno-chromium-" });
    const child = new Deno.Command(binary, {
      args: [
        "--headless=new",
        // the test runs as root in CI, where Chromium's sandbox cannot start; the page is ours
        "--no-sandbox",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        ...flags,
        "about:blank",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // Chromium writes its DevTools port and path into the profile once it listens
      const file = `${profile}/DevToolsActivePort`;
      let text = "";
      for (let i = 0; i < 600 && !text.includes("\n"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await Deno.readTextFile(file).catch(() => "");
      }
      const [port, path] = text.split("\n");
      if (!port || !path) throw new Error(`Chromium did not open DevTools within 60 s`);
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("cannot connect to Chromium's DevTools"));
      });
      return new Chromium(child, profile, ws);
    } catch (e) {
      child.kill();
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  /** Sends one DevTools command (to a page session when given); resolves to its result. */
  // deno-lint-ignore no-explicit-any
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /**
   * Opens `url` in a new tab, waits until the page sets `data-state` on its
   * body to `done` or `error` (at most `ms`), and returns `#result`'s text.
   */
  async pageResult(url: string, ms = 120_000): Promise<string> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    try {
      await this.send("Runtime.enable", {}, sessionId);
      await this.send("Page.enable", {}, sessionId);
      const loaded = new Promise<void>((resolve) =>
        this.#listeners.push((m, _p, s) => {
          if (m === "Page.loadEventFired" && s === sessionId) resolve();
        })
      );
      await this.send("Page.navigate", { url }, sessionId);
      await loaded;
      const expression = `new Promise((resolve, reject) => {
        const until = Date.now() + ${ms};
        const check = () => {
          const s = document.body && document.body.dataset.state;
          if (s === "done" || s === "error") resolve(document.getElementById("result").textContent);
          else if (Date.now() > until) reject(new Error("the page's state is still " + s + " after ${ms} ms: " + document.getElementById("status").textContent));
          else setTimeout(check, 50);
        };
        check();
      })`;
      const r = await this.send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      }, sessionId);
      if (r.exceptionDetails) {
        throw new Error(
          `${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}\n${
            this.log.join("\n")
          }`,
        );
      }
      return r.result.value as string;
    } finally {
      await this.send("Target.closeTarget", { targetId }).catch(() => {});
    }
  }

  /**
   * Opens `url`, waits for its load event, evaluates an expression there
   * (awaiting a promise) and returns its value.
   */
  async evaluateAt(url: string, expression: string): Promise<unknown> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    try {
      await this.send("Page.enable", {}, sessionId);
      const loaded = new Promise<void>((resolve) =>
        this.#listeners.push((m, _p, s) => {
          if (m === "Page.loadEventFired" && s === sessionId) resolve();
        })
      );
      await this.send("Page.navigate", { url }, sessionId);
      await loaded;
      const r = await this.send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      }, sessionId);
      if (r.exceptionDetails) throw new Error(r.exceptionDetails.text);
      return r.result.value;
    } finally {
      await this.send("Target.closeTarget", { targetId }).catch(() => {});
    }
  }

  /** Evaluates an expression in a fresh blank tab and returns its value. */
  async evaluate(expression: string): Promise<unknown> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    try {
      const r = await this.send("Runtime.evaluate", { expression, returnByValue: true }, sessionId);
      if (r.exceptionDetails) throw new Error(r.exceptionDetails.text);
      return r.result.value;
    } finally {
      await this.send("Target.closeTarget", { targetId }).catch(() => {});
    }
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.send("Browser.close").catch(() => {});
    this.#ws.close();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
    await this.#child.status;
    clearTimeout(timer);
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}
