import { strict as assert } from "assert";
import { BRIDGE_METRICS } from "../../metrics/catalog";
import { parseColibriStats } from "../../agents/metrics-sources";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import {
  BRIDGE_LIVE_DEFAULTS,
  errorResponse,
  liveFromColibri,
  liveResponse,
  main,
  parseBridgeLiveArgs,
  readJvb,
  routeRequest,
  startBridgeLive,
  type RunningBridgeLive,
} from "../../agents/bridge-live";
import { COMMANDS, run } from "../../agents/main";
import { PORTS } from "../../config/ports";
import { LIVE_PATH, parseLiveReply } from "../../functions/bridge-scaler/protocol";

// Loopback only, OS-assigned ports.
const HOST = "127.0.0.1";
const FIX = path.join(__dirname, "..", "fixtures", "metrics");

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request with a bounded wait (3 s). */
function request(port: number, method: string, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: urlPath, agent: false, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: no answer within 3 s`)));
    req.on("error", reject);
    req.end();
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Asserts a 503 with a one-line JSON error and no count in it. */
function assertUnavailable(r: Reply, error: RegExp): void {
  assert.equal(r.status, 503, r.body);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.headers["cache-control"], "no-store");
  assert.ok(!r.body.includes("\n"), "one line");
  const body = JSON.parse(r.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.match(String(body.error), error);
  assert.equal(parseLiveReply(r.body), undefined, "never a reading the scaler would take for a count");
}

describe("agents/bridge-live", () => {
  describe("liveFromColibri (pure)", () => {
    it("takes participants and conferences from JVB's real /colibri/stats shape", () => {
      const stats = JSON.parse(fs.readFileSync(path.join(FIX, "colibri-stats.json"), "utf8"));
      assert.deepEqual(liveFromColibri(stats), { participants: 47, conferences: stats.conferences });
      // The same figures the CloudWatch publisher sends (the scaler appends the live count to that series).
      const published = parseColibriStats(JSON.stringify(stats));
      assert.equal(published.find((x) => x.metric === BRIDGE_METRICS.participants)!.value, liveFromColibri(stats)!.participants);
      assert.equal(published.find((x) => x.metric === BRIDGE_METRICS.conferences)!.value, liveFromColibri(stats)!.conferences);
      assert.deepEqual(liveFromColibri({ participants: 12, conferences: 3 }), { participants: 12, conferences: 3 });
      assert.deepEqual(liveFromColibri({ participants: 0, conferences: 0 }), { participants: 0, conferences: 0 });
    });
    it("rounds to whole numbers", () => {
      assert.deepEqual(liveFromColibri({ participants: 12.6, conferences: 2.4 }), { participants: 13, conferences: 2 });
    });
    it("counts endpoints when JVB sends them (participants is deprecated upstream), like the CloudWatch publisher", () => {
      assert.deepEqual(liveFromColibri({ endpoints: 9, participants: 7, conferences: 2 }), { participants: 9, conferences: 2 });
      assert.deepEqual(liveFromColibri({ endpoints: 9, conferences: 2 }), { participants: 9, conferences: 2 });
      assert.deepEqual(liveFromColibri({ endpoints: null, participants: 7, conferences: 2 }), { participants: 7, conferences: 2 });
      assert.equal(liveFromColibri({ endpoints: "9", participants: 7, conferences: 2 }), undefined);
    });
    it("anything but finite non-negative counts is no reading (never a 0)", () => {
      for (const bad of [
        { conferences: 3 },
        { participants: 12 },
        { participants: -1, conferences: 3 },
        { participants: 12, conferences: -0.7 },
        { participants: NaN, conferences: 3 },
        { participants: Infinity, conferences: 3 },
        { participants: "12", conferences: 3 },
        { participants: 12, conferences: "3" },
        { participants: null, conferences: 3 },
        { participants: 12, conferences: true },
        { participants: 100_001, conferences: 3 },
      ])
        assert.equal(liveFromColibri(bad), undefined, JSON.stringify(bad));
      for (const bad of [undefined, null, 12, "x", [], [12, 3]]) assert.equal(liveFromColibri(bad), undefined, String(bad));
    });
  });

  describe("routeRequest and liveResponse (pure)", () => {
    it("reads JVB for GET and HEAD on the live path only, whatever the query string", () => {
      assert.deepEqual(routeRequest("GET", LIVE_PATH), { kind: "read" });
      assert.deepEqual(routeRequest("HEAD", LIVE_PATH), { kind: "read" });
      assert.deepEqual(routeRequest("GET", `${LIVE_PATH}?t=1`), { kind: "read" });
    });
    it("404 for any other path, 405 (with Allow) for another method on the live path", () => {
      for (const p of ["/", "/other", "/live/", "/colibri/stats", "/colibri/drain/enable", "//live", undefined]) {
        const r = routeRequest("GET", p);
        assert.equal(r.kind === "reply" && r.response.status, 404, String(p));
      }
      for (const m of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", undefined]) {
        const r = routeRequest(m, LIVE_PATH);
        assert.ok(r.kind === "reply", String(m));
        assert.equal(r.response.status, 405);
        assert.equal(r.response.headers.Allow, "GET, HEAD");
        assert.equal(r.response.headers["Content-Type"], "application/json");
      }
      // A path elsewhere is 404 whatever the method.
      const post = routeRequest("POST", "/colibri/shutdown");
      assert.equal(post.kind === "reply" && post.response.status, 404);
    });
    it("200 with the protocol's body for a reading, 503 with a one-line error otherwise", () => {
      const ok = liveResponse({ kind: "ok", reading: { participants: 40, conferences: 5 } });
      assert.equal(ok.status, 200);
      assert.deepEqual(parseLiveReply(ok.body), { participants: 40, conferences: 5 });
      assert.deepEqual(ok.headers, { "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": String(ok.body.length) });
      const bad = liveResponse({ kind: "error", error: "jvb stats answered\nHTTP 500" });
      assert.equal(bad.status, 503);
      assert.equal(bad.body, '{"error":"jvb stats answered HTTP 500"}');
      assert.equal(errorResponse(503, "x".repeat(500)).body.length, '{"error":""}'.length + 200);
    });
  });

  describe("parseBridgeLiveArgs", () => {
    it("listens on PORTS.bridgeLive and reads JVB's loopback colibri stats within 2 s by default", () => {
      assert.deepEqual(parseBridgeLiveArgs([]), BRIDGE_LIVE_DEFAULTS);
      assert.deepEqual(BRIDGE_LIVE_DEFAULTS, { host: "0.0.0.0", port: PORTS.bridgeLive, jvbUrl: "http://127.0.0.1:8080/colibri/stats", timeoutMs: 2000 });
      assert.deepEqual(parseBridgeLiveArgs(["--listen", "10.0.0.5:9191", "--jvb-url", "http://127.0.0.1:18080/colibri/stats", "--timeout-ms", "500"]), {
        host: "10.0.0.5",
        port: 9191,
        jvbUrl: "http://127.0.0.1:18080/colibri/stats",
        timeoutMs: 500,
      });
      assert.equal((parseBridgeLiveArgs(["--listen", "[::1]:9091"]) as { host: string }).host, "::1");
    });
    it("names the bad flag and what is allowed", () => {
      assert.match(parseBridgeLiveArgs(["--listen", "9091"]) as string, /^--listen: must be address:port such as 0\.0\.0\.0:9091, got "9091"$/);
      assert.match(parseBridgeLiveArgs(["--listen", "0.0.0.0:70000"]) as string, /^--listen: must be address:port/);
      assert.match(parseBridgeLiveArgs(["--jvb-url", "https://x/colibri/stats"]) as string, /^--jvb-url: must be an http:\/\/ URL/);
      assert.match(parseBridgeLiveArgs(["--jvb-url", "127.0.0.1:8080"]) as string, /^--jvb-url: must be an http:\/\/ URL/);
      for (const t of ["99", "10001", "1.5", "abc", "", "-5", "1e3"])
        assert.equal(parseBridgeLiveArgs(["--timeout-ms", t]), `--timeout-ms: must be a whole number from 100 to 10000, got "${t}"`);
      assert.equal(parseBridgeLiveArgs(["--timeout-ms"]), "--timeout-ms: needs a value");
      assert.equal(parseBridgeLiveArgs(["--once"]), 'unknown flag "--once" (allowed: --listen, --jvb-url, --timeout-ms)');
    });
    it("main returns 2 with the message on a bad flag; the host agent knows the command", async () => {
      assert.ok("bridge-live" in COMMANDS);
      const logs: string[] = [];
      const err = console.error;
      console.error = (s: string) => logs.push(s);
      try {
        assert.equal(await main(["--timeout-ms", "5"]), 2);
        assert.equal(await run(["bridge-live", "--listen", "nowhere"]), 2);
      } finally {
        console.error = err;
      }
      assert.deepEqual(logs, [
        'bridge-live: --timeout-ms: must be a whole number from 100 to 10000, got "5"',
        'bridge-live: --listen: must be address:port such as 0.0.0.0:9091, got "nowhere"',
      ]);
    });
  });

  describe("the responder on loopback, reading a fake JVB", () => {
    // What the fake JVB answers next: a status and a body, or "hang" (accepts and never answers).
    let jvbAnswer: { status: number; body: string } | "hang" = { status: 200, body: "{}" };
    let jvbHits = 0;
    let jvb: http.Server;
    let jvbPort = 0;
    let agent: RunningBridgeLive | undefined;
    const logs: string[] = [];
    const get = (p = LIVE_PATH, method = "GET") => request(agent!.address.port, method, p);

    before(async () => {
      jvb = http.createServer((req, res) => {
        jvbHits++;
        if (req.url !== "/colibri/stats" || req.method !== "GET") return void res.writeHead(404).end();
        if (jvbAnswer === "hang") return; // closed by closeAllConnections in after()
        res.writeHead(jvbAnswer.status, { "Content-Type": "application/json" }).end(jvbAnswer.body);
      });
      jvbPort = await listen(jvb);
      agent = await startBridgeLive({ host: HOST, port: 0, jvbUrl: `http://${HOST}:${jvbPort}/colibri/stats`, timeoutMs: 300 }, (l) => logs.push(l));
    });
    after(async () => {
      await agent?.close();
      await closeServer(jvb);
    });

    it("GET /live → 200 with JVB's counts, read fresh at each request", async () => {
      jvbAnswer = { status: 200, body: fs.readFileSync(path.join(FIX, "colibri-stats.json"), "utf8") };
      const first = await get();
      assert.equal(first.status, 200, first.body);
      assert.equal(first.headers["content-type"], "application/json");
      assert.equal(first.headers["cache-control"], "no-store");
      const conferences = (JSON.parse(jvbAnswer.body) as { conferences: number }).conferences;
      assert.deepEqual(parseLiveReply(first.body), { participants: 47, conferences });

      jvbAnswer = { status: 200, body: JSON.stringify({ participants: 120, conferences: 9, stress_level: 0.4 }) };
      const hits = jvbHits;
      const second = await get(`${LIVE_PATH}?run=2`);
      assert.deepEqual(parseLiveReply(second.body), { participants: 120, conferences: 9 });
      assert.equal(jvbHits, hits + 1, "one JVB read per request, nothing cached");
      jvbAnswer = { status: 200, body: JSON.stringify({ participants: 0, conferences: 0 }) };
      assert.deepEqual(parseLiveReply((await get()).body), { participants: 0, conferences: 0 }, "a real 0 is passed on");
    });

    it("HEAD /live answers the status and headers without a body", async () => {
      jvbAnswer = { status: 200, body: JSON.stringify({ participants: 5, conferences: 1 }) };
      const r = await get(LIVE_PATH, "HEAD");
      assert.equal(r.status, 200);
      assert.equal(r.body, "");
      assert.equal(r.headers["content-type"], "application/json");
    });

    it("JVB answering 500, garbage, JSON without the counts, or nothing in time → 503 and an error, never a 0", async () => {
      jvbAnswer = { status: 500, body: '{"participants": 0, "conferences": 0}' };
      assertUnavailable(await get(), /^jvb stats answered HTTP 500$/);
      jvbAnswer = { status: 200, body: "<html>starting</html>" };
      assertUnavailable(await get(), /^jvb stats are not JSON$/);
      jvbAnswer = { status: 200, body: JSON.stringify({ participants: -3, conferences: 1 }) };
      assertUnavailable(await get(), /^jvb stats lack valid participants and conferences$/);
      jvbAnswer = "hang";
      const t0 = Date.now();
      assertUnavailable(await get(), /^jvb stats did not answer within 300 ms$/);
      assert.ok(Date.now() - t0 < 2000, "the timeout bounds the reply");
      // Logged once per distinct error, then once when JVB is readable again.
      jvbAnswer = { status: 200, body: JSON.stringify({ participants: 2, conferences: 1 }) };
      assert.equal((await get()).status, 200);
      assert.deepEqual(logs, [
        "bridge-live: answering 503: jvb stats answered HTTP 500",
        "bridge-live: answering 503: jvb stats are not JSON",
        "bridge-live: answering 503: jvb stats lack valid participants and conferences",
        "bridge-live: answering 503: jvb stats did not answer within 300 ms",
        "bridge-live: jvb stats readable again",
      ]);
    });

    it("another path → 404, another method → 405, neither reaching JVB", async () => {
      const hits = jvbHits;
      const other = await get("/other");
      assert.equal(other.status, 404);
      assert.match(JSON.parse(other.body).error, /^not found/);
      assert.equal((await get("/colibri/stats")).status, 404, "JVB's own REST is not proxied");
      const post = await get(LIVE_PATH, "POST");
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, "GET, HEAD");
      assert.equal(post.headers["content-type"], "application/json");
      assert.match(JSON.parse(post.body).error, /^method not allowed/);
      assert.equal(jvbHits, hits);
    });

    it("JVB not listening at all → 503 (connection refused)", async () => {
      const closed = http.createServer();
      const port = await listen(closed);
      await closeServer(closed); // a port nobody listens on any more
      assert.match(JSON.stringify(await readJvb(`http://${HOST}:${port}/colibri/stats`, 300)), /jvb stats unreachable \(ECONNREFUSED\)/);
      const lone = await startBridgeLive({ host: HOST, port: 0, jvbUrl: `http://${HOST}:${port}/colibri/stats`, timeoutMs: 300 });
      try {
        assertUnavailable(await request(lone.address.port, "GET", LIVE_PATH), /^jvb stats unreachable \(ECONNREFUSED\)$/);
      } finally {
        await lone.close();
      }
    });
  });
});
