// The ensemble step of a stochastic Runge–Kutta tableau, generated from the
// tableau: the WGSL `sd_step` of the ensemble kernel and the float64 twin's
// batch step, as source text with the coefficients folded in (one string
// join each; the twin's text becomes a function once per tableau and noise
// type). Both follow Rößler's stages (SIAM J. Numer. Anal. 48(3), 2010,
// eq. (5.1)/(6.1)):
//
//   H⁰ᵢ = X + Σⱼ (A⁰ᵢⱼh)·fⱼ + Σⱼ B⁰ᵢⱼ·(gⱼ·ζ⁰),  fⱼ = f(t + c⁰ⱼh, H⁰ⱼ)
//   H¹ᵢ = X + Σⱼ (A¹ᵢⱼh)·fⱼ + Σⱼ B¹ᵢⱼ·(gⱼ·ζ¹),  gⱼ = g(t + c¹ⱼh, H¹ⱼ)
//   X'  = X + h·(Σᵢ αᵢfᵢ) + Σᵢ gᵢ·(Σ_q β_qᵢ ζ_q)
//
// summed left to right in that order, skipping zero weights; a weight 1 is
// no product, and a weight p/q (q ≤ 64) that binary floating point cannot
// hold exactly is applied as (p·y)/q, one rounding instead of two. These are
// the expression trees of the hand-written Euler–Maruyama and SRA1 steps
// the generated ones replace, so the twin's results are the same bits.
//
// Noise quantities per Brownian component k, from the step's normals ξₖ, ηₖ
// (the grid convention of brownian_grid.ts): ΔW = √h·ξ,
// ΔZ/h = (h√h·(ξ/2 + η/(2√3)))/h, √h, I₍₁,₁₎/√h = (ΔW² − h)/(2√h),
// I₍₁,₁,₁₎/h = (ΔW³ − 3hΔW)/(6h).
import type { EnsembleModel, EnsembleStep, EnsembleTwinStep } from "../../kernels/sde_ensemble.ts";
import type { NoiseWeight, SrkTableau } from "./srk_tableau.ts";
import { tableauWeights } from "./solver_info.ts";

type Noise = EnsembleModel["noise"];

/** `1/(2√3)`, as the twin's source spells it (the shortest round-trip decimal). */
const INV_2SQRT3 = String(1 / (2 * Math.sqrt(3)));

/** [p, q] when c = p/q with q ≤ 64 and c is not dyadic (not exact in binary); else undefined. */
function rational(c: number): [number, number] | undefined {
  for (let k = 0; k <= 40; k++) if (Number.isInteger(c * 2 ** k)) return undefined;
  for (let q = 3; q <= 64; q++) {
    const p = Math.round(c * q);
    if (p / q === c) return [p, q];
  }
  return undefined;
}

/** A number literal: the shortest decimal that reads back as the same double (valid WGSL too). */
const lit = (c: number): string => String(c);

/** `c·y` for c > 0, y atomic: `y`, `y / q`, `p * y / q` or `c * y`. */
function term(c: number, y: string): string {
  if (c === 1) return y;
  const r = rational(c);
  if (r) return r[0] === 1 ? `${y} / ${r[1]}` : `${r[0]} * ${y} / ${r[1]}`;
  return `${lit(c)} * ${y}`;
}

/** Σ cᵢ·yᵢ left to right, zeros skipped; undefined when every c is 0. */
function sum(terms: ReadonlyArray<readonly [number, string]>): string | undefined {
  let s: string | undefined;
  for (const [c, y] of terms) {
    if (c === 0) continue;
    const t = term(Math.abs(c), y);
    s = s === undefined ? (c < 0 ? `-${t}` : t) : `${s} ${c < 0 ? "-" : "+"} ${t}`;
  }
  return s;
}

/** `a·h` as a constant expression. */
function timesH(c: number): string {
  const r = rational(c);
  if (c === 1) return "h";
  if (r) return r[0] === 1 ? `h / ${r[1]}` : `${r[0]} * h / ${r[1]}`;
  return `${lit(c)} * h`;
}

/** Which stages' drift and diffusion the step uses (the embedded pair is not used). */
function needs(tab: SrkTableau): { F: boolean[]; G: boolean[] } {
  const s = tab.stages;
  const col = (a: SrkTableau["a0"], j: number) => a.some((row) => row[j] !== 0);
  return {
    F: Array.from({ length: s }, (_, j) => tab.alpha[j] !== 0 || col(tab.a0, j) || col(tab.a1, j)),
    G: Array.from(
      { length: s },
      (_, j) => tab.beta.some(([, b]) => b[j] !== 0) || col(tab.b0, j) || col(tab.b1, j),
    ),
  };
}

const allZero = (row: readonly number[]) => row.every((c) => c === 0);

/** Noise quantity of component `k` in the twin: ξ and η are source expressions. */
function zetaJs(kind: NoiseWeight, xi: string, eta: string): string {
  const w = `(sqrtH * ${xi})`;
  switch (kind) {
    case "dW":
      return w;
    case "dZ/h":
      return `(hs * (0.5 * ${xi} + ${INV_2SQRT3} * ${eta}) / h)`;
    case "sqrtH":
      return "sqrtH";
    case "I11/sqrtH":
      return `((${w} * ${w} - h) / (2 * sqrtH))`;
    case "I111/h":
      return `((${w} * ${w} * ${w} - 3 * h * ${w}) / (6 * h))`;
  }
}

/** Noise quantity of component `k` in WGSL. */
function zetaWgsl(kind: NoiseWeight, k: string): string {
  const w = `dwv[${k}]`;
  switch (kind) {
    case "dW":
      return w;
    case "dZ/h":
      return `(dzv[${k}] / h)`;
    case "sqrtH":
      return "sq";
    case "I11/sqrtH":
      return `((${w} * ${w} - h) / (2.0 * sq))`;
    case "I111/h":
      return `((${w} * ${w} * ${w} - 3.0 * h * ${w}) / (6.0 * h))`;
  }
}

/** The source of the twin's step factory `(model, B, h) => (t, batch) => finite`. */
function twinSource(tab: SrkTableau, noise: Noise, streams: 1 | 2): string {
  const s = tab.stages;
  const need = needs(tab);
  const flat = noise === "diagonal" && streams === 1;
  const matrix = noise === "additive" || noise === "general";
  const comp = noise === "diagonal" ? "r" : noise === "scalar" ? "0" : "k";
  const xiAt = (k: string) => flat ? "z[zo + e]" : k === "0" ? "z[zi]" : `z[zi + ${k}]`;
  const etaAt = (k: string) => `z[zi + m + ${k}]`;
  const zeta = (kind: NoiseWeight) => zetaJs(kind, xiAt(comp), etaAt(comp));
  // the run's constants and buffers live in its work object (made by `make`); the step,
  // one function per source, reads them into locals first, so its loops read registers
  const pre: string[] = [
    "const d = model.dim, m = model.noiseDim;",
    `const gw = ${matrix ? "d * m" : "d"};`,
    `const sqrtH = Math.sqrt(h), hs = h * sqrtH, zs = ${streams} * m;`,
  ];
  const fields = ["model", "d", "m", "h", "sqrtH", "hs", "zs"];
  for (let j = 0; j < s; j++) {
    if (need.F[j]) {
      pre.push(`const F${j} = new Float64Array(B * d);`);
      fields.push(`F${j}`);
    }
    if (need.G[j]) {
      pre.push(`const G${j} = new Float64Array(B * gw);`);
      fields.push(`G${j}`);
    }
  }
  let usesH = false;
  const consts = new Map<string, string>();
  const constant = (expr: string) => {
    if (!consts.has(expr)) {
      const name = `K${consts.size}`;
      consts.set(expr, name);
      pre.push(`const ${name} = ${expr};`);
      fields.push(name);
    }
    return consts.get(expr)!;
  };
  const time = (c: number) => (c === 0 ? "t" : `t + ${c === 1 ? "h" : constant(timesH(c))}`);
  // g_j·v for element e: an expression, and for matrix noise the loop that sums it first
  let acc = 0;
  const product = (j: number, v: string, lines: string[]): string => {
    if (!matrix) return `G${j}[e] * (${v})`;
    const a = `s${acc++}`;
    lines.push(
      `let ${a} = 0;`,
      `for (let k = 0, q = e * m; k < m; k++, q++) ${a} += G${j}[q] * (${v});`,
    );
    return a;
  };
  const loop = (body: string[]): string[] =>
    flat ? ["for (let e = 0; e < nb * d; e++) {", ...body.map((l) => "  " + l), "}"] : [
      "for (let i = 0; i < nb; i++) {",
      "  const zi = zo + i * zs;",
      "  for (let r = 0; r < d; r++) {",
      "    const e = i * d + r;",
      ...body.map((l) => "    " + l),
      "  }",
      "}",
    ];
  // the value of stage i for the drift (0) or diffusion (1) stage: undefined when it is x
  const stageInto = (i: number, which: 0 | 1, out: string[]): string => {
    const a = which === 0 ? tab.a0[i]! : tab.a1[i]!, b = which === 0 ? tab.b0[i]! : tab.b1[i]!;
    if (i === 0 || (allZero(a) && allZero(b))) return "x";
    const body: string[] = [];
    const terms: Array<readonly [number, string]> = [[1, "x[e]"]];
    for (let j = 0; j < i; j++) {
      if (a[j] !== 0) terms.push([1, `${constant(timesH(a[j]!))} * F${j}[e]`]);
    }
    for (let j = 0; j < i; j++) {
      if (b[j] !== 0) {
        terms.push([b[j]!, `(${product(j, zeta(which ? tab.noise1 : tab.noise0), body)})`]);
      }
    }
    body.push(`H[e] = ${sum(terms)};`);
    out.push(...loop(body));
    usesH = true;
    return "H";
  };
  const step: string[] = [
    "const x = b.x, out = b.out, z = b.z, zo = b.zo, nb = b.n;",
    "let finite = true;",
  ];
  for (let i = 0; i < s; i++) {
    if (need.F[i]) {
      const at = stageInto(i, 0, step);
      step.push(`model.drift(${time(tab.c0[i]!)}, ${at}, F${i}, nb);`);
    }
    if (need.G[i]) {
      const at = stageInto(i, 1, step);
      step.push(`model.diffusion(${time(tab.c1[i]!)}, ${at}, G${i}, nb);`);
    }
  }
  const body: string[] = [];
  const drift = sum(tab.alpha.map((c, i) => [c, `F${i}[e]`] as const));
  let value = drift === undefined ? "x[e]" : `x[e] + h * (${drift})`;
  for (let i = 0; i < s; i++) {
    const v = sum(tab.beta.map(([kind, w]) => [w[i]!, zeta(kind)] as const));
    if (v !== undefined) value += ` + ${product(i, v, body)}`;
  }
  body.push(`const v = ${value};`, "out[e] = v;", "if (v - v !== 0) finite = false;");
  step.push(...loop(body), "return finite;");
  if (usesH) {
    pre.push("const H = new Float64Array(B * d);");
    fields.push("H");
  }
  return [
    '"use strict";',
    "function make(model, B, h) {",
    ...pre.map((l) => "  " + l),
    `  return { ${fields.join(", ")} };`,
    "}",
    "function step(t, b) {",
    "  const w = b.work;",
    `  const { ${fields.join(", ")} } = w;`,
    ...step.map((l) => "  " + l),
    "}",
    "return { make, step };",
  ].join("\n");
}

/** The WGSL `sd_step` of a tableau. */
function wgslSource(tab: SrkTableau, streams: 1 | 2): string {
  const s = tab.stages;
  const need = needs(tab);
  const lines: string[] = ["var xv = x;", "var dwv = dw;"];
  if (streams === 2) lines.push("var dzv = dz;");
  const used = tableauWeights(tab);
  if ([...used].some((w) => w === "sqrtH" || w === "I11/sqrtH" || w === "I111/h")) {
    lines.push("let sq = sqrt(h);");
  }
  lines.push("var o: SdState;");
  const forK = (body: string) => `for (var k = 0u; k < SD_M; k = k + 1u) { ${body} }`;
  const forR = (body: string) => `for (var r = 0u; r < SD_D; r = r + 1u) { ${body} }`;
  const time = (c: number) => (c === 0 ? "t" : c === 1 ? "t + h" : `t + ${timesH(c)}`);
  // the noise vectors ζ⁰, ζ¹ of the stages, when used
  for (const which of [0, 1] as const) {
    const b = which === 0 ? tab.b0 : tab.b1;
    if (b.some((row) => !allZero(row))) {
      const kind = which === 0 ? tab.noise0 : tab.noise1;
      lines.push(
        `var sd_zeta${which}: SdNoise;`,
        forK(`sd_zeta${which}[k] = ${zetaWgsl(kind, "k")};`),
      );
    }
  }
  // y[j]: the diffusion stage value of stage j (kept: g_j is only ever applied to a vector)
  const y: string[] = [];
  let calls = 0;
  const apply = (j: number, v: string) => {
    const p = `sd_p${calls++}`;
    lines.push(`var ${p} = sde_diffusion(${time(tab.c1[j]!)}, ${y[j]}, ${v});`);
    return p;
  };
  const stageValue = (i: number, which: 0 | 1): string => {
    const a = which === 0 ? tab.a0[i]! : tab.a1[i]!, b = which === 0 ? tab.b0[i]! : tab.b1[i]!;
    if (i === 0 || (allZero(a) && allZero(b))) return "x";
    const terms: Array<readonly [number, string]> = [[1, "xv[r]"]];
    for (let j = 0; j < i; j++) if (a[j] !== 0) terms.push([1, `(${timesH(a[j]!)}) * sd_f${j}[r]`]);
    for (let j = 0; j < i; j++) {
      if (b[j] !== 0) terms.push([b[j]!, `${apply(j, `sd_zeta${which}`)}[r]`]);
    }
    const name = `sd_${which === 0 ? "hd" : "hg"}${i}`;
    lines.push(`var ${name}: SdState;`, forR(`${name}[r] = ${sum(terms)};`));
    return name;
  };
  for (let i = 0; i < s; i++) {
    if (need.F[i]) {
      lines.push(`var sd_f${i} = sde_drift(${time(tab.c0[i]!)}, ${stageValue(i, 0)});`);
    }
    y[i] = need.G[i] ? stageValue(i, 1) : "x";
  }
  const terms: Array<readonly [number, string]> = [[1, "xv[r]"]];
  const drift = sum(tab.alpha.map((c, i) => [c, `sd_f${i}[r]`] as const));
  if (drift !== undefined) terms.push([1, `h * (${drift})`]);
  for (let i = 0; i < s; i++) {
    const pairs = tab.beta.map(([kind, w]) => [w[i]!, zetaWgsl(kind, "k")] as const);
    const v = sum(pairs);
    if (v === undefined) continue;
    let vec = "dw";
    if (v !== "dwv[k]") {
      vec = `sd_v${i}`;
      lines.push(`var ${vec}: SdNoise;`, forK(`${vec}[k] = ${v};`));
    }
    terms.push([1, `${apply(i, vec)}[r]`]);
  }
  lines.push(forR(`o[r] = ${sum(terms)};`), "return o;");
  return [
    "fn sd_step(t: f32, h: f32, x: SdState, dw: SdNoise, dz: SdNoise) -> SdState {",
    ...lines.map((l) => "  " + l),
    "}",
  ].join("\n");
}

interface TwinCode {
  make: (model: EnsembleModel, B: number, h: number) => unknown;
  step: EnsembleTwinStep;
}
const compiled = new Map<string, TwinCode>();

/** The generated sources of a tableau for a noise type (for tests and reading). */
export function srkEnsembleSources(
  tab: SrkTableau,
  noise: Noise,
): { twin: string; wgsl: string; streams: 1 | 2 } {
  const streams = tableauWeights(tab).has("dZ/h") ? 2 : 1;
  return { twin: twinSource(tab, noise, streams), wgsl: wgslSource(tab, streams), streams };
}

/**
 * The ensemble step of a tableau for a model: the WGSL `sd_step` and the
 * float64 twin generated from the tableau (see the module comment). The
 * tableau must have passed `srkTableauProblems` (srkSolver checks it).
 */
export function srkEnsembleStep(
  tab: SrkTableau,
  options: { name: string; model: EnsembleModel },
): EnsembleStep {
  const { name, model } = options;
  const src = srkEnsembleSources(tab, model.noise);
  // one compiled step per source: the same function in every run (see EnsembleTwin)
  let code = compiled.get(src.twin);
  if (!code) {
    code = new Function(src.twin)() as TwinCode;
    compiled.set(src.twin, code);
  }
  const { make, step } = code;
  return {
    name,
    streams: src.streams,
    usesDiffusionDerivative: false,
    wgsl: src.wgsl,
    twin: ({ batch, dt }) => ({ step, work: make(model, batch, dt) }),
  };
}
