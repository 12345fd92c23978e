/**
 * A small builder of ONNX graphs, written with `npm:onnx-proto` (the one
 * adapter file for that package): declare inputs, add initializers and
 * nodes, mark outputs, and encode a `.onnx` model that onnxruntime (node or
 * web) loads. Models are ONNX IR version 8 (the version `onnx-proto` 8.0.1
 * was compiled from) with one default-domain opset import (17 unless told).
 *
 * Values are named by strings: {@linkcode OnnxGraph.input},
 * {@linkcode OnnxGraph.initializer}, {@linkcode OnnxGraph.constant} and
 * {@linkcode OnnxGraph.op} return the name of what they made, and every node
 * input must name a value made before it, so a graph is in topological order
 * by construction and a typo fails at build time, not inside onnxruntime.
 *
 * @module
 */

import onnxProto from "npm:onnx-proto@8.0.1";
import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

const { onnx } = onnxProto;

/** Element types the builder writes. */
export type OnnxDataType = "float32" | "float64" | "int64" | "int32" | "bool";

/** One dimension of a declared shape: a size, or a symbolic name such as `"n"`. */
export type OnnxDim = number | string;

/**
 * A node attribute: a bare number (or number array) is an ONNX `INT` (`INTS`),
 * a string is a `STRING`; floats are explicit, `{ float: 0.5 }` or
 * `{ floats: [1, 2] }`, because ONNX tells ints and floats apart.
 */
export type OnnxAttribute =
  | number
  | readonly number[]
  | string
  | { readonly float: number }
  | { readonly floats: readonly number[] };

/** Options of {@linkcode OnnxGraph}. */
export interface OnnxGraphOptions {
  /** The graph's name (default "sdeno"). */
  name?: string;
  /** The default-domain opset version (default 17). */
  opset?: number;
  /** A description stored in the model's `doc_string`. */
  doc?: string;
  /** Key–value metadata stored in the model (`metadata_props`). */
  metadata?: Readonly<Record<string, string>>;
}

/** The element type and shape of a graph input or output. */
export interface OnnxValueType {
  /** The element type. */
  readonly type: OnnxDataType;
  /** The shape; strings are symbolic dimensions such as `"n"`. */
  readonly shape: readonly OnnxDim[];
}

/** Options of {@linkcode OnnxGraph.op}: attributes and output names. */
export interface OnnxOpOptions {
  /** The node's attributes. */
  attributes?: Readonly<Record<string, OnnxAttribute>>;
  /** The name of the node's output (default a fresh `<op>_<k>`). */
  output?: string;
}

const DATA_TYPES: Readonly<Record<OnnxDataType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;

type ValueInfo = { name: string; type: OnnxDataType; shape: readonly OnnxDim[] };

/**
 * Builds one ONNX graph and encodes it as model bytes.
 *
 * @example y = 2·x + 1 as an ONNX model
 * ```ts
 * import { OnnxGraph } from "./onnx_graph.ts";
 * import assert from "node:assert/strict";
 * const g = new OnnxGraph({ name: "affine" });
 * const x = g.input("x", { type: "float32", shape: ["n", 2] });
 * const y = g.op("Add", [g.op("Mul", [x, g.constant(2)]), g.constant(1)]);
 * g.output(y, { name: "y", type: "float32", shape: ["n", 2] });
 * const bytes = g.toBytes();
 * assert.ok(bytes.length > 50);
 * assert.deepEqual(g.nodeTypes(), ["Mul", "Add", "Identity"]);
 * ```
 */
export class OnnxGraph {
  readonly #name: string;
  readonly #opset: number;
  readonly #doc: string;
  readonly #metadata: Readonly<Record<string, string>>;
  readonly #inputs: ValueInfo[] = [];
  readonly #outputs: ValueInfo[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #values = new Set<string>();
  #counter = 0;

  /**
   * Starts an empty graph.
   *
   * @param options name, opset, doc string and metadata
   * @throws {SdenoRangeError} for an opset outside 7–21
   */
  constructor(options: OnnxGraphOptions = {}) {
    const what = "Cannot start the ONNX graph";
    const opset = options.opset ?? 17;
    if (!Number.isInteger(opset) || opset < 7 || opset > 21) {
      throw new SdenoRangeError(`${what}: opset must be an integer in 7–21, got ${quote(opset)}`);
    }
    this.#name = options.name ?? "sdeno";
    this.#opset = opset;
    this.#doc = options.doc ?? "";
    this.#metadata = options.metadata ?? {};
  }

  /**
   * Declares a graph input.
   *
   * @param name the input's name
   * @param value its element type and shape (strings in the shape are symbolic, e.g. `"n"`)
   * @returns the name
   * @throws {SdenoTypeError} for a bad or repeated name, type or shape
   */
  input(name: string, value: OnnxValueType): string {
    const { type, shape } = value ?? ({} as OnnxValueType);
    this.#declare("Cannot declare the ONNX input", name, type, shape);
    this.#inputs.push({ name, type, shape: [...shape] });
    return name;
  }

  /**
   * Adds a constant tensor stored in the model (weights, biases, tables).
   *
   * @param name its name
   * @param data the values, row-major; for `int64` numbers or a BigInt64Array
   * @param options its element type (default float32) and shape (default `[data.length]`)
   * @returns the name
   * @throws {SdenoTypeError} for a repeated name or data that does not fill the shape
   */
  initializer(
    name: string,
    data: ArrayLike<number> | BigInt64Array,
    options: { type?: OnnxDataType; shape?: readonly number[] } = {},
  ): string {
    const what = "Cannot add the ONNX initializer";
    const type = options.type ?? "float32";
    const shape = options.shape ?? [data.length];
    this.#declare(what, name, type, shape);
    const size = shape.reduce<number>((a, b) => a * (b as number), 1);
    if (size !== data.length) {
      throw new SdenoTypeError(
        `${what}: ${quote(name)} has ${data.length} values, its shape ${
          quote(shape)
        } needs ${size}`,
      );
    }
    this.#initializers.push({
      name,
      dataType: DATA_TYPES[type],
      dims: [...shape] as number[],
      rawData: rawBytes(data, type, what, name),
    });
    return name;
  }

  /**
   * A constant under a fresh name: a scalar for a number, else a 1-D tensor.
   *
   * @param value a number or a list
   * @param type the element type (default float32)
   * @returns its name
   */
  constant(value: number | readonly number[], type: OnnxDataType = "float32"): string {
    const name = this.#fresh("const");
    if (typeof value === "number") return this.initializer(name, [value], { type, shape: [] });
    return this.initializer(name, value, { type });
  }

  /**
   * Adds a node with one output (default domain).
   *
   * @param opType the ONNX operator, e.g. `"MatMul"`
   * @param inputs names of values made before (`""` for an omitted optional input)
   * @param options attributes and the output's name
   * @returns the output's name
   * @throws {SdenoTypeError} when an input names no value made before, or the output is taken
   */
  op(opType: string, inputs: readonly string[], options: OnnxOpOptions = {}): string {
    const what = `Cannot add the ONNX ${opType} node`;
    if (typeof opType !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(opType)) {
      throw new SdenoTypeError(`${what}: opType must be an operator name, got ${quote(opType)}`);
    }
    for (const [i, input] of inputs.entries()) {
      if (input !== "" && !this.#values.has(input)) {
        throw new SdenoTypeError(
          `${what}: input ${i} names no value made before, got ${quote(input)}`,
        );
      }
    }
    const output = options.output ?? this.#fresh(opType.toLowerCase());
    this.#claim(what, output);
    this.#nodes.push({
      opType,
      name: `${opType}_${this.#nodes.length}`,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(options.attributes ?? {}).map(([k, v]) => attribute(what, k, v)),
    });
    return output;
  }

  /**
   * Marks a value as a graph output under `name` (default the value's name;
   * an Identity node renames it when the names differ).
   *
   * @param value the value's name
   * @param output the output's name, element type and declared shape
   * @throws {SdenoTypeError} for an unknown value or a repeated name
   */
  output(value: string, output: OnnxValueType & { readonly name?: string }): void {
    const what = "Cannot declare the ONNX output";
    const { type, shape } = output ?? ({} as OnnxValueType);
    const name = output?.name ?? value;
    if (!this.#values.has(value)) {
      throw new SdenoTypeError(`${what}: ${quote(value)} names no value made before`);
    }
    checkShape(what, name, shape);
    if (!(type in DATA_TYPES)) {
      throw new SdenoTypeError(
        `${what}: type must be one of ${Object.keys(DATA_TYPES).join(", ")}, got ${quote(type)}`,
      );
    }
    if (this.#outputs.some((o) => o.name === name)) {
      throw new SdenoTypeError(`${what}: ${quote(name)} is already an output`);
    }
    if (value !== name || this.#inputs.some((i) => i.name === name)) {
      this.op("Identity", [value], { output: name });
    }
    this.#outputs.push({ name, type, shape: [...shape] });
  }

  /**
   * The operator types of the nodes, in order.
   *
   * @returns the list
   */
  nodeTypes(): string[] {
    return this.#nodes.map((n) => n.opType!);
  }

  /**
   * Encodes the model (ONNX IR 8, protobuf).
   *
   * @returns the `.onnx` bytes
   * @throws {SdenoTypeError} when the graph has no input or no output
   */
  toBytes(): Uint8Array {
    const what = "Cannot encode the ONNX graph";
    if (this.#inputs.length === 0 || this.#outputs.length === 0) {
      throw new SdenoTypeError(`${what}: it needs at least one input and one output`);
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "sdeno",
      producerVersion: "0.1.0",
      docString: this.#doc,
      opsetImport: [{ domain: "", version: this.#opset }],
      metadataProps: Object.entries(this.#metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.#name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs.map(valueInfo),
        output: this.#outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  #fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#counter++}`; while (this.#values.has(name));
    return name;
  }

  #claim(what: string, name: string): void {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new SdenoTypeError(`${what}: a value name must match ${NAME}, got ${quote(name)}`);
    }
    if (this.#values.has(name)) {
      throw new SdenoTypeError(`${what}: the name ${quote(name)} is already taken`);
    }
    this.#values.add(name);
  }

  #declare(what: string, name: string, type: OnnxDataType, shape: readonly OnnxDim[]): void {
    if (!(type in DATA_TYPES)) {
      throw new SdenoTypeError(
        `${what}: type must be one of ${Object.keys(DATA_TYPES).join(", ")}, got ${quote(type)}`,
      );
    }
    checkShape(what, name, shape);
    this.#claim(what, name);
  }
}

function checkShape(what: string, name: string, shape: readonly OnnxDim[]): void {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) =>
      (Number.isInteger(d) && (d as number) >= 0) || (typeof d === "string" && NAME.test(d))
    )
  ) {
    throw new SdenoTypeError(
      `${what}: the shape of ${quote(name)} must list sizes or symbolic names, got ${quote(shape)}`,
    );
  }
}

function valueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[v.type],
        shape: {
          dim: v.shape.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }),
        },
      },
    },
  };
}

function attribute(what: string, name: string, v: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "number" && Number.isInteger(v)) return { name, type: T.INT, i: v };
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) && v.every((e) => Number.isInteger(e))) {
    return { name, type: T.INTS, ints: [...v] as number[] };
  }
  if (v !== null && typeof v === "object" && "float" in v && Number.isFinite(v.float)) {
    return { name, type: T.FLOAT, f: v.float };
  }
  if (v !== null && typeof v === "object" && "floats" in v && Array.isArray(v.floats)) {
    return { name, type: T.FLOATS, floats: [...v.floats] };
  }
  throw new SdenoTypeError(
    `${what}: attribute ${quote(name)} must be an integer, integer list, string, ` +
      `{ float } or { floats }, got ${quote(v)}`,
  );
}

function rawBytes(
  data: ArrayLike<number> | BigInt64Array,
  type: OnnxDataType,
  what: string,
  name: string,
): Uint8Array {
  let typed: ArrayBufferView;
  if (type === "int64") {
    if (data instanceof BigInt64Array) typed = data;
    else {
      const a = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (!Number.isSafeInteger(v)) {
          throw new SdenoTypeError(`${what}: ${quote(name)}[${i}] must be an integer, got ${v}`);
        }
        a[i] = BigInt(v);
      }
      typed = a;
    }
  } else if (data instanceof BigInt64Array) {
    throw new SdenoTypeError(`${what}: ${quote(name)} holds BigInts but its type is ${type}`);
  } else if (type === "float32") typed = Float32Array.from(data);
  else if (type === "float64") typed = Float64Array.from(data);
  else if (type === "int32") typed = Int32Array.from(data);
  else typed = Uint8Array.from(data, (v) => (v ? 1 : 0));
  // TypedArrays are little-endian on every platform Deno runs on, as ONNX raw_data requires.
  return new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
}
