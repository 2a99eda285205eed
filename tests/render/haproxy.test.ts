import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  HAPROXY_TUNING_DEFAULTS,
  HaproxyConfigError,
  HaproxyConfigInput,
  renderHaproxyConfig,
  SIGNALLING_ENDPOINTS,
} from "../../render/haproxy";
import { requireBinary, run } from "../helpers/env";

/** A production-shaped input: private addresses, default tuning, syslog to /dev/log. */
function prodInput(overrides: Partial<HaproxyConfigInput> = {}): HaproxyConfigInput {
  return {
    listen: { address: "0.0.0.0", port: 8443, acceptProxy: true },
    healthPort: 8404,
    healthCheckHost: "meet.example.com",
    shards: [
      { id: "shard-1", address: "10.0.1.10", port: 80, agentPort: 6060, initialState: "ready" },
      { id: "shard-2", address: "10.0.2.10", port: 80, agentPort: 6060, initialState: "drain" },
    ],
    peers: { section: "edge", localName: "edge-a", members: [{ name: "edge-a", address: "10.0.1.5", port: 1024 }, { name: "edge-b", address: "10.0.2.5", port: 1024 }] },
    bridges: { cidrs: ["10.0.0.0/16"], websocketPort: 9090 },
    runtimeSocket: "/run/haproxy/admin.sock",
    logTarget: "/dev/log",
    logFacility: "local0",
    tuning: HAPROXY_TUNING_DEFAULTS,
    ...overrides,
  };
}

function problemsOf(input: HaproxyConfigInput): string[] {
  try {
    renderHaproxyConfig(input);
  } catch (e) {
    assert.ok(e instanceof HaproxyConfigError, String(e));
    return [...e.problems];
  }
  return [];
}

describe("render/haproxy", () => {
  it("keys rooms on the room parameter (with tenant) for every signalling endpoint, else on the room page path", () => {
    const cfg = renderHaproxyConfig(prodInput());
    for (const e of SIGNALLING_ENDPOINTS) assert.ok(cfg.includes(e.replace(".", "\\.")), `${e} missing from the signalling ACL`);
    assert.match(cfg, /set-var\(txn\.rq\) url_param\(room\),url_dec\(1\),lower if has_room/);
    assert.match(cfg, /set-var-fmt\(txn\.room\) "\/%\[var\(txn\.tenant\)\]\/%\[var\(txn\.rq\)\]" if sig_tenant has_room/);
    assert.match(cfg, /set-var\(txn\.room\) path,url_dec,lower if room_page !reserved !sig_root !sig_tenant/);
    // Clients cannot choose the key the shards see.
    assert.ok(cfg.indexOf("del-header X-Jitsi-Room") < cfg.indexOf("set-header X-Jitsi-Room"));
  });

  it("balances on the room with consistent hashing, bounded load and a peer-shared stick table (jitsi-facts.md values)", () => {
    const cfg = renderHaproxyConfig(prodInput());
    assert.match(cfg, /balance hash var\(txn\.room\)\n\s+hash-type consistent sdbm avalanche\n\s+hash-balance-factor 150\n/);
    assert.match(cfg, /stick-table type string len 200 size 200000 expire 300s srvkey name peers edge\n/);
    assert.match(cfg, /http-check send meth GET uri \/about\/health/);
    assert.match(cfg, /default-server weight 100 check inter 10000ms fall 2 rise 3 agent-check/);
    assert.match(cfg, /\n    peer edge-a 10\.0\.1\.5:1024\n    peer edge-b 10\.0\.2\.5:1024\n/);
    assert.match(cfg, /localpeer edge-a\n/);
  });

  it("starts a shard in drain or maint disabled (HAProxy 2.6 starts servers UP), a ready shard enabled", () => {
    const cfg = renderHaproxyConfig(prodInput());
    assert.match(cfg, /server shard-1 10\.0\.1\.10:80 agent-port 6060\n/);
    assert.match(cfg, /server shard-2 10\.0\.2\.10:80 agent-port 6060 disabled\n/);
  });

  it("lets websockets and BOSH long-polls live: tunnel timeout for websockets, http timeouts above the 60 s BOSH hold", () => {
    const cfg = renderHaproxyConfig(prodInput());
    assert.match(cfg, /timeout tunnel 3600s/);
    assert.match(cfg, /timeout client 90s/);
    assert.match(cfg, /timeout server 90s/);
    assert.ok(problemsOf(prodInput({ tuning: { ...HAPROXY_TUNING_DEFAULTS, httpTimeoutSeconds: 30 } }))[0].startsWith("tuning.httpTimeoutSeconds:"));
  });

  it("takes the client address from the PROXY header and rate-limits connections per client", () => {
    const cfg = renderHaproxyConfig(prodInput());
    assert.match(cfg, /bind 0\.0\.0\.0:8443 accept-proxy\n/);
    assert.match(cfg, /bind 0\.0\.0\.0:8404 accept-proxy\n/);
    // tcp-request connection rules would see the NLB's address; session rules see the PROXY header's.
    assert.match(cfg, /tcp-request session track-sc0 src table st_client_rate\n\s+tcp-request session reject if \{ sc_conn_rate\(0\) gt 60 \}/);
    const plain = renderHaproxyConfig(prodInput({ listen: { address: "0.0.0.0", port: 8443, acceptProxy: false } }));
    assert.ok(!plain.includes("accept-proxy"));
  });

  it("sends /colibri-ws/<ip>/ only to addresses inside the bridge CIDRs", () => {
    const cfg = renderHaproxyConfig(prodInput({ bridges: { cidrs: ["10.0.64.0/18", "10.0.128.0/18"], websocketPort: 9090 } }));
    assert.match(cfg, /acl bridge_ok var\(txn\.bridge\) -m ip 10\.0\.64\.0\/18 10\.0\.128\.0\/18\n/);
    assert.ok(cfg.indexOf("http-request deny deny_status 403 if colibri !bridge_ok") < cfg.indexOf("http-request set-dst var(txn.bridge) if colibri"));
    assert.match(cfg, /server bridge 0\.0\.0\.0:9090\n/);
  });

  it("is a pure function: the same input renders the same text", () => {
    assert.equal(renderHaproxyConfig(prodInput()), renderHaproxyConfig(prodInput()));
  });

  it("rejects bad input, naming every bad field and what is allowed", () => {
    const p = problemsOf(
      prodInput({
        listen: { address: "not an address", port: 70000, acceptProxy: true },
        shards: [
          { id: "shard 1", address: "10.0.1.10", port: 80, agentPort: 6060, initialState: "ready" },
          { id: "shard-2", address: "10.0.1.10", port: 80, agentPort: 0, initialState: "paused" as never },
        ],
        peers: { section: "edge", localName: "edge-c", members: [{ name: "edge-a", address: "10.0.1.5", port: 1024 }] },
        bridges: { cidrs: ["10.0.0.0/33"], websocketPort: 9090 },
        logTarget: "syslog",
        tuning: { ...HAPROXY_TUNING_DEFAULTS, hashBalanceFactor: 100 },
      }),
    );
    const fields = p.map((x) => x.split(":")[0]);
    assert.deepEqual(fields, [
      "listen.address",
      "listen.port",
      "shards[0].id",
      "shards[1].agentPort",
      "shards[1].address",
      "shards[1].initialState",
      "peers.members",
      "bridges.cidrs[0]",
      "logTarget",
      "tuning.hashBalanceFactor",
    ]);
    assert.ok(p.find((x) => x.startsWith("shards[1].initialState"))?.includes("ready, drain, maint"));
    assert.deepEqual(problemsOf(prodInput({ shards: [] })), ["shards: must list at least one shard"]);
  });

  describe("haproxy -c (the real validator, Debian's haproxy)", () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "render-haproxy-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const cases: Record<string, HaproxyConfigInput> = {
      "production defaults": prodInput(),
      "one shard, no PROXY protocol, UDP syslog": prodInput({
        listen: { address: "10.0.1.5", port: 8080, acceptProxy: false },
        shards: [{ id: "only", address: "10.0.9.10", port: 8080, agentPort: 6060, initialState: "maint" }],
        logTarget: "127.0.0.1:514",
      }),
      "shards by private DNS name, with a server state file": prodInput({
        shards: [{ id: "us-east-1-s1", address: "us-east-1-s1.us-east-1.jitsi.jitsi.internal", port: 80, agentPort: 6060, initialState: "drain" }],
        serverStateFile: "STATE",
      }),
      "32 shards": prodInput({ shards: Array.from({ length: 32 }, (_, i) => ({ id: `shard-${i + 1}`, address: `10.0.${i}.10`, port: 80, agentPort: 6060, initialState: "ready" as const })) }),
    };
    for (const [name, input] of Object.entries(cases)) {
      it(`accepts the ${name} config without warnings`, function () {
        const bin = requireBinary(this, "haproxy");
        const file = path.join(tmp, "haproxy.cfg");
        const state = path.join(tmp, "server-state");
        fs.writeFileSync(state, "1\n");
        fs.writeFileSync(file, renderHaproxyConfig(input.serverStateFile ? { ...input, serverStateFile: state } : input));
        const out = run(bin, ["-c", "-f", file]);
        assert.match(out, /Configuration file is valid/);
        // The only warning allowed: a private name that does not resolve on this machine (it does in the VPC).
        const warnings = out.split("\n").filter((l) => /WARNING|ALERT/.test(l));
        assert.deepEqual(warnings.filter((l) => !/could not resolve address '[a-z0-9.-]+\.jitsi\.internal', disabling server/.test(l)), []);
      });
    }
  });
});
