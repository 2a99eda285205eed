/**
 * Runs a real haproxy in master-worker mode (-W -db) for the daemon tests: start, reload (SIGUSR2 re-reads the
 * config file, the new worker takes the stick table from the old one through the local peer), stop. Output is
 * kept for assertions and failure messages. stop() waits for the process to exit and kills it (SIGKILL) if it
 * does not within the deadline.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";

export class HaproxyProcess {
  private child?: ChildProcess;
  output = "";

  constructor(readonly bin: string, readonly configPath: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  writeConfig(text: string): void {
    fs.writeFileSync(this.configPath, text);
  }

  async start(): Promise<void> {
    this.output = "";
    const child = spawn(this.bin, ["-W", "-db", "-f", this.configPath], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (d) => (this.output += d.toString()));
    child.stderr?.on("data", (d) => (this.output += d.toString()));
    await waitFor(() => /Loading success|exiting|ALERT/.test(this.output) || child.exitCode !== null, 10_000, `haproxy start (${this.configPath})`);
    if (child.exitCode !== null || /ALERT/.test(this.output)) throw new Error(`haproxy failed to start:\n${this.output}`);
  }

  /** Reloads from the config file; resolves once the new worker reports success. */
  async reload(): Promise<void> {
    if (!this.child) throw new Error("haproxy is not running");
    const before = (this.output.match(/Loading success/g) ?? []).length;
    this.child.kill("SIGUSR2");
    await waitFor(() => (this.output.match(/Loading success/g) ?? []).length > before || /ALERT/.test(this.output), 10_000, "haproxy reload");
    if (/ALERT/.test(this.output)) throw new Error(`haproxy reload failed:\n${this.output}`);
  }

  /** Stops haproxy (SIGKILL when `hard`, else SIGTERM then SIGKILL after 5 s). */
  async stop(hard = false): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(hard ? "SIGKILL" : "SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Polls cond every 50 ms until true or the deadline (then throws naming what was awaited). */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (let i = 0; Date.now() - start < timeoutMs && i < 100_000; i++) {
    if (await cond()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
