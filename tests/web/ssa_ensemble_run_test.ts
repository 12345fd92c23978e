// The SSA page's computation in Deno (no browser): web/ssa_ensemble_run.ts
// runs scripts/ssa.ts's conventions in one thread and gives the sums of the
// library's own ensemble (over workers) for the same key; bad settings are
// typed errors naming the parameter.
import assert from "node:assert/strict";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import { makeKey } from "../../kernels/philox.ts";
import { SdenoRangeError } from "../../kernels/errors.ts";
import { builtinReactionNetwork } from "../../processes/reaction_network_library.ts";
import { closeSsaEnsembleWorkers, ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";
import { runSsaEnsemble } from "../../web/ssa_ensemble_run.ts";
import { SSA_PAGE_DEFAULTS, ssaPageOptions } from "../../web/page_options.ts";

Deno.test({
  name: "runSsaEnsemble() gives the sums of ssaEnsemble() over workers for the same key",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const b = new CpuBackend();
  const r = await runSsaEnsemble(b, {
    network: "dimerization_small",
    paths: 700,
    tEnd: 3,
    seed: 9,
  });
  const ref = await ssaEnsemble(builtinReactionNetwork("dimerization_small"), {
    backend: b,
    tEnd: 3,
    saveTimes: [0.6, 1.2, 1.8, 2.4, 3],
    paths: 700,
    key: makeKey(9, 0),
    workers: 2,
  });
  closeSsaEnsembleWorkers();
  assert.deepEqual(r.saveTimes, Array.from(ref.saveTimes));
  assert.deepEqual([r.sum, r.sumSq, r.firings], [
    Array.from(ref.sum),
    Array.from(ref.sumSq),
    ref.firings,
  ]);
  assert.deepEqual(r.species, [...ref.species]);
  assert.equal(r.backend, "cpu");
});

Deno.test("runSsaEnsemble() and ssaPageOptions() refuse bad settings with typed errors", async () => {
  const b = new CpuBackend();
  await assert.rejects(
    () => runSsaEnsemble(b, { network: "brusselator" }),
    /built-in network "brusselator"/,
  );
  await assert.rejects(() => runSsaEnsemble(b, { paths: 0 }), /paths must be an integer/);
  await assert.rejects(
    () => runSsaEnsemble(b, { tEnd: 0 }),
    (e: Error) => e instanceof SdenoRangeError && /tEnd must be positive, got 0/.test(e.message),
  );
  await assert.rejects(() => runSsaEnsemble(b, { tEnd: NaN }), /tEnd must be a finite number/);
  await assert.rejects(() => runSsaEnsemble(b, { seed: 2 ** 32 }), /seed must be an integer/);
  assert.deepEqual(ssaPageOptions(""), SSA_PAGE_DEFAULTS);
  const bad: [string, RegExp][] = [
    ["backend=gl", /backend must be one of auto, cpu, webgpu, got "gl"/],
    ["paths=0", /paths must be a whole number in \[1, 4194304\], got "0"/],
    ["tEnd=", /tEnd must be a positive number, got ""/],
    ["tEnd=inf", /tEnd must be a positive number, got "inf"/],
    ["seed=x", /seed must be a whole number/],
    ["steps=3", /unknown parameter "steps"; known: backend, network, paths, tEnd, seed/],
  ];
  for (const [query, message] of bad) {
    assert.throws(
      () => ssaPageOptions(query),
      (e: Error) => e instanceof SdenoRangeError && message.test(e.message),
      query,
    );
  }
});
