/**
 * A small assembler for WebAssembly modules whose code is generated at run
 * time (private): functions are written as flat WebAssembly text, one
 * instruction a line (`local.get $x`, `f64.mul`, `br_if $done`, …), the form
 * people read in the spec's text format, and {@linkcode assembleWasm} turns
 * them into the binary format (WebAssembly Core Specification 2.0, §5);
 * {@linkcode wasmText} prints the same module as text, so generated code can
 * be read and reviewed like the hand-written `.wat` sources.
 *
 * It knows the instructions the generated kernels use: numeric i32/i64/f64
 * instructions without immediates, constants, locals, loads and stores,
 * calls, `select`, and the structured control of void blocks (`block`,
 * `loop`, `if`, `else`, `end`, `br`, `br_if`, `return`), labels named as in
 * the text format. Anything else is an error, not a guess.
 *
 * @module
 */

/** A value type. */
export type WasmType = "i32" | "i64" | "f64";

/** A function the module imports. */
export interface WasmImport {
  /** Module and field names of the import. */
  module: string;
  field: string;
  /** Its `$name` in the text. */
  name: string;
  params: WasmType[];
  results: WasmType[];
}

/** A function the module defines. */
export interface WasmFunction {
  /** Its `$name` in the text, and its export name when `exported`. */
  name: string;
  exported: boolean;
  params: Array<[string, WasmType]>;
  results: WasmType[];
  locals: Array<[string, WasmType]>;
  /** Flat instructions, one per line. */
  body: string[];
}

/** A module: imported functions, an imported memory, defined functions. */
export interface WasmModule {
  imports: WasmImport[];
  /** The imported memory (module, field, minimum pages). */
  memory: { module: string; field: string; minPages: number };
  functions: WasmFunction[];
}

const TYPE_CODE: Record<WasmType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c };

/** Instructions without immediates. */
const PLAIN: Record<string, number> = {
  "unreachable": 0x00,
  "nop": 0x01,
  "else": 0x05,
  "end": 0x0b,
  "return": 0x0f,
  "drop": 0x1a,
  "select": 0x1b,
  "i32.eqz": 0x45,
  "i32.eq": 0x46,
  "i32.ne": 0x47,
  "i32.lt_s": 0x48,
  "i32.lt_u": 0x49,
  "i32.gt_s": 0x4a,
  "i32.gt_u": 0x4b,
  "i32.le_s": 0x4c,
  "i32.le_u": 0x4d,
  "i32.ge_s": 0x4e,
  "i32.ge_u": 0x4f,
  "f64.eq": 0x61,
  "f64.ne": 0x62,
  "f64.lt": 0x63,
  "f64.gt": 0x64,
  "f64.le": 0x65,
  "f64.ge": 0x66,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "i32.and": 0x71,
  "i32.or": 0x72,
  "i32.xor": 0x73,
  "i32.shl": 0x74,
  "i32.shr_s": 0x75,
  "i32.shr_u": 0x76,
  "f64.add": 0xa0,
  "f64.sub": 0xa1,
  "f64.mul": 0xa2,
  "f64.div": 0xa3,
  "i32.wrap_i64": 0xa7,
  "i64.trunc_f64_u": 0xb1,
  "f64.convert_i32_s": 0xb7,
  "f64.convert_i32_u": 0xb8,
};

/** Loads and stores: opcode and natural alignment (log2 bytes). */
const MEMORY: Record<string, [number, number]> = {
  "i32.load": [0x28, 2],
  "f64.load": [0x2b, 3],
  "i32.store": [0x36, 2],
  "f64.store": [0x39, 3],
};

/** Blocks (void). */
const BLOCKS: Record<string, number> = { block: 0x02, loop: 0x03, if: 0x04 };

function unsigned(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function signed(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  unsigned(out, b.length);
  out.push(...b);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  unsigned(out, body.length);
  out.push(...body);
}

/** Parses an f64 literal of the text format (decimal, `inf`, `-inf`). */
function f64Literal(s: string, where: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  const v = Number(s);
  if (s.trim() === "" || Number.isNaN(v)) throw new Error(`${where}: bad f64 literal ${s}`);
  return v;
}

/** Writes one function's body. */
function encodeBody(
  f: WasmFunction,
  funcIndex: Map<string, number>,
): number[] {
  const locals = new Map<string, number>();
  for (const [n] of f.params) locals.set(n, locals.size);
  for (const [n] of f.locals) {
    if (locals.has(n)) throw new Error(`$${f.name}: local $${n} declared twice`);
    locals.set(n, locals.size);
  }
  const out: number[] = [];
  // locals in runs of one type
  const runs: Array<[number, WasmType]> = [];
  for (const [, t] of f.locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  unsigned(out, runs.length);
  for (const [n, t] of runs) {
    unsigned(out, n);
    out.push(TYPE_CODE[t]);
  }
  const labels: Array<string | undefined> = [];
  const where = (line: number) => `$${f.name}, line ${line + 1}`;
  const ref = (table: Map<string, number>, arg: string | undefined, line: number, what: string) => {
    if (arg === undefined || !arg.startsWith("$") || !table.has(arg.slice(1))) {
      throw new Error(`${where(line)}: unknown ${what} ${arg}`);
    }
    return table.get(arg.slice(1))!;
  };
  f.body.forEach((text, line) => {
    const [op, ...args] = text.trim().split(/\s+/);
    if (op === undefined || op === "") return;
    if (op in PLAIN) {
      out.push(PLAIN[op]!);
      if (op === "end") {
        if (labels.length === 0) throw new Error(`${where(line)}: end without a block`);
        labels.pop();
      }
      return;
    }
    if (op in BLOCKS) {
      out.push(BLOCKS[op]!, 0x40);
      labels.push(args[0]?.startsWith("$") ? args[0].slice(1) : undefined);
      return;
    }
    if (op in MEMORY) {
      const [code, align] = MEMORY[op]!;
      const offset = args[0]?.startsWith("offset=") ? Number(args[0].slice(7)) : 0;
      if (!Number.isInteger(offset) || offset < 0) {
        throw new Error(`${where(line)}: bad ${args[0]}`);
      }
      out.push(code);
      unsigned(out, align);
      unsigned(out, offset);
      return;
    }
    switch (op) {
      case "local.get":
      case "local.set":
      case "local.tee":
        out.push({ "local.get": 0x20, "local.set": 0x21, "local.tee": 0x22 }[op]);
        unsigned(out, ref(locals, args[0], line, "local"));
        return;
      case "call":
        out.push(0x10);
        unsigned(out, ref(funcIndex, args[0], line, "function"));
        return;
      case "br":
      case "br_if": {
        const label = args[0]?.slice(1);
        const depth = labels.length - 1 - labels.lastIndexOf(label);
        if (!args[0]?.startsWith("$") || depth >= labels.length) {
          throw new Error(`${where(line)}: unknown label ${args[0]}`);
        }
        out.push(op === "br" ? 0x0c : 0x0d);
        unsigned(out, depth);
        return;
      }
      case "i32.const":
      case "i64.const": {
        const v = args[0] === undefined ? NaN : Number(args[0]);
        if (!Number.isInteger(v)) throw new Error(`${where(line)}: bad ${op} ${args[0]}`);
        out.push(op === "i32.const" ? 0x41 : 0x42);
        signed(out, BigInt(op === "i32.const" ? v | 0 : v));
        return;
      }
      case "f64.const": {
        const v = f64Literal(args[0] ?? "", where(line));
        out.push(0x44, ...new Uint8Array(new Float64Array([v]).buffer));
        return;
      }
    }
    throw new Error(`${where(line)}: unknown instruction ${op}`);
  });
  if (labels.length !== 0) throw new Error(`$${f.name}: ${labels.length} block(s) not ended`);
  out.push(0x0b);
  return out;
}

/**
 * The binary encoding of a module.
 *
 * @param m the module
 * @returns its bytes
 * @throws {Error} on an unknown instruction, local, function or label
 *
 * @example A function that adds two f64
 * ```ts
 * import { assembleWasm } from "./_wasm_text.ts";
 * import assert from "node:assert/strict";
 * const bytes = assembleWasm({
 *   imports: [],
 *   memory: { module: "m", field: "memory", minPages: 1 },
 *   functions: [{
 *     name: "add", exported: true, params: [["a", "f64"], ["b", "f64"]], results: ["f64"],
 *     locals: [], body: ["local.get $a", "local.get $b", "f64.add"],
 *   }],
 * });
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const { add } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { memory } })
 *   .exports as { add(a: number, b: number): number };
 * assert.equal(add(0.1, 0.2), 0.1 + 0.2);
 * ```
 *
 * @internal
 */
export function assembleWasm(m: WasmModule): Uint8Array<ArrayBuffer> {
  const types: string[] = [];
  const typeOf = (params: WasmType[], results: WasmType[]) => {
    const key = `${params.join(",")}->${results.join(",")}`;
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const funcIndex = new Map<string, number>();
  for (const f of [...m.imports, ...m.functions]) {
    if (funcIndex.has(f.name)) throw new Error(`function $${f.name} defined twice`);
    funcIndex.set(f.name, funcIndex.size);
  }
  const importTypes = m.imports.map((f) => typeOf(f.params, f.results));
  const funcTypes = m.functions.map((f) => typeOf(f.params.map(([, t]) => t), f.results));
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const typeSec: number[] = [];
  unsigned(typeSec, types.length);
  for (const key of types) {
    const [p, r] = key.split("->").map((s) => (s === "" ? [] : s.split(",") as WasmType[]));
    typeSec.push(0x60);
    unsigned(typeSec, p!.length);
    for (const t of p!) typeSec.push(TYPE_CODE[t]);
    unsigned(typeSec, r!.length);
    for (const t of r!) typeSec.push(TYPE_CODE[t]);
  }
  section(out, 1, typeSec);
  const importSec: number[] = [];
  unsigned(importSec, m.imports.length + 1);
  m.imports.forEach((f, i) => {
    name(importSec, f.module);
    name(importSec, f.field);
    importSec.push(0x00);
    unsigned(importSec, importTypes[i]!);
  });
  name(importSec, m.memory.module);
  name(importSec, m.memory.field);
  importSec.push(0x02, 0x00);
  unsigned(importSec, m.memory.minPages);
  section(out, 2, importSec);
  const funcSec: number[] = [];
  unsigned(funcSec, m.functions.length);
  for (const t of funcTypes) unsigned(funcSec, t);
  section(out, 3, funcSec);
  const exported = m.functions.filter((f) => f.exported);
  const exportSec: number[] = [];
  unsigned(exportSec, exported.length);
  for (const f of exported) {
    name(exportSec, f.name);
    exportSec.push(0x00);
    unsigned(exportSec, funcIndex.get(f.name)!);
  }
  section(out, 7, exportSec);
  const codeSec: number[] = [];
  unsigned(codeSec, m.functions.length);
  for (const f of m.functions) {
    const body = encodeBody(f, funcIndex);
    unsigned(codeSec, body.length);
    codeSec.push(...body);
  }
  section(out, 10, codeSec);
  return new Uint8Array(out);
}

/**
 * The module as WebAssembly text (the `.wat` form), for reading generated
 * code.
 *
 * @param m the module
 * @returns its text
 *
 * @example
 * ```ts
 * import { wasmText } from "./_wasm_text.ts";
 * import assert from "node:assert/strict";
 * const text = wasmText({
 *   imports: [],
 *   memory: { module: "m", field: "memory", minPages: 1 },
 *   functions: [{
 *     name: "one", exported: true, params: [], results: ["f64"], locals: [],
 *     body: ["f64.const 1"],
 *   }],
 * });
 * assert.match(text, /\(func \$one \(export "one"\) \(result f64\)/);
 * ```
 *
 * @internal
 */
export function wasmText(m: WasmModule): string {
  const sig = (params: string[], results: WasmType[]) =>
    [...params, ...(results.length ? [`(result ${results.join(" ")})`] : [])].join(" ");
  const lines = ["(module"];
  for (const f of m.imports) {
    lines.push(
      `  (import "${f.module}" "${f.field}" (func $${f.name} ${
        sig(f.params.map((t) => `(param ${t})`), f.results)
      }))`,
    );
  }
  lines.push(`  (import "${m.memory.module}" "${m.memory.field}" (memory ${m.memory.minPages}))`);
  for (const f of m.functions) {
    const head = [
      `$${f.name}`,
      ...(f.exported ? [`(export "${f.name}")`] : []),
      sig(f.params.map(([n, t]) => `(param $${n} ${t})`), f.results),
    ].filter((s) => s !== "").join(" ");
    lines.push(`  (func ${head}`);
    for (const [n, t] of f.locals) lines.push(`    (local $${n} ${t})`);
    let depth = 2;
    for (const text of f.body) {
      const op = text.trim().split(/\s+/)[0];
      if (op === "end" || op === "else") depth--;
      lines.push(`${"  ".repeat(depth)}${text.trim()}`);
      if (op === "block" || op === "loop" || op === "if" || op === "else") depth++;
    }
    lines.push("  )");
  }
  lines.push(")");
  return lines.join("\n");
}
