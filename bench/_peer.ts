// Runs a Python peer benchmark (numpy, scipy) and parses its one JSON line.
// Needs --allow-run=python3. Returns undefined, with a note, if python3 or
// numpy is missing, so the sdeno rows still print.

/** Runs `python3 script args…` and returns its JSON output, or undefined. */
export async function runPeer(
  script: string,
  args: string[],
): Promise<Record<string, number | string> | undefined> {
  const path = new URL(`./peers/${script}`, import.meta.url).pathname;
  try {
    const { code, stdout, stderr } = await new Deno.Command("python3", {
      args: [path, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      console.error(`peer ${script} failed: ${new TextDecoder().decode(stderr).trim()}`);
      return undefined;
    }
    const lines = new TextDecoder().decode(stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1]!);
  } catch (err) {
    console.error(`peer ${script} unavailable: ${(err as Error).message}`);
    return undefined;
  }
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Times `f` `repeats` times after one warm-up; returns the median in seconds. */
export async function timeIt(f: () => Promise<void> | void, repeats: number): Promise<number> {
  await f();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await f();
    times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

/** A row of a results table. */
export interface BenchRow {
  /** What ran. */
  name: string;
  /** Items per second. */
  rate: number;
}

/** Formats rows as a markdown table with rates and ratios to `reference`. */
export function table(title: string, unit: string, rows: BenchRow[], reference: string): string {
  const ref = rows.find((r) => r.name === reference)?.rate;
  const lines = [
    `### ${title}`,
    "",
    `| implementation | ${unit} | ratio to ${reference} |`,
    "| --- | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.name} | ${r.rate.toExponential(3)} | ${ref ? (r.rate / ref).toFixed(2) : "n/a"} |`
    ),
  ];
  return lines.join("\n");
}
