/**
 * A progress reporter for long runs, on stderr.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError } from "../kernels/errors.ts";

/** Options for {@linkcode Progress}. */
export interface ProgressOptions {
  /** Shown before the bar, e.g. `"sampling"`. Default: none. */
  label?: string;
  /** Where text goes. Default: synchronous writes to stderr. */
  write?: (text: string) => void;
  /** Redraw one line in place (`\r`) instead of a line per 10 %. Default: `Deno.stderr.isTerminal()`. */
  isTerminal?: boolean;
  /** Clock in milliseconds, for tests. Default: `performance.now`. */
  now?: () => number;
  /** Least time between two redraws on a terminal, ms. Default 100. */
  minIntervalMs?: number;
  /** Name of one unit in the rate, e.g. `"steps"`. Default `"it"`. */
  unit?: string;
}

const encoder = new TextEncoder();
const BAR = 24;

/** Formats seconds as `m:ss` or `h:mm:ss`. */
function _clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Formats a rate with three significant digits. */
function _rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "?";
  if (perSecond >= 999.5e6) return `${(perSecond / 1e9).toPrecision(3)}G`;
  if (perSecond >= 999.5e3) return `${(perSecond / 1e6).toPrecision(3)}M`;
  if (perSecond >= 999.5) return `${(perSecond / 1e3).toPrecision(3)}k`;
  if (perSecond >= 99.95) return perSecond.toFixed(0);
  return perSecond.toPrecision(3);
}

/**
 * Reports progress of `total` units of work. On a terminal it redraws one
 * line in place with a bar, the rate and the ETA (at most every
 * `minIntervalMs`); otherwise (a pipe, a CI log) it prints one line each time
 * another 10 % is done, so logs stay short. Call {@linkcode Progress.finish}
 * at the end.
 *
 * Writing to stderr needs no permission.
 *
 * @example Log-file mode
 * ```ts
 * import { Progress } from "./progress.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const p = new Progress(100, { label: "steps", write: (s) => lines.push(s), isTerminal: false });
 * for (let i = 0; i < 100; i++) p.tick();
 * p.finish();
 * assert.equal(lines.length, 10);
 * assert.ok(lines[9]!.startsWith("steps: 100% (100/100)"));
 * ```
 */
export class Progress {
  /** Units of work in all. */
  readonly total: number;
  #done = 0;
  #label: string;
  #write: (text: string) => void;
  #terminal: boolean;
  #now: () => number;
  #minInterval: number;
  #unit: string;
  #start: number;
  #lastDraw = -Infinity;
  #lastDecile = 0;
  #finished = false;

  /**
   * Creates the instance.
   *
   * @param total units of work, a non-negative integer
   * @param options label, writer, terminal mode, clock
   */
  constructor(total: number, options: ProgressOptions = {}) {
    this.total = checkInteger("Cannot create progress", "total", total);
    this.#label = options.label ?? "";
    this.#write = options.write ??
      ((text: string) => {
        Deno.stderr.writeSync(encoder.encode(text));
      });
    this.#terminal = options.isTerminal ?? Deno.stderr.isTerminal();
    this.#now = options.now ?? (() => performance.now());
    this.#minInterval = options.minIntervalMs ?? 100;
    this.#unit = options.unit ?? "it";
    this.#start = this.#now();
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /**
   * Records `n` more units done.
   *
   * @param n units just finished (default 1)
   * @returns nothing
   *
   * @example
   * ```ts
   * import { Progress } from "./progress.ts";
   * import assert from "node:assert/strict";
   * const p = new Progress(10, { write: () => {}, isTerminal: false });
   * p.tick(3);
   * assert.equal(p.done, 3);
   * ```
   */
  tick(n = 1): void {
    this.update(this.#done + n);
  }

  /**
   * Sets the number of units done (it may not decrease or exceed `total`).
   *
   * @param done units finished so far
   * @returns nothing
   *
   * @example
   * ```ts
   * import { Progress } from "./progress.ts";
   * import assert from "node:assert/strict";
   * const out: string[] = [];
   * const p = new Progress(4, { write: (s) => out.push(s), isTerminal: false });
   * p.update(2);
   * assert.equal(out.length, 1); // one line, for the 50 % just reached
   * assert.ok(out[0]!.startsWith("50% (2/4)"));
   * ```
   */
  update(done: number): void {
    if (this.#finished) {
      throw new SdenoRangeError(`Cannot update progress: it has finished, got ${quote(done)}`);
    }
    checkInteger("Cannot update progress", "done", done, this.#done, this.total);
    this.#done = done;
    const t = this.#now();
    if (this.#terminal) {
      if (t - this.#lastDraw >= this.#minInterval || done === this.total) {
        this.#lastDraw = t;
        this.#write(`\r\x1b[2K${this.#line(t)}`);
      }
    } else {
      const decile = this.total === 0 ? 10 : Math.floor((10 * done) / this.total);
      if (decile > this.#lastDecile) {
        this.#lastDecile = decile;
        this.#write(`${this.#logLine(decile * 10, t)}\n`);
      }
    }
  }

  /**
   * Ends the report: draws the final state and a newline on a terminal; in a
   * log, prints where the work stopped unless the 100 % line is already out.
   * Calling it twice does nothing.
   *
   * @returns nothing
   *
   * @example
   * ```ts
   * import { Progress } from "./progress.ts";
   * import assert from "node:assert/strict";
   * const out: string[] = [];
   * const p = new Progress(3, { write: (s) => out.push(s), isTerminal: true });
   * p.tick(3);
   * p.finish();
   * assert.ok(out.at(-1)!.endsWith("\n"));
   * ```
   */
  finish(): void {
    if (this.#finished) return;
    const t = this.#now();
    if (this.#terminal) {
      this.#write(`\r\x1b[2K${this.#line(t)}\n`);
    } else if (this.#lastDecile < 10) {
      // Unfinished work (or total 0): log where it stopped.
      const pct = this.total === 0 ? 100 : Math.floor((100 * this.#done) / this.total);
      this.#write(`${this.#logLine(pct, t)}\n`);
    }
    this.#finished = true;
  }

  #prefix(): string {
    return this.#label === "" ? "" : `${this.#label}: `;
  }

  #line(t: number): string {
    const frac = this.total === 0 ? 1 : this.#done / this.total;
    const filled = Math.round(frac * BAR);
    const bar = "█".repeat(filled) + "░".repeat(BAR - filled);
    const elapsed = (t - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#done / elapsed : NaN;
    const eta = this.#done === this.total ? 0 : rate > 0 ? (this.total - this.#done) / rate : NaN;
    const pct = `${Math.floor(frac * 100)}`.padStart(3);
    const tail = this.#done === this.total
      ? `${_clock(elapsed)} elapsed`
      : `${_clock(elapsed)} elapsed, ETA ${_clock(eta)}`;
    return `${this.#prefix()}${bar} ${pct}% ${this.#done}/${this.total} ` +
      `[${_rate(rate)} ${this.#unit}/s, ${tail}]`;
  }

  #logLine(pct: number, t: number): string {
    const elapsed = (t - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#done / elapsed : NaN;
    return `${this.#prefix()}${pct}% (${this.#done}/${this.total}) ` +
      `${_clock(elapsed)} elapsed, ${_rate(rate)} ${this.#unit}/s`;
  }
}
