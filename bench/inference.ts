// MJP inference benchmark: EM for the full 6×6 rate matrix on the flashing-ratchet data set S1
// (300 paths × 50 clean observations, tests/fixtures/inference/dfr_seed0.json), sdeno's emMjp
// against a vectorised numpy implementation of the same algorithm (bench/peers/inference_peer.py),
// the same data file, the same start (all rates 1, π₀ uniform) and the same number of
// iterations, in one run. Reports EM iterations per second, the ratio, and how far the two
// log-likelihood traces and final rate matrices are apart.
// Run: deno run --allow-read --allow-run=python3 bench/inference.ts
import { emMjp } from "../solvers/inference/em_mjp.ts";
import { exactEmission, type MjpObservations } from "../solvers/inference/observations.ts";
import { type BenchRow, runPeer, table, timeIt } from "./_peer.ts";

const ITERATIONS = 30;
const REPEATS = 3;

/** EM on S1: sdeno vs numpy. */
export async function benchInference(): Promise<string> {
  const url = new URL("../tests/fixtures/inference/dfr_seed0.json", import.meta.url);
  const raw = JSON.parse(await Deno.readTextFile(url)) as {
    times: number[][];
    true_states: number[][];
  };
  const observations: MjpObservations = {
    n: 6,
    paths: raw.times.map((t, p) => ({
      times: new Float64Array(t),
      values: new Float64Array(raw.true_states[p]!),
    })),
  };
  const emission = exactEmission(6);
  let result = emMjp(observations, { emission, tolerance: 0, maxIterations: ITERATIONS });
  const seconds = await timeIt(() => {
    result = emMjp(observations, { emission, tolerance: 0, maxIterations: ITERATIONS });
  }, REPEATS);
  // the peer reads the same fixture file (times and true states)
  const peer = await runPeer("inference_peer.py", [
    url.pathname,
    String(ITERATIONS),
    String(REPEATS),
  ], {
    threads: 1,
  });
  const intervals = observations.paths.reduce((s, p) => s + p.times.length - 1, 0);
  const rows: BenchRow[] = [{
    name: "sdeno emMjp (eigen closed form)",
    rate: ITERATIONS / seconds,
  }];
  const notes = [
    `${ITERATIONS} EM iterations on ${observations.paths.length} paths (${intervals} intervals), median of ${REPEATS} runs ` +
    `after a warm-up; sdeno ${seconds.toFixed(3)} s per run, final log-likelihood ${
      result.logLikelihoods.at(-1)!.toFixed(6)
    }.`,
  ];
  if (peer) {
    const ps = Number(peer.seconds);
    rows.push({ name: "numpy EM (1 thread)", rate: ITERATIONS / ps });
    const trace = peer.trace as number[];
    const q = peer.q as number[];
    const dq = result.q.toDense().reduce((m, v, i) => Math.max(m, Math.abs(v - q[i]!)), 0);
    const dl = result.logLikelihoods.reduce((m, v, i) => Math.max(m, Math.abs(v - trace[i]!)), 0);
    notes.push(
      `numpy ${ps.toFixed(3)} s per run; sdeno/numpy speed ratio ${(ps / seconds).toFixed(2)}. ` +
        `Largest difference of the log-likelihood traces ${dl.toExponential(2)}, of the final Q ${
          dq.toExponential(2)
        }.`,
      `Peer: \`${peer.command}\`, ${
        Object.entries(peer.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")
      }` +
        ((peer.notes ?? []).length ? `; ${peer.notes!.join("; ")}` : ""),
    );
  }
  return [
    table(
      "EM for the 6×6 rate matrix, DFR S1 (300 × 50)",
      "EM iterations/s",
      rows,
      "numpy EM (1 thread)",
    ),
    notes.join("\n"),
  ].join("\n\n");
}

if (import.meta.main) console.log(await benchInference());
