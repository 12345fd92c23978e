// A Deno file-system error as one line, for the scripts' usage errors. Private to io/.

/**
 * A file-system error (not found, no permission, a folder, …) as one line,
 * or undefined for any other error.
 *
 * @param err what was thrown
 * @returns the line, or undefined
 */
export function fsMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (!Object.values(Deno.errors).some((E) => err instanceof E)) return undefined;
  if (err instanceof Deno.errors.NotFound) return "no such file or folder";
  if (err instanceof Deno.errors.IsADirectory) return "is a folder, not a file";
  return err.message.split("\n")[0]!;
}
