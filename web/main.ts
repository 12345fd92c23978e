/**
 * The browser page's script: reads its settings from the query string
 * (`web/page_options.ts`), picks a backend (`createBackend`: webgpu where
 * `navigator.gpu` gives an adapter, else cpu, with the reason shown),
 * fetches the shipped model, samples it with `sampleShipped` — the same
 * modules as a Deno run — and writes the result as JSON into
 * `<pre id="result">` and a scatter plot into `<svg id="plot">`.
 * `document.body.dataset.state` goes `running` → `done` or `error`.
 *
 * @module
 */

import type { Backend } from "../kernels/backend.ts";
import { createBackend } from "../kernels/create_backend.ts";
import { WebGpuBackend } from "../kernels/webgpu_backend.ts";
import { pageOptions } from "./page_options.ts";
import { pageDocument, showError, showState } from "./_page.ts";
import { loadShippedModel, sampleShipped } from "./sample_shipped.ts";

const plotEl = pageDocument.getElementById("plot")!;
const show = showState;

/** Fetches one file of the checkout, relative to this module. */
async function fetchBytes(path: string): Promise<Uint8Array> {
  const url = new URL(path, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Cannot fetch ${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The points as circles, x and y on one scale (the square [-4, 4]²). */
function drawScatter(points: readonly number[], dim: number): void {
  const ns = "http://www.w3.org/2000/svg";
  plotEl.replaceChildren();
  const size = 320, half = 4;
  const px = (v: number) => ((v + half) / (2 * half)) * size;
  for (let i = 0; i + dim <= points.length; i += dim) {
    const c = pageDocument.createElementNS(ns, "circle");
    c.setAttribute("cx", px(points[i]!).toFixed(2));
    c.setAttribute("cy", (size - px(points[i + 1]!)).toFixed(2));
    c.setAttribute("r", "1.6");
    plotEl.append(c);
  }
}

/** The adapter's description, else its vendor and architecture (SwiftShader has no description). */
async function adapterName(backend: WebGpuBackend): Promise<string> {
  if (backend.description) return backend.description;
  const info = (await navigator.gpu?.requestAdapter())?.info;
  return info ? [info.vendor, info.architecture].filter(Boolean).join(" ") : "";
}

async function main(): Promise<void> {
  show("running", "reading the settings");
  const options = pageOptions(location.search);
  const warnings: string[] = [];
  show("running", `starting the ${options.backend} backend`);
  const backend: Backend = await createBackend(options.backend, {
    onWarning: (m) => warnings.push(m),
  });
  try {
    show("running", `loading models/shipped/${options.model}`);
    const [card, weights] = await Promise.all([
      fetchBytes(`../models/shipped/${options.model}.json`),
      fetchBytes(`../models/shipped/${options.model}.npy`),
    ]);
    const mlp = loadShippedModel(new TextDecoder().decode(card), weights);
    show("running", `sampling with ${options.sampler} on ${backend.name}`);
    const start = performance.now();
    const r = await sampleShipped(mlp, backend, options);
    const seconds = (performance.now() - start) / 1000;
    const adapter = backend instanceof WebGpuBackend ? await adapterName(backend) : undefined;
    drawScatter(r.samples, r.dim);
    show(
      "done",
      `${r.n} points from ${options.model} by ${r.sampler} (${r.nfe} model calls) on ${r.backend}` +
        `${adapter ? ` (${adapter})` : ""} in ${seconds.toFixed(2)} s`,
      { ok: true, model: options.model, ...r, adapter, warnings, seconds },
    );
  } finally {
    backend.destroy();
  }
}

main().catch(showError);
