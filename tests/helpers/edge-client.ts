/**
 * A minimal HTTP/1.1 client for the edge-proxy tests, over a raw socket so that it can open the connection with a
 * PROXY protocol v1 line (the edge binds with accept-proxy, as behind the NLB) and perform a real websocket
 * upgrade. One request per connection; every call has a deadline.
 */
import * as crypto from "crypto";
import * as net from "net";

export interface EdgeRequest {
  readonly host: string;
  readonly port: number;
  /** Request target, already encoded: "/tenant/room?x=1". */
  readonly path: string;
  /** Client address announced in the PROXY header; none sent when undefined. */
  readonly clientIp?: string;
  /** Perform a websocket upgrade and read the first message. */
  readonly websocket?: boolean;
  readonly method?: string;
  readonly timeoutMs?: number;
}

export interface EdgeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** First websocket text message (websocket requests only). */
  readonly message?: string;
}

export function edgeRequest(r: EdgeRequest): Promise<EdgeResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: r.host, port: r.port });
    let buf = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string>; bodyStart: number } | undefined;
    let settled = false;
    const done = (err: Error | null, res?: EdgeResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res as EdgeResponse);
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${r.timeoutMs ?? 5000} ms: ${r.path}`)), r.timeoutMs ?? 5000);
    sock.on("connect", () => {
      const lines: string[] = [];
      if (r.clientIp) lines.push(`PROXY TCP4 ${r.clientIp} ${r.host} ${40000 + Math.floor(Math.random() * 20000)} ${r.port}`);
      lines.push(`${r.method ?? "GET"} ${r.path} HTTP/1.1`, "Host: meet.example.com");
      if (r.websocket) {
        lines.push("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}`);
      } else {
        lines.push("Connection: close");
      }
      sock.write(lines.join("\r\n") + "\r\n\r\n");
    });
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (!head) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const [statusLine, ...hl] = buf.subarray(0, end).toString("latin1").split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of hl) {
          const i = l.indexOf(":");
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        head = { status: Number(statusLine.split(" ")[1]), headers, bodyStart: end + 4 };
      }
      const rest = buf.subarray(head.bodyStart);
      if (r.websocket && head.status === 101) {
        // Server frames are unmasked: FIN+text opcode, then a 7-bit (or 16-bit) length.
        if (rest.length < 2) return;
        let len = rest[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (rest.length < 4) return;
          len = rest.readUInt16BE(2);
          off = 4;
        }
        if (rest.length < off + len) return;
        if ((rest[0] & 0x0f) !== 1) return done(new Error(`unexpected websocket opcode ${rest[0] & 0x0f}`));
        done(null, { status: 101, headers: head.headers, body: "", message: rest.subarray(off, off + len).toString("utf8") });
        return;
      }
      const cl = head.headers["content-length"];
      if (cl !== undefined && rest.length >= Number(cl)) done(null, { status: head.status, headers: head.headers, body: rest.subarray(0, Number(cl)).toString("utf8") });
    });
    sock.on("error", (e) => done(e));
    sock.on("close", () => {
      if (head) done(null, { status: head.status, headers: head.headers, body: buf.subarray(head.bodyStart).toString("utf8") });
      else done(new Error(`connection closed before a response: ${r.path}`));
    });
  });
}

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Sends one command to a HAProxy runtime API unix socket and returns the answer. */
export function runtimeCommand(socketPath: string, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let out = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`runtime API timeout: ${command}`));
    }, timeoutMs);
    s.on("connect", () => s.write(command + "\n"));
    s.on("data", (d) => (out += d.toString()));
    s.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/**
 * Waits until HAProxy's peers section has finished its own resync (`show peers` flags 0x1 and 0x2), as the host's
 * pre-reload script does: HAProxy 2.6 hands its stick table to a reloaded process only then.
 */
export async function waitPeersSynced(socketPath: string, timeoutMs = 15_000): Promise<number> {
  const start = Date.now();
  for (let i = 0; i < 1000 && Date.now() - start < timeoutMs; i++) {
    const first = (await runtimeCommand(socketPath, "show peers")).split("\n")[0];
    const m = / flags=(0x[0-9a-fA-F]+)/.exec(first);
    if (m && (Number(m[1]) & 3) === 3) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`peers of ${socketPath} not synced after ${timeoutMs} ms`);
}
