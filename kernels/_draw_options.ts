// Validation of the draw options shared by the Philox fills and the backends (private: no mod.ts
// re-exports this file).

import { checkInteger } from "./errors.ts";
import type { DrawOptions } from "./philox.ts";

/** @internal checks draw options and returns them with defaults */
export function checkDrawOptions(what: string, options: DrawOptions): Required<DrawOptions> {
  const step = checkInteger(what, "step", options.step ?? 0, 0, 0xffffffff);
  const purpose = checkInteger(what, "purpose", options.purpose ?? 0, 0, 0xffffffff);
  const offset = checkInteger(what, "offset", options.offset ?? 0);
  return { step, purpose, offset };
}
