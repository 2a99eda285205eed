/**
 * Runs the real coturn `turnserver` on loopback for tests, and moves a rendered production turnserver.conf
 * onto loopback without touching anything else in it.
 *
 * coturn has no "check the config and exit" mode, and it does NOT exit on a bad line: it logs
 * "Bad configuration format: <key>" or "ERROR: ..." and keeps running with that line ignored. So "turnserver
 * accepts the file" here means: it starts, reaches "Total General servers", answers STUN on every listener,
 * and its log holds none of the problem lines below.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { run } from "./env";
import { StunConnection, stunBinding, type TransportName } from "./turn-client";

/** Log lines that mean coturn ignored or could not apply part of the config. */
export const COTURN_PROBLEM = /Bad configuration format|CONFIG ERROR|ERROR:|[Cc]annot find (certificate|private key)|cannot start TLS|[Cc]annot bind|Wrong address/;

export interface RunningTurnserver {
  readonly proc: ChildProcess;
  readonly logFile: string;
  log(): string;
  /** Lines matching COTURN_PROBLEM in `text` (default: the whole log so far). */
  problems(text?: string): string[];
  stop(): Promise<void>;
}

/** Starts `turnserver -c confFile` and waits (bounded) until it reports its servers; throws with the log if not. */
export async function startTurnserver(bin: string, confFile: string, logFile: string, timeoutMs = 15_000): Promise<RunningTurnserver> {
  const proc = spawn(bin, ["-c", confFile], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "") + output;
  const t = {
    proc,
    logFile,
    log,
    problems: (text?: string) => (text ?? log()).split("\n").filter((l) => COTURN_PROBLEM.test(l)),
    stop: () => stopProcess(proc),
  };
  const deadline = Date.now() + timeoutMs;
  while (!/Total General servers/.test(log())) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`turnserver exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${log()}`);
    if (Date.now() > deadline) {
      await t.stop();
      throw new Error(`turnserver not ready within ${timeoutMs} ms:\n${log()}`);
    }
    await sleep(100);
  }
  return t;
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((res) => proc.once("exit", () => res()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

/** Waits until a listener answers a STUN Binding (bounded retries). */
export async function waitForStun(transport: TransportName, address: string, port: number, localAddress: string, tlsOptions = {}): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    let c: StunConnection | undefined;
    try {
      c = await StunConnection.open(transport, { address, port }, localAddress, tlsOptions);
      await stunBinding(c, 1000);
      return;
    } catch (e) {
      last = e;
      await sleep(150);
    } finally {
      c?.close();
    }
  }
  throw new Error(`no STUN answer on ${transport} ${address}:${port}: ${String(last)}`);
}

/** A throw-away self-signed certificate for `name` (EC P-256, 1 day), for the TURNS listener. */
export function makeTestCertificate(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-keyout", keyFile, "-out", certFile]);
  return { certFile, keyFile };
}

/** What a loopback run must replace in a production turnserver.conf: addresses, ports and local file paths. */
export interface LoopbackPlacement {
  readonly ip: string;
  readonly listeningPort: number;
  readonly tlsListeningPort: number;
  readonly minRelayPort: number;
  readonly maxRelayPort: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** Keys a loopback run replaces; every other line of the production file is kept byte for byte. */
export const LOOPBACK_REPLACED_KEYS = ["listening-port", "tls-listening-port", "listening-ip", "relay-ip", "external-ip", "min-port", "max-port", "cert", "pkey", "log-file", "pidfile"] as const;

/**
 * The production text with only LOOPBACK_REPLACED_KEYS moved onto `p` (listening-ip, relay-ip and external-ip
 * become p.ip). Loopback stays DENIED: nothing here adds allow-loopback-peers, so the production peer rules run
 * unchanged.
 */
export function loopbackVariant(conf: string, p: LoopbackPlacement, opts: { addAddresses?: boolean } = {}): string {
  const values: Record<(typeof LOOPBACK_REPLACED_KEYS)[number], string> = {
    "listening-port": String(p.listeningPort),
    "tls-listening-port": String(p.tlsListeningPort),
    "listening-ip": p.ip,
    "relay-ip": p.ip,
    "external-ip": p.ip,
    "min-port": String(p.minRelayPort),
    "max-port": String(p.maxRelayPort),
    cert: p.certFile,
    pkey: p.keyFile,
    "log-file": p.logFile,
    pidfile: p.pidFile,
  };
  const seen = new Set<string>();
  const out = conf.split("\n").map((line) => {
    const key = line.split("=")[0];
    if (!(LOOPBACK_REPLACED_KEYS as readonly string[]).includes(key) || !line.includes("=")) return line;
    seen.add(key);
    return `${key}=${values[key as keyof typeof values]}`;
  });
  // The production base file has no addresses (turn-config.sh appends them at boot); add them unless the
  // caller runs that script next.
  const add = opts.addAddresses === false ? ["pidfile"] : ["listening-ip", "relay-ip", "pidfile"];
  for (const key of add as (keyof typeof values)[]) if (!seen.has(key)) out.push(`${key}=${values[key]}`);
  return out.join("\n").replace(/\n*$/, "\n");
}
