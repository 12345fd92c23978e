// Inverse problems: the time to 10000 posterior samples at K = 100 (the refs' quadratic grid,
// η = 1, exact GMM prior) on the d = 8, d_y = 2 instance of tests/fixtures/inverse, for every
// guidance method the instance admits, on cpu (float64) and webgpu (float32), next to the
// numpy reference implementations (bench/peers/inverse_peer.py: DPS, ΠGDM, DDRM, RED-diff,
// MCGdiff) timed in the same run on one BLAS thread. Each row also gives the SW1 of its samples
// against the stored exact posterior samples, so a fast wrong answer shows.
// Run: deno run --allow-read --allow-run=python3 bench/inverse.ts
import { CpuBackend, makeKey, WebGpuBackend } from "../kernels/mod.ts";
import type { Backend } from "../kernels/mod.ts";
import { guidanceMethods } from "../solvers/guidance/registry.ts";
import { quadraticGrid } from "../solvers/guidance/vp.ts";
import { loadGmmInstance, sw1 } from "../tests/solvers/guidance/_benchmark.ts";
import { peerNotes, runPeer } from "./_peer.ts";

const INSTANCE = "gmm_d8_dy2";
/** The registry's names of the methods the numpy peer implements, by the peer's tag. */
/** Options matching the peer's settings (the refs' DPS ζ = 0.1; sdeno's default is 0.3). */
const OPTIONS: Record<string, Record<string, unknown>> = { dps: { zeta: 0.1 } };
const PEER_TAGS: Record<string, string> = {
  dps: "dps",
  pigdm: "pigdm",
  ddrm: "ddrm",
  "red-diff": "reddiff",
  mcgdiff: "mcgdiff",
};

/** Runs the inverse-problem benchmark (SAMPLES posterior samples per method) and returns a markdown section. */
export async function benchInverse(SAMPLES = 10000): Promise<string> {
  const inst = loadGmmInstance(INSTANCE);
  const grid = quadraticGrid(100);
  const fixture = new URL("../tests/fixtures/inverse/gmm/instances.json", import.meta.url).pathname;
  const peer = await runPeer("inverse_peer.py", [fixture, INSTANCE, String(SAMPLES)], {
    threads: 1,
  });
  const gpu = await WebGpuBackend.create();
  if (!gpu) console.error("no WebGPU adapter: webgpu rows skipped");
  const backends: Backend[] = [new CpuBackend(), ...(gpu ? [gpu] : [])];
  const lines = [
    `### Guidance: ${SAMPLES} posterior samples at K = 100 on ${INSTANCE} (d = 8, d_y = 2)`,
    "",
    "Each method at its defaults (DPS at the refs' ζ = 0.1, as the numpy peer); methods that " +
    "cannot serve this problem (RePaint: masks only; MCG and DDNM: noiseless only) say why.",
    "",
    "| method | cpu f64 s | webgpu f32 s | numpy f64 s (1 thread) | numpy / cpu | SW1 cpu | SW1 webgpu | SW1 numpy |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const peerSw = (peer?.sw1 ?? {}) as Record<string, number>;
  for (const m of guidanceMethods.methods) {
    const cells: Record<string, { s: number; sw: number } | string> = {};
    for (const b of backends) {
      if (!m.info.backends.includes(b.name)) {
        cells[b.name] = "—";
        continue;
      }
      const request = {
        model: inst.model,
        problem: inst.problem,
        grid,
        samples: SAMPLES,
        key: makeKey(7),
        backend: b,
        ...(OPTIONS[m.info.name] ? { options: OPTIONS[m.info.name] } : {}),
      };
      try {
        console.error(`inverse: ${m.info.name} on ${b.name} ...`);
        const t0 = performance.now();
        const r = await m.run(request);
        const s = (performance.now() - t0) / 1000;
        cells[b.name] = { s, sw: sw1(inst, r.samples) };
      } catch (e) {
        // a method that cannot serve this problem (RePaint: masks only; MCG: noiseless) says so
        cells[b.name] = `n/a (${
          (e as Error).message.split(":").slice(1).join(":").trim().slice(0, 40)
        })`;
      }
    }
    const tag = PEER_TAGS[m.info.name];
    const row = tag ? peer?.rows?.find((r) => r.tag === `inverse:${tag}`) : undefined;
    const cpu = cells.cpu, web = cells.webgpu;
    const fmt = (c: typeof cpu, k: "s" | "sw") =>
      c === undefined
        ? "—"
        : typeof c === "string"
        ? (k === "s" ? c : "")
        : c[k].toFixed(k === "s" ? 2 : 3);
    const ratio = row && typeof cpu === "object" ? (row.seconds / cpu.s).toFixed(2) : "—";
    lines.push(
      `| ${m.info.name} | ${fmt(cpu, "s")} | ${fmt(web, "s")} | ${
        row ? row.seconds.toFixed(2) : "—"
      } | ${ratio} | ${fmt(cpu, "sw")} | ${fmt(web, "sw")} | ${
        tag && peerSw[tag] !== undefined ? peerSw[tag]!.toFixed(3) : "—"
      } |`,
    );
  }
  for (const b of backends) b.destroy();
  lines.push(
    "",
    `Stored levels on ${INSTANCE}: exact-vs-exact SW1 ${
      inst.levels.swExact.toFixed(3)
    }, prior-vs-posterior ${
      inst.levels.swPrior.toFixed(2)
    }; the reference runs' SW1 are in tests/fixtures/inverse/gmm/reference_results.json.`,
    peerNotes([peer]),
  );
  return lines.join("\n");
}

// `deno run … bench/inverse.ts 500` for a quick smaller run
if (import.meta.main) console.log(await benchInverse(Number(Deno.args[0] ?? 10000)));
