// The one adapter over the XML parser: npm:@xmldom/xmldom, pinned. It turns
// text into a small plain tree (elements in document order with namespaces,
// attributes, text and their line and column), so nothing else in sdeno
// depends on the DOM of the parser.
//
// Why @xmldom/xmldom: a pure-JavaScript, dependency-free W3C DOMParser that is
// kept up (security releases through 2025, ~70 M downloads a month), with
// namespaces (SBML core and MathML live in different ones), element order
// preserved (MathML operands are positional), and errors that carry a line
// and column. Every problem it reports (warnings too: an unquoted attribute,
// an unknown entity) is made fatal here, so a malformed file is refused, not
// repaired. fast-xml-parser does not check well-formedness while parsing
// (its validator is a separate pass) and returns objects keyed by tag, which
// lose the order of mixed children; saxes is strict too but event-based and
// unreleased since 2021.

import { DOMParser } from "npm:@xmldom/xmldom@0.9.12";
import { SdenoParseError } from "../kernels/errors.ts";

/** An XML element as plain data. */
export interface XmlElement {
  /** Local name (without prefix). */
  name: string;
  /** Namespace URI ("" when none). */
  ns: string;
  /** Attributes by local name (namespaced attributes also under `prefix:name`). */
  attrs: Record<string, string>;
  /** Namespaced attributes: `[namespace URI, local name, value]`. */
  nsAttrs: [string, string, string][];
  /** Child elements, in document order. */
  children: XmlElement[];
  /** The concatenated text and CDATA directly inside this element. */
  text: string;
  /** The same text split at the child elements: `children.length + 1` pieces. */
  texts: string[];
  /** 1-based line of the start tag (0 when unknown). */
  line: number;
  /** 1-based column of the start tag (0 when unknown). */
  column: number;
}

interface DomNode {
  nodeType: number;
  localName?: string | null;
  nodeName: string;
  namespaceURI?: string | null;
  prefix?: string | null;
  data?: string;
  childNodes: ArrayLike<DomNode>;
  attributes?: ArrayLike<DomNode & { value: string }>;
  lineNumber?: number;
  columnNumber?: number;
}

/**
 * Parses XML text into a tree of {@linkcode XmlElement}s.
 *
 * @param text the document
 * @param what the error's prefix, e.g. `Cannot read SBML`
 * @returns the root element
 * @throws {SdenoParseError} for text that is not well-formed XML, with its line and column
 */
export function parseXml(text: string, what: string): XmlElement {
  if (typeof text !== "string") {
    throw new SdenoParseError(`${what}: expected XML text, got ${typeof text}`);
  }
  let doc: { documentElement: DomNode | null };
  // xmldom wraps what onError throws in its own ParseError (without a cause),
  // so the first report is kept here and thrown instead
  let first: SdenoParseError | undefined;
  try {
    doc = new DOMParser({
      locator: true,
      onError: (level: string, message: string, context: unknown) => {
        const loc = (context as { locator?: { lineNumber?: number; columnNumber?: number } })
          ?.locator;
        const line = loc?.lineNumber, column = loc?.columnNumber;
        const at = line === undefined ? "" : ` at line ${line}, column ${column}`;
        first ??= new SdenoParseError(
          `${what}: the text is not well-formed XML${at}: ${message.trim()} (${level})`,
          { ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) },
        );
        throw first;
      },
    }).parseFromString(text, "text/xml") as unknown as { documentElement: DomNode | null };
  } catch (err) {
    if (first) throw first;
    throw new SdenoParseError(`${what}: the text is not well-formed XML: ${String(err)}`, {
      cause: err,
    });
  }
  const root = doc.documentElement;
  if (!root) throw new SdenoParseError(`${what}: the document has no root element`);
  return convert(root);
}

function convert(node: DomNode): XmlElement {
  const attrs: Record<string, string> = {};
  const nsAttrs: [string, string, string][] = [];
  const list = node.attributes ?? [];
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    const local = a.localName ?? a.nodeName;
    if (a.nodeName === "xmlns" || a.prefix === "xmlns") continue;
    if (a.namespaceURI) {
      nsAttrs.push([a.namespaceURI, local, a.value]);
      attrs[a.nodeName] = a.value;
    } else {
      attrs[local] = a.value;
    }
  }
  const children: XmlElement[] = [];
  const texts = [""];
  for (let i = 0; i < node.childNodes.length; i++) {
    const c = node.childNodes[i]!;
    if (c.nodeType === 1) {
      children.push(convert(c));
      texts.push("");
    } else if (c.nodeType === 3 || c.nodeType === 4) {
      texts[texts.length - 1] += c.data ?? "";
    }
  }
  return {
    name: node.localName ?? node.nodeName,
    ns: node.namespaceURI ?? "",
    attrs,
    nsAttrs,
    children,
    text: texts.join(""),
    texts,
    line: node.lineNumber ?? 0,
    column: node.columnNumber ?? 0,
  };
}
