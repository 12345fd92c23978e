// A pool of warm Web Workers running one module, on the pattern of the SDE
// ensemble's (solvers/sde/ensemble.ts): workers are leased for a call and
// parked afterwards, so a later call (a script's next chunk of paths) finds
// them with their modules loaded and their networks built; a worker idle for
// `idleMs` is terminated (a live worker keeps a Deno program running), and so
// is one whose call failed. Private: no mod.ts re-exports this file.

/** A pool of workers of one module. */
export class WorkerPool {
  /** The worker module. */
  readonly url: string;
  /** How long a parked worker may stay idle, in ms. */
  readonly idleMs: number;
  #idle: Array<{ worker: Worker; since: number }> = [];
  #busy = new Set<Worker>();
  #doomed = new Set<Worker>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = 0;

  /**
   * Creates an empty pool.
   *
   * @param url the worker module
   * @param idleMs how long a parked worker may stay idle (default 1000 ms)
   */
  constructor(url: string, idleMs = 1000) {
    this.url = url;
    this.idleMs = idleMs;
  }

  /** Workers started in all, parked now, and leased now. */
  get stats(): { started: number; idle: number; busy: number } {
    return { started: this.#started, idle: this.#idle.length, busy: this.#busy.size };
  }

  /**
   * Takes `count` workers: parked ones first, new ones as needed.
   *
   * @param count how many
   * @returns the workers, leased until {@linkcode WorkerPool.release}
   */
  lease(count: number): Worker[] {
    const out: Worker[] = [];
    while (out.length < count && this.#idle.length > 0) out.push(this.#idle.pop()!.worker);
    while (out.length < count) {
      out.push(new Worker(this.url, { type: "module" }));
      this.#started++;
    }
    for (const w of out) this.#busy.add(w);
    if (this.#idle.length === 0) this.#stopTimer();
    return out;
  }

  /**
   * Returns leased workers: parked when `ok`, else terminated (a worker may
   * still be busy with an abandoned message).
   *
   * @param workers workers from {@linkcode WorkerPool.lease}
   * @param ok whether the call succeeded
   */
  release(workers: readonly Worker[], ok: boolean): void {
    const now = performance.now();
    for (const w of workers) {
      this.#busy.delete(w);
      w.onmessage = null;
      w.onerror = null;
      if (!ok || this.#doomed.has(w)) {
        this.#doomed.delete(w);
        w.terminate();
      } else this.#idle.push({ worker: w, since: now });
    }
    if (this.#idle.length > 0 && this.#timer === undefined) this.#arm();
  }

  /** Terminates the parked workers now, and the leased ones when released. */
  close(): void {
    for (const { worker } of this.#idle) worker.terminate();
    this.#idle = [];
    for (const w of this.#busy) this.#doomed.add(w);
    this.#stopTimer();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      const keep: Array<{ worker: Worker; since: number }> = [];
      for (const p of this.#idle) {
        if (now - p.since >= this.idleMs - 1) p.worker.terminate();
        else keep.push(p);
      }
      this.#idle = keep;
      if (keep.length > 0) this.#arm();
    }, this.idleMs);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Whether this program may start workers running the modules under
 * `root`: Web Workers exist, and on Deno the folders `dirs` under a `file:`
 * root are readable (a worker's module graph needs read permission). Other
 * hosts (browsers, remote imports) keep the work in the calling thread.
 *
 * @param root the package root, as a URL
 * @param dirs the folders the worker's module graph reads
 * @returns whether workers can start
 */
export function workersAllowed(root: URL, dirs: readonly string[]): boolean {
  if (typeof Worker === "undefined" || typeof Deno === "undefined") return false;
  if (root.protocol !== "file:") return false;
  try {
    return dirs.every((d) =>
      Deno.permissions.querySync({ name: "read", path: new URL(d, root) }).state === "granted"
    );
  } catch {
    return false;
  }
}
