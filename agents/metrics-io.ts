/**
 * The I/O half of the metrics publisher: read one local source (HTTP JSON, coturn's telnet CLI, HAProxy's
 * stats socket) and the instance id from IMDSv2. Every read has a deadline, so a hung daemon costs one
 * cycle's timeout, never the publisher.
 */
import * as net from "net";

/** GET a URL and return its body; non-2xx is an error naming the status. */
export async function httpGet(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}`);
  return body;
}

export type SocketAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** "host:port" or an absolute path of a UNIX socket. */
export function parseSocketAddress(flag: string, v: string): SocketAddress {
  if (v.startsWith("/")) return { path: v };
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`${flag} must be host:port (port 1-65535) or an absolute socket path, got '${v}'`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * A small line-protocol conversation over TCP or a UNIX socket: `onData` sees everything received so far
 * and may write; the promise resolves with the whole text when `onData` returns true or the peer closes.
 */
export function converse(addr: SocketAddress, timeoutMs: number, onData: (received: string, write: (s: string) => void) => boolean, first?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = "path" in addr ? net.connect(addr.path) : net.connect(addr.port, addr.host);
    let buf = "";
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf);
    };
    const where = "path" in addr ? addr.path : `${addr.host}:${addr.port}`;
    const timer = setTimeout(() => finish(new Error(`no complete answer from ${where} within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => {
      if (first !== undefined) sock.write(first);
    });
    sock.on("data", (d: string) => {
      buf += d;
      try {
        if (onData(buf, (s) => sock.write(s))) finish();
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.on("error", (e) => finish(new Error(`${where}: ${e.message}`)));
    sock.on("close", () => finish());
  });
}

/** HAProxy: `show stat` over the stats socket; HAProxy closes the connection after the answer. */
export function haproxyShowStat(addr: SocketAddress, timeoutMs: number): Promise<string> {
  return converse(addr, timeoutMs, () => false, "show stat\n");
}

/**
 * coturn's telnet CLI (default 127.0.0.1:5766): log in when a password is asked for, run `ps`, stop at
 * the "Total sessions" line. The CLI answers with CRLF line ends and a "> " prompt.
 */
export function coturnPs(addr: SocketAddress, password: string | undefined, timeoutMs: number): Promise<string> {
  let sentPassword = false;
  let sentPs = false;
  return converse(addr, timeoutMs, (text, write) => {
    if (!sentPassword && /Enter password:\s*$/.test(text)) {
      if (password === undefined) throw new Error("coturn CLI asks for a password; pass --coturn-cli-password-file");
      sentPassword = true;
      write(`${password}\r\n`);
      return false;
    }
    if (!sentPs && /(^|\n)> $/.test(text)) {
      sentPs = true;
      write("ps\r\n");
      return false;
    }
    if (sentPs && /Total sessions[^\n]*: \d+\r?\n/.test(text)) return true;
    return false;
  });
}

/** The instance id from IMDSv2 (token first: the launch templates require httpTokens=required). */
export async function imdsInstanceId(timeoutMs: number, base = "http://169.254.169.254"): Promise<string> {
  const tok = await fetch(`${base}/latest/api/token`, { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" }, signal: AbortSignal.timeout(timeoutMs) });
  if (!tok.ok) throw new Error(`IMDSv2 token request answered HTTP ${tok.status}`);
  const id = (await httpGet(`${base}/latest/meta-data/instance-id`, timeoutMs, { "X-aws-ec2-metadata-token": await tok.text() })).trim();
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new Error(`IMDSv2 returned an unexpected instance id '${id}'`);
  return id;
}
