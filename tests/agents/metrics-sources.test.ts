import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  counterDelta,
  haproxySamples,
  parseColibriStats,
  parseCoturnPs,
  parseHaproxyCsv,
  parseJibriHealth,
  parseJicofoStats,
  type Sample,
  SourceFormatError,
} from "../../agents/metrics-sources";

const FIX = path.join(__dirname, "..", "fixtures", "metrics");
const fixture = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const byName = (s: Sample[]) => Object.fromEntries(s.filter((x) => !x.dims).map((x) => [x.metric.name, x.value]));

describe("metrics sources: JVB /colibri/stats", () => {
  it("reads stress, participants, conferences, rates and relays from a current bridge's stats", () => {
    const m = byName(parseColibriStats(fixture("colibri-stats.json")));
    assert.deepEqual(m, {
      BridgeStress: 0.6123,
      BridgeConferences: 7,
      BridgeParticipants: 47,
      BridgeDraining: 0,
      BridgeBitrateDownload: 58231,
      BridgeBitrateUpload: 121874,
      BridgePacketRateDownload: 7420,
      BridgePacketRateUpload: 15877,
      BridgeRelayEndpoints: 5,
      BridgeRelayConferences: 2,
    });
  });

  it("marks a bridge in graceful shutdown as draining", () => {
    assert.equal(byName(parseColibriStats(fixture("colibri-stats-draining.json"))).BridgeDraining, 1);
  });

  it("treats drain=\"true\" (XMPP-style string) as draining", () => {
    const body = JSON.stringify({ stress_level: 0.1, conferences: 0, participants: 0, drain: "true" });
    assert.equal(byName(parseColibriStats(body)).BridgeDraining, 1);
  });

  it("rejects stats without stress_level instead of publishing a zero the scaler would trust", () => {
    assert.throws(() => parseColibriStats(JSON.stringify({ conferences: 1, participants: 2 })), /jvb: field 'stress_level' is missing/);
  });

  it("rejects a non-numeric stress and a non-JSON body with the source named", () => {
    assert.throws(() => parseColibriStats(JSON.stringify({ stress_level: "high", conferences: 1, participants: 1 })), /jvb: field 'stress_level' must be a number/);
    assert.throws(() => parseColibriStats("<html>502</html>"), (e: Error) => e instanceof SourceFormatError && /jvb: response is not JSON/.test(e.message));
  });
});

describe("metrics sources: Jicofo /stats", () => {
  it("reads conferences, participants, bridges and recorders of the shard", () => {
    assert.deepEqual(byName(parseJicofoStats(fixture("jicofo-stats.json")).samples), {
      ShardConferences: 14,
      ShardParticipants: 96,
      ShardBridges: 3,
      ShardBridgesOperational: 2,
      ShardRecordersAvailable: 3,
      ShardRecordersBusy: 2,
      ShardHealthy: 1,
    });
  });

  it("omits recorder and health metrics when Jicofo has no JibriBrewery and no health checks", () => {
    const s = JSON.parse(fixture("jicofo-stats.json"));
    delete s.jibri_detector;
    delete s.healthy;
    const names = Object.keys(byName(parseJicofoStats(JSON.stringify(s)).samples));
    assert.ok(!names.includes("ShardRecordersAvailable") && !names.includes("ShardHealthy"), names.join());
  });

  it("reports an unhealthy Jicofo as ShardHealthy 0", () => {
    const s = JSON.parse(fixture("jicofo-stats.json"));
    s.healthy = false;
    assert.equal(byName(parseJicofoStats(JSON.stringify(s)).samples).ShardHealthy, 0);
  });

  it("recording start failures: nothing on the first poll, then the delta of recording + streaming failures", () => {
    const first = parseJicofoStats(fixture("jicofo-stats.json"));
    assert.equal(byName(first.samples).JibriRecordingStartFailures, undefined);
    assert.deepEqual(first.counters, { recordingFailures: 3, conferencesCreated: 6120 });
    const s = JSON.parse(fixture("jicofo-stats.json"));
    s.jibri.total_recording_failures = 4;
    s.jibri.total_live_streaming_failures = 2;
    assert.equal(byName(parseJicofoStats(JSON.stringify(s), first.counters).samples).JibriRecordingStartFailures, 3);
  });

  it("meetings created: nothing on the first poll, then the delta of total_conferences_created; none from a Jicofo without it", () => {
    const first = parseJicofoStats(fixture("jicofo-stats.json"));
    assert.equal(byName(first.samples).ShardConferencesCreated, undefined);
    const s = JSON.parse(fixture("jicofo-stats.json"));
    s.total_conferences_created = 6137;
    assert.equal(byName(parseJicofoStats(JSON.stringify(s), first.counters).samples).ShardConferencesCreated, 17);
    // A Jicofo restart resets the counter: the new count is the delta.
    s.total_conferences_created = 2;
    assert.equal(byName(parseJicofoStats(JSON.stringify(s), { conferencesCreated: 6137 }).samples).ShardConferencesCreated, 2);
    delete s.total_conferences_created;
    const without = parseJicofoStats(JSON.stringify(s), first.counters);
    assert.equal(byName(without.samples).ShardConferencesCreated, undefined);
    assert.equal(without.counters.conferencesCreated, undefined);
  });

  it("names the missing nested field", () => {
    const s = JSON.parse(fixture("jicofo-stats.json"));
    delete s.bridge_selector.operational_bridge_count;
    assert.throws(() => parseJicofoStats(JSON.stringify(s)).samples, /jicofo.bridge_selector: field 'operational_bridge_count' is missing/);
  });
});

describe("metrics sources: Jibri health", () => {
  it("idle and healthy -> idle 1, busy 0", () => {
    assert.deepEqual(byName(parseJibriHealth(fixture("jibri-health-idle.json"))), { JibriIdle: 1, JibriBusy: 0, JibriHealthy: 1 });
  });
  it("busy -> busy 1, idle 0", () => {
    assert.deepEqual(byName(parseJibriHealth(fixture("jibri-health-busy.json"))), { JibriIdle: 0, JibriBusy: 1, JibriHealthy: 1 });
  });
  it("expired (single-use, waiting for restart) and unhealthy -> neither idle nor busy", () => {
    assert.deepEqual(byName(parseJibriHealth(fixture("jibri-health-expired.json"))), { JibriIdle: 0, JibriBusy: 0, JibriHealthy: 0 });
  });
  it("rejects an unknown busy status", () => {
    assert.throws(() => parseJibriHealth(JSON.stringify({ status: { busyStatus: "SLEEPING", health: { healthStatus: "HEALTHY" } } })), /status.busyStatus' must be IDLE, BUSY or EXPIRED/);
  });
});

describe("metrics sources: coturn CLI ps", () => {
  it("reads the allocation count from real coturn 4.6.1 output (CRLF)", () => {
    assert.deepEqual(byName(parseCoturnPs(fixture("coturn-cli-ps.txt"))), { TurnAllocations: 5 });
  });
  it("reads the realm-scoped total line too", () => {
    assert.deepEqual(byName(parseCoturnPs("\r\n  Total sessions for realm meet.example.com: 12\r\n\r\n> ")), { TurnAllocations: 12 });
  });
  it("fails when the total line is missing (a login error page, say)", () => {
    assert.throws(() => parseCoturnPs("Enter password: \r\n"), /no 'Total sessions: N' line/);
  });
});

describe("metrics sources: HAProxy show stat", () => {
  const rows = parseHaproxyCsv(fixture("haproxy-show-stat.csv"));

  it("parses the real HAProxy 2.6 CSV by column name", () => {
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}=${r.status}`), ["https-in/FRONTEND=OPEN", "shards/shard-a=UP", "shards/shard-b=DOWN", "shards/shard-c=MAINT", "shards/BACKEND=UP"]);
  });

  it("first poll: sessions and shard states, no 5xx delta yet (counters need a baseline)", () => {
    const { samples, counters } = haproxySamples(rows, undefined);
    const flat = samples.map((s) => `${s.metric.name}${s.dims ? `[${s.dims.Shard}]` : ""}=${s.value}`);
    assert.deepEqual(flat, ["EdgeSessions=0", "EdgeShardUp[shard-a]=1", "EdgeShardUp[shard-b]=0", "EdgeShardsDown=1"]);
    assert.deepEqual(counters, { http5xx: 3, requests: 5 });
  });

  it("second poll: 5xx and requests as deltas since the previous poll; MAINT is not counted down", () => {
    const { samples } = haproxySamples(rows, { http5xx: 1, requests: 2 });
    const m = byName(samples);
    assert.equal(m.EdgeHttp5xx, 2);
    assert.equal(m.EdgeRequests, 3);
    assert.equal(m.EdgeShardsDown, 1);
  });

  it("counter reset after an HAProxy reload: the delta is the new count, never negative", () => {
    assert.equal(counterDelta(100, 3), 3);
    assert.equal(counterDelta(3, 10), 7);
    assert.equal(counterDelta(undefined, 10), undefined);
  });

  it("restricts shards to one backend when asked", () => {
    const { samples } = haproxySamples(rows, undefined, "other-backend");
    assert.equal(byName(samples).EdgeShardsDown, 0);
    assert.ok(!samples.some((s) => s.metric.name === "EdgeShardUp"));
  });

  it("counts DRAIN and NOLB as up, 'DOWN 1/2' (rising) as down, ignores unchecked servers", () => {
    const csv = "# pxname,svname,scur,status,hrsp_5xx,req_tot\nfe,FRONTEND,4,OPEN,0,0\nbe,s1,0,DRAIN,,\nbe,s2,0,NOLB,,\nbe,s3,0,DOWN 1/2,,\nbe,s4,0,UP 2/3,,\nbe_bridges,bridge,0,no check,,\n";
    const { samples } = haproxySamples(parseHaproxyCsv(csv), undefined);
    assert.deepEqual(samples.filter((s) => s.dims).map((s) => s.value), [1, 1, 0, 1]);
    assert.equal(byName(samples).EdgeShardsDown, 1);
    assert.equal(byName(samples).EdgeSessions, 4);
  });

  it("rejects output without the header", () => {
    assert.throws(() => parseHaproxyCsv("Unknown command.\n"), /no '# pxname,svname,...' header/);
  });
});
