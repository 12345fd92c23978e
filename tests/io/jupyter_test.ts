// The Jupyter displays of io/jupyter.ts, checked as MIME bundles without Jupyter: the bundle a
// result's [Symbol.for("Jupyter.display")]() resolves to holds a table with the result's numbers
// in their places and an inline SVG plot; the method is invisible to JSON, structuredClone and
// deepEqual; bad input is a typed error. (.ci/notebooks.sh runs the notebooks in Deno's kernel.)
import assert from "node:assert/strict";
import {
  attachDisplay,
  displayable,
  displayBundle,
  displayGuidance,
  displayTable,
  ensembleBundle,
  JUPYTER_DISPLAY,
  mimeBundleOf,
  sampleSet,
  ssaRunBundle,
} from "../../io/jupyter.ts";
import { SdenoTypeError } from "../../kernels/errors.ts";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import { simulateEnsemble } from "../../solvers/sde/ensemble.ts";
import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
import { ssaDirect } from "../../solvers/ctmc/ssa_direct.ts";
import { closeSsaEnsembleWorkers, ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";
import { tauLeaping } from "../../solvers/ctmc/tau_leaping.ts";
import { builtinReactionNetwork } from "../../processes/reaction_network_library.ts";

/** The data rows of the first table: cells as text, HTML entities decoded. */
function tableRows(html: string): string[][] {
  const table = html.match(/<table[^>]*>([\s\S]*?)<\/table>/)![1]!;
  const body = table.match(/<tbody>([\s\S]*)<\/tbody>/)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    )
  );
}

/** The header cells of the first table. */
function tableHeader(html: string): string[] {
  const head = html.match(/<thead>([\s\S]*?)<\/thead>/)![1]!;
  return [...head.matchAll(/<th>([\s\S]*?)<\/th>/g)].map((c) => c[1]!);
}

/** A shown number (5 significant digits) equals the value to its precision. */
function assertShown(cell: string, value: number, name: string): void {
  const shown = Number(cell.split(" ± ")[0]);
  assert.ok(
    Math.abs(shown - value) <= 5e-5 * Math.abs(value) + 1e-12,
    `${name}: shown ${cell}, value ${value}`,
  );
}

function assertPlainData(r: object): void {
  const d = Object.getOwnPropertyDescriptor(r, JUPYTER_DISPLAY);
  assert.ok(d && typeof d.value === "function", "has a display method");
  assert.equal(d.enumerable, false);
  assert.ok(
    !Object.getOwnPropertySymbols(r).some((s) => Object.prototype.propertyIsEnumerable.call(r, s)),
  );
  // structuredClone drops symbol keys: equal only if the method is invisible to deepEqual
  assert.deepStrictEqual(r, structuredClone(r));
  assert.equal(JSON.stringify(r), JSON.stringify(structuredClone(r)));
}

const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });

Deno.test("simulateEnsemble() results display a table of their moments and a plot", async () => {
  const r = await simulateEnsemble(ou, {
    backend: new CpuBackend(),
    x0: [1],
    paths: 500,
    t1: 1,
    dt: 0.05,
    saveAt: [0.25, 0.5, 1],
    keepPaths: 3,
  });
  assertPlainData(r);
  const b = await mimeBundleOf(r);
  assert.match(b["text/plain"], /500 paths, d = 1, 3 saves/);
  assert.deepEqual(tableHeader(b["text/html"]), [
    "t",
    "component",
    "mean ± se",
    "sd",
    "variance ± se",
  ]);
  const rows = tableRows(b["text/html"]);
  assert.equal(rows.length, 3);
  for (let s = 0; s < 3; s++) {
    assertShown(rows[s]![0]!, r.t[s]!, "t");
    assertShown(rows[s]![2]!, r.mean[s]!, "mean");
    assertShown(rows[s]![3]!, Math.sqrt(r.variance[s]!), "sd");
    assertShown(rows[s]![4]!, r.variance[s]!, "variance");
    assertShown(rows[s]![2]!.split(" ± ")[1]!, Number(r.meanSe[s]!.toPrecision(2)), "se");
  }
  assert.equal(b["text/html"].match(/<svg /g)!.length, 1);
  assert.match(b["text/html"], /sample paths/);
  // deterministic: the same result gives the same bundle
  assert.deepEqual(await mimeBundleOf(r), b);
});

Deno.test("ensembleBundle() at one save time shows the quantiles and a histogram of each component", async () => {
  const r = await simulateEnsemble(ou, {
    backend: new CpuBackend(),
    x0: [1],
    paths: 400,
    t1: 0.5,
    dt: 0.05,
    quantiles: [0.1, 0.5, 0.9],
  });
  const b = ensembleBundle(r);
  assert.deepEqual(tableHeader(b["text/html"]).slice(5), ["q0.1", "q0.5", "q0.9"]);
  const row = tableRows(b["text/html"])[0]!;
  for (let k = 0; k < 3; k++) assertShown(row[5 + k]!, r.quantiles!.values[k]!, `q${k}`);
  assert.match(b["text/html"], /<svg /);
});

Deno.test("ensembleBundle() elides the middle rows of long tables", async () => {
  const saveAt = Array.from({ length: 20 }, (_, i) => (i + 1) * 0.05);
  const r = await simulateEnsemble(ou, {
    backend: new CpuBackend(),
    x0: [1],
    paths: 64,
    t1: 1,
    dt: 0.05,
    saveAt,
  });
  const html = ensembleBundle(r)["text/html"];
  assert.match(html, /… 5 more rows …/);
  const rows = tableRows(html);
  assert.equal(rows.length, 16); // 8 first, the elision, 7 last
  assertShown(rows[15]![0]!, 1, "last t");
});

Deno.test("ssaDirect() results display their counts, firings and every jump", async () => {
  const net = builtinReactionNetwork("birth_death");
  const r = ssaDirect(net, { tEnd: 10, saveTimes: [0, 5, 10], trajectory: true });
  assertPlainData(r);
  const b = await mimeBundleOf(r);
  assert.match(b["text/plain"], /^SsaResult: 1 path, species X, 3 save times/);
  const rows = tableRows(b["text/html"]);
  assert.deepEqual(rows.map((x) => Number(x[1])), [...r.counts]);
  assert.match(b["text/html"], /every jump/);
  // the firings table
  const firings = b["text/html"].slice(b["text/html"].indexOf("</table>") + 8);
  assert.deepEqual(tableRows(firings).map((x) => [x[0], Number(x[1])]), [
    ["birth", r.firings[0]],
    ["death", r.firings[1]],
  ]);
  // many paths: means ± standard errors over the paths, and the same numbers from tau-leaping
  const many = ssaDirect(net, { tEnd: 10, saveTimes: [0, 10], paths: 50 });
  let sum = 0;
  for (let p = 0; p < 50; p++) sum += many.counts[p * 2 + 1]!;
  assertShown(tableRows(ssaRunBundle(many)["text/html"])[1]![1]!, sum / 50, "mean count");
});

Deno.test("ssaEnsemble() results display moments with standard errors and the histogram", async () => {
  try {
    const r = await ssaEnsemble(builtinReactionNetwork("birth_death"), {
      backend: new CpuBackend(),
      tEnd: 10,
      saveTimes: [2, 10],
      paths: 300,
      workers: 1,
      histogram: { species: "X", bins: 150 },
    });
    assertPlainData(r);
    const b = await mimeBundleOf(r);
    const rows = tableRows(b["text/html"]);
    assert.equal(rows.length, 2);
    for (let s = 0; s < 2; s++) {
      assert.equal(rows[s]![1], "X");
      assertShown(rows[s]![2]!, r.mean[s]!, "mean");
      assertShown(rows[s]![4]!, r.variance[s]!, "variance");
    }
    // two panels (moments over time, histogram at the last time) in one panel grid
    assert.match(b["text/html"], /X at t = 10/);
    assert.match(b["text/html"], /moments/);
    assert.match(b["text/plain"], /^SsaEnsembleResult: 300 paths/);
  } finally {
    closeSsaEnsembleWorkers();
  }
});

Deno.test("sampleSet() shows moments per coordinate, and a scatter, histogram or image grid", async () => {
  const pts = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) * (i % 2 ? 1 : 3));
  const s = sampleSet(pts, { method: "euler", nfe: 20, reference: pts.slice(0, 50) });
  assertPlainData(s);
  assert.equal(s.n, 100);
  const b = await mimeBundleOf(s);
  const rows = tableRows(b["text/html"]);
  let m0 = 0;
  for (let i = 0; i < 100; i++) m0 += pts[2 * i]! / 100;
  assertShown(rows[0]![1]!, m0, "mean of x1");
  assert.equal(rows.length, 2);
  assert.match(b["text/plain"], /euler, 100 points, d = 2, NFE 20/);
  assert.match(b["text/html"], /<svg /);
  assert.match(b["text/html"], /reference/);
  // 1-D: a histogram; images: an image grid
  assert.match(displayBundle(sampleSet(pts, { dim: 1 }))["text/html"], /<svg /);
  const images = sampleSet(new Float64Array(4 * 16).map((_, i) => i % 7), {
    dim: 16,
    imageShape: [1, 4, 4],
  });
  assert.match((await mimeBundleOf(images))["text/html"], /<svg /);
});

Deno.test("sampleSet() refuses bad input with typed errors naming the argument", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => sampleSet([1, 2] as unknown as Float64Array), /points must be a Float64Array/],
    [() => sampleSet(new Float64Array(5)), /positive multiple of dim = 2 values, got length 5/],
    [() => sampleSet(new Float64Array(0)), /got length 0/],
    [() => sampleSet(new Float64Array(4), { dim: 0 }), /dim must be a positive integer, got "0"/],
    [
      () => sampleSet(new Float64Array(8), { dim: 4, imageShape: [3, 3] }),
      /imageShape must be \[c, h, w\] or \[h, w\] with dim = 4 values, got \[3,3\]/,
    ],
    [
      () => sampleSet(new Float64Array(4), { reference: new Float64Array(3) }),
      /reference must be a typed array of m × dim = 2 values/,
    ],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (e) => e instanceof SdenoTypeError && message.test((e as Error).message));
  }
});

Deno.test("displayGuidance() shows the posterior samples and the SMC effective sample sizes", async () => {
  const r = displayGuidance({
    samples: Float64Array.from({ length: 40 }, (_, i) => i / 10),
    nfe: 50,
    ess: [Float64Array.from([20, 12, 8]), Float64Array.from([20, 15, 19])],
    resampledAt: [[2], []],
  }, { dim: 2, method: "tds" });
  assertPlainData(r);
  const b = await mimeBundleOf(r);
  assert.match(b["text/plain"], /tds, 20 points, d = 2, NFE 50, 2 particle systems/);
  const ess = tableRows(b["text/html"].slice(b["text/html"].lastIndexOf("<table")));
  assert.deepEqual(ess, [["0", "8", "8", "1"], ["1", "19", "15", "0"]]);
  assert.equal(b["text/html"].match(/<svg /g)!.length, 2);
  const samples = new Float64Array(4);
  assert.throws(
    () => displayGuidance({ samples, nfe: 1 }, {} as { dim: number }),
    (e) =>
      e instanceof SdenoTypeError && /options.dim must be the samples' dimension/.test(e.message),
  );
  assert.throws(
    () =>
      displayGuidance({ samples: [1, 2] } as unknown as { samples: Float64Array; nfe: number }, {
        dim: 2,
      }),
    (e) => e instanceof SdenoTypeError && /Float64Array samples/.test(e.message),
  );
  assert.throws(() => displayGuidance({ samples, nfe: 1 }, { dim: 3 }), /multiple of dim = 3/);
});

Deno.test("displayTable() escapes its cells and lists every column", async () => {
  const t = displayTable([{ solver: "<b>euler</b>", sw2: 0.0712345678 }, {
    solver: "heun",
    nfe: 19,
  }], {
    caption: "a & b",
  });
  assert.deepEqual(t.columns, ["solver", "sw2", "nfe"]);
  const b = await mimeBundleOf(t);
  assert.match(b["text/html"], /&#60;b&#62;euler&#60;\/b&#62;/);
  assert.match(b["text/html"], /a &#38; b/);
  assert.deepEqual(tableRows(b["text/html"]), [["<b>euler</b>", "0.071235", ""], [
    "heun",
    "",
    "19",
  ]]);
  assert.throws(() => displayTable("rows" as unknown as []), SdenoTypeError);
});

Deno.test("displayable() attaches the display to any SSA path result; others are refused", async () => {
  const r = displayable(tauLeaping(builtinReactionNetwork("birth_death"), { tEnd: 5, paths: 10 }));
  assertPlainData(r);
  assert.match((await mimeBundleOf(r))["text/plain"], /^SsaResult: 10 paths/);
  assert.throws(
    () => displayable({ a: 1 }),
    (e) =>
      e instanceof SdenoTypeError &&
      /expected an SDE ensemble, an SSA result or ensemble/.test(e.message),
  );
  assert.throws(() => displayBundle(null), SdenoTypeError);
});

Deno.test("attachDisplay() and mimeBundleOf() refuse what is not displayable", async () => {
  assert.throws(
    () => attachDisplay(1 as unknown as object, () => ({ "text/plain": "", "text/html": "" })),
    /target must be an object, got "1"/,
  );
  assert.throws(
    () => attachDisplay({}, "f" as unknown as () => never),
    /render must be a function/,
  );
  await assert.rejects(mimeBundleOf({}), /must have a \[Symbol.for\("Jupyter.display"\)\] method/);
  const junk = attachDisplay(
    {},
    () => 42 as unknown as { "text/plain": string; "text/html": string },
  );
  await assert.rejects(
    mimeBundleOf(junk),
    (e) => e instanceof SdenoTypeError && /returned "42"/.test(e.message),
  );
});

Deno.test("notebooks/*.ipynb are stored unexecuted for the Deno kernel, and their code type-checks", async () => {
  // .ci/notebooks.sh executes them in Jupyter; this catches API drift without Jupyter or Python:
  // the code cells, joined into one module (imports made absolute), pass `deno check` under the
  // repository's strict compiler options.
  const root = new URL("../../", import.meta.url);
  const names = ["sample_model.ipynb", "ssa_cme.ipynb"];
  const tmp = await Deno.makeTempDir({ prefix: "sdeno_notebooks_" });
  try {
    const files: string[] = [];
    for (const name of names) {
      const nb = JSON.parse(await Deno.readTextFile(new URL(`notebooks/${name}`, root)));
      assert.equal(nb.metadata.kernelspec.name, "deno", name);
      assert.equal(nb.metadata.kernelspec.language, "typescript", name);
      const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
      assert.ok(code.length >= 5, name);
      for (const c of code) {
        assert.deepEqual(c.outputs, [], `${name}: stored with outputs`);
        assert.equal(c.execution_count, null, name);
      }
      const source = code
        .map((c: { source: string | string[] }) => [c.source].flat().join(""))
        .join("\n\n")
        .replaceAll('from "../', `from "${root.href}`);
      const file = `${tmp}/${name.replace(".ipynb", ".ts")}`;
      await Deno.writeTextFile(file, `${source}\nexport {};\n`);
      files.push(file);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        "--quiet",
        "--no-lock",
        "--config",
        new URL("deno.json", root).pathname,
        ...files,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
