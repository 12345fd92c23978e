/**
 * Command-line flags for scripts: a typed spec on top of `node:util`
 * `parseArgs`, with number conversion, choices, defaults and a usage text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { quote, SdenoRangeError } from "../kernels/errors.ts";

/** Fields every flag may have. */
export interface FlagBase {
  /** One line of help. */
  description?: string;
  /** A one-letter alias, e.g. `"n"` for `-n`. */
  short?: string;
  /** Fail when the flag is absent (and has no default). */
  required?: boolean;
}

/** A flag holding a number; `integer` flags must also be whole. */
export interface NumberFlag extends FlagBase {
  /** `number` (finite) or `integer` (safe integer). */
  type: "number" | "integer";
  /** Value when absent. */
  default?: number;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
}

/** A flag holding text. */
export interface StringFlag extends FlagBase {
  /** Text. */
  type: "string";
  /** Value when absent. */
  default?: string;
}

/** A switch: `--name` sets it, `--no-name` clears it; absent means `default` (false). */
export interface BooleanFlag extends FlagBase {
  /** A switch. */
  type: "boolean";
  /** Value when absent (default `false`). */
  default?: boolean;
}

/** A flag holding one of a fixed set of words. */
export interface ChoiceFlag<C extends string = string> extends FlagBase {
  /** One of `choices`. */
  type: "choice";
  /** The allowed values. */
  choices: readonly C[];
  /** Value when absent. */
  default?: C;
}

/** Any flag. */
export type FlagSpec = NumberFlag | StringFlag | BooleanFlag | ChoiceFlag;

/** A script's command line. Flag keys are camelCase; on the command line they are kebab-case (`outDir` → `--out-dir`). */
export interface CliSpec {
  /** Program name for the usage line, e.g. `"scripts/normals.ts"`. */
  name?: string;
  /** One paragraph shown under the usage line. */
  description?: string;
  /** The flags, by camelCase name. */
  flags: Record<string, FlagSpec>;
  /** How positionals are shown in usage (e.g. `"<input.npy>"`); when absent, positionals are rejected. */
  positionals?: string;
}

/** The value type of one flag. */
export type FlagValue<F extends FlagSpec> = F extends NumberFlag ? number
  : F extends BooleanFlag ? boolean
  : F extends ChoiceFlag<infer C> ? C
  : string;

/** Flags that always have a value: booleans, flags with a default, required flags. */
export type FlagPresent<F> = F extends { type: "boolean" } ? true
  : F extends { default: unknown } ? true
  : F extends { required: true } ? true
  : false;

/** The parsed values of a spec's flags, typed from the spec. */
export type CliValues<S extends CliSpec> = {
  [K in keyof S["flags"]]: FlagPresent<S["flags"][K]> extends true ? FlagValue<S["flags"][K]>
    : FlagValue<S["flags"][K]> | undefined;
};

/** What {@linkcode parseCli} returns: either a help request or the parsed flags. */
export type ParsedCli<S extends CliSpec> =
  | { help: true }
  | { help: false; values: CliValues<S>; positionals: string[] };

/**
 * A bad command line: an unknown flag, a value that does not convert, a
 * missing required flag. Scripts print it with the usage and exit with 2
 * (see `runScript`).
 *
 * @example
 * ```ts
 * import { CliUsageError } from "./cli.ts";
 * import assert from "node:assert/strict";
 * const err = new CliUsageError("Unknown flag \"--x\"", { flag: "--x" });
 * assert.ok(err instanceof RangeError);
 * assert.equal(err.flag, "--x");
 * ```
 */
export class CliUsageError extends SdenoRangeError {
  /** The flag at fault, as typed (`--steps`), if one is. */
  readonly flag: string | undefined;
  /**
   * Creates the instance.
   *
   * @param message what is wrong, with the value quoted
   * @param options the flag at fault
   */
  constructor(message: string, options: { flag?: string } = {}) {
    super(message);
    this.flag = options.flag;
  }
}

function _kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function _convert(flag: string, spec: FlagSpec, raw: string): string | number {
  switch (spec.type) {
    case "number":
    case "integer": {
      const text = raw.trim();
      const value = text === "" ? NaN : Number(text);
      if (spec.type === "integer" && !Number.isSafeInteger(value)) {
        throw new CliUsageError(`${flag} must be an integer, got ${quote(raw)}`, { flag });
      }
      if (!Number.isFinite(value)) {
        throw new CliUsageError(`${flag} must be a number, got ${quote(raw)}`, { flag });
      }
      if (spec.min !== undefined && value < spec.min) {
        throw new CliUsageError(`${flag} must be at least ${spec.min}, got ${quote(raw)}`, {
          flag,
        });
      }
      if (spec.max !== undefined && value > spec.max) {
        throw new CliUsageError(`${flag} must be at most ${spec.max}, got ${quote(raw)}`, {
          flag,
        });
      }
      return value;
    }
    case "choice":
      if (!spec.choices.includes(raw)) {
        throw new CliUsageError(
          `${flag} must be one of ${spec.choices.map((c) => quote(c)).join(", ")}, got ${
            quote(raw)
          }`,
          { flag },
        );
      }
      return raw;
    default:
      return raw;
  }
}

/**
 * Parses command-line arguments against a spec. Numbers are converted and
 * checked, choices checked, defaults filled in; unknown flags, missing values
 * and stray positionals are rejected. `--help` / `-h` returns `{ help: true }`.
 * Values may follow as `--dt 0.1` or `--dt=0.1`, and may be negative
 * (`--x0 -1.5`).
 *
 * @param args the arguments, e.g. `Deno.args`
 * @param spec the flags
 * @returns `{ help: true }`, or `{ help: false, values, positionals }`
 * @throws {CliUsageError} for any bad argument, naming the flag and the value
 *
 * @example Parse and convert
 * ```ts
 * import { parseCli } from "./cli.ts";
 * import assert from "node:assert/strict";
 * const spec = {
 *   flags: {
 *     steps: { type: "integer", default: 100, description: "number of steps" },
 *     backend: { type: "choice", choices: ["cpu", "webgpu", "auto"], default: "auto" },
 *     outDir: { type: "string" },
 *   },
 * } as const;
 * const parsed = parseCli(["--steps", "20", "--out-dir=out"], spec);
 * assert.ok(!parsed.help);
 * assert.equal(parsed.values.steps, 20);
 * assert.equal(parsed.values.backend, "auto");
 * assert.equal(parsed.values.outDir, "out");
 * assert.throws(() => parseCli(["--steps", "abc"], spec), /--steps must be an integer, got "abc"/);
 * ```
 */
export function parseCli<const S extends CliSpec>(args: readonly string[], spec: S): ParsedCli<S> {
  const byFlag = new Map<string, [string, FlagSpec]>();
  const byShort = new Map<string, string>();
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [key, flag] of Object.entries(spec.flags)) {
    const long = _kebab(key);
    if (long === "help") {
      throw new SdenoRangeError(
        `Cannot parse arguments: "help" is reserved, got a flag ${quote(key)}`,
      );
    }
    byFlag.set(long, [key, flag]);
    options[long] = { type: flag.type === "boolean" ? "boolean" : "string" };
    if (flag.short !== undefined) {
      if (flag.short.length !== 1 || flag.short === "h" || byShort.has(flag.short)) {
        throw new SdenoRangeError(
          `Cannot parse arguments: short alias of ${
            quote(key)
          } must be one letter, not "h" and not reused, got ${quote(flag.short)}`,
        );
      }
      byShort.set(flag.short, long);
      options[long].short = flag.short;
    }
  }
  options["help"] = { type: "boolean", short: "h" };

  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  // --help wins over any mistake elsewhere on the line.
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true };
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const name = token.name;
    const shown = token.rawName;
    let entry = byFlag.get(name);
    let negated = false;
    if (entry === undefined && name.startsWith("no-")) {
      const base = byFlag.get(name.slice(3));
      if (base !== undefined && base[1].type === "boolean") {
        entry = base;
        negated = true;
      }
    }
    if (entry === undefined) {
      throw new CliUsageError(`Unknown flag ${quote(shown)}`, { flag: shown });
    }
    const [key, flag] = entry;
    if (flag.type === "boolean") {
      if (token.value !== undefined) {
        throw new CliUsageError(
          `${shown} is a switch and takes no value, got ${quote(token.value)}`,
          { flag: shown },
        );
      }
      values[key] = !negated;
      continue;
    }
    if (token.value === undefined) {
      throw new CliUsageError(`${shown} needs a value`, { flag: shown });
    }
    values[key] = _convert(shown.startsWith("--") ? shown : `--${name}`, flag, token.value);
  }
  if (positionals.length > 0 && spec.positionals === undefined) {
    throw new CliUsageError(`Unexpected argument ${quote(positionals[0])}`);
  }
  for (const [long, [key, flag]] of byFlag) {
    if (key in values) continue;
    if (flag.default !== undefined) values[key] = flag.default;
    else if (flag.type === "boolean") values[key] = false;
    else if (flag.required) {
      throw new CliUsageError(`--${long} is required`, { flag: `--${long}` });
    }
  }
  return { help: false, values: values as CliValues<S>, positionals };
}

/**
 * Formats the usage text of a spec: a usage line, the description, and one
 * aligned line per flag with its type, default and description.
 *
 * @param spec the flags
 * @returns the text, ending in a newline
 *
 * @example
 * ```ts
 * import { usage } from "./cli.ts";
 * import assert from "node:assert/strict";
 * const text = usage({
 *   name: "scripts/ou.ts",
 *   flags: { dt: { type: "number", default: 0.01, description: "time step" } },
 * });
 * assert.match(text, /^Usage: scripts\/ou\.ts \[options\]/);
 * assert.match(text, /--dt <number>\s+time step \(default: 0\.01\)/);
 * ```
 */
export function usage(spec: CliSpec): string {
  const rows: [string, string][] = [];
  for (const [key, flag] of Object.entries(spec.flags)) {
    const long = _kebab(key);
    const short = flag.short === undefined ? "    " : `-${flag.short}, `;
    let left: string;
    if (flag.type === "boolean") left = `${short}--${long}`;
    else if (flag.type === "choice") left = `${short}--${long} <${flag.choices.join("|")}>`;
    else left = `${short}--${long} <${flag.type}>`;
    let right = flag.description ?? "";
    const notes: string[] = [];
    if (flag.type === "number" || flag.type === "integer") {
      if (flag.min !== undefined && flag.max !== undefined) {
        notes.push(`${flag.min} to ${flag.max}`);
      } else if (flag.min !== undefined) notes.push(`at least ${flag.min}`);
      else if (flag.max !== undefined) notes.push(`at most ${flag.max}`);
    }
    if (flag.required && flag.default === undefined) notes.push("required");
    if (flag.type === "boolean" && flag.default === true) {
      notes.push(`default: on; --no-${long} turns it off`);
    } else if (flag.type !== "boolean" && flag.default !== undefined) {
      notes.push(
        `default: ${flag.type === "string" ? JSON.stringify(flag.default) : flag.default}`,
      );
    }
    if (notes.length > 0) right += `${right === "" ? "" : " "}(${notes.join(", ")})`;
    rows.push([left, right]);
  }
  rows.push(["-h, --help", "show this help and exit"]);
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)));
  const lines = [
    `Usage: ${spec.name ?? "script"} [options]${
      spec.positionals === undefined ? "" : ` ${spec.positionals}`
    }`,
  ];
  if (spec.description !== undefined) lines.push("", spec.description);
  lines.push("", "Options:");
  for (const [left, right] of rows) {
    lines.push(
      left.length > width
        ? `  ${left}\n  ${" ".repeat(width)}  ${right}`.trimEnd()
        : `  ${left.padEnd(width)}  ${right}`.trimEnd(),
    );
  }
  return lines.join("\n") + "\n";
}
