/**
 * A minimal STUN/TURN client (RFC 5389 / RFC 5766 / RFC 6062 transport codes) for the loopback coturn tests.
 * It exists because turnutils_uclient's exit code does not tell an authentication refusal from success, and the
 * tests must assert exactly which STUN error coturn answers (401, 403, 438, 442, 486).
 *
 * Scope: Binding, Allocate (long-term credential: 401 + REALM + NONCE, then MESSAGE-INTEGRITY), Refresh,
 * CreatePermission, ChannelBind, Send and Data indications; over UDP, TCP and TLS. IPv4 only.
 * Every wait is bounded; close() releases the socket.
 */
import { createHash, createHmac, randomBytes } from "crypto";
import * as dgram from "dgram";
import * as net from "net";
import * as tls from "tls";

export const MAGIC_COOKIE = 0x2112a442;
export const METHOD = { binding: 0x001, allocate: 0x003, refresh: 0x004, send: 0x006, data: 0x007, createPermission: 0x008, channelBind: 0x009 } as const;
export const CLASS = { request: 0, indication: 1, success: 2, error: 3 } as const;
export const ATTR = {
  mappedAddress: 0x0001, username: 0x0006, messageIntegrity: 0x0008, errorCode: 0x0009, channelNumber: 0x000c,
  lifetime: 0x000d, xorPeerAddress: 0x0012, data: 0x0013, realm: 0x0014, nonce: 0x0015, xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019, xorMappedAddress: 0x0020, software: 0x8022, fingerprint: 0x8028,
} as const;
/** REQUESTED-TRANSPORT protocol numbers. */
export const TRANSPORT = { udp: 17, tcp: 6 } as const;

export interface Address { readonly address: string; readonly port: number }
export interface StunAttribute { readonly type: number; readonly value: Buffer }
export interface StunMessage {
  readonly method: number;
  readonly cls: number;
  readonly tid: Buffer;
  readonly attributes: StunAttribute[];
}

function messageType(method: number, cls: number): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

function attrBuf(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/** XOR-MAPPED/RELAYED/PEER-ADDRESS value for an IPv4 address. */
export function xorAddress(a: Address): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 1);
  b.writeUInt16BE(a.port ^ (MAGIC_COOKIE >>> 16), 2);
  const ip = a.address.split(".").map(Number);
  if (ip.length !== 4 || ip.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${a.address}`);
  b.writeUInt32BE((((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) ^ MAGIC_COOKIE) >>> 0, 4);
  return b;
}

export function parseXorAddress(v: Buffer): Address {
  if (v.readUInt8(1) !== 0x01) throw new Error("only IPv4 addresses are supported by this client");
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const n = (v.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), port };
}

/** Long-term credential key (RFC 5389 15.4): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash("md5").update(`${username}:${realm}:${password}`, "utf8").digest();
}

/** Encodes a message; with `key`, appends MESSAGE-INTEGRITY computed over everything before it. */
export function encode(msg: StunMessage, key?: Buffer): Buffer {
  const body = Buffer.concat(msg.attributes.map((a) => attrBuf(a.type, a.value)));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(messageType(msg.method, msg.cls), 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  msg.tid.copy(header, 8);
  if (!key) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  header.writeUInt16BE(body.length + 24, 2); // the length covers MESSAGE-INTEGRITY itself (RFC 5389 15.4)
  const hmac = createHmac("sha1", key).update(Buffer.concat([header, body])).digest();
  return Buffer.concat([header, body, attrBuf(ATTR.messageIntegrity, hmac)]);
}

export function decode(buf: Buffer): StunMessage {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC_COOKIE) throw new Error("not a STUN message");
  const t = buf.readUInt16BE(0);
  const method = (t & 0x000f) | ((t & 0x00e0) >> 1) | ((t & 0x3e00) >> 2);
  const cls = ((t >> 4) & 1) | ((t >> 7) & 2);
  const len = buf.readUInt16BE(2);
  const attributes: StunAttribute[] = [];
  for (let off = 20; off + 4 <= 20 + len; ) {
    const type = buf.readUInt16BE(off);
    const l = buf.readUInt16BE(off + 2);
    attributes.push({ type, value: buf.subarray(off + 4, off + 4 + l) });
    off += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { method, cls, tid: buf.subarray(8, 20), attributes };
}

export function attr(m: StunMessage, type: number): Buffer | undefined {
  return m.attributes.find((a) => a.type === type)?.value;
}

/** The STUN error code of a response (e.g. 401), or undefined on success. */
export function errorCode(m: StunMessage): number | undefined {
  const v = attr(m, ATTR.errorCode);
  return v ? (v.readUInt8(2) & 7) * 100 + v.readUInt8(3) : undefined;
}

export type TransportName = "udp" | "tcp" | "tls";

/** One client connection (one 5-tuple) to a TURN server. */
export class StunConnection {
  private readonly waiters = new Map<string, (m: StunMessage) => void>();
  private readonly indications: StunMessage[] = [];
  private indicationWaiter?: () => void;
  private tcpBuf = Buffer.alloc(0);

  private constructor(
    readonly transport: TransportName,
    private readonly udp?: dgram.Socket,
    private readonly stream?: net.Socket,
    private readonly server?: Address,
  ) {}

  /** Opens a connection; for TLS, `tlsOptions` carries the CA and servername to verify the certificate. */
  static async open(transport: TransportName, server: Address, localAddress: string, tlsOptions: tls.ConnectionOptions = {}): Promise<StunConnection> {
    if (transport === "udp") {
      const s = dgram.createSocket("udp4");
      await new Promise<void>((res, rej) => {
        s.once("error", rej);
        s.bind({ address: localAddress, port: 0 }, () => res());
      });
      const c = new StunConnection("udp", s, undefined, server);
      s.on("message", (b) => c.onMessage(b));
      return c;
    }
    const stream = await new Promise<net.Socket>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${transport} connect to ${server.address}:${server.port} timed out`)), 5000);
      const done = (s: net.Socket) => { clearTimeout(timer); res(s); };
      const fail = (e: Error) => { clearTimeout(timer); rej(e); };
      if (transport === "tcp") {
        const s = net.connect({ host: server.address, port: server.port, localAddress }, () => done(s));
        s.once("error", fail);
        return;
      }
      // TLS over a TCP socket bound to our loopback address (tls.connect's own options cannot bind locally).
      const raw = net.connect({ host: server.address, port: server.port, localAddress });
      raw.once("error", fail);
      const s = tls.connect({ ...tlsOptions, socket: raw }, () => done(s));
      s.once("error", fail);
    });
    const c = new StunConnection(transport, undefined, stream);
    stream.on("data", (b: Buffer) => c.onStream(b));
    stream.on("error", () => undefined); // a server-side close surfaces as a request timeout
    return c;
  }

  private onStream(b: Buffer): void {
    this.tcpBuf = Buffer.concat([this.tcpBuf, b]);
    while (this.tcpBuf.length >= 20) {
      const total = 20 + this.tcpBuf.readUInt16BE(2);
      if (this.tcpBuf.length < total) return;
      this.onMessage(this.tcpBuf.subarray(0, total));
      this.tcpBuf = this.tcpBuf.subarray(total);
    }
  }

  private onMessage(b: Buffer): void {
    let m: StunMessage;
    try {
      m = decode(b);
    } catch {
      return; // ChannelData or noise: not used by these tests
    }
    if (m.cls === CLASS.indication) {
      this.indications.push(m);
      this.indicationWaiter?.();
      return;
    }
    this.waiters.get(m.tid.toString("hex"))?.(m);
  }

  private write(b: Buffer): void {
    if (this.udp && this.server) this.udp.send(b, this.server.port, this.server.address);
    else this.stream?.write(b);
  }

  /** Sends a request and waits for its response; UDP retransmits (RFC 5389 7.2.1, bounded to 4 sends). */
  async request(method: number, attributes: StunAttribute[], key?: Buffer, timeoutMs = 4000): Promise<StunMessage> {
    const tid = randomBytes(12);
    const wire = encode({ method, cls: CLASS.request, tid, attributes }, key);
    return new Promise<StunMessage>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      const finish = () => { timers.forEach(clearTimeout); this.waiters.delete(tid.toString("hex")); };
      this.waiters.set(tid.toString("hex"), (m) => { finish(); resolve(m); });
      timers.push(setTimeout(() => { finish(); reject(new Error(`no response to STUN method 0x${method.toString(16)} within ${timeoutMs} ms`)); }, timeoutMs));
      this.write(wire);
      if (this.udp) for (const at of [500, 1500, 3000]) if (at < timeoutMs) timers.push(setTimeout(() => this.write(wire), at));
    });
  }

  /** Sends an indication (no response in STUN). */
  indicate(method: number, attributes: StunAttribute[]): void {
    this.write(encode({ method, cls: CLASS.indication, tid: randomBytes(12), attributes }));
  }

  /** Waits up to timeoutMs for the next indication; undefined when none arrives. */
  async nextIndication(timeoutMs: number): Promise<StunMessage | undefined> {
    if (this.indications.length > 0) return this.indications.shift();
    await new Promise<void>((res) => {
      const t = setTimeout(res, timeoutMs);
      this.indicationWaiter = () => { clearTimeout(t); res(); };
    });
    this.indicationWaiter = undefined;
    return this.indications.shift();
  }

  close(): void {
    this.udp?.close();
    this.stream?.destroy();
  }
}

export interface Credential { readonly username: string; readonly password: string }
export type AllocateResult =
  | { readonly ok: true; readonly relayed: Address; readonly mapped?: Address; readonly lifetimeS: number }
  | { readonly ok: false; readonly code: number; readonly reason: string };

/**
 * A TURN allocation session on one connection: the long-term-credential handshake, then authenticated requests.
 * A 438 (stale nonce) is retried once with the new nonce, as RFC 5389 10.2.4 says a client must.
 */
export class TurnSession {
  private realm = "";
  private nonce = Buffer.alloc(0);
  private key?: Buffer;

  constructor(readonly conn: StunConnection, private readonly cred: Credential) {}

  private authAttrs(): StunAttribute[] {
    return [
      { type: ATTR.username, value: Buffer.from(this.cred.username, "utf8") },
      { type: ATTR.realm, value: Buffer.from(this.realm, "utf8") },
      { type: ATTR.nonce, value: this.nonce },
    ];
  }

  private learn(m: StunMessage): void {
    const realm = attr(m, ATTR.realm);
    const nonce = attr(m, ATTR.nonce);
    if (realm) this.realm = realm.toString("utf8");
    if (nonce) this.nonce = Buffer.from(nonce);
    this.key = longTermKey(this.cred.username, this.realm, this.cred.password);
  }

  /** An authenticated request; returns the final response (success or error). */
  async authed(method: number, attrs: StunAttribute[]): Promise<StunMessage> {
    let res = await this.conn.request(method, [...attrs, ...this.authAttrs()], this.key);
    if (errorCode(res) === 438) {
      this.learn(res);
      res = await this.conn.request(method, [...attrs, ...this.authAttrs()], this.key);
    }
    return res;
  }

  /** Allocate: unauthenticated first (expects 401 + REALM + NONCE), then with MESSAGE-INTEGRITY. */
  async allocate(transport: number = TRANSPORT.udp): Promise<AllocateResult> {
    const rt = Buffer.from([transport, 0, 0, 0]);
    const first = await this.conn.request(METHOD.allocate, [{ type: ATTR.requestedTransport, value: rt }]);
    if (errorCode(first) !== 401 || !attr(first, ATTR.nonce) || !attr(first, ATTR.realm))
      throw new Error(`expected 401 with REALM and NONCE to an unauthenticated Allocate, got ${errorCode(first) ?? "success"}`);
    this.learn(first);
    const res = await this.authed(METHOD.allocate, [{ type: ATTR.requestedTransport, value: rt }]);
    return toAllocateResult(res);
  }

  async createPermission(peer: Address): Promise<number | undefined> {
    return errorCode(await this.authed(METHOD.createPermission, [{ type: ATTR.xorPeerAddress, value: xorAddress({ ...peer, port: 0 }) }]));
  }

  async channelBind(peer: Address, channel: number): Promise<number | undefined> {
    const ch = Buffer.alloc(4);
    ch.writeUInt16BE(channel, 0);
    return errorCode(await this.authed(METHOD.channelBind, [{ type: ATTR.channelNumber, value: ch }, { type: ATTR.xorPeerAddress, value: xorAddress(peer) }]));
  }

  /** Refresh with LIFETIME 0 releases the allocation (RFC 5766 7). */
  async release(): Promise<number | undefined> {
    return errorCode(await this.authed(METHOD.refresh, [{ type: ATTR.lifetime, value: Buffer.from([0, 0, 0, 0]) }]));
  }

  send(peer: Address, data: Buffer): void {
    this.conn.indicate(METHOD.send, [{ type: ATTR.xorPeerAddress, value: xorAddress(peer) }, { type: ATTR.data, value: data }]);
  }
}

function toAllocateResult(res: StunMessage): AllocateResult {
  const code = errorCode(res);
  if (res.cls === CLASS.error || code !== undefined) {
    const v = attr(res, ATTR.errorCode);
    return { ok: false, code: code ?? 0, reason: v ? v.subarray(4).toString("utf8") : "" };
  }
  const relayed = attr(res, ATTR.xorRelayedAddress);
  if (!relayed) throw new Error("Allocate success without XOR-RELAYED-ADDRESS");
  const mapped = attr(res, ATTR.xorMappedAddress);
  const lifetime = attr(res, ATTR.lifetime);
  return { ok: true, relayed: parseXorAddress(relayed), mapped: mapped ? parseXorAddress(mapped) : undefined, lifetimeS: lifetime ? lifetime.readUInt32BE(0) : 0 };
}

/** A plain STUN Binding request (no credential): used to tell that a listener is up. */
export async function stunBinding(conn: StunConnection, timeoutMs = 2000): Promise<Address> {
  const res = await conn.request(METHOD.binding, [], undefined, timeoutMs);
  const x = attr(res, ATTR.xorMappedAddress);
  if (res.cls !== CLASS.success || !x) throw new Error(`Binding failed: ${errorCode(res) ?? "no XOR-MAPPED-ADDRESS"}`);
  return parseXorAddress(x);
}
