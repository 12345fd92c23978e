// kernels/_wasm_text.ts: flat WebAssembly text to the binary format, checked by running what it
// assembles (control flow, locals of three types, memory, imported calls, constants at their
// extremes) and by its errors.
import assert from "node:assert/strict";
import {
  assembleWasm,
  type WasmFunction,
  type WasmModule,
  wasmText,
} from "../../kernels/_wasm_text.ts";

function instantiate(functions: WasmFunction[], log: number[] = []) {
  const m: WasmModule = {
    imports: [{ module: "h", field: "log", name: "log", params: ["f64"], results: [] }],
    memory: { module: "m", field: "memory", minPages: 1 },
    functions,
  };
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bytes = assembleWasm(m);
  assert.ok(WebAssembly.validate(bytes));
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    m: { memory },
    h: { log: (v: number) => log.push(v) },
  }).exports as Record<string, (...a: number[]) => number>;
  return { exports, memory, text: wasmText(m) };
}

Deno.test("wasm text: a loop with br_if, if/else, conversions and the f64 arithmetic", () => {
  // Σ_{i < n} (i odd ? i : −i) · 0.5, and the number of terms above 1 (select)
  const { exports } = instantiate([{
    name: "sum",
    exported: true,
    params: [["n", "i32"]],
    results: ["f64"],
    locals: [["i", "i32"], ["s", "f64"], ["v", "f64"]],
    body: [
      "block $done",
      "loop $next",
      "local.get $i",
      "local.get $n",
      "i32.ge_s",
      "br_if $done",
      "local.get $i",
      "i32.const 1",
      "i32.and",
      "if",
      "local.get $i",
      "f64.convert_i32_s",
      "local.set $v",
      "else",
      "f64.const 0",
      "local.get $i",
      "f64.convert_i32_u",
      "f64.sub",
      "local.set $v",
      "end",
      "local.get $s",
      "local.get $v",
      "f64.const 0.5",
      "f64.mul",
      "f64.add",
      "local.set $s",
      "local.get $i",
      "i32.const 1",
      "i32.add",
      "local.set $i",
      "br $next",
      "end",
      "end",
      "local.get $s",
    ],
  }]);
  let s = 0;
  for (let i = 0; i < 101; i++) s += (i & 1 ? i : 0 - i) * 0.5;
  assert.equal(exports.sum!(101), s);
  assert.equal(exports.sum!(0), 0);
});

Deno.test("wasm text: memory at offsets, i64 truncation, constants and calls to imports", () => {
  const log: number[] = [];
  const { exports, memory } = instantiate([{
    name: "go",
    exported: true,
    params: [["m", "f64"]],
    results: ["i32"],
    locals: [],
    body: [
      // memory[8..16) ← m · 2; log(memory[8..16)); log(inf), log(−0.1); (m mod 2³²) >>> 1
      "i32.const 0",
      "local.get $m",
      "f64.const 2",
      "f64.mul",
      "f64.store offset=8",
      "i32.const 4",
      "f64.load offset=4",
      "call $log",
      "f64.const inf",
      "call $log",
      "f64.const -0.1",
      "call $log",
      "i32.const 16",
      "i32.const -2147483648",
      "i32.store",
      "local.get $m",
      "i64.trunc_f64_u",
      "i32.wrap_i64",
      "i32.const 1",
      "i32.shr_u",
    ],
  }], log);
  const m = 2 ** 40 + 12345;
  assert.equal(exports.go!(m), (m >>> 1) | 0);
  assert.deepEqual(log, [2 * m, Infinity, -0.1]);
  assert.equal(new Int32Array(memory.buffer)[4], -2147483648);
});

Deno.test("wasm text: an unknown instruction, local, label or function is an error naming the line", () => {
  const f = (body: string[]): WasmFunction => ({
    name: "f",
    exported: false,
    params: [["a", "f64"]],
    results: [],
    locals: [],
    body,
  });
  const asm = (body: string[]) =>
    assembleWasm({
      imports: [],
      memory: { module: "m", field: "memory", minPages: 1 },
      functions: [f(body)],
    });
  assert.throws(() => asm(["f64.sqrt"]), /\$f, line 1: unknown instruction f64\.sqrt/);
  assert.throws(() => asm(["local.get $b", "drop"]), /line 1: unknown local \$b/);
  assert.throws(() => asm(["block $x", "br $y", "end"]), /line 2: unknown label \$y/);
  assert.throws(() => asm(["call $g"]), /unknown function \$g/);
  assert.throws(() => asm(["block", "nop"]), /1 block\(s\) not ended/);
  assert.throws(() => asm(["f64.const one", "drop"]), /bad f64 literal one/);
  assert.throws(() => asm(["end"]), /end without a block/);
});

Deno.test("wasm text: the text form lists imports, memory, functions and indents blocks", () => {
  const { text } = instantiate([{
    name: "id",
    exported: true,
    params: [["x", "f64"]],
    results: ["f64"],
    locals: [["y", "i32"]],
    body: ["block $b", "local.get $x", "call $log", "end", "local.get $x"],
  }]);
  assert.equal(
    text,
    [
      "(module",
      '  (import "h" "log" (func $log (param f64)))',
      '  (import "m" "memory" (memory 1))',
      '  (func $id (export "id") (param $x f64) (result f64)',
      "    (local $y i32)",
      "    block $b",
      "      local.get $x",
      "      call $log",
      "    end",
      "    local.get $x",
      "  )",
      ")",
    ].join("\n"),
  );
});
