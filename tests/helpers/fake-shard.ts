/**
 * A fake Jitsi shard for the real-HAProxy tests: an HTTP + websocket server on one loopback address that answers
 * with its shard id, /about/health (200 or 503), and an agent-check port that answers with the same logic as
 * agents/shard-agent.ts (agentReply). Everything runs in the test process; stop() is a "kill": listeners closed
 * and every open socket destroyed, so HAProxy sees refused connections.
 */
import * as http from "http";
import * as net from "net";
import { WebSocketServer } from "ws";
import { agentReply, OperatorState } from "../../agents/shard-agent";

export interface FakeShardOptions {
  readonly id: string;
  readonly address: string;
  readonly httpPort: number;
  readonly agentPort: number;
  /** Prosody and Jicofo healthy (agent says ready, /about/health 200). @default true */
  readonly healthy?: boolean;
}

export class FakeShard {
  readonly id: string;
  readonly address: string;
  readonly httpPort: number;
  readonly agentPort: number;
  healthy: boolean;
  /** What the operator wrote in the state file. */
  state: OperatorState = "ready";
  /** Requests served (not counting health checks). */
  served = 0;
  private http?: http.Server;
  private agent?: net.Server;
  private wss?: WebSocketServer;
  private readonly sockets = new Set<net.Socket>();

  constructor(o: FakeShardOptions) {
    this.id = o.id;
    this.address = o.address;
    this.httpPort = o.httpPort;
    this.agentPort = o.agentPort;
    this.healthy = o.healthy ?? true;
  }

  get running(): boolean {
    return this.http !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const wss = new WebSocketServer({ noServer: true });
    wss.on("headers", (headers) => headers.push(`X-Shard-Id: ${this.id}`));
    const server = http.createServer((req, res) => {
      if (req.url === "/about/health") {
        res.writeHead(this.healthy ? 200 : 503, { "Content-Type": "text/plain" });
        res.end(this.healthy ? "ok" : "unhealthy");
        return;
      }
      this.served++;
      const body = this.id;
      res.writeHead(200, {
        "Content-Type": "text/plain",
        "Content-Length": Buffer.byteLength(body),
        "X-Shard-Id": this.id,
        "X-Seen-Room": encodeURIComponent(roomOf(req)),
      });
      res.end(body);
    });
    server.on("upgrade", (req, socket, head) => {
      this.served++;
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(JSON.stringify({ shard: this.id, room: roomOf(req) }));
      });
    });
    const agent = net.createServer((sock) => {
      sock.on("error", () => undefined);
      sock.end(agentReply({ kind: "ok", state: this.state }, { prosody: this.healthy, jicofo: this.healthy }));
    });
    for (const srv of [server, agent] as net.Server[]) {
      srv.on("connection", (s: net.Socket) => {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
      });
    }
    await listen(server, this.httpPort, this.address);
    await listen(agent, this.agentPort, this.address);
    this.http = server;
    this.agent = agent;
    this.wss = wss;
  }

  /** Kills the shard: closes both listeners and destroys every open connection. */
  async stop(): Promise<void> {
    const servers = [this.http, this.agent].filter((s): s is http.Server | net.Server => s !== undefined);
    this.http = undefined;
    this.agent = undefined;
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    this.wss = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** The room key HAProxy put in X-Jitsi-Room (Node reads header bytes as latin1; the key is UTF-8). */
function roomOf(req: http.IncomingMessage): string {
  return Buffer.from(String(req.headers["x-jitsi-room"] ?? ""), "latin1").toString("utf8");
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
