import assert from "node:assert/strict";
import { parseSbml, parseSbmlModel, readSbml, writeSbml } from "../../io/sbml.ts";
import {
  BUILTIN_REACTION_NETWORKS,
  builtinReactionNetwork,
} from "../../processes/reaction_network_library.ts";
import { ReactionNetwork } from "../../processes/reaction_network.ts";
import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
import { ssaDirect } from "../../solvers/ctmc/ssa_direct.ts";
import { closeSsaEnsembleWorkers, ssaEnsemble } from "../../solvers/ctmc/ssa_ensemble.ts";
import {
  CpuBackend,
  makeKey,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";
import { checkXml } from "./_xml.ts";

const FIX = new URL("../fixtures/sbml/", import.meta.url);
const fixture = (name: string) => Deno.readTextFileSync(new URL(name, FIX));
const NA = 6.02214076e23;

/** Some states of a network: the initial one and a few around it. */
function states(net: ReactionNetwork): Float64Array[] {
  const x0 = net.initial;
  return [
    x0,
    x0.map((v) => v + 1),
    x0.map((v, i) => v + 2 * i + 3),
    x0.map((v, i) => Math.max(0, v - i - 1)),
    x0.map(() => 0),
  ];
}

Deno.test("writeSbml() then parseSbml() gives every built-in network back: species, counts, stoichiometry, propensities, SSA paths", () => {
  for (const name of BUILTIN_REACTION_NETWORKS) {
    const net = builtinReactionNetwork(name);
    const text = writeSbml(net);
    checkXml(text);
    const { network: back, reactions } = parseSbmlModel(text);
    assert.deepEqual(back.species, net.species, name);
    assert.deepEqual([...back.initial], [...net.initial], name);
    assert.deepEqual([...back.stoichiometry()], [...net.stoichiometry()], name);
    assert.deepEqual(back.reactions.map((r) => r.name), net.reactions.map((r) => r.name), name);
    assert.ok(reactions.every((r) => r.kind === "mass-action"), name);
    net.reactions.forEach((r, j) => {
      const b = back.reactions[j]!;
      assert.deepEqual(b.reactants, r.reactants, `${name} ${r.name}`);
      assert.deepEqual(b.products, r.products, `${name} ${r.name}`);
      assert.equal(b.constant, r.constant, `${name} ${r.name}: constant bit for bit`);
      for (const x of states(net)) {
        const a = net.propensity(j, x), c = back.propensity(j, x);
        assert.ok(
          Math.abs(a - c) <= 1e-12 * Math.abs(a),
          `${name} ${r.name} at ${x}: ${a} vs ${c}`,
        );
      }
    });
    const opts = {
      tEnd: 0.5,
      saveTimes: [0.1, 0.25, 0.5],
      paths: 4,
      key: makeKey(7),
      trajectory: true,
    };
    const p = ssaDirect(net, opts), q = ssaDirect(back, opts);
    assert.deepEqual(q.counts, p.counts, name);
    assert.deepEqual(q.firings, p.firings, name);
    assert.deepEqual(q.trajectories, p.trajectories, `${name}: the same jump times, bit for bit`);
  }
});

Deno.test("writeSbml() writes a gillespy2-convention network so that it reads back with the same propensities", () => {
  const net = parseReactionNetwork(
    "species A = 7, B = 2\n2 A + B -> A @ 0.25\n3 B -> 0 @ 1.5\n0 -> A @ 2",
    { convention: "gillespy2", name: "g2" },
  );
  const back = parseSbml(writeSbml(net));
  net.reactions.forEach((r, j) => {
    assert.equal(back.reactions[j]!.constant, r.constant);
    for (const x of states(net)) assert.equal(back.propensity(j, x), net.propensity(j, x));
  });
  // a law k·A²·B / 2 for 2 A + B: A(A−1)·B·k/2·2 with k the combinatorial constant 0.25·2
  const x = new Float64Array([7, 2]);
  assert.equal(back.propensity(0, x), 0.25 * 7 * 6 * 2);
});

Deno.test("writeSbml() picks ids that do not clash and refuses what has no SBML form", () => {
  const net = new ReactionNetwork({
    name: "my model",
    species: [{ name: "cell", initial: 1 }, { name: "k", initial: 2 }],
    reactions: [
      { name: "a b", reactants: { cell: 1, k: 1 }, products: { k: 2 }, rate: 3 },
      { name: "cell", reactants: { k: 1 }, rate: 0.5 },
    ],
  });
  const text = writeSbml(net);
  checkXml(text);
  assert.match(text, /<compartment id="cell_1"/);
  assert.match(text, /<reaction id="r0" name="a b"/);
  assert.match(text, /<reaction id="r1" name="cell"/);
  assert.match(text, /<localParameter id="k_1" value="3"\/>/);
  assert.match(text, /<model id="model" name="my model"/);
  const back = parseSbml(text);
  assert.deepEqual(back.reactions.map((r) => r.name), ["r0", "r1"]);
  for (const x of states(net)) {
    for (let j = 0; j < 2; j++) assert.equal(back.propensity(j, x), net.propensity(j, x));
  }
  assert.match(writeSbml(net, { id: "m2" }), /<model id="m2"/);
  assert.throws(() => writeSbml(net, { id: "2bad" }), SdenoTypeError);
  const custom = new ReactionNetwork({
    species: [{ name: "X" }],
    reactions: [{ name: "hill", products: { X: 1 }, propensity: { cpu: () => 1, dependsOn: [] } }],
  });
  assert.throws(
    () => writeSbml(custom),
    (e) => e instanceof SdenoTypeError && /reaction "hill" has a custom propensity/.test(e.message),
  );
  assert.throws(() => writeSbml({} as ReactionNetwork), SdenoTypeError);
});

Deno.test("parseSbml() converts concentrations and a compartment volume to counts as SBML specifies", () => {
  const { network: net, reactions } = parseSbmlModel(fixture("concentration.xml"));
  assert.deepEqual(net.species, ["A", "B", "C", "D"]);
  // A: 4 per volume × 2.5 = 10; B: amount 3; C: 0.8 × 2.5 = 2 (hasOnlySubstanceUnits only
  // changes what the symbol means in a law, not how a concentration becomes an amount); D: 0
  assert.deepEqual([...net.initial], [10, 3, 2, 0]);
  assert.deepEqual(reactions.map((r) => r.kind), ["mass-action", "mass-action"]);
  // bind: k1·[A]·[B]·V items per second with [S] = S/V: propensity k1·A·B/V
  // dimerise: V·k2·[A]² → k2·A(A−1)/V (the falling factorial of A² = (A/V)²·V·k2)
  const V = 2.5, k1 = 0.5, k2 = 0.2;
  for (const x of [net.initial, new Float64Array([7, 5, 0, 1]), new Float64Array([1, 9, 3, 3])]) {
    const [A, B] = [x[0]!, x[1]!];
    const bind = k1 * A * B / V, dim = k2 * A * (A - 1) / V;
    assert.ok(Math.abs(net.propensity(0, x) - bind) <= 1e-12 * bind, `bind at ${x}`);
    assert.ok(Math.abs(net.propensity(1, x) - dim) <= 1e-12 * Math.max(dim, 1e-300), `dim at ${x}`);
  }
});

Deno.test("parseSbml() takes mole amounts times Avogadro's number and scales mass-action rates to molecules", () => {
  const { network: net, itemsPerSubstance } = parseSbmlModel(fixture("moles.xml"));
  assert.equal(itemsPerSubstance, NA);
  assert.deepEqual(net.species, ["S", "E"]);
  assert.deepEqual([...net.initial], [1000, 500]);
  const a = net.propensity(0, new Float64Array([1000, 500]));
  assert.ok(Math.abs(a - 0.01 * 1000) <= 1e-12 * a, `${a}`);
  // 5e-21 mol is 3011.07 molecules: not a whole count
  const text = fixture("moles.xml").replace(
    'initialAmount="1.6605390671738466e-21"',
    'initialAmount="5e-21"',
  );
  assert.throws(
    () => parseSbml(text),
    (e) =>
      e instanceof SdenoRangeError && /<species id="S">.*3011\.07.*not a whole/.test(e.message),
  );
});

Deno.test("parseSbml() compiles general kinetic laws that agree with a hand computation", () => {
  const { network: net, reactions } = parseSbmlModel(fixture("general.xml"));
  assert.deepEqual(net.species, ["S", "P"]); // Src is a constant boundary species
  assert.deepEqual(reactions.map((r) => [r.name, r.kind]), [
    ["mm_conversion", "general"],
    ["hill", "general"],
    ["cut", "general"],
    ["decay", "mass-action"],
    ["feed", "general"],
  ]);
  const K = 5, n = 2.5;
  for (const [S, P] of [[40, 0], [20, 3], [21, 7], [0, 12], [3, 5]] as const) {
    const x = new Float64Array([S, P]);
    const want = [
      3 * S / (10 + S),
      4 * K ** n / (K ** n + P ** n),
      S > 20 ? 2 * S : 0.5 * Math.sqrt(S),
      0.1 * P,
      3 * P / (1 + P),
    ];
    want.forEach((w, j) => {
      const got = net.propensity(j, x);
      assert.ok(
        Math.abs(got - w) <= 1e-12 * Math.abs(w),
        `${net.reactions[j]!.name} at ${x}: ${got} vs ${w}`,
      );
    });
  }
  // dependency lists come from the compiled law: hill reads P only, feed reads P
  assert.deepEqual(net.reactions[1]!.dependsOn, [1]);
  assert.deepEqual(net.reactions[4]!.dependsOn, [1]);
  for (const r of net.reactions.filter((r) => r.custom)) {
    assert.match(r.custom!.wgsl!, /return /, r.name);
  }
});

Deno.test("parseSbml() splits a reversible reaction with a law forward − reverse into two", () => {
  const text = fixture("refuse_reversible.xml").replace(
    "<apply><times/><ci> k </ci><ci> X </ci></apply>",
    "<apply><minus/><apply><times/><ci> k </ci><ci> X </ci></apply><cn> 2 </cn></apply>",
  );
  const { network: net, reactions } = parseSbmlModel(text);
  assert.deepEqual(reactions.map((r) => [r.name, r.kind]), [["flip_fwd", "mass-action"], [
    "flip_rev",
    "mass-action",
  ]]);
  assert.deepEqual(net.reactions[0]!.change, [[0, -1]]);
  assert.deepEqual(net.reactions[1]!.change, [[0, 1]]);
  assert.equal(net.propensity(0, new Float64Array([10])), 5);
  assert.equal(net.propensity(1, new Float64Array([10])), 2);
});

Deno.test("parseSbml() refuses each unsupported element with a typed error that names it", async () => {
  const cases: [string, RegExp][] = [
    ["refuse_event.xml", /<event id="pulse"> \(line \d+\) is an event, which is not supported/],
    ["refuse_rate_rule.xml", /<rateRule variable="k"> \(line \d+\) is a rate rule/],
    [
      "refuse_algebraic_rule.xml",
      /<algebraicRule id="conservation"> \(line \d+\) is an algebraic rule/,
    ],
    ["refuse_constraint.xml", /<constraint id="positive"> \(line \d+\) is a constraint/],
    ["refuse_delay.xml", /kinetic law of reaction "lagged" uses the csymbol "delay"/],
    ["refuse_package.xml", /requires the package "comp"/],
    ["refuse_unknown_mathml.xml", /kinetic law of reaction "osc" uses the MathML element <sin>/],
    ["refuse_unknown_symbol.xml", /kinetic law of reaction "death" names the unknown symbol "kk"/],
    ["refuse_time.xml", /kinetic law of reaction "pulsed" reads the time/],
    ["refuse_reversible.xml", /<reaction id="flip"> \(line \d+\) is reversible/],
    [
      "refuse_cycle.xml",
      /cycle of initial assignments and assignment rules: (a → b → a|b → a → b)/,
    ],
  ];
  for (const [file, message] of cases) {
    assert.throws(
      () => parseSbml(fixture(file)),
      (e) => e instanceof SdenoRangeError && message.test(e.message),
      file,
    );
  }
  await assert.rejects(
    () => readSbml(new URL("refuse_event.xml", FIX)),
    (e) =>
      e instanceof SdenoRangeError &&
      /Cannot read SBML ".*refuse_event\.xml": <event id="pulse">/.test(e.message),
  );
});

Deno.test("parseSbml() refuses malformed XML with a parse error at its line", () => {
  assert.throws(
    () => parseSbml(fixture("malformed.xml")),
    (e) =>
      // the parser's locator points at the end of the last complete node before the bad tag
      e instanceof SdenoParseError && e.line === 10 &&
      /not well-formed XML at line 10/.test(e.message) &&
      /"listOfSpecies" != "listOfCompartments"/.test(e.message),
  );
  for (const bad of ["", "<sbml", "<a x=1/>", "<a>&nbsp;</a>", "<a/><b/>"]) {
    assert.throws(() => parseSbml(bad), SdenoParseError, JSON.stringify(bad));
  }
  assert.throws(() => parseSbml(42 as unknown as string), SdenoParseError);
  assert.throws(() => parseSbml("<notsbml/>"), /root element must be <sbml>/);
});

/** A one-species model around a kinetic law, for the checks below. */
function model(law: string, extra = "", reaction = 'id="R" reversible="false"'): string {
  return `<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="m">
  <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies><species id="X" compartment="c" initialAmount="4" hasOnlySubstanceUnits="true"
   boundaryCondition="false" constant="false"/></listOfSpecies>
  <listOfParameters><parameter id="k" value="2" constant="true"/></listOfParameters>
  ${extra}
  <listOfReactions><reaction ${reaction}>
   <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/></listOfReactants>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">${law}</math></kineticLaw>
  </reaction></listOfReactions>
 </model></sbml>`;
}

Deno.test("parseSbml() refuses other unsupported or invalid input by name", () => {
  const X = "<ci>X</ci>";
  const cases: [string, RegExp, new (...a: never[]) => Error][] = [
    [model(`<apply><times/><ci>R</ci>${X}</apply>`), /names the reaction "R"/, SdenoRangeError],
    [
      model(`<apply><gt/>${X}<cn>1</cn></apply>`),
      /must be a number, got a boolean/,
      SdenoTypeError,
    ],
    [
      model(`<piecewise><piece>${X}<ci>k</ci></piece></piecewise>`),
      /a condition of <piece> must be a boolean/,
      SdenoTypeError,
    ],
    [
      model(`<apply><ci>f</ci>${X}</apply>`),
      /applies "f".*not a function definition/,
      SdenoRangeError,
    ],
    [
      model(`<apply><divide/>${X}</apply>`),
      /<divide\/> at line \d+ takes 2 argument/,
      SdenoParseError,
    ],
    [model(`<cn>1.2.3</cn>`), /holds "1\.2\.3", which is not a number/, SdenoParseError],
    [model(`<cn type="integer">1.5</cn>`), /not an integer/, SdenoParseError],
    [
      model(X, "", 'id="R" reversible="false" fast="true"'),
      /<reaction id="R">.*is fast/,
      SdenoRangeError,
    ],
    [
      model(X).replace('stoichiometry="1"', 'stoichiometry="1.5"'),
      /whole non-negative stoichiometry.*"1\.5"/,
      SdenoRangeError,
    ],
    [
      model(X).replace('constant="false"/>', 'constant="false" conversionFactor="k"/>'),
      /<species id="X">.*conversionFactor/,
      SdenoRangeError,
    ],
    [model(X).replace('initialAmount="4"', 'initialAmount="2.5"'), /not a whole/, SdenoRangeError],
    [
      model(X).replace('size="1"', 'size="-1"').replace("initialAmount", "initialConcentration"),
      /positive finite size/,
      SdenoRangeError,
    ],
    [
      model(`<apply><times/><ci>k</ci>${X}</apply>`).replace('value="2" ', ""),
      /<parameter id="k">.*has no value/,
      SdenoRangeError,
    ],
    [
      model(X).replace('compartment="c" initial', 'compartment="nowhere" initial'),
      /compartment "nowhere", which is not declared/,
      SdenoRangeError,
    ],
    [
      model(X).replace('<parameter id="k"', '<parameter id="X"'),
      /reuses the id "X"/,
      SdenoRangeError,
    ],
    [model(X).replace('level="3"', 'level="2"'), /level="3" version="2"/, SdenoRangeError],
    [model(X).replace(/<kineticLaw>.*<\/kineticLaw>/s, ""), /has no kinetic law/, SdenoRangeError],
    [
      model(X).replace('constant="false"/>', 'constant="true"/>'),
      /<species id="X">.*is a reactant or product but is constant/,
      SdenoRangeError,
    ],
    [
      model(
        X,
        `<listOfFunctionDefinitions><functionDefinition id="f"><math xmlns="http://www.w3.org/1998/Math/MathML">
        <lambda><bvar><ci>a</ci></bvar><apply><times/><ci>a</ci><ci>k</ci></apply></lambda></math></functionDefinition></listOfFunctionDefinitions>`,
      ),
      /function definition "f" names "k", which is not one of its arguments/,
      SdenoRangeError,
    ],
    [
      model(
        X,
        `<listOfFunctionDefinitions><functionDefinition id="f"><math xmlns="http://www.w3.org/1998/Math/MathML">
        <lambda><bvar><ci>a</ci></bvar><apply><ci>f</ci><ci>a</ci></apply></lambda></math></functionDefinition></listOfFunctionDefinitions>`,
      ),
      /is recursive \(f → f\)/,
      SdenoRangeError,
    ],
    [
      model(X, "<listOfWidgets/>"),
      /<listOfWidgets> \(line \d+\) is not an SBML Level 3 core element/,
      SdenoRangeError,
    ],
    [
      model(X).replace("<model", '<model substanceUnits="gram"'),
      /substanceUnits "gram", which is not item, mole/,
      SdenoRangeError,
    ],
    [
      model(
        `<apply><times/>${X}<csymbol definitionURL="http://www.sbml.org/sbml/symbols/rateOf">r</csymbol></apply>`,
      ),
      /csymbol "rateOf"/,
      SdenoRangeError,
    ],
    [model(`<apply><plus/>${X}<mi>x</mi></apply>`), /MathML element <mi>/, SdenoRangeError],
  ];
  for (const [text, message, type] of cases) {
    assert.throws(
      () => parseSbml(text),
      (e) => e instanceof type && message.test((e as Error).message),
      message.source,
    );
  }
  assert.throws(() => parseSbml(model(X), null as never), SdenoTypeError);
});

Deno.test("parseSbml() reads a layout-like package that is not required, and assignment rules in dependency order", () => {
  const text = model(
    "<apply><times/><ci>c2</ci><ci>X</ci></apply>",
    `<listOfRules>
      <assignmentRule variable="c2"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>c1</ci><cn>3</cn></apply></math></assignmentRule>
      <assignmentRule variable="c1"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><plus/><ci>k</ci><cn>1</cn></apply></math></assignmentRule>
    </listOfRules>
    <layout:listOfLayouts xmlns:layout="http://www.sbml.org/sbml/level3/version1/layout/version1"/>`,
  ).replace(
    "</listOfParameters>",
    '<parameter id="c1" constant="false"/><parameter id="c2" constant="false"/></listOfParameters>',
  ).replace(
    'level="3"',
    'xmlns:layout="http://www.sbml.org/sbml/level3/version1/layout/version1" layout:required="false" level="3"',
  );
  const { network: net, reactions } = parseSbmlModel(text);
  assert.equal(reactions[0]!.kind, "mass-action");
  assert.equal(net.reactions[0]!.rate, 9); // (2 + 1)·3
  // a species set by an assignment rule leaves the state and enters laws through its rule
  const ruled = model(
    "<apply><times/><ci>k</ci><ci>B</ci></apply>",
    `<listOfRules><assignmentRule variable="B"><math xmlns="http://www.w3.org/1998/Math/MathML">
      <apply><plus/><ci>X</ci><cn>1</cn></apply></math></assignmentRule></listOfRules>`,
  ).replace(
    "</listOfSpecies>",
    `<species id="B" compartment="c" hasOnlySubstanceUnits="true" boundaryCondition="false"
      constant="false"/></listOfSpecies>`,
  );
  const m = parseSbmlModel(ruled);
  assert.deepEqual(m.network.species, ["X"]);
  assert.equal(m.reactions[0]!.kind, "general");
  assert.equal(m.network.propensity(0, new Float64Array([4])), 2 * (4 + 1));
  assert.deepEqual(m.network.reactions[0]!.dependsOn, [0]);
});

Deno.test({
  name:
    "parseSbml() general laws run in the webgpu ensemble through their generated WGSL and agree with the cpu in distribution",
  ...GPU_TEST,
}, async () => {
  const net = parseSbml(fixture("general.xml"));
  // every general law got WGSL, and the cpu ensemble (float64) runs them too
  assert.ok(net.reactions.every((r) => !r.custom || typeof r.custom.wgsl === "string"));
  const gpu = await gpuBackend();
  if (!gpu) return;
  // early save times see the fast first phase: a 20% error in one law's WGSL moves a mean by
  // z ≈ 20 here (tried by hand), while the full agreement is |z| < 2
  const opts = { tEnd: 4, saveTimes: [0.1, 0.3, 1, 4], paths: 4096 };
  const g = await ssaEnsemble(net, { ...opts, backend: gpu, key: makeKey(11) });
  const c = await ssaEnsemble(net, {
    ...opts,
    backend: new CpuBackend(),
    key: makeKey(12),
    workers: 1,
  });
  closeSsaEnsembleWorkers();
  assert.equal(g.backend, "webgpu");
  for (let k = 0; k < g.mean.length; k++) {
    const z = (g.mean[k]! - c.mean[k]!) / Math.hypot(g.meanSe[k]!, c.meanSe[k]!);
    assert.ok(Math.abs(z) < 4, `cell ${k}: mean ${g.mean[k]} vs ${c.mean[k]}, z = ${z}`);
    const zv = (g.variance[k]! - c.variance[k]!) / Math.hypot(g.varianceSe[k]!, c.varianceSe[k]!);
    assert.ok(Math.abs(zv) < 4, `cell ${k}: variance z = ${zv}`);
  }
  // the means are not trivial: S is consumed and P made
  assert.ok(c.mean[7]! > 5, `P at t = 4: ${c.mean[7]}`);
});
