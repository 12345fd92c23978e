import assert from "node:assert/strict";
import {
  MAX_PRODUCT_COEFFICIENT,
  MAX_REACTANT_COEFFICIENT,
  ReactionNetwork,
} from "../../processes/reaction_network.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
import { reactionNetworkFromJson } from "../../processes/reaction_network_json.ts";
import {
  BUILTIN_REACTION_NETWORKS,
  builtinReactionNetwork,
} from "../../processes/reaction_network_library.ts";
import { chemicalMasterEquation } from "../../processes/reaction_network_cme.ts";
import { uniformization } from "../../solvers/ctmc/uniformization.ts";
import { SdenoParseError, SdenoRangeError } from "../../kernels/errors.ts";
import { fixture } from "../solvers/ctmc/_fixtures.ts";

const MODELS = fixture("crn_models.json");
const CME = fixture("cme_reference.json");

function parseError(text: string, line: number, column: number, pattern: RegExp): void {
  assert.throws(() => parseReactionNetwork(text), (e: unknown) => {
    assert.ok(e instanceof SdenoParseError, String(e));
    assert.equal(e.line, line, e.message);
    assert.equal(e.column, column, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseReactionNetwork() reports line, column and what was expected", () => {
  parseError("species A = 1\nA -> B @ 1", 2, 6, /species "B" is not declared/);
  parseError("species A\nA B @ 1", 2, 3, /expected "->" or "\+", got "B"/);
  parseError("species A\nA -> 0 @", 2, 9, /expected a rate constant/);
  parseError("species A\nA -> 0 1", 2, 8, /expected "@ <rate>"/);
  parseError("species A = x", 1, 13, /expected a non-negative integer count/);
  parseError("species A\nA -> A $ 1", 2, 8, /unexpected character "\$"/);
  parseError("species A, A", 1, 12, /declared twice/);
  parseError("A -> 0 @ 1", 1, 1, /not declared/);
  parseError("species A\n\nA -> 0 @ 1 2", 3, 12, /expected end of line/);
  parseError("species A\nA -> 0 @ 1\nfast: A -> 2 A @ 1e999", 3, 1, /rate must be a finite number/);
});

Deno.test("parseReactionNetwork() reads names, coefficients, ∅ and comments", () => {
  const net = parseReactionNetwork(
    "# Michaelis–Menten\nspecies S = 301, E = 120, SE, P\nbind: S + E -> SE @ 1.66e-3 # c1\nSE -> S + E @ 1e-4\nSE → P + E @ .1\n∅ -> S @ 0",
  );
  assert.deepEqual(net.species, ["S", "E", "SE", "P"]);
  assert.deepEqual([...net.initial], [301, 120, 0, 0]);
  assert.equal(net.reactions[0]!.name, "bind");
  assert.equal(net.reactions[1]!.name, "r1");
  assert.equal(net.reactions[2]!.rate, 0.1);
  assert.deepEqual(net.reactions[3]!.change, [[0, 1]]);
  assert.deepEqual(net.dependencyGraph()[0], [0, 1, 2]);
});

Deno.test("ReactionNetwork validates species, rates and conventions", () => {
  const sp = [{ name: "A", initial: 5 }];
  assert.throws(
    () => new ReactionNetwork({ species: sp, reactions: [{ reactants: { A: 1 }, rate: -1 }] }),
    /reaction "r0": rate must be non-negative, got "-1"/,
  );
  assert.throws(
    () => new ReactionNetwork({ species: sp, reactions: [{ reactants: { B: 1 }, rate: 1 }] }),
    /reaction "r0" consumes species "B", which is not declared/,
  );
  assert.throws(
    () => new ReactionNetwork({ species: sp, reactions: [{ products: { C: 1 }, rate: 1 }] }),
    /produces species "C"/,
  );
  assert.throws(
    () => new ReactionNetwork({ species: [{ name: "A", initial: -2 }], reactions: [] }),
    RangeError,
  );
  assert.throws(() => new ReactionNetwork({ species: [{ name: "1A" }], reactions: [] }), TypeError);
  const g = new ReactionNetwork({
    species: [{ name: "A", initial: 10 }],
    reactions: [{ reactants: { A: 2 }, rate: 1 }, { reactants: { A: 3 }, rate: 1 }],
    convention: "gillespy2",
  });
  const x = new Float64Array([10]);
  assert.equal(g.propensity(0, x), 90); // k·A(A−1)
  assert.equal(g.propensity(1, x), 720); // k·A(A−1)(A−2)
  const c = new ReactionNetwork({
    species: [{ name: "A", initial: 10 }],
    reactions: [{ reactants: { A: 2 }, rate: 1 }, { reactants: { A: 3 }, rate: 1 }],
  });
  assert.equal(c.propensity(0, x), 45);
  assert.equal(c.propensity(1, x), 120);
});

Deno.test("reactionNetworkFromJson() and the built-ins agree on every model of crn_models.json", () => {
  for (const name of Object.keys(MODELS.models)) {
    const a = reactionNetworkFromJson(MODELS, { model: name });
    const b = builtinReactionNetwork(name);
    assert.deepEqual(a.species, b.species);
    assert.deepEqual(a.initial, b.initial);
    assert.deepEqual(a.stoichiometry(), b.stoichiometry());
    a.reactions.forEach((r, j) => assert.equal(r.constant, b.reactions[j]!.constant, name));
  }
  assert.equal(BUILTIN_REACTION_NETWORKS.length, Object.keys(MODELS.models).length);
  assert.throws(() => reactionNetworkFromJson(MODELS), /holds 7 models/);
  assert.throws(() => reactionNetworkFromJson("{"), TypeError);
});

Deno.test("chemicalMasterEquation() + uniformization reproduce cme_reference.json", () => {
  for (
    const [name, truncation] of [["birth_death", { X: 400 }], ["dimerization_wilkinson", {}], [
      "dimerization_small",
      {},
    ]] as const
  ) {
    const net = builtinReactionNetwork(name);
    const cme = chemicalMasterEquation(net, { truncation });
    const ref = CME.models[name];
    assert.equal(cme.generator.n - (cme.sink >= 0 ? 1 : 0), ref.n_states, name);
    const keys = Object.keys(ref.times);
    const p0 = new Float64Array(cme.generator.n);
    p0[cme.initial] = 1;
    const r = uniformization(cme.generator, p0, { times: keys.map(Number) });
    keys.forEach((tk, k) => {
      const p = r.distributions[k]!;
      net.species.forEach((sp, i) => {
        let m = 0, m2 = 0;
        for (let s = 0; s < cme.generator.n; s++) {
          if (s === cme.sink) continue;
          const v = cme.states[s * cme.species + i]!;
          m += p[s]! * v;
          m2 += p[s]! * v * v;
        }
        const want = ref.times[tk];
        assert.ok(
          Math.abs(m - want.mean[sp]) < 1e-9 * Math.max(1, want.mean[sp]),
          `${name} ${tk} ${sp} mean`,
        );
        assert.ok(
          Math.abs(m2 - m * m - want.var[sp]) < 1e-9 * Math.max(1, want.mean[sp] ** 2),
          `${name} ${tk} ${sp} var`,
        );
      });
      if (want_distribution(ref.times[tk])) {
        for (const [state, prob] of Object.entries<number>(ref.times[tk].distribution)) {
          const idx = cme.indexOf(state.split(",").map(Number));
          assert.ok(Math.abs(p[idx]! - prob) < 1e-12, `${name} ${tk} P(${state})`);
        }
      }
    });
  }
  const open = parseReactionNetwork("species X = 0\n0 -> X @ 1");
  assert.throws(() => chemicalMasterEquation(open, { maxStates: 100 }), /maxStates/);
  assert.throws(() => chemicalMasterEquation(open, { truncation: { Y: 3 } }), /species "Y"/);
});

// deno-lint-ignore no-explicit-any
function want_distribution(t: any): boolean {
  return t.distribution !== undefined;
}

// ---- bad-input findings (issue 12, item 7) ---------------------------------

Deno.test("ReactionNetwork caps stoichiometric coefficients before any propensity is generated", () => {
  const t0 = performance.now();
  // one term per unit of a reactant coefficient used to be generated: 1e9 ran out of memory
  parseError(
    "species X = 5\n1000000000 X -> 0 @ 1",
    2,
    1,
    /coefficient of "X" in reactants must be at most 64, got "1000000000"/,
  );
  // 2^32 + 1 wrapped to 1 in an Int32Array
  parseError("species X = 5\n4294967297 X -> 0 @ 1", 2, 1, /at most 64, got "4294967297"/);
  // 1e300 was accepted: a reactant that never fires, a product that gives Infinity
  parseError("species X = 5\n1e300 X -> 0 @ 1", 2, 1, /at most 64, got "1e\+300"/);
  parseError(
    "species X = 5\nX -> 1e300 X @ 1",
    2,
    6,
    /coefficient of "X" in products must be at most 2147483647, got "1e\+300"/,
  );
  for (const [side, coef, max] of [["reactants", 65, 64], ["products", 2 ** 31, 2 ** 31 - 1]]) {
    assert.throws(
      () =>
        new ReactionNetwork({
          species: [{ name: "X", initial: 1 }],
          reactions: [{ [side as string]: { X: coef }, rate: 1 }],
        }),
      (e) =>
        e instanceof SdenoRangeError &&
        e.message.includes(`in ${side} must be at most ${max}, got "${coef}"`),
    );
  }
  assert.equal(MAX_REACTANT_COEFFICIENT, 64);
  assert.equal(MAX_PRODUCT_COEFFICIENT, 2 ** 31 - 1);
  // the largest allowed coefficients build (and a 64th-order propensity evaluates)
  const net = parseReactionNetwork("species X = 70\n64 X -> 2147483647 X @ 1");
  assert.equal(net.reactions[0]!.change[0]![1], 2147483647 - 64);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("ReactionNetwork rejects duplicate reaction names, explicit or default", () => {
  parseError("species X\nr: X -> 0 @ 1\nr: 0 -> X @ 1", 3, 1, /reaction name "r" is used twice/);
  assert.throws(
    () =>
      new ReactionNetwork({
        species: [{ name: "X" }],
        reactions: [{ products: { X: 1 }, rate: 1 }, { name: "r0", reactants: { X: 1 }, rate: 1 }],
      }),
    (e) =>
      e instanceof SdenoRangeError &&
      /reaction name "r0" is used twice \(reactions 0 and 1; unnamed reactions are called r<index>\)/
        .test(e.message),
  );
});

Deno.test("species named after Object.prototype keys work in text, JSON and specs", () => {
  const names = ["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"];
  const text = `species ${names.map((n, i) => `${n} = ${i + 1}`).join(", ")}\n` +
    `toString + constructor -> 2 toString @ 1\n` +
    `__proto__ + valueOf -> hasOwnProperty @ 2\n` +
    `hasOwnProperty -> __proto__ + 3 valueOf @ 0.5`;
  const fromText = parseReactionNetwork(text);
  // written as text: an object literal's __proto__ key would set the prototype
  const jsonText = `{
    "species": ${JSON.stringify(names.map((name, i) => ({ name, initial: i + 1 })))},
    "reactions": [
      { "reactants": { "toString": 1, "constructor": 1 }, "products": { "toString": 2 }, "rate": 1 },
      { "reactants": { "__proto__": 1, "valueOf": 1 }, "products": { "hasOwnProperty": 1 }, "rate": 2 },
      { "reactants": { "hasOwnProperty": 1 }, "products": { "__proto__": 1, "valueOf": 3 }, "rate": 0.5 }
    ]
  }`;
  const fromJson = reactionNetworkFromJson(jsonText);
  for (const net of [fromText, fromJson]) {
    assert.deepEqual(net.species, names);
    assert.deepEqual([...net.initial], [1, 2, 3, 4, 5]);
    assert.deepEqual(net.reactions.map((r) => r.reactants), [[[0, 1], [1, 1]], [[3, 1], [4, 1]], [[
      2,
      1,
    ]]]);
    assert.deepEqual(net.reactions.map((r) => r.change), [
      [[0, 1], [1, -1]],
      [[2, 1], [3, -1], [4, -1]],
      [[2, -1], [3, 3], [4, 1]],
    ]);
    assert.equal(net.propensity(1, Float64Array.of(1, 2, 3, 4, 5)), 2 * 4 * 5);
  }
  // a document whose model is named after a prototype key is not found by inheritance
  assert.throws(
    () =>
      reactionNetworkFromJson({ models: { a: { species: [{ name: "X" }] } } }, {
        model: "toString",
      }),
    (e) => e instanceof SdenoRangeError && /no model "toString" in the document/.test(e.message),
  );
});

Deno.test("uniformization() rejects a p0 that is not a probability distribution", () => {
  const q = RateMatrix.fromDense([[-1, 1], [3, -3]]);
  for (
    const [p0, why] of [[[1, 1], /sum to 1\), got sum 2/], [
      [1.5, -0.5],
      /p0\[1\] must be ≥ 0, got "-0.5"/,
    ]] as const
  ) {
    assert.throws(
      () => uniformization(q, p0, { times: 1 }),
      (e) => e instanceof SdenoRangeError && why.test(e.message),
    );
  }
  // a float32-normalised distribution is accepted
  uniformization(q, [Math.fround(0.3), Math.fround(0.7)], { times: 1 });
});

Deno.test("uniformization() refuses a horizon of billions of products up front", () => {
  const q = RateMatrix.fromDense([[-3, 3], [1, -1]]);
  const t0 = performance.now();
  assert.throws(
    () => uniformization(q, [1, 0], { times: 1e9 }),
    (e) =>
      e instanceof SdenoRangeError &&
      /would need about 3\.0e\+9 sparse products \(Λt = 3\.0e\+9\); the cap is maxMatvecs = 10000000/
        .test(e.message),
  );
  assert.ok(performance.now() - t0 < 100);
  // the cap is an option
  assert.throws(() => uniformization(q, [1, 0], { times: 100, maxMatvecs: 50 }), /maxMatvecs = 50/);
  const r = uniformization(q, [1, 0], { times: 100, maxMatvecs: 1e4 });
  assert.ok(r.matvecs <= 1e4);
  assert.ok(Math.abs(r.distributions[0]![0]! - 0.25) < 1e-12);
});
