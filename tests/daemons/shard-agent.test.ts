/**
 * The real shard agent (agents/shard-agent.ts, its socket server and health polling) driving a real HAProxy:
 * an operator writes drain / maint / nothing into the state file, and the edge follows. Loopback 127.0.4.8 (HAProxy),
 * 127.0.4.22-23 (shards), ports 20200-20299.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunningShardAgent, startShardAgent } from "../../agents/shard-agent";
import { HAPROXY_TUNING_DEFAULTS, renderHaproxyConfig } from "../../render/haproxy";
import { edgeRequest, mapLimit, runtimeCommand } from "../helpers/edge-client";
import { requireBinary } from "../helpers/env";
import { FakeShard } from "../helpers/fake-shard";
import { HaproxyProcess, waitFor } from "../helpers/haproxy-process";

const EDGE = "127.0.4.8";
const PORT = 20243;

describe("shard-agent driving real HAProxy through its state file", function () {
  this.timeout(60_000);
  let tmp: string;
  let proxy: HaproxyProcess | undefined;
  let agent: RunningShardAgent | undefined;
  // shard-x answers its agent checks with the real agent (port 20260); shard-y with the fake shard's responder.
  const x = new FakeShard({ id: "shard-x", address: "127.0.4.22", httpPort: 20280, agentPort: 20261 });
  const y = new FakeShard({ id: "shard-y", address: "127.0.4.23", httpPort: 20280, agentPort: 20260 });
  const sock = () => path.join(tmp, "edge.sock");

  async function stateOf(id: string): Promise<{ op: number; admin: number }> {
    const line = (await runtimeCommand(sock(), "show servers state be_shards")).split("\n").find((l) => l.split(" ")[3] === id) ?? "";
    const f = line.split(" ");
    return { op: Number(f[5]), admin: Number(f[6]) };
  }
  let client = 0;
  // One client address per request, so the abuse guard (60 connections per 10 s) stays out of the way.
  const where = async (rooms: string[]) =>
    mapLimit(rooms, 8, async (r) => (await edgeRequest({ host: EDGE, port: PORT, path: r, clientIp: `198.18.7.${++client % 250}` })).headers["x-shard-id"] ?? "none");

  before(async function () {
    const bin = requireBinary(this, "haproxy");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shard-agent-daemon-"));
    await x.start();
    await y.start();
    agent = await startShardAgent({
      host: x.address,
      port: 20260,
      stateFile: path.join(tmp, "shard-state"),
      prosodyHealthUrl: `http://${x.address}:${x.httpPort}/about/health`,
      jicofoHealthUrl: `http://${x.address}:${x.httpPort}/about/health`,
      intervalMs: 100,
      once: false,
    });
    proxy = new HaproxyProcess(bin, path.join(tmp, "edge.cfg"));
    proxy.writeConfig(
      renderHaproxyConfig({
        listen: { address: EDGE, port: PORT, acceptProxy: true },
        healthPort: 20204,
        healthCheckHost: "meet.example.com",
        shards: [x, y].map((s) => ({ id: s.id, address: s.address, port: s.httpPort, agentPort: 20260, initialState: "drain" as const })),
        peers: { section: "edge", localName: "e", members: [{ name: "e", address: EDGE, port: 20224 }] },
        bridges: { cidrs: ["127.0.4.30/31"], websocketPort: 20290 },
        runtimeSocket: sock(),
        logTarget: "stdout",
        logFacility: "local0",
        tuning: { ...HAPROXY_TUNING_DEFAULTS, healthIntervalMs: 250, agentIntervalMs: 250, healthRise: 1, maxConnections: 1000 },
      }),
    );
    await proxy.start();
  });

  after(async () => {
    await proxy?.stop();
    await agent?.close();
    await x.stop();
    await y.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("ready → drain (live rooms stay, no new ones) → maint (nothing) → ready, as the operator writes", async () => {
    const ready = (s: { op: number; admin: number }) => s.op === 2 && (s.admin & 0x3b) === 0;
    await waitFor(async () => ready(await stateOf("shard-x")) && ready(await stateOf("shard-y")), 5000, "both shards ready");
    const live = Array.from({ length: 60 }, (_, i) => `/live-${i}`);
    const first = await where(live);
    const onX = live.filter((_, i) => first[i] === "shard-x");
    assert.ok(onX.length > 0 && onX.length < live.length, "rooms on both shards");

    fs.writeFileSync(path.join(tmp, "shard-state"), "drain\n");
    const drainMs = await waitFor(async () => ((await stateOf("shard-x")).admin & 0x18) !== 0, 5000, "shard-x drained");
    const fresh = await where(Array.from({ length: 60 }, (_, i) => `/fresh-${i}`));
    assert.equal(fresh.filter((s) => s === "shard-x").length, 0, "no new room on the drained shard");
    assert.deepEqual(await where(onX), onX.map(() => "shard-x"), "its live rooms stay");

    fs.writeFileSync(path.join(tmp, "shard-state"), "maint\n");
    const maintMs = await waitFor(async () => ((await stateOf("shard-x")).admin & 0x01) !== 0, 5000, "shard-x in maintenance");
    assert.deepEqual(await where(onX), onX.map(() => "shard-y"), "in maintenance it gets nothing, not even its rooms");

    fs.unlinkSync(path.join(tmp, "shard-state"));
    const backMs = await waitFor(async () => ready(await stateOf("shard-x")), 5000, "shard-x ready again");
    console.log(`      figure: shard-agent: drain seen after ${drainMs} ms, maint after ${maintMs} ms, ready again after ${backMs} ms; ${onX.length} live rooms kept through drain`);
  });
});
