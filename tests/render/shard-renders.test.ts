/**
 * Shard renderers against upstream: jicofo.conf keys exist in Jicofo's reference.conf files, config.js keys
 * are ones Jitsi Meet knows, Prosody modules are ones Prosody 0.12 / jitsi-meet-prosody ship.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as vm from "vm";
import { renderJicofoConf } from "../../render/jicofo-conf";
import { meetConfig, renderMeetConfigJs } from "../../render/config-js";
import { CLIENT_HOST_MODULES, CONFERENCE_MUC_MODULES, GLOBAL_MODULES, INTERNAL_MUC_MODULES, renderProsodyConfig } from "../../render/prosody";
import { keyPaths, parseHoconText, unknownKeys, upstreamKeys } from "../helpers/hocon-keys";
import { requireShared } from "../helpers/env";
import { prodFiles } from "../helpers/prod-plan";

const JICOFO_REFS = [
  "jicofo--jicofo-src-main-resources-reference.conf",
  "jicofo--jicofo-common-src-main-resources-reference.conf",
  "jicofo--jicofo-selector-src-main-resources-reference.conf",
];

describe("jicofo.conf", () => {
  const input = { domain: "meet.example.com", region: "eu-west-1", stressThreshold: 0.8, maxBridgeParticipants: 80, relaysEnabled: true };

  it("sets only keys that exist in Jicofo's upstream reference.conf (every prod shard)", async function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const ref = upstreamKeys(dir, JICOFO_REFS);
    const files = await prodFiles("jicofo.conf");
    assert.ok(files.length >= 3);
    for (const f of files) {
      const obj = await parseHoconText(f.content, { JICOFO_XMPP_PASSWORD: "stand-in" });
      const bad = unknownKeys(keyPaths(obj), ref);
      assert.deepStrictEqual(bad, [], `${f.component}: keys not in upstream: ${bad.join(", ")}`);
    }
  });

  it("would catch a misspelt key (the check can fail)", async function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const obj = await parseHoconText(renderJicofoConf(input).replace("stress-threshold", "stres-threshold"), { JICOFO_XMPP_PASSWORD: "x" });
    assert.deepStrictEqual(unknownKeys(keyPaths(obj), upstreamKeys(dir, JICOFO_REFS)), ["jicofo.bridge.stres-threshold"]);
  });

  it("uses region-based selection with relays, stress 0.8 and the local region", async () => {
    const obj = (await parseHoconText(renderJicofoConf(input), { JICOFO_XMPP_PASSWORD: "pw" })) as any;
    assert.strictEqual(obj.jicofo["local-region"], "eu-west-1");
    assert.strictEqual(obj.jicofo.bridge["selection-strategy"], "RegionBasedBridgeSelectionStrategy");
    assert.strictEqual(String(obj.jicofo.octo.enabled), "true");
    assert.strictEqual(Number(obj.jicofo.bridge["stress-threshold"]), 0.8);
    assert.strictEqual(Number(obj.jicofo.bridge["max-bridge-participants"]), 80);
    // Overloaded bridges hand endpoints to less loaded ones (the simulator models the same numbers).
    assert.deepStrictEqual(
      { ...obj.jicofo.bridge["load-redistribution"], "stress-threshold": Number(obj.jicofo.bridge["load-redistribution"]["stress-threshold"]), endpoints: Number(obj.jicofo.bridge["load-redistribution"].endpoints), enabled: String(obj.jicofo.bridge["load-redistribution"].enabled) },
      { enabled: "true", interval: "60 seconds", "stress-threshold": 0.9, timeout: "60 seconds", endpoints: 20 },
    );
    assert.strictEqual(obj.jicofo.xmpp.client.password, "pw", "the password comes from the environment");
    const single = (await parseHoconText(renderJicofoConf({ ...input, relaysEnabled: false }), {})) as any;
    assert.strictEqual(single.jicofo.bridge["selection-strategy"], "SingleBridgeSelectionStrategy");
    assert.strictEqual(single.jicofo.xmpp.client.password, undefined, "no password is rendered");
  });

  it("rejects out-of-range tuning with the field named", () => {
    assert.throws(() => renderJicofoConf({ ...input, stressThreshold: 1.2 }), /stressThreshold/);
    assert.throws(() => renderJicofoConf({ ...input, maxBridgeParticipants: 1 }), /maxBridgeParticipants/);
  });
});

describe("config.js", () => {
  function loadKeys(dir: string) {
    const k = JSON.parse(fs.readFileSync(path.join(dir, "jitsi-meet-config-keys.json"), "utf8"));
    return { keys: new Set<string>(k.keys), openMaps: k.openMaps as string[] };
  }
  function paths(o: unknown, prefix = ""): string[] {
    if (o === null || typeof o !== "object" || Array.isArray(o)) return [];
    return Object.entries(o as object).flatMap(([k, v]) => [prefix + k, ...paths(v, `${prefix}${k}.`)]);
  }

  it("evaluates as JavaScript and sets only keys Jitsi Meet knows (every prod shard)", async function () {
    const { keys, openMaps } = loadKeys(requireShared(this, "reference", "jitsi-upstream"));
    const files = await prodFiles("config.js");
    assert.ok(files.length >= 3);
    for (const f of files) {
      const ctx: { config?: Record<string, unknown> } = {};
      vm.runInNewContext(f.content, ctx);
      assert.ok(ctx.config, "config.js defines var config");
      const unknown = paths(ctx.config).filter((p) => !keys.has(p) && !openMaps.some((m) => p.startsWith(m + ".")));
      assert.deepStrictEqual(unknown, [], `${f.component}: ${unknown.join(", ")}`);
    }
  });

  it("puts the user in the shard's region and enables P2P with the region's STUN", () => {
    const c = meetConfig({ domain: "meet.example.com", region: "eu-west-1", shardId: "eu-west-1-s1", p2p: true, stunHosts: ["turn-eu-west-1.meet.example.com"] }) as any;
    assert.strictEqual(c.deploymentInfo.userRegion, "eu-west-1");
    assert.strictEqual(c.p2p.enabled, true);
    assert.deepStrictEqual(c.p2p.stunServers, [{ urls: "stun:turn-eu-west-1.meet.example.com:3478" }]);
    assert.strictEqual(c.websocket, "wss://meet.example.com/xmpp-websocket");
    assert.match(renderMeetConfigJs({ domain: "meet.example.com", region: "eu-west-1", shardId: "s", p2p: false, stunHosts: [] }), /"enabled": false/);
  });
});

describe("prosody config", () => {
  it("enables only modules that Prosody 0.12 or jitsi-meet-prosody ship", function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const m = JSON.parse(fs.readFileSync(path.join(dir, "prosody-modules.json"), "utf8"));
    const known = new Set<string>([...m.prosodyCore, ...m.jitsiPlugins]);
    const used = [...GLOBAL_MODULES, ...CLIENT_HOST_MODULES, ...CONFERENCE_MUC_MODULES, ...INTERNAL_MUC_MODULES];
    const text = renderProsodyConfig({ domain: "meet.example.com", turnServers: [], turnCredentialTtlSeconds: 86400, secretsInclude: "/x" });
    // Component types ("muc", "speakerstats_component", ...) are modules too.
    const components = [...text.matchAll(/^Component "[^"]+" "([^"]+)"/gm)].map((x) => x[1]);
    const inline = [...text.matchAll(/modules_enabled = \{([^}]*)\}/g)].flatMap((x) => [...x[1].matchAll(/"([^"]+)"/g)].map((y) => y[1]));
    const all = [...new Set([...used, ...components, ...inline])];
    assert.ok(all.length > 20);
    assert.deepStrictEqual(all.filter((x) => !known.has(x)), []);
    // The login method "jitsi-anonymous" is the auth_jitsi-anonymous provider.
    assert.ok(known.has("auth_jitsi-anonymous"));
  });

  it("hands clients TURN over udp 3478 and TLS 5349 with the shared-secret scheme, secret included not rendered", () => {
    const text = renderProsodyConfig({ domain: "meet.example.com", turnServers: [{ host: "turn-eu-west-1.meet.example.com" }], turnCredentialTtlSeconds: 86400, secretsInclude: "/etc/prosody/secrets/turn.cfg.lua" });
    assert.match(text, /type = "turn", host = "turn-eu-west-1\.meet\.example\.com", port = 3478, transport = "udp", secret = true, ttl = 86400/);
    assert.match(text, /type = "turns", host = "turn-eu-west-1\.meet\.example\.com", port = 5349, transport = "tcp", secret = true/);
    assert.match(text, /^Include "\/etc\/prosody\/secrets\/turn\.cfg\.lua"$/m);
    assert.doesNotMatch(text, /external_service_secret\s*=/);
    assert.match(text, /Component "internal\.auth\.meet\.example\.com" "muc"/, "breweries' MUC");
  });

  it("refuses a value that could break out of a Lua string", () => {
    assert.throws(() => renderProsodyConfig({ domain: "meet.example.com\nadmins = {}", turnServers: [], turnCredentialTtlSeconds: 86400, secretsInclude: "/x" }), /control character/);
  });
});
