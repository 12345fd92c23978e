// Runs the Python peers of `deno task bench` (numpy, scipy, PyTorch, JAX, numba: bench/peers/)
// and turns their one JSON line into table rows and notes. Needs --allow-run=python3. A peer
// that is missing, fails or runs past its timeout returns undefined, with a note, so the sdeno
// rows still print; inside a peer, each of torch, JAX and numba is optional the same way
// (bench/peers/_peers.py).

/** One timed row of a peer (bench/peers/_peers.py, `Report.time`). */
export interface PeerRow {
  /** What ran, with its precision, threads and size. */
  name: string;
  /** Which workload (e.g. "ou", "slv", "schlogl:ensemble"). */
  tag: string;
  /** Work items of one run (path-steps, firings, normals). */
  items: number;
  /** Median wall seconds of the timed runs, after a warm-up. */
  seconds: number;
  /** Items per second. */
  rate: number;
  /** Threads the row was told to use. */
  threads: number;
  /** Process CPU time over wall time of the timed runs: the cores it really used. */
  cpu_per_wall: number | null;
  /** Compile/JIT seconds, timed apart and excluded from the rate (null: nothing compiled). */
  compile_seconds: number | null;
  /** The run's check value (e.g. the mean at the end), or null. */
  value: number | null;
}

/** A peer's JSON output: named values, and for the newer peers rows, notes and versions. */
export type PeerResult = Record<string, unknown> & {
  /** The timed rows. */
  rows?: PeerRow[];
  /** Why rows are missing (a library not importable) and the peer's checks. */
  notes?: string[];
  /** Library versions. */
  versions?: Record<string, string>;
  /** The thread settings of the peer's environment. */
  threads?: Record<string, string>;
  /** The peer's command line: script and arguments. */
  command?: string;
};

/** Options of {@linkcode runPeer}. */
export interface RunPeerOptions {
  /**
   * Threads the peer may use: sets SDENO_PEER_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
   * MKL_NUM_THREADS, NUMBA_NUM_THREADS and, for one thread, XLA_FLAGS (JAX on CPU) in the
   * peer's environment. Default: the environment is left as it is.
   */
  threads?: number;
  /** Wall-clock limit in milliseconds; the peer is killed past it. Default 600 000. */
  timeoutMs?: number;
}

/** The environment that pins a peer's thread pools to `threads`. */
export function peerThreadEnv(threads: number): Record<string, string> {
  const n = String(threads);
  const env: Record<string, string> = {
    SDENO_PEER_THREADS: n,
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    NUMBA_NUM_THREADS: n,
  };
  // XLA's CPU client sizes its pools from the cores; one thread needs both flags
  if (threads === 1) {
    env.XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1";
  }
  return env;
}

/**
 * Runs `python3 bench/peers/<script> args…` and returns its last stdout line parsed as JSON, or
 * undefined (with a note on stderr) if python3 is missing, the peer fails or it times out.
 */
export async function runPeer(
  script: string,
  args: string[],
  options: RunPeerOptions = {},
): Promise<PeerResult | undefined> {
  const path = new URL(`./peers/${script}`, import.meta.url).pathname;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const env: Record<string, string> = { PYTHONDONTWRITEBYTECODE: "1" };
  if (options.threads !== undefined) Object.assign(env, peerThreadEnv(options.threads));
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const { code, signal, stdout, stderr } = await new Deno.Command("python3", {
      args: [path, ...args],
      env,
      stdout: "piped",
      stderr: "piped",
      signal: timeout,
    }).output();
    const err = new TextDecoder().decode(stderr).trim();
    if (code !== 0) {
      const why = timeout.aborted
        ? `timed out after ${timeoutMs / 1000} s`
        : signal
        ? `killed by ${signal}`
        : `exit ${code}`;
      console.error(`peer ${script} ${args.join(" ")} failed (${why}): ${err}`);
      return undefined;
    }
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    const result = JSON.parse(lines[lines.length - 1]!) as PeerResult;
    for (const note of result.notes ?? []) console.error(`peer ${script}: ${note}`);
    return result;
  } catch (err) {
    console.error(`peer ${script} unavailable: ${(err as Error).message}`);
    return undefined;
  }
}

/** The rows of `peers` tagged `tag`, as table rows, in the order the peers ran them. */
export function peerRows(peers: Array<PeerResult | undefined>, tag: string): BenchRow[] {
  return peers.flatMap((p) => p?.rows ?? []).filter((r) => r.tag === tag).map((r) => ({
    name: r.name,
    rate: r.rate,
  }));
}

/**
 * Markdown under a table of peer rows: versions, the thread settings each peer process ran
 * under, and per row the compile/JIT seconds (excluded from the rates), the CPU time over wall
 * time (how many cores it really used) and the check value; then the peers' own notes.
 */
export function peerNotes(peers: Array<PeerResult | undefined>, tags?: string[]): string {
  const ran = peers.filter((p): p is PeerResult => p !== undefined);
  if (ran.length === 0) return "Python peers: none ran (see the notes on stderr)";
  const versions = new Map<string, string>();
  for (const p of ran) for (const [k, v] of Object.entries(p.versions ?? {})) versions.set(k, v);
  const lines = [
    `Python peers: ${[...versions].map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    ...ran.filter((p) => p.threads).map((p) => {
      const t = p.threads!;
      const xla = t.XLA_FLAGS
        ? `, XLA_FLAGS="${t.XLA_FLAGS}"`
        : ", XLA_FLAGS unset (XLA's default)";
      return `- \`${p.command ?? "?"}\` on ${t.SDENO_PEER_THREADS} thread(s): OMP_NUM_THREADS=` +
        `${t.OMP_NUM_THREADS}, OPENBLAS_NUM_THREADS=${t.OPENBLAS_NUM_THREADS}, ` +
        `NUMBA_NUM_THREADS=${t.NUMBA_NUM_THREADS}${xla}; torch.set_num_threads and ` +
        "numba.set_num_threads as each row's name says";
    }),
  ];
  const rows = ran.flatMap((p) => p.rows ?? []).filter((r) => !tags || tags.includes(r.tag));
  if (rows.length > 0) {
    const f = (v: number | null, d: number) => (v === null ? "-" : v.toFixed(d));
    lines.push(
      "",
      "| peer row | workload | compile/JIT (s, not in the rate) | CPU / wall | check value |",
      "| --- | --- | ---: | ---: | ---: |",
      ...rows.map((r) =>
        `| ${r.name} | ${r.tag} | ${f(r.compile_seconds, 3)} | ${f(r.cpu_per_wall, 2)} | ${
          r.value === null ? "-" : r.value.toPrecision(5)
        } |`
      ),
    );
  }
  const notes = ran.flatMap((p) => p.notes ?? []);
  if (notes.length > 0) lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n");
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Times `f` `repeats` times after one warm-up; returns the median in seconds. */
export async function timeIt(f: () => Promise<void> | void, repeats: number): Promise<number> {
  await f();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await f();
    times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

/** A row of a results table. */
export interface BenchRow {
  /** What ran. */
  name: string;
  /** Items per second. */
  rate: number;
}

/** Formats rows as a markdown table with rates and ratios to `reference`. */
export function table(title: string, unit: string, rows: BenchRow[], reference: string): string {
  const ref = rows.find((r) => r.name === reference)?.rate;
  const lines = [
    `### ${title}`,
    "",
    `| implementation | ${unit} | ratio to ${reference} |`,
    "| --- | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.name} | ${r.rate.toExponential(3)} | ${ref ? (r.rate / ref).toFixed(2) : "n/a"} |`
    ),
  ];
  return lines.join("\n");
}
