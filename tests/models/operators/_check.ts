// Test helpers for the measurement operators: materialise an operator's maps by applying them to
// basis vectors (cpu, float64), read the stored dense A of the image benchmarks, and check the
// identities every linear operator must satisfy.
import assert from "node:assert/strict";
import { CpuBackend, type DeviceArray } from "../../../kernels/mod.ts";
import type { LinearOperator } from "../../../models/operators/operator.ts";

export const cpu = new CpuBackend();

const IMAGES = new URL("../../fixtures/inverse/images/", import.meta.url);

/** The stored float64 file of the image benchmarks (tests/fixtures/inverse/images). */
export function readImageF64(name: string): Float64Array {
  const bytes = Deno.readFileSync(new URL(name, IMAGES));
  return new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

/** The matrix (rows × cols, row-major) of a row map from cols to rows, applied to the identity. */
export async function materialise(
  f: (x: DeviceArray, out: DeviceArray) => Promise<void>,
  cols: number,
  rows: number,
): Promise<Float64Array> {
  const eye = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) eye[i * cols + i] = 1;
  const out = cpu.zeros(cols * rows);
  await f(cpu.upload(eye), out);
  const t = await cpu.download(out); // row i = M e_i, i.e. column i of M
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < rows; j++) m[j * cols + i] = t[i * rows + j]!;
  return m;
}

/** Largest absolute difference. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** C = A (m × k) · B (k × n), row-major. */
export function mul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < k; l++) {
      const ail = a[i * k + l]!;
      if (ail === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + ail * b[l * n + j]!;
    }
  }
  return c;
}

/** The transpose of an m × n row-major matrix. */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/**
 * Checks Aᵀ against A (materialised, and ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ on given vectors), the vjp, and,
 * where present, A A⁺ A = A, A⁺ A A⁺ = A⁺, U diag(s) Vᵀ = A with U and V orthogonal. Returns A.
 */
export async function checkLinearIdentities(
  op: LinearOperator,
  tol = 1e-13,
): Promise<Float64Array> {
  const d = op.inDim, m = op.outDim;
  const a = await materialise(op.apply, d, m);
  const at = await materialise(op.applyTranspose, m, d);
  assert.ok(maxDiff(at, transpose(a, m, d)) <= tol, `${op.name}: Aᵀ is not the transpose`);
  if (op.vjp) {
    const vjp = await materialise((v, out) => op.vjp!(cpu.zeros(v.length / m * d), v, out), m, d);
    assert.ok(maxDiff(vjp, at) <= tol, `${op.name}: vjp is not Aᵀ`);
  }
  // ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ on a pseudo-random pair
  const x = Float64Array.from({ length: d }, (_, i) => Math.sin(1.7 * i + 0.3));
  const y = Float64Array.from({ length: m }, (_, i) => Math.cos(0.9 * i + 0.1));
  const ax = cpu.zeros(m), aty = cpu.zeros(d);
  await op.apply(cpu.upload(x), ax);
  await op.applyTranspose(cpu.upload(y), aty);
  const axh = await cpu.download(ax), atyh = await cpu.download(aty);
  let l = 0, r = 0;
  for (let i = 0; i < m; i++) l += axh[i]! * y[i]!;
  for (let i = 0; i < d; i++) r += x[i]! * atyh[i]!;
  assert.ok(Math.abs(l - r) <= tol * (1 + Math.abs(l)), `${op.name}: ⟨Ax,y⟩ ${l} ≠ ⟨x,Aᵀy⟩ ${r}`);
  if (op.pseudoInverse) {
    const p = await materialise(op.pseudoInverse, m, d);
    const apa = mul(mul(a, p, m, d, m), a, m, m, d);
    assert.ok(maxDiff(apa, a) <= tol, `${op.name}: A A⁺ A ≠ A (${maxDiff(apa, a)})`);
    const pap = mul(mul(p, a, d, m, d), p, d, d, m);
    // A⁺ has entries up to 1/s_min, and its rounding grows with the condition number κ
    const sv = op.svd?.singularValues;
    const kappa = sv && sv.length > 0 ? sv[0]! / sv[sv.length - 1]! : 1;
    const pmax = Math.max(...p.map(Math.abs));
    assert.ok(
      maxDiff(pap, p) <= Math.max(tol, 1e-15) * 10 * kappa * pmax,
      `${op.name}: A⁺ A A⁺ ≠ A⁺ (${maxDiff(pap, p)}, κ ${kappa})`,
    );
  }
  if (op.svd) {
    const s = op.svd.singularValues;
    for (let k = 1; k < s.length; k++) assert.ok(s[k - 1]! >= s[k]!, `${op.name}: s not sorted`);
    assert.ok(s.length <= Math.min(m, d) && s.every((v) => v > 0));
    const vt = await materialise(op.svd.applyVt, d, d);
    const v = await materialise(op.svd.applyV, d, d);
    const ut = await materialise(op.svd.applyUt, m, m);
    const u = await materialise(op.svd.applyU, m, m);
    assert.ok(maxDiff(v, transpose(vt, d, d)) <= tol, `${op.name}: V ≠ (Vᵀ)ᵀ`);
    assert.ok(maxDiff(u, transpose(ut, m, m)) <= tol, `${op.name}: U ≠ (Uᵀ)ᵀ`);
    const eyeD = new Float64Array(d * d), eyeM = new Float64Array(m * m);
    for (let i = 0; i < d; i++) eyeD[i * d + i] = 1;
    for (let i = 0; i < m; i++) eyeM[i * m + i] = 1;
    assert.ok(maxDiff(mul(vt, v, d, d, d), eyeD) <= tol, `${op.name}: V not orthogonal`);
    assert.ok(maxDiff(mul(ut, u, m, m, m), eyeM) <= tol, `${op.name}: U not orthogonal`);
    // U diag(s) Vᵀ, with s padded by zeros to m × d
    const us = new Float64Array(m * d);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < s.length; k++) us[i * d + k] = u[i * m + k]! * s[k]!;
    }
    const usv = mul(us, vt, m, d, d);
    assert.ok(maxDiff(usv, a) <= tol, `${op.name}: U S Vᵀ ≠ A (${maxDiff(usv, a)})`);
  }
  return a;
}
