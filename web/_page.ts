/**
 * The little of the DOM the pages use, typed here so that their modules
 * check with Deno's own types (a `lib="dom"` reference would replace Deno's
 * globals for every file checked with it), and the one way a page reports:
 * `data-state` on the body (`running` → `done` or `error`), a status line
 * and the result as JSON in `<pre id="result">`.
 *
 * @module
 */

/** An element, as far as the pages use one. */
export interface PageElement {
  /** Its text. */
  textContent: string | null;
  /** Sets an attribute. */
  setAttribute(name: string, value: string): void;
  /** Appends children. */
  append(...nodes: (PageElement | string)[]): void;
  /** Replaces the children. */
  replaceChildren(...nodes: (PageElement | string)[]): void;
}

/** The document, as far as the pages use it. */
export const pageDocument: {
  body: { dataset: Record<string, string | undefined> };
  getElementById(id: string): PageElement | null;
  createElement(name: string): PageElement;
  createElementNS(namespace: string, name: string): PageElement;
} = (globalThis as unknown as { document: typeof pageDocument }).document;

/**
 * Reports the page's state, a status line and (when given) the result as JSON.
 *
 * @param state the state for `data-state`
 * @param status one line for people
 * @param result the result, written as JSON into `#result`
 */
export function showState(
  state: "running" | "done" | "error",
  status: string,
  result?: unknown,
): void {
  pageDocument.body.dataset.state = state;
  pageDocument.getElementById("status")!.textContent = status;
  if (result !== undefined) {
    pageDocument.getElementById("result")!.textContent = JSON.stringify(result, null, 1);
  }
}

/**
 * Reports an error that stopped the page.
 *
 * @param e what was thrown
 */
export function showError(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  showState("error", `${err.name}: ${err.message}`, {
    ok: false,
    error: { name: err.name, message: err.message },
  });
}
