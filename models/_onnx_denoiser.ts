// The runtime-independent core of the ONNX denoiser: one session of onnxruntime (node or web,
// both speak onnxruntime-common's API) behind the Denoiser interface. models/onnx.ts and
// models/onnx_web.ts bind it to a runtime; nothing here imports a package.
import type { DeviceArray } from "../kernels/backend.ts";
import { CpuArray } from "../kernels/cpu_backend.ts";
import { quote, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import {
  type Conditioning,
  type Denoiser,
  denoiserFromNative,
  PREDICTION_KINDS,
  type PredictionKind,
} from "./denoiser.ts";

/** A tensor of onnxruntime-common, as far as we use it. @internal */
export interface _OrtTensor {
  readonly type: string;
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}

/** One input's or output's metadata (onnxruntime ≥ 1.21). @internal */
export interface _OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** A session of onnxruntime-common, as far as we use it. @internal */
export interface _OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly _OrtValueMetadata[];
  readonly outputMetadata?: readonly _OrtValueMetadata[];
  run(feeds: Record<string, _OrtTensor>): Promise<Record<string, _OrtTensor>>;
  release(): Promise<void>;
}

/** The runtime module (onnxruntime-node or onnxruntime-web). @internal */
export interface _OrtModule {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<_OrtSession>;
  };
  readonly Tensor: new (
    type: string,
    data: ArrayLike<number> | BigInt64Array | Int32Array | Float32Array | Float64Array,
    dims: readonly number[],
  ) => _OrtTensor;
}

/**
 * How the model reads time, computed from the sampler's time t on the
 * schedule (α = α(t), σ = σ(t)):
 *
 * - `"t"`: t itself (continuous-time models, e.g. score SDE, flow matching);
 * - `"ddpm"`: the discrete DDPM index `1000·(t − 1/N)` (DPM-Solver's
 *   `model_wrapper` for discrete-time models, Lu et al. 2022, App. D),
 *   N = `ddpmSteps`;
 * - `"sigma"`: the variance-exploding noise level σ/α (EDM's and k-diffusion's
 *   σ; equal to t on the EDM schedule);
 * - `"cNoise"`: EDM's network input `c_noise = ln(σ/α)/4` (Karras et al.
 *   2022, Table 1);
 * - a function `(t, schedule) → value` for anything else.
 */
export type OnnxTimeInput =
  | "t"
  | "ddpm"
  | "sigma"
  | "cNoise"
  | ((t: number, schedule: NoiseSchedule) => number);

/** Where the model comes from: a file path, a `file:` / `https:` URL, or the bytes. */
export type OnnxModelSource = string | URL | Uint8Array;

/** Options of `onnxDenoiser` (models/onnx.ts and models/onnx_web.ts). */
export interface OnnxDenoiserOptions {
  /** The schedule the model was trained on (α(t), σ(t) of its inputs). */
  schedule: NoiseSchedule;
  /** What the model outputs: eps, x0, v, velocity (or score). */
  kind: PredictionKind;
  /** How the model reads time (default `"t"`). */
  time?: OnnxTimeInput;
  /** N of the `"ddpm"` time input (default the schedule's `totalSteps`, else 1000). */
  ddpmSteps?: number;
  /**
   * Shape of one point as the model sees it, e.g. `[1, 8, 8]` for NCHW
   * images; default the model's declared shape of `x` after the batch axis.
   * Batches stay flat (n·C·H·W, point-major), as everywhere in sdeno.
   */
  shape?: readonly number[];
  /** Names of the model's inputs (defaults `x`, `t`, and `labels` when the model has one). */
  inputs?: { readonly x?: string; readonly t?: string; readonly labels?: string };
  /** Name of the output to read (default the model's only output). */
  output?: string;
  /** Conditioning tensor name → model input name (default: the same name). */
  tensors?: Readonly<Record<string, string>>;
  /** Labels must be integers in [0, labelCount) (default: any non-negative integer). */
  labelCount?: number;
  /** Points per onnxruntime call (default 4096); larger batches run in chunks. */
  maxBatch?: number;
  /** Passed to `InferenceSession.create` (execution providers, threads, …). */
  sessionOptions?: Record<string, unknown>;
}

/** A denoiser backed by an onnxruntime session. */
export interface OnnxDenoiser extends Denoiser {
  /** The model's input names, as declared in the file. */
  readonly inputNames: readonly string[];
  /** The model's output names. */
  readonly outputNames: readonly string[];
  /** Shape of one point (e.g. `[2]`, or `[C, H, W]`). */
  readonly pointShape: readonly number[];
  /** Points per onnxruntime call. */
  readonly maxBatch: number;
  /** onnxruntime calls made so far (one per chunk). */
  readonly runs: number;
  /** Releases the session; later predictions throw. */
  close(): Promise<void>;
  /** The same as {@linkcode OnnxDenoiser.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

type Layout = "scalar" | "one" | "rows" | "column";

const FLOAT_TYPES = ["float32", "float64"];

/** Reads the model bytes from a path, URL or the bytes themselves. @internal */
export async function _readModel(source: OnnxModelSource, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (typeof source !== "string" && !(source instanceof URL)) {
    throw new SdenoTypeError(
      `${what}: the model must be a path, a URL or bytes (Uint8Array), got ${quote(source)}`,
    );
  }
  const url = source instanceof URL ? source : undefined;
  try {
    if (url && url.protocol !== "file:") {
      const res = await fetch(url);
      if (!res.ok) {
        throw new SdenoRangeError(`${what}: fetching ${quote(url.href)} gave HTTP ${res.status}`);
      }
      return new Uint8Array(await res.arrayBuffer());
    }
    return await Deno.readFile(source);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new SdenoRangeError(`${what}: no file at ${quote(String(source))}`, { cause });
    }
    throw cause;
  }
}

/**
 * Opens a session on `runtime` and wraps it as a denoiser (see models/onnx.ts for the
 * documented entry point).
 *
 * @internal
 */
export async function _onnxDenoiser(
  runtime: _OrtModule,
  model: OnnxModelSource,
  options: OnnxDenoiserOptions,
): Promise<OnnxDenoiser> {
  const what = "Cannot load the ONNX model";
  const o = checkOptions(what, options);
  const bytes = await _readModel(model, what);
  const label = typeof model === "string"
    ? quote(model)
    : model instanceof URL
    ? quote(model.href)
    : `(${bytes.length} bytes)`;
  let session: _OrtSession;
  try {
    session = await runtime.InferenceSession.create(bytes, options.sessionOptions ?? {});
  } catch (cause) {
    throw new SdenoParseError(
      `${what}: onnxruntime cannot read ${label} as an ONNX model: ${
        String((cause as Error)?.message ?? cause).split("\n")[0]
      }`,
      { cause },
    );
  }
  try {
    return bind(runtime, session, o);
  } catch (err) {
    await session.release();
    throw err;
  }
}

interface Checked {
  schedule: NoiseSchedule;
  kind: PredictionKind;
  time: (t: number) => number;
  shape: readonly number[] | undefined;
  names: { x: string; t: string; labels: string | undefined };
  output: string | undefined;
  tensors: Readonly<Record<string, string>>;
  labelCount: number;
  maxBatch: number;
}

function checkOptions(what: string, options: OnnxDenoiserOptions): Checked {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const { schedule, kind } = options;
  if (schedule === null || typeof schedule?.alpha !== "function") {
    throw new SdenoTypeError(`${what}: options.schedule must be a NoiseSchedule`);
  }
  if (!PREDICTION_KINDS.includes(kind)) {
    throw new SdenoRangeError(
      `${what}: options.kind must be one of ${PREDICTION_KINDS.join(", ")}, got ${quote(kind)}`,
    );
  }
  const steps = options.ddpmSteps ??
    (schedule as { totalSteps?: number }).totalSteps ?? 1000;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new SdenoRangeError(
      `${what}: options.ddpmSteps must be a positive integer, got ${quote(steps)}`,
    );
  }
  const mode = options.time ?? "t";
  let time: (t: number) => number;
  if (typeof mode === "function") time = (t) => mode(t, schedule);
  else if (mode === "t") time = (t) => t;
  // DPM-Solver's discrete-time label: t_input = 1000·(t − 1/N)
  else if (mode === "ddpm") time = (t) => 1000 * (t - 1 / steps);
  else if (mode === "sigma") time = (t) => schedule.sigma(t) / schedule.alpha(t);
  // EDM (Karras et al. 2022, Table 1): c_noise(σ) = ¼ ln σ
  else if (mode === "cNoise") time = (t) => Math.log(schedule.sigma(t) / schedule.alpha(t)) / 4;
  else {
    throw new SdenoRangeError(
      `${what}: options.time must be "t", "ddpm", "sigma", "cNoise" or a function, got ${
        quote(mode)
      }`,
    );
  }
  const shape = options.shape;
  if (
    shape !== undefined &&
    (!Array.isArray(shape) || shape.length === 0 ||
      !shape.every((d) => Number.isInteger(d) && d > 0))
  ) {
    throw new SdenoTypeError(
      `${what}: options.shape must list positive sizes of one point, got ${quote(shape)}`,
    );
  }
  const maxBatch = options.maxBatch ?? 4096;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new SdenoRangeError(
      `${what}: options.maxBatch must be a positive integer, got ${quote(maxBatch)}`,
    );
  }
  const labelCount = options.labelCount ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(labelCount) || labelCount < 1) {
    throw new SdenoRangeError(
      `${what}: options.labelCount must be a positive integer, got ${quote(labelCount)}`,
    );
  }
  return {
    schedule,
    kind,
    time,
    shape,
    names: {
      x: options.inputs?.x ?? "x",
      t: options.inputs?.t ?? "t",
      labels: options.inputs?.labels,
    },
    output: options.output,
    tensors: options.tensors ?? {},
    labelCount,
    maxBatch,
  };
}

function bind(runtime: _OrtModule, session: _OrtSession, o: Checked): OnnxDenoiser {
  const what = "Cannot use the ONNX model";
  const inputs = [...session.inputNames], outputs = [...session.outputNames];
  const list = (names: string[]) => names.map((n) => quote(n)).join(", ");
  const meta = new Map<string, _OrtValueMetadata>();
  for (const m of session.inputMetadata ?? []) meta.set(m.name, m);
  const outMeta = new Map<string, _OrtValueMetadata>();
  for (const m of session.outputMetadata ?? []) outMeta.set(m.name, m);
  const needInput = (name: string, role: string, option: string) => {
    if (!inputs.includes(name)) {
      throw new SdenoTypeError(
        `${what}: it has no input ${quote(name)} for ${role} (its inputs: ${
          list(inputs)
        }); name it with ${option}`,
      );
    }
  };
  needInput(o.names.x, "x", "options.inputs.x");
  needInput(o.names.t, "the time", "options.inputs.t");
  let labelsName = o.names.labels;
  if (labelsName !== undefined) needInput(labelsName, "the labels", "options.inputs.labels");
  else if (inputs.includes("labels")) labelsName = "labels";
  let output = o.output;
  if (output === undefined) {
    if (outputs.length !== 1) {
      throw new SdenoTypeError(
        `${what}: it has ${outputs.length} outputs (${
          list(outputs)
        }); choose one with options.output`,
      );
    }
    output = outputs[0]!;
  } else if (!outputs.includes(output)) {
    throw new SdenoTypeError(
      `${what}: it has no output ${quote(output)} (its outputs: ${list(outputs)})`,
    );
  }
  // x: a float tensor [batch, ...point shape]
  const xMeta = meta.get(o.names.x);
  const xType = xMeta?.type ?? "float32";
  if (!FLOAT_TYPES.includes(xType)) {
    throw new SdenoTypeError(
      `${what}: its input ${quote(o.names.x)} has type ${xType}; expected float32 or float64`,
    );
  }
  let pointShape = o.shape;
  const declared = xMeta?.shape;
  if (declared) {
    if (pointShape && declared.length !== pointShape.length + 1) {
      throw new SdenoTypeError(
        `${what}: its input ${quote(o.names.x)} has rank ${declared.length} (shape ${
          quote(declared)
        }), but options.shape ${quote(pointShape)} needs rank ${pointShape.length + 1}`,
      );
    }
    if (declared.length < 2) {
      throw new SdenoTypeError(
        `${what}: its input ${quote(o.names.x)} has rank ${declared.length} (shape ${
          quote(declared)
        }); expected [batch, ...shape of one point]`,
      );
    }
    const rest = declared.slice(1);
    if (pointShape) {
      rest.forEach((d, i) => {
        if (typeof d === "number" && d !== pointShape![i]) {
          throw new SdenoTypeError(
            `${what}: its input ${quote(o.names.x)} has shape ${quote(declared)}, which does ` +
              `not match options.shape ${quote(pointShape)}`,
          );
        }
      });
    } else if (rest.every((d) => typeof d === "number" && d > 0)) {
      pointShape = rest as number[];
    }
  }
  if (!pointShape) {
    throw new SdenoTypeError(
      `${what}: the shape of one point is not declared in the model (${
        quote(declared ?? "no metadata")
      }); give options.shape`,
    );
  }
  const dim = pointShape.reduce((a, b) => a * b, 1);
  const tMeta = meta.get(o.names.t);
  const tType = tMeta?.type ?? "float32";
  const tLayout = layoutOf(what, o.names.t, tMeta, "the time");
  if (![...FLOAT_TYPES, "int64", "int32"].includes(tType)) {
    throw new SdenoTypeError(
      `${what}: its time input ${quote(o.names.t)} has type ${tType}; expected a float or int type`,
    );
  }
  const lMeta = labelsName ? meta.get(labelsName) : undefined;
  const lType = lMeta?.type ?? "int64";
  const lLayout = labelsName ? layoutOf(what, labelsName, lMeta, "the labels") : "rows";
  if (labelsName && !["int64", "int32", ...FLOAT_TYPES].includes(lType)) {
    throw new SdenoTypeError(
      `${what}: its labels input ${quote(labelsName)} has type ${lType}; expected int64, ` +
        `int32 or a float type`,
    );
  }
  const oType = outMeta.get(output)?.type ?? "float32";
  if (!FLOAT_TYPES.includes(oType)) {
    throw new SdenoTypeError(
      `${what}: its output ${quote(output)} has type ${oType}; expected float32 or float64`,
    );
  }
  // the other inputs come from conditioning tensors
  const tensorInputs = new Map<string, string>(); // model input → conditioning name
  for (const [cond, input] of Object.entries(o.tensors)) {
    needInput(input, `the conditioning tensor ${quote(cond)}`, "options.tensors");
    tensorInputs.set(input, cond);
  }
  const known = new Set([o.names.x, o.names.t, ...(labelsName ? [labelsName] : [])]);
  for (const name of inputs) {
    if (!known.has(name) && !tensorInputs.has(name)) tensorInputs.set(name, name);
  }

  const { schedule, maxBatch, labelCount } = o;
  let closed = false;
  let runs = 0;
  const xBuffers = new Map<number, Float32Array | Float64Array>();

  async function predict(
    x: DeviceArray,
    t: number,
    out: DeviceArray,
    conditioning: Conditioning | undefined,
  ): Promise<void> {
    const call = "Cannot evaluate the ONNX model";
    if (closed) throw new SdenoTypeError(`${call}: its session is closed`);
    if (x.length % dim !== 0 || x.length === 0) {
      throw new SdenoTypeError(
        `${call}: x has length ${x.length}, expected a positive multiple of the point size ${dim}`,
      );
    }
    if (out.length !== x.length) {
      throw new SdenoTypeError(`${call}: out has length ${out.length}, x has ${x.length}`);
    }
    if (!Number.isFinite(t)) {
      throw new SdenoRangeError(`${call}: t must be finite, got ${quote(t)}`);
    }
    const n = x.length / dim;
    const tValue = o.time(t);
    if (!Number.isFinite(tValue)) {
      throw new SdenoRangeError(
        `${call}: the time input at t = ${quote(t)} is ${quote(tValue)}, not finite`,
      );
    }
    if (tType.startsWith("int") && Math.abs(tValue - Math.round(tValue)) > 1e-6) {
      throw new SdenoRangeError(
        `${call}: the model's time input ${quote(o.names.t)} is ${tType}, but the time value ` +
          `at t = ${quote(t)} is ${quote(tValue)}, not an integer`,
      );
    }
    const labels = labelsName ? checkLabels(call, conditioning, n, labelCount) : undefined;
    const tensors = checkTensors(call, conditioning, n, tensorInputs, inputs);
    const host = x instanceof CpuArray ? x.data : await x.backend.download(x);
    const result = out instanceof CpuArray ? out.data : new Float64Array(x.length);
    for (let r0 = 0; r0 < n; r0 += maxBatch) {
      const rows = Math.min(maxBatch, n - r0);
      let xb = xBuffers.get(rows);
      if (!xb) {
        xb = xType === "float64" ? new Float64Array(rows * dim) : new Float32Array(rows * dim);
        if (xBuffers.size > 4) xBuffers.clear();
        xBuffers.set(rows, xb);
      }
      xb.set(host.subarray(r0 * dim, (r0 + rows) * dim));
      const dims = [rows, ...pointShape!];
      const feeds: Record<string, _OrtTensor> = {
        [o.names.x]: new runtime.Tensor(xType, xb, dims),
        [o.names.t]: tensorOf(runtime, tType, tLayout, rows, () => tValue),
      };
      if (labelsName && labels) {
        feeds[labelsName] = tensorOf(
          runtime,
          lType,
          lLayout,
          rows,
          (i) => labels.length === 1 ? labels[0]! : labels[r0 + i]!,
        );
      }
      for (const [input, cond] of tensorInputs) {
        feeds[input] = conditioningTensor(runtime, meta.get(input), tensors[cond]!, r0, rows);
      }
      let res: Record<string, _OrtTensor>;
      try {
        res = await session.run(feeds);
      } catch (cause) {
        throw new SdenoTypeError(
          `${call}: onnxruntime rejected the inputs (${
            Object.entries(feeds).map(([k, v]) => `${k}: ${v.type}${quote(v.dims)}`).join(", ")
          }): ${String((cause as Error)?.message ?? cause).split("\n").join(" ")}`,
          { cause },
        );
      }
      runs++;
      const y = res[output!]!;
      if (y.dims.length !== dims.length || y.dims.some((d, i) => d !== dims[i])) {
        throw new SdenoTypeError(
          `${call}: its output ${quote(output)} has shape ${quote(y.dims)}, but the input ` +
            `${quote(o.names.x)} has ${
              quote(dims)
            }; a denoiser's output must have its input's shape`,
        );
      }
      if (!(y.data instanceof Float32Array || y.data instanceof Float64Array)) {
        throw new SdenoTypeError(
          `${call}: its output ${quote(output)} has type ${y.type}; expected float32 or float64`,
        );
      }
      result.set(y.data, r0 * dim);
    }
    if (!(out instanceof CpuArray)) await out.backend.write(out, result);
  }

  const base = denoiserFromNative({ dim, schedule, kind: o.kind, predict });
  const close = async () => {
    if (closed) return;
    closed = true;
    await session.release();
  };
  return Object.freeze({
    ...base,
    inputNames: Object.freeze(inputs),
    outputNames: Object.freeze(outputs),
    pointShape: Object.freeze([...pointShape]),
    maxBatch,
    get runs() {
      return runs;
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}

function layoutOf(
  what: string,
  name: string,
  m: _OrtValueMetadata | undefined,
  role: string,
): Layout {
  const shape = m?.shape;
  if (!shape) return "rows";
  if (shape.length === 0) return "scalar";
  if (shape.length === 1) return shape[0] === 1 ? "one" : "rows";
  if (shape.length === 2 && shape[1] === 1) return "column";
  throw new SdenoTypeError(
    `${what}: its input ${quote(name)} for ${role} has shape ${
      quote(shape)
    }; expected a scalar, [1], [batch] or [batch, 1]`,
  );
}

function tensorOf(
  runtime: _OrtModule,
  type: string,
  layout: Layout,
  rows: number,
  value: (i: number) => number,
): _OrtTensor {
  const count = layout === "scalar" || layout === "one" ? 1 : rows;
  const dims = layout === "scalar"
    ? []
    : layout === "one"
    ? [1]
    : layout === "rows"
    ? [rows]
    : [rows, 1];
  let data: Float32Array | Float64Array | BigInt64Array | Int32Array;
  if (type === "int64") {
    data = new BigInt64Array(count);
    for (let i = 0; i < count; i++) data[i] = BigInt(Math.round(value(i)));
  } else {
    data = type === "float64"
      ? new Float64Array(count)
      : type === "int32"
      ? new Int32Array(count)
      : new Float32Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = type === "int32" ? Math.round(value(i)) : value(i);
    }
  }
  return new runtime.Tensor(type, data, dims);
}

function checkLabels(
  what: string,
  c: Conditioning | undefined,
  n: number,
  count: number,
): ArrayLike<number> {
  const labels = c?.labels;
  if (labels === undefined) {
    throw new SdenoTypeError(
      `${what}: the model takes class labels; pass conditioning.labels (one per point or one)`,
    );
  }
  if (labels.length !== n && labels.length !== 1) {
    throw new SdenoTypeError(
      `${what}: conditioning.labels has ${labels.length} entries; expected 1 or ${n} (one per point)`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= count) {
      throw new SdenoRangeError(
        `${what}: conditioning.labels[${i}] must be an integer in [0, ${count}), got ${quote(l)}`,
      );
    }
  }
  return labels;
}

type CondTensor = NonNullable<Conditioning["tensors"]>[string];

function checkTensors(
  what: string,
  c: Conditioning | undefined,
  n: number,
  inputsOf: Map<string, string>,
  modelInputs: readonly string[],
): Record<string, CondTensor> {
  const given = c?.tensors ?? {};
  const wanted = new Set(inputsOf.values());
  for (const name of Object.keys(given)) {
    if (!wanted.has(name)) {
      throw new SdenoTypeError(
        `${what}: conditioning.tensors has ${quote(name)}, which feeds no model input (its ` +
          `inputs: ${modelInputs.map((m) => quote(m)).join(", ")}; map names with options.tensors)`,
      );
    }
  }
  for (const [input, name] of inputsOf) {
    const t = given[name];
    if (!t) {
      throw new SdenoTypeError(
        `${what}: the model's input ${quote(input)} needs conditioning.tensors[${quote(name)}]`,
      );
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (
      t.shape.length === 0 || size !== t.data.length || (t.shape[0] !== n && t.shape[0] !== 1)
    ) {
      throw new SdenoTypeError(
        `${what}: conditioning.tensors[${quote(name)}] has shape ${
          quote(t.shape)
        } and ${t.data.length} ` +
          `values; expected [${n} or 1, ...] filled`,
      );
    }
  }
  return given as Record<string, CondTensor>;
}

function conditioningTensor(
  runtime: _OrtModule,
  m: _OrtValueMetadata | undefined,
  t: CondTensor,
  r0: number,
  rows: number,
): _OrtTensor {
  const type = m?.type ?? "float32";
  const rowSize = t.data.length / t.shape[0]!;
  const sharedFixed = t.shape[0] === 1 && m?.shape?.[0] === 1;
  const count = sharedFixed ? 1 : rows;
  const data = type === "float64"
    ? new Float64Array(count * rowSize)
    : new Float32Array(count * rowSize);
  if (t.shape[0] === 1) { for (let i = 0; i < count; i++) data.set(t.data, i * rowSize); }
  else data.set(t.data.subarray(r0 * rowSize, (r0 + rows) * rowSize));
  return new runtime.Tensor(type, data, [count, ...t.shape.slice(1)]);
}
