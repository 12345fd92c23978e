// Runs a script of scripts/ in a fresh Deno process with exactly the read and write access
// given, and returns its exit code and output (colour off).

/** What a script run printed and how it ended. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>` with `--allow-read=<read>` and `--allow-write=<write>`. */
export async function runScriptProcess(
  name: string,
  args: readonly string[],
  access: { read: readonly string[]; write: readonly string[] },
): Promise<ScriptRun> {
  const script = new URL(`../../scripts/${name}`, import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${access.read.join(",")}`,
      `--allow-write=${access.write.join(",")}`,
      script,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}
