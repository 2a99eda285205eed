import { strict as assert } from "assert";
import * as path from "path";
import { JVB_ENV, JvbConfInput, renderJvbConf, shardPasswordEnvVar } from "../../render/jvb-conf";
import { requireShared } from "../helpers/env";
import { leafPaths, parseHoconObject, referenceKeySet, unknownPaths } from "./jvb-reference-keys";

const INPUT: JvbConfInput = {
  region: "eu-central-1",
  localShards: [
    { id: "shard-a", hostname: "10.20.1.10", domain: "auth.meet.example.com", username: "jvb", breweryMucJid: "jvbbrewery@internal.auth.meet.example.com" },
    { id: "shard-b", hostname: "10.20.2.10", domain: "auth.meet.example.com", username: "jvb", breweryMucJid: "jvbbrewery@internal.auth.meet.example.com" },
  ],
  peerShards: [
    { id: "us-east-1-shard-a", hostname: "10.30.1.10", domain: "auth.meet.example.com", username: "jvb", breweryMucJid: "jvbbrewery@internal.auth.meet.example.com", peerRegion: "us-east-1" },
  ],
  relayEnabled: true,
  websocketDomain: "meet.example.com:443",
  websocketPort: 9090,
  mediaPort: 10000,
  gracefulShutdownMaxSeconds: 3600,
  gracefulShutdownMinParticipants: 10,
  loadMeasurement: "cpu-usage",
};

/** What the boot script exports on a bridge (test values). */
const HOST_ENV: Record<string, string> = {
  [JVB_ENV.instanceId]: "i-0abc1234def567890",
  [JVB_ENV.localIpv4]: "10.20.1.77",
  [JVB_ENV.publicIpv4]: "203.0.113.7",
  [JVB_ENV.initialDrain]: "true",
  [shardPasswordEnvVar("shard-a")]: "pw-a",
  [shardPasswordEnvVar("shard-b")]: "pw-b",
  [shardPasswordEnvVar("us-east-1-shard-a")]: "pw-peer",
};

/** Parses the rendered file as the bridge would, with the boot script's environment. */
async function parseOnHost(text: string, env: Record<string, string> = HOST_ENV): Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await parseHoconObject(text);
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
}

/** Field names jicoco's MucClientConfiguration reads in each `xmpp-client.configs.<id>` entry (case-insensitive). */
const MUC_CLIENT_FIELDS = ["hostname", "domain", "username", "password", "muc_jids", "muc_nickname", "disable_certificate_verification", "iq_handler_mode"];

describe("render/jvb-conf", () => {
  it("writes one MUC client per local and peer-region shard, each joining that shard's brewery as the instance", async () => {
    const conf = (await parseOnHost(renderJvbConf(INPUT))) as any;
    const configs = conf.videobridge.apis["xmpp-client"].configs;
    assert.deepEqual(Object.keys(configs).sort(), ["shard-a", "shard-b", "us-east-1-shard-a"]);
    assert.equal(configs["shard-b"].hostname, "10.20.2.10");
    assert.equal(configs["shard-b"].muc_jids, "jvbbrewery@internal.auth.meet.example.com");
    assert.equal(configs["shard-b"].muc_nickname, "i-0abc1234def567890");
    assert.equal(configs["shard-a"].password, "pw-a");
    assert.equal(configs["us-east-1-shard-a"].password, "pw-peer");
    assert.deepEqual(conf.videobridge.relay, { enabled: true, region: "eu-central-1", "relay-id": "i-0abc1234def567890" });
  });

  it("keeps passwords and per-instance values out of the file (user data is plain text)", async () => {
    const text = renderJvbConf(INPUT);
    for (const secret of ["pw-a", "pw-b", "pw-peer", "i-0abc", "203.0.113.7"]) assert.ok(!text.includes(secret), `${secret} leaked`);
    assert.match(text, /password = \$\{JVB_XMPP_PASSWORD_SHARD_A\}/);
    // A bridge whose boot script failed to export a password does not start with a blank one.
    const { [shardPasswordEnvVar("shard-b")]: _dropped, ...partial } = HOST_ENV;
    await assert.rejects(parseOnHost(text, partial), /JVB_XMPP_PASSWORD_SHARD_B/);
  });

  it("opens the REST API (colibri, shutdown, drain) on loopback only and advertises the public address via a static mapping", async () => {
    const conf = (await parseOnHost(renderJvbConf(INPUT))) as any;
    assert.equal(conf.videobridge.apis.rest.enabled, true);
    assert.equal(conf.videobridge.rest.shutdown.enabled, true);
    assert.equal(conf.videobridge.rest.drain.enabled, true);
    // A reserve starts in drain mode: the value comes from the boot script (jvb-drain initial-drain), per instance.
    assert.equal(conf.videobridge["initial-drain-mode"], "true");
    assert.equal(conf.videobridge["http-servers"].private.host, "127.0.0.1");
    assert.equal(conf.videobridge.shutdown["graceful-shutdown-max-duration"], "3600 seconds");
    assert.equal(conf.videobridge.shutdown["graceful-shutdown-min-participants"], 10);
    assert.equal(conf.videobridge.websockets["server-id"], "10.20.1.77");
    assert.deepEqual(conf.videobridge.websockets.domains, ["meet.example.com:443"]);
    assert.equal(conf.videobridge.ice.udp.port, 10000);
    assert.equal(conf.ice4j.harvest.mapping.aws.enabled, false);
    assert.deepEqual(conf.ice4j.harvest.mapping["static-mappings"], [
      { "local-address": "10.20.1.77", "public-address": "203.0.113.7", name: "ec2-public-ipv4" },
    ]);
  });

  it("uses only keys that exist in the upstream jvb / ice4j / jmt reference.conf", async function () {
    const dir = requireShared(this, "reference", "jitsi-upstream");
    const known = await referenceKeySet([
      { path: path.join(dir, "jitsi-videobridge--jvb-src-main-resources-reference.conf") },
      {
        path: path.join(dir, "jitsi-videobridge--jvb-src-main-resources-application.conf"),
        appendTo: path.join(dir, "jitsi-videobridge--jvb-src-main-resources-reference.conf"),
      },
      { path: path.join(dir, "ice4j--src-main-resources-reference.conf") },
      { path: path.join(dir, "jitsi-videobridge--jitsi-media-transform-src-main-resources-reference.conf") },
    ]);
    // The scanner must see the commented-only keys this file relies on, or the check below would be vacuous.
    for (const k of ["videobridge.relay.region", "videobridge.relay.relay-id", "videobridge.websockets.tls", "ice4j.harvest.mapping.static-mappings.public-address"])
      assert.ok(known.has(k), `reference scan lost ${k}`);
    const rendered = leafPaths(await parseOnHost(renderJvbConf(INPUT)));
    assert.ok(rendered.length > 30, `only ${rendered.length} keys rendered`);
    assert.deepEqual(unknownPaths(rendered, known, { "videobridge.apis.xmpp-client.configs": MUC_CLIENT_FIELDS }), []);
    // And the check does catch a typo.
    assert.deepEqual(unknownPaths(["videobridge.relay.relay_id", "videobridge.apis.xmpp-client.configs.x.pasword"], known, { "videobridge.apis.xmpp-client.configs": MUC_CLIENT_FIELDS }), [
      "videobridge.relay.relay_id",
      "videobridge.apis.xmpp-client.configs.x.pasword",
    ]);
  });

  it("rejects bad input naming every bad field", () => {
    assert.throws(
      () =>
        renderJvbConf({
          ...INPUT,
          region: "Europe",
          localShards: [INPUT.localShards[0], { ...INPUT.localShards[1], id: "shard-a", breweryMucJid: "no-at-sign" }],
          websocketPort: 80,
        }),
      (e: Error) =>
        /region: must be an AWS region/.test(e.message) &&
        /localShards\[shard-a\]\.id: appears twice/.test(e.message) &&
        /breweryMucJid: must be a bare MUC JID/.test(e.message) &&
        /websocketPort: must be an integer from 1024 to 65535, got 80/.test(e.message),
    );
    assert.throws(() => renderJvbConf({ ...INPUT, localShards: [] }), /localShards: must list at least one shard/);
  });
});
