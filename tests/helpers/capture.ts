/** Runs a CLI entry point with stdout/stderr captured: its exit code and what it printed. */
export async function captureCli(run: () => number | Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const wo = process.stdout.write.bind(process.stdout);
  const we = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await run();
    return { code, out, err };
  } finally {
    process.stdout.write = wo;
    process.stderr.write = we;
  }
}
