/**
 * Peer discovery with the real HAProxy: a proxy that starts alone learns a second proxy through syncPeers
 * (agents/edge-peers.ts: re-render with the same renderer, `haproxy -c`, reload), and the second proxy then
 * holds every room the first one had bound. Loopback 127.0.4.5/.6/.21, ports 20100-20199.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EdgeHostInput, renderHostConfig, SyncDeps, syncPeers } from "../../agents/edge-peers";
import { HAPROXY_TUNING_DEFAULTS } from "../../render/haproxy";
import { edgeRequest, mapLimit, runtimeCommand, waitPeersSynced } from "../helpers/edge-client";
import { requireBinary, run } from "../helpers/env";
import { FakeShard } from "../helpers/fake-shard";
import { HaproxyProcess, waitFor } from "../helpers/haproxy-process";

const A = "127.0.4.5";
const B = "127.0.4.6";
const PORT = 20143;

describe("edge-peers with real HAProxy: a proxy learns a new peer and hands it the room table", function () {
  this.timeout(60_000);
  let bin: string;
  let tmp: string;
  const shard = new FakeShard({ id: "shard-x", address: "127.0.4.21", httpPort: 20180, agentPort: 20160 });
  const procs: HaproxyProcess[] = [];

  const input = (self: string): EdgeHostInput => ({
    haproxy: {
      listen: { address: self, port: PORT, acceptProxy: true },
      healthPort: 20104,
      healthCheckHost: "meet.example.com",
      shards: [{ id: shard.id, address: shard.address, port: shard.httpPort, agentPort: shard.agentPort, initialState: "drain" }],
      bridges: { cidrs: ["127.0.4.30/31"], websocketPort: 20190 },
      serverStateFile: path.join(tmp, `${self}.state`),
      runtimeSocket: path.join(tmp, `${self}.sock`),
      logTarget: "stdout",
      logFacility: "local0",
      tuning: { ...HAPROXY_TUNING_DEFAULTS, healthIntervalMs: 250, agentIntervalMs: 250, healthRise: 1, maxConnections: 1000 },
    },
    peers: { section: "edge", port: 20124 },
    groupTag: { key: "jitsi:edge-group", value: "test" },
  });

  async function startProxy(self: string, members: string[]): Promise<HaproxyProcess> {
    const p = new HaproxyProcess(bin, path.join(tmp, `${self}.cfg`));
    p.writeConfig(renderHostConfig(input(self), self, members));
    procs.push(p);
    await p.start();
    return p;
  }

  const tableSize = async (self: string) => (await runtimeCommand(path.join(tmp, `${self}.sock`), "show table be_shards")).split("\n").filter((l) => l.includes("key=")).length;

  before(async function () {
    bin = requireBinary(this, "haproxy");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edge-peers-"));
    await shard.start();
  });
  after(async () => {
    for (const p of procs) await p.stop();
    await shard.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("A learns B (syncPeers: render, haproxy -c, reload after its peers' resync) and keeps its rooms; B, started listing A, gets them all", async () => {
    const a = await startProxy(A, []);
    await waitFor(async () => (await runtimeCommand(path.join(tmp, `${A}.sock`), "show servers state be_shards")).includes(`${shard.id} ${shard.address} 2 4`), 5000, "shard ready on A");
    const rooms = Array.from({ length: 30 }, (_, i) => `/room-${i}`);
    await mapLimit(rooms, 8, async (r) => assert.equal((await edgeRequest({ host: A, port: PORT, path: r, clientIp: "198.18.9.9" })).status, 200));
    assert.equal(await tableSize(A), 30);

    // B has been launched: A's agent sees it in DescribeInstances and reloads A with B as a peer.
    const cfgA = path.join(tmp, `${A}.cfg`);
    const deps: SyncDeps = {
      selfIp: async () => A,
      memberIps: async () => [B, A],
      readConfig: () => fs.readFileSync(cfgA, "utf8"),
      check: async (text) => {
        fs.writeFileSync(`${cfgA}.tmp`, text);
        run(bin, ["-c", "-q", "-f", `${cfgA}.tmp`]);
      },
      install: () => fs.renameSync(`${cfgA}.tmp`, cfgA),
      // What the unit's ExecReload does (render/edge-boot.ts renderPreReloadScript).
      reload: async () => {
        await waitPeersSynced(path.join(tmp, `${A}.sock`));
        fs.writeFileSync(path.join(tmp, `${A}.state`), await runtimeCommand(path.join(tmp, `${A}.sock`), "show servers state"));
        await a.reload();
      },
    };
    assert.deepEqual(await syncPeers(input(A), deps), { outcome: "reloaded", peers: 2 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await tableSize(A), 30, "A kept its table through the reload");

    // B's boot: its first HAProxy process already lists A (edge-peers --once before the first start).
    const started = Date.now();
    await startProxy(B, [A]);
    const learnMs = await waitFor(async () => (await tableSize(B)) === 30, 10_000, "B to learn A's 30 rooms");
    assert.deepEqual(await syncPeers(input(A), deps), { outcome: "unchanged", peers: 2 });
    console.log(`      figure: edge-peers: A reloaded with B as a peer kept 30/30 rooms; B, started listing A, held all 30 ${learnMs} ms after its start (${Date.now() - started} ms incl. start)`);
  });

  it("control: a reload before the peers finished their resync starts the new process with an empty table", async function () {
    // Why the pre-reload script waits (haproxy/haproxy#1216): measured, not assumed.
    const c = new HaproxyProcess(bin, path.join(tmp, "c.cfg"));
    procs.push(c);
    const C = "127.0.4.7";
    c.writeConfig(renderHostConfig(input(C), C, []));
    await c.start();
    await waitFor(async () => (await runtimeCommand(path.join(tmp, `${C}.sock`), "show servers state be_shards")).includes(" 2 4 "), 5000, "shard ready on C");
    await edgeRequest({ host: C, port: PORT, path: "/control-room", clientIp: "198.18.9.10" });
    assert.equal(await tableSize(C), 1);
    await c.reload(); // at once: the first resync (5 s) is still running
    await new Promise((r) => setTimeout(r, 300));
    const left = await tableSize(C);
    console.log(`      figure: edge-peers control: reload right after start, before the peers' resync ended: ${left}/1 entries survived`);
    assert.equal(left, 0);
  });
});
