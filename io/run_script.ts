/**
 * The entry point of a script: parse the flags, run, and turn errors into
 * exit codes.
 *
 * @module
 */

import { SdenoError } from "../kernels/errors.ts";
import { type CliSpec, CliUsageError, type CliValues, parseCli, usage } from "./cli.ts";

/** What a script's `main` receives. */
export interface ScriptArgs<S extends CliSpec> {
  /** The parsed flags, typed from the spec. */
  values: CliValues<S>;
  /** Arguments that are not flags (only when the spec declares `positionals`). */
  positionals: string[];
}

/** Options for {@linkcode runScript}, mostly for tests. */
export interface RunScriptOptions {
  /** The arguments. Default `Deno.args`. */
  args?: readonly string[];
  /** Ends the process. Default `Deno.exit`. */
  exit?: (code: number) => void;
  /** Writes to stdout. Default: synchronous writes to `Deno.stdout`. */
  stdout?: (text: string) => void;
  /** Writes to stderr. Default: synchronous writes to `Deno.stderr`. */
  stderr?: (text: string) => void;
}

const encoder = new TextEncoder();

/**
 * Runs a script's `main` with its flags parsed from `Deno.args`:
 *
 * - `--help` / `-h`: prints the usage on stdout, exits 0;
 * - a bad flag (a {@linkcode CliUsageError}, also when `main` throws one):
 *   prints `error: <message>` and the usage on stderr, exits 2;
 * - any other sdeno error (`instanceof SdenoError`): prints
 *   `error: <message>` without a stack on stderr, exits 1;
 * - any other error is a bug: it is rethrown, with its stack;
 * - `main` returning a number exits with it; otherwise the process ends
 *   normally.
 *
 * Use it under `if (import.meta.main)`. Needs no permission itself.
 *
 * @param main the script's work
 * @param spec the flags
 * @param options arguments, exit and writers (for tests)
 * @returns a promise that settles when `main` is done (or exit was called)
 *
 * @example A bad flag exits with 2
 * ```ts
 * import { runScript } from "./run_script.ts";
 * import assert from "node:assert/strict";
 * let code = -1;
 * let err = "";
 * await runScript(({ values }) => console.log(values.n), { flags: { n: { type: "integer" } } }, {
 *   args: ["--n", "x"],
 *   exit: (c) => { code = c; },
 *   stderr: (s) => { err += s; },
 * });
 * assert.equal(code, 2);
 * assert.match(err, /^error: --n must be an integer, got "x"\n\nUsage:/);
 * ```
 */
export async function runScript<const S extends CliSpec>(
  main: (args: ScriptArgs<S>) => void | number | Promise<void | number>,
  spec: S,
  options: RunScriptOptions = {},
): Promise<void> {
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const out = options.stdout ?? ((s: string) => void Deno.stdout.writeSync(encoder.encode(s)));
  const err = options.stderr ?? ((s: string) => void Deno.stderr.writeSync(encoder.encode(s)));
  let code: void | number;
  try {
    const parsed = parseCli(options.args ?? Deno.args, spec);
    if (parsed.help) {
      out(usage(spec));
      exit(0);
      return;
    }
    code = await main({ values: parsed.values, positionals: parsed.positionals });
  } catch (e) {
    if (e instanceof CliUsageError) {
      err(`error: ${e.message}\n\n${usage(spec)}`);
      exit(2);
      return;
    }
    if (e instanceof SdenoError) {
      err(`error: ${(e as Error).message}\n`);
      exit(1);
      return;
    }
    throw e;
  }
  if (typeof code === "number") exit(code);
}
