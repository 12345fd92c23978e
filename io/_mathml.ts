// Content MathML (the subset SBML Level 3 uses for rate laws) to an
// expression tree. Function definitions (lambda) are inlined where they are
// applied, so the tree that leaves here has no user functions left.
//
// References: SBML Level 3 Version 2 Core, §3.4 (the MathML subset, the
// csymbols time, avogadro and delay) and §4.3 (function definitions);
// MathML 2.0, §4 (content markup).

import { quote, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { XmlElement } from "./_xml_parser.ts";

/** The MathML namespace. */
export const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

const CSYMBOL = "http://www.sbml.org/sbml/symbols/";

/** Avogadro's constant (exact since the 2019 SI; the value SBML's csymbol avogadro takes). */
export const AVOGADRO = 6.02214076e23;

/** The operators a tree may apply. */
export type MathOp =
  | "plus"
  | "minus"
  | "times"
  | "divide"
  | "power"
  | "exp"
  | "ln"
  | "log"
  | "root"
  | "abs"
  | "floor"
  | "ceiling"
  | "lt"
  | "leq"
  | "gt"
  | "geq"
  | "eq"
  | "neq"
  | "and"
  | "or"
  | "xor"
  | "not";

/**
 * An expression. `log` has arguments [base, x] and `root` [degree, x];
 * `species` is a bound state variable, `x[index]·scale`.
 */
export type MathExpr =
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "symbol"; name: string }
  | { kind: "time" }
  | { kind: "species"; index: number; scale: number }
  | { kind: "apply"; op: MathOp; args: MathExpr[] }
  | { kind: "piecewise"; pieces: [MathExpr, MathExpr][]; otherwise: MathExpr | undefined };

/** A function definition: its arguments and body. */
export interface MathFunction {
  /** Argument names. */
  params: string[];
  /** The body, naming only its arguments. */
  body: MathExpr;
}

/** Where an expression is read, and the function definitions it may apply. */
export interface MathContext {
  /** Prefix of error messages, e.g. `Cannot read SBML`. */
  what: string;
  /** The element that holds the math, for messages, e.g. `the kinetic law of reaction "R1"`. */
  where: string;
  /** A function definition by id, or undefined. */
  functions: (id: string) => MathFunction | undefined;
  /** Names a function body may use (its arguments); undefined outside function definitions. */
  bound?: ReadonlySet<string>;
}

// arities: [min, max]
const OPERATORS: Record<MathOp, [number, number]> = {
  plus: [0, Infinity],
  minus: [1, 2],
  times: [0, Infinity],
  divide: [2, 2],
  power: [2, 2],
  exp: [1, 1],
  ln: [1, 1],
  log: [1, 1],
  root: [1, 1],
  abs: [1, 1],
  floor: [1, 1],
  ceiling: [1, 1],
  lt: [2, Infinity],
  leq: [2, Infinity],
  gt: [2, Infinity],
  geq: [2, Infinity],
  eq: [2, Infinity],
  neq: [2, 2],
  and: [0, Infinity],
  or: [0, Infinity],
  xor: [0, Infinity],
  not: [1, 1],
};

const CONSTANTS: Record<string, MathExpr> = {
  true: { kind: "boolean", value: true },
  false: { kind: "boolean", value: false },
  pi: { kind: "number", value: Math.PI },
  exponentiale: { kind: "number", value: Math.E },
  infinity: { kind: "number", value: Infinity },
  notanumber: { kind: "number", value: NaN },
};

const SUPPORTED = [...Object.keys(OPERATORS), ...Object.keys(CONSTANTS)].join(", ") +
  ", ci, cn, csymbol (time, avogadro), piecewise, lambda";

/**
 * Reads the single expression inside a `<math>` element.
 *
 * @param math the `<math>` element
 * @param ctx messages and function definitions
 * @returns the expression
 */
export function parseMath(math: XmlElement, ctx: MathContext): MathExpr {
  checkNs(math, ctx);
  const kids = math.children.filter((c) => c.name !== "annotation");
  if (math.name !== "math" || kids.length !== 1) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where} must hold one <math> element with one expression, got <${math.name}> with ${kids.length} (line ${math.line})`,
      { line: math.line, column: math.column },
    );
  }
  return parseNode(kids[0]!, ctx);
}

/**
 * Reads a function definition's `<math><lambda>…</lambda></math>`.
 *
 * @param math the `<math>` element of the function definition
 * @param ctx messages and the function definitions it may apply
 * @returns the arguments and body
 */
export function parseLambda(math: XmlElement, ctx: MathContext): MathFunction {
  checkNs(math, ctx);
  let lambda = math.children.find((c) => c.name !== "annotation");
  if (lambda?.name === "semantics") lambda = lambda.children[0];
  if (math.name !== "math" || lambda === undefined || lambda.name !== "lambda") {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where} must hold <math><lambda>…</lambda></math> (line ${math.line})`,
      { line: math.line, column: math.column },
    );
  }
  checkNs(lambda, ctx);
  const params: string[] = [];
  const rest: XmlElement[] = [];
  for (const c of lambda.children) {
    if (c.name === "bvar") {
      const ci = c.children[0];
      if (c.children.length !== 1 || ci?.name !== "ci") {
        throw new SdenoParseError(
          `${ctx.what}: ${ctx.where}: <bvar> must hold one <ci> (line ${c.line})`,
          { line: c.line, column: c.column },
        );
      }
      params.push(ci.text.trim());
    } else {
      rest.push(c);
    }
  }
  if (rest.length !== 1) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where}: <lambda> must end with one body expression, got ${rest.length} (line ${lambda.line})`,
      { line: lambda.line, column: lambda.column },
    );
  }
  return { params, body: parseNode(rest[0]!, { ...ctx, bound: new Set(params) }) };
}

function checkNs(el: XmlElement, ctx: MathContext): void {
  if (el.ns !== MATHML_NS) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where}: <${el.name}> (line ${el.line}) must be in the MathML namespace ${MATHML_NS}, got ${
        quote(el.ns)
      }`,
      { line: el.line, column: el.column },
    );
  }
}

function unsupported(el: XmlElement, ctx: MathContext, why = ""): never {
  throw new SdenoRangeError(
    `${ctx.what}: ${ctx.where} uses the MathML element <${el.name}>${why} (line ${el.line}), which is not supported (supported: ${SUPPORTED})`,
  );
}

function parseNode(el: XmlElement, ctx: MathContext): MathExpr {
  checkNs(el, ctx);
  const constant = Object.hasOwn(CONSTANTS, el.name) ? CONSTANTS[el.name] : undefined;
  if (constant) return constant;
  switch (el.name) {
    case "cn":
      return { kind: "number", value: parseCn(el, ctx) };
    case "ci": {
      const name = el.text.trim();
      if (ctx.bound && !ctx.bound.has(name)) {
        throw new SdenoRangeError(
          `${ctx.what}: ${ctx.where} names ${quote(name)}, which is not one of its arguments (${
            [...ctx.bound].join(", ")
          })`,
        );
      }
      return { kind: "symbol", name };
    }
    case "csymbol":
      return parseCsymbol(el, ctx);
    case "apply":
      return parseApply(el, ctx);
    case "piecewise":
      return parsePiecewise(el, ctx);
    case "semantics":
      if (el.children.length === 0) unsupported(el, ctx, " with no expression");
      return parseNode(el.children[0]!, ctx);
    default:
      unsupported(el, ctx);
  }
}

const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function number(text: string, el: XmlElement, ctx: MathContext, integer: boolean): number {
  const t = text.trim();
  if (!integer && (t === "INF" || t === "-INF" || t === "NaN")) {
    return t === "NaN" ? NaN : t === "INF" ? Infinity : -Infinity;
  }
  if (!(integer ? INTEGER : REAL).test(t)) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where}: <cn${
        el.attrs.type ? ` type="${el.attrs.type}"` : ""
      }> at line ${el.line} holds ${quote(t)}, which is not ${integer ? "an integer" : "a number"}`,
      { line: el.line, column: el.column },
    );
  }
  return Number(t);
}

function parseCn(el: XmlElement, ctx: MathContext): number {
  const type = el.attrs.type ?? "real";
  if (!["real", "double", "integer", "e-notation", "rational"].includes(type)) {
    unsupported(el, ctx, ` of type ${quote(type)}`);
  }
  if (el.attrs.base !== undefined && el.attrs.base.trim() !== "10") {
    unsupported(el, ctx, ` with base ${quote(el.attrs.base)}`);
  }
  const sep = el.children.length === 1 && el.children[0]!.name === "sep";
  if (type === "e-notation" || type === "rational") {
    if (!sep) {
      throw new SdenoParseError(
        `${ctx.what}: ${ctx.where}: <cn type="${type}"> at line ${el.line} must hold two numbers separated by <sep/>`,
        { line: el.line, column: el.column },
      );
    }
    const a = number(el.texts[0]!, el, ctx, type === "rational");
    const b = number(el.texts[1]!, el, ctx, true);
    return type === "rational" ? a / b : Number(`${el.texts[0]!.trim()}e${el.texts[1]!.trim()}`);
  }
  if (el.children.length > 0) unsupported(el.children[0]!, ctx, ` inside <cn type="${type}">`);
  return number(el.text, el, ctx, type === "integer");
}

function parseCsymbol(el: XmlElement, ctx: MathContext): MathExpr {
  const url = (el.attrs.definitionURL ?? "").trim();
  if (url === CSYMBOL + "time") return { kind: "time" };
  if (url === CSYMBOL + "avogadro") return { kind: "number", value: AVOGADRO };
  const name = url.startsWith(CSYMBOL) ? url.slice(CSYMBOL.length) : url;
  throw new SdenoRangeError(
    `${ctx.what}: ${ctx.where} uses the csymbol ${quote(name)} (${
      quote(el.text.trim())
    }, line ${el.line}), which is not supported: only time and avogadro are (${
      name === "delay"
        ? "delay differential equations have no exact stochastic simulation here"
        : name === "rateOf"
        ? "rateOf needs the deterministic rates of change"
        : "unknown symbol"
    })`,
  );
}

function parseApply(el: XmlElement, ctx: MathContext): MathExpr {
  const [head, ...rest] = el.children;
  if (head === undefined) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where}: <apply> at line ${el.line} has no operator`,
      { line: el.line, column: el.column },
    );
  }
  checkNs(head, ctx);
  if (head.name === "csymbol") {
    parseCsymbol(head, ctx); // time or avogadro as an operator is not a function
    unsupported(head, ctx, ` (${quote(head.text.trim())}) as a function`);
  }
  if (head.name === "ci") return applyFunction(head, rest, ctx);
  if (!Object.hasOwn(OPERATORS, head.name) || head.children.length > 0) unsupported(head, ctx);
  const op = head.name as MathOp;
  let qualifier: MathExpr | undefined;
  const args: MathExpr[] = [];
  for (const c of rest) {
    if (c.name === "logbase" || c.name === "degree") {
      checkNs(c, ctx);
      if (
        (c.name === "logbase" && op !== "log") || (c.name === "degree" && op !== "root") ||
        c.children.length !== 1 || qualifier !== undefined
      ) {
        unsupported(c, ctx, ` in <${op}>`);
      }
      qualifier = parseNode(c.children[0]!, ctx);
    } else {
      args.push(parseNode(c, ctx));
    }
  }
  const [lo, hi] = OPERATORS[op];
  if (args.length < lo || args.length > hi) {
    throw new SdenoParseError(
      `${ctx.what}: ${ctx.where}: <${op}/> at line ${head.line} takes ${
        lo === hi ? lo : hi === Infinity ? `at least ${lo}` : `${lo} or ${hi}`
      } argument(s), got ${args.length}`,
      { line: head.line, column: head.column },
    );
  }
  if (op === "log") return { kind: "apply", op, args: [qualifier ?? num(10), args[0]!] };
  if (op === "root") return { kind: "apply", op, args: [qualifier ?? num(2), args[0]!] };
  return { kind: "apply", op, args };
}

function num(value: number): MathExpr {
  return { kind: "number", value };
}

function applyFunction(head: XmlElement, rest: XmlElement[], ctx: MathContext): MathExpr {
  const id = head.text.trim();
  const fn = ctx.functions(id);
  if (fn === undefined) {
    throw new SdenoRangeError(
      `${ctx.what}: ${ctx.where} applies ${
        quote(id)
      } (line ${head.line}), which is not a function definition`,
    );
  }
  if (rest.length !== fn.params.length) {
    throw new SdenoRangeError(
      `${ctx.what}: ${ctx.where} applies the function ${
        quote(id)
      } to ${rest.length} argument(s) (line ${head.line}); it takes ${fn.params.length}`,
    );
  }
  const values = new Map(fn.params.map((p, i) => [p, parseNode(rest[i]!, ctx)]));
  return substitute(fn.body, values);
}

/**
 * Replaces symbols by expressions.
 *
 * @param e the expression
 * @param values expressions by symbol name
 * @returns the expression with those symbols replaced
 */
export function substitute(e: MathExpr, values: ReadonlyMap<string, MathExpr>): MathExpr {
  switch (e.kind) {
    case "symbol":
      return values.get(e.name) ?? e;
    case "apply":
      return { kind: "apply", op: e.op, args: e.args.map((a) => substitute(a, values)) };
    case "piecewise":
      return {
        kind: "piecewise",
        pieces: e.pieces.map(([v, c]) => [substitute(v, values), substitute(c, values)]),
        otherwise: e.otherwise && substitute(e.otherwise, values),
      };
    default:
      return e;
  }
}

function parsePiecewise(el: XmlElement, ctx: MathContext): MathExpr {
  const pieces: [MathExpr, MathExpr][] = [];
  let otherwise: MathExpr | undefined;
  for (const c of el.children) {
    checkNs(c, ctx);
    if (c.name === "piece" && c.children.length === 2) {
      pieces.push([parseNode(c.children[0]!, ctx), parseNode(c.children[1]!, ctx)]);
    } else if (c.name === "otherwise" && c.children.length === 1 && otherwise === undefined) {
      otherwise = parseNode(c.children[0]!, ctx);
    } else {
      throw new SdenoParseError(
        `${ctx.what}: ${ctx.where}: <piecewise> at line ${el.line} holds <${c.name}> with ${c.children.length} children; expected <piece> with a value and a condition, and at most one <otherwise> with a value`,
        { line: c.line, column: c.column },
      );
    }
  }
  return { kind: "piecewise", pieces, otherwise };
}

const BOOLEAN_OPS = new Set<MathOp>([
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
const LOGICAL_OPS = new Set<MathOp>(["and", "or", "xor", "not"]);

/**
 * Checks that numbers and booleans are used where SBML expects them
 * (conditions and logical operands boolean, everything else numeric; `eq`
 * and `neq` compare two of one kind) and returns the expression's type.
 *
 * @param e the expression
 * @param what the error's prefix
 * @param where the element for messages
 * @returns "number" or "boolean"
 */
export function typeOf(e: MathExpr, what: string, where: string): "number" | "boolean" {
  const expect = (a: MathExpr, t: "number" | "boolean", role: string) => {
    const got = typeOf(a, what, where);
    if (got !== t) {
      throw new SdenoTypeError(
        `${what}: ${where}: ${role} must be a ${t}, got a ${got} expression`,
      );
    }
  };
  switch (e.kind) {
    case "boolean":
      return "boolean";
    case "apply": {
      if (LOGICAL_OPS.has(e.op)) {
        e.args.forEach((a) => expect(a, "boolean", `an operand of <${e.op}/>`));
      } else if (e.op === "eq" || e.op === "neq") {
        const t = typeOf(e.args[0]!, what, where);
        e.args.forEach((a) => expect(a, t, `an operand of <${e.op}/>`));
      } else e.args.forEach((a) => expect(a, "number", `an operand of <${e.op}/>`));
      return BOOLEAN_OPS.has(e.op) ? "boolean" : "number";
    }
    case "piecewise": {
      const values = [...e.pieces.map(([v]) => v), ...(e.otherwise ? [e.otherwise] : [])];
      const t = values.length === 0 ? "number" : typeOf(values[0]!, what, where);
      values.forEach((v) => expect(v, t, "every value of <piecewise>"));
      e.pieces.forEach(([, c]) => expect(c, "boolean", "a condition of <piece>"));
      return t;
    }
    default:
      return "number";
  }
}
