// WGSL helpers for built-in models: numbers as f32 literals.

/** A finite number as a WGSL f32 literal. */
export function _f32(v: number): string {
  const s = Number.isInteger(v) && Math.abs(v) < 1e15 ? v.toFixed(1) : v.toPrecision(9);
  return `f32(${s})`;
}

/**
 * An elementwise snippet: `o[i] = expr` for each component, `xi` the
 * component, `t` the time (copies of the value arrays are indexed, which
 * every WGSL compiler accepts).
 */
export function _elementwise(name: string, args: string, expr: string): string {
  const dv = args.includes("dw") ? "\n  var dv = dw;" : "";
  return `fn ${name}(${args}) -> SdState {
  var o: SdState;
  var xv = x;${dv}
  for (var i = 0u; i < SD_D; i = i + 1u) {
    let xi = xv[i];
    o[i] = ${expr};
  }
  return o;
}`;
}
