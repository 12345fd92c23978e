import assert from "node:assert/strict";
import { parseXml } from "../../io/_xml_parser.ts";
import {
  type MathExpr,
  type MathFunction,
  parseLambda,
  parseMath,
  substitute,
  typeOf,
} from "../../io/_mathml.ts";
import {
  compileCpu,
  evaluate,
  fold,
  isBool,
  NotWgslError,
  toWgsl,
} from "../../io/_mathml_compile.ts";
import { parseSbml } from "../../io/sbml.ts";
import { ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";
import { SdenoParseError, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

const NS = 'xmlns="http://www.w3.org/1998/Math/MathML"';
const BIND = new Map<string, MathExpr>([
  ["X", { kind: "species", index: 0, scale: 1 }],
  ["Y", { kind: "species", index: 1, scale: 0.5 }], // Y in the law is half its count
]);

function parse(body: string, functions: Record<string, MathFunction> = {}): MathExpr {
  const el = parseXml(`<math ${NS}>${body}</math>`, "test");
  return parseMath(el, {
    what: "test",
    where: "the law",
    functions: (id) => Object.hasOwn(functions, id) ? functions[id] : undefined,
  });
}

/** Parsed, bound (X = x0, Y = x1/2), type-checked and folded. */
function bound(body: string, functions: Record<string, MathFunction> = {}): MathExpr {
  const e = substitute(parse(body, functions), BIND);
  typeOf(e, "test", "the law");
  return fold(e, isBool);
}

const ci = (s: string) => `<ci> ${s} </ci>`;
const cn = (v: number | string) => `<cn> ${v} </cn>`;
const ap = (op: string, ...args: string[]) => `<apply><${op}/>${args.join("")}</apply>`;
const X = ci("X"), Y = ci("Y");
const pw = (pieces: [string, string][], otherwise?: string) =>
  `<piecewise>${pieces.map(([v, c]) => `<piece>${v}${c}</piece>`).join("")}${
    otherwise ? `<otherwise>${otherwise}</otherwise>` : ""
  }</piecewise>`;

// [MathML, the same law by hand in float64 with x = count of X, y = count of Y / 2]
const CASES: [string, (x: number, y: number) => number][] = [
  [ap("plus", X, Y, cn(1.5)), (x, y) => x + y + 1.5],
  [ap("plus"), () => 0],
  [ap("minus", X, Y), (x, y) => x - y],
  [ap("minus", X), (x) => -x],
  [ap("times", X, Y, cn(-2)), (x, y) => x * y * -2],
  [ap("times"), () => 1],
  [ap("divide", X, ap("plus", Y, cn(1))), (x, y) => x / (y + 1)],
  [ap("power", X, `<cn type="integer"> 3 </cn>`), (x) => x ** 3],
  [ap("power", X, cn(-2)), (x) => x ** -2],
  [ap("power", ap("plus", X, cn(1)), cn(2.5)), (x) => (x + 1) ** 2.5],
  [ap("power", cn(2), ap("divide", Y, cn(4))), (_, y) => 2 ** (y / 4)],
  [ap("exp", ap("divide", X, cn(10))), (x) => Math.exp(x / 10)],
  [ap("ln", ap("plus", X, cn(1))), (x) => Math.log(x + 1)],
  [`<apply><log/>${ap("plus", X, cn(1))}</apply>`, (x) => Math.log10(x + 1)],
  [
    `<apply><log/><logbase>${cn(2)}</logbase>${ap("plus", X, cn(1))}</apply>`,
    (x) => Math.log(x + 1) / Math.log(2),
  ],
  [`<apply><root/>${X}</apply>`, (x) => Math.sqrt(x)],
  [`<apply><root/><degree>${cn(3)}</degree>${X}</apply>`, (x) => x ** (1 / 3)],
  [ap("abs", ap("minus", X, cn(7))), (x) => Math.abs(x - 7)],
  [ap("floor", ap("divide", X, cn(3))), (x) => Math.floor(x / 3)],
  [ap("ceiling", ap("divide", X, cn(3))), (x) => Math.ceil(x / 3)],
  [`<cn type="e-notation"> 1.5 <sep/> -3 </cn>`, () => 1.5e-3],
  [`<cn type="rational"> 3 <sep/> 8 </cn>`, () => 3 / 8],
  [`<cn type="integer"> -12 </cn>`, () => -12],
  [cn("2.5E2"), () => 250],
  [ap("times", "<pi/>", "<exponentiale/>"), () => Math.PI * Math.E],
  [
    `<apply><times/>${
      ci("X")
    }<csymbol definitionURL="http://www.sbml.org/sbml/symbols/avogadro">NA</csymbol></apply>`,
    (x) => x * 6.02214076e23,
  ],
  // piecewise with each relation and logical operator as conditions
  [
    pw([[cn(1), ap("lt", X, Y)], [cn(2), ap("leq", X, Y)]], cn(3)),
    (x, y) => x < y ? 1 : x <= y ? 2 : 3,
  ],
  [pw([[X, ap("gt", X, cn(5), cn(2))]], Y), (x, y) => x > 5 ? x : y],
  [pw([[X, ap("geq", X, Y)]], cn(0)), (x, y) => x >= y ? x : 0],
  [pw([[cn(1), ap("eq", X, ap("times", cn(2), Y))]], cn(0)), (x, y) => x === 2 * y ? 1 : 0],
  [pw([[cn(1), ap("neq", X, cn(4))]], cn(0)), (x) => x !== 4 ? 1 : 0],
  [
    pw([[cn(1), ap("and", ap("gt", X, cn(2)), ap("lt", Y, cn(5)))]], cn(0)),
    (x, y) => x > 2 && y < 5 ? 1 : 0,
  ],
  [
    pw([[cn(1), ap("or", ap("gt", X, cn(8)), ap("lt", Y, cn(1)))]], cn(0)),
    (x, y) => x > 8 || y < 1 ? 1 : 0,
  ],
  [
    pw([[cn(1), ap("xor", ap("gt", X, cn(3)), ap("gt", Y, cn(3)), "<true/>")]], cn(0)),
    (x, y) => ((x > 3 ? 1 : 0) + (y > 3 ? 1 : 0) + 1) % 2,
  ],
  [pw([[cn(1), ap("not", ap("gt", X, cn(3)))]], cn(0)), (x) => x > 3 ? 0 : 1],
  [pw([[cn(1), ap("and")]], cn(0)), () => 1],
  // a Hill function and Michaelis–Menten, nested
  [
    ap(
      "divide",
      ap("times", cn(10), ap("power", X, cn(4))),
      ap("plus", ap("power", cn(5), cn(4)), ap("power", X, cn(4))),
    ),
    (x) => 10 * x ** 4 / (5 ** 4 + x ** 4),
  ],
  [ap("divide", ap("times", cn(3), Y), ap("plus", cn(2.5), Y)), (_, y) => 3 * y / (2.5 + y)],
];

const STATES: [number, number][] = [[0, 0], [1, 2], [4, 8], [7, 3], [12, 30], [3, 6]];

Deno.test("compileCpu() matches a hand computation of every MathML operator", () => {
  for (const [body, want] of CASES) {
    const e = bound(body);
    const f = compileCpu(e);
    for (const [cx, cy] of STATES) {
      const x = new Float64Array([cx, cy]);
      const w = want(cx, cy / 2);
      const got = f(x);
      const ev = evaluate(e, () => NaN, x);
      assert.ok(
        Object.is(got, w) || Math.abs(got - w) <= 1e-14 * Math.abs(w),
        `${body} at ${cx}, ${cy}: ${got} vs ${w}`,
      );
      assert.ok(Object.is(ev, got), `evaluate and compileCpu differ on ${body}`);
    }
  }
});

Deno.test("parseMath() reads cn forms, and a piecewise with no true piece and no otherwise is NaN", () => {
  const f = compileCpu(bound(pw([[cn(1), ap("gt", X, cn(5))]])));
  assert.ok(Number.isNaN(f(new Float64Array([1, 0]))));
  assert.equal(f(new Float64Array([6, 0])), 1);
  assert.equal(compileCpu(bound("<cn> INF </cn>"))(new Float64Array(2)), Infinity);
  assert.ok(Number.isNaN(compileCpu(bound("<notanumber/>"))(new Float64Array(2))));
  assert.equal(compileCpu(bound("<infinity/>"))(new Float64Array(2)), Infinity);
});

Deno.test("parseLambda() inlines function definitions where they are applied, also nested", () => {
  const mathOf = (s: string) => parseXml(`<math ${NS}>${s}</math>`, "test");
  const ctx = { what: "test", where: "f", functions: () => undefined };
  const sq = parseLambda(
    mathOf(`<lambda><bvar><ci>a</ci></bvar>${ap("times", ci("a"), ci("a"))}</lambda>`),
    ctx,
  );
  const fns = { sq } as Record<string, MathFunction>;
  const hill = parseLambda(
    mathOf(
      `<lambda><bvar><ci>s</ci></bvar><bvar><ci>K</ci></bvar>${
        ap(
          "divide",
          `<apply><ci>sq</ci><ci>s</ci></apply>`,
          ap(
            "plus",
            `<apply><ci>sq</ci><ci>K</ci></apply>`,
            `<apply><ci>sq</ci><ci>s</ci></apply>`,
          ),
        )
      }</lambda>`,
    ),
    { ...ctx, functions: (id: string) => fns[id] },
  );
  const f = compileCpu(bound(`<apply><ci>hill</ci>${X}${cn(3)}</apply>`, { sq, hill }));
  assert.equal(f(new Float64Array([4, 0])), 16 / (9 + 16));
  assert.throws(
    () => bound(`<apply><ci>hill</ci>${X}</apply>`, { sq, hill }),
    (e) =>
      e instanceof SdenoRangeError &&
      /applies the function "hill" to 1 argument\(s\).*takes 2/.test(e.message),
  );
  assert.throws(
    () =>
      parseLambda(
        mathOf(`<lambda><bvar><ci>a</ci></bvar>${ap("times", ci("a"), ci("b"))}</lambda>`),
        ctx,
      ),
    /names "b", which is not one of its arguments/,
  );
  assert.throws(() => parseLambda(mathOf(ap("plus", cn(1))), ctx), SdenoParseError);
});

Deno.test("parseMath() and typeOf() refuse bad MathML with typed errors", () => {
  const cases: [string, new (...a: never[]) => Error, RegExp][] = [
    [ap("sin", X), SdenoRangeError, /MathML element <sin>/],
    [ap("factorial", X), SdenoRangeError, /MathML element <factorial>/],
    [`<apply>${X}</apply>`, SdenoRangeError, /applies "X".*not a function definition/],
    [ap("minus", X, X, X), SdenoParseError, /<minus\/> at line 1 takes 1 or 2 argument/],
    [ap("not", X, X), SdenoParseError, /<not\/> at line 1 takes 1 argument/],
    [ap("lt", X), SdenoParseError, /takes at least 2/],
    ["<apply/>", SdenoParseError, /has no operator/],
    [`<cn type="rational"> 1 </cn>`, SdenoParseError, /two numbers separated by <sep\/>/],
    [
      `<cn type="complex-cartesian"> 1 <sep/> 2 </cn>`,
      SdenoRangeError,
      /element <cn> of type "complex-cartesian"/,
    ],
    [`<cn base="2"> 101 </cn>`, SdenoRangeError, /with base "2"/],
    [`<cn> 0x10 </cn>`, SdenoParseError, /"0x10", which is not a number/],
    [
      `<csymbol definitionURL="http://www.sbml.org/sbml/symbols/delay">d</csymbol>`,
      SdenoRangeError,
      /csymbol "delay"/,
    ],
    [
      `<piecewise><piece>${X}</piece></piecewise>`,
      SdenoParseError,
      /expected <piece> with a value and a condition/,
    ],
    [
      `<apply><log/><degree>${cn(2)}</degree>${X}</apply>`,
      SdenoRangeError,
      /element <degree> in <log>/,
    ],
    [`${X}${Y}`, SdenoParseError, /one expression, got <math> with 2/],
  ];
  for (const [body, type, message] of cases) {
    assert.throws(
      () => parse(body),
      (e) => e instanceof type && message.test((e as Error).message),
      body,
    );
  }
  assert.throws(
    () =>
      parseMath(parseXml(`<math><ci>X</ci></math>`, "test"), {
        what: "t",
        where: "w",
        functions: () => undefined,
      }),
    /must be in the MathML namespace/,
  );
  const types: [string, RegExp][] = [
    [ap("plus", X, ap("gt", X, Y)), /an operand of <plus\/> must be a number, got a boolean/],
    [ap("and", X), /an operand of <and\/> must be a boolean, got a number/],
    [ap("eq", X, "<true/>"), /an operand of <eq\/> must be a number, got a boolean/],
    [pw([[cn(1), "<true/>"]], "<false/>"), /every value of <piecewise> must be a number/],
  ];
  for (const [body, message] of types) {
    assert.throws(
      () => typeOf(parse(body), "t", "w"),
      (e) => e instanceof SdenoTypeError && message.test(e.message),
      body,
    );
  }
});

Deno.test("fold() evaluates constant subtrees once; toWgsl() refuses a constant that f32 cannot hold", () => {
  const e = bound(ap("times", ap("log", cn(100)), ap("exp", cn(0)), X));
  assert.deepEqual(e, {
    kind: "apply",
    op: "times",
    args: [{ kind: "number", value: 2 }, { kind: "number", value: 1 }, BIND.get("X")],
  });
  assert.equal(toWgsl(e), "  return (2f * 1f * x[0]);");
  assert.throws(() => toWgsl(bound(ap("times", cn("1e39"), X))), NotWgslError);
  assert.throws(() => toWgsl(bound(ap("times", cn("1e-40"), X))), NotWgslError);
  assert.throws(() => toWgsl(bound(ap("times", "<infinity/>", X))), NotWgslError);
  assert.match(
    toWgsl(bound(ap("power", X, cn(3)))),
    /let t0 = x\[0\];\n {2}return \(t0 \* t0 \* t0\);/,
  );
});

Deno.test({
  name:
    "parseSbml() leaves a law with a constant beyond f32 without WGSL, so the webgpu ensemble refuses it by name",
  ...GPU_TEST,
}, async () => {
  const text =
    `<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"><model>
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies><species id="X" compartment="c" initialAmount="1" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/></listOfSpecies>
    <listOfReactions><reaction id="huge" reversible="false">
      <listOfProducts><speciesReference species="X" stoichiometry="1" constant="true"/></listOfProducts>
      <kineticLaw><math ${NS}>${
      ap("divide", cn("1e40"), ap("plus", cn("1e40"), ap("times", cn("1e39"), X)))
    }</math></kineticLaw>
    </reaction></listOfReactions></model></sbml>`;
  const net = parseSbml(text);
  assert.equal(net.reactions[0]!.custom!.wgsl, undefined);
  assert.ok(Math.abs(net.propensity(0, new Float64Array([10])) - 0.5) < 1e-15);
  const gpu = await gpuBackend();
  if (!gpu) return;
  await assert.rejects(
    () => ssaEnsemble(net, { backend: gpu, tEnd: 1 }),
    /reaction "huge" has a custom propensity without a wgsl snippet/,
  );
});

Deno.test({
  name: "toWgsl() bodies compute every operator as compileCpu does, within f32 accuracy, on webgpu",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const device = gpu.ctx.device;
  const xs = Float32Array.from(STATES.flat());
  const n = STATES.length;
  const input = device.createBuffer({
    size: xs.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(input, 0, xs);
  const out = device.createBuffer({
    size: 4 * n,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    size: 4 * n,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    for (const [body] of CASES) {
      const e = bound(body);
      const wgsl = toWgsl(e);
      const code = `
@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
fn law(x: array<f32, 2>) -> f32 {
${wgsl}
}
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  out[i] = law(array<f32, 2>(xs[2u * i], xs[2u * i + 1u]));
}`;
      device.pushErrorScope("validation");
      const module = device.createShaderModule({ code });
      const pipeline = device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      const error = await device.popErrorScope();
      assert.equal(error, null, `${body}: ${error?.message}\n${wgsl}`);
      const bind = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: input } }, {
          binding: 1,
          resource: { buffer: out },
        }],
      });
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(n);
      pass.end();
      enc.copyBufferToBuffer(out, 0, read, 0, 4 * n);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(read.getMappedRange().slice(0));
      read.unmap();
      const f = compileCpu(e);
      STATES.forEach(([cx, cy], i) => {
        const want = f(new Float64Array([cx, cy]));
        const g = got[i]!;
        // WGSL's exp, log and pow are accurate to a few ulp (pow through exp2(y·log2 x)),
        // so 1e-4 relative (~800 f32 ulp) bounds them with room; + and × round once
        const ok = Number.isNaN(want)
          ? true // WGSL leaves 0/0 indeterminate
          : !Number.isFinite(want)
          ? !Number.isFinite(g) || Math.abs(g) > 3e38
          : Math.abs(g - want) <= 1e-4 * Math.abs(want) + 1e-6;
        assert.ok(ok, `${body} at (${cx}, ${cy}): webgpu ${g} vs cpu ${want}\n${wgsl}`);
      });
    }
  } finally {
    input.destroy();
    out.destroy();
    read.destroy();
  }
});
