// Limited-memory BFGS with a Wolfe line search (private): Nocedal & Wright,
// "Numerical Optimization", 2nd ed., Alg. 7.4 (two-loop recursion, initial
// scaling γ = sᵀy / yᵀy, eq. 7.20) and Alg. 3.5–3.6 (bracketing and zoom for
// the strong Wolfe conditions, c₁ = 1e-4, c₂ = 0.9), zoom by safeguarded
// bisection. A non-finite f counts as too long a step.

export interface _LbfgsOptions {
  /** Stop when ‖∇f‖∞ ≤ gradTolerance (default 1e-8). */
  gradTolerance?: number;
  /** Stop when |f_k − f_{k+1}| ≤ fTolerance·max(|f_k|, 1) (default 1e-12). */
  fTolerance?: number;
  /** At most this many iterations (default 200). */
  maxIterations?: number;
  /** Memory m (default 10). */
  memory?: number;
}

export interface _LbfgsResult {
  x: Float64Array;
  f: number;
  grad: Float64Array;
  iterations: number;
  evaluations: number;
  converged: boolean;
  reason: "gradient" | "f-change" | "max-iterations" | "line-search";
}

/** f and its gradient at x (the gradient written into g). */
export type _Objective = (x: Float64Array, g: Float64Array) => number;

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export function _lbfgs(
  fg: _Objective,
  x0: ArrayLike<number>,
  options: _LbfgsOptions = {},
): _LbfgsResult {
  const gtol = options.gradTolerance ?? 1e-8;
  const ftol = options.fTolerance ?? 1e-12;
  const maxIt = options.maxIterations ?? 200;
  const mem = options.memory ?? 10;
  const d = x0.length;
  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(d);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new Error(`objective is not finite at the start (${f})`);
  const S: Float64Array[] = [], Y: Float64Array[] = [], RHO: number[] = [];
  const alphaK = new Float64Array(mem);
  const p = new Float64Array(d);
  let iterations = 0;
  const norm = (v: Float64Array) => v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
  for (;;) {
    if (norm(g) <= gtol) {
      return { x, f, grad: g, iterations, evaluations, converged: true, reason: "gradient" };
    }
    if (iterations >= maxIt) {
      return { x, f, grad: g, iterations, evaluations, converged: false, reason: "max-iterations" };
    }
    // two-loop recursion: p = −H ∇f
    for (let i = 0; i < d; i++) p[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      const a = RHO[k]! * dot(S[k]!, p);
      alphaK[k] = a;
      for (let i = 0; i < d; i++) p[i] = p[i]! - a * Y[k]![i]!;
    }
    if (S.length > 0) {
      const k = S.length - 1;
      const gamma = dot(S[k]!, Y[k]!) / dot(Y[k]!, Y[k]!);
      for (let i = 0; i < d; i++) p[i] = p[i]! * gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const b = RHO[k]! * dot(Y[k]!, p);
      for (let i = 0; i < d; i++) p[i] = p[i]! + S[k]![i]! * (alphaK[k]! - b);
    }
    let slope = dot(g, p);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      S.length = Y.length = RHO.length = 0;
      for (let i = 0; i < d; i++) p[i] = -g[i]!;
      slope = dot(g, p);
    }
    // first step: unit for quasi-Newton, 1/‖g‖ at the start
    const step0 = S.length === 0 ? Math.min(1, 1 / norm(g)) : 1;
    const ls = _wolfe(fg, x, f, slope, p, step0);
    evaluations += ls.evaluations;
    if (ls.x === undefined) {
      return { x, f, grad: g, iterations, evaluations, converged: false, reason: "line-search" };
    }
    const s = new Float64Array(d), y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      s[i] = ls.x[i]! - x[i]!;
      y[i] = ls.g![i]! - g[i]!;
    }
    const sy = dot(s, y);
    const fOld = f;
    x = ls.x;
    g = ls.g!;
    f = ls.f!;
    iterations++;
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (S.length === mem) {
        S.shift();
        Y.shift();
        RHO.shift();
      }
      S.push(s);
      Y.push(y);
      RHO.push(1 / sy);
    }
    if (Math.abs(fOld - f) <= ftol * Math.max(Math.abs(fOld), 1)) {
      return { x, f, grad: g, iterations, evaluations, converged: true, reason: "f-change" };
    }
  }
}

interface _LineSearch {
  x?: Float64Array;
  f?: number;
  g?: Float64Array;
  evaluations: number;
}

/** Strong Wolfe line search along p from x (Nocedal & Wright Alg. 3.5 with a bisection zoom). */
function _wolfe(
  fg: _Objective,
  x: Float64Array,
  f0: number,
  slope0: number,
  p: Float64Array,
  a1: number,
): _LineSearch {
  const c1 = 1e-4, c2 = 0.9;
  const d = x.length;
  let evaluations = 0;
  const at = (a: number) => {
    const xa = new Float64Array(d);
    for (let i = 0; i < d; i++) xa[i] = x[i]! + a * p[i]!;
    const ga = new Float64Array(d);
    const fa = fg(xa, ga);
    evaluations++;
    return { a, x: xa, f: fa, g: ga, slope: dot(ga, p) };
  };
  type Pt = ReturnType<typeof at>;
  const zoom = (
    lo: { a: number; f: number; slope: number; x?: Float64Array; g?: Float64Array },
    hiA: number,
  ): _LineSearch => {
    let loPt = lo, hi = hiA;
    for (let k = 0; k < 60; k++) {
      const pt = at(0.5 * (loPt.a + hi));
      if (!Number.isFinite(pt.f) || pt.f > f0 + c1 * pt.a * slope0 || pt.f >= loPt.f) {
        hi = pt.a;
      } else {
        if (Math.abs(pt.slope) <= -c2 * slope0) return { x: pt.x, f: pt.f, g: pt.g, evaluations };
        if (pt.slope * (hi - loPt.a) >= 0) hi = loPt.a;
        loPt = pt;
      }
      if (Math.abs(hi - loPt.a) < 1e-16 * Math.max(1, loPt.a)) break;
    }
    // accept the best sufficient-decrease point found, if any
    if (loPt.a > 0 && loPt.x !== undefined) {
      return { x: loPt.x, f: loPt.f, g: loPt.g!, evaluations };
    }
    return { evaluations };
  };
  let prev: { a: number; f: number; slope: number; x?: Float64Array; g?: Float64Array } = {
    a: 0,
    f: f0,
    slope: slope0,
  };
  let a = a1;
  for (let k = 0; k < 40; k++) {
    const pt: Pt = at(a);
    if (!Number.isFinite(pt.f) || pt.f > f0 + c1 * a * slope0 || (k > 0 && pt.f >= prev.f)) {
      return zoom(prev, a);
    }
    if (Math.abs(pt.slope) <= -c2 * slope0) return { x: pt.x, f: pt.f, g: pt.g, evaluations };
    if (pt.slope >= 0) return zoom(pt, prev.a);
    prev = pt;
    a *= 2;
  }
  return { x: prev.x!, f: prev.f, g: prev.g!, evaluations };
}
