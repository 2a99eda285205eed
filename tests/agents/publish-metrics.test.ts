import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { strict as assert } from "assert";
import { mockClient } from "aws-sdk-client-mock";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { cycleTimestamp, delayToNextCycle, main, parseArgs, runCycle } from "../../agents/publish-metrics";
import { BRIDGE_METRICS, emitterOf, JIBRI_METRICS, NAMESPACE, PUBLISHER } from "../../metrics/catalog";

const FIX = path.join(__dirname, "..", "fixtures", "metrics");
const fixture = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const HOST = "127.0.8.1"; // this helper's loopback block (127.0.8.0/24)
const ID = "i-0123456789abcdef0";

/** An HTTP source on loopback, port chosen by the OS. `handler` decides each answer. */
async function httpSource(handler: http.RequestListener): Promise<{ url: (p: string) => string; close: () => Promise<void> }> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const port = (srv.address() as AddressInfo).port;
  return { url: (p) => `http://${HOST}:${port}${p}`, close: () => new Promise((r) => srv.close(() => r())) };
}

/** A TCP source: `reply` gets each chunk received and the socket. */
async function tcpSource(onConn: (s: net.Socket) => void): Promise<{ addr: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const port = (srv.address() as AddressInfo).port;
  return {
    addr: `${HOST}:${port}`,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
}

/** Speaks like coturn's CLI: banner, password prompt, "> " prompt, `ps` answer (the real captured one). */
function fakeCoturnCli(password: string) {
  return (s: net.Socket) => {
    s.write("TURN Server\r\nCoturn-4.6.1 'Gorst'\r\n\r\nType '?' for help\r\nEnter password: ");
    let authed = false;
    s.on("data", (d) => {
      const line = d.toString().trim();
      if (!authed) {
        if (line !== password) return void s.end("Wrong password\r\n");
        authed = true;
        return void s.write("\r\n> ");
      }
      if (line === "ps") s.write(fixture("coturn-cli-ps.txt").split("Enter password: \r\n> ")[1]);
    });
  };
}

/** Flattens every PutMetricData call into "Name{Dim=Val,...}=value" strings. */
function published(cw: ReturnType<typeof mockClient>): { lines: string[]; data: MetricDatum[] } {
  const data = cw.commandCalls(PutMetricDataCommand).flatMap((c) => {
    assert.equal(c.args[0].input.Namespace, NAMESPACE);
    return c.args[0].input.MetricData ?? [];
  });
  const lines = data.map((d) => `${d.MetricName}{${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(",")}}=${d.Value}`);
  return { lines, data };
}

describe("agents/publish-metrics", function () {
  this.timeout(20_000);
  let cw: ReturnType<typeof mockClient>;
  let errSpy: string[];
  const origError = console.error;
  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
    errSpy = [];
    console.error = (...a: unknown[]) => void errSpy.push(a.join(" "));
  });
  afterEach(() => {
    console.error = origError;
    cw.restore();
  });

  describe("one cycle against every source (fixtures served on loopback)", () => {
    let web: Awaited<ReturnType<typeof httpSource>>;
    let coturn: Awaited<ReturnType<typeof tcpSource>>;
    let haproxy: Awaited<ReturnType<typeof tcpSource>>;
    let pwFile: string;
    before(async () => {
      web = await httpSource((req, res) => {
        const body = { "/colibri/stats": "colibri-stats.json", "/stats": "jicofo-stats.json", "/jibri/api/v1.0/health": "jibri-health-busy.json" }[req.url ?? ""];
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": "application/json" }).end(fixture(body));
      });
      coturn = await tcpSource(fakeCoturnCli("s3cret"));
      haproxy = await tcpSource((s) => s.once("data", (d) => (d.toString() === "show stat\n" ? s.end(fixture("haproxy-show-stat.csv")) : s.end("Unknown command.\n"))));
      pwFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pm-")), "cli-password");
      fs.writeFileSync(pwFile, "s3cret\n", { mode: 0o600 });
    });
    after(async () => {
      await Promise.all([web.close(), coturn.close(), haproxy.close()]);
    });

    const args = (over: Record<string, string> = {}) => {
      const a: Record<string, string> = {
        region: "eu-west-1", "instance-id": ID, sources: "jvb,jicofo,jibri,coturn,haproxy", fleet: "main", pool: "rec", shard: "shard-a",
        "jvb-url": web.url("/colibri/stats"), "jicofo-url": web.url("/stats"), "jibri-url": web.url("/jibri/api/v1.0/health"),
        "coturn-cli": coturn.addr, "coturn-cli-password-file": pwFile, "haproxy-stats": haproxy.addr, "timeout-ms": "2000", "retry-base-ms": "1", ...over,
      };
      return [...Object.entries(a).flatMap(([k, v]) => [`--${k}`, v]), "--once"];
    };

    it("publishes every source's metrics with Region/Fleet/Pool/Shard dimensions and no source errors", async () => {
      assert.equal(await main(args()), 0);
      const { lines } = published(cw);
      for (const want of [
        `BridgeStress{Region=eu-west-1,Fleet=main,InstanceId=${ID}}=0.6123`,
        "BridgeParticipants{Region=eu-west-1,Fleet=main}=47",
        "ShardParticipants{Region=eu-west-1,Shard=shard-a}=96",
        "ShardRecordersAvailable{Region=eu-west-1}=3",
        "JibriBusy{Region=eu-west-1,Pool=rec}=1",
        "TurnAllocations{Region=eu-west-1}=5",
        "EdgeShardUp{Region=eu-west-1,Shard=shard-b}=0",
        "EdgeShardsDown{Region=eu-west-1}=1",
        "MetricsSourceErrors{Region=eu-west-1,Source=coturn}=0",
      ])
        assert.ok(lines.includes(want), `missing ${want}\n${lines.join("\n")}`);
      assert.equal(lines.filter((l) => /^MetricsSourceErrors\{Region=eu-west-1,Source=\w+\}=0$/.test(l)).length, 5);
      assert.ok(!lines.some((l) => l.startsWith("MetricsSourceErrors") && l.endsWith("=1")));
      // Only the publisher's own complaints count (the SDK may print a Node version warning once per process).
      assert.deepEqual(errSpy.filter((e) => e.startsWith("publish-metrics:")), []);
    });

    it("one source down (jicofo port closed): the other four still go out and MetricsSourceErrors{jicofo}=1", async () => {
      const closed = await httpSource((_q, r) => r.end());
      const deadUrl = closed.url("/stats");
      await closed.close();
      assert.equal(await main(args({ "jicofo-url": deadUrl })), 0);
      const { lines } = published(cw);
      assert.ok(lines.includes("MetricsSourceErrors{Region=eu-west-1,Source=jicofo}=1"), lines.join("\n"));
      assert.ok(!lines.some((l) => l.startsWith("Shard")), "no jicofo metric may be invented");
      for (const name of ["BridgeStress", "JibriIdle", "TurnAllocations", "EdgeSessions"]) assert.ok(lines.some((l) => l.startsWith(`${name}{`)), `${name} missing`);
      for (const src of ["jvb", "jibri", "coturn", "haproxy"]) assert.ok(lines.includes(`MetricsSourceErrors{Region=eu-west-1,Source=${src}}=0`));
      assert.ok(errSpy.some((e) => /source jicofo failed/.test(e)), errSpy.join("\n"));
    });

    it("a hung source (accepts, never answers) costs its timeout only; a garbage answer is a source error too", async () => {
      const hung = await tcpSource(() => undefined);
      const garbage = await httpSource((_q, r) => r.writeHead(200).end("<html>Bad gateway</html>"));
      const t0 = Date.now();
      assert.equal(await main(args({ "haproxy-stats": hung.addr, "jvb-url": garbage.url("/colibri/stats"), "timeout-ms": "500" })), 0);
      const took = Date.now() - t0;
      await Promise.all([hung.close(), garbage.close()]);
      const { lines } = published(cw);
      assert.ok(lines.includes("MetricsSourceErrors{Region=eu-west-1,Source=haproxy}=1"));
      assert.ok(lines.includes("MetricsSourceErrors{Region=eu-west-1,Source=jvb}=1"));
      assert.ok(lines.some((l) => l.startsWith("JibriBusy{")));
      assert.ok(took < 3000, `cycle took ${took} ms`);
      assert.ok(errSpy.some((e) => /jvb failed: jvb: response is not JSON/.test(e)), errSpy.join("\n"));
    });

    it("a wrong coturn CLI password is a coturn source error, not a crash", async () => {
      const bad = path.join(path.dirname(pwFile), "bad");
      fs.writeFileSync(bad, "nope\n");
      assert.equal(await main(args({ "coturn-cli-password-file": bad, sources: "coturn" })), 0);
      assert.deepEqual(published(cw).lines, ["MetricsSourceErrors{Region=eu-west-1,Source=coturn,InstanceId=" + ID + "}=1", "MetricsSourceErrors{Region=eu-west-1,Source=coturn}=1"]);
    });

    it("CloudWatch unreachable after retries: exit code 1 and the reason logged", async () => {
      cw.reset();
      cw.on(PutMetricDataCommand).rejects(Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } }));
      assert.equal(await main(args({ sources: "jibri" })), 1);
      assert.equal(cw.commandCalls(PutMetricDataCommand).length, 5, "5 attempts (the default)");
      assert.ok(errSpy.some((e) => /data not published: ServiceUnavailable/.test(e)), errSpy.join("\n"));
    });

    it("every BRIDGE_METRICS / JIBRI_METRICS entry the catalogue credits to the publisher is emitted, in every declared dimension set", async () => {
      assert.equal(await main(args({ sources: "jvb" })), 0);
      assert.equal(await main(args({ sources: "jibri" })), 0);
      // Jicofo's failure counter is a delta: it needs two polls (the second with one more failure).
      let polls = 0;
      const jicofo = await httpSource((_q, r) => {
        const s = JSON.parse(fixture("jicofo-stats.json"));
        s.jibri.total_recording_failures += polls++;
        r.end(JSON.stringify(s));
      });
      // Two cycles of one running publisher are two main() calls here; state lives in one process, so use runCycle.
      const o = { ...parseArgs(args({ sources: "jicofo", "jicofo-url": jicofo.url("/stats") }).slice(0, -1)), instanceId: ID };
      const state = {};
      const client = new CloudWatchClient({ region: "eu-west-1" });
      await runCycle(client, o, state, Date.now());
      await runCycle(client, o, state, Date.now());
      await jicofo.close();
      const { data, lines } = published(cw);
      assert.ok(lines.includes("JibriRecordingStartFailures{Region=eu-west-1}=1"), lines.join("\n"));
      for (const m of [...Object.values(BRIDGE_METRICS), ...Object.values(JIBRI_METRICS)].filter((x) => emitterOf(x) === PUBLISHER))
        for (const set of m.dimensions) {
          const found = data.some((d) => d.MetricName === m.name && d.Unit === m.unit && (d.Dimensions ?? []).map((x) => x.Name).join() === set.join());
          assert.ok(found, `${m.name} with [${set.join(",")}] not published`);
        }
    });
  });

  describe("command line", () => {
    it("rejects bad input naming the flag and what it accepts (exit 2, nothing published)", async () => {
      const cases: [string[], RegExp][] = [
        [["--sources", "jvb", "--fleet", "f", "--instance-id", ID], /--region must be an AWS region name/],
        [["--region", "eu-west-1", "--sources", "jvb,prosody", "--instance-id", ID], /'prosody' is not one of jvb, jicofo, jibri, coturn, haproxy/],
        [["--region", "eu-west-1", "--sources", "jvb", "--instance-id", ID], /--fleet is required with source jvb/],
        [["--region", "eu-west-1", "--sources", "jibri", "--pool", "p", "--instance-id", "host-1"], /--instance-id must look like i-/],
        [["--region", "eu-west-1", "--sources", "haproxy", "--haproxy-stats", "localhost", "--instance-id", ID], /--haproxy-stats must be host:port/],
        [["--region", "eu-west-1", "--sources", "jicofo", "--shard", "s", "--interval", "10", "--instance-id", ID], /--interval must be an integer from 60 to 3600/],
        [["--region", "eu-west-1", "--sources", "coturn", "--bogus", "1"], /unknown flag --bogus/],
      ];
      for (const [argv, re] of cases) {
        errSpy = [];
        assert.equal(await main([...argv, "--once"]), 2, argv.join(" "));
        assert.match(errSpy.join("\n"), re);
      }
      assert.equal(cw.commandCalls(PutMetricDataCommand).length, 0);
    });

    it("defaults point at the daemons' local ports", () => {
      const o = parseArgs(["--region", "eu-west-1", "--sources", "jvb,coturn", "--fleet", "main"]);
      assert.equal(o.jvbUrl, "http://127.0.0.1:8080/colibri/stats");
      assert.deepEqual(o.coturnCli, { host: "127.0.0.1", port: 5766 });
      assert.deepEqual(o.haproxyStats, { path: "/run/haproxy/admin.sock" });
      assert.equal(o.intervalSec, 60);
    });
  });

  describe("timing", () => {
    it("stamps a cycle with the start of its minute, so each host gives one value per series per minute", () => {
      assert.equal(cycleTimestamp(Date.parse("2026-11-20T14:02:07.300Z"), 60).toISOString(), "2026-11-20T14:02:00.000Z");
    });
    it("waits until 7 s past the next minute", () => {
      assert.equal(delayToNextCycle(Date.parse("2026-11-20T14:02:03Z"), 60), 4000);
      assert.equal(delayToNextCycle(Date.parse("2026-11-20T14:02:08Z"), 60), 59_000);
      assert.equal(delayToNextCycle(Date.parse("2026-11-20T14:02:07Z"), 60), 60_000);
    });
  });
});
