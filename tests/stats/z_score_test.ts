import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { zScore } from "../../stats/z_score.ts";

Deno.test("zScore() divides the deviation by the standard error", () => {
  assert.equal(zScore(3, 1, { standardError: 0.5 }), 4);
  assert.equal(zScore(1, 3, { standardError: 2 }), -1);
  assert.equal(zScore(1, 1, { standardError: 1e-300 }), 0);
});

Deno.test("zScore() rejects a non-positive standard error and non-finite values", () => {
  assert.throws(
    () => zScore(1, 0, { standardError: 0 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('standardError must be positive, got "0"'),
  );
  assert.throws(
    () => zScore(NaN, 0, { standardError: 1 }),
    (e: unknown) =>
      e instanceof SdenoTypeError && e.message.includes("estimate must be a finite number"),
  );
});
