// Argument checks shared by both backends, so they fail alike before any work.
import { checkFinite, checkInteger, quote, SdenoRangeError, SdenoTypeError } from "./errors.ts";
import type { Backend, DeviceArray, NoiseTerm, Term } from "./backend.ts";
import type { MapKernel } from "./map.ts";
import { checkKey, type DrawOptions } from "./philox.ts";
import { checkDrawOptions } from "./_draw_options.ts";

export function checkOwned(what: string, name: string, backend: Backend, a: unknown): void {
  const arr = a as DeviceArray | undefined;
  if (typeof arr !== "object" || arr === null || typeof arr.length !== "number") {
    throw new SdenoTypeError(`${what}: ${name} must be a DeviceArray, got ${quote(a)}`);
  }
  if (arr.backend !== backend) {
    throw new SdenoTypeError(
      `${what}: ${name} belongs to the ${arr.backend?.name} backend, not this ${backend.name} backend`,
    );
  }
}

export function checkLength(what: string, length: unknown): number {
  return checkInteger(what, "length", length);
}

export function checkLincomb(
  backend: Backend,
  out: DeviceArray,
  terms: readonly Term[],
  noise: NoiseTerm | undefined,
): Required<DrawOptions> | undefined {
  const what = "Cannot compute lincomb";
  checkOwned(what, "out", backend, out);
  if (!Array.isArray(terms)) {
    throw new SdenoTypeError(
      `${what}: terms must be an array of [coefficient, x], got ${quote(terms)}`,
    );
  }
  terms.forEach((term, k) => {
    if (!Array.isArray(term) || term.length !== 2) {
      throw new SdenoTypeError(`${what}: terms[${k}] must be [coefficient, x], got ${quote(term)}`);
    }
    checkFinite(what, `terms[${k}][0]`, term[0]);
    checkOwned(what, `terms[${k}][1]`, backend, term[1]);
    if (term[1].length !== out.length) {
      throw new SdenoTypeError(
        `${what}: terms[${k}] has length ${term[1].length}, but out has length "${out.length}"`,
      );
    }
  });
  if (noise === undefined) return undefined;
  checkFinite(what, "noise.scale", noise.scale);
  checkKey(what, noise.key);
  return checkDrawOptions(what, noise);
}

export function checkMap(
  backend: Backend,
  kernel: MapKernel,
  out: DeviceArray,
  inputs: readonly DeviceArray[],
): void {
  const what = `Cannot run map "${kernel?.name}"`;
  if (typeof kernel !== "object" || kernel === null || typeof kernel.source !== "string") {
    throw new SdenoTypeError(`${what}: kernel must come from defineMap(), got ${quote(kernel)}`);
  }
  checkOwned(what, "out", backend, out);
  if (!Array.isArray(inputs) || inputs.length !== kernel.arity) {
    throw new SdenoRangeError(
      `${what}: expected ${kernel.arity} inputs, got ${
        quote(Array.isArray(inputs) ? inputs.length : inputs)
      }`,
    );
  }
  inputs.forEach((x, k) => {
    checkOwned(what, `inputs[${k}]`, backend, x);
    if (x.length !== out.length) {
      throw new SdenoTypeError(
        `${what}: inputs[${k}] has length ${x.length}, but out has length "${out.length}"`,
      );
    }
  });
}

export function checkColumns(backend: Backend, x: DeviceArray, cols: unknown): number {
  const what = "Cannot compute column statistics";
  checkOwned(what, "x", backend, x);
  const d = checkInteger(what, "cols", cols, 1);
  if (x.length % d !== 0) {
    throw new SdenoTypeError(`${what}: length ${x.length} is not a multiple of cols "${d}"`);
  }
  return d;
}

export function checkWrite(
  backend: Backend,
  a: DeviceArray,
  data: ArrayLike<number>,
  offset: unknown,
): void {
  const what = "Cannot write";
  checkOwned(what, "a", backend, a);
  const off = checkInteger(what, "offset", offset);
  if (typeof data?.length !== "number") {
    throw new SdenoTypeError(`${what}: data must be an array of numbers, got ${quote(data)}`);
  }
  if (off + data.length > a.length) {
    throw new SdenoRangeError(
      `${what}: ${data.length} values at offset ${off} overrun an array of length "${a.length}"`,
    );
  }
}
