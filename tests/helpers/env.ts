/**
 * Helpers shared by tests that need something outside the project: a Debian tool (haproxy, coturn, …)
 * or the ../shared folder. On a user's machine a missing one skips the test with a clear reason; under
 * CI (CI=true) it is an error, because .ci/run installs every tool and shared/ sits beside the clone.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const SHARED_DIR = path.resolve(REPO_ROOT, "..", "shared");

function missing(ctx: Mocha.Context, what: string): void {
  if (process.env.CI === "true") throw new Error(`${what} is missing, and CI must have it (see .ci/run)`);
  console.log(`      skipped: ${what} is missing`);
  ctx.skip();
}

/** Absolute path of a binary on PATH (or in /usr/sbin), or null. */
export function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin", "/usr/bin"])) {
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Returns the binary's path; skips the test (or fails under CI) when it is not installed. */
export function requireBinary(ctx: Mocha.Context, bin: string): string {
  const p = which(bin);
  if (!p) missing(ctx, `the '${bin}' program (install it with: apt-get install ${bin})`);
  return p as string;
}

/** Returns a path inside ../shared; skips (or fails under CI) when the folder is absent. */
export function requireShared(ctx: Mocha.Context, ...parts: string[]): string {
  const p = path.join(SHARED_DIR, ...parts);
  if (!fs.existsSync(p)) missing(ctx, `${p} (the shared/ folder beside the clone)`);
  return p;
}

/** Runs a command and returns stdout+stderr; throws with the output on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd,
      input: opts.input,
      timeout: opts.timeoutMs ?? 60_000,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}
