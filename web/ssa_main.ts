/**
 * The SSA page's script: reads its settings from the query string
 * (`ssaPageOptions`), picks a backend (`createBackend`: webgpu where
 * `navigator.gpu` gives an adapter, else cpu, with the reason shown), runs
 * the ensemble with `runSsaEnsemble` — the same modules as a Deno run — and
 * writes the result as JSON into `<pre id="result">` and the means into a
 * table. `document.body.dataset.state` goes `running` → `done` or `error`.
 *
 * @module
 */

import type { Backend } from "../kernels/backend.ts";
import { createBackend } from "../kernels/create_backend.ts";
import { ssaPageOptions } from "./page_options.ts";
import { runSsaEnsemble, type SsaRunResult } from "./ssa_ensemble_run.ts";
import { pageDocument, showError, showState } from "./_page.ts";

/** Mean ± standard error of every species at every save time, as a table. */
function drawTable(r: SsaRunResult): void {
  const cell = (tag: string, text: string) => {
    const c = pageDocument.createElement(tag);
    c.textContent = text;
    return c;
  };
  const head = pageDocument.createElement("tr");
  head.append(cell("th", "t"), ...r.species.map((s) => cell("th", `${s}: mean ± se`)));
  const rows = r.saveTimes.map((t, k) => {
    const row = pageDocument.createElement("tr");
    row.append(
      cell("td", String(t)),
      ...r.species.map((_, j) => {
        const i = k * r.species.length + j;
        return cell("td", `${r.mean[i]!.toFixed(3)} ± ${r.meanSe[i]!.toFixed(3)}`);
      }),
    );
    return row;
  });
  pageDocument.getElementById("table")!.replaceChildren(head, ...rows);
}

async function main(): Promise<void> {
  showState("running", "reading the settings");
  const options = ssaPageOptions(location.search);
  const warnings: string[] = [];
  showState("running", `starting the ${options.backend} backend`);
  const backend: Backend = await createBackend(options.backend, {
    onWarning: (m) => warnings.push(m),
  });
  try {
    showState(
      "running",
      `simulating ${options.paths} paths of ${options.network} on ${backend.name}`,
    );
    const start = performance.now();
    const r = await runSsaEnsemble(backend, options);
    const seconds = (performance.now() - start) / 1000;
    drawTable(r);
    showState(
      "done",
      `${r.paths} paths of ${r.network} to t = ${options.tEnd} on ${r.backend}: ` +
        `${r.firings} firings in ${seconds.toFixed(2)} s`,
      { ok: true, ...r, warnings, seconds },
    );
  } finally {
    backend.destroy();
  }
}

main().catch(showError);
