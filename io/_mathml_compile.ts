// Expression trees from io/_mathml.ts, evaluated and compiled: a float64
// evaluator for constant expressions (initial values), constant folding, a
// closure compiler for propensities on the CPU (no eval, no new Function),
// and a WGSL function body generated from the same tree for the GPU
// ensemble kernel. Booleans are 1 and 0 on the CPU and `bool` in WGSL.

import type { MathExpr, MathOp } from "./_mathml.ts";

/** A compiled expression: the value at counts x. */
export type Compiled = (x: Float64Array) => number;

type Fn = (args: number[]) => number;

/** The float64 meaning of each operator (log: [base, x]; root: [degree, x]). */
const OPS: Record<MathOp, Fn> = {
  plus: (a) => a.length === 0 ? 0 : a.reduce((s, v) => s + v),
  minus: (a) => a.length === 1 ? -a[0]! : a[0]! - a[1]!,
  times: (a) => a.length === 0 ? 1 : a.reduce((s, v) => s * v),
  divide: (a) => a[0]! / a[1]!,
  power: (a) => Math.pow(a[0]!, a[1]!),
  exp: (a) => Math.exp(a[0]!),
  ln: (a) => Math.log(a[0]!),
  log: (a) => a[0] === 10 ? Math.log10(a[1]!) : Math.log(a[1]!) / Math.log(a[0]!),
  root: (a) => a[0] === 2 ? Math.sqrt(a[1]!) : Math.pow(a[1]!, 1 / a[0]!),
  abs: (a) => Math.abs(a[0]!),
  floor: (a) => Math.floor(a[0]!),
  ceiling: (a) => Math.ceil(a[0]!),
  lt: (a) => chain(a, (p, q) => p < q),
  leq: (a) => chain(a, (p, q) => p <= q),
  gt: (a) => chain(a, (p, q) => p > q),
  geq: (a) => chain(a, (p, q) => p >= q),
  eq: (a) => chain(a, (p, q) => p === q),
  neq: (a) => a[0] !== a[1] ? 1 : 0,
  and: (a) => a.every((v) => v !== 0) ? 1 : 0,
  or: (a) => a.some((v) => v !== 0) ? 1 : 0,
  xor: (a) => a.filter((v) => v !== 0).length % 2,
  not: (a) => a[0] === 0 ? 1 : 0,
};

function chain(a: number[], rel: (p: number, q: number) => boolean): number {
  for (let i = 1; i < a.length; i++) if (!rel(a[i - 1]!, a[i]!)) return 0;
  return 1;
}

/**
 * Evaluates an expression in float64.
 *
 * @param e the expression
 * @param symbol the value of a symbol
 * @param x counts, for bound species (default none)
 * @param time the value of csymbol time (default 0)
 * @returns the value (booleans as 1 and 0; NaN when no piece applies)
 */
export function evaluate(
  e: MathExpr,
  symbol: (name: string) => number,
  x?: Float64Array,
  time = 0,
): number {
  switch (e.kind) {
    case "number":
      return e.value;
    case "boolean":
      return e.value ? 1 : 0;
    case "symbol":
      return symbol(e.name);
    case "time":
      return time;
    case "species":
      return x![e.index]! * e.scale;
    case "apply":
      return OPS[e.op](e.args.map((a) => evaluate(a, symbol, x, time)));
    case "piecewise":
      for (const [v, c] of e.pieces) {
        if (evaluate(c, symbol, x, time) !== 0) return evaluate(v, symbol, x, time);
      }
      return e.otherwise ? evaluate(e.otherwise, symbol, x, time) : NaN;
  }
}

/** Whether an expression is constant (no symbol, species or time). */
export function isConstant(e: MathExpr): boolean {
  switch (e.kind) {
    case "number":
    case "boolean":
      return true;
    case "apply":
      return e.args.every(isConstant);
    case "piecewise":
      return e.pieces.every(([v, c]) => isConstant(v) && isConstant(c)) &&
        (e.otherwise === undefined || isConstant(e.otherwise));
    default:
      return false;
  }
}

const NO_SYMBOLS = (): number => NaN;

/**
 * Replaces every constant subtree by its float64 value (booleans stay
 * booleans), so the CPU and GPU code see the same constants.
 *
 * @param e the expression
 * @param isBoolean whether the expression is a boolean one (from typeOf)
 * @returns the folded expression
 */
export function fold(e: MathExpr, isBoolean: (e: MathExpr) => boolean): MathExpr {
  if (e.kind === "number" || e.kind === "boolean") return e;
  if (isConstant(e)) {
    const v = evaluate(e, NO_SYMBOLS);
    return isBoolean(e) ? { kind: "boolean", value: v !== 0 } : { kind: "number", value: v };
  }
  if (e.kind === "apply") {
    return { kind: "apply", op: e.op, args: e.args.map((a) => fold(a, isBoolean)) };
  }
  if (e.kind === "piecewise") {
    return {
      kind: "piecewise",
      pieces: e.pieces.map(([v, c]) => [fold(v, isBoolean), fold(c, isBoolean)]),
      otherwise: e.otherwise && fold(e.otherwise, isBoolean),
    };
  }
  return e;
}

/** Species indices an expression reads, sorted. */
export function speciesOf(e: MathExpr, out: Set<number> = new Set()): number[] {
  if (e.kind === "species") out.add(e.index);
  else if (e.kind === "apply") e.args.forEach((a) => speciesOf(a, out));
  else if (e.kind === "piecewise") {
    for (const [v, c] of e.pieces) {
      speciesOf(v, out);
      speciesOf(c, out);
    }
    if (e.otherwise) speciesOf(e.otherwise, out);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Compiles a bound expression (numbers, booleans, species, operators,
 * piecewise; no symbols or time) into a closure over the counts.
 *
 * @param e the expression
 * @returns `x => value`, the same float64 value as {@linkcode evaluate}
 */
export function compileCpu(e: MathExpr): Compiled {
  switch (e.kind) {
    case "number": {
      const v = e.value;
      return () => v;
    }
    case "boolean": {
      const v = e.value ? 1 : 0;
      return () => v;
    }
    case "species": {
      const i = e.index, s = e.scale;
      return s === 1 ? (x) => x[i]! : (x) => x[i]! * s;
    }
    case "apply": {
      const f = OPS[e.op];
      const args = e.args.map(compileCpu);
      if (args.length === 1) {
        // one closure per operator, so a propensity allocates nothing per call
        const [a] = args as [Compiled];
        switch (e.op) {
          case "minus":
            return (x) => -a(x);
          case "exp":
            return (x) => Math.exp(a(x));
          case "ln":
            return (x) => Math.log(a(x));
          case "abs":
            return (x) => Math.abs(a(x));
          case "floor":
            return (x) => Math.floor(a(x));
          case "ceiling":
            return (x) => Math.ceil(a(x));
          case "not":
            return (x) => a(x) === 0 ? 1 : 0;
          default:
            return (x) => f([a(x)]);
        }
      }
      if (args.length === 2) {
        const [a, b] = args as [Compiled, Compiled];
        switch (e.op) {
          case "plus":
            return (x) => a(x) + b(x);
          case "minus":
            return (x) => a(x) - b(x);
          case "times":
            return (x) => a(x) * b(x);
          case "divide":
            return (x) => a(x) / b(x);
          case "power":
            return (x) => Math.pow(a(x), b(x));
          case "lt":
            return (x) => a(x) < b(x) ? 1 : 0;
          case "leq":
            return (x) => a(x) <= b(x) ? 1 : 0;
          case "gt":
            return (x) => a(x) > b(x) ? 1 : 0;
          case "geq":
            return (x) => a(x) >= b(x) ? 1 : 0;
          case "eq":
            return (x) => a(x) === b(x) ? 1 : 0;
          default:
            return (x) => f([a(x), b(x)]);
        }
      }
      return (x) => f(args.map((a) => a(x)));
    }
    case "piecewise": {
      const pieces = e.pieces.map(([v, c]) => [compileCpu(v), compileCpu(c)] as const);
      const other = e.otherwise ? compileCpu(e.otherwise) : () => NaN;
      return (x) => {
        for (const [v, c] of pieces) if (c(x) !== 0) return v(x);
        return other(x);
      };
    }
    default:
      throw new Error(`compileCpu: unbound ${e.kind} in a propensity`);
  }
}

/** Why an expression has no WGSL form (a constant that f32 cannot hold). */
export class NotWgslError extends Error {}

const F32_MAX = 3.4028234663852886e38;
const F32_MIN_NORMAL = 1.1754943508222875e-38;

function literal(v: number): string {
  const a = Math.abs(v);
  if (!Number.isFinite(v) || a > F32_MAX || (a !== 0 && a < F32_MIN_NORMAL)) {
    throw new NotWgslError(`the constant ${v} is not a normal f32`);
  }
  return v < 0 ? `(-${String(-v)}f)` : `${String(v)}f`;
}

const WGSL_FN: Partial<Record<MathOp, string>> = {
  exp: "exp",
  ln: "log",
  abs: "abs",
  floor: "floor",
  ceiling: "ceil",
};
const WGSL_REL: Partial<Record<MathOp, string>> = {
  lt: "<",
  leq: "<=",
  gt: ">",
  geq: ">=",
  eq: "==",
};

/**
 * The body of WGSL `fn(x: array<f32, NS>) -> f32` computing a bound numeric
 * expression in f32: constants as f32 literals (fold first), integer powers
 * up to 16 as products (WGSL's pow is undefined for a negative base),
 * piecewise as nested `select` (both sides are evaluated; neither has side
 * effects). A piecewise with no applicable piece gives −1, which the kernel
 * flags as a bad propensity as the CPU flags its NaN.
 *
 * @param e the folded, bound expression
 * @returns statements ending in `return …;`
 * @throws {NotWgslError} for a constant that is not a finite normal f32
 */
export function toWgsl(e: MathExpr): string {
  const lines: string[] = [];
  let temps = 0;
  const emit = (e: MathExpr): string => {
    switch (e.kind) {
      case "number":
        return literal(e.value);
      case "boolean":
        return e.value ? "true" : "false";
      case "species":
        return e.scale === 1 ? `x[${e.index}]` : `(x[${e.index}] * ${literal(e.scale)})`;
      case "piecewise": {
        const values = [...e.pieces.map(([v]) => v), ...(e.otherwise ? [e.otherwise] : [])];
        const bool = values.length > 0 && isBool(values[0]!);
        let acc = e.otherwise ? emit(e.otherwise) : bool ? "false" : "(-1.0f)";
        for (let k = e.pieces.length - 1; k >= 0; k--) {
          const [v, c] = e.pieces[k]!;
          acc = `select(${acc}, ${emit(v)}, ${emit(c)})`;
        }
        return acc;
      }
      case "apply":
        return apply(e.op, e.args);
      default:
        throw new Error(`toWgsl: unbound ${e.kind} in a propensity`);
    }
  };
  const temp = (code: string): string => {
    const name = `t${temps++}`;
    lines.push(`  let ${name} = ${code};`);
    return name;
  };
  const apply = (op: MathOp, args: MathExpr[]): string => {
    const a = args.map(emit);
    switch (op) {
      case "plus":
        return a.length === 0 ? "0.0f" : `(${a.join(" + ")})`;
      case "times":
        return a.length === 0 ? "1.0f" : `(${a.join(" * ")})`;
      case "minus":
        return a.length === 1 ? `(-${a[0]})` : `(${a[0]} - ${a[1]})`;
      case "divide":
        return `(${a[0]} / ${a[1]})`;
      case "power": {
        const p = args[1]!;
        if (p.kind === "number" && Number.isInteger(p.value) && Math.abs(p.value) <= 16) {
          const n = Math.abs(p.value);
          if (n === 0) return "1.0f";
          const b = n === 1 ? a[0]! : temp(a[0]!);
          const prod = n === 1 ? b : `(${Array(n).fill(b).join(" * ")})`;
          return p.value < 0 ? `(1.0f / ${prod})` : prod;
        }
        return `pow(${a[0]}, ${a[1]})`;
      }
      case "log": {
        const b = args[0]!;
        return b.kind === "number"
          ? `(log(${a[1]}) / ${literal(Math.log(b.value))})`
          : `(log(${a[1]}) / log(${a[0]}))`;
      }
      case "root": {
        const d = args[0]!;
        if (d.kind === "number" && d.value === 2) return `sqrt(${a[1]})`;
        return d.kind === "number"
          ? `pow(${a[1]}, ${literal(1 / d.value)})`
          : `pow(${a[1]}, (1.0f / ${a[0]}))`;
      }
      case "neq":
        return `(${a[0]} != ${a[1]})`;
      case "and":
        return a.length === 0 ? "true" : `(${a.join(" && ")})`;
      case "or":
        return a.length === 0 ? "false" : `(${a.join(" || ")})`;
      case "xor":
        return a.length === 0 ? "false" : a.reduce((acc, q) => `(${acc} != ${q})`);
      case "not":
        return `(!${a[0]})`;
      default: {
        const fn = WGSL_FN[op];
        if (fn) return `${fn}(${a[0]})`;
        const rel = WGSL_REL[op]!;
        const pairs = a.slice(1).map((q, i) => `(${a[i]} ${rel} ${q})`);
        return pairs.length === 1 ? pairs[0]! : `(${pairs.join(" && ")})`;
      }
    }
  };
  const value = emit(e);
  lines.push(`  return ${value};`);
  return lines.join("\n");
}

const BOOL_OPS = new Set<MathOp>([
  "lt",
  "leq",
  "gt",
  "geq",
  "eq",
  "neq",
  "and",
  "or",
  "xor",
  "not",
]);

/** Whether a (type-checked) expression is boolean. */
export function isBool(e: MathExpr): boolean {
  if (e.kind === "boolean") return true;
  if (e.kind === "apply") return BOOL_OPS.has(e.op);
  if (e.kind === "piecewise") {
    const v = e.pieces[0]?.[0] ?? e.otherwise;
    return v !== undefined && isBool(v);
  }
  return false;
}
