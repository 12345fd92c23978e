/**
 * A small, strict-enough XML checker for the SVG tests: tags balance,
 * attributes are well quoted and unique, text holds no raw "<" or bare "&",
 * and no attribute value contains NaN, Infinity or undefined.
 */
import assert from "node:assert/strict";

export interface XmlSummary {
  /** Number of elements by tag name. */
  counts: Map<string, number>;
  /** Name of the root element. */
  root: string;
}

const TAG = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const ATTR = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/** Checks that `text` is well-formed XML and returns element counts. */
export function checkXml(text: string): XmlSummary {
  const stack: string[] = [];
  const counts = new Map<string, number>();
  let root = "";
  let i = text.startsWith("<?xml") ? text.indexOf("?>") + 2 : 0;
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    for (let k = chunk.indexOf("&"); k >= 0; k = chunk.indexOf("&", k + 1)) {
      assert.match(chunk.slice(k), ENTITY, `bare "&" in text near ${JSON.stringify(chunk)}`);
    }
    if (stack.length === 0) assert.equal(chunk.trim(), "", "text outside the root element");
    if (lt < 0) break;
    TAG.lastIndex = lt;
    const m = TAG.exec(text);
    assert.ok(m, `malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 60))}`);
    const [whole, close, name, attrs, selfClose] = m as unknown as string[];
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    } else {
      if (root === "") root = name!;
      else assert.ok(stack.length > 0, "second root element");
      counts.set(name!, (counts.get(name!) ?? 0) + 1);
      const seen = new Set<string>();
      for (const a of attrs!.matchAll(ATTR)) {
        const key = a[1]!;
        const value = a[2] ?? a[3] ?? "";
        assert.ok(!seen.has(key), `duplicate attribute ${key} on <${name}>`);
        seen.add(key);
        assert.doesNotMatch(value, /NaN|Infinity|undefined/, `<${name} ${key}="${value}">`);
        for (let k = value.indexOf("&"); k >= 0; k = value.indexOf("&", k + 1)) {
          assert.match(value.slice(k), ENTITY, `bare "&" in ${key}`);
        }
      }
      if (!selfClose) stack.push(name!);
    }
    i = lt + whole!.length;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.notEqual(root, "", "no root element");
  return { counts, root };
}
