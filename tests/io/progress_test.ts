import assert from "node:assert/strict";
import { Progress } from "../../io/progress.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** A fake clock and a captured writer. */
function harness(isTerminal: boolean) {
  const out: string[] = [];
  let t = 0;
  return {
    out,
    advance: (ms: number) => void (t += ms),
    options: { write: (s: string) => void out.push(s), isTerminal, now: () => t, label: "run" },
  };
}

Deno.test("Progress prints one line per 10 % when not a terminal", () => {
  const h = harness(false);
  const p = new Progress(1000, h.options);
  for (let i = 0; i < 1000; i++) {
    h.advance(1);
    p.tick();
  }
  p.finish();
  assert.equal(h.out.length, 10);
  assert.ok(h.out.every((s) => s.endsWith("\n") && !s.includes("\r")));
  assert.equal(h.out[0], "run: 10% (100/1000) 0:00 elapsed, 1.00k it/s\n");
  assert.equal(h.out[9], "run: 100% (1000/1000) 0:01 elapsed, 1.00k it/s\n");
});

Deno.test("Progress prints one line for a jump across several tenths", () => {
  const h = harness(false);
  const p = new Progress(10, h.options);
  p.update(7);
  assert.deepEqual(h.out.length, 1);
  assert.match(h.out[0]!, /^run: 70% \(7\/10\)/);
});

Deno.test("Progress logs where unfinished work stopped", () => {
  const h = harness(false);
  const p = new Progress(100, h.options);
  p.update(37);
  p.finish();
  assert.match(h.out.at(-1)!, /^run: 37% \(37\/100\)/);
  p.finish(); // twice is harmless
  assert.equal(h.out.length, 2);
});

Deno.test("Progress redraws in place with rate and ETA on a terminal", () => {
  const h = harness(true);
  const p = new Progress(100, { ...h.options, unit: "steps" });
  h.advance(1000);
  p.update(25);
  assert.equal(h.out.length, 1);
  const line = h.out[0]!;
  assert.ok(line.startsWith("\r\x1b[2Krun: "));
  assert.ok(!line.includes("\n"));
  assert.match(line, / 25% 25\/100 \[25\.0 steps\/s, 0:01 elapsed, ETA 0:03\]$/);
  h.advance(2000);
  p.update(100);
  p.finish();
  assert.match(h.out.at(-1)!, /100% 100\/100 \[33\.3 steps\/s, 0:03 elapsed\]\n$/);
});

Deno.test("Progress throttles terminal redraws", () => {
  const h = harness(true);
  const p = new Progress(1000, { ...h.options, minIntervalMs: 100 });
  for (let i = 0; i < 999; i++) {
    h.advance(1); // 1 ms per unit: about one redraw per 100 units
    p.tick();
  }
  assert.ok(h.out.length >= 9 && h.out.length <= 11, `${h.out.length} redraws`);
  p.tick(); // the last unit is always drawn
  assert.match(h.out.at(-1)!, /100% 1000\/1000/);
});

Deno.test("Progress rejects a bad total and updates out of range", () => {
  assert.throws(() => new Progress(-1), SdenoRangeError);
  assert.throws(() => new Progress(1.5), SdenoTypeError);
  const p = new Progress(10, { write: () => {}, isTerminal: false });
  p.update(5);
  assert.throws(() => p.update(4), SdenoRangeError);
  assert.throws(() => p.tick(6), SdenoRangeError);
  p.finish();
  assert.throws(() => p.tick(), /it has finished/);
});

Deno.test("Progress handles a total of 0", () => {
  const h = harness(false);
  new Progress(0, h.options).finish();
  assert.match(h.out[0]!, /^run: 100% \(0\/0\)/);
});
