/**
 * Reaction networks from the neutral JSON form (`crn-json/0.1`).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { type MassActionConvention, ReactionNetwork } from "./reaction_network.ts";

/** Options of {@linkcode reactionNetworkFromJson}. */
export interface ReactionNetworkFromJsonOptions {
  /** Which model, when the document holds several under `models`. */
  model?: string;
  /** Mass-action convention of the rates (default `combinatorial`). */
  convention?: MassActionConvention;
}

/**
 * Builds a network from the JSON form of `crn_models.json`: a model is
 * `{ species: [{ name, initial }], reactions: [{ name, reactants: { S: n },
 * products: { S: n }, rate }] }`; a document holds models by name under
 * `models`. Extra fields (notes, reference times, sources) are ignored.
 *
 * @param json the parsed JSON (a model or a document), or its text
 * @param options `model` (required for a document with several models), `convention`
 * @returns the network
 * @throws {SdenoTypeError} for text that is not JSON, or a malformed model
 * @throws {SdenoRangeError} for an unknown model name
 *
 * @example A one-species model
 * ```ts
 * import { reactionNetworkFromJson } from "./reaction_network_json.ts";
 * import assert from "node:assert/strict";
 * const doc = { models: { bd: {
 *   species: [{ name: "X", initial: 0 }],
 *   reactions: [{ name: "birth", reactants: {}, products: { X: 1 }, rate: 10 }],
 * } } };
 * assert.equal(reactionNetworkFromJson(doc, { model: "bd" }).reactions[0]!.name, "birth");
 * assert.throws(() => reactionNetworkFromJson(doc, { model: "nope" }), RangeError);
 * ```
 */
export function reactionNetworkFromJson(
  json: unknown,
  options: ReactionNetworkFromJsonOptions = {},
): ReactionNetwork {
  const what = "Cannot load the reaction network from JSON";
  let doc = json;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch (e) {
      throw new SdenoTypeError(`${what}: the text is not JSON (${(e as Error).message})`);
    }
  }
  if (doc === null || typeof doc !== "object") {
    throw new SdenoTypeError(`${what}: expected an object, got ${quote(doc)}`);
  }
  let name = options.model ?? "";
  let model = doc as Record<string, unknown>;
  const models = (doc as { models?: unknown }).models;
  if (models !== undefined) {
    if (models === null || typeof models !== "object") {
      throw new SdenoTypeError(`${what}: models must be an object, got ${quote(models)}`);
    }
    const names = Object.keys(models);
    if (options.model === undefined && names.length !== 1) {
      throw new SdenoRangeError(
        `${what}: the document holds ${names.length} models; choose one with options.model (${
          names.join(", ")
        })`,
      );
    }
    name = options.model ?? names[0]!;
    const m = Object.hasOwn(models, name) ? (models as Record<string, unknown>)[name] : undefined;
    if (m === undefined) {
      throw new SdenoRangeError(
        `${what}: no model ${quote(name)} in the document (models: ${names.join(", ")})`,
      );
    }
    model = m as Record<string, unknown>;
  }
  if (model === null || typeof model !== "object" || !Array.isArray(model.species)) {
    throw new SdenoTypeError(`${what}: a model needs a species array, got ${quote(model)}`);
  }
  return new ReactionNetwork({
    name,
    species: model.species as { name: string; initial?: number }[],
    reactions: (model.reactions ?? []) as [],
    ...(options.convention ? { convention: options.convention } : {}),
  });
}
