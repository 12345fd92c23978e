/**
 * TypeScript to browser JavaScript, one module at a time, for
 * `scripts/serve_web.ts` (the only importer of `npm:typescript`).
 *
 * Browsers run neither TypeScript nor `with { type: "text" }` imports, so a
 * served module is TypeScript's own `transpileModule` (types stripped, the
 * rest of the syntax kept: target ESNext, ES modules, no type checking —
 * `deno check` does that) with every text import redirected to
 * `<path>?as=js`, a URL the server answers with a JavaScript module whose
 * default export is the file's text. Relative `.ts` specifiers stay as they
 * are: the server sends `.ts` files with a JavaScript content type.
 *
 * TypeScript 6.0 is the last release written in TypeScript itself (7.0 is
 * the native port) and the version Deno 2.9 embeds, so the browser sees the
 * syntax Deno accepts.
 *
 * @module
 */

import ts from "npm:typescript@6.0.3";

/**
 * The query that turns a text file into a JavaScript module (`export default "<text>"`).
 *
 * @example
 * ```ts
 * import { TEXT_MODULE_QUERY } from "./_transpile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(TEXT_MODULE_QUERY, "as=js");
 * ```
 */
export const TEXT_MODULE_QUERY = "as=js";

/** The attribute value of `with { type: "text" }`, if the import has that attribute. */
function isTextImport(attributes: ts.ImportAttributes | undefined): boolean {
  return attributes?.elements.some((e) =>
    (ts.isIdentifier(e.name) ? e.name.text : e.name.text) === "type" &&
    ts.isStringLiteral(e.value) && e.value.text === "text"
  ) ?? false;
}

/** Redirects `import X from "./f.wgsl" with { type: "text" }` to `"./f.wgsl?as=js"`. */
const redirectTextImports: ts.TransformerFactory<ts.SourceFile> = (context) => {
  const f = context.factory;
  const visit = (node: ts.Node): ts.Node => {
    if (
      ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) &&
      isTextImport(node.attributes)
    ) {
      return f.updateImportDeclaration(
        node,
        node.modifiers,
        node.importClause,
        f.createStringLiteral(`${node.moduleSpecifier.text}?${TEXT_MODULE_QUERY}`),
        undefined,
      );
    }
    return node;
  };
  return (file) => ts.visitEachChild(file, visit, context);
};

/**
 * One TypeScript module as JavaScript a browser runs.
 *
 * @param source the module's TypeScript source
 * @param fileName its name, for messages (e.g. `kernels/lincomb.ts`)
 * @returns the JavaScript
 * @throws {SyntaxError} naming the file, line and column of a syntax error
 *
 * @example Types go, a text import becomes a module URL
 * ```ts
 * import { transpileForBrowser } from "./_transpile.ts";
 * import assert from "node:assert/strict";
 * const js = transpileForBrowser(
 *   'import K from "./k.wgsl" with { type: "text" };\nexport const n: number = K.length;',
 *   "k.ts",
 * );
 * assert.equal(js, 'import K from "./k.wgsl?as=js";\nexport const n = K.length;\n');
 * ```
 */
export function transpileForBrowser(source: string, fileName: string): string {
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      useDefineForClassFields: true,
      sourceMap: false,
      inlineSourceMap: false,
    },
    transformers: { before: [redirectTextImports] },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const d = errors[0]!;
    const where = d.file && d.start !== undefined
      ? d.file.getLineAndCharacterOfPosition(d.start)
      : undefined;
    throw new SyntaxError(
      `Cannot transpile ${JSON.stringify(fileName)}${
        where ? ` at line ${where.line + 1}, column ${where.character + 1}` : ""
      }: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    );
  }
  return out.outputText;
}

/**
 * A text file as a JavaScript module whose default export is the text.
 *
 * @param text the file's text
 * @returns the module's source
 *
 * @example
 * ```ts
 * import { textModule } from "./_transpile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(textModule("fn main() {}\n"), 'export default "fn main() {}\\n";\n');
 * ```
 */
export function textModule(text: string): string {
  return `export default ${JSON.stringify(text)};\n`;
}
