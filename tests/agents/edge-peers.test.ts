import { strict as assert } from "assert";
import { bootstrapPeers, EdgeHostInput, main, parseEdgePeersArgs, peerName, peersOf, renderHostConfig, SyncDeps, syncPeers } from "../../agents/edge-peers";
import { run } from "../../agents/main";
import { HAPROXY_TUNING_DEFAULTS } from "../../render/haproxy";

export const HOST_INPUT: EdgeHostInput = {
  haproxy: {
    listen: { address: "0.0.0.0", port: 80, acceptProxy: true },
    healthPort: 8404,
    healthCheckHost: "meet.example.com",
    shards: [{ id: "us-east-1-s1", address: "us-east-1-s1.us-east-1.prod.jitsi.internal", port: 80, agentPort: 6060, initialState: "drain" }],
    bridges: { cidrs: ["10.10.0.0/16"], websocketPort: 9090 },
    serverStateFile: "/var/lib/haproxy/server-state",
    runtimeSocket: "/run/haproxy/admin.sock",
    logTarget: "/dev/log",
    logFacility: "local0",
    tuning: HAPROXY_TUNING_DEFAULTS,
  },
  peers: { section: "edge", port: 1024 },
  groupTag: { key: "jitsi:edge-group", value: "prod-us-east-1-edge" },
};

/** Fake host: records what syncPeers does. */
function fakeHost(self: string, members: string[], current: string | null, checkFails = false) {
  const calls: string[] = [];
  let config = current;
  const deps: SyncDeps = {
    selfIp: async () => self,
    memberIps: async () => members,
    readConfig: () => config,
    check: async (text) => {
      calls.push("check");
      if (checkFails) throw new Error("haproxy -c: [ALERT] broken");
      assert.ok(text.includes("peers edge"));
    },
    install: (text) => {
      calls.push("install");
      config = text;
    },
    reload: async () => {
      calls.push("reload");
    },
  };
  return { deps, calls, config: () => config };
}

describe("agents/edge-peers", () => {
  it("names a peer after its private address, the same on every proxy", () => {
    assert.equal(peerName("10.10.1.5"), "edge-10-10-1-5");
    assert.throws(() => peerName("ip-10-10-1-5"), /must be an IPv4 address/);
  });

  it("lists every running proxy of the group once, itself included, in a stable order", () => {
    const a = peersOf("10.10.2.7", ["10.10.1.5", "10.10.2.7", "10.10.1.5"], "edge", 1024);
    const b = peersOf("10.10.1.5", ["10.10.2.7"], "edge", 1024);
    assert.deepEqual(a.members, b.members, "both proxies render the same member list");
    assert.deepEqual(a.members.map((m) => `${m.name}@${m.address}:${m.port}`), ["edge-10-10-1-5@10.10.1.5:1024", "edge-10-10-2-7@10.10.2.7:1024"]);
    assert.equal(a.localName, "edge-10-10-2-7");
    // Discovery can lag a fresh instance: it is still its own peer.
    assert.deepEqual(peersOf("10.10.3.9", [], "edge", 1024).members.map((m) => m.name), ["edge-10-10-3-9"]);
  });

  it("the bootstrap config (user data) has this host alone as a loopback peer", () => {
    assert.deepEqual(bootstrapPeers("edge", 1024), { section: "edge", localName: "bootstrap", members: [{ name: "bootstrap", address: "127.0.0.1", port: 1024 }] });
  });

  it("renders the host config with the renderer's input and the discovered peers", () => {
    const text = renderHostConfig(HOST_INPUT, "10.10.1.5", ["10.10.2.7"]);
    assert.match(text, /localpeer edge-10-10-1-5\n/);
    assert.match(text, /peers edge\n    peer edge-10-10-1-5 10\.10\.1\.5:1024\n    peer edge-10-10-2-7 10\.10\.2\.7:1024\n/);
    assert.match(text, /server us-east-1-s1 us-east-1-s1\.us-east-1\.prod\.jitsi\.internal:80 agent-port 6060 resolvers vpc/);
  });

  it("checks, installs and reloads when the peers changed; does nothing when they did not", async () => {
    const first = fakeHost("10.10.1.5", ["10.10.1.5", "10.10.2.7"], "old text");
    assert.deepEqual(await syncPeers(HOST_INPUT, first.deps), { outcome: "reloaded", peers: 2 });
    assert.deepEqual(first.calls, ["check", "install", "reload"]);
    const again = fakeHost("10.10.1.5", ["10.10.2.7", "10.10.1.5"], first.config());
    assert.deepEqual(await syncPeers(HOST_INPUT, again.deps), { outcome: "unchanged", peers: 2 });
    assert.deepEqual(again.calls, []);
  });

  it("leaves the running config alone when haproxy -c rejects the new one", async () => {
    const host = fakeHost("10.10.1.5", ["10.10.2.7"], "old text", true);
    await assert.rejects(syncPeers(HOST_INPUT, host.deps), /haproxy -c/);
    assert.deepEqual(host.calls, ["check"]);
    assert.equal(host.config(), "old text");
  });

  it("is a command of the host agent (agents/main.ts), as is shard-agent", async () => {
    const err = console.error;
    const lines: string[] = [];
    console.error = (l: string) => lines.push(l);
    try {
      assert.equal(await run(["edge-peers", "--region", "nowhere"]), 2);
      assert.equal(await run(["shard-agent", "--interval-ms", "x"]), 2);
    } finally {
      console.error = err;
    }
    assert.match(lines[0], /^edge-peers: --region: must be an AWS region name/);
    assert.match(lines[1], /^shard-agent: --interval-ms:/);
  });

  it("parses its flags and names a bad one", async () => {
    assert.deepEqual(parseEdgePeersArgs(["--region", "us-east-1", "--once"]), { region: "us-east-1", input: "/etc/jitsi-aws/haproxy-input.json", config: "/etc/haproxy/haproxy.cfg", intervalMs: 30000, once: true });
    assert.equal(parseEdgePeersArgs([]), "--region: is required");
    assert.match(parseEdgePeersArgs(["--region", "mars-1"]) as string, /^--region: must be an AWS region name/);
    assert.match(parseEdgePeersArgs(["--region", "us-east-1", "--interval-ms", "10"]) as string, /^--interval-ms: must be a whole number from 1000/);
    assert.match(parseEdgePeersArgs(["--region", "us-east-1", "--config", "haproxy.cfg"]) as string, /^--config: must be an absolute path/);
    const err = console.error;
    console.error = () => undefined;
    try {
      assert.equal(await main(["--bogus"]), 2);
    } finally {
      console.error = err;
    }
  });
});
