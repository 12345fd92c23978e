/**
 * A small text form for reaction networks.
 *
 * @module
 */

import { SdenoError, SdenoParseError } from "../kernels/errors.ts";
import {
  type MassActionConvention,
  MAX_PRODUCT_COEFFICIENT,
  MAX_REACTANT_COEFFICIENT,
  ReactionNetwork,
  type ReactionSpec,
  type SpeciesSpec,
} from "./reaction_network.ts";

/** Options of {@linkcode parseReactionNetwork}. */
export interface ParseReactionNetworkOptions {
  /** Mass-action convention of the rates (default `combinatorial`). */
  convention?: MassActionConvention;
  /** Name of the network. */
  name?: string;
}

interface Token {
  kind: "id" | "num" | "op" | "end";
  text: string;
  col: number;
}

function _tokens(line: string, lineNo: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "#") break;
    if (ch === " " || ch === "\t" || ch === "\r") {
      i++;
      continue;
    }
    const rest = line.slice(i);
    const num = /^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?|^\.[0-9]+([eE][+-]?[0-9]+)?/.exec(rest);
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (rest.startsWith("->") || rest.startsWith("→")) {
      out.push({ kind: "op", text: "->", col: i + 1 });
      i += rest.startsWith("->") ? 2 : 1;
    } else if (num) {
      out.push({ kind: "num", text: num[0], col: i + 1 });
      i += num[0].length;
    } else if (id) {
      out.push({ kind: "id", text: id[0], col: i + 1 });
      i += id[0].length;
    } else if ("+@:=,∅".includes(ch)) {
      out.push({ kind: "op", text: ch, col: i + 1 });
      i++;
    } else {
      throw new SdenoParseError(
        `Cannot parse the reaction network at line ${lineNo}, column ${
          i + 1
        }: unexpected character ${JSON.stringify(ch)}`,
        { line: lineNo, column: i + 1 },
      );
    }
  }
  out.push({ kind: "end", text: "end of line", col: line.length + 1 });
  return out;
}

/**
 * Parses the text form of a reaction network, one statement per line:
 *
 * ```text
 * # comments start with #
 * species P = 301, P2          # declarations; the count defaults to 0
 * dimerisation: 2 P -> P2 @ 1.66e-3
 * P2 -> 2 P @ 0.2              # unnamed reactions are r0, r1, …
 * 0 -> P @ 1                   # 0 or ∅ (or nothing) for no species
 * ```
 *
 * Every species a reaction uses must be declared first. Errors are
 * {@linkcode SdenoParseError}s with the 1-based line and column and what was
 * expected there; rate and count checks of {@linkcode ReactionNetwork} are
 * reported at the line of the offending reaction.
 *
 * @param text the network
 * @param options convention and name
 * @returns the network
 * @throws {SdenoParseError} for malformed text, with line and column
 *
 * @example Parse, and a missing arrow
 * ```ts
 * import { parseReactionNetwork } from "./reaction_network_parse.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species A = 10, B\n2 A -> B @ 0.5\nB -> 2 A @ 1");
 * assert.deepEqual(net.species, ["A", "B"]);
 * assert.equal(net.reactions[0]!.rate, 0.5);
 * assert.throws(
 *   () => parseReactionNetwork("species A\nA B @ 1"),
 *   (e: SyntaxError & { line?: number; column?: number }) => e.line === 2 && e.column === 3,
 * );
 * ```
 */
export function parseReactionNetwork(
  text: string,
  options: ParseReactionNetworkOptions = {},
): ReactionNetwork {
  if (typeof text !== "string") {
    throw new SdenoParseError(`Cannot parse the reaction network: text must be a string`);
  }
  const species: SpeciesSpec[] = [];
  const declared = new Set<string>();
  const reactions: ReactionSpec[] = [];
  const reactionLine: number[] = [];
  const lines = text.split("\n");
  for (const [k, line] of lines.entries()) {
    const lineNo = k + 1;
    const toks = _tokens(line, lineNo);
    let p = 0;
    const peek = () => toks[p]!;
    const fail = (expected: string): never => {
      const t = peek();
      const got = t.kind === "end" ? "end of line" : JSON.stringify(t.text);
      throw new SdenoParseError(
        `Cannot parse the reaction network at line ${lineNo}, column ${t.col}: expected ${expected}, got ${got}`,
        { line: lineNo, column: t.col },
      );
    };
    const take = (kind: Token["kind"], text?: string): Token | undefined => {
      const t = peek();
      if (t.kind === kind && (text === undefined || t.text === text)) {
        p++;
        return t;
      }
      return undefined;
    };
    if (peek().kind === "end") continue;
    if (peek().kind === "id" && peek().text === "species" && toks[1]?.kind === "id") {
      p++;
      for (;;) {
        const id = take("id") ?? fail("a species name");
        if (declared.has(id.text)) {
          throw new SdenoParseError(
            `Cannot parse the reaction network at line ${lineNo}, column ${id.col}: species ${
              JSON.stringify(id.text)
            } is declared twice`,
            { line: lineNo, column: id.col },
          );
        }
        let initial = 0;
        if (take("op", "=")) {
          const n = take("num") ?? fail("a non-negative integer count");
          initial = Number(n.text);
          if (!Number.isSafeInteger(initial)) {
            p--;
            fail("a non-negative integer count");
          }
        }
        species.push({ name: id.text, initial });
        declared.add(id.text);
        if (take("end")) break;
        take("op", ",") ?? fail(`"," or "=" or end of line`);
      }
      continue;
    }
    let name: string | undefined;
    if (peek().kind === "id" && toks[p + 1]?.kind === "op" && toks[p + 1]?.text === ":") {
      name = peek().text;
      p += 2;
    }
    const side = (arrowNext: boolean): Record<string, number> => {
      // no prototype: a species may be called toString or __proto__
      const out: Record<string, number> = Object.create(null);
      const where = arrowNext ? "reactants" : "products";
      const max = arrowNext ? MAX_REACTANT_COEFFICIENT : MAX_PRODUCT_COEFFICIENT;
      const stop = arrowNext ? "->" : "@";
      if (
        take("op", "∅") || (peek().kind === "num" && peek().text === "0" &&
          toks[p + 1]?.kind !== "id")
      ) {
        if (peek().kind === "num") p++;
        return out;
      }
      if (peek().kind === "op" && peek().text === stop) return out;
      for (;;) {
        let coef = 1;
        const n = take("num");
        if (n) {
          coef = Number(n.text);
          if (!Number.isInteger(coef) || coef < 1) {
            p--;
            fail("a positive integer coefficient");
          }
        }
        const id = take("id") ?? fail(n ? "a species name" : "a species name, a coefficient or 0");
        if (!declared.has(id.text)) {
          throw new SdenoParseError(
            `Cannot parse the reaction network at line ${lineNo}, column ${id.col}: species ${
              JSON.stringify(id.text)
            } is not declared (declare it first with "species ${id.text} = <count>")`,
            { line: lineNo, column: id.col },
          );
        }
        const total = (out[id.text] ?? 0) + coef;
        if (total > max) {
          const col = n?.col ?? id.col;
          throw new SdenoParseError(
            `Cannot parse the reaction network at line ${lineNo}, column ${col}: coefficient of ${
              JSON.stringify(id.text)
            } in ${where} must be at most ${max}, got ${JSON.stringify(String(total))}`,
            { line: lineNo, column: col },
          );
        }
        out[id.text] = total;
        if (!take("op", "+")) return out;
      }
    };
    const reactants = side(true);
    take("op", "->") ?? fail(`"->" or "+"`);
    const products = side(false);
    take("op", "@") ?? fail(`"@ <rate>" or "+"`);
    const rateTok = take("num") ?? fail("a rate constant (a non-negative number)");
    take("end") ?? fail("end of line");
    reactions.push({
      ...(name !== undefined ? { name } : {}),
      reactants,
      products,
      rate: Number(rateTok.text),
    });
    reactionLine.push(lineNo);
  }
  if (species.length === 0) {
    throw new SdenoParseError(
      `Cannot parse the reaction network at line 1, column 1: expected a "species" declaration, found none`,
      { line: 1, column: 1 },
    );
  }
  const lineOf = new Map<string, number>();
  reactions.forEach((r, j) => {
    const name = r.name ?? `r${j}`;
    const first = lineOf.get(name);
    if (first !== undefined) {
      throw new SdenoParseError(
        `Cannot parse the reaction network at line ${reactionLine[j]}, column 1: reaction name ${
          JSON.stringify(name)
        } is used twice (first at line ${first}; unnamed reactions are called r<index>)`,
        { line: reactionLine[j]!, column: 1 },
      );
    }
    lineOf.set(name, reactionLine[j]!);
  });
  try {
    return new ReactionNetwork({
      species,
      reactions,
      ...(options.convention ? { convention: options.convention } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
  } catch (e) {
    if (!(e instanceof SdenoError)) throw e;
    const m = /reaction "([^"]*)"/.exec((e as Error).message);
    const j = m ? reactions.findIndex((r, i) => (r.name ?? `r${i}`) === m[1]) : -1;
    const line = j >= 0 ? reactionLine[j]! : 1;
    throw new SdenoParseError(`${(e as Error).message} (line ${line})`, {
      line,
      column: 1,
      cause: e,
    });
  }
}
