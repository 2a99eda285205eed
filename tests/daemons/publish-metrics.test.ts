/**
 * The metrics publisher against the real daemons: HAProxy's stats socket and coturn's telnet CLI (with real
 * TURN allocations made by turnutils_uclient). Loopback 127.0.8.2, ports 24200-24399 (this helper's block).
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { strict as assert } from "assert";
import { mockClient } from "aws-sdk-client-mock";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parseArgs, type PublisherState, runCycle } from "../../agents/publish-metrics";
import { requireBinary } from "../helpers/env";

const HOST = "127.0.8.2";
const ID = "i-0123456789abcdef0";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lines(cw: ReturnType<typeof mockClient>): string[] {
  return cw.commandCalls(PutMetricDataCommand).flatMap((c) => (c.args[0].input.MetricData ?? []).map((d) => `${d.MetricName}{${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(",")}}=${d.Value}`));
}

describe("daemons: publish-metrics against real HAProxy and coturn", function () {
  this.timeout(60_000);
  const procs: ChildProcess[] = [];
  const servers: http.Server[] = [];
  let dir: string;
  let cw: ReturnType<typeof mockClient>;
  const client = () => new CloudWatchClient({ region: "eu-west-1" });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-daemons-"));
  });
  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
  });
  afterEach(() => cw.restore());
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("HAProxy: shard up/down from real health checks, 5xx counted as the delta between two cycles", async function () {
    const haproxy = requireBinary(this, "haproxy");
    // shard-a answers health checks (200) and /boom with 503; shard-b's port is closed.
    const shardA = http.createServer((q, r) => r.writeHead(q.url === "/boom" ? 503 : 200).end("ok"));
    servers.push(shardA);
    await new Promise<void>((r) => shardA.listen(24203, HOST, r));
    const cfg = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(cfg, [
      // The edge uses a UNIX socket at admin level (render/edge-boot.ts); the TCP one exercises host:port.
      "global", `  stats socket ipv4@${HOST}:24201 level user`, `  stats socket ${path.join(dir, "admin.sock")} mode 600 level admin`,
      "defaults", "  mode http", "  timeout connect 2s", "  timeout client 5s", "  timeout server 5s",
      "frontend https-in", `  bind ${HOST}:24202`, "  default_backend shards",
      "backend shards", "  option httpchk GET /about/health",
      `  server shard-a ${HOST}:24203 check inter 500 fall 2 rise 1`,
      `  server shard-b ${HOST}:24204 check inter 500 fall 2 rise 1`,
      // Like the edge's websocket backend: a server without health checks ("no check") is not a shard.
      "backend be_bridges", `  server bridge ${HOST}:24205`, "",
    ].join("\n"));
    const p = spawn(haproxy, ["-db", "-f", cfg], { stdio: "ignore" });
    procs.push(p);
    const o = { ...parseArgs(["--region", "eu-west-1", "--sources", "haproxy", "--haproxy-stats", `${HOST}:24201`, "--timeout-ms", "2000"]), instanceId: ID };
    const state: PublisherState = {};
    // Wait (bounded) until both health checks have settled: shard-a UP, shard-b DOWN.
    for (let i = 0; i < 40; i++) {
      cw.resetHistory();
      await runCycle(client(), o, state, Date.now());
      if (lines(cw).includes("EdgeShardsDown{Region=eu-west-1}=1") && lines(cw).includes("EdgeShardUp{Region=eu-west-1,Shard=shard-a}=1")) break;
      await sleep(250);
    }
    assert.ok(lines(cw).includes("EdgeShardUp{Region=eu-west-1,Shard=shard-b}=0"), lines(cw).join("\n"));
    assert.ok(lines(cw).includes("EdgeShardsDown{Region=eu-west-1}=1"), "only shard-b is down; the unchecked bridge server is not counted");
    assert.ok(!lines(cw).some((l) => l.includes("Shard=bridge")), lines(cw).join("\n"));
    for (let i = 0; i < 3; i++) await fetch(`http://${HOST}:24202/boom`).then((r) => r.text());
    await fetch(`http://${HOST}:24202/room1`).then((r) => r.text());
    cw.resetHistory();
    await runCycle(client(), o, state, Date.now());
    const l = lines(cw);
    assert.ok(l.includes("EdgeHttp5xx{Region=eu-west-1}=3"), l.join("\n"));
    assert.ok(l.includes("EdgeRequests{Region=eu-west-1}=4"), l.join("\n"));
    assert.ok(l.includes("MetricsSourceErrors{Region=eu-west-1,Source=haproxy}=0"));
    // Same numbers through the admin UNIX socket, the way the edge hosts are polled.
    const unix = { ...parseArgs(["--region", "eu-west-1", "--sources", "haproxy", "--haproxy-stats", path.join(dir, "admin.sock"), "--haproxy-backend", "shards"]), instanceId: ID };
    cw.resetHistory();
    await runCycle(client(), unix, {}, Date.now());
    assert.ok(lines(cw).includes("EdgeShardsDown{Region=eu-west-1}=1"), lines(cw).join("\n"));
    assert.ok(lines(cw).includes("MetricsSourceErrors{Region=eu-west-1,Source=haproxy}=0"), lines(cw).join("\n"));
  });

  it("coturn: the CLI's session count follows real allocations made by turnutils_uclient", async function () {
    const turnserver = requireBinary(this, "turnserver");
    const uclient = requireBinary(this, "turnutils_uclient");
    const pw = path.join(dir, "cli-password");
    fs.writeFileSync(pw, "cli-secret\n", { mode: 0o600 });
    const ts = spawn(turnserver, [
      "-n", `--listening-ip=${HOST}`, "--listening-port=24210", `--relay-ip=${HOST}`, "--min-port=24300", "--max-port=24399",
      `--cli-ip=${HOST}`, "--cli-port=24211", "--cli-password=cli-secret", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log",
      "--use-auth-secret", "--static-auth-secret=test-secret", "--realm=test", `--pidfile=${path.join(dir, "turn.pid")}`,
      `--userdb=${path.join(dir, "turndb")}`, "--allow-loopback-peers",
    ], { stdio: "ignore" });
    procs.push(ts);
    const o = { ...parseArgs(["--region", "eu-west-1", "--sources", "coturn", "--coturn-cli", `${HOST}:24211`, "--coturn-cli-password-file", pw, "--timeout-ms", "2000"]), instanceId: ID };
    // Idle server: zero allocations (bounded wait for the CLI to listen).
    let l: string[] = [];
    for (let i = 0; i < 40 && !l.includes("TurnAllocations{Region=eu-west-1}=0"); i++) {
      await sleep(250);
      cw.resetHistory();
      await runCycle(client(), o, {}, Date.now());
      l = lines(cw);
    }
    assert.ok(l.includes("TurnAllocations{Region=eu-west-1}=0"), l.join("\n"));
    // Two clients relaying to each other through their allocations (-y), long enough to be counted.
    const uc = spawn(uclient, ["-W", "test-secret", "-u", "alice", "-p", "24210", "-y", "-m", "2", "-n", "400", "-L", HOST, HOST], { stdio: "ignore" });
    procs.push(uc);
    let count = 0;
    for (let i = 0; i < 40 && count === 0; i++) {
      await sleep(250);
      cw.resetHistory();
      await runCycle(client(), o, {}, Date.now());
      const m = lines(cw).map((x) => /^TurnAllocations\{Region=eu-west-1\}=(\d+)$/.exec(x)).find((x) => x);
      count = m ? Number(m[1]) : 0;
    }
    uc.kill("SIGTERM");
    assert.ok(count >= 2, `expected the uclient's allocations to be counted, got ${count}`);
    console.log(`      measured: ${count} allocations seen through the coturn CLI`);
  });
});
